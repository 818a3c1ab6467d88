/* test_csvout.c - the overseer's CSV result files: RFC 4180 quoting (read
 * back with an independent RFC 4180 reader), pinned headers, values and
 * units, rows on disk as soon as they are written, and errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <math.h>
#include <sys/stat.h>
#include <unistd.h>

#include "csvout.h"
#include "err.h"
#include "hist.h"
#include "stats.h"

#define MAX_RECS 16
#define MAX_FIELDS 128

/* ---- an RFC 4180 reader, written from the RFC, not from csvout.c ---- */

struct rec {
    size_t n;
    char *f[MAX_FIELDS];
};

struct table {
    size_t n;
    struct rec r[MAX_RECS];
};

static void table_free(struct table *t)
{
    for (size_t i = 0; i < t->n; i++)
        for (size_t j = 0; j < t->r[i].n; j++)
            free(t->r[i].f[j]);
    t->n = 0;
}

/* Records end in LF or CRLF; a field is either raw (no quote, comma, CR or
 * LF) or enclosed in double quotes with "" for a quote inside. Fails the
 * test on anything else. */
static void csv_parse(const char *p, size_t len, struct table *t)
{
    const char *end = p + len;

    t->n = 0;
    while (p < end) {
        struct rec *r;
        assert_true(t->n < MAX_RECS);
        r = &t->r[t->n++];
        r->n = 0;
        for (;;) {
            char *buf = malloc(len + 1);
            size_t k = 0;
            assert_non_null(buf);
            assert_true(r->n < MAX_FIELDS);
            if (p < end && *p == '"') {
                for (p++;; p++) {
                    if (p >= end)
                        fail_msg("unterminated quoted field");
                    if (*p == '"') {
                        if (p + 1 < end && p[1] == '"') {
                            buf[k++] = '"';
                            p++;
                            continue;
                        }
                        p++;
                        break;
                    }
                    buf[k++] = *p;
                }
            } else {
                while (p < end && *p != ',' && *p != '\r' && *p != '\n') {
                    if (*p == '"')
                        fail_msg("a quote inside an unquoted field");
                    buf[k++] = *p++;
                }
            }
            buf[k] = '\0';
            r->f[r->n++] = buf;
            if (p < end && *p == ',') {
                p++;
                continue;
            }
            if (p < end && *p == '\r')
                p++;
            if (p >= end || *p != '\n')
                fail_msg("a record does not end in a line end");
            p++;
            break;
        }
    }
}

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = malloc(1 << 20);
    assert_non_null(f);
    assert_non_null(buf);
    *len = fread(buf, 1, (1 << 20) - 1, f);
    buf[*len] = '\0';
    fclose(f);
    return buf;
}

static void csv_load(const char *path, struct table *t)
{
    size_t len;
    char *text = read_all(path, &len);

    csv_parse(text, len, t);
    free(text);
}

/* The value in record r under column name (header in record 0). */
static const char *col(const struct table *t, size_t r, const char *name)
{
    for (size_t j = 0; j < t->r[0].n; j++)
        if (strcmp(t->r[0].f[j], name) == 0) {
            assert_true(j < t->r[r].n);
            return t->r[r].f[j];
        }
    fail_msg("no column %s", name);
    return NULL;
}

/* ---- fixtures ---- */

static char tmpdir[256];

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "%s/csvout-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    return mkdtemp(tmpdir) != NULL ? 0 : -1;
}

static int teardown(void **state)
{
    static const char *const names[] = {"timeseries.csv", "beacons.csv", "summary.csv"};
    char path[512];
    (void)state;
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof(path), "%s/%s", tmpdir, names[i]);
        unlink(path);
    }
    snprintf(path, sizeof(path), "%s/sub", tmpdir);
    rmdir(path);
    return rmdir(tmpdir);
}

static struct stats_interval *interval_new(void)
{
    struct stats_interval *s = malloc(sizeof(*s));
    assert_non_null(s);
    stats_init(s);
    return s;
}

/* ---- tests ---- */

