/* engine.c - see engine.h. The send path itself is in send.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine_impl.h"
#include "err.h"
#include "hex.h"
#include "prio.h"
#include "timefmt.h"
#include "txgen.h"

/* Small enough that a chunk fills in a few milliseconds at low rates, big
 * enough that the pool's lock is taken once per ~60 transactions. */
#define ENGINE_CHUNK_BYTES (32 * 1024)

void engine_defaults(struct engine_config *cfg)
{
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

    memset(cfg, 0, sizeof *cfg);
    cfg->spread = ENGINE_SPREAD_ROUND_ROBIN;
    cfg->conns_per_node = 1;
    ratectl_curve_init(&cfg->curve);
    ratectl_curve_add(&cfg->curve, 1000, 1000, 10000000000u, NULL);
    cfg->window = 4096;
    cfg->weight_transfer = 100;
    cfg->ops_per_tx = 1;
    cfg->transfer_amount = 1;
    cfg->sell_amount = 100000;
    cfg->receive_amount = 1;
    cfg->receive_asset = 1;
    cfg->seed = 1;
    cfg->threads = ncpu > 1 ? (unsigned)ncpu - 1 : 1;
    cfg->presign_ahead_s = 5;
}

/* Requests in flight over every connection: window x nodes x connections,
 * in 64 bits (in 32 bits 4096 x 64 x 16384 would wrap to 0). */
static uint64_t engine_window_total(const struct engine_config *cfg)
{
    return (uint64_t)cfg->window * cfg->nnodes * cfg->conns_per_node;
}

/* The largest unsigned packed size of the shapes the mix can produce. */
static size_t engine_max_tx_size(const struct txgen_config *g)
{
    struct txgen_config shape = *g;
    struct tx tx;
    size_t worst = 0;

    tx_init(&tx);
    for (int kind = 0; kind < 2; kind++) {
        if ((kind == 0 ? g->weight_transfer : g->weight_limit_order) == 0)
            continue;
        shape.weight_transfer = kind == 0;
        shape.weight_limit_order = kind == 1;
        /* The largest index we could reach makes the largest varints. */
        if (txgen_build(&shape, (uint64_t)1 << 39, &tx, NULL) == 0 &&
            tx_packed_size(&tx, false) > worst)
            worst = tx_packed_size(&tx, false);
    }
    tx_clear(&tx);
    return worst;
}

/* Setup against every node; fills e->chain, accounts, fees. */
static int engine_setup(struct engine *e, struct txgen_config *gen, char *err)
{
    const struct engine_config *cfg = &e->cfg;
    struct rpcsync *r = NULL;
    int rc = -1;

    for (size_t i = 0; i < cfg->nnodes; i++) {
        r = rpcsync_new(cfg->nodes[i], cfg->tls_insecure, cfg->ca_file, SETUP_TIMEOUT_MS, err);
        if (r == NULL)
            goto cleanup;
        if (i == 0) {
            if (setup_chain(r, &e->chain, err) < 0 ||
                setup_accounts(r, cfg->keys, &e->chain, e->accounts, err) < 0)
                goto cleanup;
            e->info.transfer_fee = 0;
            if (setup_fees(r, e->accounts[0].id, e->accounts[cfg->keys->n > 1].id,
                           cfg->sell_asset, cfg->receive_asset, &e->info.transfer_fee,
                           &e->info.order_fee, err) < 0)
                goto cleanup;
        } else if (setup_same_chain(r, &e->chain, err) < 0) {
            goto cleanup;
        }
        rpcsync_free(r);
        r = NULL;
    }
    gen->transfer_fee.amount = e->info.transfer_fee;
    gen->order_fee.amount = e->info.order_fee;
    e->info.tx_size_unsigned = engine_max_tx_size(gen);
    if (e->info.tx_size_unsigned > e->chain.max_tx_size) {
        err_set(err, "a transaction of %u operation(s) packs to %zu bytes, over the chain's "
                "maximum_transaction_size of %u bytes: use fewer operations per transaction",
                cfg->ops_per_tx, e->info.tx_size_unsigned, e->chain.max_tx_size);
        goto cleanup;
    }
    rc = 0;
cleanup:
    rpcsync_free(r);
    return rc;
}

