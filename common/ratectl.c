/* ratectl.c - see ratectl.h. */
#include "ratectl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "hist.h"

/* A segment at run time. Rates are kept per nanosecond so that due times
 * come out in nanoseconds without a unit conversion in the hot path.
 * n_start/n_end are the integral of the rate (expected global count) at the
 * segment's ends; n_start of a segment is bit-identical to n_end of the one
 * before, so a transaction index falls in exactly one segment. */
struct seg_rt {
    uint64_t start_ns;
    uint64_t dur_ns;   /* RATECTL_FOREVER for an open-ended last segment */
    double from, to;   /* tx/s, for ratectl_rate_at */
    double n_start, n_end;
    double period_ns;  /* constant segments: 1e9 / rate; 0 otherwise */
    double f;          /* rate at the start, tx per ns */
    double a;          /* half the slope: (to - from) / (2 * dur), tx per ns^2 */
};

struct ratectl {
    bool unlimited;
    uint64_t end_ns;
    uint64_t total_g; /* whole curve; UINT64_MAX when open-ended */
    uint64_t total;   /* this share */
    uint64_t stride, offset;
    uint64_t drop_horizon_ns, late_ns;
    uint32_t window;
    struct hist *lateness;
    /* accounting, local indices: [0, next) are sent or dropped */
    uint64_t next, offered, sent, late, held, dropped, in_flight;
    size_t nseg;
    struct seg_rt seg[RATECTL_MAX_SEGS];
};

/* ---- curve building and parsing ---- */

void ratectl_curve_init(struct ratectl_curve *c)
{
    memset(c, 0, sizeof(*c));
}

static uint64_t finite_ns(const struct ratectl_curve *c)
{
    uint64_t sum = 0;

    for (size_t i = 0; i < c->nseg; i++)
        if (c->seg[i].dur_ns != RATECTL_FOREVER)
            sum += c->seg[i].dur_ns; /* each <= RATECTL_MAX_NS: no overflow */
    return sum;
}

int ratectl_curve_add(struct ratectl_curve *c, double from, double to,
                      uint64_t dur_ns, char *err)
{
    if (c->unlimited)
        return err_set(err, "an unlimited rate cannot be combined with other segments");
    if (c->nseg >= RATECTL_MAX_SEGS)
        return err_set(err, "too many rate segments (max %d)", RATECTL_MAX_SEGS);
    if (c->nseg > 0 && c->seg[c->nseg - 1].dur_ns == RATECTL_FOREVER)
        return err_set(err, "the previous segment runs until stopped; nothing can follow it");
    if (!(from >= 0 && from <= RATECTL_MAX_RATE))
        return err_set(err, "rate %g is out of range (0 .. %g tx/s)", from, RATECTL_MAX_RATE);
    if (!(to >= 0 && to <= RATECTL_MAX_RATE))
        return err_set(err, "rate %g is out of range (0 .. %g tx/s)", to, RATECTL_MAX_RATE);
    if (dur_ns == 0)
        return err_set(err, "duration must be > 0");
    if (dur_ns == RATECTL_FOREVER) {
        if (from != to)
            return err_set(err, "only a constant rate can run until stopped");
        if (from == 0)
            return err_set(err, "a rate of 0 cannot run until stopped");
    } else if (dur_ns > RATECTL_MAX_NS - finite_ns(c)) {
        return err_set(err, "the schedule would last more than 30 days");
    }
    c->seg[c->nseg].from = from;
    c->seg[c->nseg].to = to;
    c->seg[c->nseg].dur_ns = dur_ns;
    c->nseg++;
    return 0;
}

/* Quoting user text in errors: at most 40 characters of it. */
static int q(size_t len)
{
    return len < 40 ? (int)len : 40;
}

/* A plain decimal: digits, optionally '.' and digits. Parsed by hand:
 * strtod would also take signs, exponents, hex, "inf" and "nan", and
 * follows the locale's decimal point. Digits past the 15th decimal are
 * beyond double precision and ignored. */
static int parse_rate_num(const char *s, size_t len, double *out)
{
    double whole = 0, frac = 0, scale = 1;
    size_t i = 0, digits = 0;

    for (; i < len && s[i] >= '0' && s[i] <= '9'; i++, digits++)
        whole = whole * 10 + (s[i] - '0');
    if (i < len && s[i] == '.') {
        for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++, digits++) {
            if (scale < 1e15) {
                frac = frac * 10 + (s[i] - '0');
                scale *= 10;
            }
        }
    }
    if (i != len || digits == 0)
        return -1;
    *out = whole + frac / scale;
    return 0;
}

