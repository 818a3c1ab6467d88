/* report_plots.c - the report's plots: what each one shows, from which
 * columns (report_svg.c draws them). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "report_impl.h"

#define GAP_S 2.5         /* per-second points further apart: a pause between phases */
#define MAX_BEACON_LINES 10 /* more beacons: thin lines without a legend each */
#define NSERIES 64

static const char *const palette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                      "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
#define PALETTE(i) palette[(i) % (sizeof palette / sizeof palette[0])]

/* What every plot shares: the time axis and the phases along it. */
struct ctx {
    struct rep *r;
    struct sbuf *out;
    const double *t, *secs;
    double xmax;
    struct rplot_band *bands;
    size_t nbands;
    char *labels;            /* the bands' labels, NUL-separated */
};

static void figure(struct ctx *c, struct rplot *p, const char *caption)
{
    p->xmin = 0;
    p->xmax = c->xmax;
    p->gap_s = GAP_S;
    p->bands = c->bands;
    p->nbands = c->nbands;
    sbuf_addf(c->out, "<figure id=\"fig-%s\"><h3>", p->id);
    rep_esc(c->out, p->title);
    sbuf_adds(c->out, "</h3><figcaption>");
    rep_esc(c->out, caption);
    sbuf_adds(c->out, "</figcaption>\n");
    rplot_svg(c->out, p);
    sbuf_adds(c->out, "</figure>\n");
}

/* Phases are runs of rows with one phase name; "name@x" rows are steps of
 * the search phase "name". */
static int make_bands(struct ctx *c, char *err)
{
    struct rcsv *ts = &c->r->ts;
    int pcol = rcsv_find(ts, "phase");
    size_t cap = 0, used = 0, lcap = 0, group = (size_t)-1;
    const char *prev = NULL;

    if (pcol < 0)
        return err_set(err, "%s: no column \"phase\"", ts->path);
    /* Labels first (offsets), pointers once the buffer stops moving. */
    size_t *loff = NULL;
    for (size_t a = 0, b; a < ts->nrows; a = b) {
        const char *name = rcsv_cell(ts, a, pcol);
        size_t plen = strcspn(name, "@");
        for (b = a + 1; b < ts->nrows && strcmp(rcsv_cell(ts, b, pcol), name) == 0; b++)
            ;
        if (*name == '\0')
            continue;
        double t0 = c->t[a] - (isfinite(c->secs[a]) ? c->secs[a] : 1), t1 = c->t[b - 1];
        bool newgroup = prev == NULL || strcspn(prev, "@") != plen || strncmp(prev, name, plen);
        prev = name;
        for (int k = newgroup ? 0 : 1; k < (name[plen] ? 2 : 1); k++) {
            const char *label = k == 0 ? name : name + plen;
            size_t llen = k == 0 ? plen : strlen(name + plen);
            if (c->nbands == cap) {
                size_t ncap = cap ? cap * 2 : 16;
                struct rplot_band *p = realloc(c->bands, ncap * sizeof *p);
                size_t *q = realloc(loff, ncap * sizeof *q);
                if (p != NULL)
                    c->bands = p;
                if (q != NULL)
                    loff = q;
                if (p == NULL || q == NULL)
                    goto oom;
                cap = ncap;
            }
            if (used + llen + 1 > lcap) {
                size_t ncap = (used + llen + 1) * 2;
                char *p = realloc(c->labels, ncap);
                if (p == NULL)
                    goto oom;
                c->labels = p;
                lcap = ncap;
            }
            memcpy(c->labels + used, label, llen);
            c->labels[used + llen] = '\0';
            loff[c->nbands] = used;
            used += llen + 1;
            if (k == 0)
                group = c->nbands;
            c->bands[c->nbands++] = (struct rplot_band){t0, t1, NULL, k == 1};
        }
        if (group != (size_t)-1)
            c->bands[group].t1 = t1;
    }
    for (size_t i = 0; i < c->nbands; i++)
        c->bands[i].label = c->labels + loff[i];
    free(loff);
    return 0;
oom:
    free(loff);
    return err_set(err, "out of memory");
}

