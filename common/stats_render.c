/* stats_render.c - an interval as text (stats_render_line), as one JSON
 * object (stats_render_json), and a run's totals as a human summary
 * (stats_render_summary, stats_render_nodes); see stats.h. */
#include "stats.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "err.h"

static double interval_s(const struct stats_interval *s)
{
    return s->t1_ns > s->t0_ns ? (double)(s->t1_ns - s->t0_ns) / 1e9 : 0.0;
}

static void add_dur(struct sbuf *out, const struct hist *h, double p)
{
    char buf[24];

    if (hist_count(h) == 0) {
        sbuf_addc(out, '-');
        return;
    }
    stats_fmt_dur(buf, sizeof buf, hist_percentile(h, p));
    sbuf_adds(out, buf);
}

void stats_render_line(struct sbuf *out, const struct stats_interval *s, double elapsed_s,
                       const char *verdict)
{
    const struct stats_counters *c = &s->c;
    double dur = interval_s(s);

    sbuf_addf(out, "%.0fs  offered ", isfinite(elapsed_s) ? elapsed_s : 0.0);
    if (dur > 0)
        sbuf_addf(out, "%.0f/s", (double)c->offered / dur);
    else
        sbuf_add_u64(out, c->offered);
    sbuf_adds(out, " sent ");
    sbuf_add_u64(out, c->sent);
    sbuf_adds(out, " acc ");
    sbuf_add_u64(out, c->accepted);
    sbuf_adds(out, " conf ");
    sbuf_add_u64(out, c->confirmed);
    sbuf_adds(out, " err ");
    sbuf_add_u64(out, stats_rejected_total(c) + c->timeouts + c->conn_errors);
    if (c->held + s->g.held_pending > 0) {
        sbuf_adds(out, " held ");
        sbuf_add_u64(out, c->held + s->g.held_pending);
    }
    if (c->dropped + c->held_dropped > 0) {
        sbuf_adds(out, " drop ");
        sbuf_add_u64(out, c->dropped + c->held_dropped);
    }
    if (c->lost > 0) {
        sbuf_adds(out, " lost ");
        sbuf_add_u64(out, c->lost);
    }
    sbuf_adds(out, " | pool ");
    sbuf_add_u64(out, s->g.pool_level);
    sbuf_addf(out, " cpu %.0f%% host %.0f%% | ack p99 ", s->g.cpu_proc_all_pct, s->g.cpu_host_pct);
    add_dur(out, &s->ack, 99);
    sbuf_adds(out, " incl p99 ");
    add_dur(out, &s->inclusion, 99);
    sbuf_adds(out, " late p99 ");
    add_dur(out, &s->lateness, 99);
    if (verdict != NULL) {
        sbuf_adds(out, " | ");
        sbuf_adds(out, verdict);
    }
}

static void key(struct sbuf *out, const char *k)
{
    sbuf_addc(out, ',');
    sbuf_addc(out, '"');
    sbuf_adds(out, k);
    sbuf_adds(out, "\":");
}

static void kv_u64(struct sbuf *out, const char *k, uint64_t v)
{
    key(out, k);
    sbuf_add_u64(out, v);
}

static void kv_double(struct sbuf *out, const char *k, double v, const char *fmt)
{
    key(out, k);
    if (isfinite(v))
        sbuf_addf(out, fmt, v);
    else
        sbuf_adds(out, "null");
}

static void kv_str(struct sbuf *out, const char *k, const char *v)
{
    key(out, k);
    if (v != NULL)
        sbuf_add_json_str(out, v, strlen(v));
    else
        sbuf_adds(out, "null");
}

/* ns as milliseconds with three decimals, rounded up to the microsecond
 * (percentiles are upper bounds; rounding down would understate them). */
static void add_ms(struct sbuf *out, uint64_t ns)
{
    uint64_t us = ns / 1000 + (ns % 1000 != 0);
    unsigned frac = (unsigned)(us % 1000);

    sbuf_add_u64(out, us / 1000);
    sbuf_addc(out, '.');
    sbuf_addc(out, (char)('0' + frac / 100));
    sbuf_addc(out, (char)('0' + frac / 10 % 10));
    sbuf_addc(out, (char)('0' + frac % 10));
}

