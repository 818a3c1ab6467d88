/* dash_metrics.c - see dash_metrics.h. */
#include "dash_metrics.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

const double dash_le_s[DASH_LE_COUNT] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                         0.1,    0.25,  0.5,    1,     2,    3,     5,
                                         10,     20,    30,     60,    120};

void dash_hist_fold(struct dash_hist *d, const struct hist *h)
{
    uint32_t k = 0;

    if (hist_count(h) == 0)
        return;
    for (uint32_t i = 0; i < HIST_BUCKETS; i++) {
        if (h->counts[i] == 0)
            continue;
        /* Buckets come in ascending order, so the bound only moves up. */
        double high_s = (double)hist_bucket_high(i) / 1e9;
        while (k < DASH_LE_COUNT && high_s > dash_le_s[k])
            k++;
        d->bucket[k] += h->counts[i];
    }
    d->count += h->count;
    d->sum_s += ((double)h->sum_hi * 18446744073709551616.0 + (double)h->sum_lo) / 1e9;
}

void dash_metrics_label(struct sbuf *out, const char *s)
{
    for (;;) {
        /* Plain runs are copied whole: a scrape of 500 beacons has
         * thousands of labels. */
        size_t n = strcspn(s, "\\\"\n");
        sbuf_add(out, s, n);
        s += n;
        if (*s == '\0')
            return;
        sbuf_adds(out, *s == '\\' ? "\\\\" : *s == '"' ? "\\\"" : "\\n");
        s++;
    }
}

void dash_metrics_num(struct sbuf *out, double v)
{
    if (isnan(v))
        sbuf_adds(out, "NaN");
    else if (isinf(v))
        sbuf_adds(out, v > 0 ? "+Inf" : "-Inf");
    else if (v == floor(v) && fabs(v) < 1e15) {
        /* Counters are integers: no printf for them (same digits as %.0f). */
        if (v < 0) {
            sbuf_addc(out, '-');
            v = -v;
        }
        sbuf_add_u64(out, (uint64_t)v);
    } else
        sbuf_addf(out, "%.9g", v);
}

