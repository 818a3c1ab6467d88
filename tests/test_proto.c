/* test_proto.c - the beacon <-> overseer codec (proto.h): round trips of
 * every message type, versions and types, encoder errors, key wiping, sizes.
 * Malformed and hostile input: test_proto_bad.c.
 *
 * Run as `test_proto --write-seeds DIR` it writes the fuzz target's seed
 * corpus instead: the encoding of every message type and the hostile inputs
 * (see tests/meson.build).
 *
 * The binary is linked with -Wl,--wrap=free so that the test sees every
 * block freed by proto/ and can check that none still holds key text. */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "err.h"
#include "hist.h"
#include "proto.h"
#include "proto_testmsg.h"
#include "stats.h"

/* ------------------------------------------------------- free watching */

void __real_free(void *p);
void __wrap_free(void *p);

static const char *watch_marker;  /* when set, freed blocks are searched for it */
static int watch_hits;

void __wrap_free(void *p)
{
    if (p != NULL && watch_marker != NULL &&
        memmem(p, malloc_usable_size(p), watch_marker, strlen(watch_marker)) != NULL)
        watch_hits++;
    __real_free(p);
}


/* ----------------------------------------------------------- round trip */

static void round_trip(enum proto_type t, const char *keys)
{
    struct proto_msg *a = pt_msg_new(), *b = pt_msg_new();
    char err[ERR_LEN] = "";
    uint8_t *buf, *again;
    size_t len, len2;

    pt_fill_msg(a, t, keys);
    buf = pt_enc(a, &len);
    if (pt_redecode(b, buf, len, err) != 0)
        fail_msg("decode %s: %s", proto_type_name(t), err);
    assert_int_equal(b->vmajor, PROTO_MAJOR);
    assert_int_equal(b->vminor, PROTO_MINOR);
    pt_assert_msg_equal(a, b);
    /* The encoding is canonical: the decoded message encodes to the same bytes. */
    again = pt_enc(b, &len2);
    assert_int_equal(len, len2);
    assert_memory_equal(buf, again, len);
    proto_buf_free(buf, len);
    proto_buf_free(again, len2);
    pt_msg_del(a);
    pt_msg_del(b);
}

static void test_round_trip_every_type(void **state)
{
    (void)state;
    for (int t = PROTO_HELLO; t <= PROTO_ERROR; t++)
        round_trip((enum proto_type)t, NULL);
}

static void test_type_names(void **state)
{
    (void)state;
    assert_string_equal(proto_type_name(PROTO_HELLO), "hello");
    assert_string_equal(proto_type_name(PROTO_STATS_ACK), "stats_ack");
    assert_string_equal(proto_type_name(PROTO_ERROR), "error");
    assert_string_equal(proto_type_name((enum proto_type)0), "unknown");
    assert_string_equal(proto_type_name((enum proto_type)99), "unknown");
}

static void test_configure_keys_and_curve(void **state)
{
    (void)state;
    struct proto_msg *a = pt_msg_new(), *b = pt_msg_new();
    char err[ERR_LEN];
    uint8_t *buf;
    size_t len;

    round_trip(PROTO_CONFIGURE, "alice " PT_SECRET "\nbob " PT_SECRET "\n");
    /* An unlimited curve and the other enum values. */
    pt_fill_msg(a, PROTO_CONFIGURE, NULL);
    ratectl_curve_init(&a->u.configure.curve);
    assert_int_equal(ratectl_parse_rate(&a->u.configure.curve, "unlimited", 7000000000ull, err), 0);
    for (int s = PROTO_SPREAD_ROUND_ROBIN; s <= PROTO_SPREAD_WEIGHTS; s++) {
        a->u.configure.spread = (enum proto_spread)s;
        buf = pt_enc(a, &len);
        assert_int_equal(pt_redecode(b, buf, len, err), 0);
        pt_assert_msg_equal(a, b);
        assert_true(b->u.configure.curve.unlimited);
        assert_int_equal(b->u.configure.curve.unlimited_ns, 7000000000ull);
        assert_null(b->u.configure.keys_text);
        proto_buf_free(buf, len);
    }
    /* The largest curve and node list. */
    ratectl_curve_init(&a->u.configure.curve);
    for (int i = 0; i < RATECTL_MAX_SEGS; i++)
        assert_int_equal(ratectl_curve_add(&a->u.configure.curve, i, i + 0.25, 1000 + i, err), 0);
    a->u.configure.nnodes = PROTO_MAX_NODES;
    for (int i = 0; i < PROTO_MAX_NODES; i++) {
        memset(a->u.configure.nodes[i], 'n', PROTO_STR - 1);
        a->u.configure.weights[i] = UINT32_MAX - (uint32_t)i;
    }
    buf = pt_enc(a, &len);
    assert_int_equal(pt_redecode(b, buf, len, err), 0);
    pt_assert_msg_equal(a, b);
    proto_buf_free(buf, len);
    pt_msg_del(a);
    pt_msg_del(b);
}