/* Adds series (label, column of the time series) to s. */
static int ts_series(struct ctx *c, struct rplot_series *s, size_t *n, const char *label,
                     const char *col, const char *color, enum rplot_dash dash, double width,
                     char *err)
{
    const double *y = rcsv_column(&c->r->ts, col, err);

    if (y == NULL)
        return -1;
    if (*n < NSERIES)
        s[(*n)++] = (struct rplot_series){label, c->t, y, c->r->ts.nrows, color, dash, width,
                                          true};
    return 0;
}

static int plot_rates(struct ctx *c, char *err)
{
    struct rplot_series s[NSERIES];
    size_t n = 0, rows = c->r->ts.nrows;
    int vcol = rcsv_find(&c->r->ts, "verdict");
    double *target = malloc((rows ? rows : 1) * sizeof *target);
    double *t0 = malloc((rows ? rows : 1) * sizeof *t0);
    const char **verdict = malloc((rows ? rows : 1) * sizeof *verdict);
    const double *tgt = rcsv_column(&c->r->ts, "target_tps", err);
    int rc = -1;

    if (target == NULL || t0 == NULL || verdict == NULL) {
        err_set(err, "out of memory");
        goto done;
    }
    if (tgt == NULL)
        goto done;
    for (size_t i = 0; i < rows; i++) {
        target[i] = tgt[i] > 0 ? tgt[i] : NAN; /* 0: an unlimited curve */
        t0[i] = c->t[i] - (isfinite(c->secs[i]) ? c->secs[i] : 1);
        verdict[i] = rcsv_cell(&c->r->ts, i, vcol);
    }
    s[n++] = (struct rplot_series){"target", c->t, target, rows, "#9ca3af", RPLOT_DOTTED, 2,
                                   true};
    if (ts_series(c, s, &n, "offered", "offered_tps", "#1f77b4", RPLOT_SOLID, 2, err) < 0 ||
        ts_series(c, s, &n, "sent", "sent_tps", "#17becf", RPLOT_DASHED, 2, err) < 0 ||
        ts_series(c, s, &n, "accepted by the node", "accepted_tps", "#9467bd", RPLOT_DASHED, 1.5,
                  err) < 0 ||
        ts_series(c, s, &n, "confirmed (in a block)", "confirmed_tps", "#2ca02c", RPLOT_SOLID, 2.5,
                  err) < 0)
        goto done;
    struct rplot_strip strip = {t0, c->t, verdict, rows};
    struct rplot p = {.id = "throughput", .title = "Throughput: offered vs sent vs confirmed",
                      .ylabel = "transactions per second", .series = s, .nseries = n,
                      .strip = &strip};
    figure(c, &p, "All beacons together, per second. Offered: due by the rate curve; sent: "
           "written to a node; confirmed: seen in a block. Shaded bands are the phases; the "
           "strip along the bottom marks seconds judged node-bound or beacon-bound.");
    rc = 0;
done:
    free(target);
    free(t0);
    free(verdict);
    return rc;
}

static int plot_latency(struct ctx *c, char *err)
{
    static const struct { const char *label, *col, *color; enum rplot_dash dash; } l[] = {
        {"ack p50", "ack_p50_ms", "#9ecae1", RPLOT_SOLID},
        {"ack p90", "ack_p90_ms", "#4292c6", RPLOT_DASHED},
        {"ack p99", "ack_p99_ms", "#08519c", RPLOT_SOLID},
        {"inclusion p50", "inclusion_p50_ms", "#fdae6b", RPLOT_SOLID},
        {"inclusion p90", "inclusion_p90_ms", "#f16913", RPLOT_DASHED},
        {"inclusion p99", "inclusion_p99_ms", "#a63603", RPLOT_SOLID},
    };
    struct rplot_series s[NSERIES];
    size_t n = 0;

    for (size_t i = 0; i < sizeof l / sizeof l[0]; i++)
        if (ts_series(c, s, &n, l[i].label, l[i].col, l[i].color, l[i].dash, 2, err) < 0)
            return -1;
    struct rplot p = {.id = "latency", .title = "Latency percentiles (log scale)",
                      .ylabel = "latency (ms, log scale)", .logy = true, .series = s,
                      .nseries = n};
    figure(c, &p, "Per second, from the due time: ack = until the node answered the "
           "broadcast; inclusion = until the transaction was seen in a block.");
    return 0;
}

