/* stats.c - the counters of an interval: initialising, merging (stats_merge),
 * per-node acks and telemetry, and the ledger check; see stats.h. Judging is
 * in stats_verdict.c, rendering in stats_render.c. */
#include "stats.h"

#include <inttypes.h>
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

uint64_t stats_nodes_top_head(const struct stats_node *nodes, size_t n)
{
    uint64_t top = 0;

    for (size_t i = 0; i < n; i++)
        if (nodes[i].tel_answers > 0 && nodes[i].head_block > top)
            top = nodes[i].head_block;
    return top;
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
