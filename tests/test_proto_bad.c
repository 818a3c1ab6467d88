/* test_proto_bad.c - the codec (proto.h) against malformed and hostile
 * input. Most cases are made from real encodings: a walker finds every map
 * key of an encoded message (at any depth), so that each field of each
 * message type is in turn removed, given the wrong type, or joined by
 * unknown keys, without hand-written msgpack per case. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "err.h"
#include "hist.h"
#include "proto.h"
#include "proto_testmsg.h"
#include "stats.h"

/* ----------------------------------------------- every field, every way */


/* Interval keys added by protocol 1.2 (optional when decoding). */
static bool pt_since_1_2(const char *name)
{
    static const char *const keys[] = {"held", "held_dropped", "stale", "late_replies",
                                       "unknown_replies", "pending", "held_pending", "conns_ready",
                                       "ack_sum_hi"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (strcmp(name, keys[i]) == 0)
            return true;
    return false;
}

/* Per-node keys added by protocol 1.3 (telemetry; optional when decoding). */
static bool pt_since_1_3(const char *path, const char *name)
{
    static const char *const keys[] = {"tel_answers", "head_block", "lib_block",
                                       "participation_pct", "missed_blocks", "block_interval_s",
                                       "tel_blocks", "tel_block_txs", "tel_block_bytes",
                                       "max_block_size", "forked", "stalled"};
    if (strstr(path, "nodes") == NULL)
        return false;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (strcmp(name, keys[i]) == 0)
            return true;
    return false;
}

/* For every key of every message type: renamed away -> -1 "...: missing";
 * value nil -> -1 naming the field; unknown keys added to the map that
 * holds it -> decoded unchanged. */
static void test_every_field(void **state)
{
    (void)state;
    static struct pt_walk w;
    struct proto_msg *a = pt_msg_new(), *b = pt_msg_new();
    char err[ERR_LEN];
    size_t checked = 0;

    for (int t = PROTO_HELLO; t <= PROTO_ERROR; t++) {
        uint8_t *buf, *bad;
        size_t len, len2;

        pt_fill_msg(a, (enum proto_type)t, "carol " PT_SECRET "\n");
        buf = pt_enc(a, &len);
        pt_walk(&w, buf, len);
        for (size_t i = 0; i < w.nkeys; i++) {
            const struct pt_key *k = &w.keys[i];
            const uint8_t nil = 0xc0;
            int rc;

            /* missing */
            bad = pt_buf_splice(buf, len, 0, 0, "", 0, &len2);
            bad[k->kpos] = '~';
            rc = pt_redecode(b, bad, len2, err);
            if (strcmp(k->path, "keys") == 0) {
                assert_int_equal(rc, 0);
                assert_null(b->u.configure.keys_text);
            } else if (pt_since_1_2(k->name) || pt_since_1_3(k->path, k->name)) {
                /* Added in 1.2 (1.3): a 1.1 (1.2) beacon's interval decodes with 0
                 * (no telemetry). */
                if (rc != 0)
                    fail_msg("%s without %s (a 1.1 peer): rc %d, \"%s\"", proto_type_name(t),
                             k->path, rc, err);
            } else if (t == PROTO_HELLO && strcmp(k->path, "session") == 0) {
                /* Optional (a 1.1 beacon has no session). */
                assert_int_equal(rc, 0);
                assert_int_equal(b->u.hello.session, 0);
            } else if (strcmp(k->path, "s.nodes") == 0 || strcmp(k->path, "total.nodes") == 0) {
                /* Optional (a 1.0 beacon has no per-node breakdown). */
                assert_int_equal(rc, 0);
                assert_int_equal(t == PROTO_STATS ? b->u.stats.s.nnodes : b->u.done.total.nnodes, 0);
            } else {
                if (rc != -1 || strstr(err, k->name) == NULL || strstr(err, "missing") == NULL)
                    fail_msg("%s without %s: rc %d, \"%s\"", proto_type_name(t), k->path, rc, err);
            }
            free(bad);
            /* wrong type */
            bad = pt_buf_splice(buf, len, k->vpos, k->vlen, &nil, 1, &len2);
            rc = pt_redecode(b, bad, len2, err);
            if (rc != -1 || strstr(err, k->name) == NULL)
                fail_msg("%s with %s nil: rc %d, \"%s\"", proto_type_name(t), k->path, rc, err);
            free(bad);
            checked++;
        }
        /* Unknown keys in every map, with values of every shape. */
        for (size_t i = w.nmaps; i-- > 0;) {
            const struct pt_mapref *mr = &w.maps[i];
            struct pt_mp *x = calloc(1, sizeof(*x));
            uint8_t *grown;

            assert_non_null(x);
            pt_mp_byte(x, 0xde);
            pt_mp_be(x, mr->n + 3, 2);
            pt_mp_byte(x, 0xa7), pt_mp_raw(x, "zz_map1", 7);
            pt_mp_byte(x, 0x81), pt_mp_byte(x, 0xa1), pt_mp_raw(x, "x", 1), pt_mp_arr(x, 2), pt_mp_uint(x, 1),
                pt_mp_byte(x, 0xc0);
            pt_mp_byte(x, 0xa5), pt_mp_raw(x, "zz_s2", 5);
            pt_mp_str(x, "hello", 5);
            pt_mp_byte(x, 0xa3), pt_mp_raw(x, "zz3", 3);
            pt_mp_byte(x, 0xcb), pt_mp_be(x, 0x400921fb54442d18ull, 8);
            grown = pt_buf_splice(buf, len, mr->pos, mr->hlen, x->b, x->n, &len2);
            if (pt_redecode(b, grown, len2, err) != 0)
                fail_msg("%s with unknown keys in map %zu: %s", proto_type_name(t), i, err);
            pt_assert_msg_equal(a, b);
            free(grown);
            free(x);
        }
        proto_buf_free(buf, len);
    }
    /* Every key of PROTOCOL.md: hello 8 (with v and t), welcome 6,
     * configure 30, prepare 4, ready 15, start 4, stop 4, stats 123 (80 and
     * "nodes" with 2 nodes of 9 keys; 1.2 added 8 + 2 x 1, 1.3 2 x 12),
     * stats_ack 3, event 5, done 126, heartbeat 7, bye 3, error 3. */
    assert_int_equal(checked, 341);
    pt_msg_del(a);
    pt_msg_del(b);
}

/* Values of the right type but out of bounds, one field at a time. */
static void test_bad_values(void **state)
{
    (void)state;
    struct proto_msg *a = pt_msg_new(), *b = pt_msg_new();
    struct pt_mp *x = calloc(1, sizeof(*x));
    char err[ERR_LEN], s[2048];
    uint8_t *buf, *bad;
    size_t len, len2;
    static const struct {
        enum proto_type type;
        const char *path;
        const char *value_kind;  /* how to build the value */
        const char *want;        /* in err */
    } cases[] = {
        {PROTO_HELLO, "cores", "u33", "hello.cores: 8589934592 out of range (at most 4294967295)"},
        {PROTO_HELLO, "acked_seq", "neg", "hello.acked_seq: expected an unsigned integer, got negative"},
        {PROTO_HELLO, "host", "str128", "hello.host: 128 bytes, at most 127"},
        {PROTO_HELLO, "host", "strnul", "hello.host: contains a NUL byte"},
        {PROTO_HELLO, "beacon_id", "bin", "hello.beacon_id: expected a string, got binary"},
        {PROTO_EVENT, "text", "str1024", "event.text: 1024 bytes, at most 1023"},
        {PROTO_EVENT, "level", "str:fatal", "event.level: unknown value \"fatal\""},
        {PROTO_READY, "chain.chain_id", "str65", "ready.chain.chain_id: 65 bytes, at most 64"},
        {PROTO_READY, "chain.order_fee", "u64max", "ready.chain.order_fee: 18446744073709551615 out of range"},
        {PROTO_READY, "ok", "u1", "ready.ok: expected a boolean, got unsigned integer"},
        {PROTO_STOP, "abort", "str:yes", "stop.abort: expected a boolean, got string"},
        {PROTO_HEARTBEAT, "cpu_pct", "str:1", "heartbeat.cpu_pct: expected a number, got string"},
        {PROTO_CONFIGURE, "spread", "str:random", "configure.spread: unknown value \"random\""},
        {PROTO_CONFIGURE, "nodes", "nodes65", "configure.nodes: 65 nodes, at most 64"},
        {PROTO_CONFIGURE, "weights", "arr2", "configure.weights: 2 weights for 3 nodes"},
        {PROTO_CONFIGURE, "nodes", "arr3", "configure.nodes[0]: expected a string, got unsigned"},
        {PROTO_CONFIGURE, "curve.seg", "segs129", "configure.curve.seg: 129 segments, at most 128"},
        {PROTO_CONFIGURE, "curve.seg", "seg2", "configure.curve.seg[0]: expected [from, to, dur_ns]"},
        {PROTO_CONFIGURE, "curve.seg", "segstr", "configure.curve.seg[0].to: expected a number, got string"},
        {PROTO_CONFIGURE, "curve", "arr2", "configure.curve: expected a map, got array"},
        {PROTO_STATS, "s.ack.b", "pairs_badidx", "stats.s.ack: histogram pair 0: bucket index 4608 out of range"},
        {PROTO_STATS, "s.ack.b", "pairs_odd", "stats.s.ack.b: expected at most 4608 [index, count] pairs"},
        {PROTO_STATS, "s.ack.b", "pairs_many", "stats.s.ack.b: expected at most 4608"},
        {PROTO_STATS, "s.inclusion.b", "pairs_cnt0", "stats.s.inclusion: histogram pair 0: bucket 1 has count 0"},
        {PROTO_STATS, "s.lateness.min", "u1", "stats.s.lateness: "},
        {PROTO_STATS, "s.c.rejected.busy", "str:1", "stats.s.c.rejected.busy: expected an unsigned"},
        {PROTO_STATS, "s.g", "arr2", "stats.s.g: expected a map"},
        {PROTO_DONE, "total.g.cores", "u33", "done.total.g.cores: 8589934592 out of range"},
        {PROTO_STATS, "s.nodes", "maps65", "stats.s.nodes: 65 entries, at most 64"},
        {PROTO_STATS, "s.nodes", "arr3", "stats.s.nodes[0]: expected a map, got unsigned"},
        {PROTO_DONE, "total.nodes", "u1", "done.total.nodes: expected an array, got unsigned"},
        {PROTO_STATS, "s.nodes", "maps1", "stats.s.nodes[0].sent: missing"},
    };

    assert_non_null(x);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *k = cases[i].value_kind;

        x->n = 0;
        if (strcmp(k, "u33") == 0) {
            pt_mp_uint(x, 1ull << 33);
        } else if (strcmp(k, "u1") == 0) {
            pt_mp_byte(x, 0x01);
        } else if (strcmp(k, "u64max") == 0) {
            pt_mp_uint(x, UINT64_MAX);
        } else if (strcmp(k, "neg") == 0) {
            pt_mp_byte(x, 0xff);
        } else if (strncmp(k, "str:", 4) == 0) {
            pt_mp_str(x, k + 4, strlen(k + 4));
        } else if (strncmp(k, "str", 3) == 0 && strcmp(k, "strnul") != 0) {
            size_t n = strtoul(k + 3, NULL, 10);

            memset(s, 'a', n);
            pt_mp_str(x, s, n);
        } else if (strcmp(k, "strnul") == 0) {
            pt_mp_str(x, "ab\0c", 4);
        } else if (strcmp(k, "bin") == 0) {
            pt_mp_byte(x, 0xc4), pt_mp_byte(x, 1), pt_mp_byte(x, 'a');
        } else if (strcmp(k, "nodes65") == 0) {
            pt_mp_arr(x, 65);
            for (int j = 0; j < 65; j++)
                pt_mp_str(x, "ws://x", 6);
        } else if (strncmp(k, "maps", 4) == 0) {
            uint32_t n = (uint32_t)strtoul(k + 4, NULL, 10);
            pt_mp_arr(x, n);
            for (uint32_t j = 0; j < n; j++)
                pt_mp_byte(x, 0x80);
        } else if (strcmp(k, "arr2") == 0) {
            pt_mp_arr(x, 2), pt_mp_byte(x, 1), pt_mp_byte(x, 2);
        } else if (strcmp(k, "arr3") == 0) {
            pt_mp_arr(x, 3), pt_mp_byte(x, 1), pt_mp_byte(x, 2), pt_mp_byte(x, 3);
        } else if (strcmp(k, "segs129") == 0) {
            pt_mp_arr(x, 129);
            for (int j = 0; j < 129; j++)
                pt_mp_byte(x, 0x93), pt_mp_byte(x, 1), pt_mp_byte(x, 1), pt_mp_byte(x, 1);
        } else if (strcmp(k, "seg2") == 0) {
            pt_mp_arr(x, 1), pt_mp_byte(x, 0x92), pt_mp_byte(x, 1), pt_mp_byte(x, 1);
        } else if (strcmp(k, "segstr") == 0) {
            pt_mp_arr(x, 1), pt_mp_byte(x, 0x93), pt_mp_byte(x, 1), pt_mp_str(x, "2", 1), pt_mp_byte(x, 1);
        } else if (strcmp(k, "pairs_badidx") == 0) {
            pt_mp_arr(x, 2), pt_mp_uint(x, HIST_BUCKETS), pt_mp_byte(x, 1);
        } else if (strcmp(k, "pairs_odd") == 0) {
            pt_mp_arr(x, 3), pt_mp_byte(x, 1), pt_mp_byte(x, 1), pt_mp_byte(x, 1);
        } else if (strcmp(k, "pairs_many") == 0) {
            pt_mp_arr(x, 2 * HIST_BUCKETS + 2);
            for (uint32_t j = 0; j < HIST_BUCKETS + 1; j++)
                pt_mp_byte(x, 0xcd), pt_mp_be(x, j, 2), pt_mp_byte(x, 1);
        } else if (strcmp(k, "pairs_cnt0") == 0) {
            pt_mp_arr(x, 2), pt_mp_byte(x, 1), pt_mp_byte(x, 0);
        } else {
            fail_msg("bad case %s", k);
        }
        pt_fill_msg(a, cases[i].type, NULL);
        buf = pt_enc(a, &len);
        bad = pt_set_value(buf, len, cases[i].path, x->b, x->n, &len2);
        if (pt_redecode(b, bad, len2, err) != -1 || strstr(err, cases[i].want) == NULL)
            fail_msg("%s %s=%s: got \"%s\", want \"%s\"", proto_type_name(cases[i].type),
                     cases[i].path, k, err, cases[i].want);
        free(bad);
        proto_buf_free(buf, len);
    }
    /* The bounds themselves are accepted. */
    pt_fill_msg(a, PROTO_EVENT, NULL);
    memset(a->u.event.text, 'e', PROTO_TEXT - 1);
    buf = pt_enc(a, &len);
    assert_int_equal(pt_redecode(b, buf, len, err), 0);
    assert_int_equal(strlen(b->u.event.text), PROTO_TEXT - 1);
    proto_buf_free(buf, len);
    free(x);
    pt_msg_del(a);
    pt_msg_del(b);
}