static int plot_failures(struct ctx *c, char *err)
{
    static const struct { const char *col, *label; } other[] = {
        {"timeouts_tps", "timeouts (no answer)"}, {"conn_errors_ps", "connection errors"},
        {"dropped_tps", "dropped by the beacon (due, never sent)"},
        {"held_tps", "held back by the node (sent late)"},
        {"held_dropped_tps", "given up while the node held them"},
        {"lost_tps", "lost (accepted, expired)"},
        {"late_tps", "sent late by the beacon"}, {"pool_empty_ps", "pre-signed pool empty"}};
    struct rplot_series s[NSERIES];
    char labels[NSERIES][64];
    size_t n = 0;
    struct rcsv *ts = &c->r->ts;

    /* Every rejection category the file has, then the other failures; only
     * those that happened. */
    for (size_t col = 0; col < ts->ncols + sizeof other / sizeof other[0] && n < NSERIES; col++) {
        const char *name, *label;
        if (col < ts->ncols) {
            name = rcsv_name(ts, col);
            size_t len = strlen(name);
            if (strncmp(name, "rejected_", 9) != 0 || len < 13 || strcmp(name, "rejected_tps") == 0 ||
                strcmp(name + len - 4, "_tps") != 0)
                continue;
            snprintf(labels[n], sizeof labels[n], "rejected: %.*s", (int)(len - 13), name + 9);
            label = labels[n];
        } else {
            name = other[col - ts->ncols].col;
            label = other[col - ts->ncols].label;
            if (rcsv_find(ts, name) < 0)
                continue; /* a column older results do not have */
        }
        const double *y = rcsv_column(ts, name, err);
        bool any = false;
        if (y == NULL)
            return -1;
        for (size_t i = 0; i < ts->nrows && !any; i++)
            any = y[i] > 0;
        if (any) {
            s[n] = (struct rplot_series){label, c->t, y, ts->nrows, PALETTE(n + 3), RPLOT_SOLID,
                                         2, true};
            n++;
        }
    }
    bool none = n == 0;
    if (none && ts_series(c, s, &n, "all kinds (none)", "rejected_tps", "#2ca02c", RPLOT_SOLID,
                          2, err) < 0)
        return -1;
    struct rplot p = {.id = "failures", .title = "Failures by category",
                      .ylabel = "per second", .ymax_min = none ? 1 : 0, .series = s,
                      .nseries = n};
    figure(c, &p, none ? "No failures of any kind in this run: every category was 0 every second."
                       : "Per second, all beacons together; categories that never happened are "
                         "left out. Rejections are by the node's reason.");
    return 0;
}

