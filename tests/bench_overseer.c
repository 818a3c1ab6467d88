/* bench_overseer.c - simulated beacons for the overseer benchmark (issue 5):
 * ONE process that speaks the beacon side of proto/ for N beacons, each with
 * its own bus client, so that the overseer sees N ZeroMQ peers exactly as it
 * would see N beacon processes. No signing and no nodes: what a beacon
 * measures is synthesised, but the messages have the real shape, size and
 * timing (beacon/agent.c and beacon/agent_job.c are the model):
 *  - HELLO every second until WELCOME, again after the lease ran out;
 *  - HEARTBEAT every heartbeat_ms, echoing the overseer's last t_ns with
 *    the time it was held;
 *  - CONFIGURE + PREPARE -> READY (ok, chain parameters); START -> a STATS
 *    per second for the phase's curve (its exact share of the curve's
 *    transactions as counters, and three histograms made by recording one
 *    synthetic latency per transaction, capped at --samples distinct values
 *    per second with weights: a few hundred non-empty buckets each); then
 *    DONE with the merged total; STOP ends the phase early;
 *  - STATS are numbered across phases, kept until STATS_ACK, resent after a
 *    WELCOME and when one stays unacknowledged for 3 s.
 *
 *   bench_overseer keys N DIR
 *       writes DIR/beacon-I.key, DIR/beacon-I.pub (I = 1..N) and
 *       DIR/beacons.allow (for `overseer run --allow`)
 *   bench_overseer run --endpoint EP --beacons N [--insecure | --keys DIR
 *       --server-key OVERSEER.pub] [--samples S] [--phases K] [--max-time S]
 *       runs until every beacon finished K phases (and had its STATS
 *       acknowledged), SIGINT/SIGTERM, or S seconds (exit status 1), then
 *       prints one "sim:" line of counts.
 *
 * One thread drives every beacon in rounds (poll each socket, run its
 * timers, sleep SIM_ROUND_NS), so the simulator's own CPU stays small next
 * to the overseer it measures. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "bench_overseer_sim.h"
#include "err.h"
#include "timefmt.h"

#define SIM_ROUND_NS 10000000ull    /* one round over all beacons every 10 ms */
#define SIM_LINGER_NS (2 * SIM_SEC) /* after the last DONE: let the overseer finish */

static volatile sig_atomic_t sim_stop;

static void on_signal(int sig)
{
    (void)sig;
    sim_stop = 1;
}

/* ---- setup ---- */

static int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    int n = 0;

    if (d == NULL)
        return -1;
    while (readdir(d) != NULL)
        n++;
    closedir(d);
    return n - 3; /* ".", "..", and the directory's own fd */
}

/* 500 ZeroMQ contexts need a few thousand descriptors: take the hard limit. */
static void raise_nofile(void)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
    }
}

/* A whole number 1..max for option opt. */
static bool parse_count(const char *opt, const char *v, unsigned max, unsigned *out)
{
    char *end;
    unsigned long x = strtoul(v, &end, 10);

    if (end == v || *end != '\0' || v[0] == '-' || x == 0 || x > max) {
        fprintf(stderr, "bench_overseer: %s: \"%s\" is not a number from 1 to %u\n", opt, v, max);
        return false;
    }
    *out = (unsigned)x;
    return true;
}

/* After the first beacon's bus: do n of them fit in the descriptor limit?
 * (Each has its own ZeroMQ context: sockets, mailboxes, epoll, monitor.) */
static int fds_check(unsigned n, int fds0)
{
    struct rlimit rl;
    int per = count_fds() - fds0;
    unsigned long long need = (unsigned long long)fds0 + (unsigned long long)per * n + 16;

    if (per > 0 && getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        need > (unsigned long long)rl.rlim_cur) {
        fprintf(stderr, "sim: %u beacons need about %llu file descriptors (%d each), the limit is "
                "%llu (raise the hard limit: ulimit -Hn)\n", n, need, per,
                (unsigned long long)rl.rlim_cur);
        return -1;
    }
    return 0;
}

