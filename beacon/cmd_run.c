/* cmd_run.c - `beacon run`: the engine from the command line, without an
 * overseer. One human line per second on stdout, a summary at the end,
 * per-second JSON lines to --stats-json (flushed per line, so a crash
 * loses nothing already written). */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "engine.h"
#include "err.h"
#include "keyfile.h"
#include "opts.h"
#include "sbuf.h"
#include "sign.h"
#include "timefmt.h"

static struct engine *run_engine; /* for the signal handler */

static void run_on_signal(int sig)
{
    (void)sig;
    if (run_engine != NULL)
        engine_stop(run_engine);
}

struct run_out {
    FILE *json;
    int quiet;
    int allow_readable; /* --allow-readable-keys */
    uint64_t t0;
    struct sbuf line;
    const char *const *nodes; /* the URLs, for the per-node summary */
};

static void run_on_stats(void *user, const struct stats_interval *s, enum stats_verdict v,
                         const char *reason, const struct stats_interval *total)
{
    struct run_out *o = user;
    double elapsed = (double)(s->t1_ns - o->t0) / 1e9;

    sbuf_reset(&o->line);
    if (total != NULL) {
        double secs = (double)(total->t1_ns - total->t0_ns) / 1e9;
        stats_render_summary(&o->line, total, secs);
        if (total->nnodes > 1)
            stats_render_nodes(&o->line, total, secs, o->nodes);
        fwrite(o->line.buf, 1, o->line.len, stdout);
        printf("verdict: %s%s%s\n", stats_verdict_name(v), reason[0] ? " - " : "", reason);
        fflush(stdout);
        return;
    }
    if (!o->quiet) {
        char shown[160];
        /* "keeping up" alone; a bound names itself and its evidence. */
        if (v == STATS_OK || reason[0] == '\0')
            snprintf(shown, sizeof shown, "%s", reason[0] ? reason : stats_verdict_name(v));
        else
            snprintf(shown, sizeof shown, "%s - %s", stats_verdict_name(v), reason);
        stats_render_line(&o->line, s, elapsed, shown);
        puts(o->line.buf);
        fflush(stdout);
    }
    if (o->json != NULL) {
        sbuf_reset(&o->line);
        stats_render_json(&o->line, s, elapsed, stats_verdict_name(v), reason);
        sbuf_addc(&o->line, '\n');
        fwrite(o->line.buf, 1, o->line.len, o->json);
        fflush(o->json);
    }
}

static void run_on_event(void *user, const char *text)
{
    (void)user;
    fprintf(stderr, "beacon: %s\n", text);
}

/* The proof that the beacon is not the bottleneck, in CPU per transaction:
 * the send path must stay far below what signing costs. */
static void run_print_cpu(const struct engine *e)
{
    struct engine_cpu cpu;
    double send_us, sign_us;

    engine_cpu(e, &cpu);
    send_us = cpu.sent_count ? (double)cpu.send_ns / 1e3 / (double)cpu.sent_count : 0;
    sign_us = cpu.signed_count ? (double)cpu.sign_ns / 1e3 / (double)cpu.signed_count : 0;
    printf("cpu per transaction: send path %.2f us (%llu sent), signing %.2f us (%llu signed)%s\n",
           send_us, (unsigned long long)cpu.sent_count, sign_us,
           (unsigned long long)cpu.signed_count, sign_us > 0 ? "" : "");
    if (sign_us > 0 && send_us > 0)
        printf("send path / signing CPU per transaction: %.3f\n", send_us / sign_us);
}

