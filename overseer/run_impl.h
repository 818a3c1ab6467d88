/* run_impl.h - the runner's state, shared by run.c (setup, beacons,
 * manifest, the phase loop), phase.c (running one curve on the beacons and
 * aggregating it), search.c (the searching phases) and run_log.c (what the
 * run says, its clock, Ctrl-C). Not a public header. */
#ifndef BSS_RUN_IMPL_H
#define BSS_RUN_IMPL_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include "agg.h"
#include "bus.h"
#include "csvout.h"
#include "local.h"
#include "proto.h"
#include "run.h"
#include "sess.h"

/* Ctrl-C presses (run_log.c; main's signal handler counts them). */
extern volatile sig_atomic_t run_interrupted;

struct dash;

struct run {
    const struct run_config *cfg;
    struct scenario *sc;
    char run_id[128];
    char out[4096];
    struct bus *bus;
    struct sess *sess;
    struct local *local;
    const char *const *nodes;  /* the target nodes (scenario's, or the devnodes) */
    const char *scen_nodes[SCENARIO_MAX_NODES];
    size_t nnodes;
    bool follow_all;           /* independent local devnodes: follow every one */
    char *keys_text;           /* the scenario's account key file (secret; wiped) */
    size_t keys_len;
    struct csvout *ts, *bc, *sum, *nodes_csv;
    FILE *events;
    uint64_t t0;               /* run start, monotonic */
    unsigned nbeacons;         /* beacons the run needs */
    bool aborted;
    struct proto_msg *msg;     /* scratch (large) */
    /* the phase in progress */
    uint32_t phase_id;         /* 1, 2, ...; also the proto phase number */
    const char *phase_name;
    struct agg *agg;
    struct sess_beacon *members[AGG_MAX_BEACONS];
    unsigned nmembers;
    bool alive[AGG_MAX_BEACONS];  /* member alive and working on this phase */
    struct phase_member {
        unsigned restarts0, losses0; /* the beacon's counts when the phase began */
        bool gone;                   /* lost its work: idle until the next phase */
        bool flagged;                /* counted in phase_result.lost */
    } mstate[AGG_MAX_BEACONS];
    double phase_t0_s;         /* run time at the phase's start */
    struct proto_chain chain;  /* from the first READY */
    bool have_chain;
    struct dash *dash;         /* the live dashboard (dash_feed.h), or NULL */
};

/* Logs a line to stderr, OUT/events.log and the dashboard, with the run
 * time (run_log.c, as are the two below). */
void run_log(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The live progress line (not in events.log; nothing with --quiet). */
void run_progress(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Seconds since the run started. */
double run_time(const struct run *r);

/* What a phase (or one step of a search) asks the beacons to do. */
struct phase_spec {
    const struct scenario_phase *p;
    const char *name;          /* for the CSV rows */
    struct ratectl_curve curve;
    uint32_t ops_per_tx;
    uint64_t warmup_ns, cooldown_ns; /* steady-state window */
};

/* What it gave. */
struct phase_result {
    struct stats_interval total;   /* everything, exact */
    struct stats_interval window;  /* the steady-state window's rows */
    double window_start_s, window_end_s, start_s, end_s;
    double cpu_max_pct;
    enum stats_verdict verdict;
    char reason[PROTO_TEXT + 128]; /* a beacon's setup error can be long */
    unsigned beacons;
    bool ready_failed;             /* a beacon could not prepare (reason says why) */
    unsigned seconds;              /* steady seconds seen */
    unsigned bound[3];             /* ... with each per-second verdict */
    char first_reason[3][160];
    unsigned lost;                 /* members lost or restarted during the phase */
    char lost_note[384];           /* which, when; "" when none */
};

/* Runs spec on the beacons: CONFIGURE, PREPARE, READY, START (together,
 * offsets corrected by round-trip time), STATS into timeseries.csv and
 * beacons.csv as they come, DONE; then one summary.csv row. Returns 0, 1
 * when interrupted or aborted, -1 with err. */
int phase_run(struct run *r, const struct phase_spec *spec, struct phase_result *res,
              const char *note, char *err);

/* sess's on_stats for the run: STATS of the current phase. */
void phase_on_stats(struct run *r, struct sess_beacon *b, const struct proto_stats *st);

#endif
