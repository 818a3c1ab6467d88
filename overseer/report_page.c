/* report_page.c - the report page: styles, the findings, the summary per
 * phase, the plots (report_plots.c), the run manifest and the event log.
 * Everything read from the results is HTML-escaped on its way in. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "report_impl.h"
#include "timefmt.h"
#include "version.h"

static const char style[] =
    "*{box-sizing:border-box}"
    "body{margin:0;background:#f4f6f9;color:#1f2937;font:15px/1.5 system-ui,-apple-system,"
    "\"Segoe UI\",Roboto,\"Helvetica Neue\",Arial,\"Noto Sans\",\"Liberation Sans\",sans-serif}"
    "main{max-width:1240px;margin:0 auto;padding:20px 20px 48px}"
    "h1{font-size:26px;margin:0 0 2px}h2{font-size:20px;margin:0 0 12px}"
    "h3{font-size:16px;margin:22px 0 2px}"
    ".sub{color:#4b5563;margin:0 0 10px}"
    "nav{margin:6px 0 0}nav a{margin-right:16px;color:#1d4ed8;text-decoration:none}"
    "nav a:hover{text-decoration:underline}"
    "section{background:#fff;border:1px solid #e2e8f0;border-radius:10px;padding:18px 22px;"
    "margin:18px 0;box-shadow:0 1px 2px rgba(15,23,42,.05)}"
    "figure{margin:0 0 8px}figcaption{color:#4b5563;font-size:13px;margin:0 0 4px}"
    ".cards{display:flex;flex-wrap:wrap;gap:12px;margin:14px 0 4px}"
    ".card{flex:1 1 160px;background:#f8fafc;border:1px solid #e2e8f0;border-radius:8px;"
    "padding:8px 12px}.card .k{color:#4b5563;font-size:12px;text-transform:uppercase;"
    "letter-spacing:.04em}.card .v{font-size:20px;font-weight:600}"
    ".card .d{font-size:12px;color:#4b5563}"
    "table{border-collapse:collapse;font-size:13px;width:100%}"
    "th,td{padding:5px 7px;border-bottom:1px solid #e5e7eb;text-align:left;vertical-align:top}"
    "th{background:#f1f5f9;font-weight:600}thead th{white-space:nowrap}"
    "td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}"
    "tr.step td{color:#4b5563;background:#fcfcfd}tr.step:not(.noterow) td:first-child{padding-left:14px;white-space:nowrap}"
    "table.sum th{vertical-align:bottom}td.why{min-width:190px}"
    "tr:has(+tr.noterow) td{border-bottom:0}tr.noterow td{padding-top:0;font-size:12.5px;color:#1e3a8a}"
    ".scroll{overflow-x:auto}"
    ".badge{display:inline-block;padding:1px 9px;border-radius:999px;font-size:12px;"
    "font-weight:600;white-space:nowrap}"
    ".ok,.completed{background:#dcfce7;color:#166534}.node-bound,.failed{background:#fee2e2;"
    "color:#991b1b}.beacon-bound,.interrupted{background:#fef3c7;color:#92400e}"
    ".other{background:#e5e7eb;color:#374151}"
    ".small{font-size:12px;color:#4b5563}"
    "pre{background:#f8fafc;border:1px solid #e2e8f0;border-radius:6px;padding:10px 12px;"
    "overflow:auto;max-height:520px;font:12.5px/1.45 ui-monospace,SFMono-Regular,Menlo,"
    "Consolas,\"DejaVu Sans Mono\",\"Liberation Mono\",monospace}"
    ".note{background:#eff6ff;border-left:4px solid #3b82f6;padding:8px 12px;margin:8px 0}"
    ".warn{background:#fffbeb;border-left:4px solid #f59e0b;padding:8px 12px;margin:8px 0}"
    "ul.findings{margin:6px 0 0;padding-left:20px}"
    "dl.kv{display:grid;grid-template-columns:max-content 1fr;gap:3px 18px;margin:0 0 8px}"
    "dt{color:#4b5563}dd{margin:0;overflow-wrap:anywhere}"
    "details>summary{cursor:pointer;color:#1d4ed8;margin:8px 0}"
    "svg.chart{width:100%;height:auto;display:block}"
    "svg text{font-family:inherit}"
    ".tick{font-size:12px;fill:#4b5563}.axis{font-size:13px;fill:#374151}"
    ".legend{font-size:12.5px;fill:#1f2937}"
    ".phaselabel{font-size:12px;font-weight:600;fill:#334155;paint-order:stroke;stroke:#fff;"
    "stroke-width:3px}"
    ".steplabel{font-size:10.5px;fill:#64748b;paint-order:stroke;stroke:#fff;stroke-width:3px}"
    ".area{fill:#fff}.frame{fill:none;stroke:#94a3b8}.grid{stroke:#e5e7eb}"
    ".minor{stroke:#f3f4f6}.band{fill:#f1f5f9}.phaseline{stroke:#94a3b8;"
    "stroke-dasharray:5 3}.stepline{stroke:#cbd5e1}"
    ".vnode{fill:#dc2626;opacity:.75}.vbeacon{fill:#f59e0b;opacity:.85}"
    ".nodata{font-size:14px;fill:#6b7280}"
    "@media print{body{background:#fff}section{box-shadow:none;break-inside:avoid}}";

void rep_escn(struct sbuf *o, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        switch (ch) {
        case '&': sbuf_adds(o, "&amp;"); break;
        case '<': sbuf_adds(o, "&lt;"); break;
        case '>': sbuf_adds(o, "&gt;"); break;
        case '"': sbuf_adds(o, "&quot;"); break;
        case '\'': sbuf_adds(o, "&#39;"); break;
        default:
            if (ch >= 0x20 || ch == '\t' || ch == '\n' || ch == '\r')
                sbuf_addc(o, (char)ch);
        }
    }
}

void rep_esc(struct sbuf *o, const char *s)
{
    rep_escn(o, s, strlen(s));
}

static const char *badge_class(const char *v)
{
    static const char *const known[] = {"ok", "node-bound", "beacon-bound", "completed",
                                        "interrupted", "failed"};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strcmp(v, known[i]) == 0)
            return known[i];
    return "other";
}

static void badge(struct sbuf *o, const char *v)
{
    if (*v == '\0')
        return;
    sbuf_addf(o, "<span class=\"badge %s\">", badge_class(v));
    rep_esc(o, v);
    sbuf_adds(o, "</span>");
}

/* A JSON scalar as text ("-" for nothing). */
static void jtext(struct sbuf *o, const struct jv *v)
{
    double d;
    size_t len;
    const char *s = jv_str(v, &len);

    if (s != NULL)
        rep_escn(o, s, len);
    else if (rep_jnum(v, &d))
        sbuf_addf(o, "%.15g", d);
    else if (jv_type(v) == JV_TRUE || jv_type(v) == JV_FALSE)
        sbuf_adds(o, jv_type(v) == JV_TRUE ? "yes" : "no");
    else
        sbuf_adds(o, "&#8211;");
}