static void run_usage(FILE *f)
{
    fputs(
        "usage: beacon run --node ws[s]://HOST:PORT [--node ...] --accounts FILE\n"
        "                  (--rate R|unlimited [--duration S] | --ramp FROM:TO:S | --steps SPEC) [options]\n"
        "\n"
        "Broadcasts pre-signed transactions to BitShares nodes on an open-loop schedule and\n"
        "reports, every second: offered (due), sent, accepted, rejected by reason, confirmed,\n"
        "latencies, pool level, CPU and a verdict (ok / beacon-bound / node-bound).\n"
        "\n"
        "nodes and accounts:\n"
        "  --node URL                 a node's websocket API (repeat for several nodes)\n"
        "  --accounts FILE            key file, lines \"ACCOUNT WIF\"; accounts pay each other in turn;\n"
        "                             refused when other users can read it (chmod 600)\n"
        "  --allow-readable-keys      load --accounts even when other users can read it\n"
        "  --connections-per-node K   connections to each node (default 1)\n"
        "  --spread MODE              round-robin (default), single (first node only), or\n"
        "                             weights:W1,W2,... (one weight per --node)\n"
        "  --follow first|all         confirmations from the first node (default; a network's\n"
        "                             nodes share blocks) or from every node (devnodes, which\n"
        "                             do not relay to each other)\n"
        "  --insecure                 wss:// without certificate checks (self-signed testnets)\n"
        "  --ca-file FILE             extra CA bundle for wss://\n"
        "rate:\n"
        "  --rate R|unlimited         constant tx/s, or as fast as the window allows\n"
        "  --duration S               seconds at --rate (default 10)\n"
        "  --ramp FROM:TO:S           linear ramp (may follow --rate; segments chain)\n"
        "  --steps R1xS1,R2xS2,...    steps of rate x seconds\n"
        "  --window N                 requests in flight per connection (default 4096)\n"
        "  --drop-horizon S           a due transaction unsent after S seconds is dropped (default 5)\n"
        "  --late-ms MS               lateness above this counts as late (default 1)\n"
        "  --ack-timeout S            no answer after S seconds is a timeout (default 10)\n"
        "  --drain S                  after the schedule, wait up to S s for confirmations\n"
        "transactions:\n"
        "  --mix SPEC                 e.g. transfer=70,limit_order=30 (default transfer=100)\n"
        "  --ops-per-tx N             operations per transaction (default 1)\n"
        "  --amount A[:1.3.N]         base transfer amount (default 1 of 1.3.0)\n"
        "  --sell A[:1.3.N]           base amount a limit order sells (default 100000 of 1.3.0)\n"
        "  --receive A[:1.3.N]        minimum a limit order receives (default 1 of 1.3.1)\n"
        "  --seed S                   seed of the operation-kind choice (default 1)\n"
        "  --threads T                signer threads (default: cores - 1, at least 1)\n"
        "  --presign-ahead S          keep S seconds of the peak rate pre-signed (default 5)\n"
        "  --expire S                 transaction expiration after head time (default automatic)\n"
        "  --no-sched-hints           do not ask the kernel to run the sending thread first\n"
        "  --send-tick-us US          wake at most once per US microseconds and send all that\n"
        "                             is due (default 1000; 0: wake for every transaction)\n"
        "                             (short scheduler slice, 1 ns timer slack); for comparison\n"
        "output:\n"
        "  --stats-json FILE          per-second JSON lines (appended, flushed per line),\n"
        "                             with a \"nodes\" array: the figures per target node\n"
        "  --quiet                    no per-second line on stdout\n"
        "Fees come from the node (get_required_fees). Ctrl-C ends the schedule and drains;\n"
        "a second Ctrl-C stops draining.\n",
        f);
}

static int run_spread(const char *s, struct engine_config *cfg, size_t *nweights, char *err)
{
    if (strcmp(s, "round-robin") == 0) {
        cfg->spread = ENGINE_SPREAD_ROUND_ROBIN;
    } else if (strcmp(s, "single") == 0) {
        cfg->spread = ENGINE_SPREAD_SINGLE;
    } else if (strncmp(s, "weights:", 8) == 0) {
        char buf[512], *save = NULL, *tok;
        size_t i = 0;
        uint64_t w;

        snprintf(buf, sizeof buf, "%s", s + 8);
        for (tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
            if (i == ENGINE_MAX_NODES || opts_u64("--spread", tok, 0, 1000000, &w, err) < 0)
                return err_set(err, "--spread: bad weight list \"%s\"", s + 8);
            cfg->weights[i++] = (unsigned)w;
        }
        cfg->spread = ENGINE_SPREAD_WEIGHTS;
        *nweights = i;
    } else {
        return err_set(err, "--spread: expected round-robin, single or weights:W1,W2,..., got \"%s\"", s);
    }
    return 0;
}

