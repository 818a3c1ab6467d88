/* main.c - devnode: a local BitShares node for dry runs and tests.
 * Start-up, block production, the service and relay timers, status line,
 * signals (the command line is opts.c). */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "chain.h"
#include "err.h"
#include "genesis.h"
#include "hex.h"
#include "keyfile.h"
#include "rpc.h"
#include "sign.h"
#include "timefmt.h"
#include "opts.h"
#include "version.h"
#include "wspeer.h"
#include "wsserver.h"

struct app {
    struct opts o;
    struct chain *chain;
    struct rpc *rpc;
    struct wsserver *srv;
    /* Status line: previous totals and CPU time. */
    struct chain_stats prev_chain;
    struct rpc_stats prev_rpc;
    uint64_t prev_ns, prev_cpu_us;
    int service_timer; /* apply-first: the 1 ms tick, or -1 */
    struct wspeer *peers[MAX_PEERS];
    int relay_timer;   /* with peers: the 1 ms tick, or -1 */
    struct rpc_relay_stats prev_relay;
    /* Witness schedule (--witnesses): the last slot looked at, and when
     * this node may start producing (see slot_ready). */
    uint64_t last_slot;
    bool slot_due;     /* last_slot is this node's and not produced yet */
    uint64_t start_ns, ready_ns;
    bool peer_seen[MAX_PEERS];
    uint64_t own_slots, own_unready, own_late; /* this node's slots: all, not synced, late */
};

static volatile sig_atomic_t stop_flag;
static struct wsserver *signal_srv;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
    if (signal_srv != NULL)
        wsserver_wake(signal_srv);
}


/* The node's capacity model applies to broadcasts when a capacity is set
 * (not in --sink mode, and not when the old ack-first model is asked for). */
static bool apply_first(const struct opts *o)
{
    return !o->sink && !o->ack_first && (o->chain.capacity_tps > 0 || o->chain.capacity_ops > 0);
}

/* Every millisecond: apply what the capacity allows (a fine grain keeps
 * ack delays smooth; an idle tick costs a few microseconds). */
static void on_service(void *arg)
{
    struct app *a = arg;

    rpc_service(a->rpc);
    if (rpc_service_len(a->rpc) == 0) /* idle: no ticks until a broadcast waits */
        wsserver_timer_run(a->srv, a->service_timer, false);
}

/* Every millisecond while a link has messages waiting or is down. */
static void on_relay_tick(void *arg)
{
    struct app *a = arg;
    uint64_t now = timefmt_mono_ns();
    bool busy = false;

    for (size_t i = 0; i < a->o.npeers; i++) {
        wspeer_tick(a->peers[i], now);
        busy |= wspeer_busy(a->peers[i]);
    }
    if (!busy)
        wsserver_timer_run(a->srv, a->relay_timer, false);
}

static void relay_out(void *ud, const char *msg, size_t len, size_t wire, bool forced)
{
    struct app *a = ud;
    uint64_t now = timefmt_mono_ns();

    for (size_t i = 0; i < a->o.npeers; i++)
        (void)wspeer_send(a->peers[i], msg, len, wire, forced, now);
    wsserver_timer_run(a->srv, a->relay_timer, true);
}

static void send_one(void *ud, const char *msg, size_t len, size_t wire, bool forced)
{
    struct wspeer *p = ud;

    (void)wspeer_send(p, msg, len, wire, forced, timefmt_mono_ns());
}

/* This node produces blocks: the one producer of a network without a
 * schedule, or a witness of the schedule. */
static bool producing(const struct opts *o)
{
    return o->chain.witnesses > 0 ? o->nown > 0 : !o->follow;
}

/* A link came up: a producing node sends the peer its stored blocks (the
 * peer keeps the ones it lacks), as a node syncs from its peers. */