static int engine_start_parts(struct engine *e, struct txgen_config *gen, char *err)
{
    const struct engine_config *cfg = &e->cfg;
    struct signer_config scfg = {0};
    struct tracker_config tcfg = {cfg->nodes, cfg->follow_all ? cfg->nnodes : 1,
                                  cfg->tls_insecure, cfg->ca_file, e->chain.max_block_size,
                                  cfg->nnodes, e->chain.block_interval};
    struct ratectl_opts ro = {0};
    double peak = 0;
    uint32_t expire;

    /* Pool sized for presign_ahead seconds of the curve's peak rate. */
    for (size_t i = 0; i < cfg->curve.nseg; i++) {
        if (cfg->curve.seg[i].from > peak)
            peak = cfg->curve.seg[i].from;
        if (cfg->curve.seg[i].to > peak)
            peak = cfg->curve.seg[i].to;
    }
    if (cfg->curve.unlimited)
        peak = 50000;
    /* Frames grow with operations (~350 bytes each in JSON): the pool is
     * bounded in bytes as well as in time, so that a few huge transactions
     * (the P2P limit search) cannot take gigabytes. */
    size_t frame = 700 + 350 * (size_t)cfg->ops_per_tx;
    size_t chunk = ENGINE_CHUNK_BYTES > 4 * frame ? ENGINE_CHUNK_BYTES : 4 * frame;
    size_t min_items = (64u << 20) / frame, max_items = (512u << 20) / frame;
    if (min_items > 2000)
        min_items = 2000;
    if (min_items < 4)
        min_items = 4;
    if (max_items < min_items)
        max_items = min_items;
    e->pool_target = (size_t)(peak * cfg->presign_ahead_s / (cfg->share_count ? cfg->share_count : 1));
    if (e->pool_target < min_items)
        e->pool_target = min_items;
    if (e->pool_target > max_items)
        e->pool_target = max_items;
    /* Twice the target in bytes, plus a chunk per signer being filled and
     * one being sent. */
    e->pool = pool_new(chunk, 2 * e->pool_target * frame / chunk + 2 * cfg->threads + 8, err);
    if (e->pool == NULL)
        return -1;
    e->tracker = tracker_new(&tcfg, err);
    if (e->tracker == NULL)
        return -1;
    scfg.sctx = e->sctx;
    memcpy(scfg.chain_id, e->chain.chain_id, TX_CHAIN_ID_LEN);
    scfg.broadcast_api = e->chain.broadcast_api;
    scfg.gen = *gen;
    scfg.accounts = e->saccts;
    scfg.naccounts = cfg->keys->n;
    scfg.to_fixed = UINT64_MAX;
    scfg.threads = cfg->threads;
    scfg.pool = e->pool;
    scfg.target_level = 0; /* set once the rate controller exists */
    e->signer = signer_new(&scfg, err);
    if (e->signer == NULL)
        return -1;
    /* Expire well after a transaction could still be waiting in the pool,
     * within what the chain allows. */
    expire = cfg->expire_s ? cfg->expire_s : (uint32_t)(cfg->presign_ahead_s * 4) + 120;
    if (expire + 30 > e->chain.max_expiration)
        expire = e->chain.max_expiration > 60 ? e->chain.max_expiration - 30 : e->chain.max_expiration / 2;
    e->cfg.expire_s = expire;
    signer_set_tapos(e->signer, e->chain.head_id, e->chain.head_time + expire);
    e->head_time_est = e->chain.head_time;
    ro.drop_horizon_ns = cfg->drop_horizon_ns;
    ro.late_ns = cfg->late_ns;
    /* engine_new checked that the product fits (see engine_window_total). */
    ro.window = cfg->curve.unlimited ? (uint32_t)engine_window_total(cfg) : 0;
    ro.share_index = cfg->share_index;
    ro.share_count = cfg->share_count;
    ro.lateness = &e->cur.lateness;
    e->rc = ratectl_new(&cfg->curve, &ro, err);
    if (e->rc == NULL)
        return -1;
    signer_set_target(e->signer, engine_pool_want(e, 0));
    return 0;
}