static void test_configure_keys_limit(void **state)
{
    (void)state;
    struct proto_msg *a = pt_msg_new(), *b = pt_msg_new();
    char err[ERR_LEN];
    uint8_t *buf;
    size_t len, len2;
    char *big = malloc(PROTO_MAX_KEYS_TEXT + 2);

    assert_non_null(big);
    memset(big, 'k', PROTO_MAX_KEYS_TEXT + 1);
    big[PROTO_MAX_KEYS_TEXT + 1] = '\0';
    /* Exactly the limit round-trips... */
    big[PROTO_MAX_KEYS_TEXT] = '\0';
    pt_fill_msg(a, PROTO_CONFIGURE, big);
    buf = pt_enc(a, &len);
    assert_true(len <= PROTO_MAX_MSG);
    assert_int_equal(pt_redecode(b, buf, len, err), 0);
    assert_int_equal(b->u.configure.keys_len, PROTO_MAX_KEYS_TEXT);
    pt_assert_msg_equal(a, b);
    proto_buf_free(buf, len);
    /* ...one byte more is refused on both sides. */
    proto_free(a);
    a->u.configure.keys_len = PROTO_MAX_KEYS_TEXT + 1;
    a->u.configure.keys_text = big;
    assert_int_equal(proto_encode(a, &buf, &len, err), -1);
    assert_non_null(strstr(err, "configure.keys"));
    a->u.configure.keys_text = NULL;
    a->u.configure.keys_len = 0;
    pt_fill_msg(a, PROTO_CONFIGURE, "x y\n");
    buf = pt_enc(a, &len);
    big[PROTO_MAX_KEYS_TEXT] = 'k';
    {
        uint8_t *v = malloc(PROTO_MAX_KEYS_TEXT + 6), *bad;

        assert_non_null(v);
        v[0] = 0xdb;
        v[1] = (uint8_t)((PROTO_MAX_KEYS_TEXT + 1) >> 24);
        v[2] = (uint8_t)((PROTO_MAX_KEYS_TEXT + 1) >> 16);
        v[3] = (uint8_t)((PROTO_MAX_KEYS_TEXT + 1) >> 8);
        v[4] = (uint8_t)(PROTO_MAX_KEYS_TEXT + 1);
        memcpy(v + 5, big, PROTO_MAX_KEYS_TEXT + 1);
        bad = pt_set_value(buf, len, "keys", v, PROTO_MAX_KEYS_TEXT + 6, &len2);
        assert_int_equal(pt_redecode(b, bad, len2, err), -1);
        assert_non_null(strstr(err, "configure.keys"));
        assert_non_null(strstr(err, "at most 1048576"));
        free(v);
        free(bad);
    }
    /* A NUL inside the key text is refused. */
    {
        uint8_t v[] = {0xa3, 'a', 0, 'b'}, *bad = pt_set_value(buf, len, "keys", v, sizeof v, &len2);

        assert_int_equal(pt_redecode(b, bad, len2, err), -1);
        assert_non_null(strstr(err, "configure.keys: contains a NUL"));
        free(bad);
    }
    proto_buf_free(buf, len);
    free(big);
    pt_msg_del(a);
    pt_msg_del(b);
}

