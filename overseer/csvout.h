/* csvout.h - the overseer's result files, written as results arrive so that
 * a crash loses nothing already received:
 *  - timeseries.csv: one row per second of the run (the beacons' intervals
 *    merged), csvout_timeseries;
 *  - beacons.csv: the same per beacon per second, csvout_beacon;
 *  - summary.csv: one row per phase over its steady-state window,
 *    csvout_summary;
 *  - nodes.csv: per target node per second (the beacons' per-node parts
 *    merged), csvout_node.
 * Each file starts with a header row; names carry their unit (_s, _ms,
 * _tps = transactions per second, _ops_ps = operations per second, _ps =
 * events per second, _tx = transactions, _pct). The column lists are fixed
 * (csvout_header; tests pin them): add columns at the end, never rename.
 * Text fields are quoted as RFC 4180 says (fields holding a comma, a double
 * quote, CR or LF are enclosed in double quotes, inner quotes doubled);
 * lines end in LF. A value that does not exist (a percentile of no
 * samples, a non-finite number) is an empty field. Latencies are in ms
 * with 3 decimals, rounded UP to the microsecond so that a percentile is
 * never understated; rates have up to 3 decimals.
 *
 * Every row is written with one fwrite and flushed (fflush) before the call
 * returns; csvout_close also fsyncs. One handle per file; a handle has one
 * owner thread. Pointer arguments must not be NULL unless stated otherwise. */
#ifndef BSS_CSVOUT_H
#define BSS_CSVOUT_H

#include <stdbool.h>
#include <stdint.h>

#include "sbuf.h"
#include "stats.h"

enum csvout_kind {
    CSVOUT_TIMESERIES, /* timeseries.csv */
    CSVOUT_BEACONS,    /* beacons.csv */
    CSVOUT_SUMMARY,    /* summary.csv */
    CSVOUT_NODES,      /* nodes.csv */
};

/* What a per-second row needs besides the interval. */
struct csvout_row {
    double t_s;          /* run time at the END of the interval, s */
    double interval_s;   /* the interval's length, s; 0 means 1 (rates = counts / this).
                          * Not taken from the interval: merged beacons' monotonic
                          * bounds come from different clocks */
    const char *phase;   /* phase name (NULL: empty field) */
    const char *verdict; /* stats_verdict_name(...) (NULL: empty) */
    const char *reason;  /* the verdict's reason (NULL: empty) */
    /* timeseries.csv: */
    uint32_t beacons_alive;
    uint64_t pool_min;   /* smallest pool among the live beacons (the merged
                          * interval's pool_level is their sum) */
    /* beacons.csv: */
    const char *beacon_id; /* (NULL: empty) */
    const char *host;      /* (NULL: empty) */
    /* nodes.csv: */
    const char *node_url;  /* (NULL: empty) */
    uint32_t beacons;      /* beacons whose intervals were merged */
};

/* What a summary row needs besides the merged steady-state window. */
struct csvout_summary {
    const char *phase;        /* (NULL: empty) */
    const char *kind;         /* "load", "find_limit", "p2p_limit" (NULL: empty) */
    double phase_start_s, phase_end_s;   /* run time */
    double window_start_s, window_end_s; /* the steady-state window; rates are
                                          * counts / (end - start) */
    uint32_t beacons;         /* beacons that took part */
    uint32_t ops_per_tx;      /* for offered_ops_ps (0: empty field) */
    double beacon_cpu_max_pct; /* highest beacon CPU in the window, % of its usable cores */
    const char *verdict;      /* (NULL: empty) */
    const char *reason;       /* (NULL: empty) */
    const char *note;         /* free text, e.g. a find_limit or p2p_limit result (NULL: empty) */
};

struct csvout;

/* Creates DIR/timeseries.csv, beacons.csv or summary.csv (per kind) and
 * writes its header row. The directory is created when missing (one
 * level). An existing file is an error unless overwrite is true (a run's
 * results are never replaced by accident; `overseer report` rewrites the
 * summary). Returns a handle (free with csvout_close), or NULL with err. */
struct csvout *csvout_open(const char *dir, enum csvout_kind kind, bool overwrite, char *err);

/* Flushes, fsyncs and closes; frees o. Returns 0, or -1 with err when
 * something could not be written (o is freed either way). NULL: returns 0. */
int csvout_close(struct csvout *o, char *err);

/* The file's path (owned by o). */
const char *csvout_path(const struct csvout *o);

/* Appends one row to timeseries.csv: s is the merged interval of every
 * beacon (merge parts of the same second with the same seq, so that CPU is
 * the beacons' maximum; see stats_merge). Returns 0, or -1 with err (a
 * handle of another kind, or a write error naming the file). */
int csvout_timeseries(struct csvout *o, const struct stats_interval *s,
                      const struct csvout_row *r, char *err);

/* Appends one row to beacons.csv: s is one beacon's interval. */
int csvout_beacon(struct csvout *o, const struct stats_interval *s, const struct csvout_row *r,
                  char *err);

/* Appends one row to nodes.csv for node number node (0-based; written
 * 1-based) of s, the merged interval of every beacon (s->node[node]); r
 * gives time, phase, node_url and beacons. Columns: t_s, interval_s,
 * wall_unix_ms, phase, node, url, beacons, sent_tps, accepted_tps,
 * rejected_tps, timeouts_tps, conn_errors_ps, confirmed_tps, ack_mean_ms
 * (empty without answers), ack_max_ms, sent_share_pct (of everything
 * sent in the interval); the node's telemetry (empty when it did not
 * answer): head_block, lib_block, lib_lag_blocks (head - irreversible),
 * behind_blocks (the highest head of any node in the interval minus its
 * own), participation_pct, missed_blocks, block_interval_s (empty until
 * measured); blocks, block_txs, block_bytes (blocks of its chain read in the
 * interval, their transactions and packed bytes), block_fill_pct (bytes /
 * (blocks x maximum_block_size); empty without blocks), forked, stalled (0
 * or 1; see stats.h). */
int csvout_node(struct csvout *o, const struct stats_interval *s, uint32_t node,
                const struct csvout_row *r, char *err);

/* Appends one row to summary.csv: w is the merge of the phase's intervals
 * inside its steady-state window (counters and histograms over the whole
 * window). */
int csvout_summary(struct csvout *o, const struct stats_interval *w,
                   const struct csvout_summary *x, char *err);

/* Appends the header row of a kind to out, without the line end. */
void csvout_header(enum csvout_kind kind, struct sbuf *out);

/* Appends s as one CSV field, quoted when RFC 4180 requires it. Public for
 * other result files. */
void csvout_field(struct sbuf *b, const char *s);

#endif
