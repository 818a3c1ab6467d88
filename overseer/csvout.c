/* csvout.c - see csvout.h.
 *
 * Each file's columns are produced by one function that runs in two modes:
 * writing the header (column names) or a row (values). The header and the
 * rows therefore cannot disagree on the number or the order of columns. */
#include "csvout.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "hist.h"

struct csvout {
    FILE *f;
    char *path;
    enum csvout_kind kind;
    struct sbuf row; /* reused: allocates only while rows grow */
};

static const char *const file_names[] = {"timeseries.csv", "beacons.csv", "summary.csv",
                                         "nodes.csv"};

/* ---- fields ---- */

void csvout_field(struct sbuf *b, const char *s)
{
    if (strpbrk(s, ",\"\r\n") == NULL) {
        sbuf_adds(b, s);
        return;
    }
    sbuf_addc(b, '"');
    for (const char *p = s; *p; p++) {
        if (*p == '"')
            sbuf_addc(b, '"');
        sbuf_addc(b, *p);
    }
    sbuf_addc(b, '"');
}

/* Up to 3 decimals, trailing zeros dropped; whole numbers without a point. */
static void put_num(struct sbuf *b, double v)
{
    char buf[64];
    size_t n;

    if (!isfinite(v))
        return;
    if (v == 0)
        v = 0; /* no "-0" */
    if (fabs(v) < 9e15 && v == trunc(v)) {
        sbuf_addf(b, "%.0f", v);
        return;
    }
    n = (size_t)snprintf(buf, sizeof(buf), "%.3f", v);
    while (n > 0 && buf[n - 1] == '0')
        n--;
    if (n > 0 && buf[n - 1] == '.')
        n--;
    if (n == 2 && buf[0] == '-' && buf[1] == '0') /* -0.0001 */
        buf[0] = '0', n = 1;
    sbuf_add(b, buf, n);
}

/* Nanoseconds as milliseconds, rounded up to the microsecond, exactly. */
static void put_ms(struct sbuf *b, uint64_t ns)
{
    uint64_t us = ns / 1000 + (ns % 1000 != 0);

    sbuf_addf(b, "%llu.%03llu", (unsigned long long)(us / 1000),
              (unsigned long long)(us % 1000));
}

/* ---- the two-mode column writer ---- */

struct em {
    struct sbuf *b;
    bool header;
    size_t n;    /* columns so far */
    double secs; /* rates: counts / secs */
};

static void sep(struct em *e)
{
    if (e->n++ > 0)
        sbuf_addc(e->b, ',');
}

static void col_str(struct em *e, const char *name, const char *v)
{
    sep(e);
    csvout_field(e->b, e->header ? name : v ? v : "");
}

static void col_u64(struct em *e, const char *name, uint64_t v)
{
    sep(e);
    if (e->header)
        sbuf_adds(e->b, name);
    else
        sbuf_add_u64(e->b, v);
}

static void col_num(struct em *e, const char *name, double v)
{
    sep(e);
    if (e->header)
        sbuf_adds(e->b, name);
    else
        put_num(e->b, v);
}

static void col_pct(struct em *e, const char *name, double v)
{
    sep(e);
    if (e->header)
        sbuf_adds(e->b, name);
    else if (isfinite(v))
        sbuf_addf(e->b, "%.1f", v == 0 ? 0.0 : v);
}

/* A count that may be absent (have false: an empty field). */
static void col_opt_u64(struct em *e, const char *name, bool have, uint64_t v)
{
    sep(e);
    if (e->header)
        sbuf_adds(e->b, name);
    else if (have)
        sbuf_add_u64(e->b, v);
}

static void col_rate(struct em *e, const char *name, uint64_t count)
{
    col_num(e, name, e->header ? 0 : (double)count / e->secs);
}

/* A percentile (p < 0: the maximum) of h in ms; empty without samples. */
static void col_ms(struct em *e, const char *name, const struct hist *h, double p)
{
    sep(e);
    if (e->header)
        sbuf_adds(e->b, name);
    else if (hist_count(h) > 0)
        put_ms(e->b, p < 0 ? hist_max(h) : hist_percentile(h, p));
}

