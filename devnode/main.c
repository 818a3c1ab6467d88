/* main.c - devnode: a local BitShares node for dry runs and tests. Command
 * line, start-up, block production timer, status line, signals. */
#include <errno.h>
#include <getopt.h>
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
#include "version.h"
#include "wspeer.h"
#include "wsserver.h"

#define MAX_PEERS 16

struct opts {
    char iface[64];
    int port;
    const char *genesis, *accounts, *tls_cert, *tls_key;
    double block_interval; /* 0 = from genesis */
    long max_tx_size, max_block_size, max_expiration;
    struct chain_opts chain;
    bool sink, stats_json, quiet, pending_set;
    bool ack_first; /* --capacity-model ack-first */
    /* devnode network */
    struct wspeer_cfg peers[MAX_PEERS];
    char peer_host[MAX_PEERS][64];
    size_t npeers;
    bool follow;
    double relay_latency, relay_mbit, relay_queue_mb;
};

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

static void usage(FILE *f)
{
    fprintf(f,
            "usage: devnode [options]\n"
            "A local BitShares node: the websocket JSON-RPC API and bitshares-core's\n"
            "acceptance rules, with a configurable capacity. See devnode/README.md.\n\n"
            "  --listen HOST:PORT     listen address (default 127.0.0.1:8090; port 0 = any)\n"
            "  --genesis FILE         genesis/config JSON (default: built-in, no accounts)\n"
            "  --accounts KEYFILE     create each \"NAME WIF\" account with a large balance\n"
            "  --block-interval S     seconds between blocks, may be fractional (0.01..60)\n"
            "  --capacity TX_PER_S    apply at most this many transactions per second\n"
            "  --capacity-ops OPS     apply at most this many operations per second\n"
            "  --capacity-model M     apply-first (default, as a real node): broadcasts wait\n"
            "                         in one FIFO queue, are applied at the capacity and only\n"
            "                         then answered, so acks slow down under overload and\n"
            "                         blocks take what was applied; ack-first (NOT what a\n"
            "                         node does): answer at once, blocks take the capacity's\n"
            "                         share and the pending queue grows\n"
            "  --max-pending N        refuse broadcasts (busy error) while N wait to be\n"
            "                         applied or are pending\n"
            "                         (default: 60 s of capacity, min 1000; else 1000000)\n"
            "  --max-tx-size B        maximum_transaction_size (bytes)\n"
            "  --max-block-size B     maximum_block_size (bytes)\n"
            "  --max-expiration S     maximum_time_until_expiration (seconds)\n"
            "  --keep-blocks N        recent blocks kept for get_block (default 100000)\n"
            "  --keep-mb N            ... and at most N MiB of their transactions (1024)\n"
            "  --sink                 accept every well-formed broadcast, no validation\n"
            "  --peer HOST:PORT       a devnode network: relay accepted transactions (and\n"
            "                         produced blocks) to this peer devnode; repeat for\n"
            "                         every other node (full mesh; max 16)\n"
            "  --follow               produce no blocks: apply the blocks peers relay (every\n"
            "                         node but the one producer of a network)\n"
            "  --relay-latency S      one-way latency of each relay link (default 0.05)\n"
            "  --relay-bandwidth MBIT bandwidth of each relay link (default 100 Mbit/s)\n"
            "  --relay-queue-mb N     per-link bound on waiting relay messages (default 64 MiB;\n"
            "                         past it transactions are dropped and counted)\n"
            "  --shared-block-ids     block ids from (chain id, number) only, so that devnodes\n"
            "                         with one genesis agree on TaPoS like nodes of one network\n"
            "  --tls-cert FILE        serve wss:// with this PEM certificate ...\n"
            "  --tls-key FILE         ... and key\n"
            "  --stats-json           one JSON stats line per second on stdout\n"
            "  --quiet                no status line on stderr\n"
            "  --help, --version\n");
}

static int parse_num(const char *s, double min, double max, double *out)
{
    char *end;
    double d;

    errno = 0;
    d = strtod(s, &end);
    if (errno != 0 || end == s || *end != '\0' || d < min || d > max)
        return -1;
    *out = d;
    return 0;
}

