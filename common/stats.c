/* stats.c - see stats.h. */
#include "stats.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "err.h"

static const char *const reject_names[STATS_REJ_COUNT] = {
    [STATS_REJ_DUPLICATE] = "duplicate",
    [STATS_REJ_EXPIRED] = "expired",
    [STATS_REJ_TAPOS] = "tapos",
    [STATS_REJ_FEE] = "fee",
    [STATS_REJ_MISSING_SIG] = "missing_sig",
    [STATS_REJ_IRRELEVANT_SIG] = "irrelevant_sig",
    [STATS_REJ_SIZE] = "size",
    [STATS_REJ_BALANCE] = "balance",
    [STATS_REJ_BUSY] = "busy",
    [STATS_REJ_OTHER] = "other",
};

const char *stats_reject_name(enum stats_reject r)
{
    return (unsigned)r < STATS_REJ_COUNT ? reject_names[r] : "unknown";
}

const char *stats_verdict_name(enum stats_verdict v)
{
    switch (v) {
    case STATS_OK:
        return "ok";
    case STATS_BEACON_BOUND:
        return "beacon-bound";
    case STATS_NODE_BOUND:
        return "node-bound";
    }
    return "unknown";
}

void stats_init(struct stats_interval *s)
{
    s->seq = 0;
    s->t0_ns = 0;
    s->t1_ns = 0;
    s->wall_ms = 0;
    memset(&s->c, 0, sizeof s->c);
    memset(&s->g, 0, sizeof s->g);
    hist_init(&s->ack);
    hist_init(&s->inclusion);
    hist_init(&s->lateness);
    s->nnodes = 0;
    memset(s->node, 0, sizeof s->node);
}

static uint64_t max_u64(uint64_t a, uint64_t b)
{
    return a > b ? a : b;
}

static double max_d(double a, double b)
{
    return a > b ? a : b;
}

static void add_counters(struct stats_counters *d, const struct stats_counters *s)
{
    d->offered += s->offered;
    d->sent += s->sent;
    d->sent_ops += s->sent_ops;
    d->accepted += s->accepted;
    d->accepted_ops += s->accepted_ops;
    for (int i = 0; i < STATS_REJ_COUNT; i++)
        d->rejected[i] += s->rejected[i];
    d->timeouts += s->timeouts;
    d->conn_errors += s->conn_errors;
    d->late += s->late;
    d->held += s->held;
    d->dropped += s->dropped;
    d->held_dropped += s->held_dropped;
    d->pool_empty += s->pool_empty;
    d->stale += s->stale;
    d->late_replies += s->late_replies;
    d->unknown_replies += s->unknown_replies;
    d->confirmed += s->confirmed;
    d->confirmed_ops += s->confirmed_ops;
    d->lost += s->lost;
    d->blocks += s->blocks;
    d->block_txs += s->block_txs;
    d->block_bytes += s->block_bytes;
}

/* Parts of one moment: quantities spread over the parts add; per-process
 * or per-chain figures take the worst (largest) part. */
static void combine_gauges(struct stats_gauges *d, const struct stats_gauges *s)
{
    d->head_block = max_u64(d->head_block, s->head_block);
    d->irreversible_block = max_u64(d->irreversible_block, s->irreversible_block);
    d->pool_level += s->pool_level;
    d->in_flight += s->in_flight;
    d->unconfirmed += s->unconfirmed;
    d->pending += s->pending;
    d->held_pending += s->held_pending;
    d->conns_ready += s->conns_ready;
    d->target_rate = max_d(d->target_rate, s->target_rate);
    d->cpu_proc_pct = max_d(d->cpu_proc_pct, s->cpu_proc_pct);
    d->cpu_proc_all_pct = max_d(d->cpu_proc_all_pct, s->cpu_proc_all_pct);
    d->cpu_host_pct = max_d(d->cpu_host_pct, s->cpu_host_pct);
    d->rss_bytes += s->rss_bytes;
    d->cores = d->cores > s->cores ? d->cores : s->cores;
}

/* The 128-bit ack sum: sums over hours and hundreds of beacons pass 2^64 ns. */
static void ack_sum_add(struct stats_node *n, uint64_t lo, uint64_t hi)
{
    uint64_t was = n->ack_sum_ns;

    n->ack_sum_ns += lo;
    n->ack_sum_hi += hi + (n->ack_sum_ns < was);
}

