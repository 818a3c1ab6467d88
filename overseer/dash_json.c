/* dash_json.c - see dash_json.h. */
#include "dash_json.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static void str(struct sbuf *o, const char *s)
{
    sbuf_add_json_str(o, s, strlen(s));
}

static void num(struct sbuf *o, double v)
{
    if (!isfinite(v))
        sbuf_adds(o, "null");
    else if (v == floor(v) && fabs(v) < 1e15)
        sbuf_addf(o, "%.0f", v);
    else
        sbuf_addf(o, "%.4g", v);
}

/* ns -> ms rounded up to the microsecond (a percentile is never understated). */
static void ms(struct sbuf *o, uint64_t ns, bool have)
{
    if (!have)
        sbuf_adds(o, "null");
    else
        sbuf_addf(o, "%.3f", (double)((ns + 999) / 1000) / 1000.0);
}

void dash_json_point(struct dash_point *p, const struct dash_second *s)
{
    memset(p, 0, sizeof *p);
    p->t = s->t_s;
    p->phase_no = s->phase_no;
    p->verdict = (uint8_t)s->verdict;
    p->offered = (float)s->c.offered;
    p->sent = (float)s->c.sent;
    p->accepted = (float)s->c.accepted;
    p->confirmed = (float)s->c.confirmed;
    p->rejected = (float)stats_rejected_total(&s->c);
    p->failed = (float)(s->c.timeouts + s->c.conn_errors + s->c.dropped);
    p->ack_p50_ms = s->ack_n ? (float)s->ack_p50_ns / 1e6f : -1;
    p->ack_p99_ms = s->ack_n ? (float)s->ack_p99_ns / 1e6f : -1;
    p->incl_p50_ms = s->incl_n ? (float)s->incl_p50_ns / 1e6f : -1;
    p->incl_p99_ms = s->incl_n ? (float)s->incl_p99_ns / 1e6f : -1;
    p->cpu_max_pct = (float)s->cpu_max_pct;
}

/* A node's chain figures for the second (target-node telemetry, issue 16):
 * null when it did not answer; behind is against the highest head any node
 * reported in that second (top). */
static void node_tel(struct sbuf *o, const struct stats_node *n, uint64_t top)
{
    if (n->tel_answers == 0) {
        sbuf_adds(o, ",\"head\":null,\"lib\":null,\"behind\":null,\"participation_pct\":null");
    } else {
        sbuf_addf(o, ",\"head\":%llu,\"lib\":%llu,\"behind\":%llu,\"participation_pct\":%.1f",
                  (unsigned long long)n->head_block, (unsigned long long)n->lib_block,
                  (unsigned long long)(top > n->head_block ? top - n->head_block : 0),
                  n->participation_pct);
    }
    sbuf_addf(o, ",\"forked\":%d,\"stalled\":%d", n->forked > 0, n->stalled > 0);
}