static void kv_hist(struct sbuf *out, const char *k, const struct hist *h)
{
    static const struct {
        const char *name;
        double p;
    } pct[] = {{"p50", 50}, {"p90", 90}, {"p99", 99}, {"max", 100}};

    key(out, k);
    sbuf_adds(out, "{\"n\":");
    sbuf_add_u64(out, hist_count(h));
    for (size_t i = 0; i < sizeof pct / sizeof pct[0]; i++) {
        key(out, pct[i].name);
        add_ms(out, hist_percentile(h, pct[i].p));
    }
    sbuf_addc(out, '}');
}

void stats_render_json(struct sbuf *out, const struct stats_interval *s, double elapsed_s,
                       const char *verdict, const char *reason)
{
    const struct stats_counters *c = &s->c;
    const struct stats_gauges *g = &s->g;

    sbuf_adds(out, "{\"seq\":");
    sbuf_add_u64(out, s->seq);
    kv_double(out, "t", elapsed_s, "%.3f");
    kv_double(out, "dur", interval_s(s), "%.3f");
    kv_u64(out, "wall_ms", s->wall_ms);
    kv_u64(out, "offered", c->offered);
    kv_u64(out, "sent", c->sent);
    kv_u64(out, "sent_ops", c->sent_ops);
    kv_u64(out, "accepted", c->accepted);
    kv_u64(out, "accepted_ops", c->accepted_ops);
    key(out, "rejected");
    for (int i = 0; i < STATS_REJ_COUNT; i++) {
        sbuf_adds(out, i == 0 ? "{\"" : ",\"");
        sbuf_adds(out, stats_reject_name((enum stats_reject)i));
        sbuf_adds(out, "\":");
        sbuf_add_u64(out, c->rejected[i]);
    }
    sbuf_addc(out, '}');
    kv_u64(out, "rejected_total", stats_rejected_total(c));
    kv_u64(out, "timeouts", c->timeouts);
    kv_u64(out, "conn_errors", c->conn_errors);
    kv_u64(out, "late", c->late);
    kv_u64(out, "held", c->held);
    kv_u64(out, "dropped", c->dropped);
    kv_u64(out, "held_dropped", c->held_dropped);
    kv_u64(out, "pool_empty", c->pool_empty);
    kv_u64(out, "stale", c->stale);
    kv_u64(out, "late_replies", c->late_replies);
    kv_u64(out, "unknown_replies", c->unknown_replies);
    kv_u64(out, "confirmed", c->confirmed);
    kv_u64(out, "confirmed_ops", c->confirmed_ops);
    kv_u64(out, "lost", c->lost);
    kv_u64(out, "blocks", c->blocks);
    kv_u64(out, "block_txs", c->block_txs);
    kv_u64(out, "block_bytes", c->block_bytes);
    kv_u64(out, "head_block", g->head_block);
    kv_u64(out, "irreversible_block", g->irreversible_block);
    kv_u64(out, "pool", g->pool_level);
    kv_u64(out, "in_flight", g->in_flight);
    kv_u64(out, "unconfirmed", g->unconfirmed);
    kv_u64(out, "pending", g->pending);
    kv_u64(out, "held_pending", g->held_pending);
    kv_u64(out, "conns_ready", g->conns_ready);
    kv_double(out, "target_rate", g->target_rate, "%.3f");
    kv_double(out, "cpu", g->cpu_proc_pct, "%.1f");
    kv_double(out, "cpu_all", g->cpu_proc_all_pct, "%.1f");
    kv_double(out, "cpu_host", g->cpu_host_pct, "%.1f");
    kv_u64(out, "rss_bytes", g->rss_bytes);
    kv_u64(out, "cores", g->cores);
    kv_hist(out, "ack_ms", &s->ack);
    kv_hist(out, "inclusion_ms", &s->inclusion);
    kv_hist(out, "lateness_ms", &s->lateness);
    if (s->nnodes > 0) {
        key(out, "nodes");
        for (uint32_t i = 0; i < s->nnodes && i < STATS_MAX_NODES; i++) {
            const struct stats_node *n = &s->node[i];
            uint64_t mean;
            sbuf_adds(out, i == 0 ? "[{\"sent\":" : ",{\"sent\":");
            sbuf_add_u64(out, n->sent);
            kv_u64(out, "accepted", n->accepted);
            kv_u64(out, "rejected", n->rejected);
            kv_u64(out, "timeouts", n->timeouts);
            kv_u64(out, "conn_errors", n->conn_errors);
            kv_u64(out, "confirmed", n->confirmed);
            key(out, "ack_mean_ms");
            if (stats_node_ack_mean(n, &mean))
                add_ms(out, mean);
            else
                sbuf_adds(out, "null");
            key(out, "ack_max_ms");
            add_ms(out, n->ack_max_ns);
            if (n->tel_answers > 0 || n->max_block_size > 0 || n->stalled > 0) {
                /* Telemetry: the chain figures are null when it did not answer. */
                bool have = n->tel_answers > 0;
                double fill = NAN;
                kv_double(out, "head_block", have ? (double)n->head_block : NAN, "%.0f");
                kv_double(out, "lib_block", have ? (double)n->lib_block : NAN, "%.0f");
                kv_double(out, "participation_pct", have ? n->participation_pct : NAN, "%.1f");
                kv_double(out, "missed_blocks", have ? (double)n->missed_blocks : NAN, "%.0f");
                kv_double(out, "block_interval_s",
                          have && n->block_interval_s > 0 ? n->block_interval_s : NAN, "%.3f");
                kv_u64(out, "blocks", n->tel_blocks);
                kv_u64(out, "block_txs", n->tel_block_txs);
                kv_u64(out, "block_bytes", n->tel_block_bytes);
                stats_node_fill_pct(n, &fill);
                kv_double(out, "block_fill_pct", fill, "%.3f");
                kv_u64(out, "forked", n->forked);
                kv_u64(out, "stalled", n->stalled);
            }
            sbuf_addc(out, '}');
        }
        sbuf_addc(out, ']');
    }
    kv_str(out, "verdict", verdict);
    kv_str(out, "reason", reason);
    sbuf_addc(out, '}');
}

