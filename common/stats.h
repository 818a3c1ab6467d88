/* stats.h - what a beacon measures, per interval (normally one second) and
 * in total, and how it is shown: one human line, one JSON line, a final
 * summary, and a bottleneck verdict.
 *
 * Threads: each thread that counts (the network thread for sending and
 * acks, the tracker thread for confirmations) owns its own struct
 * stats_interval and hands a finished interval over by value; intervals
 * are merged with stats_merge (exact: counters add, histograms merge
 * bucket-wise). Nothing here locks or allocates per transaction; rendering
 * (once per interval) writes into a caller's sbuf.
 *
 * A struct stats_interval holds three histograms (about 110 KiB): keep it
 * static, on the heap or in a long-lived struct, not in a small stack.
 * Pointer arguments must not be NULL unless stated otherwise. */
#ifndef BSS_STATS_H
#define BSS_STATS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "hist.h"
#include "sbuf.h"

/* Why the node refused a broadcast, from its error code and name (see
 * reply_classify in reply.h for the exact mapping). */
enum stats_reject {
    STATS_REJ_DUPLICATE,      /* 3030001 duplicate_transaction */
    STATS_REJ_EXPIRED,        /* trx.expiration outside [now, now + max] */
    STATS_REJ_TAPOS,          /* ref_block_prefix does not match */
    STATS_REJ_FEE,            /* 4010007 insufficient_fee */
    STATS_REJ_MISSING_SIG,    /* 4010001..4010003 missing authority */
    STATS_REJ_IRRELEVANT_SIG, /* 4010004 irrelevant, 4010005 duplicate signature */
    STATS_REJ_SIZE,           /* transaction too large */
    STATS_REJ_BALANCE,        /* insufficient balance */
    STATS_REJ_BUSY,           /* node refused for load (devnode's queue bound) */
    STATS_REJ_OTHER,
    STATS_REJ_COUNT
};

/* Short stable names ("duplicate", "expired", "tapos", "fee", "missing_sig",
 * "irrelevant_sig", "size", "balance", "busy", "other") used in JSON and CSV;
 * "unknown" for a value out of range. */
const char *stats_reject_name(enum stats_reject r);

struct stats_counters {
    uint64_t offered;       /* due by the rate curve */
    uint64_t sent;          /* broadcasts written to a connection */
    uint64_t sent_ops;
    uint64_t accepted;      /* the node answered without error */
    uint64_t accepted_ops;
    uint64_t rejected[STATS_REJ_COUNT];
    uint64_t timeouts;      /* no answer within the ack timeout */
    uint64_t conn_errors;   /* connections lost or refused */
    uint64_t late;          /* sent more than the late threshold after due while
                             * their node had room: the beacon's own lateness */
    uint64_t held;          /* sent more than the late threshold after due because
                             * their node held them back (every connection to it
                             * at its window, not connected or not ready at some
                             * time since they were due); not in late */
    uint64_t dropped;       /* due, given up past the drop horizon (or at the
                             * end) while their node had room: the beacon's own */
    uint64_t held_dropped;  /* due, given up while their node held them back */
    uint64_t pool_empty;    /* due transactions that found a connection with room
                             * but no pre-signed transaction (each counted once);
                             * at an unlimited rate, window slots found so while the
                             * node had at most one of ours per connection to work
                             * on (beacon/send.c send_unlimited_hungry) */
    uint64_t stale;         /* pre-signed transactions discarded unsent as too
                             * close to their expiration (not offered: no term of
                             * the ledger) */
    uint64_t late_replies;  /* answers that came after their request had timed
                             * out (ignored: the request stays a timeout) */
    uint64_t unknown_replies; /* answers with id 0 or an id never sent on that
                             * connection (ignored) */
    uint64_t confirmed;     /* accepted transactions seen in blocks */
    uint64_t confirmed_ops;
    uint64_t lost;          /* accepted, but expired without inclusion */
    uint64_t blocks;        /* blocks seen */
    uint64_t block_txs;     /* transactions in those blocks (anyone's) */
    uint64_t block_bytes;   /* packed size of those blocks' transactions */
};

