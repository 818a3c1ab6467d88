/* test_threads.c - the beacon's threads together, for ThreadSanitizer (the
 * tsan build of scripts/test.sh) as much as for their results:
 *  - the pool with several producer threads and one consumer: every item
 *    arrives once, each producer's in order;
 *  - the shipped signer threads filling the pool while a consumer drains it
 *    and the main thread moves TaPoS and the target level: every
 *    transaction index once, frames well formed;
 *  - the engine (network + sending thread, signer threads, block tracker)
 *    against a devnode child process, run to its end, and stopped from
 *    another thread mid-run.
 * Every loop is bounded in count and time. */
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine.h"
#include "err.h"
#include "hash.h"
#include "keyfile.h"
#include "pool.h"
#include "ratectl.h"
#include "signer.h"
#include "sign.h"
#include "test_devnode_util.h"
#include "timefmt.h"
#include "txgen.h"

#define SEC 1000000000ull

/* ---- pool: several producers, one consumer ---- */

#define P_THREADS 4
#define P_ITEMS 20000

struct producer {
    struct pool *pool;
    unsigned id;
};

static void *producer_main(void *arg)
{
    struct producer *p = arg;
    struct pool_chunk *c = NULL;
    uint64_t deadline = timefmt_mono_ns() + 60 * SEC;

    for (uint64_t i = 0; i < P_ITEMS; i++) {
        struct pool_item *it = NULL;
        char text[40];
        int n = snprintf(text, sizeof text, "{\"p\":%u,\"i\":%llu}", p->id, (unsigned long long)i);

        while (c == NULL || (it = pool_chunk_reserve(c, (size_t)n)) == NULL) {
            if (c != NULL) {
                pool_publish(p->pool, c);
                c = NULL;
            }
            while ((c = pool_get_empty(p->pool)) == NULL) {
                if (timefmt_mono_ns() > deadline)
                    abort(); /* the consumer stopped taking */
                sched_yield();
            }
        }
        it->k = ((uint64_t)p->id << 32) | i;
        it->frame_len = (uint32_t)n;
        it->nops = 1;
        memcpy(it->frame, text, (size_t)n);
    }
    if (c != NULL)
        pool_publish(p->pool, c);
    return NULL;
}

static void test_pool_producers(void **state)
{
    (void)state;
    char err[ERR_LEN];
    /* Few, small chunks: the producers wait for the consumer all the time. */
    struct pool *pool = pool_new(4096, 8, err);
    struct producer prod[P_THREADS];
    pthread_t tid[P_THREADS];
    uint64_t next[P_THREADS] = {0}, got = 0;
    uint64_t deadline = timefmt_mono_ns() + 60 * SEC;

    assert_non_null(pool);
    for (unsigned i = 0; i < P_THREADS; i++) {
        prod[i] = (struct producer){pool, i};
        assert_int_equal(pthread_create(&tid[i], NULL, producer_main, &prod[i]), 0);
    }
    while (got < (uint64_t)P_THREADS * P_ITEMS && timefmt_mono_ns() < deadline) {
        struct pool_chunk *c = pool_take(pool);
        const struct pool_item *it;

        if (c == NULL) {
            sched_yield();
            continue;
        }
        while ((it = pool_chunk_next(pool, c)) != NULL) {
            unsigned p = (unsigned)(it->k >> 32);
            uint64_t i = it->k & 0xffffffffu;
            char want[40];
            int n;

            assert_true(p < P_THREADS);
            /* Each producer's items arrive once and in its order. */
            assert_int_equal(i, next[p]);
            next[p]++;
            n = snprintf(want, sizeof want, "{\"p\":%u,\"i\":%llu}", p, (unsigned long long)i);
            assert_int_equal(it->frame_len, (uint32_t)n);
            assert_memory_equal(it->frame, want, (size_t)n);
            got++;
        }
        pool_recycle(pool, c);
    }
    for (unsigned i = 0; i < P_THREADS; i++) {
        assert_int_equal(pthread_join(tid[i], NULL), 0);
        assert_int_equal(next[i], P_ITEMS);
    }
    assert_int_equal(got, (uint64_t)P_THREADS * P_ITEMS);
    assert_null(pool_take(pool));
    pool_free(pool);
}

/* ---- the signer threads and the pool, with a concurrent consumer ---- */

#define S_TOTAL 6000

struct consumer {
    struct pool *pool;
    struct signer *signer;
    _Atomic uint64_t got;
    _Atomic int stop;
    uint8_t *seen; /* S_TOTAL * 4 flags, indexed by k */
    _Atomic int bad;
};

