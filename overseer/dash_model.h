/* dash_model.h - what the dashboard knows about a run: the value structs the
 * overseer hands to the dashboard (dash.h) and that the pure renderers turn
 * into Prometheus text (dash_metrics.h) and JSON (dash_json.h). Everything
 * here is plain data (no pointers into the run), so a copy is a snapshot. */
#ifndef BSS_DASH_MODEL_H
#define BSS_DASH_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hist.h"
#include "stats.h"

#define DASH_ID_LEN 64      /* beacon ids and hosts (longer ones are cut) */
#define DASH_NAME_LEN 96    /* phase names */
#define DASH_URL_LEN 256    /* node URLs */
#define DASH_REASON_LEN 256
#define DASH_MAX_BEACONS 1024
#define DASH_MAX_NODES STATS_MAX_NODES
#define DASH_MAX_PHASES 256 /* phases and search steps shown (later ones are not) */

/* Latency histogram buckets of /metrics, upper bounds in seconds. */
#define DASH_LE_COUNT 19
extern const double dash_le_s[DASH_LE_COUNT];

/* A latency histogram in Prometheus' shape: bucket[i] counts the values of
 * bucket i alone (bucket[DASH_LE_COUNT]: above the last bound), cumulated
 * only when rendered. */
struct dash_hist {
    uint64_t bucket[DASH_LE_COUNT + 1];
    uint64_t count;
    double sum_s;
};

/* Adds h (nanoseconds) into d. An HDR bucket counts under the first bound
 * that its whole range fits below, so a value is never shown faster than it
 * was (at most one HDR bucket width, < 0.8 %, slower). O(HIST_BUCKETS). */
void dash_hist_fold(struct dash_hist *d, const struct hist *h);

/* A beacon as the dashboard shows it: run totals and its latest gauges. */
struct dash_beacon {
    char id[DASH_ID_LEN];
    char host[DASH_ID_LEN];
    bool alive;
    struct stats_counters c;   /* every interval it reported, added */
    double cpu_pct;            /* latest: % of one core */
    double cpu_all_pct;        /* latest: % of its usable cores */
    uint64_t pool, in_flight, unconfirmed, rss_bytes;
    uint32_t cores;
    uint64_t last_sent, last_confirmed; /* its latest interval */
};

/* A target node: totals summed over the beacons' per-node parts. */
struct dash_node {
    char url[DASH_URL_LEN];
    struct stats_node total;
    bool has_tel;          /* a beacon sent telemetry for it (protocol 1.3) */
    struct stats_node tel; /* the latest beacon interval with telemetry: its head,
                            * LIB, ... (absent when tel.tel_answers is 0) */
};

/* A phase (or one step of a search) as it starts and ends. */
struct dash_phase {
    uint32_t no;               /* 1, 2, ... */
    char name[DASH_NAME_LEN];
    char kind[16];             /* "load", "find_limit", "p2p_limit" */
    double start_s;            /* run time */
    double dur_s;              /* the curve's length */
    uint32_t ops_per_tx;
    bool ended;
    double end_s;
    enum stats_verdict verdict;
    char reason[DASH_REASON_LEN];
    double window_s;           /* the steady-state window's length */
    uint64_t window_offered, window_confirmed; /* as summary.csv has them */
};

/* One aggregated second (what timeseries.csv gets), with the percentiles
 * already taken. */
struct dash_second {
    uint32_t second;           /* within the phase, 1, 2, ... */
    double t_s;                /* run time at its end */
    uint32_t phase_no;
    uint32_t beacons, alive;   /* reported / still alive */
    struct stats_counters c;
    uint64_t pool_min, pool, in_flight, unconfirmed;
    double target_rate, cpu_max_pct;
    uint64_t ack_p50_ns, ack_p99_ns, incl_p50_ns, incl_p99_ns; /* 0: no samples */
    uint64_t ack_n, incl_n;
    enum stats_verdict verdict;
    char reason[96];
    uint32_t nnodes;
    struct stats_node node[DASH_MAX_NODES];
};

/* Everything /metrics shows, at one moment. */
struct dash_state {
    double elapsed_s;
    bool ended;                /* the run is over */
    char result[16];           /* "running", "completed", "interrupted", "failed" */
    bool have_second;
    struct dash_second last;   /* the latest second */
    struct dash_hist ack, incl;    /* every aggregated second, merged */
    size_t nbeacons;
    struct dash_beacon beacon[DASH_MAX_BEACONS];
    size_t nnodes;
    struct dash_node node[DASH_MAX_NODES];
    size_t nphases;
    struct dash_phase phase[DASH_MAX_PHASES];
};

#endif
