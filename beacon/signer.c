/* signer.c - see signer.h.
 *
 * Each thread signs into its own chunk and publishes whole chunks, so the
 * pool's lock is taken once per chunk. A chunk is published early when the
 * pool runs low, so a slow rate or a drained pool never waits for a full
 * chunk. */
#include "signer.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "blockscan.h"
#include "err.h"
#include "presign.h"
#include "prio.h"
#include "sbuf.h"

#define SIGNER_MAX_THREADS 256
/* An idle signer re-checks the pool level at least this often. Everything
 * that gives it work wakes it (a higher target, the sender taking or
 * recycling a chunk, new TaPoS, a discarded pool, stop), under the lock, so
 * no wakeup is lost; this is only a safety net. At 2 ms it cost ~12 ms of
 * CPU a second per idle beacon in wakeups alone (1,000 a second on this
 * 2-core VM), at 50 ms ~1-2 ms a second per thread. */
#define SIGNER_IDLE_NS 250000000
/* With every chunk in use (the pool at its memory bound), how long to wait
 * before looking for a free one: the sender frees them as it sends. */
#define SIGNER_FULL_NS 2000000

struct signer {
    struct signer_config cfg;
    struct presign_job *jobs; /* one per account: from/to differ */
    pthread_t tid[SIGNER_MAX_THREADS];
    unsigned nthreads;

    pthread_mutex_t lock; /* guards tapos, tapos_set, stop; with wake */
    pthread_cond_t wake;
    uint8_t ref_block_id[TX_BLOCK_ID_LEN];
    uint32_t expiration;
    bool tapos_set;
    bool stop;

    atomic_size_t target;
    atomic_uint_fast64_t next_k;
    atomic_uint_fast64_t signed_count;
    atomic_uint_fast64_t cpu_ns;
    atomic_int failed;
    char err[ERR_LEN];
};

static uint64_t signer_thread_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Waits until there is work (pool below target and TaPoS known) or stop.
 * Returns false on stop. Copies the current TaPoS, and the pool epoch it
 * belongs to (read first: see pool_epoch). */
static bool signer_wait_work(struct signer *s, uint8_t ref[TX_BLOCK_ID_LEN], uint32_t *exp,
                             uint64_t *epoch)
{
    bool go = false;

    pthread_mutex_lock(&s->lock);
    while (!s->stop) {
        if (s->tapos_set && pool_level(s->cfg.pool) < atomic_load(&s->target)) {
            *epoch = pool_epoch(s->cfg.pool);
            memcpy(ref, s->ref_block_id, TX_BLOCK_ID_LEN);
            *exp = s->expiration;
            go = true;
            break;
        }
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts); /* the condition's clock (signer_new) */
        ts.tv_nsec += SIGNER_IDLE_NS;
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&s->wake, &s->lock, &ts);
    }
    pthread_mutex_unlock(&s->lock);
    return go;
}

static void signer_fail(struct signer *s, const char *err)
{
    pthread_mutex_lock(&s->lock);
    if (!atomic_exchange(&s->failed, 1))
        snprintf(s->err, sizeof s->err, "%s", err); /* err may be a short literal */
    s->stop = true;
    pthread_cond_broadcast(&s->wake);
    pthread_mutex_unlock(&s->lock);
}

