/* run.c - `overseer run`: setup (results directory, keys, bus, local
 * children), waiting for beacons, the phase loop, the manifest. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "allow.h"
#include "dash_feed.h"
#include "err.h"
#include "hash.h"
#include "keyfile.h"
#include "report.h"
#include "run_impl.h"
#include "search.h"
#include "sign.h"
#include "timefmt.h"
#include "version.h"

#define RUN_LOCAL_ACCOUNTS_PER_BEACON 4
#define RUN_LOCAL_ACCOUNTS_MIN 8

static void run_on_stats(void *user, struct sess_beacon *b, const struct proto_stats *st)
{
    phase_on_stats(user, b, st);
}

static void run_on_event(void *user, struct sess_beacon *b, const char *text)
{
    run_log(user, "%s", text);
    dash_feed_beacon(user, b, text);
}

static int run_mkdir(const char *path, char *err)
{
    if (mkdir(path, 0755) == 0 || errno == EEXIST)
        return 0;
    return err_set(err, "cannot create %s: %s", path, strerror(errno));
}

/* Reads a whole (small) file. */
static char *run_slurp(const char *path, size_t *len, char *err)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;

    if (f == NULL) {
        err_set(err, "%s: %s", path, strerror(errno));
        return NULL;
    }
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && n < PROTO_MAX_KEYS_TEXT &&
        fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1)) != NULL &&
        fread(buf, 1, (size_t)n, f) == (size_t)n) {
        buf[n] = '\0';
        *len = (size_t)n;
    } else {
        free(buf);
        buf = NULL;
        err_set(err, "%s: cannot read (or larger than %u bytes)", path, PROTO_MAX_KEYS_TEXT);
    }
    fclose(f);
    return buf;
}

/* The account keys the beacons get: the scenario's file, checked here so
 * that a bad line is reported before any beacon sees it. */
static int run_load_accounts(struct run *r, const char *path, char *err)
{
    struct keyfile kf = KEYFILE_INIT;
    struct sign_ctx *sctx = sign_ctx_new(err);
    int rc = -1;

    if (sctx == NULL)
        return -1;
    r->keys_text = run_slurp(path, &r->keys_len, err);
    if (r->keys_text != NULL && keyfile_parse(&kf, sctx, r->keys_text, r->keys_len, path, err) == 0)
        rc = 0;
    keyfile_clear(&kf);
    sign_ctx_free(sctx);
    return rc;
}

/* --local: test accounts of our own (secret N = sha256("bss-local/N")), so a
 * local run needs no file from the source tree. */
static int run_local_accounts(struct run *r, const char *path, char *err)
{
    struct sign_ctx *sctx = sign_ctx_new(err);
    FILE *f;
    int rc = -1;

    if (sctx == NULL)
        return -1;
    f = fopen(path, "w");
    if (f == NULL) {
        err_set(err, "cannot write %s: %s", path, strerror(errno));
        goto cleanup;
    }
    fprintf(f, "# Test accounts of a local run (public keys: never fund them anywhere else).\n");
    unsigned naccounts = r->nbeacons * RUN_LOCAL_ACCOUNTS_PER_BEACON;
    if (naccounts < RUN_LOCAL_ACCOUNTS_MIN)
        naccounts = RUN_LOCAL_ACCOUNTS_MIN;
    for (unsigned i = 1; i <= naccounts; i++) {
        char seed[32], wif[SIGN_WIF_MAX];
        uint8_t secret[32];
        struct sign_key *k;
        int n = snprintf(seed, sizeof seed, "bss-local/%u", i);

        hash_sha256(secret, seed, (size_t)n);
        k = sign_key_from_secret(sctx, secret, err);
        explicit_bzero(secret, sizeof secret);
        if (k == NULL) {
            fclose(f);
            goto cleanup;
        }
        sign_key_wif(k, wif);
        fprintf(f, "load%u %s\n", i, wif);
        explicit_bzero(wif, sizeof wif);
        sign_key_free(k);
    }
    if (fclose(f) != 0) {
        err_set(err, "cannot write %s", path);
        goto cleanup;
    }
    rc = run_load_accounts(r, path, err);
cleanup:
    sign_ctx_free(sctx);
    return rc;
}

