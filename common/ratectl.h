/* ratectl.h - the beacon's open-loop rate controller (after wrk2).
 *
 * The k-th transaction (k = 0, 1, ...) is DUE at t0 + due(k), where due(k)
 * comes from a rate curve and never from how fast earlier transactions went
 * out. The sender asks what is due now, sends it, and reports each send;
 * lateness (actual - due) is recorded in a histogram so a beacon that cannot
 * keep its schedule says so, and every due transaction ends up either sent
 * or dropped (never silently skipped):  offered = sent + dropped + pending.
 *
 * Times: every time argument and result is in nanoseconds as an OFFSET from
 * the schedule start t0 (the caller reads its monotonic clock and subtracts
 * t0). Nothing here reads a clock, allocates after ratectl_new, logs or
 * blocks. A struct ratectl has one owner thread.
 *
 * Exactness: due(k) is computed from k in closed form (no accumulation), so
 * there is no drift however long the run: for a constant rate R, due(k) is
 * the nearest nanosecond to k * 1e9 / R (exactly k * 50000 at 20000 tx/s);
 * for a linear ramp it solves the integral of the rate for the k-th event.
 * Transaction k is due when the integral of the rate since t0 reaches k, so
 * transaction 0 is due at 0 and the number due by time t is
 * floor(integral(t)) + 1 (within the schedule): any window's count is within
 * +-1 of the window's integral. ratectl_count_due is the exact inverse of
 * ratectl_due (both agree on every rounding).
 *
 * Pointer arguments must not be NULL unless stated otherwise.
 */
#ifndef BSS_RATECTL_H
#define BSS_RATECTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hist;

#define RATECTL_MAX_SEGS 128
#define RATECTL_MAX_RATE 1e8                     /* tx/s */
#define RATECTL_MAX_NS (UINT64_C(30) * 86400 * 1000000000) /* 30 days */
#define RATECTL_FOREVER UINT64_MAX               /* open-ended duration */
#define RATECTL_DEFAULT_LATE_NS UINT64_C(1000000) /* 1 ms */

/* One piece of the curve: the rate goes linearly from `from` to `to` tx/s
 * over dur_ns (from == to: constant). Rates are >= 0 and <= RATECTL_MAX_RATE
 * (a 0..0 segment is a pause). dur_ns >= 1; RATECTL_FOREVER is allowed only
 * for a constant, non-zero last segment (run until stopped). The finite
 * segments together last at most RATECTL_MAX_NS. */
struct ratectl_seg {
    double from;
    double to;
    uint64_t dur_ns;
};

/* A rate curve: either segments in order, or unlimited (no schedule: the
 * sender sends whenever fewer than `window` requests are in flight) for
 * unlimited_ns (RATECTL_FOREVER: until stopped). A plain value the caller
 * owns; build it with the functions below or fill it directly (ratectl_new
 * validates it either way). */
struct ratectl_curve {
    bool unlimited;
    uint64_t unlimited_ns;
    size_t nseg;
    struct ratectl_seg seg[RATECTL_MAX_SEGS];
};

/* Empties c (no segments, not unlimited). */
void ratectl_curve_init(struct ratectl_curve *c);

/* Appends a segment (see struct ratectl_seg for the rules). Returns 0, or -1
 * with err naming the problem (bad rate, zero duration, too many segments,
 * appending to an unlimited or open-ended curve, total too long). */
int ratectl_curve_add(struct ratectl_curve *c, double from, double to,
                      uint64_t dur_ns, char *err);

/* Parses a command-line rate form and APPENDS it to c, so forms can be
 * chained (e.g. a ramp and then a constant hold). Numbers are plain decimals
 * ("2000", "0.5"; no sign, exponent or units); seconds allow up to 9
 * decimals and are converted to nanoseconds exactly. Errors name the bad
 * part, e.g. `steps item 2 "2k0x10": rate "2k0" is not a number`.
 *  ratectl_parse_rate:  "R" (R > 0) -> constant R for dur_ns
 *                       (RATECTL_FOREVER: until stopped);
 *                       "unlimited" -> unlimited for dur_ns (c must be
 *                       empty).
 *  ratectl_parse_ramp:  "FROM:TO:SECONDS" -> linear ramp (up or down).
 *  ratectl_parse_steps: "RxS,RxS,..." -> one constant segment per item
 *                       (rate R tx/s for S seconds; R may be 0, a pause).
 * Return 0, or -1 with err; on error c is unchanged. */
int ratectl_parse_rate(struct ratectl_curve *c, const char *text, uint64_t dur_ns,
                       char *err);
int ratectl_parse_ramp(struct ratectl_curve *c, const char *text, char *err);
int ratectl_parse_steps(struct ratectl_curve *c, const char *text, char *err);

struct ratectl_opts {
    /* A due transaction still unsent drop_horizon_ns after its due time is
     * dropped (counted) by ratectl_poll. 0: never drop (send late). */
    uint64_t drop_horizon_ns;
    /* A send with lateness > late_ns counts as late. 0 selects
     * RATECTL_DEFAULT_LATE_NS. */
    uint64_t late_ns;
    /* Maximum requests in flight (sent, not yet reported done). Required
     * (> 0) for an unlimited curve; 0 = no cap for a scheduled curve. */
    uint32_t window;
    /* Interleaved share of the schedule: this controller owns the global
     * transactions share_index, share_index + share_count, ... so that N
     * beacons (or threads) with indices 0..N-1 together offer exactly the
     * curve. share_count 0 or 1: the whole schedule. Indices passed to and
     * returned by the functions below are LOCAL (0, 1, 2, ... within the
     * share). */
    uint32_t share_index;
    uint32_t share_count;
    /* Lateness (ns) of each scheduled send is recorded here; NULL: not
     * recorded. Not owned; see ratectl_set_hist. */
    struct hist *lateness;
};