/* After a round trip the histograms merge to exactly what the originals
 * merge to, and the run totals agree. */
static void test_stats_merge_equality(void **state)
{
    (void)state;
    struct proto_msg *a = pt_msg_new(), *b = pt_msg_new();
    struct stats_interval *x = malloc(sizeof(*x)), *y = malloc(sizeof(*y));
    char err[ERR_LEN];
    uint8_t *buf;
    size_t len;

    assert_non_null(x);
    assert_non_null(y);
    stats_init(x);
    stats_init(y);
    for (uint64_t seq = 1; seq <= 3; seq++) {
        pt_fill_msg(a, PROTO_STATS, NULL);
        stats_init(&a->u.stats.s);
        pt_fill_stats(&a->u.stats.s, seq);
        buf = pt_enc(a, &len);
        assert_int_equal(pt_redecode(b, buf, len, err), 0);
        assert_int_equal(b->u.stats.s.seq, seq);
        stats_merge(x, &a->u.stats.s);
        stats_merge(y, &b->u.stats.s);
        proto_buf_free(buf, len);
    }
    assert_memory_equal(&x->c, &y->c, sizeof(x->c));
    assert_memory_equal(&x->ack, &y->ack, sizeof(x->ack));
    assert_memory_equal(&x->inclusion, &y->inclusion, sizeof(x->inclusion));
    assert_memory_equal(&x->lateness, &y->lateness, sizeof(x->lateness));
    assert_true(hist_count(&y->ack) == 3 * 3004);
    assert_int_equal(y->ack.clamped, 3);
    assert_int_equal(hist_percentile(&x->ack, 99), hist_percentile(&y->ack, 99));
    assert_int_equal(hist_max(&y->lateness), hist_max(&x->lateness));
    assert_true(memcmp(&x->g.target_rate, &y->g.target_rate, sizeof(double)) == 0);
    /* An empty interval (three empty histograms) round-trips too. */
    proto_init(a, PROTO_STATS);
    buf = pt_enc(a, &len);
    assert_int_equal(pt_redecode(b, buf, len, err), 0);
    pt_assert_msg_equal(a, b);
    assert_int_equal(hist_count(&b->u.stats.s.ack), 0);
    proto_buf_free(buf, len);
    free(x);
    free(y);
    pt_msg_del(a);
    pt_msg_del(b);
}

/* ------------------------------------------------------ version and type */

