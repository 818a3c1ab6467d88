/* report_nodes.c - the report's "Target nodes" table: per target node, the
 * telemetry of nodes.csv over the run (how far its head trailed the
 * highest head, its LIB trailed its head, participation, block interval,
 * block fullness, seconds forked and stalled), and a sentence naming every
 * node that forked, stalled or fell behind. Results written before the
 * telemetry columns existed have no such table. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "err.h"
#include "report_impl.h"

#define TN_BEHIND 2 /* blocks behind the highest head that count as falling behind */

/* The columns read, in this order. */
static const char *const tn_cols[] = {"behind_blocks", "lib_lag_blocks", "participation_pct",
                                      "block_interval_s", "blocks", "block_txs",
                                      "block_fill_pct", "forked", "stalled", "head_block"};
enum { C_BEHIND, C_LIBLAG, C_PART, C_INTERVAL, C_BLOCKS, C_TXS, C_FILL, C_FORKED, C_STALLED,
       C_HEAD, C_N };

/* One node's figures over the run (NAN: never measured). */
struct tn_node {
    double behind_min, behind_max, liblag_min, liblag_max, part_min;
    double interval_sum, interval_max, fill_wsum, fill_max, blocks, txs;
    size_t interval_n, answered, rows, forked, stalled;
};

static void tn_minmax(double v, double *lo, double *hi)
{
    if (isnan(v))
        return;
    if (lo != NULL && (isnan(*lo) || v < *lo))
        *lo = v;
    if (hi != NULL && (isnan(*hi) || v > *hi))
        *hi = v;
}

static void tn_fold(struct tn_node *n, const double *const *col, size_t row)
{
    double v;

    n->rows++;
    if (!isnan(col[C_HEAD][row]))
        n->answered++;
    tn_minmax(col[C_BEHIND][row], &n->behind_min, &n->behind_max);
    tn_minmax(col[C_LIBLAG][row], &n->liblag_min, &n->liblag_max);
    tn_minmax(col[C_PART][row], &n->part_min, NULL);
    if (!isnan(v = col[C_INTERVAL][row])) {
        n->interval_sum += v;
        n->interval_n++;
        tn_minmax(v, NULL, &n->interval_max);
    }
    if (!isnan(col[C_BLOCKS][row]) && col[C_BLOCKS][row] > 0) {
        n->blocks += col[C_BLOCKS][row];
        n->txs += isnan(col[C_TXS][row]) ? 0 : col[C_TXS][row];
        if (!isnan(v = col[C_FILL][row])) {
            n->fill_wsum += v * col[C_BLOCKS][row];
            tn_minmax(v, NULL, &n->fill_max);
        }
    }
    n->forked += col[C_FORKED][row] > 0;
    n->stalled += col[C_STALLED][row] > 0;
}

/* A number cell: "–" when absent. */
static void tn_cell(struct sbuf *o, double v, const char *fmt)
{
    if (isnan(v))
        sbuf_adds(o, "<td class=\"n\">&#8211;</td>");
    else {
        sbuf_adds(o, "<td class=\"n\">");
        sbuf_addf(o, fmt, v);
        sbuf_adds(o, "</td>");
    }
}

/* Appends "node N (URL)" to a sentence's list. */
static void tn_name(struct sbuf *o, const struct rcsv *nd, size_t first, int nc, int uc,
                    bool *any)
{
    sbuf_adds(o, *any ? ", node " : "node ");
    rep_esc(o, rcsv_cell(nd, first, nc));
    sbuf_adds(o, " (");
    rep_esc(o, rcsv_cell(nd, first, uc));
    sbuf_adds(o, ")");
    *any = true;
}

