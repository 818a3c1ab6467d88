/* scenario.h - scenario files: load and validate a YAML scenario, scale its
 * durations, and give each phase's rate curve for the beacons.
 *
 * The format is documented for users in scenarios/README.md. In short: a
 * scenario names the target nodes, how many beacons it needs, what a local
 * run (`overseer run --local`) should start, optional `defaults` for every
 * phase, and a list of phases. A phase is one of three kinds:
 *  - LOAD (the usual): a rate curve for a duration, an operation mix,
 *    operations per transaction, target nodes and spread, beacons used;
 *  - FIND_LIMIT: step the offered rate up until the network stops keeping
 *    up (stop conditions in struct scenario_find_limit);
 *  - P2P_LIMIT: search the operations per transaction for the largest
 *    transaction the network accepts (struct scenario_p2p_limit).
 * This module parses and validates all three; the overseer executes them.
 *
 * Errors name the file, line and column (1-based) and the field path, e.g.
 *   scenarios/x.yaml:12:9: phases[1].rate: expected a number, "unlimited",
 *   {ramp: [a, b]} or {steps: ...}
 * Unknown keys are errors (with a "did you mean" when one is close). The
 * module uses libfyaml (the only one of ours that includes it), never logs
 * and never exits. Pointer arguments must not be NULL unless stated
 * otherwise. */
#ifndef BSS_SCENARIO_H
#define BSS_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ratectl.h"

#define SCENARIO_MAX_BYTES (1u << 20) /* largest scenario file */
#define SCENARIO_MAX_PHASES 64
#define SCENARIO_MAX_NODES 64         /* equals PROTO_MAX_NODES */
#define SCENARIO_URL_LEN 128          /* node URL, NUL included; equals PROTO_STR */
#define SCENARIO_NAME_LEN 64          /* scenario and phase names, NUL included */
#define SCENARIO_MAX_BEACONS 10000
#define SCENARIO_MAX_DEVNODES 16
#define SCENARIO_MAX_OPS 100000       /* operations per transaction */
#define SCENARIO_MAX_FIND_STEPS 10000 /* steps of a find_limit search */
#define SCENARIO_P2P_MESSAGE_BYTES 2097152 /* graphene's P2P MAX_MESSAGE_SIZE (2 MiB) */

enum scenario_phase_kind {
    SCENARIO_PHASE_LOAD,
    SCENARIO_PHASE_FIND_LIMIT,
    SCENARIO_PHASE_P2P_LIMIT,
};

enum scenario_rate_kind {
    SCENARIO_RATE_CONSTANT,  /* `rate: 2000` */
    SCENARIO_RATE_UNLIMITED, /* `rate: unlimited` (as fast as the window allows) */
    SCENARIO_RATE_RAMP,      /* `rate: {ramp: [from, to]}` over the phase */
    SCENARIO_RATE_STEPS,     /* `rate: {steps: [[rate, seconds], ...]}` */
};

struct scenario_step {
    double rate;     /* tx/s, >= 0 (0: a pause) */
    uint64_t dur_ns; /* > 0 */
};

struct scenario_rate {
    enum scenario_rate_kind kind;
    double rate;     /* CONSTANT: tx/s, > 0 */
    double from, to; /* RAMP: tx/s at the phase's start and end (>= 0, not both 0) */
    size_t nsteps;   /* STEPS: 1..RATECTL_MAX_SEGS; their sum is the phase duration */
    struct scenario_step steps[RATECTL_MAX_SEGS];
};

/* How a phase's load is spread over the target nodes (proto_spread). */
enum scenario_spread {
    SCENARIO_SPREAD_ALL,     /* `nodes: all` (default): round robin over every node */
    SCENARIO_SPREAD_ONE,     /* `nodes: one`: the first node only */
    SCENARIO_SPREAD_WEIGHTS, /* `nodes: {weights: [3, 1, 0]}`: one weight per node */
};

/* Where beacons follow blocks for confirmations. */
enum scenario_follow {
    SCENARIO_FOLLOW_AUTO,  /* default: the runner decides (every devnode of a local
                            * run with `network: false`, which do not relay; the
                            * first node otherwise) */
    SCENARIO_FOLLOW_FIRST, /* the first node (a network's nodes share blocks) */
    SCENARIO_FOLLOW_ALL,   /* every node */
};

enum scenario_on_lost {
    SCENARIO_LOST_CONTINUE, /* record the loss, go on with the other beacons (default) */
    SCENARIO_LOST_ABORT,    /* stop the run */
};

enum scenario_search {
    SCENARIO_SEARCH_BINARY, /* bisect operations per transaction (default) */
    SCENARIO_SEARCH_LINEAR, /* min_ops, min_ops + step_ops, ... */
};

/* `find_limit:` - the rate goes start, start + step, ... up to max, each for
 * step_ns; a step FAILS when any of the checked bounds holds over its
 * window [settle_ns, step_ns). The search ends at the first failing step
 * (or at max); with refine > 0 it then bisects between the last passing and
 * the first failing rate, refine more steps. The limit reported is the
 * highest passing rate. */