static void test_version(void **state)
{
    (void)state;
    struct proto_msg *a = pt_msg_new(), *b = pt_msg_new();
    char err[ERR_LEN];
    uint8_t *buf, *bad;
    size_t len, len2;
    const uint8_t v2[] = {0x92, 0x02, 0x00}, v13[] = {0x92, 0x01, 0x0d},
                  vbig[] = {0x92, 0xce, 0x00, 0x01, 0x00, 0x00, 0x03}, v0[] = {0x92, 0x00, 0x09},
                  vshort[] = {0x91, 0x01}, vneg[] = {0x92, 0xff, 0x00};

    pt_fill_msg(a, PROTO_HEARTBEAT, NULL);
    buf = pt_enc(a, &len);
    bad = pt_set_value(buf, len, "v", v2, sizeof v2, &len2);
    assert_int_equal(pt_redecode(b, bad, len2, err), -2);
    assert_string_equal(err, "protocol 2.0 from peer, this side speaks 1.3");
    free(bad);
    bad = pt_set_value(buf, len, "v", vbig, sizeof vbig, &len2);
    assert_int_equal(pt_redecode(b, bad, len2, err), -2);
    assert_string_equal(err, "protocol 65536.3 from peer, this side speaks 1.3");
    free(bad);
    bad = pt_set_value(buf, len, "v", v0, sizeof v0, &len2);
    assert_int_equal(pt_redecode(b, bad, len2, err), -2);
    assert_string_equal(err, "protocol 0.9 from peer, this side speaks 1.3");
    free(bad);
    /* A newer minor version of the same major is understood. */
    bad = pt_set_value(buf, len, "v", v13, sizeof v13, &len2);
    assert_int_equal(pt_redecode(b, bad, len2, err), 0);
    assert_int_equal(b->vmajor, 1);
    assert_int_equal(b->vminor, 13);
    free(bad);
    proto_buf_free(buf, len);
    /* An ERROR is readable across major versions: a refused peer learns why. */
    pt_fill_msg(a, PROTO_ERROR, NULL);
    buf = pt_enc(a, &len);
    bad = pt_set_value(buf, len, "v", v2, sizeof v2, &len2);
    assert_int_equal(pt_redecode(b, bad, len2, err), 0);
    assert_int_equal(b->type, PROTO_ERROR);
    assert_int_equal(b->vmajor, 2);
    assert_string_equal(b->u.error.text, a->u.error.text);
    free(bad);
    {
        /* ...but only a well-formed one. */
        const uint8_t num[] = {0x07};
        uint8_t *bad2;
        size_t len3;

        bad = pt_set_value(buf, len, "v", v2, sizeof v2, &len2);
        bad2 = pt_set_value(bad, len2, "text", num, sizeof num, &len3);
        assert_int_equal(pt_redecode(b, bad2, len3, err), -2);
        assert_string_equal(err, "protocol 2.0 from peer, this side speaks 1.3");
        free(bad);
        free(bad2);
    }
    bad = pt_set_value(buf, len, "v", vshort, sizeof vshort, &len2);
    assert_int_equal(pt_redecode(b, bad, len2, err), -1);
    assert_string_equal(err, "v: expected [major, minor]");
    free(bad);
    bad = pt_set_value(buf, len, "v", vneg, sizeof vneg, &len2);
    assert_int_equal(pt_redecode(b, bad, len2, err), -1);
    assert_non_null(strstr(err, "v[0]: expected an unsigned integer"));
    free(bad);
    proto_buf_free(buf, len);
    pt_msg_del(a);
    pt_msg_del(b);
}

static void test_unknown_type(void **state)
{
    (void)state;
    struct proto_msg *a = pt_msg_new(), *b = pt_msg_new();
    char err[ERR_LEN];
    uint8_t *buf, *bad;
    size_t len, len2;
    const uint8_t xyz[] = {0xa3, 'x', 'y', 'z'}, ctl[] = {0xa4, 'a', '"', '\n', 'b'},
                  num[] = {0x05}, prefix[] = {0xa4, 'h', 'e', 'l', 'l'};
    uint8_t longt[3 + 200] = {0xd9, 200};

    memset(longt + 2, 'q', 200);
    pt_fill_msg(a, PROTO_BYE, NULL);
    buf = pt_enc(a, &len);
    bad = pt_set_value(buf, len, "t", xyz, sizeof xyz, &len2);
    assert_int_equal(pt_redecode(b, bad, len2, err), -2);
    assert_string_equal(err, "unknown message type \"xyz\"");
    free(bad);
    /* The name is shown safely: no quotes or control bytes, bounded. */
    bad = pt_set_value(buf, len, "t", ctl, sizeof ctl, &len2);
    assert_int_equal(pt_redecode(b, bad, len2, err), -2);
    assert_string_equal(err, "unknown message type \"a??b\"");
    free(bad);
    bad = pt_set_value(buf, len, "t", longt, 202, &len2);
    assert_int_equal(pt_redecode(b, bad, len2, err), -2);
    assert_true(strlen(err) < 80);
    assert_non_null(strstr(err, "qqq...\""));
    free(bad);
    bad = pt_set_value(buf, len, "t", prefix, sizeof prefix, &len2);
    assert_int_equal(pt_redecode(b, bad, len2, err), -2);
    assert_string_equal(err, "unknown message type \"hell\"");
    free(bad);
    bad = pt_set_value(buf, len, "t", num, sizeof num, &len2);
    assert_int_equal(pt_redecode(b, bad, len2, err), -1);
    assert_string_equal(err, "t: expected a string, got unsigned integer");
    free(bad);
    proto_buf_free(buf, len);
    pt_msg_del(a);
    pt_msg_del(b);
}

