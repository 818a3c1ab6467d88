/* report_svg.c - one time-series plot as inline SVG (see report_impl.h).
 *
 * Everything is computed here (ranges, ticks, legend layout), so the page
 * needs no script. Text widths are estimated from the character count: the
 * page's font is the reader's system font, unknown when drawing. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "report_impl.h"

#define W 1100.0
#define ML 76.0       /* left: tick labels and the y label */
#define MR 18.0
#define MB 48.0       /* bottom: tick labels and the x label */
#define PLOT_H 260.0
#define CHAR_W 7.0    /* average width of a 12 px character */
#define LEGEND_ROW 20.0
#define STRIP_H 7.0

struct frame {
    double x0, x1, y0, y1;     /* the plot area, px (y0 top) */
    double xmin, xmax;         /* run time shown */
    double ymin, ymax;         /* values shown (log10 of them on a log scale) */
    bool logy;
};

static double fx(const struct frame *f, double x)
{
    return f->x0 + (x - f->xmin) / (f->xmax - f->xmin) * (f->x1 - f->x0);
}

static double fy(const struct frame *f, double y)
{
    double v = f->logy ? log10(y) : y;
    return f->y1 - (v - f->ymin) / (f->ymax - f->ymin) * (f->y1 - f->y0);
}

static bool usable(const struct frame *f, double x, double y)
{
    return isfinite(x) && isfinite(y) && (!f->logy || y > 0);
}

/* 1, 2 or 5 times a power of ten, nearest to range / n. */
static double nice_step(double range, int n)
{
    double raw = range / n, mag = pow(10, floor(log10(raw))), r = raw / mag;

    return (r < 1.5 ? 1 : r < 3 ? 2 : r < 7 ? 5 : 10) * mag;
}

static void tick_label(char *buf, size_t cap, double v, double step)
{
    int dec = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);

    if (fabs(v) < step / 1e6)
        v = 0;
    snprintf(buf, cap, "%.*f", dec, v);
}

static const char *dash_attr(enum rplot_dash d)
{
    return d == RPLOT_DASHED ? " stroke-dasharray=\"7 4\"" : d == RPLOT_DOTTED ?
           " stroke-dasharray=\"1.5 3.5\"" : "";
}

/* The y range from the data. */
static void y_range(struct frame *f, const struct rplot *p)
{
    double lo = INFINITY, hi = -INFINITY;

    for (size_t s = 0; s < p->nseries; s++)
        for (size_t i = 0; i < p->series[s].n; i++) {
            double y = p->series[s].y[i];
            if (!usable(f, p->series[s].x[i], y))
                continue;
            lo = fmin(lo, y);
            hi = fmax(hi, y);
        }
    if (f->logy) {
        if (!isfinite(lo)) {
            lo = 1;
            hi = 10;
        }
        f->ymin = floor(log10(lo));
        f->ymax = ceil(log10(hi) + 0.15); /* room for the phase labels */
        if (f->ymax <= f->ymin)
            f->ymax = f->ymin + 1;
        return;
    }
    if (!isfinite(lo)) {
        lo = 0;
        hi = 1;
    }
    /* The top is left free for the phase labels; it need not be a tick. */
    lo = fmin(lo, 0);
    hi = fmax(hi, p->ymax_min) * 1.12;
    if (hi <= lo)
        hi = lo + 1;
    f->ymin = lo < 0 ? floor(lo / nice_step(hi - lo, 5)) * nice_step(hi - lo, 5) : 0;
    f->ymax = hi;
}

static void text(struct sbuf *o, double x, double y, const char *anchor, const char *cls,
                 const char *s)
{
    sbuf_addf(o, "<text x=\"%.1f\" y=\"%.1f\"%s%s%s class=\"%s\">", x, y,
              anchor ? " text-anchor=\"" : "", anchor ? anchor : "", anchor ? "\"" : "", cls);
    rep_esc(o, s);
    sbuf_adds(o, "</text>");
}