static int engine_connect(struct engine *e, char *err)
{
    /* Sending connections get acks and errors: 256 KiB, or 4x the largest
     * transaction sent (fc's error stack can echo it), bounds what a
     * hostile node makes this thread buffer and parse. */
    struct wsc_config wcfg = {.tls_insecure = e->cfg.tls_insecure, .ca_file = e->cfg.ca_file,
                              .max_rx = 256u << 10, .max_rx_per_sent = 4};

    e->w = wsc_new(&wcfg, &send_callbacks, e, err);
    if (e->w == NULL)
        return -1;
    e->nconns = e->cfg.nnodes * e->cfg.conns_per_node;
    e->conns = calloc(e->nconns, sizeof *e->conns);
    if (e->conns == NULL)
        return err_set(err, "out of memory");
    for (size_t i = 0; i < e->nconns; i++) {
        struct send_conn *c = &e->conns[i];
        c->e = e;
        c->node = (unsigned)(i / e->cfg.conns_per_node);
        c->slots = calloc(e->cfg.window, sizeof *c->slots);
        if (c->slots == NULL)
            return err_set(err, "out of memory");
        c->wc = wsc_connect(e->w, e->cfg.nodes[c->node], c, err);
        if (c->wc == NULL)
            return -1;
    }
    for (size_t i = 0; i < e->cfg.nnodes; i++)
        e->nodes[i].weight = e->cfg.spread == ENGINE_SPREAD_WEIGHTS ? e->cfg.weights[i] : 1;
    return 0;
}

struct engine *engine_new(const struct engine_config *cfg, char *err)
{
    struct engine *e = calloc(1, sizeof *e);
    struct txgen_config gen;

    if (e == NULL) {
        err_set(err, "out of memory");
        return NULL;
    }
    e->cfg = *cfg;
    if (e->cfg.ack_timeout_ns == 0)
        e->cfg.ack_timeout_ns = 10000000000u;
    if (e->cfg.drop_horizon_ns == 0)
        e->cfg.drop_horizon_ns = 5000000000u;
    if (e->cfg.send_tick_ns == 0)
        e->cfg.send_tick_ns = ENGINE_SEND_TICK_NS;
    if (cfg->nnodes == 0 || cfg->nnodes > ENGINE_MAX_NODES || cfg->keys == NULL ||
        cfg->keys->n == 0 || cfg->conns_per_node == 0 || cfg->window == 0) {
        err_set(err, "engine needs 1..%d nodes, a key file with accounts, connections and a window",
                ENGINE_MAX_NODES);
        goto fail;
    }
    if (engine_window_total(cfg) > UINT32_MAX) {
        err_set(err, "window %u x %zu nodes x %u connections per node is over %u requests "
                "in flight", cfg->window, cfg->nnodes, cfg->conns_per_node, UINT32_MAX);
        goto fail;
    }
    stats_init(&e->cur);
    stats_init(&e->prev);
    stats_init(&e->total);
    txgen_defaults(&gen);
    gen.weight_transfer = cfg->weight_transfer;
    gen.weight_limit_order = cfg->weight_limit_order;
    gen.ops_per_tx = cfg->ops_per_tx;
    gen.seed = cfg->seed;
    gen.k_offset = cfg->k_offset;
    gen.transfer_amount = cfg->transfer_amount;
    gen.transfer_asset = cfg->transfer_asset;
    gen.sell_amount = cfg->sell_amount;
    gen.sell_asset = cfg->sell_asset;
    gen.receive_amount = cfg->receive_amount;
    gen.receive_asset = cfg->receive_asset;
    e->sctx = sign_ctx_new(err);
    e->accounts = calloc(cfg->keys->n, sizeof *e->accounts);
    e->saccts = calloc(cfg->keys->n, sizeof *e->saccts);
    if (e->sctx == NULL || e->accounts == NULL || e->saccts == NULL) {
        if (e->sctx != NULL)
            err_set(err, "out of memory");
        goto fail;
    }
    if (engine_setup(e, &gen, err) < 0)
        goto fail;
    if (cfg->keys->n < 2 && cfg->weight_transfer > 0) {
        err_set(err, "transfers need at least two accounts in the key file (they pay each other)");
        goto fail;
    }
    for (size_t i = 0; i < cfg->keys->n; i++) {
        e->saccts[i].id = e->accounts[i].id;
        e->saccts[i].key = cfg->keys->entries[i].key;
    }
    hex_encode(e->info.chain_id, e->chain.chain_id, TX_CHAIN_ID_LEN);
    e->info.max_tx_size = e->chain.max_tx_size;
    e->info.max_block_size = e->chain.max_block_size;
    e->info.block_interval = e->chain.block_interval;
    e->info.max_expiration = e->chain.max_expiration;
    snprintf(e->info.key_prefix, sizeof e->info.key_prefix, "%s", e->chain.key_prefix);
    if (engine_start_parts(e, &gen, err) < 0 || engine_connect(e, err) < 0)
        goto fail;
    return e;
fail:
    engine_free(e);
    return NULL;
}

