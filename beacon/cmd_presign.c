/* cmd_presign.c - `beacon presign`: sign transactions offline and write them
 * as JSON lines. Signing runs on all cores in batches; each batch is split
 * into chunks that threads claim from an atomic counter, and the main thread
 * writes the chunks in index order, so the output is the same whatever the
 * thread count. */
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmds.h"
#include "err.h"
#include "keyfile.h"
#include "opts.h"
#include "presign.h"
#include "sbuf.h"
#include "sign.h"
#include "timefmt.h"

#define PRESIGN_CHUNK 256         /* transactions a thread claims at once */
#define PRESIGN_BATCH_CHUNKS 64   /* chunks between two ordered writes */
#define PRESIGN_MAX_THREADS 256

struct presign_batch {
    const struct presign_job *job;
    uint64_t first; /* index of the batch's first transaction */
    uint64_t count;
    size_t nchunks;
    atomic_size_t next_chunk;
    atomic_ullong attempts;
    atomic_int failed;
    struct sbuf *out; /* one per chunk */
    char err[ERR_LEN];
    pthread_mutex_t err_lock;
};

static void presign_usage(FILE *f)
{
    fputs(
        "usage: beacon presign --chain-id HEX --ref-block-id HEX40 --expiration TIME\n"
        "                      --keys FILE --from 1.2.X --to 1.2.Y [options]\n"
        "\n"
        "Signs transactions offline (no node needed) and writes one JSON object per line:\n"
        "  {\"txid\":\"<40 hex>\",\"hex\":\"<packed signed tx>\",\"tx\":{<node JSON form>}}\n"
        "Transaction k (k = start, start+1, ...) is a pure function of the options and k,\n"
        "and every transaction of a run has a distinct txid: the first operation's amount is\n"
        "base + (k mod 65536) and its fee (or a limit order's minimum to receive) base + k/65536.\n"
        "\n"
        "required:\n"
        "  --chain-id HEX          chain id (64 hex characters; ask the node: get_chain_id)\n"
        "  --ref-block-id HEX40    TaPoS reference block id (40 hex characters)\n"
        "  --expiration TIME       YYYY-MM-DDTHH:MM:SS (UTC) for every transaction\n"
        "  --keys FILE             key file, lines \"ACCOUNT WIF\" ('#' comments)\n"
        "  --from 1.2.X            paying account (transfer sender, order seller)\n"
        "  --to 1.2.Y              transfer recipient\n"
        "options:\n"
        "  --signer ACCOUNT        key file entry that signs (default: the entry for --from)\n"
        "  --mix SPEC              operation mix, e.g. transfer=70,limit_order=30 (default transfer=100)\n"
        "  --ops-per-tx N          operations per transaction (default 1)\n"
        "  --count N               transactions to sign (default 10)\n"
        "  --start K               first index (default 0)\n"
        "  --seed S                seed of the operation-kind choice (default 1)\n"
        "  --threads T             signing threads (default: online CPUs)\n"
        "  --out FILE              write here (atomically: FILE.tmp, then renamed) instead of stdout\n"
        "  --transfer-fee A[:1.3.N]  fee of a transfer (default 100000:1.3.0)\n"
        "  --amount A[:1.3.N]      base transfer amount (default 1:1.3.0)\n"
        "  --order-fee A[:1.3.N]   fee of a limit order (default 50000:1.3.0)\n"
        "  --sell A[:1.3.N]        base amount a limit order sells (default 100000:1.3.0)\n"
        "  --receive A[:1.3.N]     minimum to receive (default 1:1.3.1)\n"
        "  --order-expiration TIME limit order expiration (default: none, 2106-02-07T06:28:15)\n"
        "  --quiet                 no progress or summary on stderr\n"
        "  --allow-readable-keys   load --keys even when other users can read it (refused\n"
        "                          otherwise: chmod 600)\n"
        "  -h, --help              this text\n"
        "Fees are not checked offline; on a live chain ask the node (get_required_fees).\n",
        f);
}