static void test_field_quoting(void **state)
{
    static const struct { const char *in, *out; } cases[] = {
        {"plain", "plain"},
        {"", ""},
        {" spaces kept ", " spaces kept "},
        {"a,b", "\"a,b\""},
        {"say \"hi\"", "\"say \"\"hi\"\"\""},
        {"\"", "\"\"\"\""},
        {"line\nbreak", "\"line\nbreak\""},
        {"cr\rhere", "\"cr\rhere\""},
        {"crlf\r\n", "\"crlf\r\n\""},
        {"µs ünïcode", "µs ünïcode"},
        {"semi;colon\ttab", "semi;colon\ttab"},
    };
    struct sbuf b;
    (void)state;

    sbuf_init(&b);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        sbuf_reset(&b);
        csvout_field(&b, cases[i].in);
        assert_false(b.overflow);
        assert_string_equal(b.len ? b.buf : "", cases[i].out);
    }
    sbuf_free(&b);
}

/* The column lists are an interface (report, users' scripts): pinned. */
static void test_headers_pinned(void **state)
{
    static const char *const want[4] = {
        "t_s,interval_s,wall_unix_ms,phase,target_tps,offered_tps,sent_tps,sent_ops_ps,"
        "accepted_tps,accepted_ops_ps,rejected_tps,rejected_duplicate_tps,rejected_expired_tps,"
        "rejected_tapos_tps,rejected_fee_tps,rejected_missing_sig_tps,"
        "rejected_irrelevant_sig_tps,rejected_size_tps,rejected_balance_tps,rejected_busy_tps,"
        "rejected_other_tps,timeouts_tps,conn_errors_ps,late_tps,held_tps,dropped_tps,"
        "held_dropped_tps,lost_tps,pool_empty_ps,stale_tps,late_replies_ps,unknown_replies_ps,"
        "confirmed_tps,confirmed_ops_ps,head_block,unconfirmed_tx,in_flight_tx,pending_tx,"
        "held_pending_tx,conns_ready,"
        "ack_p50_ms,ack_p90_ms,ack_p99_ms,ack_max_ms,inclusion_p50_ms,inclusion_p90_ms,"
        "inclusion_p99_ms,inclusion_max_ms,lateness_p99_ms,lateness_max_ms,beacons_alive,"
        "beacon_cpu_max_pct,pool_min,verdict,reason",
        "t_s,beacon,host,interval_s,wall_unix_ms,phase,target_tps,offered_tps,sent_tps,"
        "sent_ops_ps,accepted_tps,accepted_ops_ps,rejected_tps,rejected_duplicate_tps,"
        "rejected_expired_tps,rejected_tapos_tps,rejected_fee_tps,rejected_missing_sig_tps,"
        "rejected_irrelevant_sig_tps,rejected_size_tps,rejected_balance_tps,rejected_busy_tps,"
        "rejected_other_tps,timeouts_tps,conn_errors_ps,late_tps,held_tps,dropped_tps,"
        "held_dropped_tps,lost_tps,pool_empty_ps,stale_tps,late_replies_ps,unknown_replies_ps,"
        "confirmed_tps,confirmed_ops_ps,head_block,unconfirmed_tx,in_flight_tx,pending_tx,"
        "held_pending_tx,conns_ready,"
        "ack_p50_ms,ack_p90_ms,ack_p99_ms,ack_max_ms,inclusion_p50_ms,inclusion_p90_ms,"
        "inclusion_p99_ms,inclusion_max_ms,lateness_p99_ms,lateness_max_ms,cpu_pct,"
        "cpu_one_core_pct,host_cpu_pct,cores,rss_mib,pool,verdict,reason",
        "phase,kind,phase_start_s,phase_end_s,window_start_s,window_end_s,window_s,beacons,"
        "offered_tps,offered_ops_ps,sent_tps,sent_ops_ps,accepted_tps,accepted_ops_ps,"
        "confirmed_tps,confirmed_ops_ps,confirmed_of_offered_pct,offered_tx,sent_tx,"
        "accepted_tx,confirmed_tx,rejected_tx,rejected_duplicate_tx,rejected_expired_tx,"
        "rejected_tapos_tx,rejected_fee_tx,rejected_missing_sig_tx,rejected_irrelevant_sig_tx,"
        "rejected_size_tx,rejected_balance_tx,rejected_busy_tx,rejected_other_tx,timeouts_tx,"
        "conn_errors_count,late_tx,held_tx,dropped_tx,held_dropped_tx,lost_tx,pool_empty_count,"
        "stale_tx,late_replies_count,unknown_replies_count,ack_p50_ms,ack_p90_ms,"
        "ack_p99_ms,ack_p999_ms,ack_max_ms,inclusion_p50_ms,inclusion_p90_ms,inclusion_p99_ms,"
        "inclusion_p999_ms,inclusion_max_ms,lateness_p99_ms,lateness_max_ms,"
        "beacon_cpu_max_pct,verdict,reason,note",
        ("t_s,interval_s,wall_unix_ms,phase,node,url,beacons,sent_tps,accepted_tps,rejected_tps,"
         "timeouts_tps,conn_errors_ps,confirmed_tps,ack_mean_ms,ack_max_ms,sent_share_pct,"
         "head_block,lib_block,lib_lag_blocks,behind_blocks,participation_pct,missed_blocks,"
         "block_interval_s,blocks,block_txs,block_bytes,block_fill_pct,forked,stalled"),
    };
    char err[ERR_LEN] = "", path[512];
    struct table t;
    (void)state;

    for (int k = 0; k < 4; k++) {
        struct sbuf b;
        struct csvout *o;
        size_t len;
        char *text;

        sbuf_init(&b);
        csvout_header((enum csvout_kind)k, &b);
        assert_string_equal(b.buf, want[k]);
        sbuf_free(&b);
        /* The file starts with exactly that line, and its names are unique. */
        o = csvout_open(tmpdir, (enum csvout_kind)k, false, err);
        if (o == NULL)
            fail_msg("%s", err);
        snprintf(path, sizeof(path), "%s", csvout_path(o));
        assert_int_equal(csvout_close(o, err), 0);
        text = read_all(path, &len);
        assert_int_equal(len, strlen(want[k]) + 1);
        assert_memory_equal(text, want[k], len - 1);
        assert_int_equal(text[len - 1], '\n');
        csv_parse(text, len, &t);
        assert_int_equal(t.n, 1);
        for (size_t i = 0; i < t.r[0].n; i++)
            for (size_t j = 0; j < i; j++)
                assert_string_not_equal(t.r[0].f[i], t.r[0].f[j]);
        table_free(&t);
        free(text);
        unlink(path);
    }
}