/* ---- summary ---- */

static double per_s(uint64_t n, double seconds)
{
    return seconds > 0 ? (double)n / seconds : 0.0;
}

static double pct_of(uint64_t n, uint64_t of)
{
    return of > 0 ? 100.0 * (double)n / (double)of : 0.0;
}

static void summary_hist(struct sbuf *out, const char *name, const struct hist *h)
{
    sbuf_addf(out, "  %-10s", name);
    if (hist_count(h) == 0) {
        sbuf_adds(out, " none recorded\n");
        return;
    }
    sbuf_adds(out, " p50 ");
    add_dur(out, h, 50);
    sbuf_adds(out, "  p90 ");
    add_dur(out, h, 90);
    sbuf_adds(out, "  p99 ");
    add_dur(out, h, 99);
    sbuf_adds(out, "  p99.9 ");
    add_dur(out, h, 99.9);
    sbuf_adds(out, "  max ");
    add_dur(out, h, 100);
    sbuf_addf(out, "  (%" PRIu64 " values)\n", hist_count(h));
}

void stats_render_summary(struct sbuf *out, const struct stats_interval *total, double seconds)
{
    const struct stats_counters *c = &total->c;
    const struct stats_gauges *g = &total->g;
    uint64_t rej = stats_rejected_total(c);
    bool first = true;
    char err[ERR_LEN];

    if (!isfinite(seconds) || seconds < 0)
        seconds = 0;
    sbuf_addf(out, "summary: %.1f s\n", seconds);
    sbuf_addf(out, "  offered    %" PRIu64 " (%.1f tx/s) = sent %" PRIu64 " + dropped %" PRIu64
              " + given up held %" PRIu64 " + still due %" PRIu64 "\n",
              c->offered, per_s(c->offered, seconds), c->sent, c->dropped, c->held_dropped,
              g->pending);
    sbuf_addf(out, "  sent       %" PRIu64 " (%.1f tx/s, %" PRIu64 " ops) = accepted %" PRIu64
              " + rejected %" PRIu64 " + timeouts %" PRIu64 " + in flight %" PRIu64 "\n",
              c->sent, per_s(c->sent, seconds), c->sent_ops, c->accepted, rej, c->timeouts,
              g->in_flight);
    sbuf_addf(out, "             late %" PRIu64 ", held back by the node %" PRIu64
              ", pool empty %" PRIu64 ", stale discarded %" PRIu64 ", late replies %" PRIu64
              ", unknown replies %" PRIu64 "\n",
              c->late, c->held, c->pool_empty, c->stale, c->late_replies, c->unknown_replies);
    sbuf_addf(out, "  accepted   %" PRIu64 " (%.2f%% of sent, %" PRIu64 " ops) = confirmed %" PRIu64
              " + lost %" PRIu64 " + unconfirmed %" PRIu64 "\n",
              c->accepted, pct_of(c->accepted, c->sent), c->accepted_ops, c->confirmed, c->lost,
              g->unconfirmed);
    sbuf_addf(out, "  confirmed  %" PRIu64 " (%.1f tx/s, %.1f ops/s, %.2f%% of accepted), lost %" PRIu64
              "\n",
              c->confirmed, per_s(c->confirmed, seconds), per_s(c->confirmed_ops, seconds),
              pct_of(c->confirmed, c->accepted), c->lost);
    sbuf_addf(out, "  rejected   %" PRIu64, rej);
    for (int i = 0; i < STATS_REJ_COUNT; i++) {
        if (c->rejected[i] > 0) {
            sbuf_addf(out, "%s%s %" PRIu64, first ? ": " : ", ", stats_reject_name((enum stats_reject)i), c->rejected[i]);
            first = false;
        }
    }
    sbuf_addf(out, "\n  errors     %" PRIu64 " timeouts, %" PRIu64 " connection errors\n",
              c->timeouts, c->conn_errors);
    sbuf_addf(out, "  blocks     %" PRIu64 " (%" PRIu64 " transactions, %" PRIu64 " bytes)\n",
              c->blocks, c->block_txs, c->block_bytes);
    if (stats_invariant_check(total, err) == 0)
        sbuf_adds(out, "  ledger     balanced (every transaction counted once)\n");
    else
        sbuf_addf(out, "  ledger     UNBALANCED: %s\n", err);
    summary_hist(out, "ack", &total->ack);
    summary_hist(out, "inclusion", &total->inclusion);
    summary_hist(out, "lateness", &total->lateness);
    sbuf_addf(out, "  at the end: head block %" PRIu64 ", irreversible %" PRIu64 ", pool %" PRIu64
              ", cpu %.0f%% of %u cores (%.0f%% of one), host %.0f%%, rss %.1f MiB\n",
              g->head_block, g->irreversible_block, g->pool_level, g->cpu_proc_all_pct,
              (unsigned)g->cores, g->cpu_proc_pct, g->cpu_host_pct,
              (double)g->rss_bytes / (1024.0 * 1024.0));
}