/* Keys and the bus. --local in secure mode makes a fresh overseer keypair
 * and one per beacon, and allows exactly those. */
static int run_bus(struct run *r, char *kdir_fmt, size_t kdir_cap, char *err)
{
    const struct run_config *cfg = r->cfg;
    struct bus_server_config bc = {.endpoint = cfg->bind, .insecure = cfg->insecure};
    struct allowlist al = {0};
    char pub[BUS_KEY_LEN + 1], sec[BUS_KEY_LEN + 1], path[4200];
    int rc = -1;

    if (!cfg->insecure) {
        if (cfg->local) {
            snprintf(path, sizeof path, "%s/keys/overseer", r->out);
            if (bus_keygen_files(path, err) < 0)
                goto cleanup;
            snprintf(path, sizeof path, "%s/keys/overseer.key", r->out);
            if (bus_key_load(path, pub, sec, err) < 0)
                goto cleanup;
            for (unsigned i = 1; i <= r->nbeacons; i++) {
                char bpub[BUS_KEY_LEN + 1];
                snprintf(path, sizeof path, "%s/keys/beacon-%u", r->out, i);
                if (bus_keygen_files(path, err) < 0)
                    goto cleanup;
                snprintf(path, sizeof path, "%s/keys/beacon-%u.pub", r->out, i);
                if (bus_key_load(path, bpub, NULL, err) < 0 || allow_add(&al, bpub, err) < 0)
                    goto cleanup;
            }
            snprintf(kdir_fmt, kdir_cap, "%s/keys/beacon-%%u.key", r->out);
        } else {
            if (cfg->key_file == NULL || cfg->allow_file == NULL) {
                err_set(err, "--key and --allow are required (make keys with `overseer keygen`, "
                        "`beacon keygen`), or --insecure on loopback");
                goto cleanup;
            }
            if (bus_key_load(cfg->key_file, pub, sec, err) < 0 ||
                allow_load(&al, cfg->allow_file, err) < 0)
                goto cleanup;
        }
        bc.public_key = pub;
        bc.secret_key = sec;
        bc.allow = al.ptrs;
        bc.nallow = al.n;
    }
    r->bus = bus_server_new(&bc, err);
    rc = r->bus == NULL ? -1 : 0;
cleanup:
    explicit_bzero(sec, sizeof sec);
    allow_free(&al);
    return rc;
}

/* manifest.json: what was run, where, by which programs, and how it ended.
 * Written at the start and again at the end (atomically, via a rename). */
