/* opts.c - see opts.h. */
#include "opts.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "version.h"

void opts_usage(FILE *f)
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
            "  --witnesses N          a witness schedule of N witnesses (1.6.1..1.6.N, max 101):\n"
            "                         slot S (wall-clock ms / block interval) belongs to\n"
            "                         1.6.(S mod N + 1); LIB from the witnesses' confirmations\n"
            "  --witness K            this node produces 1.6.K's slots (repeat; none: follow)\n"
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

int opts_parse(struct opts *o, int argc, char **argv)
{
    enum { O_LISTEN = 256, O_GENESIS, O_ACCOUNTS, O_INTERVAL, O_CAP, O_CAP_OPS, O_PENDING,
           O_TXSIZE, O_BLOCKSIZE, O_EXP, O_KEEP, O_KEEPMB, O_SINK, O_CERT, O_KEY, O_JSON,
           O_QUIET, O_HELP, O_VERSION, O_SHARED, O_MODEL, O_PEER, O_FOLLOW, O_RLAT, O_RBW,
           O_RQ, O_WITNESSES, O_WITNESS };
    static const struct option lo[] = {
        {"listen", 1, NULL, O_LISTEN}, {"genesis", 1, NULL, O_GENESIS},
        {"accounts", 1, NULL, O_ACCOUNTS}, {"block-interval", 1, NULL, O_INTERVAL},
        {"capacity", 1, NULL, O_CAP}, {"capacity-ops", 1, NULL, O_CAP_OPS},
        {"capacity-model", 1, NULL, O_MODEL}, {"peer", 1, NULL, O_PEER},
        {"follow", 0, NULL, O_FOLLOW}, {"witnesses", 1, NULL, O_WITNESSES},
        {"witness", 1, NULL, O_WITNESS}, {"relay-latency", 1, NULL, O_RLAT},
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
        case O_WITNESSES:
            if (parse_num(optarg, 1, CHAIN_MAX_WITNESSES, &d) < 0 || d != (double)(int)d)
                bad = "--witnesses: expected 1..101";
            else
                o->chain.witnesses = (uint32_t)d;
            break;
        case O_WITNESS:
            if (parse_num(optarg, 1, CHAIN_MAX_WITNESSES, &d) < 0 || d != (double)(int)d)
                bad = "--witness: expected a witness number 1..101";
            else if (!o->own_witness[(int)d]) {
                o->own_witness[(int)d] = true;
                o->nown++;
            }
            break;
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
        case O_HELP: case 'h': opts_usage(stdout); exit(0);
        case O_VERSION: printf("devnode %s\n", BSS_VERSION); exit(0);
        default: opts_usage(stderr); return -1;
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
    for (int k = (int)o->chain.witnesses + 1; k <= CHAIN_MAX_WITNESSES; k++)
        if (o->own_witness[k]) {
            fprintf(stderr, "devnode: --witness %d: the schedule has %u witnesses (--witnesses)\n",
                    k, o->chain.witnesses);
            return -1;
        }
    if (o->follow && o->nown > 0) {
        fprintf(stderr, "devnode: --follow and --witness exclude each other\n");
        return -1;
    }
    if (o->follow && o->npeers == 0) {
        fprintf(stderr, "devnode: --follow needs --peer (the producer to follow)\n");
        return -1;
    }
    if (o->sink && (o->npeers > 0 || o->follow || o->chain.witnesses > 0)) {
        fprintf(stderr, "devnode: --sink does not join a network (--peer, --follow, --witnesses)\n");
        return -1;
    }
    if (!o->pending_set) {
        double cap = o->chain.capacity_tps * 60;
        o->chain.max_pending = o->chain.capacity_tps > 0 ? (cap < 1000 ? 1000 : (size_t)cap)
                                                         : 1000000;
    }
    return 0;
}