static int cmd_keys(int argc, char **argv)
{
    char path[4096], pub[BUS_KEY_LEN + 1], err[ERR_LEN];
    unsigned n;
    FILE *allow;

    if (argc != 4) {
        fprintf(stderr, "usage: bench_overseer keys N DIR\n");
        return 2;
    }
    if (!parse_count("keys N", argv[2], 100000, &n))
        return 2;
    snprintf(path, sizeof path, "%s/beacons.allow", argv[3]);
    allow = fopen(path, "w");
    if (allow == NULL) {
        fprintf(stderr, "sim: %s: %s\n", path, strerror(errno));
        return 1;
    }
    for (unsigned i = 1; i <= n; i++) {
        snprintf(path, sizeof path, "%s/beacon-%u", argv[3], i);
        if (bus_keygen_files(path, err) < 0)
            goto fail;
        snprintf(path, sizeof path, "%s/beacon-%u.pub", argv[3], i);
        if (bus_key_load(path, pub, NULL, err) < 0)
            goto fail;
        fprintf(allow, "%s\n", pub);
    }
    if (fclose(allow) != 0) {
        fprintf(stderr, "sim: cannot write %s/beacons.allow\n", argv[3]);
        return 1;
    }
    return 0;
fail:
    fprintf(stderr, "sim: %s\n", err);
    fclose(allow);
    return 1;
}

static void print_counts(const struct simrun *r)
{
    const struct sim_counts *k = &r->k;
    double n = k->stats ? (double)k->stats : 1;

    printf("sim: beacons %u welcomes %llu hellos %llu ready %llu stats %llu acked %llu resent %llu "
           "done %llu heartbeats %llu hb_rx %llu errors_rx %llu bad_rx %llu lease_lost %llu "
           "send_failed %llu stats_bytes_avg %.0f buckets_avg %.0f %.0f %.0f\n",
           r->n, (unsigned long long)k->welcomes, (unsigned long long)k->hellos,
           (unsigned long long)k->ready, (unsigned long long)k->stats,
           (unsigned long long)k->acked, (unsigned long long)k->resent,
           (unsigned long long)k->done, (unsigned long long)k->heartbeats,
           (unsigned long long)k->hb_rx, (unsigned long long)k->errors_rx,
           (unsigned long long)k->bad_rx, (unsigned long long)k->lease_lost,
           (unsigned long long)k->send_failed, (double)k->stats_bytes / n,
           (double)k->buckets[0] / n, (double)k->buckets[1] / n, (double)k->buckets[2] / n);
    fflush(stdout);
}

static void usage(void)
{
    fputs("usage: bench_overseer keys N DIR\n"
          "       bench_overseer run --endpoint EP --beacons N [--insecure | --keys DIR\n"
          "           --server-key OVERSEER.pub] [--samples S] [--phases K] [--max-time S]\n",
          stderr);
}

/* One bus client per beacon (keys from DIR/beacon-I.key unless insecure).
 * Returns 0, or -1 after saying why. */
static int connect_all(struct simrun *r, const char *endpoint, bool insecure, const char *keydir,
                       const char *srv)
{
    char err[ERR_LEN], pub[BUS_KEY_LEN + 1] = "", sec[BUS_KEY_LEN + 1] = "", path[4096];
    int fds0 = count_fds();

    for (unsigned i = 0; i < r->n; i++) {
        struct sim *b = &r->b[i];
        struct bus_client_config bc = {endpoint, insecure, srv, pub, sec};

        if (!insecure) {
            snprintf(path, sizeof path, "%s/beacon-%u.key", keydir, i + 1);
            if (bus_key_load(path, pub, sec, err) < 0) {
                fprintf(stderr, "sim: %s\n", err);
                return -1;
            }
        }
        snprintf(b->id, sizeof b->id, "sim-%u", i + 1);
        b->rng = 0x9E3779B97F4A7C15ull * (i + 1);
        b->hb_ms = 1000;
        b->lease_ms = 5000;
        b->bus = bus_client_new(&bc, err);
        explicit_bzero(sec, sizeof sec);
        if (b->bus == NULL) {
            struct rlimit rl;
            getrlimit(RLIMIT_NOFILE, &rl);
            fprintf(stderr, "sim: beacon %u of %u: %s (%d descriptors open, limit %llu)\n", i + 1,
                    r->n, err, count_fds(), (unsigned long long)rl.rlim_cur);
            return -1;
        }
        if (i == 0 && fds_check(r->n, fds0) < 0)
            return -1;
    }
    fprintf(stderr, "sim: %u beacons dialing %s%s (%.1f descriptors each)\n", r->n, endpoint,
            insecure ? " (insecure)" : " (CURVE)", (double)(count_fds() - fds0) / r->n);
    return 0;
}