static void on_peer_up(void *ud, struct wspeer *p)
{
    struct app *a = ud;
    bool all = true;

    fprintf(stderr, "devnode: peer %s connected\n", wspeer_name(p));
    for (size_t i = 0; i < a->o.npeers; i++) {
        a->peer_seen[i] |= a->peers[i] == p;
        all &= a->peer_seen[i];
    }
    /* Every link has been up: after the blocks peers send on connecting
     * have had time to arrive (two latencies and a margin), this node's
     * head is the network's, and its witnesses may produce. */
    if (all && a->ready_ns == 0)
        a->ready_ns = timefmt_mono_ns() + (uint64_t)((2 * a->o.relay_latency + 0.25) * 1e9);
    if (producing(&a->o))
        rpc_relay_blocks_since(a->rpc, 1, send_one, p);
    wsserver_timer_run(a->srv, a->relay_timer, true);
}

static void *on_open(void *ud, uint64_t conn)
{
    return rpc_session_new(((struct app *)ud)->rpc, conn);
}

static void on_message(void *ud, void *session, const char *msg, size_t len, struct sbuf *reply)
{
    struct app *a = ud;

    rpc_handle(session, msg, len, reply);
    if (a->service_timer >= 0 && rpc_service_len(a->rpc) > 0)
        wsserver_timer_run(a->srv, a->service_timer, true);
}

static void on_close(void *ud, void *session)
{
    (void)ud;
    rpc_session_free(session);
}

static int on_send(void *ud, uint64_t conn, const char *msg, size_t len)
{
    return wsserver_send(((struct app *)ud)->srv, conn, msg, len);
}

static void on_block(void *arg)
{
    struct app *a = arg;
    char err[ERR_LEN];
    const struct chain_block *b = chain_produce_block(a->chain, timefmt_wall_secs(), err);

    if (b == NULL) {
        fprintf(stderr, "devnode: block production failed: %s\n", err);
        return;
    }
    rpc_block_produced(a->rpc, b);
    rpc_relay_block(a->rpc, b);
}

/* A witness may produce once its head is the network's: every link has
 * been up (a node that started late has then had the blocks its peers
 * sent on connecting), or 5 s after the start whatever the links do (a
 * peer that never came up must not stop the network); and not while a
 * peer relayed a block beyond its head (it is still catching up). Like
 * graphene's witness plugin, which does not produce until synced. */
static bool slot_ready(struct app *a, uint64_t now)
{
    const struct rpc_relay_stats *rl = rpc_relay_stats(a->rpc);

    if (rl->last_block_seen > chain_head_num(a->chain))
        return false;
    if (a->o.npeers == 0)
        return true;
    return (a->ready_ns != 0 && now >= a->ready_ns) || now - a->start_ns >= 5000000000u;
}

/* Witness schedule: the slots are the wall clock's (the clock the nodes
 * share, as witnesses share NTP time) divided by the block interval; slot
 * S belongs to witness S mod N + 1. Polled every few milliseconds; a
 * node produces the slots of its own witnesses, with the slot's start as
 * the block's timestamp. */
static void on_slot_tick(void *arg)
{
    struct app *a = arg;
    uint64_t interval_ms = chain_genesis(a->chain)->params.block_interval_ms;
    uint64_t ms = timefmt_wall_ms(), slot = ms / interval_ms, into = ms - slot * interval_ms;
    uint32_t n = a->o.chain.witnesses, prev = (uint32_t)((slot + n - 1) % n) + 1;
    uint32_t prev_last = chain_witness_last_block(a->chain, prev);
    struct chain_slot cs;
    const struct chain_block *b;
    char err[ERR_LEN];

    if (slot != a->last_slot) {
        a->last_slot = slot;
        a->slot_due = a->o.own_witness[slot % n + 1];
        if (!a->slot_due)
            return;
        a->own_slots++;
        if (into > interval_ms * 3 / 4) {
            /* The loop came back too late in the slot (a starved
             * process): a block now would reach the next witness after
             * its slot began. (graphene's witness plugin skips a slot it
             * is more than 500 ms late for; devnode, whose loop a loaded
             * host delays more often, keeps the slot while a quarter of
             * it is left.) */
            a->own_late++;
            a->slot_due = false;
            return;
        }
    }
    if (!a->slot_due)
        return;
    /* devnode does not resolve forks: rather than produce on a head
     * without the previous slot's block when that block is probably on
     * its way (its witness produced within the last two rounds), wait
     * for it, up to three quarters of the slot. */
    if (!a->o.own_witness[prev] && chain_head_slot(a->chain) + 1 < slot && prev_last > 0 &&
        chain_head_num(a->chain) - prev_last < 2 * n && into < interval_ms * 3 / 4)
        return;
    a->slot_due = false;
    if (!slot_ready(a, timefmt_mono_ns())) {
        a->own_unready++;
        return;
    }
    cs.witness = (uint32_t)(slot % n) + 1;
    cs.slot = slot;
    b = chain_produce_block_at(a->chain, (uint32_t)(slot * interval_ms / 1000), &cs, err);
    if (b == NULL) {
        fprintf(stderr, "devnode: block production failed: %s\n", err);
        return;
    }
    rpc_block_produced(a->rpc, b);
    rpc_relay_block(a->rpc, b);
}

