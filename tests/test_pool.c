/* test_pool.c - the pre-sign pool and the signer threads that fill it:
 *  - chunks are filled, not followed by one-item chunks (issue 14.6);
 *  - the level never goes below zero while a consumer takes chunks the
 *    moment they are published (issue 14.7: it wrapped to ~1.8e19);
 *  - pool_discard drops the published chunks and those of the old epoch
 *    published later; the signers' keys are the signatures' bytes. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "err.h"
#include "hex.h"
#include "jv.h"
#include "pool.h"
#include "signer.h"
#include "sign.h"
#include "testutil.h"
#include "timefmt.h"

/* Signers with a target of 2,000 transactions in 32 KiB chunks: every
 * chunk but those handed over early (>= 16 items, when the pool is low)
 * is full, and none holds a single item. */
static void test_signer_chunks(void **state)
{
    (void)state;
    struct jv *v = tu_vector_json("transfer.json");
    const char *wif = tu_str(jv_get(v, "signer"), "wif");
    char err[ERR_LEN];
    struct sign_ctx *sctx = sign_ctx_new(err);
    struct sign_key *key = sign_key_from_wif(sctx, wif, strlen(wif), err);
    struct signer_account acc[2] = {{1000, key}, {1001, key}};
    struct pool *p = pool_new(32 * 1024, 1000, err);
    struct signer_config cfg = {0};
    struct signer *s;
    uint8_t ref[TX_BLOCK_ID_LEN] = {0, 0, 0, 7};
    size_t chunks = 0, items = 0, ones = 0, small = 0;
    struct pool_chunk *c;

    assert_non_null(key);
    assert_non_null(p);
    cfg.sctx = sctx;
    hex_decode_exact(cfg.chain_id, 32, tu_str(v, "chain_id"), 64, err);
    cfg.broadcast_api = 2;
    txgen_defaults(&cfg.gen);
    cfg.gen.transfer_fee.amount = 1;
    cfg.accounts = acc;
    cfg.naccounts = 2;
    cfg.to_fixed = UINT64_MAX;
    cfg.threads = 2;
    cfg.pool = p;
    cfg.target_level = 2000;
    s = signer_new(&cfg, err);
    assert_non_null(s);
    signer_set_tapos(s, ref, 1893456000u);
    uint64_t deadline = timefmt_mono_ns() + 60000000000u;
    while (pool_level(p) < 2000 && timefmt_mono_ns() < deadline) {
        struct timespec ts = {0, 5000000};
        nanosleep(&ts, NULL);
    }
    signer_free(s);
    assert_true(pool_level(p) >= 2000);
    while ((c = pool_take(p)) != NULL) {
        const struct pool_item *it;
        size_t n = 0;
        while ((it = pool_chunk_next(p, c)) != NULL) {
            n++;
            assert_true(it->frame_len > 0);
        }
        chunks++;
        items += n;
        ones += n == 1;
        small += n < 16;
        pool_recycle(p, c);
    }
    assert_int_equal(ones, 0);
    assert_int_equal(small, 0);
    /* ~70 transfers fit in 32 KiB: the chunks are few. */
    if (chunks * 40 > items)
        fail_msg("%zu chunks for %zu items", chunks, items);
    assert_int_equal(pool_level(p), 0);
    pool_free(p);
    sign_key_free(key);
    sign_ctx_free(sctx);
    jv_free(v);
}

struct race {
    struct pool *p;
    atomic_bool stop;
    atomic_size_t worst; /* the highest level the consumer read */
};

static void *race_consumer(void *arg)
{
    struct race *r = arg;

    while (!atomic_load(&r->stop)) {
        struct pool_chunk *c = pool_take(r->p);
        if (c == NULL)
            continue;
        while (pool_chunk_next(r->p, c) != NULL) {
            size_t level = pool_level(r->p);
            if (level > atomic_load(&r->worst))
                atomic_store(&r->worst, level);
        }
        pool_recycle(r->p, c);
    }
    return NULL;
}

/* The producer publishes small chunks as fast as it can while a consumer
 * takes them at once: the level stays within what was published (it read
 * ~1.8e19 when the count was published after the chunk). Bounded: 10^6
 * chunks or 3 s. */
static void test_level_never_wraps(void **state)
{
    (void)state;
    char err[ERR_LEN];
    struct race r = {.p = pool_new(4096, 64, err)};
    pthread_t tid;
    uint64_t deadline = timefmt_mono_ns() + 3000000000u;

    assert_non_null(r.p);
    assert_int_equal(pthread_create(&tid, NULL, race_consumer, &r), 0);
    for (int i = 0; i < 1000000 && timefmt_mono_ns() < deadline; i++) {
        struct pool_chunk *c = pool_get_empty(r.p);
        if (c == NULL)
            continue; /* all in use: the consumer catches up */
        for (int k = 0; k < 4; k++)
            assert_non_null(pool_chunk_reserve(c, 100));
        pool_publish(r.p, c);
    }
    atomic_store(&r.stop, true);
    pthread_join(tid, NULL);
    /* 64 chunks of 4 items at most were ever published and not taken. */
    if (atomic_load(&r.worst) > 64 * 4)
        fail_msg("the pool level read %zu", atomic_load(&r.worst));
    pool_free(r.p);
}

static void test_discard(void **state)
{
    (void)state;
    char err[ERR_LEN];
    struct pool *p = pool_new(4096, 8, err);
    struct pool_chunk *a, *b, *c;
    uint64_t e0 = pool_epoch(p);

    a = pool_get_empty(p);
    b = pool_get_empty(p);
    assert_non_null(pool_chunk_reserve(a, 100));
    assert_non_null(pool_chunk_reserve(a, 100));
    assert_non_null(pool_chunk_reserve(b, 100));
    assert_true(pool_publish(p, a));
    assert_int_equal(pool_level(p), 2);
    assert_int_equal(pool_discard(p), 2);
    assert_int_equal(pool_level(p), 0);
    assert_null(pool_take(p));
    assert_true(pool_epoch(p) != e0);
    /* b was being filled for the old epoch: refused when published. */
    assert_false(pool_publish(p, b));
    assert_int_equal(pool_level(p), 0);
    assert_null(pool_take(p));
    /* A chunk marked with the new epoch goes through. */
    c = pool_get_empty(p);
    assert_non_null(pool_chunk_reserve(c, 100));
    assert_true(pool_publish(p, c));
    assert_int_equal(pool_level(p), 1);
    assert_non_null(c = pool_take(p));
    pool_recycle(p, c);
    assert_int_equal(pool_level(p), 0);
    pool_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_signer_chunks),
        cmocka_unit_test(test_level_never_wraps),
        cmocka_unit_test(test_discard),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
