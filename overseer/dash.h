/* dash.h - the live dashboard: an HTTP server (libmicrohttpd, used by this
 * module only) on threads of its own, fed by the overseer's thread.
 *
 *   GET /              the live page (self-contained: no external file)
 *   GET /events        Server-Sent Events: one JSON message per aggregated
 *                      second and per event (dash_json.h); Last-Event-ID (or
 *                      ?last_id=N) resumes from a bounded buffer; without
 *                      either, or with an id it cannot resume from (evicted,
 *                      or ahead of this run), the buffer is replayed from
 *                      its oldest
 *   GET /metrics       Prometheus text format 0.0.4 (dash_metrics.h)
 *   GET /api/summary   summary.csv so far, as a JSON array of objects
 *   GET /api/history   the whole run per second (downsampled) and its phases
 *   GET /report.html   the report, once the run has written it
 *
 * Read-only: nothing served changes the run. A non-loopback address needs a
 * token: `Authorization: Bearer TOKEN` or `?token=TOKEN`, else 401.
 *
 * Threads: the feed functions (dash_log ... dash_end) are called by one
 * thread, the overseer's. They never wait on a client: each takes the
 * dashboard's lock only to copy a value into its state or into a bounded
 * queue (when the queue is full the oldest message is dropped and counted).
 * A worker thread renders the queued messages into the SSE buffer; each
 * client's connection thread copies frames out of it. A client that falls
 * behind the buffer, or does not read for DASH_CLIENT_TIMEOUT_S, is dropped.
 * At most DASH_MAX_SSE event streams and DASH_MAX_CONN connections at once
 * (503 / refused beyond).
 * Pointer arguments must not be NULL unless stated otherwise. */
#ifndef BSS_DASH_H
#define BSS_DASH_H

#include <stdbool.h>
#include <stdint.h>

#include "dash_model.h"
#include "stats.h"

#define DASH_DEFAULT_PORT 8089
#define DASH_MAX_SSE 64
#define DASH_MAX_CONN 128
#define DASH_CLIENT_TIMEOUT_S 10
#define DASH_RING_FRAMES 4096
#define DASH_RING_BYTES (32u << 20)

struct dash_config {
    const char *listen;     /* "[ADDR:]PORT" (ADDR: IPv4, [IPv6] or localhost;
                             * default 127.0.0.1) */
    const char *token_file; /* the token's file (its first line), or NULL */
    const char *out_dir;    /* results: summary.csv, report.html */
    uint64_t t0_ns;         /* the run's start, monotonic */
};

struct dash;

/* Parses cfg->listen, reads the token, binds and starts serving. A
 * non-loopback address without a token file is refused. *busy (may be
 * NULL) says the address was in use. Returns the dashboard, or NULL with
 * err naming the address or file at fault. */
struct dash *dash_new(const struct dash_config *cfg, bool *busy, char *err);

/* Stops serving (open streams end), joins the threads, frees. NULL: no-op. */
void dash_free(struct dash *d);

/* The page's URL, e.g. "http://127.0.0.1:8089/" (owned by d). */
const char *dash_url(const struct dash *d);

/* ---- the feed (the overseer's thread) ---- */

/* The target nodes, in the order of the beacons' per-node parts. */
void dash_nodes(struct dash *d, const char *const *urls, size_t n);
/* One events.log line at run time t. */
void dash_log(struct dash *d, double t, const char *text);
/* An event about beacon id (on host) that leaves it alive or not. */
void dash_beacon_event(struct dash *d, double t, const char *id, const char *host, bool alive,
                       const char *text);
/* One beacon's interval s, as it arrives (counted into the run totals). */
void dash_beacon_stats(struct dash *d, const char *id, const char *host,
                       const struct stats_interval *s);
/* A phase (or search step) started (p->ended false) or ended. */
void dash_phase(struct dash *d, const struct dash_phase *p);
/* One aggregated second: head holds second, t_s, phase_no, beacons, alive,
 * pool_min, cpu_max_pct, verdict and reason; the rest is taken from s (the
 * merged interval, as written to timeseries.csv). */
void dash_second(struct dash *d, const struct dash_second *head, const struct stats_interval *s);
/* The run is over: result ("completed", "interrupted", "failed");
 * report: whether OUT/report.html was written. */
void dash_end(struct dash *d, double t, const char *result, bool report);

/* Messages dropped because the queue was full (the worker fell behind). */
uint64_t dash_dropped(struct dash *d);

#endif