static const char *jstr(const struct jv *v)
{
    const char *s = jv_str(v, NULL);
    return s ? s : "";
}

static void kv_json(struct sbuf *o, const char *key, const struct jv *v)
{
    sbuf_addf(o, "<dt>%s</dt><dd>", key);
    jtext(o, v);
    sbuf_adds(o, "</dd>");
}

static double duration_s(const struct jv *man)
{
    const char *a = jstr(jv_get(man, "started")), *b = jstr(jv_get(man, "ended"));
    uint32_t x, y;

    if (timefmt_parse(&x, a, strlen(a), NULL) < 0 || timefmt_parse(&y, b, strlen(b), NULL) < 0 ||
        y < x)
        return NAN;
    return (double)(y - x);
}

/* A number for reading: about four significant digits (the files keep
 * every digit; "All columns" shows them). Text that is not a number is
 * shown as it is; an empty field as a dash. */
static void num(struct sbuf *o, const char *v)
{
    char *end;
    double d = strtod(v, &end);
    double a = fabs(d);

    if (*v == '\0')
        sbuf_adds(o, "&#8211;");
    else if (*end != '\0' || end == v || !isfinite(d))
        rep_esc(o, v);
    else {
        char buf[64];
        int n = snprintf(buf, sizeof buf, "%.*f", a >= 1000 ? 0 : a >= 100 ? 1 : a >= 10 ? 2 : 3,
                         d);
        while (n > 1 && strchr(buf, '.') != NULL && (buf[n - 1] == '0' || buf[n - 1] == '.'))
            buf[--n] = '\0';
        sbuf_adds(o, buf);
    }
}