/* ---------------------------------------------------------- encode errors */

static void test_encode_errors(void **state)
{
    (void)state;
    struct proto_msg *a = pt_msg_new();
    char err[ERR_LEN];
    uint8_t *buf = NULL;
    size_t len;

    a->type = (enum proto_type)0;
    assert_int_equal(proto_encode(a, &buf, &len, err), -1);
    assert_string_equal(err, "cannot encode message type 0");
    pt_fill_msg(a, PROTO_HELLO, NULL);
    memset(a->u.hello.host, 'h', PROTO_STR);
    assert_int_equal(proto_encode(a, &buf, &len, err), -1);
    assert_string_equal(err, "hello.host: not NUL-terminated within 128 bytes");
    pt_fill_msg(a, PROTO_CONFIGURE, NULL);
    a->u.configure.nnodes = PROTO_MAX_NODES + 1;
    assert_int_equal(proto_encode(a, &buf, &len, err), -1);
    assert_string_equal(err, "configure.nodes: 65 nodes, at most 64");
    pt_fill_msg(a, PROTO_CONFIGURE, NULL);
    a->u.configure.spread = (enum proto_spread)7;
    assert_int_equal(proto_encode(a, &buf, &len, err), -1);
    assert_string_equal(err, "configure.spread: invalid value 7");
    pt_fill_msg(a, PROTO_CONFIGURE, NULL);
    memset(a->u.configure.nodes[2], 'n', PROTO_STR);
    assert_int_equal(proto_encode(a, &buf, &len, err), -1);
    assert_string_equal(err, "configure.nodes[2]: not NUL-terminated");
    pt_fill_msg(a, PROTO_CONFIGURE, NULL);
    a->u.configure.keys_len = 5;
    assert_int_equal(proto_encode(a, &buf, &len, err), -1);
    assert_string_equal(err, "configure.keys: keys_len 5 but no text");
    a->u.configure.keys_len = 0;
    a->u.configure.curve.nseg = RATECTL_MAX_SEGS + 1;
    assert_int_equal(proto_encode(a, &buf, &len, err), -1);
    assert_string_equal(err, "configure.curve: 129 segments, at most 128");
    pt_fill_msg(a, PROTO_EVENT, NULL);
    a->u.event.level = (enum proto_level)3;
    assert_int_equal(proto_encode(a, &buf, &len, err), -1);
    assert_string_equal(err, "event.level: invalid value 3");
    assert_null(buf);
    pt_msg_del(a);
}

/* ------------------------------------------------------------ key wiping */

/* No block freed by proto/ (encode buffers, the decoded copy, proto_free)
 * still holds key text. The first check shows the watch itself works. */
static void test_keys_wiped(void **state)
{
    (void)state;
    struct proto_msg *a = pt_msg_new(), *b = pt_msg_new();
    char err[ERR_LEN], *plain;
    uint8_t *buf, *bad = NULL;
    size_t len, len2;

    watch_marker = PT_SECRET;
    watch_hits = 0;
    plain = strdup("eve " PT_SECRET);
    assert_non_null(plain);
    free(plain);
    assert_int_equal(watch_hits, 1);

    watch_hits = 0;
    pt_fill_msg(a, PROTO_CONFIGURE, "eve " PT_SECRET "\n");
    buf = pt_enc(a, &len);
    assert_int_equal(pt_redecode(b, buf, len, err), 0);
    assert_non_null(b->u.configure.keys_text);
    proto_free(b);
    assert_null(b->u.configure.keys_text);
    assert_int_equal(b->type, PROTO_CONFIGURE);
    /* An encode that fails late (after packing the keys) wipes its buffer. */
    memset(a->u.configure.nodes[1], 'n', PROTO_STR);
    assert_int_equal(proto_encode(a, &bad, &len2, err), -1);
    assert_null(bad);
    proto_buf_free(buf, len);
    proto_free(a);
    assert_int_equal(watch_hits, 0);
    watch_marker = NULL;
    pt_msg_del(a);
    pt_msg_del(b);
}

