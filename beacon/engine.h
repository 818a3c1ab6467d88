/* engine.h - the beacon engine: sets up from the node(s), keeps a pool of
 * pre-signed transactions, broadcasts them on an open-loop schedule over K
 * connections per node, tracks acknowledgements and confirmations, and
 * reports a stats interval every second. The command line (`beacon run`)
 * and the overseer drive the same engine.
 *
 * Threads: the caller's thread runs the network loop (engine_run); signer
 * threads fill the pool; a tracker thread follows blocks. engine_stop may
 * be called from any thread or a signal handler. */
#ifndef BSS_ENGINE_H
#define BSS_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keyfile.h"
#include "ratectl.h"
#include "stats.h"

enum engine_spread {
    ENGINE_SPREAD_ROUND_ROBIN, /* every node an equal share */
    ENGINE_SPREAD_SINGLE,      /* the first node only */
    ENGINE_SPREAD_WEIGHTS,     /* shares by weights[] */
};

#define ENGINE_MAX_NODES 64
/* Default send tick: at most this long between a transaction's due time
 * and the wakeup that sends it, so lateness stays under the 2 ms target
 * while a wakeup sends every transaction due in its tick (at 20 k tx/s,
 * twenty per wakeup instead of one). 1 ms rather than 0.5: at 3,000 tx/s
 * the sending thread's CPU per transaction fell from 32-38 to 23-25 us
 * (fewer timer wakeups and polls, more frames per TCP segment); the tick
 * adds at most 1 ms of lateness. */
#define ENGINE_SEND_TICK_NS UINT64_C(1000000)

struct engine_config {
    const char *nodes[ENGINE_MAX_NODES]; /* ws:// or wss:// URLs, borrowed */
    size_t nnodes;
    unsigned weights[ENGINE_MAX_NODES];  /* ENGINE_SPREAD_WEIGHTS */
    enum engine_spread spread;
    unsigned conns_per_node;             /* K >= 1 */
    bool tls_insecure;
    const char *ca_file;
    bool follow_all;                     /* confirmations from every node, not just the first */

    const struct keyfile *keys;          /* accounts that pay; borrowed */
    struct ratectl_curve curve;
    uint32_t window;                     /* max in flight per connection */
    uint32_t share_index, share_count;   /* this beacon's share of the curve */
    uint64_t drop_horizon_ns;            /* 0: default 5 s */
    uint64_t late_ns;                    /* 0: default 1 ms */
    uint64_t ack_timeout_ns;             /* 0: default 10 s */
    uint64_t drain_ns;                   /* wait for confirmations after the end (0: default) */

    unsigned weight_transfer, weight_limit_order, ops_per_tx;
    int64_t transfer_amount;
    uint64_t transfer_asset;
    int64_t sell_amount, receive_amount;
    uint64_t sell_asset, receive_asset;
    uint64_t seed;
    uint64_t k_offset;                   /* disjoint amount ranges between beacons */

    unsigned threads;                    /* signer threads (>= 1) */
    double presign_ahead_s;              /* pool target = rate x this (min 2000 items) */
    uint32_t expire_s;                   /* tx expiration after head time (0: automatic) */
    uint64_t send_tick_ns;               /* the sending thread wakes at most once per
                                          * tick and sends everything due by then
                                          * (ENGINE_SEND_TICK_NS; UINT64_MAX: wake per
                                          * transaction, for comparison) */
    bool no_sched_hints;                 /* leave the sending thread's scheduling alone
                                          * (see prio.h; for comparison) */

    /* Called on the network thread once per second with the interval just
     * finished, and once more at the end with total != NULL (then s is the
     * whole run). */
    void (*on_stats)(void *user, const struct stats_interval *s, enum stats_verdict v,
                     const char *reason, const struct stats_interval *total);
    /* Notable events for the log (reconnects, node errors). */
    void (*on_event)(void *user, const char *text);
    void *user;
};

/* Fills cfg with defaults (one connection per node, round robin, 1000 tx/s
 * for 10 s, transfers only, presign 5 s ahead, all cores but one signing). */
void engine_defaults(struct engine_config *cfg);

struct engine;

/* Connects to every node, reads the chain (same chain everywhere), checks
 * accounts and keys, fees and transaction size, starts the tracker and the
 * signers. Returns NULL with err naming the node/account/field at fault. */
struct engine *engine_new(const struct engine_config *cfg, char *err);
/* Stops everything and frees; NULL is a no-op. */
void engine_free(struct engine *e);

/* Waits until the pool holds at least `items` transactions (or timeout).
 * Returns 0, or -1 with err. */
int engine_prepare(struct engine *e, uint64_t items, unsigned timeout_ms, char *err);

/* Runs the schedule to its end (then drains) or until engine_stop. Returns
 * 0, or -1 with err when the run could not continue (signers failed). */
int engine_run(struct engine *e, char *err);

/* Asks engine_run to finish (after draining). Async-signal-safe. */
void engine_stop(struct engine *e);

/* Chain facts learned at setup, for reports. */
struct engine_chain {
    char chain_id[65];
    uint32_t max_tx_size, max_block_size, block_interval, max_expiration;
    int64_t transfer_fee, order_fee;
    size_t tx_size_unsigned;  /* packed size of the largest transaction shape we send */
    char key_prefix[16];
};
void engine_chain(const struct engine *e, struct engine_chain *out);

/* Where the beacon's CPU went: signing (all signer threads) and the send
 * path (the network thread during engine_run: sending, answers, stats),
 * in ns, with the transactions signed and sent. Call after engine_run. */
struct engine_cpu {
    uint64_t sign_ns, signed_count;
    uint64_t send_ns, sent_count;
};
void engine_cpu(const struct engine *e, struct engine_cpu *out);

#endif