/* Rows are on disk when the call returns: read the file back between rows,
 * with the handle still open. Tricky text survives the round trip. */
static void test_incremental_and_round_trip(void **state)
{
    static const char *const phases[] = {"steady", "with, comma", "say \"hi\"",
                                         "two\nlines", "cr\rlf\r\n", ""};
    struct stats_interval *s = interval_new();
    char err[ERR_LEN] = "", path[512];
    struct csvout *ts, *bc;
    struct table t;
    (void)state;

    ts = csvout_open(tmpdir, CSVOUT_TIMESERIES, false, err);
    bc = csvout_open(tmpdir, CSVOUT_BEACONS, false, err);
    assert_non_null(ts);
    assert_non_null(bc);
    snprintf(path, sizeof(path), "%s", csvout_path(ts));
    for (size_t i = 0; i < sizeof(phases) / sizeof(phases[0]); i++) {
        struct csvout_row r = {.t_s = (double)i + 1, .phase = phases[i], .verdict = "ok",
                               .reason = "a \"reason\", with\nall of it", .beacons_alive = 3,
                               .beacon_id = phases[i], .host = "host,a"};
        s->c.offered = 100 * (i + 1);
        assert_int_equal(csvout_timeseries(ts, s, &r, err), 0);
        assert_int_equal(csvout_beacon(bc, s, &r, err), 0);
        csv_load(path, &t);
        assert_int_equal(t.n, i + 2); /* header + every row so far */
        for (size_t k = 1; k < t.n; k++) {
            char num[32];
            assert_int_equal(t.r[k].n, t.r[0].n);
            assert_string_equal(col(&t, k, "phase"), phases[k - 1]);
            assert_string_equal(col(&t, k, "reason"), "a \"reason\", with\nall of it");
            snprintf(num, sizeof(num), "%zu", 100 * k);
            assert_string_equal(col(&t, k, "offered_tps"), num);
            snprintf(num, sizeof(num), "%zu", k);
            assert_string_equal(col(&t, k, "t_s"), num);
        }
        table_free(&t);
    }
    assert_int_equal(csvout_close(ts, err), 0);
    snprintf(path, sizeof(path), "%s", csvout_path(bc));
    csv_load(path, &t);
    assert_int_equal(t.n, 7);
    assert_string_equal(col(&t, 3, "beacon"), "say \"hi\"");
    assert_string_equal(col(&t, 3, "host"), "host,a");
    table_free(&t);
    assert_int_equal(csvout_close(bc, err), 0);
    unlink(path);
    snprintf(path, sizeof(path), "%s/timeseries.csv", tmpdir);
    unlink(path);
    free(s);
}