/* ------------------------------------------------------------ figures */

/* The sizes PROTOCOL.md ("Sizes and costs") states, checked: every
 * message decodes back to what was sent, and its encoding stays within the
 * stated bound (a field added to STATS that blows a bound fails here, and
 * the table is updated with it). Sizes are deterministic: same message, same
 * bytes; the bounds leave room for a few more fields. */
#define FIG_STATS_TYPICAL_MAX 5120u   /* 4769 bytes today (1.3 added 2 x 12 node keys) */
#define FIG_STATS_SPREAD_MAX 24576u   /* 23322 bytes today */
#define FIG_HEARTBEAT_MAX 96u         /* 92 bytes today */
#define FIG_STATS_WORST_MAX 180000u   /* three full histograms */

/* Every bucket of h non-empty, each with a count that needs the widest varint. */
static void fill_every_bucket(struct hist *h)
{
    hist_reset(h);
    for (uint32_t i = 0; i < HIST_BUCKETS; i++)
        hist_record_n(h, hist_bucket_low(i), UINT64_C(1) << 40);
}

static void test_figures(void **state)
{
    (void)state;
    struct proto_msg *a = pt_msg_new(), *b = pt_msg_new();
    char err[ERR_LEN];
    uint8_t *buf;
    size_t len;

    /* A typical interval: ~2000 tx/s with latencies of a few ms (ack) and
     * a few seconds (inclusion), lateness in µs. */
    proto_init(a, PROTO_STATS);
    pt_fill_stats(&a->u.stats.s, 1);
    hist_reset(&a->u.stats.s.ack);
    hist_reset(&a->u.stats.s.inclusion);
    hist_reset(&a->u.stats.s.lateness);
    for (uint64_t i = 0; i < 2000; i++) {
        hist_record(&a->u.stats.s.ack, 2000000 + (i * 7919) % 3000000);
        hist_record(&a->u.stats.s.inclusion, 1500000000 + (i * 104729) % 3000000000u);
        hist_record(&a->u.stats.s.lateness, 1000 + (i * 31) % 200000);
    }
    buf = pt_enc(a, &len);
    assert_int_equal(pt_redecode(b, buf, len, err), 0);
    pt_assert_msg_equal(a, b);
    print_message("# STATS with 3 x 2000 typical samples: %zu bytes (bound %u)\n", len,
                  FIG_STATS_TYPICAL_MAX);
    assert_true(len > 0 && len <= FIG_STATS_TYPICAL_MAX);
    proto_buf_free(buf, len);

    pt_fill_msg(a, PROTO_STATS, NULL);
    buf = pt_enc(a, &len);
    assert_int_equal(pt_redecode(b, buf, len, err), 0);
    pt_assert_msg_equal(a, b);
    print_message("# STATS with 3 x 3004 widely spread samples: %zu bytes (bound %u)\n", len,
                  FIG_STATS_SPREAD_MAX);
    assert_true(len <= FIG_STATS_SPREAD_MAX);
    proto_buf_free(buf, len);

    /* The worst case: three histograms with every bucket in use. */
    fill_every_bucket(&a->u.stats.s.ack);
    fill_every_bucket(&a->u.stats.s.inclusion);
    fill_every_bucket(&a->u.stats.s.lateness);
    buf = pt_enc(a, &len);
    assert_int_equal(pt_redecode(b, buf, len, err), 0);
    pt_assert_msg_equal(a, b);
    print_message("# STATS with three full histograms: %zu bytes (bound %u, limit %u)\n", len,
                  FIG_STATS_WORST_MAX, PROTO_MAX_MSG);
    assert_true(len <= FIG_STATS_WORST_MAX && len < PROTO_MAX_MSG);
    proto_buf_free(buf, len);

    pt_fill_msg(a, PROTO_HEARTBEAT, NULL);
    buf = pt_enc(a, &len);
    assert_int_equal(pt_redecode(b, buf, len, err), 0);
    pt_assert_msg_equal(a, b);
    print_message("# HEARTBEAT: %zu bytes (bound %u)\n", len, FIG_HEARTBEAT_MAX);
    assert_true(len <= FIG_HEARTBEAT_MAX);
    proto_buf_free(buf, len);
    pt_msg_del(a);
    pt_msg_del(b);
}