/* The rate options, applied in command-line order once --duration is known. */
struct run_rate {
    int kind; /* 'r' rate, 'a' ramp, 's' steps */
    const char *text;
};

static int run_parse(int argc, char **argv, struct engine_config *cfg, const char **keys,
                     const char **json, int *quiet, int *allow_readable, char *err)
{
    enum { O_NODE = 256, O_ACCOUNTS, O_CONNS, O_SPREAD, O_INSECURE, O_CA, O_RATE, O_DURATION,
           O_RAMP, O_STEPS, O_WINDOW, O_DROP, O_LATE, O_ACK, O_DRAIN, O_MIX, O_OPS, O_AMOUNT,
           O_SELL, O_RECV, O_SEED, O_THREADS, O_AHEAD, O_EXPIRE, O_JSON, O_QUIET, O_FOLLOW,
           O_NOHINTS, O_TICK, O_READABLE };
    static const struct option longopts[] = {
        {"node", 1, 0, O_NODE}, {"accounts", 1, 0, O_ACCOUNTS},
        {"connections-per-node", 1, 0, O_CONNS}, {"spread", 1, 0, O_SPREAD},
        {"insecure", 0, 0, O_INSECURE}, {"ca-file", 1, 0, O_CA}, {"rate", 1, 0, O_RATE},
        {"duration", 1, 0, O_DURATION}, {"ramp", 1, 0, O_RAMP}, {"steps", 1, 0, O_STEPS},
        {"window", 1, 0, O_WINDOW}, {"drop-horizon", 1, 0, O_DROP}, {"late-ms", 1, 0, O_LATE},
        {"ack-timeout", 1, 0, O_ACK}, {"drain", 1, 0, O_DRAIN}, {"mix", 1, 0, O_MIX},
        {"ops-per-tx", 1, 0, O_OPS}, {"amount", 1, 0, O_AMOUNT}, {"sell", 1, 0, O_SELL},
        {"receive", 1, 0, O_RECV}, {"seed", 1, 0, O_SEED}, {"threads", 1, 0, O_THREADS},
        {"presign-ahead", 1, 0, O_AHEAD}, {"expire", 1, 0, O_EXPIRE},
        {"stats-json", 1, 0, O_JSON}, {"quiet", 0, 0, O_QUIET}, {"follow", 1, 0, O_FOLLOW},
        {"no-sched-hints", 0, 0, O_NOHINTS}, {"send-tick-us", 1, 0, O_TICK},
        {"allow-readable-keys", 0, 0, O_READABLE},
        {"help", 0, 0, 'h'},
        {0, 0, 0, 0}};
    struct run_rate rates[RATECTL_MAX_SEGS];
    size_t nrates = 0, nweights = 0;
    uint64_t v, duration = 10;
    int c;

    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        int rc = 0;
        switch (c) {
        case O_NODE:
            if (cfg->nnodes == ENGINE_MAX_NODES)
                return err_set(err, "--node: at most %d nodes", ENGINE_MAX_NODES);
            cfg->nodes[cfg->nnodes++] = optarg;
            break;
        case O_ACCOUNTS: *keys = optarg; break;
        case O_CONNS:
            rc = opts_u64("--connections-per-node", optarg, 1, 256, &v, err);
            cfg->conns_per_node = (unsigned)v;
            break;
        case O_SPREAD: rc = run_spread(optarg, cfg, &nweights, err); break;
        case O_INSECURE: cfg->tls_insecure = true; break;
        case O_NOHINTS: cfg->no_sched_hints = true; break;
        case O_TICK:
            rc = opts_u64("--send-tick-us", optarg, 0, 100000, &v, err);
            cfg->send_tick_ns = v == 0 ? UINT64_MAX : v * 1000;
            break;
        case O_FOLLOW:
            if (strcmp(optarg, "first") != 0 && strcmp(optarg, "all") != 0)
                return err_set(err, "--follow: expected first or all, got \"%s\"", optarg);
            cfg->follow_all = strcmp(optarg, "all") == 0;
            break;
        case O_CA: cfg->ca_file = optarg; break;
        case O_RATE: case O_RAMP: case O_STEPS:
            if (nrates == RATECTL_MAX_SEGS)
                return err_set(err, "too many rate options");
            rates[nrates++] = (struct run_rate){c == O_RATE ? 'r' : c == O_RAMP ? 'a' : 's', optarg};
            break;
        case O_DURATION: rc = opts_u64("--duration", optarg, 1, 30u * 86400, &duration, err); break;
        case O_WINDOW:
            rc = opts_u64("--window", optarg, 1, 1000000, &v, err);
            cfg->window = (uint32_t)v;
            break;
        case O_DROP:
            rc = opts_u64("--drop-horizon", optarg, 1, 3600, &v, err);
            cfg->drop_horizon_ns = v * 1000000000u;
            break;
        case O_LATE:
            rc = opts_u64("--late-ms", optarg, 1, 60000, &v, err);
            cfg->late_ns = v * 1000000u;
            break;
        case O_ACK:
            rc = opts_u64("--ack-timeout", optarg, 1, 3600, &v, err);
            cfg->ack_timeout_ns = v * 1000000000u;
            break;
        case O_DRAIN:
            rc = opts_u64("--drain", optarg, 0, 3600, &v, err);
            cfg->drain_ns = v > 0 ? v * 1000000000u : 1;
            break;
        case O_MIX:
            rc = opts_mix("--mix", optarg, &cfg->weight_transfer, &cfg->weight_limit_order, err);
            break;
        case O_OPS:
            rc = opts_u64("--ops-per-tx", optarg, 1, 100000, &v, err);
            cfg->ops_per_tx = (unsigned)v;
            break;
        case O_AMOUNT: {
            struct tx_asset a = {cfg->transfer_amount, cfg->transfer_asset};
            rc = opts_asset("--amount", optarg, &a, err);
            cfg->transfer_amount = a.amount;
            cfg->transfer_asset = a.asset_id;
            break;
        }
        case O_SELL: {
            struct tx_asset a = {cfg->sell_amount, cfg->sell_asset};
            rc = opts_asset("--sell", optarg, &a, err);
            cfg->sell_amount = a.amount;
            cfg->sell_asset = a.asset_id;
            break;
        }
        case O_RECV: {
            struct tx_asset a = {cfg->receive_amount, cfg->receive_asset};
            rc = opts_asset("--receive", optarg, &a, err);
            cfg->receive_amount = a.amount;
            cfg->receive_asset = a.asset_id;
            break;
        }
        case O_SEED: rc = opts_u64("--seed", optarg, 0, UINT64_MAX, &cfg->seed, err); break;
        case O_THREADS:
            rc = opts_u64("--threads", optarg, 1, 256, &v, err);
            cfg->threads = (unsigned)v;
            break;
        case O_AHEAD:
            rc = opts_u64("--presign-ahead", optarg, 1, 3600, &v, err);
            cfg->presign_ahead_s = (double)v;
            break;
        case O_EXPIRE:
            rc = opts_u64("--expire", optarg, 30, 86400, &v, err);
            cfg->expire_s = (uint32_t)v;
            break;
        case O_JSON: *json = optarg; break;
        case O_QUIET: *quiet = 1; break;
        case O_READABLE: *allow_readable = 1; break;
        case 'h': run_usage(stdout); return 1;
        default: return err_set(err, "try --help");
        }
        if (rc < 0)
            return -1;
    }
    if (optind < argc)
        return err_set(err, "unexpected argument \"%s\"", argv[optind]);
    if (cfg->nnodes == 0)
        return err_set(err, "--node is required");
    if (*keys == NULL)
        return err_set(err, "--accounts is required");
    if (nrates == 0)
        return err_set(err, "give a rate: --rate R|unlimited, --ramp or --steps");
    if (cfg->spread == ENGINE_SPREAD_WEIGHTS && nweights != cfg->nnodes)
        return err_set(err, "--spread weights: %zu weights for %zu nodes", nweights, cfg->nnodes);
    ratectl_curve_init(&cfg->curve);
    for (size_t i = 0; i < nrates; i++) {
        int rc = rates[i].kind == 'r'
                     ? ratectl_parse_rate(&cfg->curve, rates[i].text, duration * 1000000000u, err)
                 : rates[i].kind == 'a' ? ratectl_parse_ramp(&cfg->curve, rates[i].text, err)
                                        : ratectl_parse_steps(&cfg->curve, rates[i].text, err);
        if (rc < 0)
            return -1;
    }
    return 0;
}