static void head(struct sbuf *o, const char *name, const char *type, const char *help)
{
    sbuf_addf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* One sample: name{k1="v1",k2="v2"} value; labels given as pairs, NULL-ended. */
static void sample(struct sbuf *o, const char *name, const char *const *labels, double v)
{
    sbuf_adds(o, name);
    if (labels != NULL && labels[0] != NULL) {
        sbuf_addc(o, '{');
        for (size_t i = 0; labels[i] != NULL; i += 2) {
            if (i)
                sbuf_addc(o, ',');
            sbuf_adds(o, labels[i]);
            sbuf_adds(o, "=\"");
            dash_metrics_label(o, labels[i + 1]);
            sbuf_addc(o, '"');
        }
        sbuf_addc(o, '}');
    }
    sbuf_addc(o, ' ');
    dash_metrics_num(o, v);
    sbuf_addc(o, '\n');
}

static void gauge1(struct sbuf *o, const char *name, const char *help, double v)
{
    head(o, name, "gauge", help);
    sample(o, name, NULL, v);
}

/* A per-beacon family: one field of struct stats_counters. */
static void beacon_counter(struct sbuf *o, const struct dash_state *st, const char *name,
                           const char *help, size_t off)
{
    head(o, name, "counter", help);
    for (size_t i = 0; i < st->nbeacons; i++) {
        const struct dash_beacon *b = &st->beacon[i];
        const char *l[] = {"beacon", b->id, NULL};
        uint64_t v;
        memcpy(&v, (const char *)&b->c + off, sizeof v);
        sample(o, name, l, (double)v);
    }
}

static void node_counter(struct sbuf *o, const struct dash_state *st, const char *name,
                         const char *help, size_t off)
{
    head(o, name, "counter", help);
    for (size_t i = 0; i < st->nnodes; i++) {
        const struct dash_node *n = &st->node[i];
        const char *l[] = {"node", n->url, NULL};
        uint64_t v;
        memcpy(&v, (const char *)&n->total + off, sizeof v);
        sample(o, name, l, (double)v);
    }
}

static void histogram(struct sbuf *o, const char *name, const char *help,
                      const struct dash_hist *h)
{
    char n[96], le[32];
    uint64_t cum = 0;

    head(o, name, "histogram", help);
    snprintf(n, sizeof n, "%s_bucket", name);
    for (int i = 0; i <= DASH_LE_COUNT; i++) {
        const char *l[] = {"le", le, NULL};
        cum += h->bucket[i];
        if (i < DASH_LE_COUNT)
            snprintf(le, sizeof le, "%g", dash_le_s[i]);
        else
            snprintf(le, sizeof le, "+Inf");
        sample(o, n, l, (double)cum);
    }
    snprintf(n, sizeof n, "%s_sum", name);
    sample(o, n, NULL, h->sum_s);
    snprintf(n, sizeof n, "%s_count", name);
    sample(o, n, NULL, (double)h->count);
}

/* A per-phase family over the ended phases. */
static void phase_gauge(struct sbuf *o, const struct dash_state *st, const char *name,
                        const char *help, int which)
{
    head(o, name, "gauge", help);
    for (size_t i = 0; i < st->nphases; i++) {
        const struct dash_phase *p = &st->phase[i];
        char no[16];
        const char *l[] = {"phase", p->name, "number", no, NULL};
        if (!p->ended)
            continue;
        snprintf(no, sizeof no, "%u", p->no);
        sample(o, name, l, which == 0   ? (double)p->window_offered
                           : which == 1 ? (double)p->window_confirmed
                                        : p->window_s);
    }
}

/* Per-node telemetry gauges (the latest beacon interval that carried it);
 * which: 0 head, 1 irreversible, 2 behind the highest head, 3
 * participation, 4 missed, 5 block interval, 6 fill, 7 forked, 8 stalled.
 * A node that did not answer has no head, LIB, ... sample (absent, not 0). */
static void node_tel_gauge(struct sbuf *o, const struct dash_state *st, const char *name,
                           const char *help, int which)
{
    uint64_t top = 0;
    bool any = false;

    for (size_t i = 0; i < st->nnodes; i++) {
        const struct stats_node *t = &st->node[i].tel;
        any = any || st->node[i].has_tel;
        if (st->node[i].has_tel && t->tel_answers > 0 && t->head_block > top)
            top = t->head_block;
    }
    if (!any)
        return; /* beacons without telemetry (protocol 1.2): no family at all */
    head(o, name, "gauge", help);
    for (size_t i = 0; i < st->nnodes; i++) {
        const struct stats_node *t = &st->node[i].tel;
        const char *l[] = {"node", st->node[i].url, NULL};
        double v = NAN;
        if (!st->node[i].has_tel)
            continue;
        if (t->tel_answers > 0) {
            switch (which) {
            case 0: v = (double)t->head_block; break;
            case 1: v = (double)t->lib_block; break;
            case 2: v = (double)(top - t->head_block); break;
            case 3: v = t->participation_pct / 100.0; break;
            case 4: v = (double)t->missed_blocks; break;
            case 5: v = t->block_interval_s > 0 ? t->block_interval_s : NAN; break;
            default: break;
            }
        }
        if (which == 6 && stats_node_fill_pct(t, &v))
            v /= 100.0;
        if (which == 7)
            v = t->forked > 0;
        if (which == 8)
            v = t->stalled > 0;
        if (!isnan(v))
            sample(o, name, l, v);
    }
}

#define C_OFF(f) offsetof(struct stats_counters, f)
#define N_OFF(f) offsetof(struct stats_node, f)

void dash_metrics_render(struct sbuf *o, const struct dash_state *st)
{
    static const enum stats_verdict verdicts[] = {STATS_OK, STATS_BEACON_BOUND, STATS_NODE_BOUND};
    const struct dash_second *s = &st->last;
    unsigned alive = 0;

    for (size_t i = 0; i < st->nbeacons; i++)
        alive += st->beacon[i].alive;
    gauge1(o, "bss_run_elapsed_seconds", "Seconds since the run started.", st->elapsed_s);
    gauge1(o, "bss_run_ended", "1 once the run is over.", st->ended ? 1 : 0);
    gauge1(o, "bss_beacons_alive", "Beacons connected and alive.", alive);
    gauge1(o, "bss_phase_number", "The phase (or search step) in progress, from 1.",
           st->have_second ? s->phase_no : 0);
    head(o, "bss_verdict", "gauge", "1 for the latest second's verdict.");
    for (int i = 0; i < 3; i++) {
        const char *l[] = {"verdict", stats_verdict_name(verdicts[i]), NULL};
        sample(o, "bss_verdict", l, st->have_second && s->verdict == verdicts[i] ? 1 : 0);
    }

    beacon_counter(o, st, "bss_offered_transactions_total",
                   "Transactions due by the rate curve.", C_OFF(offered));
    beacon_counter(o, st, "bss_sent_transactions_total",
                   "Broadcasts written to a node connection.", C_OFF(sent));
    beacon_counter(o, st, "bss_sent_operations_total", "Operations in the broadcasts sent.",
                   C_OFF(sent_ops));
    beacon_counter(o, st, "bss_accepted_transactions_total",
                   "Broadcasts the node answered without error.", C_OFF(accepted));
    beacon_counter(o, st, "bss_accepted_operations_total",
                   "Operations in the accepted broadcasts.", C_OFF(accepted_ops));
    head(o, "bss_rejected_transactions_total", "counter",
         "Broadcasts the node refused, by reason.");
    for (size_t i = 0; i < st->nbeacons; i++)
        for (int k = 0; k < STATS_REJ_COUNT; k++) {
            const char *l[] = {"beacon", st->beacon[i].id, "reason",
                               stats_reject_name((enum stats_reject)k), NULL};
            sample(o, "bss_rejected_transactions_total", l, (double)st->beacon[i].c.rejected[k]);
        }
    beacon_counter(o, st, "bss_timed_out_transactions_total",
                   "Broadcasts without an answer within the ack timeout.", C_OFF(timeouts));
    beacon_counter(o, st, "bss_connection_errors_total", "Node connections lost or refused.",
                   C_OFF(conn_errors));
    beacon_counter(o, st, "bss_confirmed_transactions_total",
                   "Our transactions seen in blocks.", C_OFF(confirmed));
    beacon_counter(o, st, "bss_confirmed_operations_total",
                   "Operations of our transactions seen in blocks.", C_OFF(confirmed_ops));
    beacon_counter(o, st, "bss_dropped_transactions_total",
                   "Due transactions never sent (past the drop horizon).", C_OFF(dropped));
    beacon_counter(o, st, "bss_lost_transactions_total",
                   "Accepted transactions that expired without inclusion.", C_OFF(lost));
    beacon_counter(o, st, "bss_late_transactions_total",
                   "Transactions sent later than the lateness threshold.", C_OFF(late));

    head(o, "bss_beacon_up", "gauge", "1 while the beacon is connected.");
    for (size_t i = 0; i < st->nbeacons; i++) {
        const char *l[] = {"beacon", st->beacon[i].id, "host", st->beacon[i].host, NULL};
        sample(o, "bss_beacon_up", l, st->beacon[i].alive ? 1 : 0);
    }
#define BEACON_GAUGE(name, help, expr)                                                           \
    do {                                                                                         \
        head(o, name, "gauge", help);                                                            \
        for (size_t i = 0; i < st->nbeacons; i++) {                                              \
            const struct dash_beacon *b = &st->beacon[i];                                        \
            const char *l[] = {"beacon", b->id, NULL};                                           \
            sample(o, name, l, (expr));                                                          \
        }                                                                                        \
    } while (0)
    BEACON_GAUGE("bss_beacon_cpu_ratio", "Beacon process CPU, share of its usable cores.",
                 b->cpu_all_pct / 100);
    BEACON_GAUGE("bss_beacon_cpu_cores", "Beacon process CPU, in cores busy.", b->cpu_pct / 100);
    BEACON_GAUGE("bss_beacon_pool_transactions", "Pre-signed transactions ready.",
                 (double)b->pool);
    BEACON_GAUGE("bss_beacon_in_flight_transactions", "Sent, not yet answered.",
                 (double)b->in_flight);
    BEACON_GAUGE("bss_beacon_resident_memory_bytes", "Beacon process resident memory.",
                 (double)b->rss_bytes);
#undef BEACON_GAUGE

    node_counter(o, st, "bss_node_sent_transactions_total", "Broadcasts sent to the node.",
                 N_OFF(sent));
    node_counter(o, st, "bss_node_accepted_transactions_total", "Broadcasts the node accepted.",
                 N_OFF(accepted));
    node_counter(o, st, "bss_node_rejected_transactions_total", "Broadcasts the node refused.",
                 N_OFF(rejected));
    node_counter(o, st, "bss_node_timed_out_transactions_total",
                 "Broadcasts to the node without an answer in time.", N_OFF(timeouts));
    node_counter(o, st, "bss_node_connection_errors_total",
                 "Connections to the node lost or refused.", N_OFF(conn_errors));
    node_counter(o, st, "bss_node_confirmed_transactions_total",
                 "Broadcasts to the node seen in blocks.", N_OFF(confirmed));
    head(o, "bss_node_answered_transactions_total", "counter",
         "Broadcasts the node answered (accepted or refused).");
    for (size_t i = 0; i < st->nnodes; i++) {
        const char *l[] = {"node", st->node[i].url, NULL};
        sample(o, "bss_node_answered_transactions_total", l,
               (double)(st->node[i].total.accepted + st->node[i].total.rejected));
    }
    head(o, "bss_node_ack_latency_seconds_total", "counter",
         "Sum of the answered broadcasts' ack times (due -> answer).");
    for (size_t i = 0; i < st->nnodes; i++) {
        const char *l[] = {"node", st->node[i].url, NULL};
        sample(o, "bss_node_ack_latency_seconds_total", l,
               (double)st->node[i].total.ack_sum_ns / 1e9);
    }
    node_tel_gauge(o, st, "bss_node_head_block", "The node's head block number.", 0);
    node_tel_gauge(o, st, "bss_node_irreversible_block",
                   "The node's last irreversible block number.", 1);
    node_tel_gauge(o, st, "bss_node_behind_blocks",
                   "Blocks the node's head is behind the highest head of any node.", 2);
    node_tel_gauge(o, st, "bss_node_participation_ratio",
                   "Share of the last 128 block slots filled (recent_slots_filled).", 3);
    node_tel_gauge(o, st, "bss_node_missed_blocks", "The node's recently_missed_count.", 4);
    node_tel_gauge(o, st, "bss_node_block_interval_seconds",
                   "Head block time advance per block at the node's last advance.", 5);
    node_tel_gauge(o, st, "bss_node_block_fill_ratio",
                   "Packed transaction bytes of the latest second's blocks over their maximum.",
                   6);
    node_tel_gauge(o, st, "bss_node_forked",
                   "1 when the node's head block differed from the first node's at that height.",
                   7);
    node_tel_gauge(o, st, "bss_node_stalled",
                   "1 when the node's head did not advance for more than 3 block intervals.", 8);

    bool h = st->have_second;
    gauge1(o, "bss_target_transactions_per_second", "The rate curve's rate (0: unlimited).",
           h ? s->target_rate : 0);
    gauge1(o, "bss_offered_transactions_per_second", "Offered in the latest second.",
           h ? (double)s->c.offered : 0);
    gauge1(o, "bss_sent_transactions_per_second", "Sent in the latest second.",
           h ? (double)s->c.sent : 0);
    gauge1(o, "bss_accepted_transactions_per_second", "Accepted in the latest second.",
           h ? (double)s->c.accepted : 0);
    gauge1(o, "bss_rejected_transactions_per_second", "Refused in the latest second.",
           h ? (double)stats_rejected_total(&s->c) : 0);
    gauge1(o, "bss_confirmed_transactions_per_second", "Confirmed in the latest second.",
           h ? (double)s->c.confirmed : 0);
    gauge1(o, "bss_confirmed_operations_per_second", "Operations confirmed in the latest second.",
           h ? (double)s->c.confirmed_ops : 0);
    gauge1(o, "bss_pool_transactions", "Pre-signed transactions ready, all beacons.",
           h ? (double)s->pool : 0);
    gauge1(o, "bss_in_flight_transactions", "Sent, not yet answered, all beacons.",
           h ? (double)s->in_flight : 0);
    gauge1(o, "bss_unconfirmed_transactions", "Sent or accepted, not yet in a block.",
           h ? (double)s->unconfirmed : 0);

    histogram(o, "bss_ack_latency_seconds", "Due time to the node's answer.", &st->ack);
    histogram(o, "bss_inclusion_latency_seconds", "Due time to being seen in a block.",
              &st->incl);

    phase_gauge(o, st, "bss_phase_window_offered_transactions",
                "Offered in the phase's steady-state window (summary.csv offered_tx).", 0);
    phase_gauge(o, st, "bss_phase_window_confirmed_transactions",
                "Confirmed in the phase's steady-state window (summary.csv confirmed_tx).", 1);
    phase_gauge(o, st, "bss_phase_window_seconds", "The phase's steady-state window length.", 2);
}