#define SCENARIO_FL_ACCEPTED_BELOW 0.9
#define SCENARIO_FL_CONFIRMED_BELOW 0.9
#define SCENARIO_FL_ACK_P99_NS 2000000000ull

struct scenario_find_limit {
    double start;              /* tx/s, > 0 */
    double step;               /* tx/s added per step, > 0 */
    double max;                /* tx/s, >= start */
    uint64_t step_ns;          /* each step's length */
    uint64_t settle_ns;        /* excluded start of each step (default a quarter) */
    uint32_t refine;           /* bisection steps after the first failure (default 0) */
    uint32_t nsteps;           /* derived: floor((max - start) / step) + 1 */
    /* stop_when. accepted_below (0.9), confirmed_below (0.9) and
     * ack_p99_above_s (2 s) always apply, with these defaults unless given:
     * a node that slows its acks is at its limit even when it rejects
     * nothing. */
    bool check_accepted;       /* accepted / offered < accepted_below */
    double accepted_below;     /* (0, 1] */
    bool check_confirmed;      /* confirmed / offered < confirmed_below */
    double confirmed_below;    /* (0, 1] */
    bool check_inclusion;      /* inclusion p99 > inclusion_p99_above_ns */
    uint64_t inclusion_p99_above_ns;
    bool check_ack;            /* ack p99 > ack_p99_above_ns */
    uint64_t ack_p99_above_ns;
    bool check_failures;       /* (rejected + timeouts + dropped) / offered > failures_above */
    double failures_above;     /* [0, 1) */
};

/* `p2p_limit:` - find the largest transaction the network accepts. The
 * runner reads the chain's maximum_transaction_size and maximum_block_size
 * first; the size cap is the smallest of max_message_bytes and those
 * (reported plainly when the chain's is lower). It then searches operations
 * per transaction in [min_ops, max_ops] (max_ops 0: as many as the cap
 * allows), each candidate sent at probe_rate tx/s for probe_ns; a candidate
 * passes when every transaction sent is accepted. With a phase `duration`,
 * the largest passing size is then held at the phase's `rate` for that
 * long (scenario_phase_curve). */
struct scenario_p2p_limit {
    uint64_t max_message_bytes; /* default SCENARIO_P2P_MESSAGE_BYTES */
    enum scenario_search search;
    uint32_t min_ops;           /* default 1 */
    uint32_t max_ops;           /* 0: derived from the size cap */
    uint32_t step_ops;          /* LINEAR: increment (required there) */
    uint64_t probe_ns;          /* default 10 s */
    double probe_rate;          /* tx/s, default 2 */
};

struct scenario_phase {
    char name[SCENARIO_NAME_LEN];
    enum scenario_phase_kind kind;
    int line;                  /* where the phase starts in the file */
    /* LOAD: the phase length. P2P_LIMIT: the hold at the largest size
     * (0: no hold). FIND_LIMIT: the longest the search can take,
     * (nsteps + refine) * step_ns. */
    uint64_t duration_ns;
    struct scenario_rate rate; /* LOAD; P2P_LIMIT's hold when duration_ns > 0 */
    /* Steady-state window [warmup_ns, duration_ns - cooldown_ns) (LOAD and
     * the P2P hold): warmup and cooldown default to 10 % of the duration each;
     * the window is never empty. */
    uint64_t warmup_ns, cooldown_ns;
    uint32_t mix_transfer, mix_limit_order; /* weights, sum > 0 (default 100/0) */
    uint32_t ops_per_tx;       /* default 1 (P2P_LIMIT: searched, 0 here) */
    enum scenario_spread spread;
    uint32_t nweights;         /* SPREAD_WEIGHTS: as many as the target nodes */
    uint32_t weights[SCENARIO_MAX_NODES];
    uint32_t conns_per_node;   /* default 1 */
    uint32_t beacons;          /* beacons used; 0: all */
    enum scenario_follow follow;
    /* Beacon tuning; 0 leaves the beacon's default (`beacon run --help`). */
    uint32_t window;           /* requests in flight per connection */
    uint32_t threads;          /* signer threads */
    uint32_t expire_s;         /* transaction expiration after head time */
    uint64_t drain_ns;         /* after the schedule, wait for confirmations */
    uint64_t ack_timeout_ns;
    uint64_t drop_horizon_ns;
    uint64_t late_ns;
    uint64_t presign_ahead_ns;
    struct scenario_find_limit find_limit; /* FIND_LIMIT */
    struct scenario_p2p_limit p2p_limit;   /* P2P_LIMIT */
};