static void run_manifest(struct run *r, const char *result, uint32_t started,
                         const struct phase_result *pr, size_t npr)
{
    char path[4200], tmp[4300], stamp[TIMEFMT_LEN];
    struct sbuf b;
    FILE *f;

    sbuf_init(&b);
    sbuf_adds(&b, "{\n  \"run_id\": ");
    sbuf_add_json_str(&b, r->run_id, strlen(r->run_id));
    sbuf_adds(&b, ",\n  \"result\": ");
    sbuf_add_json_str(&b, result, strlen(result));
    sbuf_adds(&b, ",\n  \"programs\": {\"overseer\": \"" BSS_VERSION "\"}");
    timefmt_format(stamp, started);
    sbuf_addf(&b, ",\n  \"started\": \"%sZ\"", stamp);
    {
        /* Who writes it: `overseer report` calls a "running" run whose
         * process is gone interrupted. */
        char host[256] = "";
        gethostname(host, sizeof host - 1);
        sbuf_adds(&b, ",\n  \"host\": ");
        sbuf_add_json_str(&b, host, strlen(host));
        sbuf_addf(&b, ", \"pid\": %ld", (long)getpid());
    }
    if (strcmp(result, "running") != 0) {
        timefmt_format(stamp, timefmt_wall_secs());
        sbuf_addf(&b, ",\n  \"ended\": \"%sZ\"", stamp);
    }
    sbuf_adds(&b, ",\n  \"scenario\": {\"path\": ");
    sbuf_add_json_str(&b, r->sc->path, strlen(r->sc->path));
    sbuf_adds(&b, ", \"name\": ");
    sbuf_add_json_str(&b, r->sc->name, strlen(r->sc->name));
    sbuf_addf(&b, ", \"scale\": %g, \"seed\": %llu, \"text\": ", r->sc->scale,
              (unsigned long long)r->sc->seed);
    sbuf_add_json_str(&b, r->sc->text, r->sc->text_len);
    sbuf_addf(&b, "},\n  \"local\": %s,\n  \"nodes\": [", r->cfg->local ? "true" : "false");
    for (size_t i = 0; i < r->nnodes; i++) {
        if (i > 0)
            sbuf_adds(&b, ", ");
        sbuf_add_json_str(&b, r->nodes[i], strlen(r->nodes[i]));
    }
    sbuf_adds(&b, "]");
    if (r->have_chain)
        sbuf_addf(&b, ",\n  \"chain\": {\"chain_id\": \"%s\", \"maximum_transaction_size\": %u, "
                  "\"maximum_block_size\": %u, \"block_interval\": %u, "
                  "\"maximum_time_until_expiration\": %u, \"transfer_fee\": %lld, "
                  "\"limit_order_create_fee\": %lld}",
                  r->chain.chain_id, r->chain.max_tx_size, r->chain.max_block_size,
                  r->chain.block_interval, r->chain.max_expiration,
                  (long long)r->chain.transfer_fee, (long long)r->chain.order_fee);
    sbuf_adds(&b, ",\n  \"beacons\": [");
    for (size_t i = 0; r->sess != NULL && i < sess_count(r->sess); i++) {
        struct sess_beacon *be = sess_at(r->sess, i);
        sbuf_adds(&b, i > 0 ? ",\n    {\"id\": " : "\n    {\"id\": ");
        sbuf_add_json_str(&b, be->id, strlen(be->id));
        sbuf_adds(&b, ", \"host\": ");
        sbuf_add_json_str(&b, be->host, strlen(be->host));
        sbuf_adds(&b, ", \"address\": ");
        sbuf_add_json_str(&b, be->peer.addr, strlen(be->peer.addr));
        sbuf_adds(&b, ", \"version\": ");
        sbuf_add_json_str(&b, be->version, strlen(be->version));
        sbuf_addf(&b, ", \"cores\": %u, \"key\": \"%s\", \"alive_at_end\": %s}", be->cores,
                  be->peer.key, be->alive ? "true" : "false");
    }
    sbuf_adds(&b, "],\n  \"phases\": [");
    for (size_t i = 0; i < npr; i++)
        sbuf_addf(&b, "%s\n    {\"number\": %zu, \"start_s\": %.3f, \"end_s\": %.3f, "
                  "\"beacons\": %u, \"verdict\": \"%s\"}", i ? "," : "", i + 1, pr[i].start_s,
                  pr[i].end_s, pr[i].beacons, stats_verdict_name(pr[i].verdict));
    sbuf_adds(&b, "]\n}\n");
    snprintf(path, sizeof path, "%s/manifest.json", r->out);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    f = fopen(tmp, "w");
    if (f == NULL || fwrite(b.buf, 1, b.len, f) != b.len || fclose(f) != 0 ||
        rename(tmp, path) != 0)
        run_log(r, "cannot write %s: %s", path, strerror(errno));
    sbuf_free(&b);
}

/* Waits until the run's beacons are connected. */
static int run_wait_beacons(struct run *r, char *err)
{
    uint64_t deadline = timefmt_mono_ns() + (uint64_t)r->cfg->wait_s * 1000000000u, next = 0;

    run_log(r, "waiting up to %u s for %u beacon(s) on %s", r->cfg->wait_s, r->nbeacons,
            r->cfg->bind);
    while (sess_alive(r->sess) < r->nbeacons) {
        uint64_t now = timefmt_mono_ns();
        if (sess_poll(r->sess, 100, err) < 0)
            return -1;
        if (run_interrupted)
            return 1;
        if (now > deadline)
            return err_set(err, "only %zu of %u beacons connected within %u s (check their "
                           "--overseer address, keys and the allowlist; events.log has refusals)",
                           sess_alive(r->sess), r->nbeacons, r->cfg->wait_s);
        if (now >= next) {
            run_progress(r, "beacons connected: %zu/%u", sess_alive(r->sess), r->nbeacons);
            next = now + 1000000000u;
        }
    }
    run_log(r, "%zu beacon(s) connected", sess_alive(r->sess));
    return 0;
}