void stats_node_ack(struct stats_node *n, uint64_t ack_ns)
{
    ack_sum_add(n, ack_ns, 0);
    if (ack_ns > n->ack_max_ns)
        n->ack_max_ns = ack_ns;
}

bool stats_node_ack_mean(const struct stats_node *n, uint64_t *mean_ns)
{
    uint64_t answered = n->accepted + n->rejected;
    double mean;

    if (answered == 0)
        return false;
    if (n->ack_sum_hi == 0) {
        *mean_ns = n->ack_sum_ns / answered;
        return true;
    }
    /* Past 2^64 ns a double's 53 bits are far finer than a nanosecond
     * matters (portable: no __int128, as hist.c). */
    mean = ((double)n->ack_sum_hi * 18446744073709551616.0 + (double)n->ack_sum_ns) /
           (double)answered;
    *mean_ns = mean >= 18446744073709551615.0 ? UINT64_MAX : (uint64_t)mean;
    return true;
}

/* Telemetry merge; rel: 0 parts of one interval, 1 src later, -1 src
 * older (counts add, dst keeps its gauges). */
static void tel_merge(struct stats_node *a, const struct stats_node *b, int rel)
{
    if (rel == 0) {
        if (b->tel_answers > 0 && a->tel_answers == 0) {
            a->head_block = b->head_block;
            a->lib_block = b->lib_block;
            a->participation_pct = b->participation_pct;
            a->missed_blocks = b->missed_blocks;
            a->block_interval_s = b->block_interval_s;
        } else if (b->tel_answers > 0) {
            a->head_block = max_u64(a->head_block, b->head_block);
            a->lib_block = a->lib_block < b->lib_block ? a->lib_block : b->lib_block;
            if (b->participation_pct < a->participation_pct)
                a->participation_pct = b->participation_pct;
            a->missed_blocks = max_u64(a->missed_blocks, b->missed_blocks);
            if (b->block_interval_s > a->block_interval_s)
                a->block_interval_s = b->block_interval_s;
        }
        a->tel_answers = max_u64(a->tel_answers, b->tel_answers);
        a->tel_blocks = max_u64(a->tel_blocks, b->tel_blocks);
        a->tel_block_txs = max_u64(a->tel_block_txs, b->tel_block_txs);
        a->tel_block_bytes = max_u64(a->tel_block_bytes, b->tel_block_bytes);
        a->forked = max_u64(a->forked, b->forked);
        a->stalled = max_u64(a->stalled, b->stalled);
    } else {
        if (rel > 0 && b->tel_answers > 0) {
            a->head_block = b->head_block;
            a->lib_block = b->lib_block;
            a->participation_pct = b->participation_pct;
            a->missed_blocks = b->missed_blocks;
            a->block_interval_s = b->block_interval_s;
        }
        a->tel_answers += b->tel_answers;
        a->tel_blocks += b->tel_blocks;
        a->tel_block_txs += b->tel_block_txs;
        a->tel_block_bytes += b->tel_block_bytes;
        a->forked += b->forked;
        a->stalled += b->stalled;
    }
    a->max_block_size = max_u64(a->max_block_size, b->max_block_size);
}

void stats_node_tel_merge(struct stats_node *dst, const struct stats_node *src, bool same)
{
    tel_merge(dst, src, same ? 0 : 1);
}

bool stats_node_fill_pct(const struct stats_node *n, double *pct)
{
    if (n->tel_blocks == 0 || n->max_block_size == 0)
        return false;
    *pct = 100.0 * (double)n->tel_block_bytes / ((double)n->tel_blocks * (double)n->max_block_size);
    return true;
}

