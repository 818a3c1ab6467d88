/* agg.h - per-second aggregation of a phase across beacons. Beacon b's
 * interval number k (1, 2, ... from the phase start, which all beacons
 * share within their round-trip error) goes into row k. A row is complete,
 * and handed out, when every beacon still alive has reported it, or a grace
 * time after its first report (a lost or late beacon must not stall the
 * time series). Everything also goes into the phase total, including
 * intervals that arrive after their row was handed out (counted in
 * late_intervals), so totals are exact even when a row was incomplete. */
#ifndef BSS_AGG_H
#define BSS_AGG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stats.h"

#define AGG_MAX_BEACONS 1024
#define AGG_RING 16            /* rows in progress at once */

struct agg_row {
    uint32_t second;           /* 1, 2, ... */
    struct stats_interval s;   /* merged over the beacons that reported */
    unsigned beacons;          /* how many reported */
    double cpu_max_pct;        /* highest beacon process CPU (% of one core) */
    double cpu_max_all_pct;    /* highest beacon CPU as % of its usable cores */
    uint64_t pool_min;         /* lowest beacon pool level */
    enum stats_verdict verdict; /* worst: beacon-bound > node-bound > ok */
    char reason[96];           /* the worst beacon's reason */
};

struct agg;

/* For a phase with up to nbeacons beacons (indices 0..nbeacons-1).
 * grace_ns: how long a row waits for a missing beacon. NULL when out of memory. */
struct agg *agg_new(size_t nbeacons, uint64_t grace_ns);
void agg_free(struct agg *a);

/* Adds beacon b's interval number `second`, received at now. */
void agg_add(struct agg *a, unsigned b, uint32_t second, const struct stats_interval *s,
             enum stats_verdict v, const char *reason, uint64_t now);

/* Hands out the oldest complete row (alive[b] says which beacons are
 * expected; flush: hand out whatever is pending, e.g. at phase end).
 * Returns true with *row filled. Rows come out in order, without gaps in
 * their numbers (a second nobody reported comes out empty). */
bool agg_next(struct agg *a, const bool *alive, uint64_t now, bool flush, struct agg_row *row);

/* Every interval added so far, merged (exact). */
const struct stats_interval *agg_total(const struct agg *a);
/* Intervals that arrived after their row was handed out. */
uint64_t agg_late_intervals(const struct agg *a);

#endif