/* Seconds with up to 9 decimals, converted to ns exactly (no 0.1 s ->
 * 99999999 ns surprises). Returns 0, -1 (syntax), -2 (0 or too long). */
static int parse_secs(const char *s, size_t len, uint64_t *ns)
{
    uint64_t whole = 0, frac = 0, scale = 1000000000;
    size_t i = 0, digits = 0;

    for (; i < len && s[i] >= '0' && s[i] <= '9'; i++, digits++) {
        whole = whole * 10 + (uint64_t)(s[i] - '0');
        if (whole > RATECTL_MAX_NS / 1000000000)
            return -2;
    }
    if (i < len && s[i] == '.') {
        for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++, digits++) {
            if (scale == 1)
                return -1; /* more than 9 decimals */
            scale /= 10;
            frac += (uint64_t)(s[i] - '0') * scale;
        }
    }
    if (i != len || digits == 0)
        return -1;
    *ns = whole * 1000000000 + frac;
    if (*ns == 0 || *ns > RATECTL_MAX_NS)
        return -2;
    return 0;
}

static int secs_error(int rc, const char *what, const char *s, size_t len, char *err)
{
    if (rc == -1)
        return err_set(err, "%s \"%.*s\" is not a number of seconds (e.g. 60 or 0.5)",
                       what, q(len), s);
    return err_set(err, "%s \"%.*s\" must be > 0 and at most 30 days",
                   what, q(len), s);
}

int ratectl_parse_rate(struct ratectl_curve *c, const char *text, uint64_t dur_ns,
                       char *err)
{
    size_t len = strlen(text);
    double r;

    if (strcmp(text, "unlimited") == 0) {
        if (c->unlimited || c->nseg > 0)
            return err_set(err, "rate \"unlimited\" cannot be combined with other rate segments");
        if (dur_ns == 0)
            return err_set(err, "rate \"unlimited\": duration must be > 0");
        c->unlimited = true;
        c->unlimited_ns = dur_ns;
        return 0;
    }
    if (parse_rate_num(text, len, &r) < 0)
        return err_set(err, "rate \"%.*s\" is not a number (expected e.g. 2000, 0.5 or unlimited)",
                       q(len), text);
    if (r <= 0)
        return err_set(err, "rate \"%s\" must be > 0", text);
    if (ratectl_curve_add(c, r, r, dur_ns, err) < 0)
        return err_prefix(err, "rate \"%.*s\"", q(len), text);
    return 0;
}

int ratectl_parse_ramp(struct ratectl_curve *c, const char *text, char *err)
{
    static const char *const names[3] = {"FROM", "TO", "SECONDS"};
    const char *part[3] = {text, NULL, NULL};
    size_t plen[3], len = strlen(text);
    double rate[2];
    uint64_t ns;
    int rc;

    part[1] = strchr(text, ':');
    part[2] = part[1] ? strchr(++part[1], ':') : NULL;
    if (part[2] == NULL || strchr(++part[2], ':') != NULL)
        return err_set(err, "ramp \"%.*s\": expected FROM:TO:SECONDS", q(len), text);
    plen[0] = (size_t)(part[1] - 1 - part[0]);
    plen[1] = (size_t)(part[2] - 1 - part[1]);
    plen[2] = strlen(part[2]);
    for (int i = 0; i < 2; i++) {
        if (parse_rate_num(part[i], plen[i], &rate[i]) < 0)
            return err_set(err, "ramp \"%.*s\": %s \"%.*s\" is not a number", q(len), text,
                           names[i], q(plen[i]), part[i]);
    }
    if ((rc = parse_secs(part[2], plen[2], &ns)) < 0) {
        secs_error(rc, names[2], part[2], plen[2], err);
        return err_prefix(err, "ramp \"%.*s\"", q(len), text);
    }
    if (rate[0] == 0 && rate[1] == 0)
        return err_set(err, "ramp \"%.*s\": FROM and TO are both 0", q(len), text);
    if (ratectl_curve_add(c, rate[0], rate[1], ns, err) < 0)
        return err_prefix(err, "ramp \"%.*s\"", q(len), text);
    return 0;
}