void engine_free(struct engine *e)
{
    if (e == NULL)
        return;
    signer_free(e->signer);
    tracker_free(e->tracker);
    wsc_free(e->w);
    for (size_t i = 0; e->conns != NULL && i < e->nconns; i++)
        free(e->conns[i].slots);
    free(e->conns);
    if (e->chunk != NULL)
        pool_recycle(e->pool, e->chunk);
    pool_free(e->pool);
    ratectl_free(e->rc);
    free(e->accounts);
    free(e->saccts);
    sign_ctx_free(e->sctx);
    free(e);
}

int engine_prepare(struct engine *e, uint64_t items, unsigned timeout_ms, char *err)
{
    uint64_t deadline = timefmt_mono_ns() + (uint64_t)timeout_ms * 1000000u;

    size_t want = engine_pool_want(e, 0);

    if (items > want)
        items = want;
    while (pool_level(e->pool) < items) {
        if (signer_failed(e->signer, err) < 0)
            return -1;
        if (timefmt_mono_ns() > deadline)
            return err_set(err, "pre-signing %llu transactions took over %u ms (have %zu)",
                           (unsigned long long)items, timeout_ms, pool_level(e->pool));
        wsc_service(e->w, 10); /* lets connections open meanwhile */
    }
    return 0;
}

void engine_stop(struct engine *e)
{
    int s = atomic_load(&e->stop);

    while (s < 2 && !atomic_compare_exchange_weak(&e->stop, &s, s + 1))
        ;
    wsc_wake(e->w);
}

/* Closes the interval that ends now: gauges, tracker's part, verdict,
 * callback; starts the next. */
static void engine_second(struct engine *e, uint64_t now)
{
    struct ratectl_counters rcnt;
    struct procstat_snap ps;
    struct procstat_rates pr;
    enum stats_verdict v;
    char reason[96];
    uint8_t ref[TX_BLOCK_ID_LEN];
    uint32_t head_time;

    /* Drops are split into the node's and the beacon's before the
     * counters are read (the ledger needs both, and only both, to add up). */
    send_settle(e, now);
    ratectl_counters(e->rc, &rcnt);
    e->cur.c.offered = rcnt.offered - e->reported.offered;
    e->cur.c.late = rcnt.late - e->reported.late;
    e->cur.c.held = rcnt.held - e->reported.held;
    e->cur.c.dropped = rcnt.dropped - e->reported.dropped;
    e->cur.c.dropped -= e->cur.c.held_dropped < e->cur.c.dropped ? e->cur.c.held_dropped
                                                                   : e->cur.c.dropped;
    e->cur.g.pending = rcnt.pending;
    e->cur.g.held_pending = send_held_pending(e, now);
    e->cur.g.conns_ready = send_conns_ready(e);
    e->reported = rcnt;
    e->cur.t1_ns = now;
    e->cur.nnodes = (uint32_t)e->cfg.nnodes;
    e->cur.g.pool_level = pool_level(e->pool);
    e->cur.g.in_flight = send_in_flight(e);
    e->cur.g.target_rate = ratectl_rate_at(e->rc, now - e->t0);
    if (procstat_read(&ps, NULL) == 0) {
        if (e->ps_prev.mono_ns != 0 && procstat_rates(&pr, &e->ps_prev, &ps, NULL) == 0) {
            e->cur.g.cpu_proc_pct = pr.proc_core_pct;
            e->cur.g.cpu_proc_all_pct = pr.proc_usable_pct;
            e->cur.g.cpu_host_pct = pr.host_pct;
        }
        e->cur.g.rss_bytes = ps.rss_bytes;
        e->cur.g.cores = ps.ncpu_usable;
        e->ps_prev = ps;
    }
    tracker_take(e->tracker, &e->cur);
    engine_follow_chain(e, now);
    e->cur.seq = ++e->seq;
    e->cur.wall_ms = timefmt_wall_ms();
    /* The first interval is judged against itself: nothing grows against
     * itself, so a phase start (a tracker that has not seen a block yet)
     * cannot look like a node or beacon falling behind. */
    v = stats_verdict(&e->cur, e->seq > 1 ? &e->prev : &e->cur,
                      e->cfg.late_ns ? e->cfg.late_ns : 1000000, reason);
    if (e->cfg.on_stats != NULL)
        e->cfg.on_stats(e->cfg.user, &e->cur, v, reason, NULL);
    stats_merge(&e->total, &e->cur);
    e->prev = e->cur;
    stats_init(&e->cur);
    e->cur.t0_ns = now;
    /* Keep new transactions on a recent reference block. */
    if (tracker_tapos(e->tracker, ref, &head_time)) {
        signer_set_tapos(e->signer, ref, head_time + e->cfg.expire_s);
        e->head_time_est = head_time;
        engine_tapos_renewed(e);
    }
    send_expire(e, now);
}

