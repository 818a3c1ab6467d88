/* dash_json.h - the dashboard's JSON: the SSE messages (one per aggregated
 * second, one per event), /api/history and /api/summary. Every message is
 * one object with a "type": "second", "phase" (state "start" or "end"),
 * "verdict" (a change of the per-second verdict), "beacon" (joined, back,
 * lost, left), "log" (every events.log line) and "end" (the run is over).
 * Times are run seconds ("t"), latencies milliseconds rounded up to the
 * microsecond, a figure that does not exist is null. Pure; pointer
 * arguments must not be NULL unless stated otherwise. */
#ifndef BSS_DASH_JSON_H
#define BSS_DASH_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "dash_model.h"
#include "sbuf.h"

/* Beacons listed in one "second" message at most (/metrics has them all). */
#define DASH_JSON_MAX_BEACONS 256

/* One point of the whole-run history (floats: plots need no more). */
struct dash_point {
    double t;                  /* run time at the second's end */
    uint32_t phase_no;
    uint8_t verdict;           /* enum stats_verdict */
    float offered, sent, accepted, confirmed, rejected, failed; /* tx in the second;
                                                                 * failed = timeouts +
                                                                 * conn errors + dropped */
    float ack_p50_ms, ack_p99_ms, incl_p50_ms, incl_p99_ms; /* < 0: none */
    float cpu_max_pct;
};

/* The point of second s. */
void dash_json_point(struct dash_point *p, const struct dash_second *s);

/* A "second" message: s with its phase's name and ops per transaction (for
 * offered ops/s), the beacons' latest gauges (the first
 * DASH_JSON_MAX_BEACONS) and node URLs. beacons and nodes may be NULL when
 * their counts are 0. */
void dash_json_second(struct sbuf *out, const struct dash_second *s, const char *phase,
                      uint32_t ops_per_tx, const struct dash_beacon *beacons, size_t nbeacons,
                      const struct dash_node *nodes, size_t nnodes);

/* A "phase" message: p started (ended false) or ended. */
void dash_json_phase(struct sbuf *out, const struct dash_phase *p);

/* A "log" message: one events.log line. */
void dash_json_log(struct sbuf *out, double t, const char *text);

/* A "beacon" message: b's state after an event about it, in the event's words. */
void dash_json_beacon(struct sbuf *out, double t, const struct dash_beacon *b, const char *text);

/* A "verdict" message: the per-second verdict changed at second s. */
void dash_json_verdict(struct sbuf *out, const struct dash_second *s, enum stats_verdict from);

/* An "end" message: result ("completed", ...), report the page to link
 * (NULL: none). */
void dash_json_end(struct sbuf *out, double t, const char *result, const char *report);

/* /api/history: {"last_id": N, "elapsed": T, "result": R, "step": K,
 * "points": {"t": [...], "offered": [...], ...} (every K-th second, K chosen
 * so that at most max_points are listed; each column averaged over its K
 * seconds, latencies and CPU as their maximum), "totals": {the failure
 * counters summed over the beacons: rej_<reason>, timeouts, conn_errors,
 * dropped, lost, late}, "phases": [...]}. */
void dash_json_history(struct sbuf *out, uint64_t last_id, const struct dash_state *st,
                       const struct dash_point *pts, size_t npts, size_t max_points);

/* A CSV field as a JSON value: empty -> null, a finite decimal number as
 * itself, anything else as a string. */
void dash_json_cell(struct sbuf *out, const char *text);

#endif