/* Gauges: values at the end of the interval (see stats_merge). */
struct stats_gauges {
    uint64_t head_block;
    uint64_t irreversible_block;
    uint64_t pool_level;       /* pre-signed transactions ready */
    uint64_t in_flight;        /* sent, not answered and not timed out */
    uint64_t unconfirmed;      /* accepted, not yet confirmed or lost */
    uint64_t pending;          /* due, neither sent nor given up */
    uint64_t held_pending;     /* of pending: owed to a node that holds them back */
    uint64_t conns_ready;      /* sending connections open and registered */
    double target_rate;        /* tx/s the whole curve asks for now (0: unlimited);
                                * ratectl_rate_at, the same for every beacon */
    double cpu_proc_pct;       /* beacon process, % of one core (may exceed 100) */
    double cpu_proc_all_pct;   /* beacon process, % of the cores it may run on
                                * (procstat_rates.proc_usable_pct, 0..100) */
    double cpu_host_pct;       /* whole host, % of all cores */
    uint64_t rss_bytes;
    uint32_t cores;            /* cores the process may run on */
};

/* Nodes a beacon sends to, at most (engine and proto use the same bound). */
#define STATS_MAX_NODES 64

/* One target node's part of an interval: the broadcasts the beacon wrote to
 * that node and what became of them. Indexed by the node's position in the
 * beacon's node list (the overseer gives every beacon the same list). */
struct stats_node {
    uint64_t sent;
    uint64_t accepted;
    uint64_t rejected;     /* every category */
    uint64_t timeouts;     /* includes requests lost with a connection */
    uint64_t conn_errors;
    uint64_t confirmed;    /* sent to this node and seen in a block */
    uint64_t ack_sum_ns;   /* answered requests (accepted + rejected): due -> answer,
                            * low 64 bits of the sum */
    uint64_t ack_max_ns;
    uint64_t ack_sum_hi;   /* high 64 bits of the sum (hours of seconds-long acks
                            * over hundreds of beacons pass 2^64 ns) */
    /* Telemetry: the node's chain as it reported it during the interval
     * (beacon/nodetel.h; get_dynamic_global_properties once a second).
     * tel_answers is how many intervals it answered in (0 or 1 for one
     * interval); when 0, head_block .. block_interval_s are absent (not
     * zero) and not shown. */
    uint64_t tel_answers;
    uint64_t head_block;       /* head_block_number */
    uint64_t lib_block;        /* last_irreversible_block_num (<= head_block) */
    double participation_pct;  /* recent_slots_filled: set bits of 128, in % */
    uint64_t missed_blocks;    /* recently_missed_count */
    double block_interval_s;   /* head time advance / blocks advanced at its last
                                * advance (0: not measured yet) */
    uint64_t tel_blocks;       /* blocks of this node's chain read in the interval
                                * (by the tracker: from this node when followed,
                                * else from the primary, whose chain it shares) */
    uint64_t tel_block_txs;    /* transactions in those blocks */
    uint64_t tel_block_bytes;  /* packed size of their transactions */
    uint64_t max_block_size;   /* maximum_block_size, for fullness (0: unknown) */
    uint64_t forked;           /* intervals in which its head block differed from
                                * the primary's block at that height */
    uint64_t stalled;          /* intervals that ended with its head not seen to
                                * advance for > 3 block intervals (also when it
                                * did not answer at all) */
};

/* THE LEDGER: every transaction is counted exactly once at each stage.
 * Over a run's totals (the merge of every interval from its start, gauges
 * at the end), and over the sum of several beacons' totals:
 *   I1  offered  = sent + dropped + held_dropped + pending
 *   I2  sent     = accepted + rejected (all kinds) + timeouts + in_flight
 *   I3  accepted = confirmed + lost + unconfirmed
 * (held is part of sent, late_replies and unknown_replies of no term; a
 * request that timed out stays a timeout whatever answer or block comes
 * later, so it is never confirmed nor lost.) For one interval the same holds
 * with each gauge replaced by its change since the interval before. */

enum stats_verdict {
    STATS_OK = 0,           /* keeping the schedule, network keeping up */
    STATS_BEACON_BOUND = 1, /* this beacon cannot keep its schedule */
    STATS_NODE_BOUND = 2,   /* beacon healthy, network not keeping up */
};

struct stats_interval {
    uint64_t seq;           /* 1, 2, ... per beacon run (0: not numbered) */
    uint64_t t0_ns, t1_ns;  /* monotonic bounds of the interval (t1 == 0: none) */
    uint64_t wall_ms;       /* wall clock at t1, ms since the epoch (for reports) */
    struct stats_counters c;
    struct stats_gauges g;
    struct hist ack;        /* broadcast -> node answer, ns, from the DUE time */
    struct hist inclusion;  /* due time -> seen in a block, ns */
    struct hist lateness;   /* actual send - due, ns */
    uint32_t nnodes;        /* node[0..nnodes) are meaningful (0: no breakdown) */
    struct stats_node node[STATS_MAX_NODES];
};