void stats_render_nodes(struct sbuf *out, const struct stats_interval *total, double seconds,
                        const char *const *names)
{
    if (total->nnodes == 0)
        return;
    if (!isfinite(seconds) || seconds < 0)
        seconds = 0;
    sbuf_adds(out, "  per node (sent / accepted / rejected / timeouts / connection errors / "
              "confirmed, ack mean and max):\n");
    for (uint32_t i = 0; i < total->nnodes && i < STATS_MAX_NODES; i++) {
        const struct stats_node *n = &total->node[i];
        uint64_t mean;
        if (names != NULL)
            sbuf_addf(out, "    %s\n      ", names[i]);
        else
            sbuf_addf(out, "    node %u: ", (unsigned)i + 1);
        sbuf_addf(out, "%" PRIu64 " (%.1f tx/s) / %" PRIu64 " / %" PRIu64 " / %" PRIu64
                  " / %" PRIu64 " / %" PRIu64 " (%.1f tx/s), ack ",
                  n->sent, per_s(n->sent, seconds), n->accepted, n->rejected, n->timeouts,
                  n->conn_errors, n->confirmed, per_s(n->confirmed, seconds));
        if (stats_node_ack_mean(n, &mean)) {
            add_ms(out, mean);
            sbuf_adds(out, " ms, max ");
            add_ms(out, n->ack_max_ns);
            sbuf_adds(out, " ms\n");
        } else {
            sbuf_adds(out, "- (no answers)\n");
        }
    }
}