static void cell(struct sbuf *o, struct rcsv *sum, size_t row, const char *col)
{
    sbuf_adds(o, "<td class=\"n\">");
    num(o, rcsv_cell(sum, row, rcsv_find(sum, col)));
    sbuf_adds(o, "</td>");
}

static void pair(struct sbuf *o, struct rcsv *sum, size_t row, const char *a, const char *b)
{
    sbuf_adds(o, "<td class=\"n\">");
    num(o, rcsv_cell(sum, row, rcsv_find(sum, a)));
    sbuf_adds(o, " / ");
    num(o, rcsv_cell(sum, row, rcsv_find(sum, b)));
    sbuf_adds(o, "</td>");
}

static void failures(struct sbuf *o, struct rcsv *sum, size_t row)
{
    static const char *const cols[][2] = {{"rejected_tx", "rejected"}, {"timeouts_tx", "timeouts"},
                                          {"lost_tx", "lost"}, {"dropped_tx", "dropped"},
                                          {"held_dropped_tx", "given up (node held back)"}};
    bool any = false;

    sbuf_adds(o, "<td>");
    for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++) {
        const char *v = rcsv_cell(sum, row, rcsv_find(sum, cols[i][0]));
        if (*v == '\0' || strtod(v, NULL) == 0)
            continue;
        sbuf_adds(o, any ? ", " : "");
        rep_esc(o, v);
        sbuf_addf(o, " %s", cols[i][1]);
        any = true;
    }
    sbuf_adds(o, any ? "</td>" : "0</td>");
}

/* One phase (or step) of summary.csv: its key figures, and its note on a
 * line of its own unless the row before said the same. */
static void sum_row(struct sbuf *o, struct rcsv *s, size_t i, const char *prev_note)
{
    int pcol = rcsv_find(s, "phase"), vcol = rcsv_find(s, "verdict"), rcol = rcsv_find(s, "reason"),
        ncol = rcsv_find(s, "note"), kcol = rcsv_find(s, "kind");
    const char *name = rcsv_cell(s, i, pcol), *note = rcsv_cell(s, i, ncol);
    bool step = strchr(name, '@') != NULL;
    /* A step of a search shows its own part ("@1200") under its phase. */
    sbuf_adds(o, step ? "<tr class=\"step\"><td>&#8627; " : "<tr><td><b>");
    rep_esc(o, step ? strchr(name, '@') : name);
    sbuf_adds(o, step ? "" : "</b>");
    if (!step && *rcsv_cell(s, i, kcol)) {
        sbuf_adds(o, "<div class=\"small\">");
        rep_esc(o, rcsv_cell(s, i, kcol));
        sbuf_adds(o, "</div>");
    }
    sbuf_adds(o, "</td>");
    cell(o, s, i, "window_s");
    cell(o, s, i, "beacons");
    cell(o, s, i, "offered_tps");
    cell(o, s, i, "sent_tps");
    cell(o, s, i, "confirmed_tps");
    cell(o, s, i, "confirmed_of_offered_pct");
    failures(o, s, i);
    pair(o, s, i, "ack_p50_ms", "ack_p99_ms");
    pair(o, s, i, "inclusion_p50_ms", "inclusion_p99_ms");
    cell(o, s, i, "beacon_cpu_max_pct");
    sbuf_adds(o, "<td class=\"why\">");
    badge(o, rcsv_cell(s, i, vcol));
    if (*rcsv_cell(s, i, rcol) && strstr(note, rcsv_cell(s, i, rcol)) == NULL) {
        sbuf_adds(o, "<div class=\"small\">");
        rep_esc(o, rcsv_cell(s, i, rcol));
        sbuf_adds(o, "</div>");
    }
    sbuf_adds(o, "</td></tr>\n");
    /* A note shared by every row (a regenerated summary) is said once. */
    if (*note && strcmp(note, prev_note) != 0) {
        sbuf_adds(o, step ? "<tr class=\"step noterow\">" : "<tr class=\"noterow\">");
        sbuf_adds(o, "<td colspan=\"12\">");
        rep_esc(o, note);
        sbuf_adds(o, "</td></tr>\n");
    }
}