void dash_json_second(struct sbuf *o, const struct dash_second *s, const char *phase,
                      uint32_t ops_per_tx, const struct dash_beacon *beacons, size_t nbeacons,
                      const struct dash_node *nodes, size_t nnodes)
{
    const struct stats_counters *c = &s->c;

    sbuf_addf(o, "{\"type\":\"second\",\"t\":%.3f,\"phase_no\":%u,\"phase\":", s->t_s,
              s->phase_no);
    str(o, phase);
    sbuf_addf(o, ",\"second\":%u,\"beacons\":%u,\"alive\":%u,\"target\":", s->second, s->beacons,
              s->alive);
    num(o, s->target_rate);
    sbuf_addf(o, ",\"offered\":%llu,\"sent\":%llu,\"accepted\":%llu,\"confirmed\":%llu",
              (unsigned long long)c->offered, (unsigned long long)c->sent,
              (unsigned long long)c->accepted, (unsigned long long)c->confirmed);
    sbuf_addf(o, ",\"offered_ops\":%llu,\"sent_ops\":%llu,\"accepted_ops\":%llu,"
              "\"confirmed_ops\":%llu",
              (unsigned long long)(c->offered * (ops_per_tx ? ops_per_tx : 1)),
              (unsigned long long)c->sent_ops, (unsigned long long)c->accepted_ops,
              (unsigned long long)c->confirmed_ops);
    sbuf_adds(o, ",\"rejected\":{");
    for (int k = 0; k < STATS_REJ_COUNT; k++)
        sbuf_addf(o, "%s\"%s\":%llu", k ? "," : "", stats_reject_name((enum stats_reject)k),
                  (unsigned long long)c->rejected[k]);
    sbuf_addf(o, "},\"rejected_total\":%llu,\"timeouts\":%llu,\"conn_errors\":%llu,"
              "\"dropped\":%llu,\"lost\":%llu,\"late\":%llu,\"pool_empty\":%llu",
              (unsigned long long)stats_rejected_total(c), (unsigned long long)c->timeouts,
              (unsigned long long)c->conn_errors, (unsigned long long)c->dropped,
              (unsigned long long)c->lost, (unsigned long long)c->late,
              (unsigned long long)c->pool_empty);
    sbuf_addf(o, ",\"pool\":%llu,\"pool_min\":%llu,\"in_flight\":%llu,\"unconfirmed\":%llu,"
              "\"cpu_max\":",
              (unsigned long long)s->pool, (unsigned long long)s->pool_min,
              (unsigned long long)s->in_flight, (unsigned long long)s->unconfirmed);
    num(o, s->cpu_max_pct);
    sbuf_adds(o, ",\"ack_p50_ms\":");
    ms(o, s->ack_p50_ns, s->ack_n > 0);
    sbuf_adds(o, ",\"ack_p99_ms\":");
    ms(o, s->ack_p99_ns, s->ack_n > 0);
    sbuf_adds(o, ",\"incl_p50_ms\":");
    ms(o, s->incl_p50_ns, s->incl_n > 0);
    sbuf_adds(o, ",\"incl_p99_ms\":");
    ms(o, s->incl_p99_ns, s->incl_n > 0);
    sbuf_addf(o, ",\"verdict\":\"%s\",\"reason\":", stats_verdict_name(s->verdict));
    str(o, s->reason);
    uint64_t top = stats_nodes_top_head(s->node, s->nnodes);
    sbuf_adds(o, ",\"nodes\":[");
    for (uint32_t k = 0; k < s->nnodes; k++) {
        const struct stats_node *n = &s->node[k];
        uint64_t mean = 0;
        bool have = stats_node_ack_mean(n, &mean);
        sbuf_adds(o, k ? ",{\"url\":" : "{\"url\":");
        str(o, k < nnodes ? nodes[k].url : "");
        sbuf_addf(o, ",\"sent\":%llu,\"accepted\":%llu,\"rejected\":%llu,\"timeouts\":%llu,"
                  "\"conn_errors\":%llu,\"confirmed\":%llu,\"ack_mean_ms\":",
                  (unsigned long long)n->sent, (unsigned long long)n->accepted,
                  (unsigned long long)n->rejected, (unsigned long long)n->timeouts,
                  (unsigned long long)n->conn_errors, (unsigned long long)n->confirmed);
        ms(o, mean, have);
        node_tel(o, n, top);
        sbuf_addc(o, '}');
    }
    sbuf_addf(o, "],\"beacons_total\":%zu,\"beacon_list\":[", nbeacons);
    for (size_t i = 0; i < nbeacons && i < DASH_JSON_MAX_BEACONS; i++) {
        const struct dash_beacon *b = &beacons[i];
        sbuf_adds(o, i ? ",{\"id\":" : "{\"id\":");
        str(o, b->id);
        sbuf_adds(o, ",\"host\":");
        str(o, b->host);
        sbuf_addf(o, ",\"alive\":%s,\"cpu\":", b->alive ? "true" : "false");
        num(o, b->cpu_pct);
        sbuf_adds(o, ",\"cpu_all\":");
        num(o, b->cpu_all_pct);
        sbuf_addf(o, ",\"cores\":%u,\"pool\":%llu,\"in_flight\":%llu,\"sent\":%llu,"
                  "\"confirmed\":%llu}",
                  b->cores, (unsigned long long)b->pool, (unsigned long long)b->in_flight,
                  (unsigned long long)b->last_sent, (unsigned long long)b->last_confirmed);
    }
    sbuf_adds(o, "]}");
}