static void *consumer_main(void *arg)
{
    struct consumer *c = arg;

    while (!atomic_load(&c->stop)) {
        struct pool_chunk *ch = pool_take(c->pool);
        const struct pool_item *it;

        if (ch == NULL) {
            usleep(100);
            continue;
        }
        while ((it = pool_chunk_next(c->pool, ch)) != NULL) {
            /* A broadcast frame with its blank id field. */
            if (it->k >= 4 * S_TOTAL || c->seen[it->k]++ != 0 || it->frame_len < 40 ||
                memcmp(it->frame, "{\"id\":", 6) != 0 || it->frame[it->frame_len - 1] != '}')
                atomic_store(&c->bad, 1);
            atomic_fetch_add(&c->got, 1);
        }
        pool_recycle(c->pool, ch);
        signer_kick(c->signer); /* as the sender does after taking */
    }
    return NULL;
}

static void test_signer_pool(void **state)
{
    (void)state;
    char err[ERR_LEN];
    uint8_t secret[32], block_id[TX_BLOCK_ID_LEN] = {0, 0, 0, 7};
    struct sign_ctx *sctx = sign_ctx_new(err);
    struct sign_key *key;
    struct signer_account acc[3];
    struct signer_config cfg = {0};
    struct consumer c = {0};
    pthread_t tid;
    uint64_t deadline;

    assert_non_null(sctx);
    hash_sha256(secret, "test_threads", 12);
    key = sign_key_from_secret(sctx, secret, err);
    assert_non_null(key);
    for (int i = 0; i < 3; i++)
        acc[i] = (struct signer_account){100 + (uint64_t)i, key};
    cfg.sctx = sctx;
    hash_sha256(cfg.chain_id, "threads chain", 13);
    cfg.broadcast_api = 2;
    txgen_defaults(&cfg.gen);
    cfg.gen.weight_transfer = 70;
    cfg.gen.weight_limit_order = 30;
    cfg.accounts = acc;
    cfg.naccounts = 3;
    cfg.to_fixed = UINT64_MAX;
    cfg.threads = 2;
    cfg.pool = pool_new(16384, 64, err);
    assert_non_null(cfg.pool);
    cfg.target_level = 500;
    c.pool = cfg.pool;
    c.seen = calloc(4 * S_TOTAL, 1);
    assert_non_null(c.seen);
    struct signer *s = signer_new(&cfg, err);
    assert_non_null(s);
    c.signer = s;
    assert_int_equal(pthread_create(&tid, NULL, consumer_main, &c), 0);

    /* The main thread plays the engine: new TaPoS and targets while both run. */
    deadline = timefmt_mono_ns() + 60 * SEC;
    for (uint32_t round = 0; atomic_load(&c.got) < S_TOTAL && timefmt_mono_ns() < deadline; round++) {
        block_id[4] = (uint8_t)round;
        signer_set_tapos(s, block_id, 1893456000u + round);
        signer_set_target(s, 200 + (round % 5) * 300);
        usleep(5000);
        assert_int_equal(signer_failed(s, err), 0);
    }
    assert_true(atomic_load(&c.got) >= S_TOTAL);
    /* The consumer stops (it calls signer_kick, as the sender does: the
     * engine stops its sender first too), then the signer, while its threads
     * still work: the pool is below the target the loop last set. */
    atomic_store(&c.stop, 1);
    assert_int_equal(pthread_join(tid, NULL), 0);
    signer_set_target(s, 100000);
    signer_free(s);
    assert_int_equal(atomic_load(&c.bad), 0);
    pool_free(cfg.pool);
    free(c.seen);
    sign_key_free(key);
    sign_ctx_free(sctx);
}

/* ---- the engine against a devnode ---- */

struct run_totals {
    _Atomic int done;
    struct stats_counters total;
    uint64_t intervals;
};

static void on_stats(void *user, const struct stats_interval *s, enum stats_verdict v,
                     const char *reason, const struct stats_interval *total)
{
    struct run_totals *t = user;
    (void)s;
    (void)v;
    (void)reason;
    if (total != NULL) {
        t->total = total->c;
        atomic_store(&t->done, 1);
    } else {
        t->intervals++;
    }
}

static void on_event(void *user, const char *text)
{
    (void)user;
    printf("# event: %s\n", text);
}