static void summary(struct rep *r, struct sbuf *o)
{
    struct rcsv *s = &r->sum;
    int pcol = rcsv_find(s, "phase"), ncol = rcsv_find(s, "note");
    const char *prev = "";

    sbuf_adds(o, "<section id=\"summary\"><h2>Summary per phase</h2>\n");
    if (r->sum_regenerated)
        sbuf_adds(o, "<p class=\"warn\">summary.csv was missing and has been regenerated from "
                  "timeseries.csv: each phase's whole time, no latency percentiles.</p>\n");
    sbuf_adds(o, "<p class=\"small\">Rates over each phase's steady-state window (ramp-up and "
              "drain excluded). Latencies in ms from the due time. Verdict: node-bound = the "
              "beacons kept their schedule and the network did not keep up; beacon-bound = the "
              "beacons were the limit.</p>\n<div class=\"scroll\"><table class=\"sum\"><thead><tr>"
              "<th>Phase</th><th>Window<br>s</th><th>Bea&#173;cons</th><th>Offered<br>tx/s</th>"
              "<th>Sent<br>tx/s</th><th>Confirmed<br>tx/s</th><th>Confirmed<br>% of offered</th>"
              "<th>Failures<br>tx</th><th>Ack ms<br>p50 / p99</th><th>Inclusion ms<br>p50 / p99</th>"
              "<th>Beacon<br>CPU max %</th><th>Verdict</th></tr></thead><tbody>\n");
    /* A search writes its steps' rows, then its own: shown the other way
     * round, the phase first and its steps under it. */
    for (size_t a = 0, b; a < s->nrows; a = b) {
        const char *name = rcsv_cell(s, a, pcol);
        size_t plen = strcspn(name, "@"), first = a, end;
        for (b = a; b < s->nrows && strchr(rcsv_cell(s, b, pcol), '@') != NULL &&
                    strncmp(rcsv_cell(s, b, pcol), name, plen + 1) == 0; b++)
            ;
        end = b;
        if (b < s->nrows && (b == a || (strlen(rcsv_cell(s, b, pcol)) == plen &&
                                        strncmp(rcsv_cell(s, b, pcol), name, plen) == 0))) {
            sum_row(o, s, b, prev);
            prev = rcsv_cell(s, b, ncol);
            b++;
        }
        for (size_t i = first; i < end; i++) {
            sum_row(o, s, i, prev);
            prev = rcsv_cell(s, i, ncol);
        }
    }
    if (s->nrows == 0)
        sbuf_adds(o, "<tr><td colspan=\"12\">No phase finished.</td></tr>\n");
    /* Every column as the run wrote it: one row per column. */
    sbuf_adds(o, "</tbody></table></div>\n<details><summary>All columns of summary.csv"
              "</summary><div class=\"scroll\"><table><tbody>\n");
    for (size_t c = 0; c < s->ncols; c++) {
        sbuf_adds(o, "<tr><th>");
        rep_esc(o, rcsv_name(s, c));
        sbuf_adds(o, "</th>");
        for (size_t i = 0; i < s->nrows; i++) {
            sbuf_adds(o, "<td>");
            rep_esc(o, rcsv_cell(s, i, (int)c));
            sbuf_adds(o, "</td>");
        }
        sbuf_adds(o, "</tr>\n");
    }
    sbuf_adds(o, "</tbody></table></div></details></section>\n");
}

static void card(struct sbuf *o, const char *k, const char *v, const char *d)
{
    sbuf_addf(o, "<div class=\"card\"><div class=\"k\">%s</div><div class=\"v\">", k);
    rep_esc(o, v);
    sbuf_adds(o, "</div><div class=\"d\">");
    rep_esc(o, d);
    sbuf_adds(o, "</div></div>");
}

