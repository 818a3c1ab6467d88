/* test_dash.c - the dashboard's pure parts: the Prometheus exposition of a
 * known state byte for byte (tests/data/dash_metrics.prom) and read back by
 * a strict parser of the text format 0.0.4 written here from the format's
 * description; HDR -> Prometheus buckets; SSE framing, the bounded buffer
 * and Last-Event-ID resume; JSON cells. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <ctype.h>
#include <math.h>

#include "dash_json.h"
#include "dash_metrics.h"
#include "dash_sse.h"
#include "testutil.h"

/* ---- a strict reader of the text exposition format 0.0.4 ---- */

/* A requirement of the format: the reader stops at the first one broken. */
#define REQ(c)                                                                                   \
    do {                                                                                         \
        if (!(c)) {                                                                              \
            snprintf(e->why, sizeof e->why, "line %zu: %s", e->lineno, #c);                      \
            return false;                                                                        \
        }                                                                                        \
    } while (0)

#define MAXFAM 128

struct fam {
    char name[128];
    char type[16];
    bool help, typed, closed;
    double last_le, last_cum; /* histogram: within the current label set */
    double inf_count;
    bool have_inf;
};

struct expo {
    char why[256];             /* the first fault */
    size_t lineno;
    size_t nfam;
    struct fam fam[MAXFAM];
    struct fam *cur;           /* the family whose samples are being read */
    size_t samples;
};

static bool name_ok(const char *s, size_t n, bool colon)
{
    if (n == 0 || !(isalpha((unsigned char)s[0]) || s[0] == '_' || (colon && s[0] == ':')))
        return false;
    for (size_t i = 1; i < n; i++)
        if (!(isalnum((unsigned char)s[i]) || s[i] == '_' || (colon && s[i] == ':')))
            return false;
    return true;
}

static struct fam *fam_get(struct expo *e, const char *name, size_t n)
{
    if (e->nfam == MAXFAM || n >= sizeof e->fam[0].name)
        return NULL;
    for (size_t i = 0; i < e->nfam; i++)
        if (strlen(e->fam[i].name) == n && memcmp(e->fam[i].name, name, n) == 0)
            return &e->fam[i];
    struct fam *f = &e->fam[e->nfam++];
    memset(f, 0, sizeof *f);
    memcpy(f->name, name, n);
    return f;
}

/* A sample value: a Go float literal as Prometheus reads it. */
static bool value(struct expo *e, const char *s, double *v)
{
    char *end;

    if (strcmp(s, "NaN") == 0)
        *v = NAN;
    else if (strcmp(s, "+Inf") == 0)
        *v = INFINITY;
    else if (strcmp(s, "-Inf") == 0)
        *v = -INFINITY;
    else {
        REQ(strspn(s, "+-.0123456789eE") == strlen(s));
        *v = strtod(s, &end);
        REQ(end != s && *end == '\0');
        REQ(isfinite(*v));
    }
    return true;
}

/* The family a sample name belongs to (histograms: _bucket, _sum, _count). */
static struct fam *sample_family(struct expo *e, const char *name, size_t n, const char **suffix)
{
    static const char *const sfx[] = {"_bucket", "_sum", "_count"};

    *suffix = "";
    for (size_t i = 0; i < e->nfam; i++)
        if (strcmp(e->fam[i].type, "histogram") == 0)
            for (int k = 0; k < 3; k++) {
                size_t fl = strlen(e->fam[i].name), sl = strlen(sfx[k]);
                if (fl + sl == n && memcmp(name, e->fam[i].name, fl) == 0 &&
                    memcmp(name + fl, sfx[k], sl) == 0) {
                    *suffix = sfx[k];
                    return &e->fam[i];
                }
            }
    for (size_t i = 0; i < e->nfam; i++)
        if (strlen(e->fam[i].name) == n && memcmp(e->fam[i].name, name, n) == 0)
            return &e->fam[i];
    return NULL;
}

static bool expo_line(struct expo *e, const char *line)
{
    if (line[0] == '#') {
        const char *p = line + 1, *name, *sp;
        bool help;
        struct fam *f;
        REQ(*p == ' ');
        p++;
        if (strncmp(p, "HELP ", 5) == 0)
            help = true;
        else if (strncmp(p, "TYPE ", 5) == 0)
            help = false;
        else
            return true; /* another comment */
        name = p + 5;
        sp = strchr(name, ' ');
        REQ((sp) != NULL);
        REQ(name_ok(name, (size_t)(sp - name), true));
        f = fam_get(e, name, (size_t)(sp - name));
        REQ(f != NULL);
        REQ(!f->closed);                /* no metadata after its samples */
        if (help) {
            REQ(!f->help);              /* once */
            f->help = true;
            for (const char *q = sp + 1; *q; q++) /* only \\ and \n escapes */
                if (*q == '\\')
                {
                    REQ(q[1] == '\\' || q[1] == 'n');
                    q++;
                }
        } else {
            REQ(!f->typed);
            f->typed = true;
            REQ(strlen(sp + 1) < sizeof f->type);
            strcpy(f->type, sp + 1);
            REQ(strcmp(f->type, "counter") == 0 || strcmp(f->type, "gauge") == 0 ||
                        strcmp(f->type, "histogram") == 0 || strcmp(f->type, "summary") == 0 ||
                        strcmp(f->type, "untyped") == 0);
            f->last_le = -INFINITY;
        }
        if (e->cur != NULL && e->cur != f)
            e->cur->closed = true;
        e->cur = f;
        return true;
    }
    /* name{label="value",...} value */
    const char *p = line, *suffix;
    size_t n = strcspn(p, "{ ");
    char le[512] = "", rest[64];
    struct fam *f;

    REQ(name_ok(p, n, true));
    f = sample_family(e, p, n, &suffix);
    REQ((f) != NULL);                   /* every sample has its TYPE first */
    REQ(f->typed);
    REQ(!f->closed);              /* a family's lines are together */
    if (e->cur != NULL && e->cur != f)
        e->cur->closed = true;
    e->cur = f;
    if (strcmp(f->type, "counter") == 0)
        REQ(n > 6 && memcmp(p + n - 6, "_total", 6) == 0);
    p += n;
    if (*p == '{') {
        p++;
        while (*p != '}') {
            size_t ln = strcspn(p, "=");
            char lname[64];
            REQ(name_ok(p, ln, false));
            REQ(ln < sizeof lname);
            memcpy(lname, p, ln);
            lname[ln] = '\0';
            p += ln;
            REQ(*p++ == '=');
            REQ(*p++ == '"');
            size_t k = 0;
            char val[512];
            while (*p != '"') {
                REQ(*p != '\0' && *p != '\n');
                if (*p == '\\') {
                    p++;
                    REQ(*p == '\\' || *p == '"' || *p == 'n');
                }
                REQ(k + 1 < sizeof val);
                val[k++] = *p++;
            }
            val[k] = '\0';
            p++;
            if (strcmp(lname, "le") == 0)
                snprintf(le, sizeof le, "%s", val);
            REQ(*p == ',' || *p == '}');
            if (*p == ',')
                p++;
        }
        p++;
    }
    REQ(*p++ == ' ');
    REQ(strlen(p) < sizeof rest);
    snprintf(rest, sizeof rest, "%s", p);
    REQ((strchr(rest, ' ')) == NULL);       /* no timestamps here */
    double v, b;
    REQ(value(e, rest, &v));
    if (strcmp(f->type, "counter") == 0)
        REQ(v >= 0);
    if (strcmp(suffix, "_bucket") == 0) {
        REQ(le[0] != '\0');
        REQ(value(e, le, &b));
        if (b < f->last_le) /* a new label set starts again */
            f->last_cum = 0;
        REQ(b > f->last_le || b < f->last_le);
        REQ(v >= f->last_cum);    /* cumulative */
        f->last_le = b;
        f->last_cum = v;
        if (isinf(b)) {
            f->have_inf = true;
            f->inf_count = v;
            f->last_le = -INFINITY;
        }
    } else if (strcmp(suffix, "_count") == 0) {
        REQ(f->have_inf);
        REQ(v == f->inf_count);   /* the +Inf bucket is the count */
    }
    e->samples++;
    return true;
}

/* Parses text strictly. Returns false at the first fault (e->why says it). */
static bool expo_parse(const char *text, struct expo *e)
{
    const char *p = text;

    memset(e, 0, sizeof *e);
    REQ(strlen(text) > 0 && text[strlen(text) - 1] == '\n');
    while (*p) {
        const char *nl = strchr(p, '\n');
        char line[1024];
        REQ((nl) != NULL);
        REQ((size_t)(nl - p) < sizeof line);
        memcpy(line, p, (size_t)(nl - p));
        line[nl - p] = '\0';
        e->lineno++;
        REQ(line[0] != '\0');     /* no blank lines in ours */
        if (!expo_line(e, line))
            return false;
        p = nl + 1;
    }
    for (size_t i = 0; i < e->nfam; i++)
        REQ(e->fam[i].help && e->fam[i].typed);
    return true;
}

/* ---- a known state ---- */

static struct dash_state *known_state(void)
{
    struct dash_state *st = calloc(1, sizeof *st);
    struct hist *h = hist_new();

    assert_non_null(st);
    st->elapsed_s = 12.5;
    snprintf(st->result, sizeof st->result, "running");
    st->have_second = true;
    st->last.phase_no = 2;
    st->last.verdict = STATS_NODE_BOUND;
    st->last.c.offered = 300;
    st->last.c.sent = 299;
    st->last.c.accepted = 290;
    st->last.c.rejected[STATS_REJ_BUSY] = 9;
    st->last.c.confirmed = 280;
    st->last.c.confirmed_ops = 560;
    st->last.target_rate = 300;
    st->last.pool = 4000;
    st->last.in_flight = 7;
    st->last.unconfirmed = 40;
    st->nbeacons = 2;
    snprintf(st->beacon[0].id, DASH_ID_LEN, "beacon-1");
    snprintf(st->beacon[0].host, DASH_ID_LEN, "host \"a\"\\b");
    st->beacon[0].alive = true;
    st->beacon[0].c.offered = 1500;
    st->beacon[0].c.sent = 1490;
    st->beacon[0].c.sent_ops = 2980;
    st->beacon[0].c.accepted = 1480;
    st->beacon[0].c.accepted_ops = 2960;
    st->beacon[0].c.rejected[STATS_REJ_BUSY] = 10;
    st->beacon[0].c.confirmed = 1470;
    st->beacon[0].c.confirmed_ops = 2940;
    st->beacon[0].cpu_pct = 37.5;
    st->beacon[0].cpu_all_pct = 18.75;
    st->beacon[0].pool = 2000;
    st->beacon[0].in_flight = 3;
    st->beacon[0].rss_bytes = 52428800;
    snprintf(st->beacon[1].id, DASH_ID_LEN, "beacon-2");
    snprintf(st->beacon[1].host, DASH_ID_LEN, "h2\nx");
    st->beacon[1].c.offered = 1500;
    st->beacon[1].c.timeouts = 4;
    st->beacon[1].c.conn_errors = 1;
    st->beacon[1].c.dropped = 2;
    st->nnodes = 1;
    snprintf(st->node[0].url, DASH_URL_LEN, "ws://127.0.0.1:8090");
    st->node[0].total.sent = 1490;
    st->node[0].total.accepted = 1480;
    st->node[0].total.rejected = 10;
    st->node[0].total.confirmed = 1470;
    st->node[0].total.ack_sum_ns = 2245000000ull;
    /* Telemetry: node 1 answers; node 2 does not (stopped): no head, stalled. */
    st->node[0].has_tel = true;
    st->node[0].tel = (struct stats_node){.tel_answers = 1, .head_block = 120, .lib_block = 118,
                                          .participation_pct = 75, .missed_blocks = 2,
                                          .block_interval_s = 3, .tel_blocks = 1,
                                          .tel_block_bytes = 5000, .max_block_size = 10000};
    st->nnodes = 2;
    snprintf(st->node[1].url, DASH_URL_LEN, "ws://127.0.0.1:8091");
    st->node[1].has_tel = true;
    st->node[1].tel = (struct stats_node){.max_block_size = 10000, .stalled = 1};
    /* ack: 0.4 ms, 2 ms (x2), 7 ms, 150 ms, 200 s; inclusion: 1.2 s */
    hist_record(h, 400000);
    hist_record_n(h, 2000000, 2);
    hist_record(h, 7000000);
    hist_record(h, 150000000);
    hist_record(h, 200000000000ull);
    dash_hist_fold(&st->ack, h);
    hist_reset(h);
    hist_record(h, 1200000000);
    dash_hist_fold(&st->incl, h);
    st->nphases = 2;
    st->phase[0] = (struct dash_phase){.no = 1, .name = "ramp", .kind = "load", .ended = true,
                                       .window_s = 5, .window_offered = 1000,
                                       .window_confirmed = 990};
    st->phase[1] = (struct dash_phase){.no = 2, .name = "steady", .kind = "load"};
    hist_free(h);
    return st;
}

static void test_metrics_golden(void **state)
{
    struct dash_state *st = known_state();
    struct sbuf b;
    size_t len;
    char path[4096];
    char *want;

    (void)state;
    sbuf_init(&b);
    dash_metrics_render(&b, st);
    snprintf(path, sizeof path, "%s/../data/dash_metrics.prom", getenv("VECTORS_DIR"));
    if (getenv("DASH_WRITE_GOLDEN") != NULL) {
        FILE *f = fopen(path, "w");
        fwrite(b.buf, 1, b.len, f);
        fclose(f);
    }
    want = tu_read_file(path, &len);
    assert_int_equal(b.len, len);
    assert_memory_equal(b.buf, want, len);
    free(want);
    sbuf_free(&b);
    free(st);
}

static void test_metrics_parse(void **state)
{
    struct dash_state *st = known_state();
    struct expo *e = calloc(1, sizeof *e);
    struct sbuf b;

    (void)state;
    sbuf_init(&b);
    dash_metrics_render(&b, st);
    if (!expo_parse(b.buf, e))
        fail_msg("%s", e->why);
    assert_true(e->nfam > 40);
    assert_true(e->samples > 80);
    /* Some figures, found by their lines. */
    assert_non_null(strstr(b.buf, "\nbss_confirmed_transactions_total{beacon=\"beacon-1\"} 1470\n"));
    assert_non_null(strstr(b.buf, "\nbss_beacon_up{beacon=\"beacon-1\",host=\"host \\\"a\\\"\\\\b\"} 1\n"));
    assert_non_null(strstr(b.buf, "\nbss_beacon_up{beacon=\"beacon-2\",host=\"h2\\nx\"} 0\n"));
    assert_non_null(strstr(b.buf, "\nbss_ack_latency_seconds_bucket{le=\"0.0005\"} 1\n"));
    assert_non_null(strstr(b.buf, "\nbss_ack_latency_seconds_bucket{le=\"0.0025\"} 3\n"));
    assert_non_null(strstr(b.buf, "\nbss_ack_latency_seconds_bucket{le=\"120\"} 5\n"));
    assert_non_null(strstr(b.buf, "\nbss_ack_latency_seconds_bucket{le=\"+Inf\"} 6\n"));
    assert_non_null(strstr(b.buf, "\nbss_ack_latency_seconds_count 6\n"));
    assert_non_null(strstr(b.buf, "\nbss_ack_latency_seconds_sum 200.1614\n"));
    assert_non_null(strstr(b.buf, "\nbss_verdict{verdict=\"node-bound\"} 1\n"));
    assert_non_null(strstr(b.buf, "\nbss_phase_window_confirmed_transactions{phase=\"ramp\",number=\"1\"} 990\n"));
    assert_null(strstr(b.buf, "phase=\"steady\"")); /* not ended: not in the windows */
    assert_non_null(strstr(b.buf, "\nbss_beacon_cpu_ratio{beacon=\"beacon-1\"} 0.1875\n"));
    assert_non_null(strstr(b.buf, "\nbss_node_head_block{node=\"ws://127.0.0.1:8090\"} 120\n"));
    assert_non_null(strstr(b.buf, "\nbss_node_irreversible_block{node=\"ws://127.0.0.1:8090\"} 118\n"));
    assert_non_null(strstr(b.buf, "\nbss_node_participation_ratio{node=\"ws://127.0.0.1:8090\"} 0.75\n"));
    assert_non_null(strstr(b.buf, "\nbss_node_block_fill_ratio{node=\"ws://127.0.0.1:8090\"} 0.5\n"));
    assert_non_null(strstr(b.buf, "\nbss_node_stalled{node=\"ws://127.0.0.1:8090\"} 0\n"));
    assert_non_null(strstr(b.buf, "\nbss_node_stalled{node=\"ws://127.0.0.1:8091\"} 1\n"));
    /* A node that did not answer has no head sample, not a zero. */
    assert_null(strstr(b.buf, "bss_node_head_block{node=\"ws://127.0.0.1:8091\"}"));
    free(e);
    sbuf_free(&b);
    free(st);
}

/* The parser is strict: it refuses what the format does not allow. */
static void test_parser_refuses(void **state)
{
    static const char *const bad[] = {
        "x_total 1\n",                                              /* no TYPE */
        "# HELP a h\n# TYPE a gauge\na{l=\"v} 1\n",                 /* open quote */
        "# HELP a h\n# TYPE a gauge\na{l=\"\\q\"} 1\n",             /* bad escape */
        "# HELP a h\n# TYPE a counter\na 1\n",                      /* counter without _total */
        "# HELP a h\n# TYPE a gauge\na 1 2 3\n",                    /* junk */
        "# HELP a h\n# TYPE a gauge\na one\n",                      /* not a number */
        "# HELP a h\n# TYPE a gauge\na 1",                           /* no line end */
        "# HELP a h\n# TYPE a gauge\n\na 1\n",                       /* blank line */
        ("# HELP h h\n# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\n"
         "h_sum 1\nh_count 1\n"),                                   /* not cumulative */
        "# HELP h h\n# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 3\n",
        "# HELP a h\n# TYPE a gauge\na 1\n# HELP b h\n# TYPE b gauge\nb 1\na 2\n", /* split */
        "# HELP a h\n# TYPE a gauge\n# TYPE a gauge\na 1\n",        /* TYPE twice */
    };
    static const char good[] = "# HELP a h\\n\n# TYPE a gauge\na{l=\"x\\\"\\n\"} -1.5e3\n"
                               "# HELP h h\n# TYPE h histogram\nh_bucket{le=\"1\"} 1\n"
                               "h_bucket{le=\"+Inf\"} 2\nh_sum 3\nh_count 2\n";
    struct expo *e = calloc(1, sizeof *e);

    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (expo_parse(bad[i], e))
            fail_msg("the parser accepted bad text %zu: %s", i, bad[i]);
    if (!expo_parse(good, e))
        fail_msg("the parser refused good text: %s", e->why);
    free(e);
}

static void test_hist_fold(void **state)
{
    struct hist *h = hist_new();
    struct dash_hist d = {0};

    (void)state;
    hist_record(h, 1000000);  /* exactly 1 ms: its bucket reaches above 1 ms */
    hist_record(h, 999000);   /* under */
    hist_record(h, 0);
    hist_record(h, 500000000000ull); /* above 120 s */
    dash_hist_fold(&d, h);
    assert_int_equal(d.count, 4);
    assert_int_equal(d.bucket[0], 1);  /* 0 */
    assert_int_equal(d.bucket[1], 1);  /* 0.999 ms */
    assert_int_equal(d.bucket[2], 1);  /* 1 ms: never shown faster than it was */
    assert_int_equal(d.bucket[DASH_LE_COUNT], 1);
    assert_true(fabs(d.sum_s - 500.001999) < 1e-6);
    /* Folding is additive: the merge of two histograms folds to the sum. */
    dash_hist_fold(&d, h);
    assert_int_equal(d.count, 8);
    assert_int_equal(d.bucket[2], 2);
    hist_free(h);
}

/* ---- SSE ---- */

static void test_sse_frame(void **state)
{
    struct sbuf b;

    (void)state;
    sbuf_init(&b);
    dash_sse_frame(&b, 7, "{\"a\":1}", 7);
    assert_string_equal(b.buf, "id: 7\ndata: {\"a\":1}\n\n");
    sbuf_reset(&b);
    dash_sse_frame(&b, 8, "one\ntwo\r\nthree\rfour\n", 20);
    assert_string_equal(b.buf, "id: 8\ndata: one\ndata: two\ndata: three\ndata: four\n\n");
    sbuf_reset(&b);
    dash_sse_frame(&b, 9, "", 0);
    assert_string_equal(b.buf, "id: 9\ndata: \n\n");
    sbuf_free(&b);
}

static void test_sse_ring_resume(void **state)
{
    struct dash_sse *r = dash_sse_new(4, 1 << 20);
    struct sbuf b;
    uint64_t next;
    char msg[16];

    (void)state;
    sbuf_init(&b);
    assert_int_equal(dash_sse_read(r, 0, 1 << 20, &b, &next), 0); /* empty */
    for (int i = 1; i <= 3; i++) {
        snprintf(msg, sizeof msg, "m%d", i);
        assert_int_equal(dash_sse_push(r, msg, strlen(msg)), i);
    }
    /* A client that saw id 1 gets 2 and 3, in order. */
    assert_int_equal(dash_sse_read(r, 1, 1 << 20, &b, &next), 2);
    assert_string_equal(b.buf, "id: 2\ndata: m2\n\nid: 3\ndata: m3\n\n");
    assert_int_equal(next, 3);
    sbuf_reset(&b);
    assert_int_equal(dash_sse_read(r, 3, 1 << 20, &b, &next), 0); /* up to date */
    assert_int_equal(next, 3);
    /* The buffer holds 4: pushing 6 evicts 1 and 2. */
    for (int i = 4; i <= 6; i++) {
        snprintf(msg, sizeof msg, "m%d", i);
        dash_sse_push(r, msg, strlen(msg));
    }
    assert_int_equal(dash_sse_first_id(r), 3);
    assert_int_equal(dash_sse_last_id(r), 6);
    assert_int_equal(dash_sse_read(r, 2, 1 << 20, &b, &next), 4); /* 3..6: nothing lost */
    sbuf_reset(&b);
    assert_int_equal(dash_sse_read(r, 1, 1 << 20, &b, &next), -1); /* 2 is gone: dropped */
    assert_int_equal(b.len, 0);
    /* max_out bounds a read, but at least one frame goes. */
    assert_int_equal(dash_sse_read(r, 2, 1, &b, &next), 1);
    assert_int_equal(next, 3);
    dash_sse_free(r);
    /* The byte bound evicts too. */
    r = dash_sse_new(100, 64);
    for (int i = 0; i < 10; i++)
        dash_sse_push(r, "0123456789", 10); /* 26-byte frames */
    assert_int_equal(dash_sse_last_id(r), 10);
    assert_int_equal(dash_sse_first_id(r), 9);
    dash_sse_free(r);
    dash_sse_free(NULL);
    sbuf_free(&b);
}

static void test_sse_parse_id(void **state)
{
    uint64_t id = 42;

    (void)state;
    assert_true(dash_sse_parse_id("17", &id));
    assert_int_equal(id, 17);
    assert_true(dash_sse_parse_id(" 0 ", &id));
    assert_int_equal(id, 0);
    assert_true(dash_sse_parse_id("18446744073709551615", &id));
    assert_false(dash_sse_parse_id("18446744073709551616", &id));
    assert_false(dash_sse_parse_id("", &id));
    assert_false(dash_sse_parse_id("-1", &id));
    assert_false(dash_sse_parse_id("12x", &id));
    assert_int_equal(id, UINT64_MAX);
}

static void test_json_cell(void **state)
{
    static const char *const in[][2] = {
        {"", "null"}, {"12", "12"}, {"-3.25", "-3.25"}, {"1e3", "1e3"}, {"ok", "\"ok\""},
        {"nan", "\"nan\""}, {"inf", "\"inf\""}, {"0x10", "\"0x10\""}, {"1.", "\"1.\""},
        {".5", "\".5\""}, {"01", "\"01\""}, {"a\"b", "\"a\\\"b\""}, {"+1", "\"+1\""},
    };
    struct sbuf b;

    (void)state;
    sbuf_init(&b);
    for (size_t i = 0; i < sizeof in / sizeof in[0]; i++) {
        sbuf_reset(&b);
        dash_json_cell(&b, in[i][0]);
        if (strcmp(b.buf, in[i][1]) != 0)
            fail_msg("cell \"%s\": got %s, want %s", in[i][0], b.buf, in[i][1]);
    }
    sbuf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_metrics_golden),   cmocka_unit_test(test_metrics_parse),
        cmocka_unit_test(test_parser_refuses),   cmocka_unit_test(test_hist_fold),
        cmocka_unit_test(test_sse_frame),        cmocka_unit_test(test_sse_ring_resume),
        cmocka_unit_test(test_sse_parse_id),     cmocka_unit_test(test_json_cell),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