static void phase_fields(struct sbuf *o, const struct dash_phase *p)
{
    sbuf_addf(o, "\"no\":%u,\"name\":", p->no);
    str(o, p->name);
    sbuf_adds(o, ",\"kind\":");
    str(o, p->kind);
    sbuf_addf(o, ",\"start\":%.3f,\"duration\":%.3f,\"ops_per_tx\":%u", p->start_s, p->dur_s,
              p->ops_per_tx);
    if (p->ended) {
        sbuf_addf(o, ",\"end\":%.3f,\"verdict\":\"%s\",\"reason\":", p->end_s,
                  stats_verdict_name(p->verdict));
        str(o, p->reason);
        sbuf_adds(o, ",\"window_s\":");
        num(o, p->window_s);
        sbuf_addf(o, ",\"window_offered\":%llu,\"window_confirmed\":%llu",
                  (unsigned long long)p->window_offered, (unsigned long long)p->window_confirmed);
    }
}

void dash_json_phase(struct sbuf *o, const struct dash_phase *p)
{
    sbuf_addf(o, "{\"type\":\"phase\",\"state\":\"%s\",\"t\":%.3f,", p->ended ? "end" : "start",
              p->ended ? p->end_s : p->start_s);
    phase_fields(o, p);
    sbuf_addc(o, '}');
}

void dash_json_log(struct sbuf *o, double t, const char *text)
{
    sbuf_addf(o, "{\"type\":\"log\",\"t\":%.3f,\"text\":", t);
    str(o, text);
    sbuf_addc(o, '}');
}

void dash_json_beacon(struct sbuf *o, double t, const struct dash_beacon *b, const char *text)
{
    sbuf_addf(o, "{\"type\":\"beacon\",\"t\":%.3f,\"id\":", t);
    str(o, b->id);
    sbuf_adds(o, ",\"host\":");
    str(o, b->host);
    sbuf_addf(o, ",\"alive\":%s,\"text\":", b->alive ? "true" : "false");
    str(o, text);
    sbuf_addc(o, '}');
}

void dash_json_verdict(struct sbuf *o, const struct dash_second *s, enum stats_verdict from)
{
    sbuf_addf(o, "{\"type\":\"verdict\",\"t\":%.3f,\"phase_no\":%u,\"second\":%u,\"from\":\"%s\","
              "\"to\":\"%s\",\"reason\":",
              s->t_s, s->phase_no, s->second, stats_verdict_name(from),
              stats_verdict_name(s->verdict));
    str(o, s->reason);
    sbuf_addc(o, '}');
}

void dash_json_end(struct sbuf *o, double t, const char *result, const char *report)
{
    sbuf_addf(o, "{\"type\":\"end\",\"t\":%.3f,\"result\":", t);
    str(o, result);
    sbuf_adds(o, ",\"report\":");
    if (report != NULL)
        str(o, report);
    else
        sbuf_adds(o, "null");
    sbuf_addc(o, '}');
}

/* One history column: the average (or, with max, the maximum) of each group
 * of `step` points; negative values (none) are skipped. */
static void column(struct sbuf *o, const char *name, const struct dash_point *pts, size_t n,
                   size_t step, size_t off, bool max)
{
    sbuf_addf(o, ",\"%s\":[", name);
    for (size_t i = 0; i < n; i += step) {
        double acc = max ? -1 : 0;
        size_t k = 0;
        for (size_t j = i; j < n && j < i + step; j++) {
            float v;
            memcpy(&v, (const char *)&pts[j] + off, sizeof v);
            if (v < 0)
                continue;
            acc = max ? (v > acc ? v : acc) : acc + v;
            k++;
        }
        if (i)
            sbuf_addc(o, ',');
        if (k == 0)
            sbuf_adds(o, "null");
        else
            num(o, max ? acc : acc / (double)k);
    }
    sbuf_addc(o, ']');
}

