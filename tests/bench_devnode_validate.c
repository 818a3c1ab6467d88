/* bench_devnode_validate.c - devnode's validation throughput on one core:
 * single-transfer transactions as JSON text, parsed and put through every
 * acceptance rule (signature recovery included) and into the pending
 * queue, as broadcast_transaction does. Blocks are produced between
 * batches (not timed). Prints transactions per second; never fails on
 * timing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "chain.h"
#include "err.h"
#include "genesis.h"
#include "sbuf.h"
#include "test_devnode_util.h"
#include "timefmt.h"
#include "txjson.h"
#include "validate.h"

#define N 20000
#define BATCH 1000

static void bench_validate(void **state)
{
    struct chain_opts o = {.max_pending = N, .keep_blocks = 16, .keep_bytes = 64 << 20};
    struct genesis g;
    struct sign_ctx *ctx = sign_ctx_new(NULL);
    struct sign_key *keys[8];
    struct chain *c;
    struct validator *v;
    struct tx tx;
    char err[ERR_LEN], **texts = calloc(N, sizeof *texts);
    size_t *lens = calloc(N, sizeof *lens);
    uint32_t t = 1800000000u;
    uint64_t ns = 0, parse_ns = 0;
    size_t ok = 0;

    (void)state;
    assert_non_null(texts);
    if (genesis_load(&g, getenv("DEVNODE_GENESIS"), err) < 0)
        fail_msg("%s", err);
    c = chain_new(&g, &o, ctx, t, err);
    assert_non_null(c);
    v = validator_new(c, ctx, err);
    assert_non_null(v);
    tx_init(&tx);
    for (int k = 0; k < 8; k++)
        keys[k] = dn_test_key(ctx, k + 1);
    assert_non_null(chain_produce_block(c, ++t, err));
    /* Pre-sign: every transfer from one of the 8 accounts to the next. */
    for (size_t i = 0; i < N; i++) {
        struct sbuf s;
        int k = (int)(i % 8);
        dn_transfer(&tx, chain_head_id(c), t + 3600, 1000 + (uint64_t)k,
                    1000 + (uint64_t)((k + 1) % 8), 1 + (int64_t)(i / 8), 2000000);
        dn_sign(&tx, ctx, keys[k], g.chain_id);
        sbuf_init(&s);
        txjson_render(&s, &tx, true, "TEST");
        texts[i] = s.buf;
        lens[i] = s.len;
    }
    for (size_t i = 0; i < N; i += BATCH) {
        uint64_t t0 = timefmt_mono_ns();
        for (size_t j = i; j < i + BATCH; j++) {
            struct validated vd;
            struct fcerr e;
            uint64_t p0 = timefmt_mono_ns();
            struct jv *root = jv_parse(texts[j], lens[j], JV_MAX_DEPTH, err);
            parse_ns += timefmt_mono_ns() - p0;
            assert_non_null(root);
            if (validator_check(v, root, true, &vd, &e) == 0)
                ok++;
            else
                fail_msg("tx %zu: %s", j, e.message);
            jv_free(root);
        }
        ns += timefmt_mono_ns() - t0;
        assert_non_null(chain_produce_block(c, ++t, err));
    }
    print_message("devnode validation: %zu single-transfer transactions in %.3f s on one core: "
                  "%.0f tx/s (%.1f us each; JSON parse %.1f us)\n",
                  ok, (double)ns / 1e9, ok / ((double)ns / 1e9), (double)ns / 1e3 / ok,
                  (double)parse_ns / 1e3 / ok);
    for (size_t i = 0; i < N; i++)
        free(texts[i]);
    free(texts);
    free(lens);
    for (int k = 0; k < 8; k++)
        sign_key_free(keys[k]);
    tx_clear(&tx);
    validator_free(v);
    chain_free(c);
    genesis_clear(&g);
    sign_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(bench_validate)};

    return cmocka_run_group_tests(tests, NULL, NULL);
}