static void *presign_worker(void *arg)
{
    struct presign_batch *b = arg;
    struct presign_scratch s;
    struct presign_result res;
    char err[ERR_LEN];
    size_t c;

    presign_scratch_init(&s);
    while ((c = atomic_fetch_add(&b->next_chunk, 1)) < b->nchunks) {
        uint64_t lo = b->first + c * PRESIGN_CHUNK;
        uint64_t hi = lo + PRESIGN_CHUNK;
        unsigned long long attempts = 0;

        if (hi > b->first + b->count)
            hi = b->first + b->count;
        for (uint64_t k = lo; k < hi && !atomic_load(&b->failed); k++) {
            if (presign_sign(b->job, k, &s, &res, err) < 0) {
                pthread_mutex_lock(&b->err_lock);
                if (!atomic_exchange(&b->failed, 1)) {
                    memcpy(b->err, err, ERR_LEN);
                    err_prefix(b->err, "transaction %llu", (unsigned long long)k);
                }
                pthread_mutex_unlock(&b->err_lock);
                break;
            }
            attempts += res.attempts;
            presign_render_line(&b->out[c], &s, &res);
        }
        atomic_fetch_add(&b->attempts, attempts);
    }
    presign_scratch_clear(&s);
    return NULL;
}

struct presign_opts {
    const char *chain_id, *ref_block, *expiration, *keys, *from, *to, *signer, *out;
    unsigned threads;
    uint64_t count, start;
    int quiet;
    int allow_readable; /* --allow-readable-keys */
};