static int parse_listen(struct opts *o, const char *s)
{
    const char *colon = strrchr(s, ':');
    double port;

    if (colon == NULL || (size_t)(colon - s) >= sizeof o->iface ||
        parse_num(colon + 1, 0, 65535, &port) < 0)
        return -1;
    memcpy(o->iface, s, (size_t)(colon - s));
    o->iface[colon - s] = '\0';
    o->port = (int)port;
    return 0;
}

static int parse_args(struct opts *o, int argc, char **argv)
{
    enum { O_LISTEN = 256, O_GENESIS, O_ACCOUNTS, O_INTERVAL, O_CAP, O_CAP_OPS, O_PENDING,
           O_TXSIZE, O_BLOCKSIZE, O_EXP, O_KEEP, O_KEEPMB, O_SINK, O_CERT, O_KEY, O_JSON,
           O_QUIET, O_HELP, O_VERSION, O_SHARED, O_MODEL, O_PEER, O_FOLLOW, O_RLAT, O_RBW,
           O_RQ };
    static const struct option lo[] = {
        {"listen", 1, NULL, O_LISTEN}, {"genesis", 1, NULL, O_GENESIS},
        {"accounts", 1, NULL, O_ACCOUNTS}, {"block-interval", 1, NULL, O_INTERVAL},
        {"capacity", 1, NULL, O_CAP}, {"capacity-ops", 1, NULL, O_CAP_OPS},
        {"capacity-model", 1, NULL, O_MODEL}, {"peer", 1, NULL, O_PEER},
        {"follow", 0, NULL, O_FOLLOW}, {"relay-latency", 1, NULL, O_RLAT},
        {"relay-bandwidth", 1, NULL, O_RBW}, {"relay-queue-mb", 1, NULL, O_RQ},
        {"max-pending", 1, NULL, O_PENDING}, {"max-tx-size", 1, NULL, O_TXSIZE},
        {"max-block-size", 1, NULL, O_BLOCKSIZE}, {"max-expiration", 1, NULL, O_EXP},
        {"keep-blocks", 1, NULL, O_KEEP}, {"keep-mb", 1, NULL, O_KEEPMB},
        {"sink", 0, NULL, O_SINK}, {"shared-block-ids", 0, NULL, O_SHARED}, {"tls-cert", 1, NULL, O_CERT}, {"tls-key", 1, NULL, O_KEY},
        {"stats-json", 0, NULL, O_JSON}, {"quiet", 0, NULL, O_QUIET},
        {"help", 0, NULL, O_HELP}, {"version", 0, NULL, O_VERSION}, {NULL, 0, NULL, 0},
    };
    int c;
    double d;

    strcpy(o->iface, "127.0.0.1");
    o->port = 8090;
    o->relay_latency = 0.05;
    o->relay_mbit = 100;
    o->relay_queue_mb = 64;
    o->chain.keep_blocks = 100000;
    o->chain.keep_bytes = (size_t)1024 << 20;
    while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        const char *bad = NULL;
        switch (c) {
        case O_LISTEN:
            if (parse_listen(o, optarg) < 0)
                bad = "--listen: expected HOST:PORT";
            break;
        case O_GENESIS: o->genesis = optarg; break;
        case O_ACCOUNTS: o->accounts = optarg; break;
        case O_INTERVAL:
            if (parse_num(optarg, 0.01, 60, &o->block_interval) < 0)
                bad = "--block-interval: expected 0.01..60 seconds";
            break;
        case O_CAP:
            if (parse_num(optarg, 0.001, 1e9, &o->chain.capacity_tps) < 0)
                bad = "--capacity: expected a positive rate";
            break;
        case O_CAP_OPS:
            if (parse_num(optarg, 0.001, 1e9, &o->chain.capacity_ops) < 0)
                bad = "--capacity-ops: expected a positive rate";
            break;
        case O_MODEL:
            if (strcmp(optarg, "apply-first") == 0)
                o->ack_first = false;
            else if (strcmp(optarg, "ack-first") == 0)
                o->ack_first = true;
            else
                bad = "--capacity-model: expected apply-first or ack-first";
            break;
        case O_PEER: {
            const char *colon = strrchr(optarg, ':');
            size_t k = o->npeers;
            if (k == MAX_PEERS) {
                bad = "--peer: at most 16 peers";
                break;
            }
            if (colon == NULL || (size_t)(colon - optarg) >= sizeof o->peer_host[k] ||
                parse_num(colon + 1, 1, 65535, &d) < 0) {
                bad = "--peer: expected HOST:PORT";
                break;
            }
            memcpy(o->peer_host[k], optarg, (size_t)(colon - optarg));
            o->peer_host[k][colon - optarg] = '\0';
            o->peers[k].host = o->peer_host[k];
            o->peers[k].port = (int)d;
            o->npeers++;
            break;
        }
        case O_FOLLOW: o->follow = true; break;
        case O_RLAT:
            if (parse_num(optarg, 0, 10, &o->relay_latency) < 0)
                bad = "--relay-latency: expected 0..10 seconds";
            break;
        case O_RBW:
            if (parse_num(optarg, 0.001, 1e6, &o->relay_mbit) < 0)
                bad = "--relay-bandwidth: expected Mbit/s, 0.001..1000000";
            break;
        case O_RQ:
            if (parse_num(optarg, 1, 1e5, &o->relay_queue_mb) < 0)
                bad = "--relay-queue-mb: expected 1..100000";
            break;
        case O_PENDING:
            if (parse_num(optarg, 1, 1e8, &d) < 0)
                bad = "--max-pending: expected 1..100000000";
            o->chain.max_pending = (size_t)d;
            o->pending_set = true;
            break;
        case O_TXSIZE:
            if (parse_num(optarg, 1024, UINT32_MAX, &d) < 0)
                bad = "--max-tx-size: expected at least 1024 bytes";
            o->max_tx_size = (long)d;
            break;
        case O_BLOCKSIZE:
            if (parse_num(optarg, 5 * 1024, UINT32_MAX, &d) < 0)
                bad = "--max-block-size: expected at least 5120 bytes";
            o->max_block_size = (long)d;
            break;
        case O_EXP:
            if (parse_num(optarg, 1, UINT32_MAX, &d) < 0)
                bad = "--max-expiration: expected seconds";
            o->max_expiration = (long)d;
            break;
        case O_KEEP:
            if (parse_num(optarg, 1, 1e7, &d) < 0)
                bad = "--keep-blocks: expected 1..10000000";
            o->chain.keep_blocks = (size_t)d;
            break;
        case O_KEEPMB:
            if (parse_num(optarg, 1, 1e6, &d) < 0)
                bad = "--keep-mb: expected 1..1000000";
            o->chain.keep_bytes = (size_t)d << 20;
            break;
        case O_SINK: o->sink = true; break;
        case O_SHARED: o->chain.shared_ids = true; break;
        case O_CERT: o->tls_cert = optarg; break;
        case O_KEY: o->tls_key = optarg; break;
        case O_JSON: o->stats_json = true; break;
        case O_QUIET: o->quiet = true; break;
        case O_HELP: case 'h': usage(stdout); exit(0);
        case O_VERSION: printf("devnode %s\n", BSS_VERSION); exit(0);
        default: usage(stderr); return -1;
        }
        if (bad != NULL) {
            fprintf(stderr, "devnode: %s\n", bad);
            return -1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "devnode: unexpected argument \"%s\"\n", argv[optind]);
        return -1;
    }
    if ((o->tls_cert == NULL) != (o->tls_key == NULL)) {
        fprintf(stderr, "devnode: --tls-cert and --tls-key go together\n");
        return -1;
    }
    for (size_t i = 0; i < o->npeers; i++) {
        o->peers[i].latency_s = o->relay_latency;
        o->peers[i].bandwidth_bps = o->relay_mbit * 1e6;
        o->peers[i].max_bytes = (size_t)(o->relay_queue_mb * 1048576.0);
    }
    if (o->sink && (o->npeers > 0 || o->follow)) {
        fprintf(stderr, "devnode: --sink does not join a network (--peer, --follow)\n");
        return -1;
    }
    if (!o->pending_set) {
        double cap = o->chain.capacity_tps * 60;
        o->chain.max_pending = o->chain.capacity_tps > 0 ? (cap < 1000 ? 1000 : (size_t)cap)
                                                         : 1000000;
    }
    return 0;
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

