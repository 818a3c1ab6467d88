/* test_nodetel.c - beacon/nodetel_model: participation from
 * recent_slots_filled, the dynamic properties parsed (and refused with the
 * field named), and per node per interval: head, LIB, block interval, fork
 * detection against the primary, a node that fell behind or stalled (also
 * when it stops answering: figures absent, stalled said), and the
 * overseer's merge across beacons (stats_node_tel_merge). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "err.h"
#include "jv.h"
#include "nodetel_model.h"
#include "stats.h"

#define S UINT64_C(1000000000)

static void test_participation(void **state)
{
    char err[ERR_LEN];
    double p = -1;
    (void)state;

    /* 2^128 - 1: every slot filled (what a devnode with one producer says). */
    assert_int_equal(nodetel_participation("340282366920938463463374607431768211455", 39, &p, err), 0);
    assert_true(p == 100.0);
    assert_int_equal(nodetel_participation("0", 1, &p, err), 0);
    assert_true(p == 0.0);
    /* 2^64 - 1 + 2^127: 65 bits of 128. */
    assert_int_equal(nodetel_participation("170141183460469231750134047789593657343", 39, &p, err), 0);
    assert_true(p == 100.0 * 65 / 128);
    /* 0xff: 8 bits. */
    assert_int_equal(nodetel_participation("255", 3, &p, err), 0);
    assert_true(p == 6.25);
    /* 2^128 does not fit; junk is refused. */
    assert_int_equal(nodetel_participation("340282366920938463463374607431768211456", 39, &p, err), -1);
    assert_non_null(strstr(err, "recent_slots_filled"));
    assert_int_equal(nodetel_participation("12x", 3, &p, err), -1);
    assert_int_equal(nodetel_participation("", 0, &p, err), -1);
}

static const char props[] =
    "{\"id\":\"2.1.0\",\"head_block_number\":%u,\"head_block_id\":\"%08x%s\","
    "\"time\":\"2026-01-01T00:00:%02u\",\"current_witness\":\"1.6.1\",\"recently_missed_count\":%u,"
    "\"recent_slots_filled\":\"%s\",\"last_irreversible_block_num\":%u}";

/* A sample for block num, its id's tail (fork) tag, at second sec. */
static struct nodetel_sample sample(uint32_t num, const char *tag, unsigned sec, uint32_t lib)
{
    char text[512], err[ERR_LEN], tail[33];
    struct nodetel_sample s;
    struct jv *root;

    snprintf(tail, sizeof tail, "%s%s%s%s", tag, tag, tag, tag);
    snprintf(text, sizeof text, props, num, num, tail, sec, 2u,
             "340282366920938463463374607431768211455", lib);
    root = jv_parse(text, strlen(text), 16, err);
    assert_non_null(root);
    if (nodetel_parse(root, &s, err) < 0)
        fail_msg("%s", err);
    jv_free(root);
    return s;
}

static void test_parse(void **state)
{
    struct nodetel_sample s = sample(1234, "aaaaaaaa", 7, 1200);
    char err[ERR_LEN], text[512];
    struct jv *root;
    (void)state;

    assert_int_equal(s.head, 1234);
    assert_int_equal(s.lib, 1200);
    assert_int_equal(s.missed, 2);
    assert_int_equal(s.time, 1767225607u);
    assert_true(s.participation_pct == 100.0);
    assert_int_equal(s.head_id[3], 1234 & 0xff);
    /* The irreversible block above the head is malformed. */
    snprintf(text, sizeof text, props, 5u, 5u, "0000000000000000000000000000000", 1u, 0u, "1", 9u);
    root = jv_parse(text, strlen(text), 16, err);
    assert_int_equal(nodetel_parse(root, &s, err), -1);
    assert_non_null(strstr(err, "head_block_id")); /* one digit short */
    jv_free(root);
    snprintf(text, sizeof text, props, 5u, 5u, "00000000000000000000000000000000", 1u, 0u, "1", 9u);
    root = jv_parse(text, strlen(text), 16, err);
    assert_int_equal(nodetel_parse(root, &s, err), -1);
    assert_non_null(strstr(err, "last_irreversible_block_num 9 is above head_block_number 5"));
    jv_free(root);
    root = jv_parse("{\"head_block_number\":1}", 23, 16, err);
    assert_int_equal(nodetel_parse(root, &s, err), -1);
    assert_non_null(strstr(err, "last_irreversible_block_num"));
    jv_free(root);
}