static void *signer_main(void *arg)
{
    struct signer *s = arg;
    struct presign_scratch scratch;
    struct presign_result res;
    struct presign_job *jobs;
    struct sbuf frame;
    char err[ERR_LEN];
    uint8_t ref[TX_BLOCK_ID_LEN];
    uint32_t exp, carry_exp = 0;
    uint64_t cpu0 = signer_thread_cpu_ns(), carry_k = 0;

    /* Signing is throughput work, sending is latency work: when they share
     * cores, the scheduler should let the network thread run first (see
     * prio.h). A refusal only costs lateness: ignored. */
    (void)prio_throughput_thread(err);

    /* Private copies of the jobs: TaPoS changes are applied without locks. */
    jobs = malloc(s->cfg.naccounts * sizeof *jobs);
    if (jobs == NULL) {
        signer_fail(s, "out of memory");
        return NULL;
    }
    memcpy(jobs, s->jobs, s->cfg.naccounts * sizeof *jobs);
    presign_scratch_init(&scratch);
    sbuf_init(&frame);
    /* A transaction signed when its chunk was full is carried into the
     * next chunk (not into a chunk of its own: that would double the
     * chunks and lock operations), if that chunk is for the same epoch. */
    bool carry = false;
    uint64_t carry_epoch = 0, epoch;
    while (signer_wait_work(s, ref, &exp, &epoch)) {
        struct pool_chunk *c = pool_get_empty(s->cfg.pool);
        size_t items = 0;

        if (c == NULL) { /* every chunk is in use: the pool is at its memory bound */
            struct timespec ts = {0, SIGNER_FULL_NS};
            nanosleep(&ts, NULL);
            continue;
        }
        pool_chunk_set_epoch(c, epoch);
        for (size_t a = 0; a < s->cfg.naccounts; a++) {
            memcpy(jobs[a].gen.ref_block_id, ref, TX_BLOCK_ID_LEN);
            jobs[a].gen.expiration = exp;
        }
        if (carry && carry_epoch != epoch)
            carry = false; /* signed for a chain or TaPoS given up since */
        for (;;) {
            struct pool_item *it;

            if (!carry) {
                uint64_t k = atomic_fetch_add(&s->next_k, 1);
                const struct presign_job *job = &jobs[k % s->cfg.naccounts];
                if (presign_sign(job, k, &scratch, &res, err) < 0) {
                    signer_fail(s, err);
                    break;
                }
                sbuf_reset(&frame);
                presign_render_frame(&frame, job, &scratch);
                if (frame.overflow) {
                    signer_fail(s, "out of memory rendering a frame");
                    break;
                }
                carry_k = k;
                carry_exp = job->gen.expiration;
                atomic_fetch_add_explicit(&s->signed_count, 1, memory_order_relaxed);
            }
            carry = false;
            it = pool_chunk_reserve(c, frame.len);
            if (it == NULL) {
                if (items == 0) {
                    signer_fail(s, "a transaction frame is larger than a pool chunk");
                    break;
                }
                /* Full: keep this one for the next chunk and look at the
                 * pool level (and TaPoS) again before signing more. */
                carry = true;
                carry_epoch = epoch;
                break;
            }
            it->k = carry_k;
            blockscan_key(it->key, res.sig);
            it->expiration = carry_exp;
            it->nops = (uint16_t)scratch.tx.nops;
            memcpy(it->frame, frame.buf, frame.len);
            items++;
            /* Hand over early when the sender is close to starving. */
            if (items >= 16 && pool_level(s->cfg.pool) < atomic_load(&s->target) / 8)
                break;
        }
        pool_publish(s->cfg.pool, c);
        uint64_t cpu1 = signer_thread_cpu_ns();
        atomic_fetch_add_explicit(&s->cpu_ns, cpu1 - cpu0, memory_order_relaxed);
        cpu0 = cpu1;
        if (atomic_load(&s->failed))
            break;
    }
    sbuf_free(&frame);
    presign_scratch_clear(&scratch);
    free(jobs);
    return NULL;
}

struct signer *signer_new(const struct signer_config *cfg, char *err)
{
    struct signer *s;