static int plot_cpu(struct ctx *c, char *err)
{
    struct rcsv *bc = &c->r->bc;
    int idc = rcsv_find(bc, "beacon"), hc = rcsv_find(bc, "host");
    const double *t = rcsv_column(bc, "t_s", err), *cpu = rcsv_column(bc, "cpu_pct", err),
                 *hcpu = rcsv_column(bc, "host_cpu_pct", err);
    struct rcsv_groups g;
    double *v = NULL, *x, *ycpu, *yhost;
    struct rplot_series s[NSERIES];
    size_t nb, n = 0, rows = bc->nrows ? bc->nrows : 1;
    char label[NSERIES][160];
    int rc = -1;

    if (t == NULL || cpu == NULL || hcpu == NULL)
        return -1;
    if (idc < 0 || hc < 0)
        return err_set(err, "%s: no column \"%s\"", bc->path, idc < 0 ? "beacon" : "host");
    if (rcsv_group(bc, idc, &g, err) < 0)
        goto done;
    if ((v = malloc(3 * rows * sizeof *v)) == NULL) {
        err_set(err, "out of memory");
        goto done;
    }
    /* One line per beacon: its rows, in the group order. */
    x = v, ycpu = v + rows, yhost = v + 2 * rows;
    rcsv_group_order(&g, t, x);
    rcsv_group_order(&g, cpu, ycpu);
    rcsv_group_order(&g, hcpu, yhost);
    nb = g.n;
    for (size_t k = 0; k < nb && n < NSERIES; k++) {
        bool many = nb > MAX_BEACON_LINES;
        const char *host = rcsv_cell(bc, g.first[k], hc);
        size_t at = g.start[k], len = g.len[k];
        if (many)
            snprintf(label[n], sizeof label[n], "each of %zu beacons", nb);
        else
            snprintf(label[n], sizeof label[n], "%s (%s)", rcsv_cell(bc, g.first[k], idc), host);
        s[n] = (struct rplot_series){label[n], x + at, ycpu + at, len,
                                     many ? "#cbd5e1" : PALETTE(k), RPLOT_SOLID, many ? 1 : 2,
                                     true};
        n++;
        if (many)
            continue;
        /* The host's CPU once per host. */
        size_t j = 0;
        while (j < k && strcmp(rcsv_cell(bc, g.first[j], hc), host) != 0)
            j++;
        if (j == k && n < NSERIES) {
            snprintf(label[n], sizeof label[n], "host %s, all cores", host);
            s[n] = (struct rplot_series){label[n], x + at, yhost + at, len, PALETTE(k),
                                         RPLOT_DOTTED, 1.5, true};
            n++;
        }
    }
    if (nb > MAX_BEACON_LINES) {
        /* The legend names the group once; the maximum stands out. */
        for (size_t i = 1; i < n; i++)
            s[i].label = "";
        if (ts_series(c, s, &n, "highest beacon", "beacon_cpu_max_pct", "#d62728", RPLOT_SOLID,
                      2, err) < 0)
            goto done;
    }
    struct rplot p = {.id = "cpu", .title = "Beacon CPU", .ylabel = "CPU (%)", .ymax_min = 100,
                      .series = s, .nseries = n};
    figure(c, &p, "Each beacon process as % of the cores it may use (near 100 %: the beacon, "
           "not the network, is the limit); dotted: the whole host, % of all its cores.");
    rc = 0;
done:
    rcsv_groups_free(&g);
    free(v);
    return rc;
}

/* Every target node as the beacons saw it (nodes.csv, remote nodes too):
 * what it accepted, what of that reached a block, and what failed there. */
static int plot_targets(struct ctx *c, char *err)
{
    struct rcsv *nd = &c->r->nd;
    int uc = rcsv_find(nd, "url"), nc = rcsv_find(nd, "node");
    const double *t = rcsv_column(nd, "t_s", err), *acc = rcsv_column(nd, "accepted_tps", err),
                 *conf = rcsv_column(nd, "confirmed_tps", err),
                 *rej = rcsv_column(nd, "rejected_tps", err),
                 *tmo = rcsv_column(nd, "timeouts_tps", err);
    struct rcsv_groups g;
    struct rplot_series s[NSERIES];
    char label[NSERIES][200];
    size_t n = 0, rows = nd->nrows ? nd->nrows : 1;
    double *v = NULL, *fail, *x, *yacc, *yconf, *yfail;
    int rc = -1;

    if (t == NULL || acc == NULL || conf == NULL || rej == NULL || tmo == NULL)
        return -1;
    if (uc < 0 || nc < 0)
        return err_set(err, "%s: no column \"%s\"", nd->path, uc < 0 ? "url" : "node");
    if (rcsv_group(nd, nc, &g, err) < 0)
        goto done;
    if ((v = malloc(5 * rows * sizeof *v)) == NULL) {
        err_set(err, "out of memory");
        goto done;
    }
    fail = v, x = v + rows, yacc = v + 2 * rows, yconf = v + 3 * rows, yfail = v + 4 * rows;
    for (size_t r = 0; r < nd->nrows; r++)
        fail[r] = (isnan(rej[r]) ? 0 : rej[r]) + (isnan(tmo[r]) ? 0 : tmo[r]);
    rcsv_group_order(&g, t, x);
    rcsv_group_order(&g, acc, yacc);
    rcsv_group_order(&g, conf, yconf);
    rcsv_group_order(&g, fail, yfail);
    for (size_t k = 0; k < g.n && n + 3 <= NSERIES; k++) {
        const char *num = rcsv_cell(nd, g.first[k], nc);
        size_t at = g.start[k], len = g.len[k];
        bool any_fail = false;
        for (size_t i = at; i < at + len; i++)
            any_fail |= yfail[i] > 0;
        snprintf(label[n], sizeof label[n], "node %.8s accepted (%.150s)", num,
                 rcsv_cell(nd, g.first[k], uc));
        s[n] = (struct rplot_series){label[n], x + at, yacc + at, len, PALETTE(k), RPLOT_SOLID,
                                     2, true};
        n++;
        snprintf(label[n], sizeof label[n], "node %.8s confirmed", num);
        s[n] = (struct rplot_series){label[n], x + at, yconf + at, len, PALETTE(k),
                                     RPLOT_DASHED, 1.5, true};
        n++;
        if (any_fail) {
            snprintf(label[n], sizeof label[n], "node %.8s rejected + timed out", num);
            s[n] = (struct rplot_series){label[n], x + at, yfail + at, len, PALETTE(k),
                                         RPLOT_DOTTED, 2, true};
            n++;
        }
    }
    struct rplot p = {.id = "targets", .title = "Per node, as the beacons saw it",
                      .ylabel = "transactions per second", .series = s, .nseries = n};
    figure(c, &p, "For each target node, summed over the beacons (nodes.csv): broadcasts it "
           "accepted, those of them later seen in a block (dashed), and rejections plus "
           "timeouts (dotted, when there were any). A node that accepts but confirms less than "
           "the others does not pass transactions on.");
    rc = 0;
done:
    rcsv_groups_free(&g);
    free(v);
    return rc;
}