/* Parses options into o and job->gen. Returns 0, or 2 after printing. */
static int presign_parse(int argc, char **argv, struct presign_opts *o, struct presign_job *job)
{
    enum { O_CHAIN = 256, O_REF, O_EXP, O_KEYS, O_FROM, O_TO, O_SIGNER, O_MIX, O_OPS, O_COUNT,
           O_START, O_SEED, O_THREADS, O_OUT, O_TFEE, O_AMOUNT, O_OFEE, O_SELL, O_RECV, O_OEXP,
           O_QUIET, O_READABLE };
    static const struct option longopts[] = {
        {"chain-id", 1, 0, O_CHAIN}, {"ref-block-id", 1, 0, O_REF}, {"expiration", 1, 0, O_EXP},
        {"keys", 1, 0, O_KEYS}, {"from", 1, 0, O_FROM}, {"to", 1, 0, O_TO},
        {"signer", 1, 0, O_SIGNER}, {"mix", 1, 0, O_MIX}, {"ops-per-tx", 1, 0, O_OPS},
        {"count", 1, 0, O_COUNT}, {"start", 1, 0, O_START}, {"seed", 1, 0, O_SEED},
        {"threads", 1, 0, O_THREADS}, {"out", 1, 0, O_OUT}, {"transfer-fee", 1, 0, O_TFEE},
        {"amount", 1, 0, O_AMOUNT}, {"order-fee", 1, 0, O_OFEE}, {"sell", 1, 0, O_SELL},
        {"receive", 1, 0, O_RECV}, {"order-expiration", 1, 0, O_OEXP}, {"quiet", 0, 0, O_QUIET},
        {"allow-readable-keys", 0, 0, O_READABLE}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
    struct txgen_config *g = &job->gen;
    char err[ERR_LEN];
    uint64_t v;
    int c, rc = 0;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

    o->threads = ncpu > 0 ? (unsigned)ncpu : 1;
    o->count = 10;
    g->weight_transfer = 100;
    g->weight_limit_order = 0;
    optind = 1;
    while (rc == 0 && (c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case O_CHAIN: o->chain_id = optarg; break;
        case O_REF: o->ref_block = optarg; break;
        case O_EXP: o->expiration = optarg; break;
        case O_KEYS: o->keys = optarg; break;
        case O_FROM: o->from = optarg; break;
        case O_TO: o->to = optarg; break;
        case O_SIGNER: o->signer = optarg; break;
        case O_OUT: o->out = optarg; break;
        case O_QUIET: o->quiet = 1; break;
        case O_READABLE: o->allow_readable = 1; break;
        case O_MIX:
            rc = opts_mix("--mix", optarg, &g->weight_transfer, &g->weight_limit_order, err);
            break;
        case O_OPS:
            rc = opts_u64("--ops-per-tx", optarg, 1, 100000, &v, err);
            g->ops_per_tx = (unsigned)v;
            break;
        case O_COUNT: rc = opts_u64("--count", optarg, 1, (uint64_t)1 << 40, &o->count, err); break;
        case O_START: rc = opts_u64("--start", optarg, 0, ((uint64_t)1 << 40) - 1, &o->start, err); break;
        case O_SEED: rc = opts_u64("--seed", optarg, 0, UINT64_MAX, &g->seed, err); break;
        case O_THREADS:
            rc = opts_u64("--threads", optarg, 1, PRESIGN_MAX_THREADS, &v, err);
            o->threads = (unsigned)v;
            break;
        case O_TFEE: rc = opts_asset("--transfer-fee", optarg, &g->transfer_fee, err); break;
        case O_OFEE: rc = opts_asset("--order-fee", optarg, &g->order_fee, err); break;
        case O_AMOUNT: {
            struct tx_asset a = {g->transfer_amount, g->transfer_asset};
            rc = opts_asset("--amount", optarg, &a, err);
            g->transfer_amount = a.amount;
            g->transfer_asset = a.asset_id;
            break;
        }
        case O_SELL: {
            struct tx_asset a = {g->sell_amount, g->sell_asset};
            rc = opts_asset("--sell", optarg, &a, err);
            g->sell_amount = a.amount;
            g->sell_asset = a.asset_id;
            break;
        }
        case O_RECV: {
            struct tx_asset a = {g->receive_amount, g->receive_asset};
            rc = opts_asset("--receive", optarg, &a, err);
            g->receive_amount = a.amount;
            g->receive_asset = a.asset_id;
            break;
        }
        case O_OEXP:
            rc = timefmt_parse(&g->order_expiration, optarg, strlen(optarg), err);
            if (rc < 0)
                err_prefix(err, "--order-expiration");
            break;
        case 'h': presign_usage(stdout); return 1;
        default: fputs("beacon presign: try --help\n", stderr); return 2;
        }
    }
    if (rc == 0 && optind < argc)
        rc = err_set(err, "unexpected argument \"%s\"", argv[optind]);
    if (rc == 0) {
        const char *missing = !o->chain_id ? "--chain-id" : !o->ref_block ? "--ref-block-id"
                            : !o->expiration ? "--expiration" : !o->keys ? "--keys"
                            : !o->from ? "--from" : !o->to ? "--to" : NULL;
        if (missing != NULL)
            rc = err_set(err, "%s is required", missing);
    }
    if (rc == 0 && (opts_hex("--chain-id", o->chain_id, job->chain_id, TX_CHAIN_ID_LEN, err) ||
                    opts_hex("--ref-block-id", o->ref_block, g->ref_block_id, TX_BLOCK_ID_LEN, err) ||
                    opts_id("--from", o->from, 2, &g->from, err) ||
                    opts_id("--to", o->to, 2, &g->to, err)))
        rc = -1;
    if (rc == 0 && timefmt_parse(&g->expiration, o->expiration, strlen(o->expiration), err) < 0)
        rc = err_prefix(err, "--expiration");
    if (rc == 0 && txgen_check(g, err) < 0)
        rc = -1;
    g->k_offset = o->start;
    if (rc != 0) {
        fprintf(stderr, "beacon presign: %s\n", err);
        return 2;
    }
    return 0;
}

/* Signs one batch on o->threads threads and writes it in order. */
static int presign_run_batch(struct presign_batch *b, unsigned threads, FILE *f)
{
    pthread_t tid[PRESIGN_MAX_THREADS];
    unsigned started = 0;
    int rc = 0;

    for (; started < threads && started < b->nchunks; started++)
        if (pthread_create(&tid[started], NULL, presign_worker, b) != 0)
            break;
    if (started == 0)
        presign_worker(b); /* no thread could start: sign here */
    for (unsigned i = 0; i < started; i++)
        pthread_join(tid[i], NULL);
    if (atomic_load(&b->failed)) {
        fprintf(stderr, "beacon presign: %s\n", b->err);
        return -1;
    }
    for (size_t c = 0; c < b->nchunks; c++) {
        if (b->out[c].overflow) {
            fprintf(stderr, "beacon presign: out of memory\n");
            return -1;
        }
        if (fwrite(b->out[c].buf, 1, b->out[c].len, f) != b->out[c].len)
            rc = -1;
        sbuf_reset(&b->out[c]);
    }
    return rc;
}

int cmd_presign(int argc, char **argv)
{
    struct presign_opts o = {0};
    struct presign_job job = {0};
    struct keyfile kf = KEYFILE_INIT;
    const struct keyfile_entry *signer;
    struct presign_batch b = {0};
    char err[ERR_LEN], tmp[4096];
    FILE *f = stdout;
    uint64_t done = 0, t0, last_progress;
    int rc = 1, prc;

    txgen_defaults(&job.gen);
    prc = presign_parse(argc, argv, &o, &job);
    if (prc != 0)
        return prc == 1 ? 0 : prc;
    job.sctx = sign_ctx_new(err);
    if (job.sctx == NULL) {
        fprintf(stderr, "beacon presign: %s\n", err);
        goto cleanup;
    }
    if ((!o.allow_readable && keyfile_check_private(o.keys, err) < 0) ||
        keyfile_load(&kf, job.sctx, o.keys, err) < 0) {
        fprintf(stderr, "beacon presign: %s\n", err);
        goto cleanup;
    }
    signer = o.signer != NULL ? keyfile_find(&kf, o.signer, 0) : keyfile_find(&kf, NULL, job.gen.from);
    if (signer == NULL) {
        fprintf(stderr, "beacon presign: %s has no key for %s (offline signing needs an entry "
                "whose account is the id, or --signer NAME)\n", o.keys, o.signer ? o.signer : o.from);
        goto cleanup;
    }
    job.key = signer->key;
    if (o.out != NULL) {
        snprintf(tmp, sizeof tmp, "%s.tmp", o.out);
        f = fopen(tmp, "w");
        if (f == NULL) {
            fprintf(stderr, "beacon presign: cannot write %s: %m\n", tmp);
            goto cleanup;
        }
    }
    b.job = &job;
    b.out = calloc(PRESIGN_BATCH_CHUNKS, sizeof *b.out);
    if (b.out == NULL)
        goto cleanup;
    pthread_mutex_init(&b.err_lock, NULL);
    for (size_t c = 0; c < PRESIGN_BATCH_CHUNKS; c++)
        sbuf_init(&b.out[c]);
    t0 = last_progress = timefmt_mono_ns();
    while (done < o.count) {
        uint64_t n = o.count - done, now;

        if (n > (uint64_t)PRESIGN_CHUNK * PRESIGN_BATCH_CHUNKS)
            n = (uint64_t)PRESIGN_CHUNK * PRESIGN_BATCH_CHUNKS;
        b.first = o.start + done;
        b.count = n;
        b.nchunks = (size_t)((n + PRESIGN_CHUNK - 1) / PRESIGN_CHUNK);
        atomic_store(&b.next_chunk, 0);
        if (presign_run_batch(&b, o.threads, f) < 0)
            goto cleanup;
        done += n;
        now = timefmt_mono_ns();
        if (!o.quiet && now - last_progress >= 1000000000u && done < o.count) {
            fprintf(stderr, "beacon presign: %llu/%llu signed (%.0f tx/s)\n",
                    (unsigned long long)done, (unsigned long long)o.count,
                    (double)done * 1e9 / (double)(now - t0));
            last_progress = now;
        }
    }
    if (fflush(f) != 0 || ferror(f)) {
        fprintf(stderr, "beacon presign: write failed: %m\n");
        goto cleanup;
    }
    if (o.out != NULL) {
        if (fclose(f) != 0 || rename(tmp, o.out) != 0) {
            f = NULL;
            fprintf(stderr, "beacon presign: cannot write %s: %m\n", o.out);
            goto cleanup;
        }
        f = NULL;
    }
    if (!o.quiet) {
        double secs = (double)(timefmt_mono_ns() - t0) / 1e9;
        fprintf(stderr, "beacon presign: %llu transactions in %.2f s (%.0f tx/s on %u threads, "
                "%.2f nonces per signature)\n", (unsigned long long)o.count, secs,
                (double)o.count / (secs > 0 ? secs : 1e-9), o.threads,
                (double)atomic_load(&b.attempts) / (double)o.count);
    }
    rc = 0;
cleanup:
    if (f != NULL && f != stdout) {
        fclose(f);
        remove(tmp);
    }
    if (b.out != NULL) {
        for (size_t c = 0; c < PRESIGN_BATCH_CHUNKS; c++)
            sbuf_free(&b.out[c]);
        free(b.out);
        pthread_mutex_destroy(&b.err_lock);
    }
    keyfile_clear(&kf);
    sign_ctx_free((struct sign_ctx *)job.sctx);
    return rc;
}