/* A repeated known key is refused rather than guessed at. */
static void test_repeated_key(void **state)
{
    (void)state;
    struct proto_msg *a = pt_msg_new(), *b = pt_msg_new();
    char err[ERR_LEN];
    uint8_t *buf, *bad;
    size_t len, len2;
    const uint8_t extra[] = {0x85, 0xa3, 's', 'e', 'q', 0x07};

    pt_fill_msg(a, PROTO_STATS_ACK, NULL);
    buf = pt_enc(a, &len);
    assert_int_equal(buf[0], 0x83); /* v, t, seq */
    bad = pt_buf_splice(buf, len, 0, 1, extra, sizeof extra, &len2);
    bad[0] = 0x84;
    assert_int_equal(pt_redecode(b, bad, len2, err), -1);
    assert_string_equal(err, "stats_ack.seq: repeated key");
    free(bad);
    proto_buf_free(buf, len);
    pt_msg_del(a);
    pt_msg_del(b);
}

/* ------------------------------------------------------ hostile input */

static void test_truncated_everywhere(void **state)
{
    (void)state;
    struct proto_msg *a = pt_msg_new(), *b = pt_msg_new();
    const enum proto_type types[] = {PROTO_HELLO, PROTO_CONFIGURE, PROTO_READY, PROTO_STATS};
    char err[ERR_LEN];

    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        uint8_t *buf, *cut;
        size_t len;

        pt_fill_msg(a, types[i], "dave " PT_SECRET "\n");
        buf = pt_enc(a, &len);
        for (size_t n = 0; n < len; n++) {
            /* A copy of exactly n bytes, so ASan sees any read past it. */
            cut = malloc(n ? n : 1);
            assert_non_null(cut);
            memcpy(cut, buf, n);
            if (pt_redecode(b, cut, n, err) != -1)
                fail_msg("%s cut at %zu of %zu decoded", proto_type_name(types[i]), n, len);
            free(cut);
        }
        proto_buf_free(buf, len);
    }
    pt_msg_del(a);
    pt_msg_del(b);
}