static void grid(struct sbuf *o, const struct frame *f, const struct rplot *p)
{
    char buf[64];
    double step = nice_step(f->xmax - f->xmin, 10);

    for (double x = ceil(f->xmin / step) * step; x <= f->xmax + step / 1e6; x += step) {
        double px = fx(f, x);
        sbuf_addf(o, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"grid\"/>", px,
                  f->y0, px, f->y1);
        tick_label(buf, sizeof buf, x, step);
        text(o, px, f->y1 + 17, "middle", "tick", buf);
    }
    text(o, (f->x0 + f->x1) / 2, f->y1 + 38, "middle", "axis", "run time (s)");
    if (f->logy) {
        for (double e = f->ymin; e <= f->ymax + 1e-9; e++) {
            double py = f->y1 - (e - f->ymin) / (f->ymax - f->ymin) * (f->y1 - f->y0);
            sbuf_addf(o, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"grid\"/>",
                      f->x0, py, f->x1, py);
            if (e < -3 || e > 6)
                snprintf(buf, sizeof buf, "1e%.0f", e);
            else
                snprintf(buf, sizeof buf, "%.*f", e < 0 ? (int)-e : 0, pow(10, e));
            text(o, f->x0 - 7, py + 4, "end", "tick", buf);
            for (int m = 2; m <= 9 && e < f->ymax; m++) {
                double my = fy(f, (double)m * pow(10, e));
                sbuf_addf(o, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                          "class=\"minor\"/>", f->x0, my, f->x1, my);
            }
        }
    } else {
        double ystep = nice_step(f->ymax - f->ymin, 5);
        for (double y = f->ymin; y <= f->ymax; y += ystep) {
            double py = fy(f, y);
            sbuf_addf(o, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"grid\"/>",
                      f->x0, py, f->x1, py);
            tick_label(buf, sizeof buf, y, ystep);
            text(o, f->x0 - 7, py + 4, "end", "tick", buf);
        }
    }
    sbuf_addf(o, "<text transform=\"translate(18 %.1f) rotate(-90)\" text-anchor=\"middle\" "
              "class=\"axis\">", (f->y0 + f->y1) / 2);
    rep_esc(o, p->ylabel);
    sbuf_adds(o, "</text>");
}

/* Phase bands: shaded alternately, a line and a label at each start. A
 * label that does not fit its band is shortened or left out. */
static void bands(struct sbuf *o, const struct frame *f, const struct rplot *p, bool labels)
{
    size_t k = 0;

    for (size_t i = 0; i < p->nbands; i++) {
        const struct rplot_band *b = &p->bands[i];
        double a = fmax(fx(f, b->t0), f->x0), z = fmin(fx(f, b->t1), f->x1);
        if (!(z > a))
            continue;
        if (!labels) {
            if (!b->step && k++ % 2 == 0)
                sbuf_addf(o, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                          "class=\"band\"/>", a, f->y0, z - a, f->y1 - f->y0);
            sbuf_addf(o, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"%s\"/>",
                      a, f->y0, a, f->y1, b->step ? "stepline" : "phaseline");
            continue;
        }
        size_t fit = (size_t)((z - a - 8) / (b->step ? CHAR_W * 0.85 : CHAR_W));
        size_t len = strlen(b->label);
        if (fit < 3)
            continue;
        char buf[128];
        if (len > fit) {
            /* Cut at a character boundary, then mark the cut. */
            size_t n = fit - 1 < sizeof buf - 4 ? fit - 1 : sizeof buf - 4;
            while (n > 0 && ((unsigned char)b->label[n] & 0xC0) == 0x80)
                n--;
            memcpy(buf, b->label, n);
            memcpy(buf + n, "\xe2\x80\xa6", 4);
        } else {
            snprintf(buf, sizeof buf, "%s", b->label);
        }
        text(o, a + 4, f->y0 + (b->step ? 28 : 14), NULL, b->step ? "steplabel" : "phaselabel",
             buf);
    }
}