int cmd_run(int argc, char **argv)
{
    struct engine_config cfg;
    struct keyfile kf = KEYFILE_INIT;
    struct sign_ctx *sctx = NULL;
    struct run_out out = {0};
    struct engine *e = NULL;
    struct engine_chain chain;
    const char *keys = NULL, *json = NULL;
    char err[ERR_LEN];
    int rc = 1, prc;

    engine_defaults(&cfg);
    prc = run_parse(argc, argv, &cfg, &keys, &json, &out.quiet, &out.allow_readable, err);
    if (prc == 1)
        return 0;
    if (prc < 0) {
        fprintf(stderr, "beacon run: %s\n", err);
        return 2;
    }
    sbuf_init(&out.line);
    sctx = sign_ctx_new(err);
    if (sctx == NULL || (!out.allow_readable && keyfile_check_private(keys, err) < 0) ||
        keyfile_load(&kf, sctx, keys, err) < 0) {
        fprintf(stderr, "beacon run: %s\n", err);
        goto cleanup;
    }
    if (json != NULL && (out.json = fopen(json, "a")) == NULL) {
        fprintf(stderr, "beacon run: cannot write %s: %m\n", json);
        goto cleanup;
    }
    cfg.keys = &kf;
    cfg.on_stats = run_on_stats;
    cfg.on_event = run_on_event;
    cfg.user = &out;
    fprintf(stderr, "beacon: setting up against %zu node(s)...\n", cfg.nnodes);
    e = engine_new(&cfg, err);
    if (e == NULL) {
        fprintf(stderr, "beacon run: setup failed: %s\n", err);
        goto cleanup;
    }
    engine_chain(e, &chain);
    fprintf(stderr, "beacon: chain %.16s... max tx %u B, block %u B every %u s; fees: transfer %lld, "
            "limit order %lld; our largest tx %zu B; pre-signing...\n", chain.chain_id,
            chain.max_tx_size, chain.max_block_size, chain.block_interval,
            (long long)chain.transfer_fee, (long long)chain.order_fee, chain.tx_size_unsigned);
    run_engine = e;
    signal(SIGINT, run_on_signal);
    signal(SIGTERM, run_on_signal);
    if (engine_prepare(e, UINT64_MAX, 120000, err) < 0) {
        fprintf(stderr, "beacon run: %s\n", err);
        goto cleanup;
    }
    out.t0 = timefmt_mono_ns();
    out.nodes = cfg.nodes;
    if (engine_run(e, err) < 0) {
        fprintf(stderr, "beacon run: %s\n", err);
        goto cleanup;
    }
    run_print_cpu(e);
    rc = 0;
cleanup:
    run_engine = NULL;
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    engine_free(e);
    keyfile_clear(&kf);
    sign_ctx_free(sctx);
    if (out.json != NULL)
        fclose(out.json);
    sbuf_free(&out.line);
    return rc;
}