static void relay_out(void *ud, const char *msg, size_t len, bool forced)
{
    struct app *a = ud;
    uint64_t now = timefmt_mono_ns();

    for (size_t i = 0; i < a->o.npeers; i++)
        (void)wspeer_send(a->peers[i], msg, len, forced, now);
    wsserver_timer_run(a->srv, a->relay_timer, true);
}

static void send_one(void *ud, const char *msg, size_t len, bool forced)
{
    struct wspeer *p = ud;

    (void)wspeer_send(p, msg, len, forced, timefmt_mono_ns());
}

/* A link came up: the producer sends the peer its stored blocks (the
 * peer keeps the ones it lacks), as a node syncs from its peers. */
static void on_peer_up(void *ud, struct wspeer *p)
{
    struct app *a = ud;

    if (!a->o.follow)
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
    const char *role = a->o.follow ? "follower" : "producer";

    buf[0] = '\0';
    if (a->o.npeers == 0 && !a->o.follow)
        return;
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
                 ",\"relay_tx_in_applied\":%" PRIu64 ",\"relay_blocks_out\":%" PRIu64
                 ",\"relay_blocks_in\":%" PRIu64 ",\"relay_too_big_tx\":%" PRIu64
                 ",\"relay_too_big_blocks\":%" PRIu64 ",\"missed_blocks\":%" PRIu64
                 ",\"behind\":%" PRIu32 ",\"block_id_mismatch\":%" PRIu64,
                 role, head, a->o.npeers, up, q, qb, dropped, rl->tx_out - p->tx_out,
                 rl->tx_in - p->tx_in, rl->tx_in_applied - p->tx_in_applied,
                 rl->blocks_out - p->blocks_out, rl->blocks_in - p->blocks_in, rl->tx_too_big,
                 rl->block_too_big, rl->blocks_missed, behind, rl->block_id_mismatch);
    else
        snprintf(buf, cap,
                 " | %s lib %" PRIu32 " peers %zu/%zu relay queue %zu dropped %" PRIu64
                 " out %" PRIu64 "/s in %" PRIu64 "/s missed %" PRIu64 " behind %" PRIu32,
                 role, head, up, a->o.npeers, q, dropped, rl->tx_out - p->tx_out,
                 rl->tx_in - p->tx_in, rl->blocks_missed, behind);
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
    if (parse_args(&a.o, argc, argv) < 0)
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
        if ((a.peers[i] = wspeer_new(a.srv, &a.o.peers[i], err)) == NULL) {
            fprintf(stderr, "devnode: --peer %s:%d: %s\n", a.o.peers[i].host, a.o.peers[i].port,
                    err);
            goto out;
        }
    }
    if (a.o.npeers > 0 || a.o.follow)
        rpc_set_relay(a.rpc, a.o.npeers > 0 ? relay_out : NULL, &a);
    if ((!a.o.follow &&
         wsserver_every(a.srv, (uint64_t)g.params.block_interval_ms * 1000000u, on_block, &a) < 0) ||
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
           a.o.follow ? ", following (blocks from peers)" : a.o.npeers ? ", producing" : "");
    for (size_t i = 0; i < a.o.npeers; i++)
        printf("peer %s (latency %.3f s, %.0f Mbit/s)\n", wspeer_name(a.peers[i]),
               a.o.relay_latency, a.o.relay_mbit);
    for (size_t i = 0; i < g.naccounts; i++)
        printf("account %s 1.2.%" PRIu64 "\n", g.accounts[i].name, g.accounts[i].id);
    printf("listening on %s://%s:%d\n", a.o.tls_cert ? "wss" : "ws", a.o.iface,
           wsserver_port(a.srv));
    fflush(stdout);
    a.prev_ns = timefmt_mono_ns();
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