static const char *strip_class(const char *v)
{
    return strcmp(v, "node-bound") == 0 ? "vnode" : strcmp(v, "beacon-bound") == 0 ? "vbeacon"
                                                                                   : NULL;
}

/* Runs of adjacent seconds with one verdict are drawn as one box. */
static void strip(struct sbuf *o, const struct frame *f, const struct rplot_strip *s)
{
    for (size_t i = 0, j; i < s->n; i = j) {
        const char *cls = strip_class(s->verdict[i]);
        double end = s->t1[i];
        for (j = i + 1; j < s->n && cls != NULL && strip_class(s->verdict[j]) == cls &&
                        isfinite(s->t0[j]) && s->t0[j] <= end + 0.5; j++)
            end = s->t1[j];
        if (cls == NULL || !isfinite(s->t0[i]) || !isfinite(end))
            continue;
        double a = fmax(fx(f, s->t0[i]), f->x0), z = fmin(fx(f, end), f->x1);
        if (z > a)
            sbuf_addf(o, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                      "class=\"%s\"><title>%s, %zu s</title></rect>", a, f->y1 - STRIP_H,
                      z - a, STRIP_H, cls, s->verdict[i], j - i);
    }
}

/* Whether a phase (not a step) starts in (a, b]: a series measured per
 * phase is not joined across it. */
static bool phase_starts(const struct rplot *p, double a, double b)
{
    for (size_t i = 0; i < p->nbands; i++)
        if (!p->bands[i].step && a <= p->bands[i].t0 && p->bands[i].t0 < b)
            return true;
    return false;
}

static void point(struct sbuf *o, char cmd, double x, double y)
{
    sbuf_addf(o, "%c%.1f %.1f", cmd, x, y);
}

/* The series as one path. Points that fall into the same pixel column are
 * reduced to that column's first, lowest, highest and last, so that a long
 * run draws about four points per pixel and keeps its spikes. */
static size_t series(struct sbuf *o, const struct frame *f, const struct rplot *p,
                     const struct rplot_series *s)
{
    bool down = false, extra = false;
    long col = 0;
    double cx = 0, lo = 0, hi = 0, lastx = 0, last = 0, prevx = 0;
    size_t drawn = 0, seg = 0;
    size_t mark = o->len;

    sbuf_addf(o, "<path d=\"");
    for (size_t i = 0; i <= s->n; i++) {
        bool ok = i < s->n && usable(f, s->x[i], s->y[i]);
        bool gap = !ok || (down && (s->x[i] - prevx > p->gap_s ||
                                    (s->split && phase_starts(p, prevx, s->x[i]))));
        if (down && gap) {
            if (extra) {
                point(o, 'L', cx, lo);
                point(o, 'L', cx, hi);
                point(o, 'L', lastx, last);
            } else if (seg == 1) {
                sbuf_adds(o, "l0.1 0"); /* a lone point: a dot (round caps) */
            }
            down = extra = false;
        }
        if (!ok)
            continue;
        double X = fx(f, s->x[i]), Y = fy(f, s->y[i]);
        long c = lround(X);
        prevx = s->x[i];
        drawn++;
        if (!down) {
            point(o, 'M', X, Y);
            down = true;
            seg = 1;
            col = c;
            cx = X;
            continue;
        }
        seg++;
        if (c == col) {
            if (!extra)
                lo = hi = Y;
            lo = fmin(lo, Y);
            hi = fmax(hi, Y);
            lastx = X;
            last = Y;
            extra = true;
            continue;
        }
        if (extra) {
            point(o, 'L', cx, lo);
            point(o, 'L', cx, hi);
            point(o, 'L', lastx, last);
            extra = false;
        }
        point(o, 'L', X, Y);
        col = c;
        cx = X;
    }
    if (drawn == 0) {
        o->len = mark; /* nothing to draw: no empty path */
        if (o->cap > 0)
            o->buf[mark] = '\0';
        return 0;
    }
    sbuf_addf(o, "\" fill=\"none\" stroke=\"%s\" stroke-width=\"%.1f\"%s "
              "stroke-linecap=\"round\" stroke-linejoin=\"round\"><title>", s->color,
              s->width > 0 ? s->width : 2.0, dash_attr(s->dash));
    rep_esc(o, s->label);
    sbuf_adds(o, "</title></path>");
    return drawn;
}