/* A devnode's applied transactions per second of block time: over the
 * last w seconds (not across a pause), the transactions applied divided by
 * the blocks made times the block interval. Per second of wall time they
 * jump between 0 and two blocks' worth as blocks straddle the seconds. */
static void block_rate(const struct rep_node *d, size_t w, double bi, double *out)
{
    for (size_t i = 0; i < d->len; i++) {
        double sum = 0, secs = 0;
        size_t a = i;
        while (a > 0 && i - a + 1 < w && d->t[a] - d->t[a - 1] <= GAP_S)
            a--;
        for (size_t j = a; j <= i; j++) {
            sum += d->applied_tps[j];
            secs += 1;
        }
        double blocks = a > 0 && d->t[a] - d->t[a - 1] <= GAP_S ? d->head[i] - d->head[a - 1]
                                                                 : NAN;
        out[i] = blocks >= 1 ? sum / (blocks * bi) : sum / secs;
    }
}

static int plot_nodes(struct ctx *c, char *err)
{
    struct rplot_series s[NSERIES];
    char label[NSERIES][64], caption[512];
    double *avg[NSERIES / 3] = {0}, bi = 1;
    size_t n = 0, w;
    struct rep *r = c->r;
    int rc = -1;

    if (r->nnodes == 0) {
        sbuf_adds(c->out, "<figure id=\"fig-nodes\"><h3>Per-node load (the nodes' own "
                  "figures)</h3><p class=\"note\">No node-side data for remote nodes: the "
                  "nodes' own per-second figures (applied in blocks, pending) are in the "
                  "devnode logs of --local runs only; the per-node plot above is what the "
                  "beacons measured.</p></figure>\n");
        return 0;
    }
    if (!rep_jnum(jv_get(jv_get(r->man, "chain"), "block_interval"), &bi) || !(bi >= 1))
        bi = 1;
    w = 2 * (bi > 30 ? 30 : (size_t)lround(bi));
    for (size_t i = 0; i < r->nnodes && n + 3 <= NSERIES; i++) {
        const struct rep_node *d = &r->nodes[i];
        bool rej = false;
        if ((avg[i] = malloc((d->len ? d->len : 1) * sizeof(double))) == NULL) {
            err_set(err, "out of memory");
            goto done;
        }
        block_rate(d, w, bi, avg[i]);
        for (size_t k = 0; k < d->len && !rej; k++)
            rej = d->rejected_tps[k] > 0;
        snprintf(label[n], sizeof label[n], "devnode-%u applied in blocks", d->n);
        s[n] = (struct rplot_series){label[n], d->t, avg[i], d->len, PALETTE(i), RPLOT_SOLID, 2,
                                     false};
        n++;
        snprintf(label[n], sizeof label[n], "devnode-%u accepted", d->n);
        s[n] = (struct rplot_series){label[n], d->t, d->accepted_tps, d->len, PALETTE(i),
                                     RPLOT_DASHED, 1.5, false};
        n++;
        if (rej) {
            snprintf(label[n], sizeof label[n], "devnode-%u rejected", d->n);
            s[n] = (struct rplot_series){label[n], d->t, d->rejected_tps, d->len, PALETTE(i),
                                         RPLOT_DOTTED, 2, false};
            n++;
        }
    }
    snprintf(caption, sizeof caption, "What each devnode reported every second: broadcasts it "
             "accepted (dashed) and transactions applied in its blocks, per second of block "
             "time (blocks every %g s; over the last %zu s: transactions / (blocks \xc3\x97 %g s)).",
             bi, w, bi);
    struct rplot p = {.id = "nodes", .title = "Per-node load (devnodes)",
                      .ylabel = "transactions per second", .series = s, .nseries = n};
    figure(c, &p, caption);
    rc = 0;
done:
    for (size_t i = 0; i < NSERIES / 3; i++)
        free(avg[i]);
    return rc;
}

