/* run.h - `overseer run`: a scenario across beacons, with results written
 * as they arrive. */
#ifndef BSS_RUN_H
#define BSS_RUN_H

#include <stdbool.h>

#include "scenario.h"

struct run_config {
    struct scenario *sc;       /* loaded (and scaled) */
    const char *out_dir;       /* results; created, must not hold results already */
    unsigned beacons;          /* 0: the scenario's */
    unsigned wait_s;           /* how long to wait for beacons */
    const char *bind;          /* overseer endpoint */
    bool insecure;
    const char *key_file;      /* overseer .key (secure mode) */
    const char *allow_file;    /* beacon allowlist (secure mode, not --local) */
    bool local;                /* start devnodes and beacons here */
    unsigned beacon_threads;   /* --local: signer threads per beacon (0: default) */
    bool quiet;                /* no live progress line */
    const char *dashboard;     /* live dashboard on [ADDR:]PORT (NULL: none) */
    const char *dashboard_token; /* its token file (required off loopback) */
    bool dashboard_auto;       /* --local's default: a busy port is not an error */
    unsigned dashboard_hold_s; /* keep serving this long after the run */
};

/* Runs the scenario. Returns 0 when it ran to its end (its verdicts are in
 * the results), 1 when it was interrupted or aborted (results so far are
 * kept), -1 with err when it could not start or continue. */
int run_main(const struct run_config *cfg, char *err);

/* Ctrl-C: the first ends the current phase and the run after it drains;
 * the second stops at once. Async-signal-safe. */
void run_interrupt(void);

#endif