static void add_nodes(struct stats_interval *d, const struct stats_interval *s)
{
    uint32_t n = s->nnodes < STATS_MAX_NODES ? s->nnodes : STATS_MAX_NODES;
    int rel = s->seq == d->seq ? 0 : s->seq > d->seq ? 1 : -1;

    for (uint32_t i = 0; i < n; i++) {
        struct stats_node *a = &d->node[i];
        const struct stats_node *b = &s->node[i];
        a->sent += b->sent;
        a->accepted += b->accepted;
        a->rejected += b->rejected;
        a->timeouts += b->timeouts;
        a->conn_errors += b->conn_errors;
        a->confirmed += b->confirmed;
        ack_sum_add(a, b->ack_sum_ns, b->ack_sum_hi);
        a->ack_max_ns = max_u64(a->ack_max_ns, b->ack_max_ns);
        tel_merge(a, b, rel);
    }
    if (n > d->nnodes)
        d->nnodes = n;
}

void stats_merge(struct stats_interval *dst, const struct stats_interval *src)
{
    add_counters(&dst->c, &src->c);
    add_nodes(dst, src);
    hist_merge(&dst->ack, &src->ack);
    hist_merge(&dst->inclusion, &src->inclusion);
    hist_merge(&dst->lateness, &src->lateness);
    if (src->t1_ns != 0) {
        if (dst->t1_ns == 0) {
            dst->t0_ns = src->t0_ns;
            dst->t1_ns = src->t1_ns;
        } else {
            if (src->t0_ns < dst->t0_ns)
                dst->t0_ns = src->t0_ns;
            if (src->t1_ns > dst->t1_ns)
                dst->t1_ns = src->t1_ns;
        }
    }
    dst->wall_ms = max_u64(dst->wall_ms, src->wall_ms);
    if (src->seq == dst->seq) {
        combine_gauges(&dst->g, &src->g);
    } else if (src->seq > dst->seq) {
        dst->g = src->g;
        dst->seq = src->seq;
    }
}

uint64_t stats_rejected_total(const struct stats_counters *c)
{
    uint64_t n = 0;

    for (int i = 0; i < STATS_REJ_COUNT; i++)
        n += c->rejected[i];
    return n;
}

/* Human duration into buf: three significant digits, ns/µs/ms/s. */
void stats_fmt_dur(char *buf, size_t cap, uint64_t ns)
{
    static const char *const unit[] = {"ms", "s"};
    double v;
    int u;

    if (ns < 1000) {
        snprintf(buf, cap, "%" PRIu64 "ns", ns);
        return;
    }
    if (ns < 1000000) {
        v = (double)ns / 1e3;
        snprintf(buf, cap, v < 10 ? "%.2fµs" : v < 100 ? "%.1fµs" : "%.0fµs", v);
        return;
    }
    u = ns < UINT64_C(1000000000) ? 0 : 1;
    v = (double)ns / (u == 0 ? 1e6 : 1e9);
    snprintf(buf, cap, v < 10 ? "%.2f%s" : v < 100 ? "%.1f%s" : "%.0f%s", v, unit[u]);
}

int stats_invariant_check(const struct stats_interval *total, char *err)
{
    const struct stats_counters *c = &total->c;
    const struct stats_gauges *g = &total->g;
    uint64_t rej = stats_rejected_total(c);

    if (c->offered != c->sent + c->dropped + c->held_dropped + g->pending)
        return err_set(err, "ledger: offered %" PRIu64 " != sent %" PRIu64 " + dropped %" PRIu64
                       " + held_dropped %" PRIu64 " + pending %" PRIu64,
                       c->offered, c->sent, c->dropped, c->held_dropped, g->pending);
    if (c->sent != c->accepted + rej + c->timeouts + g->in_flight)
        return err_set(err, "ledger: sent %" PRIu64 " != accepted %" PRIu64 " + rejected %" PRIu64
                       " + timeouts %" PRIu64 " + in_flight %" PRIu64,
                       c->sent, c->accepted, rej, c->timeouts, g->in_flight);
    if (c->accepted != c->confirmed + c->lost + g->unconfirmed)
        return err_set(err, "ledger: accepted %" PRIu64 " != confirmed %" PRIu64 " + lost %" PRIu64
                       " + unconfirmed %" PRIu64,
                       c->accepted, c->confirmed, c->lost, g->unconfirmed);
    return 0;
}

/* ---- rendering ---- */

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
        sbuf_adds(out, reject_names[i]);
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
            sbuf_addf(out, "%s%s %" PRIu64, first ? ": " : ", ", reject_names[i], c->rejected[i]);
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