static int parse_step(struct ratectl_curve *c, const char *p, size_t len, size_t item,
                      char *err)
{
    const char *x = memchr(p, 'x', len);
    size_t slen = x ? len - (size_t)(x - p) - 1 : 0;
    double r;
    uint64_t ns;
    int rc;

    if (len == 0)
        return err_set(err, "steps item %zu is empty", item);
    if (x == NULL)
        return err_set(err, "steps item %zu \"%.*s\": expected RATExSECONDS (e.g. 1000x10)",
                       item, q(len), p);
    if (parse_rate_num(p, (size_t)(x - p), &r) < 0)
        return err_set(err, "steps item %zu \"%.*s\": rate \"%.*s\" is not a number", item,
                       q(len), p, q((size_t)(x - p)), p);
    if ((rc = parse_secs(x + 1, slen, &ns)) < 0 || ratectl_curve_add(c, r, r, ns, err) < 0) {
        if (rc < 0)
            secs_error(rc, "seconds", x + 1, slen, err);
        return err_prefix(err, "steps item %zu \"%.*s\"", item, q(len), p);
    }
    return 0;
}

int ratectl_parse_steps(struct ratectl_curve *c, const char *text, char *err)
{
    size_t nseg0 = c->nseg, item = 0;
    const char *p = text, *comma;

    if (*text == '\0')
        return err_set(err, "steps \"\": expected RATExSECONDS[,RATExSECONDS...]");
    do {
        comma = strchr(p, ',');
        if (parse_step(c, p, comma ? (size_t)(comma - p) : strlen(p), ++item, err) < 0) {
            c->nseg = nseg0; /* all or nothing */
            return -1;
        }
        p = comma ? comma + 1 : p;
    } while (comma != NULL);
    return 0;
}

/* ---- the controller ---- */

static int build_segments(struct ratectl *rc, const struct ratectl_curve *curve, char *err)
{
    struct ratectl_curve check;
    uint64_t t = 0;
    double n = 0;

    /* Re-validate through the builder: the curve may come off the wire. */
    if (curve->nseg == 0 || curve->nseg > RATECTL_MAX_SEGS)
        return err_set(err, "rate curve: %zu segments (need 1 .. %d)", curve->nseg,
                       RATECTL_MAX_SEGS);
    ratectl_curve_init(&check);
    for (size_t i = 0; i < curve->nseg; i++) {
        const struct ratectl_seg *s = &curve->seg[i];
        if (ratectl_curve_add(&check, s->from, s->to, s->dur_ns, err) < 0)
            return err_prefix(err, "rate curve segment %zu", i + 1);
    }
    for (size_t i = 0; i < curve->nseg; i++) {
        const struct ratectl_seg *s = &curve->seg[i];
        struct seg_rt *g = &rc->seg[i];
        g->start_ns = t;
        g->dur_ns = s->dur_ns;
        g->from = s->from;
        g->to = s->to;
        g->f = s->from / 1e9;
        g->n_start = n;
        if (s->from == s->to) {
            /* 1e9 / rate first: exact for rates dividing 1e9, so that
             * k * period has no rounding at all in the common case. */
            g->period_ns = s->from > 0 ? 1e9 / s->from : 0;
            g->a = 0;
            if (s->dur_ns == RATECTL_FOREVER)
                g->n_end = INFINITY;
            else
                g->n_end = n + s->from * (double)s->dur_ns / 1e9;
        } else {
            g->period_ns = 0;
            g->a = (s->to - s->from) / (2.0 * (double)s->dur_ns * 1e9);
            g->n_end = n + (s->from + s->to) * (double)s->dur_ns / 2e9;
        }
        n = g->n_end;
        t = s->dur_ns == RATECTL_FOREVER ? RATECTL_FOREVER : t + s->dur_ns;
    }
    rc->nseg = curve->nseg;
    rc->end_ns = t;
    if (t == RATECTL_FOREVER) {
        rc->total_g = UINT64_MAX;
    } else {
        /* The integral of integer rates over whole seconds is an integer
         * that floating point may overshoot by an ulp; do not turn that
         * ulp into an extra transaction. */
        double c = ceil(n - n * 1e-12);
        if (c < 1)
            return err_set(err, "rate curve offers no transaction at all");
        rc->total_g = (uint64_t)c;
    }
    return 0;
}

