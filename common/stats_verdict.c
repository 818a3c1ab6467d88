/* stats_verdict.c - the verdict rules (stats_verdict, stats.h): whether an
 * interval shows this beacon unable to keep its schedule (beacon-bound), the
 * network not keeping up with a healthy beacon (node-bound), or neither.
 * Kept apart from the counters (stats.c): the rules are the product's
 * judgement and change on their own. */
#include "stats.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* A count of held or unsent transactions below this is noise: one due
 * just before the interval ended, one held for a millisecond while a
 * connection registered. */
static uint64_t noise(const struct stats_counters *c)
{
    return 2 + c->offered / 100;
}

/* A backlog of due transactions below this is the sending thread's timing,
 * not a verdict: 2 + 100 ms of the window's offered rate (a busy shared
 * host delays the thread by tens of ms, and an interval can end just
 * before a send). */
static uint64_t lag_noise(const struct stats_interval *s)
{
    double secs = s->t1_ns > s->t0_ns ? (double)(s->t1_ns - s->t0_ns) / 1e9 : 1.0;

    return 2 + (uint64_t)((double)s->c.offered / secs * 0.1);
}

/* Due in the window but neither sent nor given up (negative when the
 * window caught up on an earlier backlog). */
static int64_t unsent(const struct stats_counters *c)
{
    return (int64_t)c->offered - (int64_t)(c->sent + c->dropped + c->held_dropped);
}

/* The beacon's own evidence: hard (CPU, empty pool, own drops) when soft is
 * false, else soft (own lateness growing, due left unsent with room: also
 * what a host busy with other work, or a burst of the node's error replies,
 * does to a sending thread for a moment). */
static enum stats_verdict beacon_bound(const struct stats_interval *s,
                                       const struct stats_interval *prev, uint64_t late_ns,
                                       bool soft, char reason[96])
{
    const struct stats_counters *c = &s->c;
    int64_t short_by = unsent(c);

    if (soft)
        goto soft;
    if (s->g.cpu_proc_all_pct >= STATS_CPU_BOUND_PCT) {
        snprintf(reason, 96, "process CPU %.0f%% of usable cores", s->g.cpu_proc_all_pct);
        return STATS_BEACON_BOUND;
    }
    if (c->pool_empty > 0) {
        snprintf(reason, 96, "%" PRIu64 " due found the pre-sign pool empty", c->pool_empty);
        return STATS_BEACON_BOUND;
    }
    if (c->dropped > 0) {
        snprintf(reason, 96, "%" PRIu64 " due dropped while connections had room", c->dropped);
        return STATS_BEACON_BOUND;
    }
    return STATS_OK;
soft:
    if (prev != NULL && hist_count(&s->lateness) > 0 && hist_count(&prev->lateness) > 0) {
        uint64_t now = hist_percentile(&s->lateness, 99), was = hist_percentile(&prev->lateness, 99);
        /* A beacon that falls behind adds a large part of every interval
         * to its lateness; scheduling delays on a shared machine (tens of
         * milliseconds) do not double p99 past a hundred thresholds. */
        if (now > STATS_LATE_GROWTH * late_ns && now > 2 * was + late_ns) {
            char a[24], b[24];
            stats_fmt_dur(a, sizeof a, now);
            stats_fmt_dur(b, sizeof b, was);
            snprintf(reason, 96, "p99 lateness %s, up from %s, connections with room", a, b);
            return STATS_BEACON_BOUND;
        }
    }
    if (short_by > (int64_t)lag_noise(s) && s->g.pending > s->g.held_pending + lag_noise(s)) {
        snprintf(reason, 96, "%" PRIu64 " due unsent while connections had room",
                 s->g.pending - s->g.held_pending);
        return STATS_BEACON_BOUND;
    }
    return STATS_OK;
}

/* The node-bound reason: items of evidence joined with ", " while they fit. */
struct because {
    char *buf;
    size_t len;
    int n;
};