int report_target_nodes(struct rep *r, struct sbuf *o, char *err)
{
    struct rcsv *nd = &r->nd;
    const double *col[C_N];
    int nc = rcsv_find(nd, "node"), uc = rcsv_find(nd, "url");
    struct rcsv_groups g = {0};
    struct tn_node *t = NULL;
    int rc = -1;

    if (!r->have_nd || nc < 0 || uc < 0)
        return 0;
    for (int i = 0; i < C_N; i++)
        if (rcsv_find(nd, tn_cols[i]) < 0)
            return 0; /* written before the telemetry columns */
    for (int i = 0; i < C_N; i++)
        if ((col[i] = rcsv_column(nd, tn_cols[i], err)) == NULL)
            return -1;
    if (rcsv_group(nd, nc, &g, err) < 0)
        goto done;
    if ((t = calloc(g.n ? g.n : 1, sizeof *t)) == NULL) {
        err_set(err, "out of memory");
        goto done;
    }
    for (size_t k = 0; k < g.n; k++) {
        t[k] = (struct tn_node){.behind_min = NAN, .behind_max = NAN, .liblag_min = NAN,
                                .liblag_max = NAN, .part_min = NAN, .interval_max = NAN,
                                .fill_max = NAN};
        for (size_t i = g.start[k]; i < g.start[k] + g.len[k]; i++)
            tn_fold(&t[k], col, g.order[i]);
    }
    sbuf_adds(o, "<section id=\"target-nodes\"><h2>Target nodes</h2><p class=\"note\">Each "
              "target node's chain as the beacons saw it, once a second (nodes.csv: its "
              "get_dynamic_global_properties, asked on a connection of its own): seconds it "
              "answered; how many blocks its head trailed the highest head of any node, and "
              "its last irreversible block trailed its head (least and most); the lowest "
              "participation (block slots filled of the last 128); the block interval (mean "
              "and most); block fullness (transactions per block, and packed bytes as % of "
              "maximum_block_size: mean and most); seconds in which its head block differed "
              "from the first node's at that height (forked) or its head had not advanced for "
              "more than 3 block intervals (stalled).</p>\n<p>");
    bool fk = false, st = false, bh = false;
    for (size_t k = 0; k < g.n; k++)
        if (t[k].forked > 0)
            tn_name(o, nd, g.first[k], nc, uc, &fk);
    if (fk)
        sbuf_adds(o, " forked. ");
    for (size_t k = 0; k < g.n; k++)
        if (t[k].stalled > 0)
            tn_name(o, nd, g.first[k], nc, uc, &st);
    if (st)
        sbuf_adds(o, " stalled. ");
    for (size_t k = 0; k < g.n; k++)
        if (t[k].behind_max > TN_BEHIND)
            tn_name(o, nd, g.first[k], nc, uc, &bh);
    if (bh)
        sbuf_addf(o, " fell more than %d blocks behind the highest head.", TN_BEHIND);
    if (!fk && !st && !bh)
        sbuf_addf(o, "No target node forked, stalled or fell more than %d blocks behind.",
                  TN_BEHIND);
    sbuf_adds(o, "</p>\n<div class=\"scroll\"><table><thead><tr><th>Node</th><th>URL</th>"
              "<th>Answered (s)</th><th>Head lag (min / max)</th><th>LIB lag (min / max)</th>"
              "<th>Participation (min %)</th><th>Block interval (mean / max s)</th>"
              "<th>Tx per block</th><th>Fullness (mean / max %)</th><th>Forked (s)</th>"
              "<th>Stalled (s)</th></tr></thead><tbody>\n");
    for (size_t k = 0; k < g.n; k++) {
        const struct tn_node *n = &t[k];
        sbuf_adds(o, "<tr><td>");
        rep_esc(o, rcsv_cell(nd, g.first[k], nc));
        sbuf_adds(o, "</td><td>");
        rep_esc(o, rcsv_cell(nd, g.first[k], uc));
        sbuf_addf(o, "</td><td class=\"n\">%zu of %zu</td>", n->answered, n->rows);
        if (isnan(n->behind_max))
            tn_cell(o, NAN, "%.0f");
        else
            sbuf_addf(o, "<td class=\"n\">%.0f / %.0f</td>", n->behind_min, n->behind_max);
        if (isnan(n->liblag_max))
            tn_cell(o, NAN, "%.0f");
        else
            sbuf_addf(o, "<td class=\"n\">%.0f / %.0f</td>", n->liblag_min, n->liblag_max);
        tn_cell(o, n->part_min, "%.1f");
        if (n->interval_n == 0)
            tn_cell(o, NAN, "%.0f");
        else
            sbuf_addf(o, "<td class=\"n\">%.3g / %.3g</td>", n->interval_sum / n->interval_n,
                      n->interval_max);
        tn_cell(o, n->blocks > 0 ? n->txs / n->blocks : NAN, "%.1f");
        if (n->blocks > 0 && !isnan(n->fill_max))
            sbuf_addf(o, "<td class=\"n\">%.3g / %.3g</td>", n->fill_wsum / n->blocks,
                      n->fill_max);
        else
            tn_cell(o, NAN, "%.0f");
        sbuf_addf(o, "<td class=\"n\">%zu</td><td class=\"n\">%zu</td></tr>\n", n->forked,
                  n->stalled);
    }
    sbuf_adds(o, "</tbody></table></div></section>\n");
    rc = 0;
done:
    rcsv_groups_free(&g);
    free(t);
    return rc;
}