static int setup(struct ratectl *rc, const struct ratectl_curve *curve,
                 const struct ratectl_opts *opts, char *err)
{
    rc->stride = opts->share_count ? opts->share_count : 1;
    rc->offset = opts->share_index;
    rc->drop_horizon_ns = opts->drop_horizon_ns;
    rc->late_ns = opts->late_ns ? opts->late_ns : RATECTL_DEFAULT_LATE_NS;
    rc->window = opts->window;
    rc->lateness = opts->lateness;
    if (rc->offset >= rc->stride)
        return err_set(err, "share index %u must be below the share count %u",
                       opts->share_index, (unsigned)rc->stride);
    if (curve->unlimited) {
        if (curve->nseg != 0)
            return err_set(err, "an unlimited rate cannot be combined with other segments");
        if (curve->unlimited_ns == 0)
            return err_set(err, "unlimited rate: duration must be > 0");
        if (rc->window == 0)
            return err_set(err, "unlimited rate needs an in-flight window > 0");
        rc->unlimited = true;
        rc->end_ns = curve->unlimited_ns;
        rc->total_g = rc->total = UINT64_MAX;
        return 0;
    }
    if (build_segments(rc, curve, err) < 0)
        return -1;
    if (rc->total_g == UINT64_MAX)
        rc->total = UINT64_MAX;
    else if (rc->total_g > rc->offset)
        rc->total = (rc->total_g - rc->offset + rc->stride - 1) / rc->stride;
    if (rc->total == 0)
        return err_set(err, "share %u of %u gets no transaction (the curve offers %llu)",
                       opts->share_index, (unsigned)rc->stride, (unsigned long long)rc->total_g);
    return 0;
}

struct ratectl *ratectl_new(const struct ratectl_curve *curve,
                            const struct ratectl_opts *opts, char *err)
{
    static const struct ratectl_opts none;
    struct ratectl *rc = calloc(1, sizeof(*rc));

    if (rc == NULL) {
        err_set(err, "out of memory");
        return NULL;
    }
    if (setup(rc, curve, opts ? opts : &none, err) < 0) {
        free(rc);
        return NULL;
    }
    return rc;
}

void ratectl_free(struct ratectl *rc)
{
    free(rc);
}

/* ---- schedule math (global indices) ---- */

static uint64_t due_g(const struct ratectl *rc, uint64_t kg)
{
    size_t lo = 0, hi = rc->nseg - 1;
    const struct seg_rt *s;
    double k = (double)kg, n, t;

    if (kg >= rc->total_g)
        return RATECTL_FOREVER;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (rc->seg[mid].n_end > k)
            hi = mid;
        else
            lo = mid + 1;
    }
    s = &rc->seg[lo];
    n = k - s->n_start;
    if (n <= 0) {
        t = 0;
    } else if (s->period_ns > 0) {
        t = n * s->period_ns;
    } else {
        /* Root of a t^2 + f t = n in the form without cancellation; valid
         * for ramps down (a < 0) too, where the discriminant stays >= to^2. */
        double disc = s->f * s->f + 4 * s->a * n;
        t = 2 * n / (s->f + sqrt(disc > 0 ? disc : 0));
    }
    if (s->dur_ns != RATECTL_FOREVER && t > (double)s->dur_ns)
        t = (double)s->dur_ns;
    if (t >= 0x1p63 || (uint64_t)t > RATECTL_FOREVER - 1 - s->start_ns)
        return RATECTL_FOREVER - 1; /* beyond any real run */
    return s->start_ns + (uint64_t)(t + 0.5);
}