/* How often to look at the slot clock: a tenth of the interval, at most
 * 10 ms (a block starts within that of its slot). */
static uint64_t slot_poll_ns(uint32_t interval_ms)
{
    uint64_t ns = (uint64_t)interval_ms * 100000u;

    return ns > 10000000u ? 10000000u : ns < 1000000u ? 1000000u : ns;
}

static uint64_t cpu_us(void)
{
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000u +
           (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

/* The network part of the status line (empty outside a network), and a
 * log line when something was too big to relay. */
static void net_status(struct app *a, char *buf, size_t cap)
{
    const struct rpc_relay_stats *rl = rpc_relay_stats(a->rpc);
    const struct rpc_relay_stats *p = &a->prev_relay;
    size_t up = 0, q = 0, qb = 0;
    uint64_t dropped = 0;
    uint32_t head = chain_head_num(a->chain);
    uint32_t behind = rl->last_block_seen > head ? rl->last_block_seen - head : 0;
    const char *role = !producing(&a->o) ? "follower"
                       : a->o.chain.witnesses > 0 ? "witness" : "producer";
    struct chain_dgp d;
    int filled = 0;

    buf[0] = '\0';
    if (a->o.npeers == 0 && !a->o.follow && a->o.chain.witnesses == 0)
        return;
    chain_get_dgp(a->chain, &d);
    filled = __builtin_popcountll(d.filled_hi) + __builtin_popcountll(d.filled_lo);
    for (size_t i = 0; i < a->o.npeers; i++) {
        const struct wspeer_stats *ps = wspeer_stats(a->peers[i]);
        up += ps->up;
        q += ps->queued;
        qb += ps->queued_bytes;
        dropped += ps->dropped_full + ps->dropped_down;
    }
    if (rl->tx_too_big > p->tx_too_big || rl->block_too_big > p->block_too_big)
        fprintf(stderr,
                "devnode: over the P2P message limit (%u bytes), not relayed: %" PRIu64
                " transactions, %" PRIu64 " blocks (totals %" PRIu64 ", %" PRIu64 ")\n",
                RPC_P2P_MAX_MESSAGE, rl->tx_too_big - p->tx_too_big,
                rl->block_too_big - p->block_too_big, rl->tx_too_big, rl->block_too_big);
    if (a->o.stats_json)
        snprintf(buf, cap,
                 ",\"role\":\"%s\",\"lib\":%" PRIu32 ",\"peers\":%zu,\"peers_up\":%zu"
                 ",\"relay_queue\":%zu,\"relay_queue_bytes\":%zu,\"relay_dropped\":%" PRIu64
                 ",\"relay_tx_out\":%" PRIu64 ",\"relay_tx_in\":%" PRIu64
                 ",\"relay_tx_in_applied\":%" PRIu64 ",\"relay_tx_in_known\":%" PRIu64
                 ",\"relay_blocks_out\":%" PRIu64
                 ",\"relay_blocks_in\":%" PRIu64 ",\"relay_too_big_tx\":%" PRIu64
                 ",\"relay_too_big_blocks\":%" PRIu64 ",\"missed_blocks\":%" PRIu64
                 ",\"behind\":%" PRIu32 ",\"block_id_mismatch\":%" PRIu64
                 ",\"witnesses\":%" PRIu32 ",\"current_aslot\":%" PRIu64
                 ",\"missed_slots\":%" PRIu64 ",\"recently_missed_count\":%" PRIu32
                 ",\"participation\":%.1f,\"own_slots\":%" PRIu64
                 ",\"own_slots_unready\":%" PRIu64 ",\"own_slots_late\":%" PRIu64,
                 role, d.lib, a->o.npeers, up, q, qb, dropped, rl->tx_out - p->tx_out,
                 rl->tx_in - p->tx_in, rl->tx_in_applied - p->tx_in_applied,
                 rl->tx_in_dup - p->tx_in_dup, rl->blocks_out - p->blocks_out, rl->blocks_in - p->blocks_in, rl->tx_too_big,
                 rl->block_too_big, rl->blocks_missed, behind, rl->block_id_mismatch,
                 chain_witnesses(a->chain), d.current_aslot, d.missed_total, d.recently_missed,
                 filled * 100.0 / 128, a->own_slots, a->own_unready, a->own_late);
    else
        snprintf(buf, cap,
                 " | %s lib %" PRIu32 " peers %zu/%zu relay queue %zu dropped %" PRIu64
                 " out %" PRIu64 "/s in %" PRIu64 "/s missed %" PRIu64 " behind %" PRIu32
                 " | witnesses %" PRIu32 " missed slots %" PRIu64 " participation %.0f%%",
                 role, d.lib, up, a->o.npeers, q, dropped, rl->tx_out - p->tx_out,
                 rl->tx_in - p->tx_in, rl->blocks_missed, behind, chain_witnesses(a->chain),
                 d.missed_total, filled * 100.0 / 128);
    a->prev_relay = *rl;
}

static void on_status(void *arg)
{
    struct app *a = arg;
    const struct chain_stats *cs = chain_stats(a->chain);
    const struct rpc_stats *rs = rpc_stats(a->rpc);
    uint64_t now = timefmt_mono_ns(), cpu = cpu_us();
    double dt = (double)(now - a->prev_ns) / 1e9;
    double pct = dt > 0 ? (double)(cpu - a->prev_cpu_us) / 1e4 / dt : 0;
    uint64_t rej = 0;
    char why[512];
    size_t wl = 0;
    struct hist *wait = rpc_apply_wait(a->rpc);
    double wmean = wait != NULL ? hist_mean(wait) / 1e6 : 0;
    double wp99 = wait != NULL ? (double)hist_percentile(wait, 99) / 1e6 : 0;
    size_t queued = rpc_service_len(a->rpc);
    char svc[96] = "", net[1024];

    why[0] = '\0';
    for (int r = 1; r < FCERR_NREASONS; r++) {
        uint64_t d = rs->rejected[r] - a->prev_rpc.rejected[r];
        rej += d;
        if (d > 0 && wl < sizeof why)
            wl += (size_t)snprintf(why + wl, sizeof why - wl,
                                   a->o.stats_json ? "%s\"%s\":%" PRIu64 : "%s%s %" PRIu64,
                                   wl > 0 ? (a->o.stats_json ? "," : ", ") : "",
                                   fcerr_reason_name((enum fcerr_reason)r), d);
    }
    if (wait != NULL)
        snprintf(svc, sizeof svc, " | queue %zu | apply wait %.1f ms (p99 %.1f)", queued, wmean,
                 wp99);
    net_status(a, net, sizeof net);
    if (a->o.stats_json) {
        printf("{\"time\":%" PRIu32 ",\"head_block\":%" PRIu32 ",\"pending\":%zu,"
               "\"applied_tx\":%" PRIu64 ",\"applied_ops\":%" PRIu64 ",\"accepted\":%" PRIu64
               ",\"rejected\":%" PRIu64 ",\"rejected_by_reason\":{%s},\"dropped\":%" PRIu64
               ",\"connections\":%" PRIu64 ",\"cpu_percent\":%.1f,\"interval_s\":%.3f"
               ",\"service_queue\":%zu,\"apply_wait_ms_mean\":%.3f,\"apply_wait_ms_p99\":%.3f%s}\n",
               timefmt_wall_secs(), chain_head_num(a->chain), chain_pending_count(a->chain),
               cs->applied_tx - a->prev_chain.applied_tx,
               cs->applied_ops - a->prev_chain.applied_ops, rs->accepted - a->prev_rpc.accepted,
               rej, why, cs->dropped - a->prev_chain.dropped, wsserver_stats(a->srv)->open, pct,
               dt, queued, wmean, wp99, net);
        fflush(stdout);
    } else if (!a->o.quiet) {
        fprintf(stderr,
                "devnode: head %" PRIu32 " | pending %zu | applied %" PRIu64 " tx/s %" PRIu64
                " ops/s | accepted %" PRIu64 "/s | rejected %" PRIu64 "%s%s%s | conns %" PRIu64
                " | cpu %.0f%%%s%s\n",
                chain_head_num(a->chain), chain_pending_count(a->chain),
                cs->applied_tx - a->prev_chain.applied_tx,
                cs->applied_ops - a->prev_chain.applied_ops, rs->accepted - a->prev_rpc.accepted,
                rej, wl ? " (" : "", why, wl ? ")" : "", wsserver_stats(a->srv)->open, pct,
                svc, net);
    }
    if (wait != NULL)
        hist_reset(wait);
    a->prev_chain = *cs;
    a->prev_rpc = *rs;
    a->prev_ns = now;
    a->prev_cpu_us = cpu;
}

static int load_genesis(const struct opts *o, const struct sign_ctx *sctx, struct genesis *g)
{
    char err[ERR_LEN];
    struct keyfile kf = KEYFILE_INIT;
    int rc;

    if (o->genesis != NULL ? genesis_load(g, o->genesis, err) < 0 : (genesis_defaults(g), 0)) {
        fprintf(stderr, "devnode: %s\n", err);
        return -1;
    }
    if (o->block_interval > 0)
        g->params.block_interval_ms = (uint32_t)(o->block_interval * 1000 + 0.5);
    if (o->max_tx_size > 0)
        g->params.max_tx_size = (uint32_t)o->max_tx_size;
    if (o->max_block_size > 0)
        g->params.max_block_size = (uint32_t)o->max_block_size;
    if (o->max_expiration > 0)
        g->params.max_time_until_expiration = (uint32_t)o->max_expiration;
    if (o->accounts == NULL)
        return 0;
    rc = keyfile_load(&kf, sctx, o->accounts, err) < 0 ? -1 : genesis_add_keyfile(g, &kf, err);
    keyfile_clear(&kf);
    if (rc < 0) {
        fprintf(stderr, "devnode: %s\n", err);
        genesis_clear(g);
    }
    return rc;
}

int main(int argc, char **argv)
{
    struct app a;
    struct genesis g;
    struct sign_ctx *sctx = NULL;
    char err[ERR_LEN], hex[65];
    int rc = 1;

    memset(&a, 0, sizeof a);
    memset(&g, 0, sizeof g);
    a.service_timer = -1;
    a.relay_timer = -1;
    if (opts_parse(&a.o, argc, argv) < 0)
        return 2;
    sctx = sign_ctx_new(err);
    if (sctx == NULL) {
        fprintf(stderr, "devnode: %s\n", err);
        return 1;
    }
    if (load_genesis(&a.o, sctx, &g) < 0)
        goto out;
    {
        /* Apply-first: the capacity is spent where broadcasts are applied
         * (the service queue), and blocks take whatever was applied. */
        struct chain_opts co = a.o.chain;
        if (apply_first(&a.o))
            co.capacity_tps = co.capacity_ops = 0;
        a.chain = chain_new(&g, &co, sctx, timefmt_wall_secs(), err);
    }
    if (a.chain == NULL || (a.rpc = rpc_new(a.chain, sctx, a.o.sink, on_send, &a, err)) == NULL ||
        (apply_first(&a.o) &&
         rpc_set_service(a.rpc, a.o.chain.capacity_tps, a.o.chain.capacity_ops, err) < 0)) {
        fprintf(stderr, "devnode: %s\n", err);
        goto out;
    }
    {
        struct wsserver_cfg cfg = {a.o.iface, a.o.port, a.o.tls_cert, a.o.tls_key, 0};
        struct wsserver_handlers h = {&a, on_open, on_message, on_close};
        a.srv = wsserver_new(&cfg, &h, err);
    }
    if (a.srv == NULL) {
        fprintf(stderr, "devnode: %s\n", err);
        goto out;
    }
    for (size_t i = 0; i < a.o.npeers; i++) {
        a.o.peers[i].on_up = on_peer_up;
        a.o.peers[i].ud = &a;
        a.o.peers[i].batch_prefix = RPC_RELAY_TRX_PREFIX;
        a.o.peers[i].batch_suffix = RPC_RELAY_TRX_SUFFIX;
        if ((a.peers[i] = wspeer_new(a.srv, &a.o.peers[i], err)) == NULL) {
            fprintf(stderr, "devnode: --peer %s:%d: %s\n", a.o.peers[i].host, a.o.peers[i].port,
                    err);
            goto out;
        }
    }
    if (a.o.npeers > 0 || a.o.follow || a.o.chain.witnesses > 0)
        rpc_set_relay(a.rpc, a.o.npeers > 0 ? relay_out : NULL, &a);
    if ((a.o.chain.witnesses == 0 && !a.o.follow &&
         wsserver_every(a.srv, (uint64_t)g.params.block_interval_ms * 1000000u, on_block, &a) < 0) ||
        (a.o.chain.witnesses > 0 && a.o.nown > 0 &&
         wsserver_every(a.srv, slot_poll_ns(g.params.block_interval_ms), on_slot_tick, &a) < 0) ||
        (a.o.npeers > 0 && (a.relay_timer = wsserver_every(a.srv, 1000000u, on_relay_tick, &a)) < 0) ||
        wsserver_every(a.srv, 1000000000u, on_status, &a) < 0 ||
        (apply_first(&a.o) &&
         (a.service_timer = wsserver_every(a.srv, 1000000u, on_service, &a)) < 0)) {
        fprintf(stderr, "devnode: cannot start timers\n");
        goto out;
    }
    hex_encode(hex, g.chain_id, 32);
    printf("devnode %s: chain id %s, prefix %s, block interval %.3f s%s%s\n", BSS_VERSION, hex,
           g.prefix, g.params.block_interval_ms / 1000.0, a.o.sink ? ", SINK MODE" : "",
           !producing(&a.o) ? ", following (blocks from peers)"
           : a.o.chain.witnesses > 0 ? ", witness" : a.o.npeers ? ", producing" : "");
    if (a.o.chain.witnesses > 0) {
        printf("witness schedule: %" PRIu32 " witnesses, producing for", a.o.chain.witnesses);
        for (int k = 1; k <= (int)a.o.chain.witnesses; k++)
            if (a.o.own_witness[k])
                printf(" 1.6.%d", k);
        printf("%s\n", a.o.nown ? "" : " none");
    }
    for (size_t i = 0; i < a.o.npeers; i++)
        printf("peer %s (latency %.3f s, %.0f Mbit/s)\n", wspeer_name(a.peers[i]),
               a.o.relay_latency, a.o.relay_mbit);
    for (size_t i = 0; i < g.naccounts; i++)
        printf("account %s 1.2.%" PRIu64 "\n", g.accounts[i].name, g.accounts[i].id);
    printf("listening on %s://%s:%d\n", a.o.tls_cert ? "wss" : "ws", a.o.iface,
           wsserver_port(a.srv));
    fflush(stdout);
    a.prev_ns = a.start_ns = timefmt_mono_ns();
    a.prev_cpu_us = cpu_us();
    signal_srv = a.srv;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGPIPE, SIG_IGN);
    rc = wsserver_run(a.srv, &stop_flag) < 0 ? 1 : 0;
    signal_srv = NULL;
    /* The last, partial second too: totals read from the status lines add
     * up to everything this node did. */
    on_status(&a);
out:
    for (size_t i = 0; i < a.o.npeers; i++)
        wspeer_free(a.peers[i]);
    /* The server first: closing its connections frees their sessions. */
    wsserver_free(a.srv);
    rpc_free(a.rpc);
    chain_free(a.chain);
    genesis_clear(&g);
    sign_ctx_free(sctx);
    return rc;
}