struct legend_item {
    const char *label, *color, *cls;
    enum rplot_dash dash;
    bool swatch;
};

/* Lays the legend out in rows from the left; returns the number of rows
 * (draw: also appends it, starting at y). */
static int legend(struct sbuf *o, const struct legend_item *it, size_t n, double y, bool draw)
{
    double x = ML;
    int rows = n > 0;

    for (size_t i = 0; i < n; i++) {
        double w = 30 + CHAR_W * (double)strlen(it[i].label) + 18;
        if (x + w > W - MR && x > ML) {
            x = ML;
            rows++;
            y += LEGEND_ROW;
        }
        if (draw) {
            if (it[i].swatch)
                sbuf_addf(o, "<rect x=\"%.1f\" y=\"%.1f\" width=\"22\" height=\"9\" class=\"%s\"/>",
                          x, y - 8, it[i].cls);
            else
                sbuf_addf(o, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                          "stroke-width=\"2.5\"%s/>", x, y - 4, x + 22, y - 4, it[i].color,
                          dash_attr(it[i].dash));
            text(o, x + 28, y, NULL, "legend", it[i].label);
        }
        x += w;
    }
    return rows;
}

void rplot_svg(struct sbuf *o, const struct rplot *p)
{
    struct legend_item items[64];
    size_t n = 0, drawn = 0;
    bool vnode = false, vbeacon = false;
    struct frame f = {.x0 = ML, .x1 = W - MR, .xmin = p->xmin, .xmax = p->xmax, .logy = p->logy};

    for (size_t i = 0; i < p->nseries && n < 60; i++)
        if (p->series[i].label[0] != '\0')
            items[n++] = (struct legend_item){p->series[i].label, p->series[i].color, NULL,
                                              p->series[i].dash, false};
    for (size_t i = 0; p->strip != NULL && i < p->strip->n; i++) {
        vnode |= strcmp(p->strip->verdict[i], "node-bound") == 0;
        vbeacon |= strcmp(p->strip->verdict[i], "beacon-bound") == 0;
    }
    if (vnode)
        items[n++] = (struct legend_item){"node-bound second", NULL, "vnode", RPLOT_SOLID, true};
    if (vbeacon)
        items[n++] = (struct legend_item){"beacon-bound second", NULL, "vbeacon", RPLOT_SOLID,
                                          true};
    f.y0 = 14 + LEGEND_ROW * legend(o, items, n, 0, false);
    f.y1 = f.y0 + PLOT_H;
    if (!(f.xmax > f.xmin))
        f.xmax = f.xmin + 1;
    y_range(&f, p);

    sbuf_addf(o, "<svg class=\"chart\" id=\"%s\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" "
              "aria-labelledby=\"%s-t\"><title id=\"%s-t\">", p->id, W, f.y1 + MB, p->id, p->id);
    rep_esc(o, p->title);
    sbuf_addf(o, "</title><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
              "class=\"area\"/>", f.x0, f.y0, f.x1 - f.x0, f.y1 - f.y0);
    bands(o, &f, p, false);
    grid(o, &f, p);
    for (size_t i = 0; i < p->nseries; i++)
        drawn += series(o, &f, p, &p->series[i]);
    if (p->strip != NULL)
        strip(o, &f, p->strip);
    bands(o, &f, p, true);
    if (drawn == 0)
        text(o, (f.x0 + f.x1) / 2, (f.y0 + f.y1) / 2, "middle", "nodata",
             "no data in this run");
    sbuf_addf(o, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" class=\"frame\"/>",
              f.x0, f.y0, f.x1 - f.x0, f.y1 - f.y0);
    legend(o, items, n, 16, true);
    sbuf_adds(o, "</svg>\n");
}