/* Three nodes, 3 s blocks: all in step, then node 2 forks, node 3 stops
 * answering (stalled after > 3 intervals = 9 s, figures absent). */
static void test_model(void **state)
{
    struct nodetel_model *m = nodetel_model_new(3, 3, 100000);
    struct stats_interval *s = calloc(1, sizeof *s);
    struct nodetel_sample x;
    (void)state;

    assert_non_null(m);
    assert_null(nodetel_model_new(0, 3, 0));
    assert_null(nodetel_model_new(STATS_MAX_NODES + 1, 3, 0));
    for (unsigned k = 0; k < 3; k++) {
        x = sample(10, "aaaaaaaa", 30, 8);
        nodetel_model_add(m, k, &x, 1 * S);
    }
    nodetel_model_take(m, 1 * S, s);
    assert_int_equal(s->nnodes, 3);
    for (unsigned k = 0; k < 3; k++) {
        assert_int_equal(s->node[k].tel_answers, 1);
        assert_int_equal(s->node[k].head_block, 10);
        assert_int_equal(s->node[k].lib_block, 8);
        assert_int_equal(s->node[k].forked, 0);
        assert_int_equal(s->node[k].stalled, 0);
        assert_int_equal(s->node[k].max_block_size, 100000);
        assert_true(s->node[k].block_interval_s == 0); /* not measured yet */
    }
    /* Two blocks later (6 s of chain time): 3 s per block. Node 2 answers
     * a different block 12: it forked. Node 3 answers block 12 of the
     * primary's chain. */
    x = sample(12, "aaaaaaaa", 36, 10);
    nodetel_model_add(m, 0, &x, 2 * S);
    x = sample(12, "bbbbbbbb", 36, 10);
    nodetel_model_add(m, 1, &x, 2 * S);
    x = sample(12, "aaaaaaaa", 36, 10);
    nodetel_model_add(m, 2, &x, 2 * S);
    memset(s, 0, sizeof *s);
    nodetel_model_take(m, 2 * S, s);
    assert_true(s->node[0].block_interval_s == 3.0);
    assert_int_equal(s->node[0].forked, 0);
    assert_int_equal(s->node[1].forked, 1);
    assert_int_equal(s->node[2].forked, 0);
    /* The fork is seen whichever answers first: node 2 (index 1) answers
     * block 13 before the primary does. */
    x = sample(13, "cccccccc", 39, 10);
    nodetel_model_add(m, 1, &x, 3 * S);
    x = sample(13, "aaaaaaaa", 39, 10);
    nodetel_model_add(m, 0, &x, 3 * S);
    memset(s, 0, sizeof *s);
    nodetel_model_take(m, 3 * S, s);
    assert_int_equal(s->node[1].forked, 1);
    /* Node 3 stopped answering at 2 s: its answer, 1 s old, still counts
     * (polls and intervals drift against each other); not stalled yet. */
    assert_int_equal(s->node[2].tel_answers, 1);
    assert_int_equal(s->node[2].head_block, 12);
    assert_int_equal(s->node[2].stalled, 0);
    /* The others advance every 3 s; node 3 says nothing until 12 s. */
    for (unsigned t = 4; t <= 12; t++) {
        uint32_t num = 13 + (t - 3) / 3;
        x = sample(num, "aaaaaaaa", 39 + 3 * ((t - 3) / 3), 10);
        /* (Node 2 first: had the primary answered first, node 2's last
         * answer, block 13 of the fork, would still count against it.) */
        nodetel_model_add(m, 1, &x, t * S);
        nodetel_model_add(m, 0, &x, t * S);
        memset(s, 0, sizeof *s);
        nodetel_model_take(m, t * S, s);
        assert_int_equal(s->node[1].forked, 0); /* back on the primary's chain */
        assert_int_equal(s->node[0].stalled, 0);
        assert_int_equal(s->node[1].stalled, 0);
        /* More than 3 block intervals (9 s) since node 3's head last moved (2 s). */
        assert_int_equal(s->node[2].stalled, t > 11);
        assert_int_equal(s->node[2].tel_answers, 0); /* > 1.5 s old: absent */
        assert_int_equal(s->node[2].head_block, 0);  /* left alone, not zeroed */
    }
    /* Node 3 answers again, behind; it is stalled until its head moves. */
    x = sample(12, "aaaaaaaa", 36, 10);
    nodetel_model_add(m, 2, &x, 13 * S);
    memset(s, 0, sizeof *s);
    nodetel_model_take(m, 13 * S, s);
    assert_int_equal(s->node[2].tel_answers, 1);
    assert_int_equal(s->node[2].head_block, 12);
    assert_int_equal(s->node[2].stalled, 1);
    x = sample(16, "aaaaaaaa", 48, 10);
    nodetel_model_add(m, 2, &x, 14 * S);
    memset(s, 0, sizeof *s);
    nodetel_model_take(m, 14 * S, s);
    assert_int_equal(s->node[2].stalled, 0);
    assert_int_equal(s->node[2].forked, 0);
    nodetel_model_free(m);
    nodetel_model_free(NULL);
    free(s);
}