/* Snapshot of the accounting. offered = sent + dropped + pending always. */
struct ratectl_counters {
    uint64_t offered;   /* due so far (unlimited: taken so far) */
    uint64_t sent;      /* reported by ratectl_on_sent */
    uint64_t late;      /* sent with lateness > late_ns, not held */
    uint64_t held;      /* sent with lateness > late_ns after the receiver held
                         * them back (ratectl_on_sent_held); not in late */
    uint64_t dropped;   /* past the drop horizon, or reported dropped */
    uint64_t pending;   /* due, neither sent nor dropped yet */
    uint64_t in_flight; /* sent minus ratectl_on_done calls */
};

struct ratectl;

/* Validates curve and opts and builds a controller (a copy; curve and opts
 * may be discarded). Returns NULL with err naming the problem (or "out of
 * memory"). Free with ratectl_free (NULL is a no-op). */
struct ratectl *ratectl_new(const struct ratectl_curve *curve,
                            const struct ratectl_opts *opts, char *err);
void ratectl_free(struct ratectl *rc);

/* Schedule queries (pure; local indices). */
bool ratectl_is_unlimited(const struct ratectl *rc);
/* Number of transactions in this share: UINT64_MAX when open-ended or
 * unlimited. */
uint64_t ratectl_total(const struct ratectl *rc);
/* Offset at which the schedule ends (no transaction is due at or after
 * it); RATECTL_FOREVER when open-ended. */
uint64_t ratectl_end_ns(const struct ratectl *rc);
/* Due offset of local transaction k; RATECTL_FOREVER when k >= total.
 * Unlimited: 0 for every k (always due, paced by the window). */
uint64_t ratectl_due(const struct ratectl *rc, uint64_t k);
/* How many local transactions are due by time t: the number of k with
 * due(k) <= t (at most total). Unlimited: UINT64_MAX (everything is due;
 * the window paces and ratectl_poll stops at the end). */
uint64_t ratectl_count_due(const struct ratectl *rc, uint64_t t);
/* Target rate of the WHOLE curve (all shares) at time t, tx/s; 0 after the
 * end; unlimited: 0 (no target). For reports. */
double ratectl_rate_at(const struct ratectl *rc, uint64_t t);

/* ---- the sender's side (mutates rc) ----
 * Typical loop:  n = ratectl_poll(rc, now, &k);
 *                for (i = 0; i < n && have a frame and a connection; i++)
 *                    send(k + i), ratectl_on_sent(rc, k + i, now);
 *                sleep until min(ratectl_next_due(rc), an I/O event);
 * Anything due but not sent stays pending: it is sent late later, or
 * dropped once older than the drop horizon, or by ratectl_drop_pending. */

/* Advances to time now: updates offered, drops pending transactions older
 * than the drop horizon, and returns how many may be sent now (pending,
 * limited by the free window), the first being local index *first.
 * Unlimited: the free window (0 at or after the end). */
uint64_t ratectl_poll(struct ratectl *rc, uint64_t now, uint64_t *first);

/* Due offset of the next transaction not yet sent or dropped (in the past
 * when something is pending; RATECTL_FOREVER when the schedule is
 * exhausted). Unlimited: 0 while the window has room, else RATECTL_FOREVER
 * (wait for ratectl_on_done); the caller checks the end (ratectl_end_ns). */
uint64_t ratectl_next_due(const struct ratectl *rc);

/* Reports that local transaction k was sent at time now. k must be the next
 * pending one (announced by ratectl_poll; sends happen in order). Records
 * lateness = now - due(k) (0 if negative) in the lateness histogram, counts
 * it as late above late_ns, and puts it in flight. Returns the lateness
 * (0 for unlimited), or -1 when k is not the next due transaction (nothing
 * counted). */
int64_t ratectl_on_sent(struct ratectl *rc, uint64_t k, uint64_t now);

/* As ratectl_on_sent, for a send that waited because the RECEIVER held it
 * back (held true: every connection to its node was full or not ready at
 * some time since it was due). A held send later than late_ns counts as
 * held instead of late and its lateness is not recorded in the histogram:
 * the histogram and late describe the sender's own timing, and the wait of
 * a held send shows in its ack time (measured from the due time). held
 * false is exactly ratectl_on_sent. */
int64_t ratectl_on_sent_held(struct ratectl *rc, uint64_t k, uint64_t now, bool held);

/* Reports that the sender gave up on pending transaction k (same order rule
 * as ratectl_on_sent). Returns 0, or -1 when k is not the next pending. */
int ratectl_on_dropped(struct ratectl *rc, uint64_t k);

/* Drops every pending transaction (e.g. at the end of a phase, so that
 * offered == sent + dropped). Returns how many were dropped. */
uint64_t ratectl_drop_pending(struct ratectl *rc);

/* Reports that one in-flight request finished (acknowledged, rejected or
 * timed out), freeing a window slot. Returns 0, or -1 when nothing is in
 * flight. */
int ratectl_on_done(struct ratectl *rc);

/* True when nothing more will become due and nothing is pending (scheduled:
 * every transaction sent or dropped; unlimited: now >= end). */
bool ratectl_finished(const struct ratectl *rc, uint64_t now);

void ratectl_counters(const struct ratectl *rc, struct ratectl_counters *out);

/* Replaces the lateness histogram (e.g. swapping per-second histograms);
 * NULL stops recording. Not owned. */
void ratectl_set_hist(struct ratectl *rc, struct hist *h);

#endif