/* Initialises (or empties) an interval: seq 0, no bounds, zero counters and
 * gauges, empty histograms, no per-node breakdown. */
void stats_init(struct stats_interval *s);

/* dst += src. Counters and histograms always add exactly. Bounds: t0 is the
 * earlier and t1 the later of the two (an interval with t1_ns == 0 has no
 * bounds and leaves dst's alone); wall_ms is the later.
 * Gauges depend on seq, so that one function serves both uses:
 *  - src->seq == dst->seq: PARTS OF THE SAME INTERVAL (the threads of one
 *    beacon, or several beacons at the overseer): pool_level, in_flight,
 *    unconfirmed and rss_bytes add; every other gauge takes the larger value
 *    (head blocks, target_rate, and the worst CPU figures, which is what the
 *    verdict wants). Give every part of one interval the same seq.
 *  - src->seq > dst->seq: src is a LATER interval (run totals): the gauges
 *    become src's, and seq becomes src->seq.
 *  - src->seq < dst->seq: src is older; dst keeps its gauges and seq.
 * Merging into a freshly initialised dst (seq 0) thus copies src.
 * Per-node parts add node by node (ack_max_ns takes the larger); nnodes
 * becomes the larger of the two. Per-node telemetry (tel_answers ..
 * stalled) is merged by stats_node_tel_merge. */
void stats_merge(struct stats_interval *dst, const struct stats_interval *src);

/* Checks I1-I3 of the ledger on a run's totals. Returns 0, or -1 with err
 * (ERR_LEN) naming the first equation that fails and both sides. */
int stats_invariant_check(const struct stats_interval *total, char *err);

/* Rejections of every category in c (the sum of c->rejected[]). */
uint64_t stats_rejected_total(const struct stats_counters *c);

/* Writes ns as a human duration into buf (cap bytes, NUL-terminated): three
 * significant digits in ns, µs, ms or s ("840ms", "1.26s"). */
void stats_fmt_dur(char *buf, size_t cap, uint64_t ns);

/* The verdict (stats_verdict.c). */
/* Thresholds of the verdict. */
#define STATS_DEFAULT_LATE_NS UINT64_C(1000000) /* late_ns 0 selects 1 ms */
#define STATS_CPU_BOUND_PCT 90.0  /* cpu_proc_all_pct at or above: CPU-bound */
#define STATS_CONFIRM_RATIO 0.9   /* confirmed below this share of accepted */
#define STATS_CONFIRM_MIN_TX 10   /* ...judged only with this many accepted */
#define STATS_LATE_GROWTH 100     /* B4: p99 lateness above this many thresholds */
#define STATS_ACK_RISE_NS UINT64_C(500000000) /* N8: ack p99 at least this... */
#define STATS_ACK_RISE_STEP_NS UINT64_C(250000000) /* ...and this much above prev's */
#define STATS_ACK_NOTE_NS UINT64_C(100000000) /* ack p99 named in a node-bound reason */
#define STATS_ACK_SLOW_NS UINT64_C(250000000) /* N9: ack p99 at least this (see there) */