static void latency(struct em *e, const char *what, const struct hist *h, bool p999)
{
    static const struct { const char *suffix; double p; } pts[] = {
        {"p50", 50}, {"p90", 90}, {"p99", 99}, {"p999", 99.9}, {"max", -1}};
    char name[48];

    for (size_t i = 0; i < sizeof(pts) / sizeof(pts[0]); i++) {
        if (pts[i].p == 99.9 && !p999)
            continue;
        snprintf(name, sizeof(name), "%s_%s_ms", what, pts[i].suffix);
        col_ms(e, name, h, pts[i].p);
    }
}

/* The per-second figures shared by timeseries.csv and beacons.csv. */
static void per_second(struct em *e, const struct stats_interval *s)
{
    const struct stats_counters *c = &s->c;
    char name[48];

    col_num(e, "target_tps", s->g.target_rate);
    col_rate(e, "offered_tps", c->offered);
    col_rate(e, "sent_tps", c->sent);
    col_rate(e, "sent_ops_ps", c->sent_ops);
    col_rate(e, "accepted_tps", c->accepted);
    col_rate(e, "accepted_ops_ps", c->accepted_ops);
    col_rate(e, "rejected_tps", stats_rejected_total(c));
    for (int i = 0; i < STATS_REJ_COUNT; i++) {
        snprintf(name, sizeof(name), "rejected_%s_tps", stats_reject_name((enum stats_reject)i));
        col_rate(e, name, c->rejected[i]);
    }
    col_rate(e, "timeouts_tps", c->timeouts);
    col_rate(e, "conn_errors_ps", c->conn_errors);
    col_rate(e, "late_tps", c->late);
    col_rate(e, "held_tps", c->held);
    col_rate(e, "dropped_tps", c->dropped);
    col_rate(e, "held_dropped_tps", c->held_dropped);
    col_rate(e, "lost_tps", c->lost);
    col_rate(e, "pool_empty_ps", c->pool_empty); /* transactions, per second */
    col_rate(e, "stale_tps", c->stale);
    col_rate(e, "late_replies_ps", c->late_replies);
    col_rate(e, "unknown_replies_ps", c->unknown_replies);
    col_rate(e, "confirmed_tps", c->confirmed);
    col_rate(e, "confirmed_ops_ps", c->confirmed_ops);
    col_u64(e, "head_block", s->g.head_block);
    col_u64(e, "unconfirmed_tx", s->g.unconfirmed);
    col_u64(e, "in_flight_tx", s->g.in_flight);
    col_u64(e, "pending_tx", s->g.pending);
    col_u64(e, "held_pending_tx", s->g.held_pending);
    col_u64(e, "conns_ready", s->g.conns_ready);
    latency(e, "ack", &s->ack, false);
    latency(e, "inclusion", &s->inclusion, false);
    col_ms(e, "lateness_p99_ms", &s->lateness, 99);
    col_ms(e, "lateness_max_ms", &s->lateness, -1);
}

static void timeseries_cols(struct em *e, const struct stats_interval *s,
                            const struct csvout_row *r)
{
    col_num(e, "t_s", r->t_s);
    col_num(e, "interval_s", e->secs);
    col_u64(e, "wall_unix_ms", s->wall_ms);
    col_str(e, "phase", r->phase);
    per_second(e, s);
    col_u64(e, "beacons_alive", r->beacons_alive);
    col_pct(e, "beacon_cpu_max_pct", s->g.cpu_proc_all_pct);
    col_u64(e, "pool_min", r->pool_min);
    col_str(e, "verdict", r->verdict);
    col_str(e, "reason", r->reason);
}

static void beacon_cols(struct em *e, const struct stats_interval *s, const struct csvout_row *r)
{
    col_num(e, "t_s", r->t_s);
    col_str(e, "beacon", r->beacon_id);
    col_str(e, "host", r->host);
    col_num(e, "interval_s", e->secs);
    col_u64(e, "wall_unix_ms", s->wall_ms);
    col_str(e, "phase", r->phase);
    per_second(e, s);
    col_pct(e, "cpu_pct", s->g.cpu_proc_all_pct);
    col_pct(e, "cpu_one_core_pct", s->g.cpu_proc_pct);
    col_pct(e, "host_cpu_pct", s->g.cpu_host_pct);
    col_u64(e, "cores", s->g.cores);
    col_num(e, "rss_mib", (double)s->g.rss_bytes / (1024.0 * 1024.0));
    col_u64(e, "pool", s->g.pool_level);
    col_str(e, "verdict", r->verdict);
    col_str(e, "reason", r->reason);
}