/* ------------------------------------------------------------ seeds */

static int write_file(const char *dir, const char *name, const void *p, size_t n)
{
    char path[4096];
    FILE *f;

    snprintf(path, sizeof path, "%s/%s", dir, name);
    f = fopen(path, "wb");
    if (f == NULL || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
        fprintf(stderr, "test_proto: cannot write %s\n", path);
        return -1;
    }
    return 0;
}

static int write_seeds(const char *dir)
{
    struct proto_msg *m = malloc(sizeof(*m));
    char name[64], err[ERR_LEN];
    int rc = 0;

    if (m == NULL)
        return 1;
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "test_proto: cannot create %s\n", dir);
        free(m);
        return 1;
    }
    for (int t = PROTO_HELLO; t <= PROTO_ERROR && rc == 0; t++) {
        uint8_t *buf;
        size_t len;

        proto_init(m, PROTO_HELLO);
        pt_fill_msg(m, (enum proto_type)t, t == PROTO_CONFIGURE ? "alice " PT_SECRET "\n" : NULL);
        if (t == PROTO_STATS || t == PROTO_DONE) {
            /* Smaller histograms keep the fuzzer's inputs short. */
            struct stats_interval *s = t == PROTO_STATS ? &m->u.stats.s : &m->u.done.total;

            hist_reset(&s->ack);
            hist_reset(&s->lateness);
            for (uint64_t i = 0; i < 40; i++)
                hist_record(&s->ack, i * i * 100003);
            hist_record(&s->lateness, HIST_MAX + 1);
        }
        if (proto_encode(m, &buf, &len, err) != 0) {
            fprintf(stderr, "test_proto: %s\n", err);
            rc = 1;
            break;
        }
        snprintf(name, sizeof name, "%02d-%s.msgpack", t, proto_type_name((enum proto_type)t));
        rc = write_file(dir, name, buf, len) ? 1 : 0;
        proto_buf_free(buf, len);
        proto_free(m);
    }
    for (size_t i = 0; i < pt_nhostile && rc == 0; i++) {
        snprintf(name, sizeof name, "hostile-%02zu.msgpack", i);
        rc = write_file(dir, name, pt_hostile[i].bytes, pt_hostile[i].len) ? 1 : 0;
    }
    free(m);
    /* The directory is the build's output: mark it new even when every
     * file was only rewritten. */
    if (rc == 0 && utimensat(AT_FDCWD, dir, NULL, 0) != 0)
        rc = 1;
    return rc;
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_every_type),
        cmocka_unit_test(test_type_names),
        cmocka_unit_test(test_configure_keys_and_curve),
        cmocka_unit_test(test_configure_keys_limit),
        cmocka_unit_test(test_stats_merge_equality),
        cmocka_unit_test(test_version),
        cmocka_unit_test(test_unknown_type),
        cmocka_unit_test(test_encode_errors),
        cmocka_unit_test(test_keys_wiped),
        cmocka_unit_test(test_figures),
    };

    if (argc == 3 && strcmp(argv[1], "--write-seeds") == 0)
        return write_seeds(argv[2]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
