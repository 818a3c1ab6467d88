/* agent_job.c - a phase on its own thread: the keys the overseer sent (or
 * the local key file), engine setup and pre-signing, READY, waiting for
 * START, the run with a STATS message per second, then DONE. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent_impl.h"
#include "err.h"
#include "keyfile.h"
#include "sign.h"
#include "timefmt.h"

static void job_event(void *user, const char *text)
{
    struct phase_job *j = user;
    struct proto_msg *m = agent_msg(PROTO_EVENT);

    agent_log("%s", text);
    if (m == NULL)
        return;
    m->u.event.phase = j->conf.phase;
    m->u.event.level = PROTO_WARN;
    snprintf(m->u.event.text, sizeof m->u.event.text, "%s", text);
    agent_post(j->a, m);
}

static void job_stats(void *user, const struct stats_interval *s, enum stats_verdict v,
                      const char *reason, const struct stats_interval *total)
{
    struct phase_job *j = user;
    struct proto_msg *m;

    if (total != NULL) {
        /* The total goes out in DONE, with the CPU figures. */
        j->total = *total;
        j->verdict = v;
        snprintf(j->reason, sizeof j->reason, "%s", reason);
        return;
    }
    m = agent_msg(PROTO_STATS);
    if (m == NULL)
        return;
    m->u.stats.phase = j->conf.phase;
    m->u.stats.second = (uint32_t)s->seq; /* the engine numbers a phase's intervals */
    m->u.stats.verdict = v;
    snprintf(m->u.stats.reason, sizeof m->u.stats.reason, "%s", reason);
    m->u.stats.s = *s;
    agent_post(j->a, m);
}

/* Wipes and frees the account keys a CONFIGURE carried, once parsed. */
void job_wipe_keys(struct proto_configure *c)
{
    if (c->keys_text != NULL) {
        explicit_bzero(c->keys_text, c->keys_len);
        free(c->keys_text);
    }
    c->keys_text = NULL;
    c->keys_len = 0;
}

/* The engine configuration a CONFIGURE describes. */
static void job_engine_config(struct phase_job *j, struct keyfile *kf, struct engine_config *ec)
{
    const struct proto_configure *c = &j->conf;

    engine_defaults(ec);
    ec->nnodes = c->nnodes;
    for (uint32_t i = 0; i < c->nnodes; i++) {
        ec->nodes[i] = c->nodes[i];
        ec->weights[i] = c->weights[i];
    }
    ec->spread = c->spread == PROTO_SPREAD_SINGLE    ? ENGINE_SPREAD_SINGLE
                 : c->spread == PROTO_SPREAD_WEIGHTS ? ENGINE_SPREAD_WEIGHTS
                                                     : ENGINE_SPREAD_ROUND_ROBIN;
    ec->conns_per_node = c->conns_per_node ? c->conns_per_node : 1;
    ec->follow_all = c->follow_all;
    ec->tls_insecure = c->tls_insecure;
    ec->keys = kf;
    ec->curve = c->curve;
    ec->share_index = c->share_index;
    ec->share_count = c->share_count;
    ec->weight_transfer = c->weight_transfer;
    ec->weight_limit_order = c->weight_limit_order;
    ec->ops_per_tx = c->ops_per_tx ? c->ops_per_tx : 1;
    ec->seed = c->seed;
    /* Indices keep growing across phases, so a beacon never signs the same
     * transaction twice (the overseer's offset separates beacons that share
     * accounts). */
    ec->k_offset = c->k_offset + j->k_base;
    if (c->window)
        ec->window = c->window;
    if (c->threads)
        ec->threads = c->threads;
    else if (j->a->cfg->threads)
        ec->threads = j->a->cfg->threads;
    if (c->presign_ahead_s > 0)
        ec->presign_ahead_s = c->presign_ahead_s;
    ec->expire_s = c->expire_s;
    ec->late_ns = c->late_ns;
    ec->drop_horizon_ns = c->drop_horizon_ns;
    ec->ack_timeout_ns = c->ack_timeout_ns;
    ec->drain_ns = c->drain_ns;
    ec->on_stats = job_stats;
    ec->on_event = job_event;
    ec->user = j;
}