static void summary_cols(struct em *e, const struct stats_interval *w,
                         const struct csvout_summary *x)
{
    const struct stats_counters *c = &w->c;
    char name[48];

    col_str(e, "phase", x->phase);
    col_str(e, "kind", x->kind);
    col_num(e, "phase_start_s", x->phase_start_s);
    col_num(e, "phase_end_s", x->phase_end_s);
    col_num(e, "window_start_s", x->window_start_s);
    col_num(e, "window_end_s", x->window_end_s);
    col_num(e, "window_s", e->secs);
    col_u64(e, "beacons", x->beacons);
    col_rate(e, "offered_tps", c->offered);
    if (x->ops_per_tx > 0 || e->header)
        col_rate(e, "offered_ops_ps", c->offered * x->ops_per_tx);
    else
        col_str(e, "offered_ops_ps", NULL);
    col_rate(e, "sent_tps", c->sent);
    col_rate(e, "sent_ops_ps", c->sent_ops);
    col_rate(e, "accepted_tps", c->accepted);
    col_rate(e, "accepted_ops_ps", c->accepted_ops);
    col_rate(e, "confirmed_tps", c->confirmed);
    col_rate(e, "confirmed_ops_ps", c->confirmed_ops);
    col_pct(e, "confirmed_of_offered_pct",
            e->header || c->offered == 0 ? NAN : 100.0 * (double)c->confirmed / (double)c->offered);
    col_u64(e, "offered_tx", c->offered);
    col_u64(e, "sent_tx", c->sent);
    col_u64(e, "accepted_tx", c->accepted);
    col_u64(e, "confirmed_tx", c->confirmed);
    col_u64(e, "rejected_tx", stats_rejected_total(c));
    for (int i = 0; i < STATS_REJ_COUNT; i++) {
        snprintf(name, sizeof(name), "rejected_%s_tx", stats_reject_name((enum stats_reject)i));
        col_u64(e, name, c->rejected[i]);
    }
    col_u64(e, "timeouts_tx", c->timeouts);
    col_u64(e, "conn_errors_count", c->conn_errors);
    col_u64(e, "late_tx", c->late);
    col_u64(e, "held_tx", c->held);
    col_u64(e, "dropped_tx", c->dropped);
    col_u64(e, "held_dropped_tx", c->held_dropped);
    col_u64(e, "lost_tx", c->lost);
    col_u64(e, "pool_empty_count", c->pool_empty); /* transactions */
    col_u64(e, "stale_tx", c->stale);
    col_u64(e, "late_replies_count", c->late_replies);
    col_u64(e, "unknown_replies_count", c->unknown_replies);
    latency(e, "ack", &w->ack, true);
    latency(e, "inclusion", &w->inclusion, true);
    col_ms(e, "lateness_p99_ms", &w->lateness, 99);
    col_ms(e, "lateness_max_ms", &w->lateness, -1);
    col_pct(e, "beacon_cpu_max_pct", x->beacon_cpu_max_pct);
    col_str(e, "verdict", x->verdict);
    col_str(e, "reason", x->reason);
    col_str(e, "note", x->note);
}

/* The node's telemetry (stats.h, nodetel.h). Its chain figures are empty
 * when it did not answer in the interval; forked and stalled are empty only
 * when no beacon collected telemetry at all (a 1.2 beacon). behind_blocks is
 * the highest head of any node in the interval minus this one's. */