static size_t seg_at(const struct ratectl *rc, uint64_t t)
{
    size_t lo = 0, hi = rc->nseg - 1;

    while (lo < hi) { /* last segment with start_ns <= t */
        size_t mid = (lo + hi + 1) / 2;
        if (rc->seg[mid].start_ns <= t)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

static uint64_t count_due_g(const struct ratectl *rc, uint64_t t)
{
    const struct seg_rt *s;
    double dt, n;
    uint64_t est;

    if (t >= rc->end_ns)
        return rc->total_g;
    s = &rc->seg[seg_at(rc, t)];
    dt = (double)(t - s->start_ns);
    n = s->n_start + s->f * dt + s->a * dt * dt;
    if (n < 0)
        n = 0; /* rounding noise; floor(-x) must not reach the cast */
    est = n + 1 >= (double)rc->total_g ? rc->total_g : (uint64_t)floor(n) + 1;
    /* The estimate can be off by one where due times were rounded to the
     * nanosecond; settle it against due_g so both functions agree. */
    while (est > 0 && due_g(rc, est - 1) > t)
        est--;
    while (est < rc->total_g && due_g(rc, est) <= t)
        est++;
    return est;
}

/* ---- schedule queries (local indices) ---- */

bool ratectl_is_unlimited(const struct ratectl *rc)
{
    return rc->unlimited;
}

uint64_t ratectl_total(const struct ratectl *rc)
{
    return rc->total;
}

uint64_t ratectl_end_ns(const struct ratectl *rc)
{
    return rc->end_ns;
}

uint64_t ratectl_due(const struct ratectl *rc, uint64_t k)
{
    if (rc->unlimited)
        return 0;
    if (k >= rc->total || k > (UINT64_MAX - rc->offset) / rc->stride)
        return RATECTL_FOREVER;
    return due_g(rc, rc->offset + k * rc->stride);
}

uint64_t ratectl_count_due(const struct ratectl *rc, uint64_t t)
{
    uint64_t c;

    if (rc->unlimited)
        return UINT64_MAX;
    c = count_due_g(rc, t);
    return c > rc->offset ? (c - rc->offset + rc->stride - 1) / rc->stride : 0;
}

double ratectl_rate_at(const struct ratectl *rc, uint64_t t)
{
    const struct seg_rt *s;

    if (rc->unlimited || t >= rc->end_ns)
        return 0;
    s = &rc->seg[seg_at(rc, t)];
    if (s->from == s->to)
        return s->from;
    return s->from + (s->to - s->from) * (double)(t - s->start_ns) / (double)s->dur_ns;
}

/* ---- the sender's side ---- */

static uint64_t window_room(const struct ratectl *rc)
{
    if (rc->window == 0)
        return UINT64_MAX;
    return rc->in_flight < rc->window ? rc->window - rc->in_flight : 0;
}

uint64_t ratectl_poll(struct ratectl *rc, uint64_t now, uint64_t *first)
{
    uint64_t c, room = window_room(rc), pending;

    if (rc->unlimited) {
        *first = rc->next;
        return now >= rc->end_ns ? 0 : room;
    }
    c = ratectl_count_due(rc, now);
    if (c > rc->offered)
        rc->offered = c;
    if (rc->drop_horizon_ns != 0 && now > rc->drop_horizon_ns) {
        /* due(k) < now - horizon, i.e. due(k) <= now - horizon - 1 */
        uint64_t d = ratectl_count_due(rc, now - rc->drop_horizon_ns - 1);
        if (d > rc->next) {
            rc->dropped += d - rc->next;
            rc->next = d;
        }
    }
    *first = rc->next;
    pending = rc->offered - rc->next;
    return pending < room ? pending : room;
}

uint64_t ratectl_next_due(const struct ratectl *rc)
{
    if (rc->unlimited)
        return window_room(rc) > 0 ? 0 : RATECTL_FOREVER;
    return ratectl_due(rc, rc->next);
}

int64_t ratectl_on_sent(struct ratectl *rc, uint64_t k, uint64_t now)
{
    return ratectl_on_sent_held(rc, k, now, false);
}

int64_t ratectl_on_sent_held(struct ratectl *rc, uint64_t k, uint64_t now, bool held)
{
    uint64_t due, lateness = 0;

    if (k != rc->next || (!rc->unlimited && k >= rc->offered))
        return -1;
    if (rc->unlimited) {
        rc->offered++;
    } else {
        due = ratectl_due(rc, k);
        lateness = now > due ? now - due : 0;
        if (held && lateness > rc->late_ns) {
            rc->held++;
        } else {
            if (rc->lateness != NULL)
                hist_record(rc->lateness, lateness);
            rc->late += lateness > rc->late_ns;
        }
    }
    rc->next++;
    rc->sent++;
    rc->in_flight++;
    return lateness > INT64_MAX ? INT64_MAX : (int64_t)lateness;
}

int ratectl_on_dropped(struct ratectl *rc, uint64_t k)
{
    if (k != rc->next || (!rc->unlimited && k >= rc->offered))
        return -1;
    if (rc->unlimited)
        rc->offered++;
    rc->next++;
    rc->dropped++;
    return 0;
}

uint64_t ratectl_drop_pending(struct ratectl *rc)
{
    uint64_t n = rc->offered - rc->next;

    rc->dropped += n;
    rc->next = rc->offered;
    return n;
}

int ratectl_on_done(struct ratectl *rc)
{
    if (rc->in_flight == 0)
        return -1;
    rc->in_flight--;
    return 0;
}

bool ratectl_finished(const struct ratectl *rc, uint64_t now)
{
    if (rc->unlimited)
        return now >= rc->end_ns;
    return rc->next >= rc->total;
}

void ratectl_counters(const struct ratectl *rc, struct ratectl_counters *out)
{
    out->offered = rc->offered;
    out->sent = rc->sent;
    out->late = rc->late;
    out->held = rc->held;
    out->dropped = rc->dropped;
    out->pending = rc->offered - rc->next;
    out->in_flight = rc->in_flight;
}

void ratectl_set_hist(struct ratectl *rc, struct hist *h)
{
    rc->lateness = h;
}