/* One phase of the scenario, whatever its kind. */
static int run_phase(struct run *r, const struct scenario_phase *p, struct phase_result *res,
                     char *err)
{
    struct phase_spec spec = {.p = p, .name = p->name, .ops_per_tx = p->ops_per_tx,
                              .warmup_ns = p->warmup_ns, .cooldown_ns = p->cooldown_ns};

    switch (p->kind) {
    case SCENARIO_PHASE_LOAD:
        if (scenario_phase_curve(p, &spec.curve, err) < 0)
            return -1;
        return phase_run(r, &spec, res, NULL, err);
    case SCENARIO_PHASE_FIND_LIMIT:
        return search_find_limit(r, p, res, err);
    case SCENARIO_PHASE_P2P_LIMIT:
        return search_p2p_limit(r, p, res, err);
    }
    return err_set(err, "phase \"%s\": unknown kind", p->name);
}

int run_main(const struct run_config *cfg, char *err)
{
    struct sess_callbacks cb = {run_on_stats, run_on_event};
    struct run *r = calloc(1, sizeof *r);
    struct phase_result *pr = NULL;
    char path[4200], kfmt[4200] = "";
    const char *result = "failed";
    uint32_t started = timefmt_wall_secs();
    size_t npr = 0;
    int rc = -1;

    if (r == NULL || (r->msg = malloc(sizeof *r->msg)) == NULL ||
        (pr = calloc(cfg->sc->nphases, sizeof *pr)) == NULL) {
        err_set(err, "out of memory");
        goto cleanup;
    }
    r->cfg = cfg;
    r->sc = cfg->sc;
    r->t0 = timefmt_mono_ns();
    r->nbeacons = cfg->beacons ? cfg->beacons : cfg->sc->beacons;
    snprintf(r->run_id, sizeof r->run_id, "%s-%u-%ld", cfg->sc->name, started, (long)getpid());
    snprintf(r->out, sizeof r->out, "%s", cfg->out_dir);
    if (run_mkdir(r->out, err) < 0 || dash_feed_start(r, err) < 0)
        goto cleanup;
    if ((r->ts = csvout_open(r->out, CSVOUT_TIMESERIES, false, err)) == NULL ||
        (r->bc = csvout_open(r->out, CSVOUT_BEACONS, false, err)) == NULL ||
        (r->sum = csvout_open(r->out, CSVOUT_SUMMARY, false, err)) == NULL ||
        (r->nodes_csv = csvout_open(r->out, CSVOUT_NODES, false, err)) == NULL)
        goto cleanup;
    snprintf(path, sizeof path, "%s/events.log", r->out);
    r->events = fopen(path, "a");
    snprintf(path, sizeof path, "%s/keys", r->out);
    if (cfg->local && (run_mkdir(path, err) < 0 || chmod(path, 0700) < 0))
        goto cleanup;
    run_log(r, "run %s: scenario %s (%zu phases), results in %s", r->run_id, cfg->sc->path,
            cfg->sc->nphases, r->out);
    if (cfg->local) {
        snprintf(path, sizeof path, "%s/keys/accounts.keys", r->out);
        if (cfg->sc->accounts != NULL ? run_load_accounts(r, cfg->sc->accounts, err) < 0
                                      : run_local_accounts(r, path, err) < 0)
            goto cleanup;
    } else if (cfg->sc->accounts != NULL && run_load_accounts(r, cfg->sc->accounts, err) < 0) {
        goto cleanup;
    }
    if (run_bus(r, kfmt, sizeof kfmt, err) < 0)
        goto cleanup;
    r->sess = sess_new(r->bus, r->run_id, &cb, r);
    if (r->sess == NULL) {
        err_set(err, "out of memory");
        goto cleanup;
    }
    for (size_t i = 0; i < cfg->sc->nnodes; i++)
        r->scen_nodes[i] = cfg->sc->nodes[i];
    r->nodes = r->scen_nodes;
    r->nnodes = cfg->sc->nnodes;
    if (cfg->local) {
        struct local_config lc = {
            .logdir = r->out, .accounts = cfg->sc->accounts ? cfg->sc->accounts : path,
            .ndevnodes = cfg->sc->local.devnodes ? cfg->sc->local.devnodes : 1,
            .block_interval = (double)cfg->sc->local.block_interval_ns / 1e9,
            .capacity = cfg->sc->local.capacity, .max_tx_size = cfg->sc->local.max_tx_size,
            .max_block_size = cfg->sc->local.max_block_size,
            .capacity_ops = cfg->sc->local.capacity_ops,
            .max_pending = (unsigned long long)cfg->sc->local.max_pending,
            .genesis = cfg->sc->local.genesis,
            .nbeacons = r->nbeacons, .endpoint = cfg->bind, .insecure = cfg->insecure,
            .beacon_key_fmt = kfmt, .beacon_threads = cfg->beacon_threads,
            .independent = cfg->sc->local.independent,
            .relay_latency_set = cfg->sc->local.has_relay_latency,
            .relay_latency = (double)cfg->sc->local.relay_latency_ns / 1e9,
            .relay_bandwidth = cfg->sc->local.relay_bandwidth,
        };
        char opub[4200];
        snprintf(opub, sizeof opub, "%s/keys/overseer.pub", r->out);
        lc.overseer_pub = opub;
        r->local = local_start(&lc, err);
        if (r->local == NULL)
            goto cleanup;
        r->nnodes = local_nodes(r->local, &r->nodes);
        /* Independent devnodes do not relay: confirmations from each. */
        r->follow_all = r->nnodes > 1 && !local_network(r->local);
        run_log(r, "local: %zu devnode(s)%s and %u beacon(s) started (logs in %s)", r->nnodes,
                local_network(r->local) ? " relaying as one network (devnode-1 produces)" : "",
                r->nbeacons, r->out);
    }
    if (r->nnodes == 0) {
        err_set(err, "%s names no nodes (add nodes:, or run with --local)", cfg->sc->path);
        goto cleanup;
    }
    dash_feed_nodes(r);
    run_manifest(r, "running", started, pr, 0);
    rc = run_wait_beacons(r, err);
    for (size_t i = 0; rc == 0 && i < cfg->sc->nphases && !r->aborted; i++) {
        rc = run_phase(r, &cfg->sc->phases[i], &pr[i], err);
        npr = i + 1;
    }
    result = rc < 0 ? "failed" : r->aborted || rc == 1 ? "interrupted" : "completed";
    if (rc == 0)
        run_log(r, "run completed: results in %s", r->out);
cleanup:
    if (r != NULL) {
        if (rc < 0 && r->events != NULL)
            run_log(r, "run failed: %s", err);
        if (r->out[0] != '\0' && r->ts != NULL)
            run_manifest(r, result, started, pr, npr);
        local_stop(r->local);
        sess_free(r->sess);
        bus_free(r->bus);
        bool results = r->ts != NULL, reported = false;
        csvout_close(r->ts, NULL);
        csvout_close(r->bc, NULL);
        csvout_close(r->sum, NULL);
        csvout_close(r->nodes_csv, NULL);
        if (results) {
            /* The report is a view of the results: its failure fails nothing.
             * Logged first, so that the page shows the events.log that
             * `overseer report` will read again. */
            char rerr[ERR_LEN];
            run_log(r, "report: %s/report.html", r->out);
            if (report_write(r->out, rerr) < 0)
                run_log(r, "report not written: %s", rerr);
            else
                reported = true;
        }
        dash_feed_end(r, result, reported);
        if (r->events != NULL)
            fclose(r->events);
        if (r->keys_text != NULL)
            explicit_bzero(r->keys_text, r->keys_len);
        free(r->keys_text);
        free(r->msg);
        free(r);
    }
    free(pr);
    return rc;
}