static void test_hostile_sizes(void **state)
{
    (void)state;
    struct proto_msg *b = pt_msg_new();
    char err[ERR_LEN];
    struct pt_mp *x = calloc(1, sizeof(*x));

    assert_non_null(x);
    for (size_t i = 0; i < pt_nhostile; i++) {
        uint8_t *copy = malloc(pt_hostile[i].len + 1);

        assert_non_null(copy);
        memcpy(copy, pt_hostile[i].bytes, pt_hostile[i].len);
        err[0] = '\0';
        if (pt_redecode(b, copy, pt_hostile[i].len, err) != -1 || strstr(err, pt_hostile[i].want) == NULL)
            fail_msg("%s: \"%s\", want \"%s\"", pt_hostile[i].name, err, pt_hostile[i].want);
        free(copy);
    }
    /* More objects than any message has, each a single byte. */
    x->n = 0;
    pt_mp_byte(x, 0xdf), pt_mp_be(x, 33000, 4);
    for (int i = 0; i < 33000; i++)
        pt_mp_byte(x, 0x01), pt_mp_byte(x, 0xc0);
    assert_int_equal(pt_redecode(b, x->b, x->n, err), -1);
    assert_non_null(strstr(err, "more than 65536 msgpack objects"));
    free(x);
    /* Over the size limit, whatever the content. */
    x = calloc(1, PROTO_MAX_MSG + 1);
    assert_non_null(x);
    assert_int_equal(pt_redecode(b, (uint8_t *)x, PROTO_MAX_MSG + 1, err), -1);
    assert_string_equal(err, "message of 2097153 bytes, at most 2097152");
    free(x);
    pt_msg_del(b);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_field),
        cmocka_unit_test(test_bad_values),
        cmocka_unit_test(test_repeated_key),
        cmocka_unit_test(test_truncated_everywhere),
        cmocka_unit_test(test_hostile_sizes),
    };

    (void)argc;
    (void)argv;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