/* Rounds over every beacon until they all finished `phases` phases (and
 * lingered), a signal, or max_time. Returns 0 when finished. */
static int run_rounds(struct simrun *r, unsigned phases, unsigned max_time)
{
    uint64_t t_start = timefmt_mono_ns(), all_done_at = 0;

    for (unsigned i = 0; i < r->n; i++)
        r->b[i].last_rx = t_start;
    while (!sim_stop) {
        uint64_t now = timefmt_mono_ns();
        struct timespec ts = {0, (long)SIM_ROUND_NS};
        unsigned finished = 0;

        for (unsigned i = 0; i < r->n; i++) {
            struct sim *b = &r->b[i];
            char text[256];
            sim_poll(r, b);
            sim_tick(r, b, timefmt_mono_ns());
            /* Connections coming up are routine; anything else is worth a line. */
            while (bus_event(b->bus, text, sizeof text) == 1)
                if (strncmp(text, "connected to", 12) != 0)
                    fprintf(stderr, "sim: %s: bus: %s\n", b->id, text);
            finished += b->gone || (b->phases_done >= phases && b->nun == 0);
        }
        if (finished == r->n && all_done_at == 0)
            all_done_at = now;
        if (all_done_at != 0 && now - all_done_at > SIM_LINGER_NS)
            return 0;
        if (now - t_start > (uint64_t)max_time * SIM_SEC) {
            fprintf(stderr, "sim: stopping after %u s (%u of %u beacons finished)\n", max_time,
                    finished, r->n);
            return 1;
        }
        nanosleep(&ts, NULL);
    }
    return r->k.done >= (uint64_t)r->n * phases ? 0 : 1;
}

int main(int argc, char **argv)
{
    const char *endpoint = NULL, *keydir = NULL, *server_key = NULL;
    bool insecure = false;
    unsigned phases = 1, max_time = 300;
    struct simrun r = {.samples = 2000};
    char err[ERR_LEN], srv[BUS_KEY_LEN + 1] = "";
    int rc = 1;

    if (argc >= 2 && strcmp(argv[1], "keys") == 0)
        return cmd_keys(argc, argv);
    if (argc < 2 || strcmp(argv[1], "run") != 0) {
        usage();
        return 2;
    }
    for (int i = 2; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(argv[i], "--insecure") == 0) {
            insecure = true;
            continue;
        }
        if (v == NULL) {
            usage();
            return 2;
        }
        if (strcmp(argv[i], "--endpoint") == 0)
            endpoint = v;
        else if (strcmp(argv[i], "--keys") == 0)
            keydir = v;
        else if (strcmp(argv[i], "--server-key") == 0)
            server_key = v;
        else if (!(strcmp(argv[i], "--beacons") == 0 ? parse_count(argv[i], v, 100000, &r.n)
                   : strcmp(argv[i], "--samples") == 0 ? parse_count(argv[i], v, 1000000, &r.samples)
                   : strcmp(argv[i], "--phases") == 0  ? parse_count(argv[i], v, 64, &phases)
                   : strcmp(argv[i], "--max-time") == 0 ? parse_count(argv[i], v, 86400, &max_time)
                                                        : (usage(), false)))
            return 2;
        i++;
    }
    if (endpoint == NULL || r.n == 0 || (!insecure && (keydir == NULL || server_key == NULL))) {
        usage();
        return 2;
    }
    if (!insecure && bus_key_load(server_key, srv, NULL, err) < 0) {
        fprintf(stderr, "sim: %s\n", err);
        return 1;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    raise_nofile();
    sim_tables();
    r.b = calloc(r.n, sizeof *r.b);
    r.in = malloc(sizeof *r.in);
    r.out = malloc(sizeof *r.out);
    if (r.b == NULL || r.in == NULL || r.out == NULL) {
        fprintf(stderr, "sim: out of memory\n");
        goto cleanup;
    }
    if (connect_all(&r, endpoint, insecure, keydir, srv) < 0)
        goto cleanup;
    rc = run_rounds(&r, phases, max_time);
    print_counts(&r);
cleanup:
    for (unsigned i = 0; r.b != NULL && i < r.n; i++) {
        struct sim *b = &r.b[i];
        for (size_t k = 0; k < b->nun; k++)
            free(b->un[k].buf);
        free(b->un);
        free(b->total);
        ratectl_free(b->rc);
        bus_free(b->bus);
    }
    free(r.b);
    free(r.in);
    free(r.out);
    return rc;
}