static void header(struct rep *r, struct sbuf *o)
{
    const struct jv *m = r->man, *sc = jv_get(m, "scenario");
    const char *result = jstr(jv_get(m, "result"));
    struct rcsv *s = &r->sum;
    const double *conf = rcsv_column(s, "confirmed_tps", NULL);
    int pcol = rcsv_find(s, "phase"), vcol = rcsv_find(s, "verdict"), ncol = rcsv_find(s, "note");
    double dur = duration_s(m), best = -1;
    size_t besti = 0;
    char v[96], d[256];

    sbuf_adds(o, "<header><h1>Stress test report: ");
    rep_esc(o, jstr(jv_get(sc, "name")));
    sbuf_adds(o, "</h1><p class=\"sub\">Run ");
    rep_esc(o, jstr(jv_get(m, "run_id")));
    sbuf_adds(o, " &#183; ");
    badge(o, result);
    sbuf_adds(o, " &#183; started ");
    rep_esc(o, jstr(jv_get(m, "started")));
    if (jv_get(m, "ended") != NULL) {
        sbuf_adds(o, ", ended ");
        rep_esc(o, jstr(jv_get(m, "ended")));
    }
    sbuf_adds(o, "</p><nav><a href=\"#summary\">Summary</a><a href=\"#plots\">Over time</a>"
              "<a href=\"#manifest\">Run manifest</a><a href=\"#events\">Events</a></nav>"
              "</header>\n<section id=\"findings\"><h2>Findings</h2><div class=\"cards\">");
    for (size_t i = 0; conf != NULL && i < s->nrows; i++)
        if (isfinite(conf[i]) && conf[i] > best) {
            best = conf[i];
            besti = i;
        }
    if (best >= 0) {
        snprintf(v, sizeof v, "%.1f tx/s", best);
        snprintf(d, sizeof d, "phase %s (%s)", rcsv_cell(s, besti, pcol),
                 *rcsv_cell(s, besti, vcol) ? rcsv_cell(s, besti, vcol) : "no verdict");
        card(o, "Highest confirmed rate", v, d);
    }
    snprintf(v, sizeof v, "%zu", s->nrows);
    card(o, "Phases and steps", v, "rows of summary.csv");
    snprintf(v, sizeof v, "%zu", jv_len(jv_get(m, "beacons")));
    card(o, "Beacons", v, jv_type(jv_get(m, "local")) == JV_TRUE ? "local run" : "");
    snprintf(v, sizeof v, "%zu", jv_len(jv_get(m, "nodes")));
    card(o, "Nodes", v, r->nnodes ? "devnodes" : "");
    if (isfinite(dur)) {
        if (dur < 60)
            snprintf(v, sizeof v, "%.0f s", dur);
        else if (dur < 3600)
            snprintf(v, sizeof v, "%.0f min %02.0f s", floor(dur / 60), fmod(dur, 60));
        else
            snprintf(v, sizeof v, "%.0f h %02.0f min", floor(dur / 3600),
                     floor(fmod(dur, 3600) / 60));
        card(o, "Duration", v, "wall clock");
    }
    sbuf_adds(o, "</div>\n<ul class=\"findings\">");
    for (size_t i = 0; i < s->nrows; i++) {
        const char *name = rcsv_cell(s, i, pcol);
        if (strchr(name, '@') != NULL)
            continue;
        sbuf_adds(o, "<li><b>");
        rep_esc(o, name);
        sbuf_adds(o, "</b>: ");
        badge(o, rcsv_cell(s, i, vcol));
        /* A search's note says what its reason says, and more. */
        const char *reason = rcsv_cell(s, i, rcsv_find(s, "reason")), *note = rcsv_cell(s, i, ncol);
        sbuf_adds(o, " ");
        if (*note == '\0' || strstr(note, reason) == NULL)
            rep_esc(o, reason);
        if (*note) {
            sbuf_adds(o, strstr(note, reason) == NULL ? " &#8212; " : "");
            rep_esc(o, note);
        }
        sbuf_adds(o, "</li>");
    }
    sbuf_adds(o, "</ul>\n");
    if (strcmp(result, "completed") != 0)
        sbuf_adds(o, "<p class=\"warn\">The run did not complete: the results cover the part "
                  "that ran (see Events).</p>\n");
    for (size_t i = 0; i < r->nnodes; i++)
        if (r->nodes[i].bad_lines > 0)
            sbuf_addf(o, "<p class=\"warn\">devnode-%u.log: %zu line(s) starting with \"{\" are "
                      "not per-second stats and were skipped (first: line %zu).</p>\n",
                      r->nodes[i].n, r->nodes[i].bad_lines, r->nodes[i].first_bad);
    sbuf_adds(o, "</section>\n");
}