/* The verdict for interval s, with prev the interval before it (for trends;
 * may be NULL). s and prev may also be windows (merges of several
 * consecutive intervals, or a whole run): every rule reads counts and
 * end-of-window gauges. "Noise" below is 2 + 1 % of the window's offered
 * transactions (one held for a millisecond while a connection registered);
 * "lag" is 2 + 100 ms of the window's offered rate (a busy shared host
 * delays the sending thread by tens of ms, and an interval may end just
 * before a send).
 *
 * The order: hard beacon evidence (B1-B3), then hard node evidence (N1-N5,
 * N7: the node held back, dropped a connection, did not answer, refused,
 * lost), then soft beacon evidence (B4-B5), then soft node evidence (N6,
 * N8-N10). A sending thread that ran late while the node refused or held
 * back everything (a burst of error replies to read, a backlog going out
 * after an outage, a host busy with the node) is not why the node did so;
 * without such node evidence the same lateness is the beacon's.
 *
 * BEACON-BOUND needs evidence that the beacon itself fell short:
 *  B1 s->g.cpu_proc_all_pct >= STATS_CPU_BOUND_PCT (nearly all usable cores);
 *  B2 s->c.pool_empty > 0 (due transactions found a connection with room and
 *     no pre-signed transaction);
 *  B3 s->c.dropped > 0 (due transactions given up while their node had room);
 *  B4 growing lateness of the sends the node did not hold back: prev given,
 *     both recorded lateness, p99(s) > STATS_LATE_GROWTH * late_ns and
 *     p99(s) > 2 * p99(prev) + late_ns (a beacon that falls behind grows its
 *     lateness by a large part of each interval, while a busy shared host
 *     delays sends by up to a few tens of ms without losing the schedule:
 *     p99 20-30 ms measured on 2 shared cores during builds, and right
 *     after a held-back backlog went out);
 *  B5 due but unsent with room: the window's offered exceeds sent + dropped
 *     + held_dropped by more than lag, and so does pending - held_pending.
 * NODE-BOUND when no B rule holds and the node did not take what was due.
 * Every item of evidence found is named in the reason with its numbers, in
 * this order, as many as fit:
 *  N1 held_dropped > 0 (given up while the node held them back);
 *  N2 held + held_pending > noise (due transactions waiting for the node:
 *     "by full windows" when connections were ready at the end, else "node
 *     not connected or not ready"; for a whole run, prev NULL, "held back
 *     by the node");
 *  N3 conn_errors > 0;  N4 timeouts > 0;  N5 rejections of any kind > 0
 *     (the most frequent kind named);
 *  N6 due but unsent (offered - sent - dropped - held_dropped > lag: a
 *     node that cannot be reached takes nothing);
 *  N7 lost > 0 (accepted, expired without inclusion);
 *  N8 rising acks: prev given, ack p99(s) >= STATS_ACK_RISE_NS and
 *     > p99(prev) + STATS_ACK_RISE_STEP_NS (a node that applies slower than
 *     it is offered answers later every second, by a fixed amount: its
 *     queue grows by the excess, served at its rate);
 *  N9 growing in-flight: prev given, in_flight(s) > in_flight(prev) + 100
 *     and either > in_flight(prev) + sent(s) / 4 (a quarter of the
 *     interval's sends more left unanswered than before), or >
 *     in_flight(prev) + sent(s) / 20 while ack p99(s) >= STATS_ACK_SLOW_NS
 *     and above p99(prev) (a node that applies a little less than it is
 *     offered: 3,500 of 4,000 tx/s grows in-flight by 500 and the ack by
 *     0.14 s every second, under the N8 step; a node keeping up at 2,000 tx/s
 *     with 100-200 ms acks jitters as much in flight, under the ack floor);
 *  N10 confirmation shortfall over the window W = s + prev (prev optional):
 *     W saw at least one block, W.accepted >= STATS_CONFIRM_MIN_TX,
 *     W.confirmed < STATS_CONFIRM_RATIO * W.accepted, the backlog
 *     s->g.unconfirmed exceeds two blocks' worth of the window's acceptance
 *     (2 * W.accepted / W.blocks), AND, when prev is given, it grew since
 *     prev by more than a quarter of s's acceptance (a node keeping up grows
 *     it far less; one that falls behind grows it by what it cannot take).
 * A node-bound reason that does not already name the ack latency adds
 * "ack p99 X" when it is at least STATS_ACK_NOTE_NS ("rising" when above
 * prev's).
 * OK otherwise ("idle" when nothing was offered or sent, else "keeping up").
 * late_ns is the lateness threshold (0: STATS_DEFAULT_LATE_NS). reason is
 * always written, NUL-terminated, at most 95 characters. */
enum stats_verdict stats_verdict(const struct stats_interval *s, const struct stats_interval *prev,
                                 uint64_t late_ns, char reason[96]);
/* "ok", "beacon-bound", "node-bound"; "unknown" out of range. */
const char *stats_verdict_name(enum stats_verdict v);

/* Appends one human line for the interval, no newline; elapsed_s is the
 * time since the run started, verdict is appended after a bar (NULL: no
 * verdict). Offered is shown per second of the interval; the rest are
 * counts; err = rejections + timeouts + connection errors; cpu is % of the
 * usable cores; latencies scale to ns/µs/ms/s ("-" when nothing recorded):
 * "12s  offered 2000/s sent 2000 acc 1998 conf 2005 err 2 | pool 40000 cpu 31% host 45% |
 *  ack p99 3.10ms incl p99 2.90s late p99 180µs | ok" (one line). */