/* nodes.csv: one node's part of a merged interval, as rates over the
 * interval, with its URL quoted when it must be. */
static void test_node_values(void **state)
{
    struct stats_interval *s = interval_new();
    char err[ERR_LEN] = "", path[512];
    struct csvout *o;
    struct table t;
    (void)state;

    s->wall_ms = 1700000000123u;
    s->c.sent = 400;
    s->nnodes = 2;
    s->node[1] = (struct stats_node){.sent = 300, .accepted = 290, .rejected = 6, .timeouts = 4,
                                     .conn_errors = 1, .confirmed = 280,
                                     .ack_sum_ns = 296u * 1500000u, .ack_max_ns = 9000001,
                                     .tel_answers = 1, .head_block = 120, .lib_block = 100,
                                     .participation_pct = 75, .missed_blocks = 3,
                                     .block_interval_s = 3, .tel_blocks = 2, .tel_block_txs = 50,
                                     .tel_block_bytes = 5000, .max_block_size = 10000,
                                     .forked = 1};
    /* Node 1 did not answer (stopped): no chain figures, but stalled. */
    s->node[0] = (struct stats_node){.max_block_size = 10000, .stalled = 1};
    s->nnodes = 3;
    s->node[2] = (struct stats_node){.tel_answers = 1, .head_block = 123, .lib_block = 100,
                                     .participation_pct = 100, .max_block_size = 10000};
    o = csvout_open(tmpdir, CSVOUT_NODES, false, err);
    if (o == NULL)
        fail_msg("%s", err);
    snprintf(path, sizeof(path), "%s", csvout_path(o));
    struct csvout_row r = {.t_s = 12, .interval_s = 2, .phase = "p", .node_url = "ws://a,b:1",
                           .beacons = 3};
    assert_int_equal(csvout_node(o, s, 1, &r, err), 0);
    r.node_url = "ws://c";
    assert_int_equal(csvout_node(o, s, 0, &r, err), 0);
    assert_int_equal(csvout_node(o, s, STATS_MAX_NODES, &r, err), -1);
    assert_non_null(strstr(err, "out of range"));
    assert_int_equal(csvout_close(o, err), 0);
    csv_load(path, &t);
    assert_int_equal(t.n, 3);
    assert_string_equal(col(&t, 1, "node"), "2");
    assert_string_equal(col(&t, 1, "url"), "ws://a,b:1");
    assert_string_equal(col(&t, 1, "beacons"), "3");
    assert_string_equal(col(&t, 1, "sent_tps"), "150");
    assert_string_equal(col(&t, 1, "accepted_tps"), "145");
    assert_string_equal(col(&t, 1, "rejected_tps"), "3");
    assert_string_equal(col(&t, 1, "timeouts_tps"), "2");
    assert_string_equal(col(&t, 1, "conn_errors_ps"), "0.5");
    assert_string_equal(col(&t, 1, "confirmed_tps"), "140");
    assert_string_equal(col(&t, 1, "ack_mean_ms"), "1.500");
    assert_string_equal(col(&t, 1, "ack_max_ms"), "9.001");
    assert_string_equal(col(&t, 1, "sent_share_pct"), "75.0");
    assert_string_equal(col(&t, 1, "head_block"), "120");
    assert_string_equal(col(&t, 1, "lib_block"), "100");
    assert_string_equal(col(&t, 1, "lib_lag_blocks"), "20");
    assert_string_equal(col(&t, 1, "behind_blocks"), "3"); /* node 3's head is 123 */
    assert_string_equal(col(&t, 1, "participation_pct"), "75.0");
    assert_string_equal(col(&t, 1, "missed_blocks"), "3");
    assert_string_equal(col(&t, 1, "block_interval_s"), "3");
    assert_string_equal(col(&t, 1, "blocks"), "2");
    assert_string_equal(col(&t, 1, "block_txs"), "50");
    assert_string_equal(col(&t, 1, "block_bytes"), "5000");
    assert_string_equal(col(&t, 1, "block_fill_pct"), "25");
    assert_string_equal(col(&t, 1, "forked"), "1");
    assert_string_equal(col(&t, 1, "stalled"), "0");
    /* No answer: chain figures absent, not zero; stalled said. */
    assert_string_equal(col(&t, 2, "head_block"), "");
    assert_string_equal(col(&t, 2, "lib_block"), "");
    assert_string_equal(col(&t, 2, "behind_blocks"), "");
    assert_string_equal(col(&t, 2, "participation_pct"), "");
    assert_string_equal(col(&t, 2, "block_interval_s"), "");
    assert_string_equal(col(&t, 2, "block_fill_pct"), "");
    assert_string_equal(col(&t, 2, "stalled"), "1");
    /* A node with no answers has no ack figures, not zeros. */
    assert_string_equal(col(&t, 2, "node"), "1");
    assert_string_equal(col(&t, 2, "ack_mean_ms"), "");
    assert_string_equal(col(&t, 2, "ack_max_ms"), "");
    assert_string_equal(col(&t, 2, "sent_share_pct"), "0.0");
    table_free(&t);
    unlink(path);
    free(s);
}