static void tel_cols(struct em *e, const struct stats_interval *s, const struct stats_node *n)
{
    bool have = n->tel_answers > 0;
    bool on = have || n->max_block_size > 0 || n->forked > 0 || n->stalled > 0;
    uint64_t top = stats_nodes_top_head(s->node, s->nnodes < STATS_MAX_NODES ? s->nnodes
                                                                              : STATS_MAX_NODES);
    double fill = NAN;

    col_opt_u64(e, "head_block", have, n->head_block);
    col_opt_u64(e, "lib_block", have, n->lib_block);
    col_opt_u64(e, "lib_lag_blocks", have && n->lib_block <= n->head_block,
                n->head_block - n->lib_block);
    col_opt_u64(e, "behind_blocks", have, top - n->head_block);
    col_pct(e, "participation_pct", have ? n->participation_pct : NAN);
    col_opt_u64(e, "missed_blocks", have, n->missed_blocks);
    col_num(e, "block_interval_s", have && n->block_interval_s > 0 ? n->block_interval_s : NAN);
    col_opt_u64(e, "blocks", on, n->tel_blocks);
    col_opt_u64(e, "block_txs", on, n->tel_block_txs);
    col_opt_u64(e, "block_bytes", on, n->tel_block_bytes);
    if (!e->header)
        stats_node_fill_pct(n, &fill);
    col_num(e, "block_fill_pct", fill);
    col_opt_u64(e, "forked", on, n->forked);
    col_opt_u64(e, "stalled", on, n->stalled);
}

static void node_cols(struct em *e, const struct stats_interval *s, uint32_t node,
                      const struct csvout_row *r)
{
    const struct stats_node *n = &s->node[node]; /* node < STATS_MAX_NODES: csvout_node */
    uint64_t mean = 0;
    bool answered = stats_node_ack_mean(n, &mean);

    col_num(e, "t_s", r->t_s);
    col_num(e, "interval_s", e->secs);
    col_u64(e, "wall_unix_ms", s->wall_ms);
    col_str(e, "phase", r->phase);
    col_u64(e, "node", (uint64_t)node + 1);
    col_str(e, "url", r->node_url);
    col_u64(e, "beacons", r->beacons);
    col_rate(e, "sent_tps", n->sent);
    col_rate(e, "accepted_tps", n->accepted);
    col_rate(e, "rejected_tps", n->rejected);
    col_rate(e, "timeouts_tps", n->timeouts);
    col_rate(e, "conn_errors_ps", n->conn_errors);
    col_rate(e, "confirmed_tps", n->confirmed);
    sep(e);
    if (e->header)
        sbuf_adds(e->b, "ack_mean_ms");
    else if (answered)
        put_ms(e->b, mean);
    sep(e);
    if (e->header)
        sbuf_adds(e->b, "ack_max_ms");
    else if (answered)
        put_ms(e->b, n->ack_max_ns);
    col_pct(e, "sent_share_pct", e->header || s->c.sent == 0
                                     ? NAN : 100.0 * (double)n->sent / (double)s->c.sent);
    tel_cols(e, s, n);
}

/* Header mode reads no values; a zero interval stands in for them. */
static const struct stats_interval no_interval;
static const struct csvout_row no_row;
static const struct csvout_summary no_summary;

void csvout_header(enum csvout_kind kind, struct sbuf *out)
{
    struct em e = {.b = out, .header = true, .secs = 1};

    switch (kind) {
    case CSVOUT_TIMESERIES:
        timeseries_cols(&e, &no_interval, &no_row);
        break;
    case CSVOUT_BEACONS:
        beacon_cols(&e, &no_interval, &no_row);
        break;
    case CSVOUT_SUMMARY:
        summary_cols(&e, &no_interval, &no_summary);
        break;
    case CSVOUT_NODES:
        node_cols(&e, &no_interval, 0, &no_row);
        break;
    }
}

/* ---- files ---- */

static int write_row(struct csvout *o, char *err)
{
    sbuf_addc(&o->row, '\n');
    if (o->row.overflow)
        return err_set(err, "%s: out of memory", o->path);
    errno = 0;
    if (fwrite(o->row.buf, 1, o->row.len, o->f) != o->row.len || fflush(o->f) != 0)
        return err_set(err, "%s: write failed: %s", o->path,
                       errno ? strerror(errno) : "short write");
    return 0;
}

struct csvout *csvout_open(const char *dir, enum csvout_kind kind, bool overwrite, char *err)
{
    struct csvout *o = NULL;
    size_t len;
    int fd;