/* Longest sleep of the sending loop at a set rate. Sends, seconds, acks
 * and stop wake it anyway; this only paces the pool target below 10 tx/s.
 * A wakeup costs 40-80 us of CPU on the 2-core VMs here (more the longer
 * the sleep), so at 20 ms an idle beacon's sending thread spent ~4 ms of
 * CPU a second on them. */
#define ENGINE_IDLE_MS 100

static uint64_t engine_thread_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int engine_run(struct engine *e, char *err)
{
    uint64_t now = timefmt_mono_ns(), drain_end, sched_end, cpu0 = engine_thread_cpu_ns();
    int rc = 0;
    char why[ERR_LEN];

    /* This thread sends on schedule: it must run the moment its timer
     * fires, ahead of the signers (measured on 2 shared cores: p99
     * lateness 2.6 ms without, 0.1 ms with; see prio.h). */
    if (!e->cfg.no_sched_hints && prio_latency_thread(why) < 0 && e->cfg.on_event != NULL) {
        char text[ERR_LEN + 96];
        snprintf(text, sizeof text, "scheduling hint refused (%s): lateness may be higher "
                 "when cores are shared", why);
        e->cfg.on_event(e->cfg.user, text);
    }
    e->t0 = now;
    e->next_second = now + 1000000000u;
    e->cur.t0_ns = now;
    e->running = true;
    while (!e->stop) {
        now = timefmt_mono_ns();
        if (now >= e->next_second) {
            engine_second(e, now);
            e->next_second += 1000000000u;
            if (signer_failed(e->signer, err) < 0) {
                err_prefix(err, "signing failed");
                rc = -1;
                break;
            }
        }
        send_pump(e, now);
        tracker_flush(e->tracker);
        engine_pool_tick(e, now);
        if (ratectl_finished(e->rc, now - e->t0))
            break;
        /* At a set rate send_pump's timer wakes the loop when something
         * is due (at 100 tx/s, 100 wakeups a second, not 1,000); without
         * a rate the window paces and the loop turns every millisecond. */
        if (wsc_service(e->w, ratectl_is_unlimited(e->rc) ? 1 : ENGINE_IDLE_MS) < 0) {
            rc = err_set(err, "the network loop failed");
            break;
        }
    }
    /* The schedule is over (or stopped): what is still due is dropped,
     * counted; then answers and confirmations are awaited for a while. */
    send_drop_pending(e, timefmt_mono_ns());
    e->running = false;
    sched_end = timefmt_mono_ns();
    e->send_cpu_ns = engine_thread_cpu_ns() - cpu0;
    drain_end = timefmt_mono_ns() +
                (e->cfg.drain_ns ? e->cfg.drain_ns
                                 : (uint64_t)(2 * e->chain.block_interval + 3) * 1000000000u);
    while (e->stop < 2 && rc == 0) {
        now = timefmt_mono_ns();
        if (now >= e->next_second) {
            engine_second(e, now);
            e->next_second += 1000000000u;
        }
        tracker_flush(e->tracker);
        if (now >= drain_end || (send_in_flight(e) == 0 && tracker_unconfirmed(e->tracker) == 0))
            break;
        wsc_timer_at(e->w, e->next_second < drain_end ? e->next_second : drain_end);
        /* Acks wake this loop, confirmations do not (they are the
         * tracker's): the drain ends within 50 ms of the last one. */
        wsc_service(e->w, 50);
    }
    now = timefmt_mono_ns();
    engine_second(e, now);
    if (e->cfg.on_stats != NULL) {
        char reason[96];
        enum stats_verdict v = stats_verdict(&e->total, NULL, e->cfg.late_ns ? e->cfg.late_ns
                                                                               : 1000000, reason);
        /* Rates are over the schedule; the drain only adds the late
         * confirmations of what was sent during it. */
        e->total.t0_ns = e->t0;
        e->total.t1_ns = sched_end;
        e->cfg.on_stats(e->cfg.user, &e->total, v, reason, &e->total);
    }
    return rc;
}

void engine_chain(const struct engine *e, struct engine_chain *out)
{
    *out = e->info;
}

void engine_cpu(const struct engine *e, struct engine_cpu *out)
{
    out->sign_ns = signer_cpu_ns(e->signer);
    out->signed_count = signer_count(e->signer);
    out->send_ns = e->send_cpu_ns;
    out->sent_count = e->total.c.sent;
}