static void test_timeseries_values(void **state)
{
    struct stats_interval *s = interval_new();
    char err[ERR_LEN] = "", path[512], want[32];
    struct csvout *o;
    struct table t;
    uint64_t us;
    (void)state;

    s->wall_ms = 1700000000123u;
    s->c.offered = 2001;
    s->c.sent = 1990;
    s->c.sent_ops = 3980;
    s->c.accepted = 1980;
    s->c.rejected[STATS_REJ_BUSY] = 5;
    s->c.rejected[STATS_REJ_DUPLICATE] = 3;
    s->c.timeouts = 2;
    s->c.conn_errors = 1;
    s->c.dropped = 10;
    s->c.confirmed = 1970;
    s->c.confirmed_ops = 3940;
    s->g.target_rate = NAN; /* not a number: an empty field */
    s->g.cpu_proc_all_pct = 45.25;
    s->g.head_block = 77;
    for (uint64_t v = 1; v <= 1000; v++)
        hist_record(&s->ack, v * 1000000 + 1); /* 1.000001 .. 1000.000001 ms */
    o = csvout_open(tmpdir, CSVOUT_TIMESERIES, false, err);
    assert_non_null(o);
    {
        struct csvout_row r = {.t_s = 12.5, .interval_s = 2, .phase = "p", .verdict = "node-bound",
                               .reason = "refused for load", .beacons_alive = 4, .pool_min = 99};
        assert_int_equal(csvout_timeseries(o, s, &r, err), 0);
    }
    snprintf(path, sizeof(path), "%s", csvout_path(o));
    assert_int_equal(csvout_close(o, err), 0);
    csv_load(path, &t);
    assert_int_equal(t.n, 2);
    assert_string_equal(col(&t, 1, "t_s"), "12.5");
    assert_string_equal(col(&t, 1, "interval_s"), "2");
    assert_string_equal(col(&t, 1, "wall_unix_ms"), "1700000000123");
    assert_string_equal(col(&t, 1, "target_tps"), "");
    assert_string_equal(col(&t, 1, "offered_tps"), "1000.5"); /* per second of a 2 s interval */
    assert_string_equal(col(&t, 1, "sent_tps"), "995");
    assert_string_equal(col(&t, 1, "sent_ops_ps"), "1990");
    assert_string_equal(col(&t, 1, "rejected_tps"), "4");
    assert_string_equal(col(&t, 1, "rejected_busy_tps"), "2.5");
    assert_string_equal(col(&t, 1, "rejected_duplicate_tps"), "1.5");
    assert_string_equal(col(&t, 1, "rejected_fee_tps"), "0");
    assert_string_equal(col(&t, 1, "timeouts_tps"), "1");
    assert_string_equal(col(&t, 1, "conn_errors_ps"), "0.5");
    assert_string_equal(col(&t, 1, "dropped_tps"), "5");
    assert_string_equal(col(&t, 1, "confirmed_tps"), "985");
    assert_string_equal(col(&t, 1, "confirmed_ops_ps"), "1970");
    assert_string_equal(col(&t, 1, "head_block"), "77");
    /* Percentiles: the histogram's (never understated), in ms rounded up
     * to the microsecond; the max exactly. */
    us = (hist_percentile(&s->ack, 99) + 999) / 1000;
    snprintf(want, sizeof(want), "%llu.%03llu", (unsigned long long)(us / 1000),
             (unsigned long long)(us % 1000));
    assert_string_equal(col(&t, 1, "ack_p99_ms"), want);
    assert_true(atof(want) >= 990.000001);
    assert_string_equal(col(&t, 1, "ack_max_ms"), "1000.001"); /* 1000.000001 rounded up */
    assert_string_equal(col(&t, 1, "inclusion_p50_ms"), "");    /* no samples */
    assert_string_equal(col(&t, 1, "lateness_max_ms"), "");
    assert_string_equal(col(&t, 1, "beacons_alive"), "4");
    assert_string_equal(col(&t, 1, "beacon_cpu_max_pct"), "45.2"); /* 45.25 -> 1 decimal */
    assert_string_equal(col(&t, 1, "pool_min"), "99");
    assert_string_equal(col(&t, 1, "verdict"), "node-bound");
    assert_string_equal(col(&t, 1, "reason"), "refused for load");
    table_free(&t);
    unlink(path);
    free(s);
}