static void job_ready(struct phase_job *j, bool ok, const char *error, struct engine *e)
{
    struct proto_msg *m = agent_msg(PROTO_READY);
    struct engine_chain ch;

    if (m == NULL)
        return;
    m->u.ready.phase = j->conf.phase;
    m->u.ready.ok = ok;
    if (error != NULL)
        snprintf(m->u.ready.error, sizeof m->u.ready.error, "%s", error);
    if (e != NULL) {
        engine_chain(e, &ch);
        memcpy(m->u.ready.chain.chain_id, ch.chain_id, sizeof m->u.ready.chain.chain_id);
        m->u.ready.chain.max_tx_size = ch.max_tx_size;
        m->u.ready.chain.max_block_size = ch.max_block_size;
        m->u.ready.chain.block_interval = ch.block_interval;
        m->u.ready.chain.max_expiration = ch.max_expiration;
        m->u.ready.chain.transfer_fee = ch.transfer_fee;
        m->u.ready.chain.order_fee = ch.order_fee;
        m->u.ready.chain.tx_size = (uint32_t)ch.tx_size_unsigned;
        m->u.ready.pool_level = j->items;
    }
    agent_post(j->a, m);
}

void *job_main(void *arg)
{
    struct phase_job *j = arg;
    struct keyfile kf = KEYFILE_INIT;
    struct sign_ctx *sctx = NULL;
    struct engine_config ec;
    struct engine *e = NULL;
    struct engine_cpu cpu;
    struct proto_msg *m;
    char err[ERR_LEN];
    int go;

    sctx = sign_ctx_new(err);
    if (sctx == NULL)
        goto fail;
    if (j->conf.keys_len > 0) {
        int rc = keyfile_parse(&kf, sctx, j->conf.keys_text, j->conf.keys_len, "overseer keys", err);
        /* The keys now live in the signing module only. */
        job_wipe_keys(&j->conf);
        if (rc < 0)
            goto fail;
    } else if (j->a->cfg->accounts_file == NULL) {
        err_set(err, "the overseer sent no account keys and this beacon has no --accounts file");
        goto fail;
    } else if (keyfile_load(&kf, sctx, j->a->cfg->accounts_file, err) < 0) {
        goto fail;
    }
    job_engine_config(j, &kf, &ec);
    agent_log("phase %u \"%s\": setting up against %u node(s)", j->conf.phase, j->conf.phase_name,
              j->conf.nnodes);
    e = engine_new(&ec, err);
    if (e == NULL)
        goto fail;
    atomic_store(&j->engine, e);
    if (engine_prepare(e, j->items, 300000, err) < 0)
        goto fail;
    atomic_store(&j->state, ST_READY);
    job_ready(j, true, NULL, e);
    agent_log("phase %u: ready", j->conf.phase);
    pthread_mutex_lock(&j->lock);
    while (j->go == 0)
        pthread_cond_wait(&j->cv, &j->lock);
    go = j->go;
    pthread_mutex_unlock(&j->lock);
    if (go > 0) {
        uint64_t now = timefmt_mono_ns();
        if (j->start_at > now) {
            struct timespec ts = {(time_t)((j->start_at - now) / 1000000000u),
                                  (long)((j->start_at - now) % 1000000000u)};
            nanosleep(&ts, NULL);
        }
        atomic_store(&j->state, ST_RUNNING);
        /* A STOP that arrived before the engine loop started still counts. */
        for (int i = atomic_load(&j->stop_requests); i > 0; i--)
            engine_stop(e);
        if (engine_run(e, err) < 0)
            job_event(j, err);
        m = agent_msg(PROTO_DONE);
        if (m != NULL) {
            engine_cpu(e, &cpu);
            m->u.done.phase = j->conf.phase;
            m->u.done.verdict = j->verdict;
            snprintf(m->u.done.reason, sizeof m->u.done.reason, "%s", j->reason);
            m->u.done.total = j->total;
            m->u.done.sign_cpu_ns = cpu.sign_ns;
            m->u.done.signed_count = cpu.signed_count;
            m->u.done.send_cpu_ns = cpu.send_ns;
            m->u.done.sent_count = cpu.sent_count;
            /* Before the post: the overseer may answer DONE with the next
             * PREPARE at once, and the agent must then wait for this
             * thread's clean-up instead of refusing it as still running. */
            atomic_store(&j->finished, true);
            agent_post(j->a, m);
        }
        agent_log("phase %u: done", j->conf.phase);
    }
    goto done;
fail:
    agent_log("phase %u: %s", j->conf.phase, err);
    job_ready(j, false, err, NULL);
done:
    atomic_store(&j->engine, NULL);
    if (e != NULL) {
        engine_cpu(e, &cpu);
        j->signed_count = cpu.signed_count;
    }
    engine_free(e);
    keyfile_clear(&kf);
    sign_ctx_free(sctx);
    atomic_store(&j->state, ST_DONE);
    return NULL;
}

