/* report_impl.h - the report's parts, shared by report.c (loading the
 * results directory), report_csv.c (reading CSV), report_page.c and
 * report_plots.c (the HTML page and its plots) and report_svg.c (drawing one
 * plot). Not a public header. Pointer arguments must not be NULL unless
 * stated otherwise. */
#ifndef BSS_REPORT_IMPL_H
#define BSS_REPORT_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jv.h"
#include "sbuf.h"

/* ---- report_csv.c: a CSV file (RFC 4180) read whole ---- */

struct rcsv {
    char *path;       /* for messages */
    char *text;       /* the file; fields unescaped in place, each NUL-terminated */
    size_t ncols;     /* the header's */
    size_t nrows;     /* data rows (the header is not counted) */
    uint32_t *cell;   /* (nrows + 1) * ncols offsets into text; row 0 is the header */
    uint32_t *line;   /* each row's first line in the file (nrows + 1) */
    double **num;     /* per column: parsed by rcsv_column on first use */
};

/* Reads path: a header row, then rows of exactly as many fields, each row
 * ended by LF (or CRLF). Quoted fields may hold commas, quotes ("") and
 * line ends. Returns 0, or -1 with err naming the file and the line: a
 * missing or empty file, a row of the wrong length or a last row without
 * its line end (a truncated file), a stray quote. c is zeroed first; free
 * it with rcsv_free (also after a failure). */
int rcsv_load(struct rcsv *c, const char *path, char *err);
void rcsv_free(struct rcsv *c);

/* The index of the column named name, or -1. */
int rcsv_find(const struct rcsv *c, const char *name);
/* Column col's name (col < ncols). */
const char *rcsv_name(const struct rcsv *c, size_t col);
/* Data row row's field col ("" when col < 0). row < nrows. */
const char *rcsv_cell(const struct rcsv *c, size_t row, int col);
/* Column name as numbers, one per data row (an empty field is NAN), parsed
 * once and owned by c. Returns NULL with err when there is no such column
 * or a field is not a number (naming the file, line and column). */
const double *rcsv_column(struct rcsv *c, const char *name, char *err);

/* The data rows of a CSV grouped by the text of one column (a beacon id, a
 * node number), groups in the order they first appear, rows in file order
 * within each group. */
struct rcsv_groups {
    size_t n;               /* groups */
    size_t rows;            /* data rows */
    size_t *first;          /* each group's first data row */
    size_t *start, *len;    /* each group's place in the group order */
    size_t *order;          /* data rows in group order (nrows entries) */
};

/* Groups c's rows by column col. Returns 0, or -1 with err (out of memory,
 * col < 0). Free g with rcsv_groups_free (also after a failure). */
int rcsv_group(const struct rcsv *c, int col, struct rcsv_groups *g, char *err);
void rcsv_groups_free(struct rcsv_groups *g);
/* Copies a column (nrows values) into out in group order: group k's values
 * are out[start[k]] .. out[start[k] + len[k] - 1]. */
void rcsv_group_order(const struct rcsv_groups *g, const double *col, double *out);

/* ---- report_svg.c: one plot ---- */

enum rplot_dash { RPLOT_SOLID, RPLOT_DASHED, RPLOT_DOTTED };

struct rplot_series {
    const char *label;      /* legend */
    const double *x, *y;    /* n points, x increasing; a NAN y (or y <= 0 on
                             * a log scale) leaves a gap */
    size_t n;
    const char *color;      /* CSS colour */
    enum rplot_dash dash;
    double width;           /* stroke width; 0: 2 */
    bool split;             /* not joined across the start of a phase (a
                             * series measured per phase) */
};

/* A phase (or a step of a search phase) along the time axis. */
struct rplot_band {
    double t0, t1;
    const char *label;
    bool step;              /* a step inside the phase before it */
};

/* Per-second verdicts, drawn as a strip along the bottom of the plot. */
struct rplot_strip {
    const double *t0, *t1;  /* each second's bounds */
    const char *const *verdict; /* "ok", "node-bound", "beacon-bound", "" */
    size_t n;
};

struct rplot {
    const char *id;         /* unique in the page */
    const char *title;
    const char *ylabel;     /* with its unit */
    bool logy;
    double ymax_min;        /* the y axis reaches at least this (0: data only) */
    double xmin, xmax;      /* run time, s */
    double gap_s;           /* points further apart than this are not joined */
    const struct rplot_series *series;
    size_t nseries;
    const struct rplot_band *bands;
    size_t nbands;
    const struct rplot_strip *strip; /* NULL: none */
};

/* Appends p as one <svg> element (no external references; sized by the
 * page's CSS). */
void rplot_svg(struct sbuf *out, const struct rplot *p);

/* ---- report.c: the results directory ---- */

/* One devnode's per-second stats (devnode-N.log). */
struct rep_node {
    unsigned n;             /* N */
    size_t len, cap;
    double *t;              /* run time at the end of each interval, s */
    double *applied_tps, *accepted_tps, *rejected_tps, *pending;
    double *head;           /* head block at the end of each interval */
    size_t bad_lines;       /* lines starting with '{' that were not stats */
    size_t first_bad;       /* the first one's line number */
    /* A devnode network's figures (devnode --peer; net false otherwise). */
    bool net;
    char role[16];          /* "producer" or "follower" */
    double lib, peers;      /* last line's LIB and number of peers */
    double relay_queue_max; /* most relay messages waiting at once */
    double relay_dropped;   /* total (last line) */
    double missed_blocks, too_big_tx, too_big_blocks, id_mismatch; /* totals */
    double behind_max;      /* most blocks behind what a peer relayed */
    size_t links_down_s;    /* seconds with a link down after the first full
                             * mesh and before the last second with load */
};

struct rep {
    const char *dir;
    struct rcsv ts, bc, sum;
    struct rcsv nd;         /* nodes.csv (loaded when have_nd) */
    bool have_nd;
    bool sum_regenerated;
    char *man_text;
    struct jv *man;
    struct rep_node *nodes; /* sorted by n */
    size_t nnodes;
    char *events;           /* events.log (NULL: none) */
    size_t events_len;
};

/* A JSON number as a double (integer or real); false for anything else. */
bool rep_jnum(const struct jv *v, double *out);

/* ---- report_page.c, report_plots.c: the page ---- */

/* Appends the whole page. Returns 0, or -1 with err (a column missing or
 * not numeric). */
int report_page(struct rep *r, struct sbuf *out, char *err);
/* Appends the plots section. */
int report_plots(struct rep *r, struct sbuf *out, char *err);
/* report_nodes.c: appends the "Target nodes" section (nodes.csv's telemetry
 * per node; nothing for results without those columns). Returns 0, or -1
 * with err (a column not numeric, out of memory). */
int report_target_nodes(struct rep *r, struct sbuf *out, char *err);

/* HTML-escapes s (n bytes) into out: & < > " ' as entities; other control
 * characters except tab and line ends are dropped. */
void rep_escn(struct sbuf *out, const char *s, size_t n);
void rep_esc(struct sbuf *out, const char *s);

#endif