static void test_beacon_and_summary_values(void **state)
{
    struct stats_interval *s = interval_new();
    char err[ERR_LEN] = "", path[512];
    struct csvout *o;
    struct table t;
    (void)state;

    s->c.offered = 3000;
    s->c.sent = 3000;
    s->c.accepted = 2990;
    s->c.confirmed = 2700;
    s->c.confirmed_ops = 5400;
    s->c.rejected[STATS_REJ_TAPOS] = 7;
    s->c.pool_empty = 2;
    s->g.cpu_proc_all_pct = 12.34;
    s->g.cpu_proc_pct = 98.76;
    s->g.cpu_host_pct = 50;
    s->g.cores = 2;
    s->g.rss_bytes = 3 * 1024 * 1024 + 512 * 1024;
    s->g.pool_level = 12345;
    hist_record(&s->inclusion, 2500000000u); /* 2.5 s */

    o = csvout_open(tmpdir, CSVOUT_BEACONS, false, err);
    assert_non_null(o);
    {
        struct csvout_row r = {.t_s = 1, .beacon_id = "b1", .host = "h1"};
        assert_int_equal(csvout_beacon(o, s, &r, err), 0);
    }
    snprintf(path, sizeof(path), "%s", csvout_path(o));
    assert_int_equal(csvout_close(o, err), 0);
    csv_load(path, &t);
    assert_string_equal(col(&t, 1, "interval_s"), "1"); /* 0 means 1 s */
    assert_string_equal(col(&t, 1, "offered_tps"), "3000");
    assert_string_equal(col(&t, 1, "cpu_pct"), "12.3");
    assert_string_equal(col(&t, 1, "cpu_one_core_pct"), "98.8");
    assert_string_equal(col(&t, 1, "host_cpu_pct"), "50.0");
    assert_string_equal(col(&t, 1, "cores"), "2");
    assert_string_equal(col(&t, 1, "rss_mib"), "3.5");
    assert_string_equal(col(&t, 1, "pool"), "12345");
    assert_string_equal(col(&t, 1, "inclusion_max_ms"), "2500.000");
    assert_string_equal(col(&t, 1, "phase"), "");
    assert_string_equal(col(&t, 1, "verdict"), "");
    table_free(&t);
    unlink(path);

    o = csvout_open(tmpdir, CSVOUT_SUMMARY, false, err);
    assert_non_null(o);
    {
        struct csvout_summary x = {.phase = "steady", .kind = "load", .phase_start_s = 5,
                                   .phase_end_s = 20, .window_start_s = 6, .window_end_s = 18,
                                   .beacons = 2, .ops_per_tx = 2, .beacon_cpu_max_pct = 33.333,
                                   .verdict = "ok", .reason = "keeping up",
                                   .note = "limit 1000 tx/s, \"measured\""};
        struct csvout_summary y = {.phase = "empty", .window_start_s = 3, .window_end_s = 3};
        assert_int_equal(csvout_summary(o, s, &x, err), 0);
        assert_int_equal(csvout_summary(o, s, &y, err), 0);
    }
    snprintf(path, sizeof(path), "%s", csvout_path(o));
    assert_int_equal(csvout_close(o, err), 0);
    csv_load(path, &t);
    assert_int_equal(t.n, 3);
    assert_string_equal(col(&t, 1, "window_s"), "12");
    assert_string_equal(col(&t, 1, "offered_tps"), "250");
    assert_string_equal(col(&t, 1, "offered_ops_ps"), "500");
    assert_string_equal(col(&t, 1, "accepted_tps"), "249.167");
    assert_string_equal(col(&t, 1, "confirmed_tps"), "225");
    assert_string_equal(col(&t, 1, "confirmed_ops_ps"), "450");
    assert_string_equal(col(&t, 1, "confirmed_of_offered_pct"), "90.0");
    assert_string_equal(col(&t, 1, "offered_tx"), "3000");
    assert_string_equal(col(&t, 1, "rejected_tx"), "7");
    assert_string_equal(col(&t, 1, "rejected_tapos_tx"), "7");
    assert_string_equal(col(&t, 1, "pool_empty_count"), "2");
    assert_string_equal(col(&t, 1, "inclusion_p999_ms"), "2500.000");
    assert_string_equal(col(&t, 1, "ack_p999_ms"), "");
    assert_string_equal(col(&t, 1, "beacon_cpu_max_pct"), "33.3");
    assert_string_equal(col(&t, 1, "note"), "limit 1000 tx/s, \"measured\"");
    /* An empty window has no rates; counts are still there. */
    assert_string_equal(col(&t, 2, "window_s"), "");
    assert_string_equal(col(&t, 2, "offered_tps"), "");
    assert_string_equal(col(&t, 2, "offered_ops_ps"), "");
    assert_string_equal(col(&t, 2, "offered_tx"), "3000");
    assert_string_equal(col(&t, 2, "kind"), "");
    table_free(&t);
    unlink(path);
    free(s);
}