static void manifest(struct rep *r, struct sbuf *o)
{
    const struct jv *m = r->man, *sc = jv_get(m, "scenario"), *chain = jv_get(m, "chain");
    const struct jv *b = jv_get(m, "beacons"), *progs = jv_get(m, "programs"), *v;
    struct jv_iter it = {0};
    const char *key;
    size_t len;

    sbuf_adds(o, "<section id=\"manifest\"><h2>Run manifest</h2>\n<dl class=\"kv\">");
    kv_json(o, "Run id", jv_get(m, "run_id"));
    kv_json(o, "Result", jv_get(m, "result"));
    kv_json(o, "Started (UTC)", jv_get(m, "started"));
    kv_json(o, "Ended (UTC)", jv_get(m, "ended"));
    kv_json(o, "Scenario", jv_get(sc, "name"));
    kv_json(o, "Scenario file", jv_get(sc, "path"));
    kv_json(o, "Duration scale", jv_get(sc, "scale"));
    kv_json(o, "Seed", jv_get(sc, "seed"));
    kv_json(o, "Local run", jv_get(m, "local"));
    while ((v = jv_iter_next(progs, &it, &key)) != NULL) {
        sbuf_adds(o, "<dt>Program ");
        rep_esc(o, key);
        sbuf_adds(o, "</dt><dd>");
        jtext(o, v);
        sbuf_adds(o, "</dd>");
    }
    sbuf_adds(o, "<dt>Nodes</dt><dd>");
    for (size_t i = 0; i < jv_len(jv_get(m, "nodes")); i++) {
        sbuf_adds(o, i ? "<br>" : "");
        jtext(o, jv_at(jv_get(m, "nodes"), i));
    }
    sbuf_adds(o, jv_len(jv_get(m, "nodes")) ? "</dd></dl>\n" : "&#8211;</dd></dl>\n");
    sbuf_adds(o, "<h3>Chain</h3>");
    if (jv_type(chain) == JV_OBJECT) {
        sbuf_adds(o, "<dl class=\"kv\">");
        memset(&it, 0, sizeof it);
        while ((v = jv_iter_next(chain, &it, &key)) != NULL) {
            sbuf_adds(o, "<dt>");
            rep_esc(o, key);
            sbuf_adds(o, "</dt><dd>");
            jtext(o, v);
            sbuf_adds(o, "</dd>");
        }
        sbuf_adds(o, "</dl>\n");
    } else {
        sbuf_adds(o, "<p class=\"small\">Not known: no beacon reached the chain.</p>\n");
    }
    sbuf_adds(o, "<h3>Beacons</h3><div class=\"scroll\"><table><thead><tr><th>Id</th>"
              "<th>Host</th><th>Address</th><th>Version</th><th>Cores</th><th>Alive at end</th>"
              "<th>Public key</th></tr></thead><tbody>\n");
    for (size_t i = 0; i < jv_len(b); i++) {
        static const char *const f[] = {"id", "host", "address", "version", "cores",
                                        "alive_at_end", "key"};
        sbuf_adds(o, "<tr>");
        for (size_t k = 0; k < sizeof f / sizeof f[0]; k++) {
            sbuf_adds(o, k == 4 ? "<td class=\"n\">" : k == 6 ? "<td class=\"small\"><code>"
                                                                : "<td>");
            jtext(o, jv_get(jv_at(b, i), f[k]));
            sbuf_adds(o, k == 6 ? "</code></td>" : "</td>");
        }
        sbuf_adds(o, "</tr>\n");
    }
    sbuf_adds(o, "</tbody></table></div>\n<h3>Scenario</h3><pre>");
    const char *text = jv_str(jv_get(sc, "text"), &len);
    if (text != NULL)
        rep_escn(o, text, len);
    sbuf_adds(o, "</pre></section>\n");
}