void dash_json_history(struct sbuf *o, uint64_t last_id, const struct dash_state *st,
                       const struct dash_point *pts, size_t n, size_t max_points)
{
    size_t step = max_points > 0 && n > max_points ? (n + max_points - 1) / max_points : 1;

    sbuf_addf(o, "{\"last_id\":%llu,\"elapsed\":%.3f,\"result\":", (unsigned long long)last_id,
              st->elapsed_s);
    str(o, st->result);
    sbuf_addf(o, ",\"step\":%zu,\"points\":{\"t\":[", step);
    for (size_t i = 0; i < n; i += step) {
        size_t last = i + step - 1 < n ? i + step - 1 : n - 1;
        sbuf_addf(o, "%s%.3f", i ? "," : "", pts[last].t);
    }
    sbuf_adds(o, "],\"phase_no\":[");
    for (size_t i = 0; i < n; i += step)
        sbuf_addf(o, "%s%u", i ? "," : "", pts[i].phase_no);
    sbuf_adds(o, "],\"verdict\":[");
    for (size_t i = 0; i < n; i += step) {
        uint8_t v = 0; /* the worst in the group: beacon-bound, node-bound, ok */
        for (size_t j = i; j < n && j < i + step; j++)
            if (pts[j].verdict == STATS_BEACON_BOUND ||
                (pts[j].verdict == STATS_NODE_BOUND && v != STATS_BEACON_BOUND))
                v = pts[j].verdict;
        sbuf_addf(o, "%s%u", i ? "," : "", v);
    }
    sbuf_addc(o, ']');
#define COL(f, max) column(o, #f, pts, n, step, offsetof(struct dash_point, f), max)
    COL(offered, false);
    COL(sent, false);
    COL(accepted, false);
    COL(confirmed, false);
    COL(rejected, false);
    COL(failed, false);
    COL(ack_p50_ms, true);
    COL(ack_p99_ms, true);
    COL(incl_p50_ms, true);
    COL(incl_p99_ms, true);
    COL(cpu_max_pct, true);
#undef COL
    {
        struct stats_counters t = {0};
        for (size_t i = 0; i < st->nbeacons; i++) {
            const struct stats_counters *c = &st->beacon[i].c;
            for (int k = 0; k < STATS_REJ_COUNT; k++)
                t.rejected[k] += c->rejected[k];
            t.timeouts += c->timeouts;
            t.conn_errors += c->conn_errors;
            t.dropped += c->dropped;
            t.lost += c->lost;
            t.late += c->late;
        }
        sbuf_adds(o, "},\"totals\":{");
        for (int k = 0; k < STATS_REJ_COUNT; k++)
            sbuf_addf(o, "\"rej_%s\":%llu,", stats_reject_name((enum stats_reject)k),
                      (unsigned long long)t.rejected[k]);
        sbuf_addf(o, "\"timeouts\":%llu,\"conn_errors\":%llu,\"dropped\":%llu,\"lost\":%llu,"
                  "\"late\":%llu",
                  (unsigned long long)t.timeouts, (unsigned long long)t.conn_errors,
                  (unsigned long long)t.dropped, (unsigned long long)t.lost,
                  (unsigned long long)t.late);
    }
    sbuf_adds(o, "},\"phases\":[");
    for (size_t i = 0; i < st->nphases; i++) {
        sbuf_adds(o, i ? ",{" : "{");
        phase_fields(o, &st->phase[i]);
        sbuf_addf(o, ",\"ended\":%s}", st->phase[i].ended ? "true" : "false");
    }
    sbuf_adds(o, "]}");
}

/* Whether s is a number as JSON writes one: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static bool json_number(const char *s)
{
    if (*s == '-')
        s++;
    if (*s == '0')
        s++;
    else if (*s >= '1' && *s <= '9')
        while (*s >= '0' && *s <= '9')
            s++;
    else
        return false;
    if (*s == '.') {
        if (!(*++s >= '0' && *s <= '9'))
            return false;
        while (*s >= '0' && *s <= '9')
            s++;
    }
    if (*s == 'e' || *s == 'E') {
        s++;
        if (*s == '+' || *s == '-')
            s++;
        if (!(*s >= '0' && *s <= '9'))
            return false;
        while (*s >= '0' && *s <= '9')
            s++;
    }
    return *s == '\0';
}

void dash_json_cell(struct sbuf *o, const char *text)
{
    if (*text == '\0')
        sbuf_adds(o, "null");
    else if (json_number(text))
        sbuf_adds(o, text);
    else
        str(o, text);
}