    if ((unsigned)kind > CSVOUT_NODES) {
        err_set(err, "csvout: unknown file kind %d", (int)kind);
        return NULL;
    }
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        err_set(err, "%s: cannot create the directory: %s", dir, strerror(errno));
        return NULL;
    }
    o = calloc(1, sizeof(*o));
    len = strlen(dir) + 1 + strlen(file_names[kind]) + 1;
    if (o == NULL || (o->path = malloc(len)) == NULL) {
        err_set(err, "%s: out of memory", dir);
        goto fail;
    }
    snprintf(o->path, len, "%s/%s", dir, file_names[kind]);
    o->kind = kind;
    sbuf_init(&o->row);
    fd = open(o->path, O_WRONLY | O_CREAT | O_CLOEXEC | (overwrite ? O_TRUNC : O_EXCL), 0644);
    if (fd < 0) {
        if (errno == EEXIST)
            err_set(err, "%s: already exists (results are not overwritten; choose another "
                    "output directory)", o->path);
        else
            err_set(err, "%s: cannot create: %s", o->path, strerror(errno));
        goto fail;
    }
    if ((o->f = fdopen(fd, "w")) == NULL) {
        err_set(err, "%s: %s", o->path, strerror(errno));
        close(fd);
        goto fail;
    }
    csvout_header(kind, &o->row);
    if (write_row(o, err) < 0)
        goto fail;
    return o;
fail:
    if (o != NULL) {
        if (o->f != NULL)
            fclose(o->f);
        sbuf_free(&o->row);
        free(o->path);
        free(o);
    }
    return NULL;
}

int csvout_close(struct csvout *o, char *err)
{
    int rc = 0;

    if (o == NULL)
        return 0;
    errno = 0;
    if (fflush(o->f) != 0 || fsync(fileno(o->f)) != 0)
        rc = err_set(err, "%s: cannot sync: %s", o->path, strerror(errno));
    if (fclose(o->f) != 0 && rc == 0)
        rc = err_set(err, "%s: cannot close: %s", o->path, strerror(errno));
    sbuf_free(&o->row);
    free(o->path);
    free(o);
    return rc;
}

const char *csvout_path(const struct csvout *o)
{
    return o->path;
}

static int begin(struct csvout *o, enum csvout_kind kind, struct em *e, double secs, char *err)
{
    if (o->kind != kind)
        return err_set(err, "%s: not a %s handle", o->path, file_names[kind]);
    sbuf_reset(&o->row);
    e->b = &o->row;
    e->header = false;
    e->n = 0;
    e->secs = secs;
    return 0;
}

/* A usable interval length: rates divide by it. */
static double secs_or_one(double s)
{
    return s > 0 && isfinite(s) ? s : 1;
}

int csvout_timeseries(struct csvout *o, const struct stats_interval *s,
                      const struct csvout_row *r, char *err)
{
    struct em e;

    if (begin(o, CSVOUT_TIMESERIES, &e, secs_or_one(r->interval_s), err) < 0)
        return -1;
    timeseries_cols(&e, s, r);
    return write_row(o, err);
}

int csvout_beacon(struct csvout *o, const struct stats_interval *s, const struct csvout_row *r,
                  char *err)
{
    struct em e;

    if (begin(o, CSVOUT_BEACONS, &e, secs_or_one(r->interval_s), err) < 0)
        return -1;
    beacon_cols(&e, s, r);
    return write_row(o, err);
}

int csvout_node(struct csvout *o, const struct stats_interval *s, uint32_t node,
                const struct csvout_row *r, char *err)
{
    struct em e;

    if (node >= STATS_MAX_NODES)
        return err_set(err, "%s: node %u out of range", o->path, (unsigned)node + 1);
    if (begin(o, CSVOUT_NODES, &e, secs_or_one(r->interval_s), err) < 0)
        return -1;
    node_cols(&e, s, node, r);
    return write_row(o, err);
}

int csvout_summary(struct csvout *o, const struct stats_interval *w,
                   const struct csvout_summary *x, char *err)
{
    struct em e;
    double secs = x->window_end_s - x->window_start_s;

    /* An empty window has no rates: they come out as empty fields. */
    if (begin(o, CSVOUT_SUMMARY, &e, secs > 0 ? secs : NAN, err) < 0)
        return -1;
    summary_cols(&e, w, x);
    return write_row(o, err);
}