void stats_render_line(struct sbuf *out, const struct stats_interval *s, double elapsed_s,
                       const char *verdict);

/* Appends one JSON object for the interval, no newline. Keys (stable, for
 * CSV): seq, t (elapsed_s, s), dur (interval length, s), wall_ms, offered,
 * sent, sent_ops, accepted, accepted_ops, rejected {duplicate, expired,
 * tapos, fee, missing_sig, irrelevant_sig, size, balance, busy, other},
 * rejected_total, timeouts, conn_errors, late, held, dropped,
 * held_dropped, pool_empty, stale, late_replies, unknown_replies,
 * confirmed, confirmed_ops, lost, blocks, block_txs, block_bytes,
 * head_block, irreversible_block, pool, in_flight, unconfirmed, pending,
 * held_pending, conns_ready, target_rate, cpu (% of one core), cpu_all (% of usable cores), cpu_host,
 * rss_bytes, cores, ack_ms / inclusion_ms / lateness_ms {n, p50, p90, p99,
 * max} (ms with 3 decimals, rounded up to the microsecond so a percentile is
 * never understated), verdict, reason; and, when s->nnodes > 0, nodes: an
 * array with one object per node {sent, accepted, rejected, timeouts,
 * conn_errors, confirmed, ack_mean_ms, ack_max_ms} in node order, with, for
 * a node with telemetry, head_block, lib_block, participation_pct,
 * missed_blocks, block_interval_s (null when it did not answer), blocks,
 * block_txs, block_bytes, block_fill_pct (null without blocks), forked,
 * stalled. verdict and reason may be NULL
 * (rendered as null). Non-finite numbers are rendered as null. */
void stats_render_json(struct sbuf *out, const struct stats_interval *s, double elapsed_s,
                       const char *verdict, const char *reason);

/* Appends a multi-line summary of a whole run (total is the merge of all
 * intervals, seconds its length): totals and rates, rejections by
 * category, the ledger's three equations with their terms and whether
 * they balance ("ledger     balanced" or "ledger     UNBALANCED: ..."),
 * latency percentiles, and the final gauges. Ends with a newline. */
void stats_render_summary(struct sbuf *out, const struct stats_interval *total, double seconds);

/* Merges node src's telemetry into dst's. same: parts of one interval
 * (several beacons watching the same node): the head is the highest any
 * saw, the irreversible block the lowest, participation the lowest, missed
 * blocks and block interval the highest; block counts, max_block_size,
 * tel_answers, forked and stalled take the larger (every beacon reads the
 * same blocks and watches the same node: adding would count them once per
 * beacon). !same: src is a later interval (run totals): the gauges become
 * src's when it has them (tel_answers > 0), counts add. */
void stats_node_tel_merge(struct stats_node *dst, const struct stats_node *src, bool same);
/* Block fullness of node n's blocks: their transactions' packed bytes as %
 * of blocks * max_block_size into *pct. Returns false (no figure) when no
 * block was read or the maximum is unknown. */
bool stats_node_fill_pct(const struct stats_node *n, double *pct);
/* The highest head block any of nodes[0..n) reported (telemetry answered,
 * tel_answers > 0), 0 when none did: what a node's blocks behind are counted
 * from. */
uint64_t stats_nodes_top_head(const struct stats_node *nodes, size_t n);

/* Records one answered request's ack time (due -> answer, ns) in node n:
 * adds it to the 128-bit sum and raises the maximum. */
void stats_node_ack(struct stats_node *n, uint64_t ack_ns);

/* The mean ack time of node n's answered requests (accepted + rejected)
 * into *mean_ns. Returns false, leaving *mean_ns alone, when none was
 * answered (then there is no ack figure, not a zero one). */
bool stats_node_ack_mean(const struct stats_node *n, uint64_t *mean_ns);

/* Appends the per-node part of a summary: one line per node (names[i] names
 * node i; names may be NULL, then nodes are numbered from 1) with sent,
 * accepted, rejected, timeouts, connection errors, confirmed and the mean
 * and maximum ack. Nothing when total->nnodes is 0. Ends with a newline. */
void stats_render_nodes(struct sbuf *out, const struct stats_interval *total, double seconds,
                        const char *const *names);

#endif