/* A devnode network's own figures, one row per devnode (--local runs). */
static void network(struct rep *r, struct sbuf *o)
{
    bool any = false;

    for (size_t i = 0; i < r->nnodes; i++)
        any = any || r->nodes[i].net;
    if (!any)
        return;
    sbuf_adds(o, "<section id=\"network\"><h2>Devnode network</h2><p class=\"note\">What "
              "each devnode of the relaying network reported (devnode-N.log): its head and last "
              "irreversible block at the end, the most relay messages waiting on its links at "
              "once, what its links dropped (a peer down or a full queue), blocks it could not "
              "link, the most blocks it was behind its peers, seconds with a relay link down "
              "while there was load, and what was over the P2P message limit. A follower whose "
              "head or LIB trails the producer's, or that missed blocks, fell behind the "
              "network.</p>\n<div class=\"scroll\"><table><thead><tr><th>Devnode</th>"
              "<th>Role</th><th>Head</th><th>LIB</th><th>Relay queue (max)</th>"
              "<th>Relay dropped</th><th>Missed blocks</th><th>Behind (max)</th>"
              "<th>Link down (s)</th><th>Over P2P limit (tx / blocks)</th></tr></thead>"
              "<tbody>\n");
    for (size_t i = 0; i < r->nnodes; i++) {
        const struct rep_node *d = &r->nodes[i];
        if (!d->net)
            continue;
        sbuf_addf(o, "<tr><td>devnode-%u</td><td>", d->n);
        rep_esc(o, d->role);
        sbuf_addf(o, "</td><td class=\"n\">%.0f</td><td class=\"n\">%.0f</td>"
                  "<td class=\"n\">%.0f</td><td class=\"n\">%.0f</td>"
                  "<td class=\"n\">%.0f%s</td><td class=\"n\">%.0f</td>"
                  "<td class=\"n\">%zu</td><td class=\"n\">%.0f / %.0f</td></tr>\n",
                  d->len ? d->head[d->len - 1] : 0, d->lib, d->relay_queue_max,
                  d->relay_dropped, d->missed_blocks,
                  d->id_mismatch > 0 ? " (id mismatch!)" : "", d->behind_max, d->links_down_s,
                  d->too_big_tx, d->too_big_blocks);
    }
    sbuf_adds(o, "</tbody></table></div></section>\n");
}

static void events(struct rep *r, struct sbuf *o)
{
    size_t lines = 0;

    sbuf_adds(o, "<section id=\"events\"><h2>Events</h2>");
    if (r->events == NULL) {
        sbuf_adds(o, "<p class=\"small\">No events.log.</p></section>\n");
        return;
    }
    for (size_t i = 0; i < r->events_len; i++)
        lines += r->events[i] == '\n';
    sbuf_addf(o, "<details><summary>events.log (%zu lines)</summary><pre>", lines);
    rep_escn(o, r->events, r->events_len);
    sbuf_adds(o, "</pre></details></section>\n");
}

int report_page(struct rep *r, struct sbuf *o, char *err)
{
    sbuf_adds(o, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
              "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
              "<title>Stress test report: ");
    rep_esc(o, jstr(jv_get(jv_get(r->man, "scenario"), "name")));
    sbuf_adds(o, "</title><style>");
    sbuf_adds(o, style);
    sbuf_adds(o, "</style></head>\n<body><main>\n");
    header(r, o);
    summary(r, o);
    if (report_plots(r, o, err) < 0)
        return -1;
    if (report_target_nodes(r, o, err) < 0)
        return -1;
    network(r, o);
    manifest(r, o);
    events(r, o);
    sbuf_adds(o, "<footer class=\"small\">Written by overseer " BSS_VERSION
              " (overseer report) from the files of this directory.</footer>\n"
              "</main></body></html>\n");
    return 0;
}