/* Across beacons (same interval): highest head, lowest LIB and
 * participation; block counts not added up. Over time: counts add. */
static void test_merge(void **state)
{
    struct stats_interval *a = calloc(1, sizeof *a), *b = calloc(1, sizeof *b);
    (void)state;

    stats_init(a);
    stats_init(b);
    a->seq = b->seq = 5;
    a->nnodes = b->nnodes = 1;
    a->node[0] = (struct stats_node){.tel_answers = 1, .head_block = 100, .lib_block = 90,
                                     .participation_pct = 100, .missed_blocks = 1,
                                     .block_interval_s = 1, .tel_blocks = 1, .tel_block_txs = 10,
                                     .tel_block_bytes = 1000, .max_block_size = 5000};
    b->node[0] = (struct stats_node){.tel_answers = 1, .head_block = 101, .lib_block = 89,
                                     .participation_pct = 90, .missed_blocks = 0,
                                     .block_interval_s = 1.5, .tel_blocks = 1, .tel_block_txs = 10,
                                     .tel_block_bytes = 1000, .max_block_size = 5000,
                                     .stalled = 1};
    stats_merge(a, b);
    assert_int_equal(a->node[0].head_block, 101);
    assert_int_equal(a->node[0].lib_block, 89);
    assert_true(a->node[0].participation_pct == 90);
    assert_int_equal(a->node[0].missed_blocks, 1);
    assert_true(a->node[0].block_interval_s == 1.5);
    assert_int_equal(a->node[0].tel_blocks, 1);
    assert_int_equal(a->node[0].tel_block_bytes, 1000);
    assert_int_equal(a->node[0].stalled, 1);
    assert_int_equal(a->node[0].tel_answers, 1);
    double pct = 0;
    assert_true(stats_node_fill_pct(&a->node[0], &pct));
    assert_true(pct == 20.0);
    /* A beacon whose node did not answer leaves the figures alone. */
    stats_init(b);
    b->seq = 5;
    b->nnodes = 1;
    stats_merge(a, b);
    assert_int_equal(a->node[0].head_block, 101);
    /* A later interval: counts add, gauges become the later's. */
    stats_init(b);
    b->seq = 6;
    b->nnodes = 1;
    b->node[0] = (struct stats_node){.tel_answers = 1, .head_block = 102, .lib_block = 100,
                                     .tel_blocks = 1, .tel_block_bytes = 3000, .forked = 1};
    stats_merge(a, b);
    assert_int_equal(a->node[0].head_block, 102);
    assert_int_equal(a->node[0].lib_block, 100);
    assert_int_equal(a->node[0].tel_blocks, 2);
    assert_int_equal(a->node[0].tel_answers, 2);
    assert_int_equal(a->node[0].forked, 1);
    assert_int_equal(a->node[0].stalled, 1);
    b->node[0] = (struct stats_node){0};
    assert_false(stats_node_fill_pct(&b->node[0], &pct));
    free(a);
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_participation),
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_model),
        cmocka_unit_test(test_merge),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