/* `local:` - what `overseer run --local` starts on loopback. */
struct scenario_local {
    bool present;              /* the section was given */
    uint32_t devnodes;         /* default 1 */
    double capacity;           /* devnode --capacity, tx/s (0: none) */
    double capacity_ops;       /* devnode --capacity-ops (0: none) */
    uint64_t block_interval_ns; /* default 1 s */
    uint64_t max_pending;      /* 0: devnode's default */
    uint32_t max_tx_size, max_block_size; /* 0: devnode's default */
    char *genesis;             /* resolved path, or NULL (devnode's built-in) */
    bool independent;          /* `network: false`: separate chains, no relay */
    bool has_relay_latency;    /* relay_latency_ns was given */
    uint64_t relay_latency_ns; /* devnode --relay-latency */
    double relay_bandwidth;    /* devnode --relay-bandwidth, Mbit/s (0: devnode's default) */
};

/* A loaded scenario: a value the caller owns; release with scenario_free. */
struct scenario {
    char *path;                /* as given to scenario_load */
    char *text;                /* the raw file, NUL-terminated (for the run manifest) */
    size_t text_len;
    char name[SCENARIO_NAME_LEN];
    char *description;         /* "" when absent */
    uint32_t nnodes;           /* 0 only when `local` is given */
    char nodes[SCENARIO_MAX_NODES][SCENARIO_URL_LEN]; /* ws:// or wss:// */
    bool tls_insecure;         /* wss:// without certificate checks */
    char *accounts;            /* key file, resolved against the scenario's
                                * directory; NULL: beacons use local keys */
    uint32_t beacons;          /* beacons needed, default 1 */
    enum scenario_on_lost on_beacon_lost;
    uint64_t seed;             /* default 1 */
    struct scenario_local local;
    size_t nphases;            /* 1..SCENARIO_MAX_PHASES */
    struct scenario_phase *phases;
    double scale;              /* product of scenario_scale factors (1 after load) */
};

/* Reads and validates the scenario file at path into *s (overwritten; on
 * success the caller frees it with scenario_free). Relative paths in the
 * file (accounts, local.genesis) are resolved against the file's directory.
 * Returns 0, or -1 with err "PATH:LINE:COL: FIELD: problem" (or "PATH:
 * problem" for a file that cannot be read); on error *s needs no free. */
int scenario_load(const char *path, struct scenario *s, char *err);

/* The same from text in memory (len bytes, need not be NUL-terminated);
 * path names the file in messages and anchors relative paths. */
int scenario_parse(const char *text, size_t len, const char *path, struct scenario *s,
                   char *err);

/* Releases what s owns and zeroes it; a zeroed struct is a no-op. */
void scenario_free(struct scenario *s);

/* Multiplies every duration by factor (0 < factor <= 1000): phase
 * durations, steps, warmup and cooldown, find_limit step and settle, and
 * p2p_limit probes; a non-zero duration never becomes shorter than 1 ms.
 * Rates and timeouts (drain, ack_timeout, drop_horizon, late, presign_ahead,
 * expire, block_interval) are kept: they are about the network, not the
 * test's length. Returns 0, or -1 with err (bad factor, or a phase would
 * last more than ratectl allows); on error s is unchanged. */
int scenario_scale(struct scenario *s, double factor, char *err);

/* The rate curve of a LOAD phase, or of a P2P_LIMIT phase's hold (which
 * needs duration_ns > 0), for the whole phase (every beacon's share is set
 * with ratectl_opts.share_*). Fills *c. Returns 0, or -1 with err (a
 * FIND_LIMIT phase: use scenario_find_limit_curve). */
int scenario_phase_curve(const struct scenario_phase *p, struct ratectl_curve *c, char *err);

/* The rate of FIND_LIMIT step i (0-based): start + i * step, capped at max. */
double scenario_find_limit_rate(const struct scenario_phase *p, uint32_t i);

/* One FIND_LIMIT step: constant `rate` tx/s for find_limit.step_ns (the
 * runner picks the rates, including the refinement's). Returns 0, or -1 with
 * err (not a FIND_LIMIT phase, or a rate ratectl refuses). */
int scenario_find_limit_curve(const struct scenario_phase *p, double rate,
                              struct ratectl_curve *c, char *err);

/* One P2P_LIMIT probe: constant probe_rate for probe_ns. Returns 0, or -1
 * with err (not a P2P_LIMIT phase). */
int scenario_p2p_probe_curve(const struct scenario_phase *p, struct ratectl_curve *c,
                             char *err);

/* The longest the whole scenario can take: the sum of the phases'
 * duration_ns (FIND_LIMIT at its longest; P2P_LIMIT counts its hold, not
 * its probes, whose number depends on the network). */
uint64_t scenario_total_ns(const struct scenario *s);

/* Stable names: "load", "find_limit", "p2p_limit"; "constant", "unlimited",
 * "ramp", "steps"; "all", "one", "weights"; "auto", "first", "all";
 * "continue", "abort"; "binary", "linear". "unknown" out of range. */
const char *scenario_phase_kind_name(enum scenario_phase_kind k);
const char *scenario_rate_kind_name(enum scenario_rate_kind k);
const char *scenario_spread_name(enum scenario_spread sp);
const char *scenario_follow_name(enum scenario_follow f);
const char *scenario_on_lost_name(enum scenario_on_lost l);
const char *scenario_search_name(enum scenario_search s);

#endif