/* The devnode's test accounts alice and bob as a key file. */
static void test_keys(struct keyfile *kf, struct sign_ctx *sctx)
{
    char text[512], wif[SIGN_WIF_MAX], err[ERR_LEN];
    size_t n = 0;
    static const char *const names[] = {"alice", "bob"};

    for (int i = 0; i < 2; i++) {
        struct sign_key *k = dn_test_key(sctx, i + 1);
        sign_key_wif(k, wif);
        n += (size_t)snprintf(text + n, sizeof text - n, "%s %s\n", names[i], wif);
        sign_key_free(k);
    }
    assert_int_equal(keyfile_parse(kf, sctx, text, n, "test keys", err), 0);
}

struct stopper {
    struct engine *e;
    uint64_t after_ns;
};

static void *stopper_main(void *arg)
{
    struct stopper *st = arg;
    usleep((useconds_t)(st->after_ns / 1000));
    engine_stop(st->e);
    return NULL;
}

/* rate tx/s for secs seconds; stop_after_ns > 0: engine_stop from another thread then. */
static void engine_round(const struct dn *d, const char *rate, uint64_t secs, uint64_t stop_after_ns,
                         struct run_totals *t)
{
    char url[64], err[ERR_LEN];
    struct sign_ctx *sctx = sign_ctx_new(err);
    struct keyfile kf = KEYFILE_INIT;
    struct engine_config cfg;
    struct engine *e;
    struct stopper st;
    pthread_t tid;

    assert_non_null(sctx);
    test_keys(&kf, sctx);
    snprintf(url, sizeof url, "ws://127.0.0.1:%d", d->port);
    engine_defaults(&cfg);
    cfg.nodes[0] = url;
    cfg.nnodes = 1;
    cfg.conns_per_node = 2;
    cfg.keys = &kf;
    cfg.threads = 2;
    cfg.drain_ns = 3 * SEC;
    ratectl_curve_init(&cfg.curve);
    assert_int_equal(ratectl_parse_rate(&cfg.curve, rate, secs * SEC, err), 0);
    cfg.on_stats = on_stats;
    cfg.on_event = on_event;
    cfg.user = t;
    e = engine_new(&cfg, err);
    if (e == NULL)
        fail_msg("engine_new: %s", err);
    assert_int_equal(engine_prepare(e, 500, 60000, err), 0);
    if (stop_after_ns > 0) {
        st = (struct stopper){e, stop_after_ns};
        assert_int_equal(pthread_create(&tid, NULL, stopper_main, &st), 0);
    }
    if (engine_run(e, err) < 0)
        fail_msg("engine_run: %s", err);
    if (stop_after_ns > 0)
        assert_int_equal(pthread_join(tid, NULL), 0);
    engine_free(e);
    keyfile_clear(&kf);
    sign_ctx_free(sctx);
    assert_int_equal(atomic_load(&t->done), 1);
}

static void test_engine_devnode(void **state)
{
    (void)state;
    /* The genesis (DEVNODE_GENESIS) has alice and bob with dn_test_key's keys. */
    static const char *const args[] = {"--block-interval", "0.5", NULL};
    struct dn d;
    struct run_totals t = {0}, u = {0};
    uint64_t t0;

    dn_start(&d, args);

    /* 200 tx/s for 3 s over 2 connections: every transaction sent, accepted, confirmed. */
    engine_round(&d, "200", 3, 0, &t);
    printf("# run: offered %llu sent %llu accepted %llu confirmed %llu in %llu intervals\n",
           (unsigned long long)t.total.offered, (unsigned long long)t.total.sent,
           (unsigned long long)t.total.accepted, (unsigned long long)t.total.confirmed,
           (unsigned long long)t.intervals);
    assert_true(t.total.offered >= 580 && t.total.offered <= 620);
    assert_int_equal(t.total.sent, t.total.offered);
    assert_int_equal(t.total.accepted, t.total.sent);
    assert_int_equal(t.total.confirmed, t.total.accepted);

    /* A 60 s schedule stopped from another thread after 1.5 s ends with the drain. */
    t0 = timefmt_mono_ns();
    engine_round(&d, "200", 60, 1500000000ull, &u);
    printf("# stopped run: sent %llu accepted %llu after %.1f s\n",
           (unsigned long long)u.total.sent, (unsigned long long)u.total.accepted,
           (double)(timefmt_mono_ns() - t0) / 1e9);
    assert_true(timefmt_mono_ns() - t0 < 30 * SEC);
    assert_true(u.total.sent > 0 && u.total.sent < 60 * 200 / 2);
    assert_int_equal(u.total.accepted, u.total.sent);
    assert_int_equal(dn_stop(&d), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pool_producers),
        cmocka_unit_test(test_signer_pool),
        cmocka_unit_test(test_engine_devnode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