static void because_add(struct because *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void because_add(struct because *b, const char *fmt, ...)
{
    char item[96];
    va_list ap;
    size_t n;

    va_start(ap, fmt);
    vsnprintf(item, sizeof item, fmt, ap);
    va_end(ap);
    n = strlen(item);
    if (b->len + (b->n > 0 ? 2 : 0) + n >= 96) {
        b->n++; /* counted: the verdict stands even when its reason is full */
        return;
    }
    if (b->len > 0) {
        memcpy(b->buf + b->len, ", ", 2);
        b->len += 2;
    }
    memcpy(b->buf + b->len, item, n + 1);
    b->len += n;
    b->n++;
}

/* *hard: the evidence includes a definite act of the node (held back,
 * connection lost, no answer, refused, lost), not only trends. */
static enum stats_verdict node_bound(const struct stats_interval *s,
                                     const struct stats_interval *prev, bool *hard,
                                     char reason[96])
{
    const struct stats_counters *c = &s->c;
    uint64_t blocks = c->blocks, acc = c->accepted, conf = c->confirmed, rej = stats_rejected_total(c);
    uint64_t ack99 = hist_count(&s->ack) > 0 ? hist_percentile(&s->ack, 99) : 0;
    uint64_t was99 = prev != NULL && hist_count(&prev->ack) > 0 ? hist_percentile(&prev->ack, 99)
                                                                 : 0;
    struct because b = {reason, 0, 0};
    bool ack_named = false;
    char d1[24], d2[24];
    int64_t short_by = unsent(c);

    reason[0] = '\0';
    if (c->held_dropped > 0)
        because_add(&b, "%" PRIu64 " due given up, held back by the node", c->held_dropped);
    if (c->held + s->g.held_pending > noise(c))
        because_add(&b, "%" PRIu64 " due held %s", c->held + s->g.held_pending,
                    prev == NULL           ? "back by the node"
                    : s->g.conns_ready > 0 ? "by full windows"
                                           : "(node not connected or not ready)");
    if (c->conn_errors > 0)
        because_add(&b, "%" PRIu64 " connection error%s", c->conn_errors,
                    c->conn_errors > 1 ? "s" : "");
    if (c->timeouts > 0)
        because_add(&b, "%" PRIu64 " acks timed out", c->timeouts);
    if (rej > 0) {
        int top = 0;
        for (int i = 1; i < STATS_REJ_COUNT; i++)
            if (c->rejected[i] > c->rejected[top])
                top = i;
        because_add(&b, "%" PRIu64 " rejected (%s %" PRIu64 ")", rej, stats_reject_name((enum stats_reject)top),
                    c->rejected[top]);
    }
    if (short_by > (int64_t)lag_noise(s))
        because_add(&b, "sent %" PRIu64 " of %" PRIu64 " due", c->sent, c->offered);
    if (c->lost > 0)
        because_add(&b, "%" PRIu64 " accepted but expired unconfirmed", c->lost);
    *hard = c->held_dropped > 0 || c->held + s->g.held_pending > noise(c) || c->conn_errors > 0 ||
            c->timeouts > 0 || rej > 0 || c->lost > 0;
    if (was99 > 0 && ack99 >= STATS_ACK_RISE_NS && ack99 > was99 + STATS_ACK_RISE_STEP_NS) {
        stats_fmt_dur(d1, sizeof d1, ack99);
        stats_fmt_dur(d2, sizeof d2, was99);
        because_add(&b, "ack p99 %s rising from %s", d1, d2);
        ack_named = true;
    }
    /* In flight growing by a quarter of the sends; or by a twentieth while
     * the acks are slow and getting slower (a node applying 3,500 of 4,000
     * tx/s a second grows both a little every second: 500 more unanswered,
     * +0.14 s of ack; a node keeping up at 2,000 tx/s with acks of 100-200 ms
     * jitters by as much in flight, but its acks are not past the floor). */
    if (prev != NULL && s->g.in_flight > prev->g.in_flight + 100 &&
        (s->g.in_flight > prev->g.in_flight + c->sent / 4 ||
         (s->g.in_flight > prev->g.in_flight + c->sent / 20 && ack99 >= STATS_ACK_SLOW_NS &&
          ack99 > was99)))
        because_add(&b, "in flight %" PRIu64 ", up from %" PRIu64, s->g.in_flight,
                    prev->g.in_flight);
    if (prev != NULL) {
        blocks += prev->c.blocks;
        acc += prev->c.accepted;
        conf += prev->c.confirmed;
    }
    /* A node that falls behind grows its backlog every interval by what it
     * cannot take; one that keeps up (even on a ramp, or with a new tracker
     * that missed a block) grows it by far less than a quarter of what the
     * interval brought. */
    bool growing = prev == NULL || (double)s->g.unconfirmed >
                                       (double)prev->g.unconfirmed + 0.25 * (double)c->accepted;
    if (growing && blocks > 0 && acc >= STATS_CONFIRM_MIN_TX &&
        (double)conf < STATS_CONFIRM_RATIO * (double)acc &&
        (double)s->g.unconfirmed > 2.0 * (double)acc / (double)blocks)
        because_add(&b, "confirmed %.0f%% of accepted, %" PRIu64 " waiting",
                    100.0 * (double)conf / (double)acc, s->g.unconfirmed);
    if (b.n == 0)
        return STATS_OK;
    if (!ack_named && ack99 >= STATS_ACK_NOTE_NS) {
        stats_fmt_dur(d1, sizeof d1, ack99);
        because_add(&b, "ack p99 %s%s", d1, ack99 > was99 && was99 > 0 ? " rising" : "");
    }
    return STATS_NODE_BOUND;
}

enum stats_verdict stats_verdict(const struct stats_interval *s, const struct stats_interval *prev,
                                 uint64_t late_ns, char reason[96])
{
    enum stats_verdict v;
    bool hard = false;
    enum stats_verdict n;

    if (late_ns == 0)
        late_ns = STATS_DEFAULT_LATE_NS;
    /* Hard beacon evidence, hard node evidence, soft beacon evidence, soft
     * node evidence: a thread that was late while the node refused or held
     * everything back is not why the node did so. */
    v = beacon_bound(s, prev, late_ns, false, reason);
    if (v != STATS_OK)
        return v;
    n = node_bound(s, prev, &hard, reason);
    if (n != STATS_OK && hard)
        return n;
    v = beacon_bound(s, prev, late_ns, true, reason);
    if (v != STATS_OK)
        return v;
    if (n != STATS_OK)
        return n; /* reason: node_bound's (the soft check wrote none) */
    snprintf(reason, 96, "%s", s->c.offered == 0 && s->c.sent == 0 ? "idle" : "keeping up");
    return STATS_OK;
}