    if (cfg->naccounts == 0 || cfg->threads == 0 || cfg->threads > SIGNER_MAX_THREADS) {
        err_set(err, "signer needs at least one account and 1..%d threads", SIGNER_MAX_THREADS);
        return NULL;
    }
    s = calloc(1, sizeof *s);
    if (s == NULL || (s->jobs = calloc(cfg->naccounts, sizeof *s->jobs)) == NULL) {
        free(s);
        err_set(err, "out of memory");
        return NULL;
    }
    s->cfg = *cfg;
    for (size_t a = 0; a < cfg->naccounts; a++) {
        struct presign_job *j = &s->jobs[a];
        j->sctx = cfg->sctx;
        j->key = cfg->accounts[a].key;
        memcpy(j->chain_id, cfg->chain_id, TX_CHAIN_ID_LEN);
        j->broadcast_api = cfg->broadcast_api;
        j->gen = cfg->gen;
        j->gen.from = cfg->accounts[a].id;
        j->gen.to = cfg->to_fixed != UINT64_MAX ? cfg->to_fixed
                                                 : cfg->accounts[(a + 1) % cfg->naccounts].id;
        if (txgen_check(&j->gen, err) < 0) {
            err_prefix(err, "account 1.2.%llu", (unsigned long long)j->gen.from);
            free(s->jobs);
            free(s);
            return NULL;
        }
    }
    pthread_mutex_init(&s->lock, NULL);
    /* Timed waits on the monotonic clock: a wall-clock step must not make
     * the signers oversleep or spin. */
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->wake, &ca);
    pthread_condattr_destroy(&ca);
    atomic_init(&s->target, cfg->target_level);
    atomic_init(&s->next_k, 0);
    for (; s->nthreads < cfg->threads; s->nthreads++)
        if (pthread_create(&s->tid[s->nthreads], NULL, signer_main, s) != 0)
            break;
    if (s->nthreads == 0) {
        err_set(err, "cannot start signer threads");
        signer_free(s);
        return NULL;
    }
    return s;
}

void signer_free(struct signer *s)
{
    if (s == NULL)
        return;
    pthread_mutex_lock(&s->lock);
    s->stop = true;
    pthread_cond_broadcast(&s->wake);
    pthread_mutex_unlock(&s->lock);
    for (unsigned i = 0; i < s->nthreads; i++)
        pthread_join(s->tid[i], NULL);
    pthread_cond_destroy(&s->wake);
    pthread_mutex_destroy(&s->lock);
    free(s->jobs);
    free(s);
}

void signer_set_tapos(struct signer *s, const uint8_t block_id[TX_BLOCK_ID_LEN],
                      uint32_t expiration)
{
    pthread_mutex_lock(&s->lock);
    memcpy(s->ref_block_id, block_id, TX_BLOCK_ID_LEN);
    s->expiration = expiration;
    s->tapos_set = true;
    pthread_cond_broadcast(&s->wake);
    pthread_mutex_unlock(&s->lock);
}

/* Wakes one idle thread, or all. Under the lock: a signer between its
 * check of the pool and its wait would otherwise miss this and sleep a
 * whole SIGNER_IDLE_NS. */
static void signer_wake(struct signer *s, bool all)
{
    pthread_mutex_lock(&s->lock);
    if (all)
        pthread_cond_broadcast(&s->wake);
    else
        pthread_cond_signal(&s->wake);
    pthread_mutex_unlock(&s->lock);
}

void signer_set_target(struct signer *s, size_t level)
{
    /* Only a higher target gives idle threads work: no wakeup otherwise.
     * Far below it (a run's start, a big step up) there is work for every
     * thread; the pool target's usual small steps need one. */
    if (atomic_exchange(&s->target, level) < level)
        signer_wake(s, pool_level(s->cfg.pool) < level / 2);
}

void signer_kick(struct signer *s)
{
    signer_wake(s, false);
}

uint64_t signer_count(const struct signer *s)
{
    return atomic_load_explicit(&((struct signer *)s)->signed_count, memory_order_relaxed);
}

uint64_t signer_cpu_ns(const struct signer *s)
{
    return atomic_load(&((struct signer *)s)->cpu_ns);
}

int signer_failed(struct signer *s, char *err)
{
    if (!atomic_load(&s->failed))
        return 0;
    pthread_mutex_lock(&s->lock);
    memcpy(err, s->err, ERR_LEN);
    pthread_mutex_unlock(&s->lock);
    return -1;
}