static void test_errors(void **state)
{
    struct stats_interval *s = interval_new();
    struct csvout_row r = {.t_s = 1};
    char err[ERR_LEN] = "", path[512], want[640];
    struct csvout *o, *o2;
    (void)state;

    assert_int_equal(csvout_close(NULL, err), 0);
    /* Never overwrite a run's results by accident. */
    o = csvout_open(tmpdir, CSVOUT_TIMESERIES, false, err);
    assert_non_null(o);
    assert_null(csvout_open(tmpdir, CSVOUT_TIMESERIES, false, err));
    snprintf(want, sizeof(want), "%s/timeseries.csv: already exists (results are not "
             "overwritten; choose another output directory)", tmpdir);
    assert_string_equal(err, want);
    /* A handle writes only its own kind of row. */
    assert_int_equal(csvout_beacon(o, s, &r, err), -1);
    snprintf(want, sizeof(want), "%s/timeseries.csv: not a beacons.csv handle", tmpdir);
    assert_string_equal(err, want);
    assert_int_equal(csvout_timeseries(o, s, &r, err), 0);
    assert_int_equal(csvout_close(o, err), 0);
    /* overwrite: a fresh file with its header only. */
    o2 = csvout_open(tmpdir, CSVOUT_TIMESERIES, true, err);
    assert_non_null(o2);
    {
        struct table t;
        csv_load(csvout_path(o2), &t);
        assert_int_equal(t.n, 1);
        table_free(&t);
    }
    assert_int_equal(csvout_close(o2, err), 0);
    /* The directory is made when missing; not its parents. */
    snprintf(path, sizeof(path), "%s/sub", tmpdir);
    o = csvout_open(path, CSVOUT_SUMMARY, false, err);
    assert_non_null(o);
    assert_int_equal(csvout_close(o, err), 0);
    snprintf(path, sizeof(path), "%s/sub/summary.csv", tmpdir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/no/such", tmpdir);
    assert_null(csvout_open(path, CSVOUT_SUMMARY, false, err));
    snprintf(want, sizeof(want), "%s: cannot create the directory: No such file or directory", path);
    assert_string_equal(err, want);
    assert_null(csvout_open(tmpdir, (enum csvout_kind)7, false, err));
    assert_string_equal(err, "csvout: unknown file kind 7");
    /* A full disk is reported, naming the file. */
    snprintf(path, sizeof(path), "%s/beacons.csv", tmpdir);
    if (access("/dev/full", W_OK) == 0 && symlink("/dev/full", path) == 0) {
        assert_null(csvout_open(tmpdir, CSVOUT_BEACONS, true, err));
        snprintf(want, sizeof(want), "%s: write failed: No space left on device", path);
        assert_string_equal(err, want);
        unlink(path);
    }
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_field_quoting),
        cmocka_unit_test(test_headers_pinned),
        cmocka_unit_test(test_node_values),
        cmocka_unit_test(test_incremental_and_round_trip),
        cmocka_unit_test(test_timeseries_values),
        cmocka_unit_test(test_beacon_and_summary_values),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
