/* bench_overseer_sim.h - one simulated beacon of the overseer benchmark
 * (bench_overseer.c drives them): its protocol state, what it sends and how
 * it answers. Not a public header. */
#ifndef BSS_BENCH_OVERSEER_SIM_H
#define BSS_BENCH_OVERSEER_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bus.h"
#include "proto.h"
#include "ratectl.h"

#define SIM_SEC 1000000000ull

enum sim_state { ST_IDLE, ST_PREPARING, ST_READY, ST_RUNNING, ST_DRAINING };

struct unacked {
    uint64_t seq, sent_ns;
    uint8_t *buf;
    size_t len;
};

/* One simulated beacon. */
struct sim {
    struct bus *bus;
    char id[PROTO_STR];
    bool welcomed, gone;
    uint64_t last_rx, next_hello, next_hb, last_resend;
    uint64_t peer_t, peer_t_rx;
    uint32_t hb_ms, lease_ms;
    enum sim_state state;
    /* the configured phase, and the one running */
    bool have_conf, started, stopping;
    uint32_t phase, share_index, share_count, ops_per_tx, window;
    uint32_t nnodes;             /* target nodes (per-node breakdown) */
    struct ratectl_curve curve;
    struct ratectl *rc;        /* the phase's schedule (from PREPARE to the end) */
    uint64_t start_at, dur_ns; /* dur_ns UINT64_MAX: until STOP */
    uint32_t second;           /* intervals sent in this phase */
    uint64_t due_before;       /* this beacon's transactions due before the interval */
    struct stats_interval *total;
    unsigned phases_done;
    uint64_t seq, acked;
    struct unacked *un;
    size_t nun, capun;
    uint64_t rng;
};

/* What the run did, over all beacons (printed at the end). */
struct sim_counts {
    uint64_t welcomes, stats, resent, acked, heartbeats, hb_rx, errors_rx, bad_rx, lease_lost,
        send_failed, ready, done, stats_bytes, buckets[3], hellos;
};

/* The simulator: every beacon, and scratch messages (large: kept allocated). */
struct simrun {
    struct sim *b;
    unsigned n;
    unsigned samples;
    struct proto_msg *in, *out;
    struct sim_counts k;
    unsigned errors_shown;
};

/* Fills the latency tables the synthetic histograms draw from (once). */
void sim_tables(void);
/* Takes what the overseer sent to b (a bounded number per call) and answers. */
void sim_poll(struct simrun *r, struct sim *b);
/* b's timers at now: lease, HELLO, the phase's STATS and DONE, resends,
 * heartbeats. */
void sim_tick(struct simrun *r, struct sim *b, uint64_t now);

#endif