static int plot_backlog(struct ctx *c, char *err)
{
    struct rplot_series s[NSERIES];
    char label[NSERIES][64];
    size_t n = 0;

    if (ts_series(c, s, &n, "unconfirmed (sent, not yet in a block)", "unconfirmed_tx",
                  "#d62728", RPLOT_SOLID, 2, err) < 0 ||
        ts_series(c, s, &n, "in flight (sent, not answered)", "in_flight_tx", "#1f77b4",
                  RPLOT_DASHED, 2, err) < 0)
        return -1;
    for (size_t i = 0; i < c->r->nnodes && n < NSERIES; i++) {
        snprintf(label[n], sizeof label[n], "devnode-%u pending", c->r->nodes[i].n);
        s[n] = (struct rplot_series){label[n], c->r->nodes[i].t, c->r->nodes[i].pending,
                                     c->r->nodes[i].len, PALETTE(i + 4), RPLOT_DOTTED, 2,
                                     false};
        n++;
    }
    struct rplot p = {.id = "backlog", .title = "Backlog: transactions waiting",
                      .ylabel = "transactions", .series = s, .nseries = n};
    figure(c, &p, "At the end of each second. A backlog that keeps growing means the network "
           "takes less than it is offered.");
    return 0;
}

int report_plots(struct rep *r, struct sbuf *out, char *err)
{
    struct ctx c = {.r = r, .out = out};
    int rc = -1;

    c.t = rcsv_column(&r->ts, "t_s", err);
    c.secs = rcsv_column(&r->ts, "interval_s", err);
    if (c.t == NULL || c.secs == NULL)
        return -1;
    for (size_t i = 0; i < r->ts.nrows; i++)
        c.xmax = fmax(c.xmax, c.t[i]);
    for (size_t i = 0; i < r->nnodes; i++)
        for (size_t k = 0; k < r->nodes[i].len; k++)
            if (r->nodes[i].t[k] <= c.xmax + 30) /* a devnode's idle tail is not the run */
                c.xmax = fmax(c.xmax, r->nodes[i].t[k]);
    if (make_bands(&c, err) < 0)
        goto done;
    sbuf_adds(out, "<section id=\"plots\"><h2>Over time</h2>\n");
    if (r->ts.nrows == 0)
        sbuf_adds(out, "<p class=\"warn\">timeseries.csv has no rows: the run ended before any "
                  "second was measured.</p>\n");
    if (plot_rates(&c, err) < 0 || plot_latency(&c, err) < 0 || plot_failures(&c, err) < 0 ||
        plot_cpu(&c, err) < 0)
        goto done;
    if (!r->have_nd)
        sbuf_adds(out, "<figure id=\"fig-targets\"><h3>Per node, as the beacons saw it</h3>"
                  "<p class=\"note\">No nodes.csv in this directory (results written before "
                  "per-node figures existed).</p></figure>\n");
    else if (plot_targets(&c, err) < 0)
        goto done;
    if (plot_nodes(&c, err) < 0 || plot_backlog(&c, err) < 0)
        goto done;
    sbuf_adds(out, "</section>\n");
    rc = 0;
done:
    free(c.bands);
    free(c.labels);
    return rc;
}
