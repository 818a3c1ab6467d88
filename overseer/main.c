/* main.c - the overseer program: subcommands. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "allow.h"
#include "bus.h"
#include "err.h"
#include "keyfile.h"
#include "report.h"
#include "run.h"
#include "scenario.h"
#include "sess.h"
#include "timefmt.h"
#include "version.h"

#define DEFAULT_BIND "tcp://0.0.0.0:7100"
#define LOCAL_BIND "tcp://127.0.0.1:7100"
#define DASH_LOCAL "127.0.0.1:8089"

static void on_signal(int sig)
{
    (void)sig;
    run_interrupt();
}

static void usage(FILE *f)
{
    fputs("usage: overseer <command> [options]\n"
          "\n"
          "Drives beacons through a scenario and writes the results.\n"
          "\n"
          "commands:\n"
          "  run SCENARIO.yaml   run a scenario (`overseer run --help`)\n"
          "  beacons             list the beacons that dial in\n"
          "  report DIR          write DIR/report.html from a run's results\n"
          "  keygen PATH         write a CurveZMQ keypair (PATH.key, PATH.pub)\n"
          "  version             print the version\n",
          f);
}

static void run_usage(FILE *f)
{
    fputs("usage: overseer run SCENARIO.yaml [--out DIR] [--beacons N] [--wait S]\n"
          "                    [--bind ENDPOINT] [--key overseer.key --allow beacons.allow | --insecure]\n"
          "                    [--local] [--scale F] [--beacon-threads T] [--quiet]\n"
          "                    [--dashboard [ADDR:]PORT|off [--dashboard-token FILE]]\n"
          "                    [--dashboard-hold S]\n"
          "\n"
          "Waits for the beacons, then runs each phase on all of them together: configure,\n"
          "pre-sign, start at one moment (offsets corrected by round-trip time), aggregate every\n"
          "second, stop. Results are written as they arrive to DIR: timeseries.csv,\n"
          "beacons.csv, nodes.csv (per target node), summary.csv, events.log, manifest.json.\n"
          "\n"
          "  --out DIR             results directory (default out/<scenario>-<time>); must not\n"
          "                        hold results already\n"
          "  --beacons N           beacons to wait for (default: the scenario's)\n"
          "  --wait S              how long to wait for them (default 60)\n"
          "  --bind ENDPOINT       where beacons dial in (default " DEFAULT_BIND ";\n"
          "                        --local: " LOCAL_BIND ")\n"
          "  --key FILE            the overseer's keypair (`overseer keygen`)\n"
          "  --allow FILE          allowed beacon public keys, one per line (their .pub files)\n"
          "  --insecure            plain TCP without CurveZMQ: loopback endpoints only\n"
          "  --local               start the scenario's devnodes and the beacons here, on\n"
          "                        loopback (fresh keys and test accounts in DIR/keys);\n"
          "                        several devnodes relay as one network (local.network)\n"
          "  --scale F             multiply every phase duration by F (e.g. 0.1 for a dry run)\n"
          "  --beacon-threads T    --local: signer threads per beacon\n"
          "  --quiet               no live progress line\n"
          "  --dashboard [ADDR:]PORT  serve a live dashboard: the page at /, Server-Sent\n"
          "                        Events at /events, Prometheus metrics at /metrics, the\n"
          "                        summary so far at /api/summary (read-only). ADDR defaults\n"
          "                        to 127.0.0.1; any address other than loopback needs\n"
          "                        --dashboard-token. --local turns it on at 127.0.0.1:8089\n"
          "                        (skipped, with a note, when that port is busy); `off`\n"
          "                        turns it off\n"
          "  --dashboard-token FILE  a secret on FILE's first line (8+ characters): clients\n"
          "                        send `Authorization: Bearer TOKEN` or ?token=TOKEN, else 401\n"
          "  --dashboard-hold S    keep serving S seconds after the run (the report is at\n"
          "                        /report.html; Ctrl-C ends it sooner; default 0)\n"
          "  --allow-readable-keys load the scenario's accounts: file even when other users can\n"
          "                        read it (refused otherwise: chmod 600)\n"
          "The scenario's accounts: (keys sent to the beacons) needs CurveZMQ: with --insecure\n"
          "it is refused; give the beacons their keys with `beacon --accounts` instead.\n"
          "Ctrl-C ends the current phase and the run (results kept); a second Ctrl-C stops at once.\n",
          f);
}

static int cmd_run(int argc, char **argv)
{
    enum { O_OUT = 256, O_BEACONS, O_WAIT, O_BIND, O_KEY, O_ALLOW, O_INSECURE, O_LOCAL, O_SCALE,
           O_THREADS, O_QUIET, O_READABLE, O_DASH, O_DASH_TOKEN, O_DASH_HOLD };
    static const struct option lo[] = {
        {"out", 1, 0, O_OUT}, {"beacons", 1, 0, O_BEACONS}, {"wait", 1, 0, O_WAIT},
        {"bind", 1, 0, O_BIND}, {"key", 1, 0, O_KEY}, {"allow", 1, 0, O_ALLOW},
        {"insecure", 0, 0, O_INSECURE}, {"local", 0, 0, O_LOCAL}, {"scale", 1, 0, O_SCALE},
        {"beacon-threads", 1, 0, O_THREADS}, {"quiet", 0, 0, O_QUIET},
        {"allow-readable-keys", 0, 0, O_READABLE}, {"help", 0, 0, 'h'},
        {"dashboard", 1, 0, O_DASH}, {"dashboard-token", 1, 0, O_DASH_TOKEN},
        {"dashboard-hold", 1, 0, O_DASH_HOLD},
        {0, 0, 0, 0}};
    struct run_config cfg = {.wait_s = 60};
    struct scenario sc;
    double scale = 1;
    bool allow_readable = false;
    char err[ERR_LEN], outbuf[512], stamp[TIMEFMT_LEN];
    int c, rc;

    optind = 1;
    while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        char *end = NULL;
        switch (c) {
        case O_OUT: cfg.out_dir = optarg; break;
        case O_BEACONS: cfg.beacons = (unsigned)strtoul(optarg, &end, 10); break;
        case O_WAIT: cfg.wait_s = (unsigned)strtoul(optarg, &end, 10); break;
        case O_BIND: cfg.bind = optarg; break;
        case O_KEY: cfg.key_file = optarg; break;
        case O_ALLOW: cfg.allow_file = optarg; break;
        case O_INSECURE: cfg.insecure = true; break;
        case O_LOCAL: cfg.local = true; break;
        case O_SCALE: scale = strtod(optarg, &end); break;
        case O_THREADS: cfg.beacon_threads = (unsigned)strtoul(optarg, &end, 10); break;
        case O_QUIET: cfg.quiet = true; break;
        case O_READABLE: allow_readable = true; break;
        case O_DASH: cfg.dashboard = optarg; break;
        case O_DASH_TOKEN: cfg.dashboard_token = optarg; break;
        case O_DASH_HOLD: cfg.dashboard_hold_s = (unsigned)strtoul(optarg, &end, 10); break;
        case 'h': run_usage(stdout); return 0;
        default: run_usage(stderr); return 2;
        }
        if (end != NULL && (*end != '\0' || end == optarg)) {
            fprintf(stderr, "overseer run: bad number \"%s\"\n", optarg);
            return 2;
        }
    }
    if (optind != argc - 1) {
        run_usage(stderr);
        return 2;
    }
    if (scenario_load(argv[optind], &sc, err) < 0) {
        fprintf(stderr, "overseer: %s\n", err);
        return 1;
    }
    if (scale != 1 && scenario_scale(&sc, scale, err) < 0) {
        fprintf(stderr, "overseer: --scale: %s\n", err);
        scenario_free(&sc);
        return 2;
    }
    /* Without CurveZMQ the keys would go in the clear to whichever peer
     * connects first: no beacon is authenticated. */
    if (cfg.insecure && sc.accounts != NULL) {
        fprintf(stderr, "overseer: %s: accounts: %s would send the account keys in the clear to "
                "whoever connects first (--insecure); run with --key and --allow (CurveZMQ), or "
                "drop accounts: and give each beacon its keys with `beacon --accounts FILE`\n",
                sc.path, sc.accounts);
        scenario_free(&sc);
        return 2;
    }
    if (sc.accounts != NULL && !allow_readable && keyfile_check_private(sc.accounts, err) < 0) {
        fprintf(stderr, "overseer: %s: accounts: %s\n", sc.path, err);
        scenario_free(&sc);
        return 1;
    }
    if (cfg.local && !sc.local.present && sc.nnodes == 0)
        fprintf(stderr, "overseer: %s has no local: section; starting one devnode\n", sc.path);
    cfg.sc = &sc;
    if (cfg.dashboard == NULL && cfg.local) {
        cfg.dashboard = DASH_LOCAL;
        cfg.dashboard_auto = true;
    } else if (cfg.dashboard != NULL && strcmp(cfg.dashboard, "off") == 0) {
        cfg.dashboard = NULL;
    }
    if (cfg.bind == NULL)
        cfg.bind = cfg.local ? LOCAL_BIND : DEFAULT_BIND;
    if (cfg.out_dir == NULL) {
        timefmt_format(stamp, timefmt_wall_secs());
        for (char *p = stamp; *p; p++)
            if (*p == ':')
                *p = '-';
        snprintf(outbuf, sizeof outbuf, "out/%s-%s", sc.name, stamp);
        cfg.out_dir = outbuf;
        if (mkdir("out", 0755) < 0 && errno != EEXIST) {
            fprintf(stderr, "overseer: cannot create out/: %s\n", strerror(errno));
            scenario_free(&sc);
            return 1;
        }
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    rc = run_main(&cfg, err);
    if (rc < 0)
        fprintf(stderr, "overseer: %s\n", err);
    scenario_free(&sc);
    return rc < 0 ? 1 : rc;
}

static void beacons_event(void *user, struct sess_beacon *b, const char *text)
{
    (void)user;
    (void)b;
    fprintf(stderr, "overseer: %s\n", text);
}

/* `overseer beacons`: listens for a few seconds and lists who dials in. */
static int cmd_beacons(int argc, char **argv)
{
    enum { O_BIND = 256, O_KEY, O_ALLOW, O_INSECURE, O_WAIT };
    static const struct option lo[] = {
        {"bind", 1, 0, O_BIND}, {"key", 1, 0, O_KEY}, {"allow", 1, 0, O_ALLOW},
        {"insecure", 0, 0, O_INSECURE}, {"wait", 1, 0, O_WAIT}, {"help", 0, 0, 'h'},
        {0, 0, 0, 0}};
    struct bus_server_config bc = {.endpoint = DEFAULT_BIND};
    struct sess_callbacks cb = {NULL, beacons_event};
    struct allowlist al = {0};
    const char *key = NULL, *allow_file = NULL;
    char pub[BUS_KEY_LEN + 1], sec[BUS_KEY_LEN + 1], err[ERR_LEN];
    unsigned wait_s = 3;
    struct bus *bus = NULL;
    struct sess *s = NULL;
    int c, rc = 1;

    optind = 1;
    while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        switch (c) {
        case O_BIND: bc.endpoint = optarg; break;
        case O_KEY: key = optarg; break;
        case O_ALLOW: allow_file = optarg; break;
        case O_INSECURE: bc.insecure = true; break;
        case O_WAIT: wait_s = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'h':
            fputs("usage: overseer beacons [--bind ENDPOINT] [--key FILE --allow FILE | --insecure]"
                  " [--wait S]\n"
                  "Listens for S seconds (default 3; idle beacons say hello every second) and\n"
                  "lists the beacons that dial in: id, host, address, version, cores, CPU, state.\n",
                  stdout);
            return 0;
        default: return 2;
        }
    }
    if (!bc.insecure) {
        if (key == NULL || allow_file == NULL) {
            fprintf(stderr, "overseer beacons: --key and --allow are required (or --insecure)\n");
            return 2;
        }
        if (bus_key_load(key, pub, sec, err) < 0 || allow_load(&al, allow_file, err) < 0)
            goto fail;
        bc.public_key = pub;
        bc.secret_key = sec;
        bc.allow = al.ptrs;
        bc.nallow = al.n;
    }
    bus = bus_server_new(&bc, err);
    explicit_bzero(sec, sizeof sec);
    if (bus == NULL || (s = sess_new(bus, "listing", &cb, NULL)) == NULL)
        goto fail;
    for (uint64_t end = timefmt_mono_ns() + (uint64_t)wait_s * 1000000000u;
         timefmt_mono_ns() < end;)
        if (sess_poll(s, 100, err) < 0)
            goto fail;
    printf("%-24s %-20s %-22s %-8s %5s %6s %s\n", "ID", "HOST", "ADDRESS", "VERSION", "CORES",
           "CPU%", "STATE");
    for (size_t i = 0; i < sess_count(s); i++) {
        static const char *states[] = {"idle", "preparing", "ready", "running", "draining", "done"};
        struct sess_beacon *b = sess_at(s, i);
        printf("%-24s %-20s %-22s %-8s %5u %6.0f %s\n", b->id, b->host, b->peer.addr, b->version,
               b->cores, b->cpu_pct, b->alive ? states[b->hb_state < 6 ? b->hb_state : 0] : "lost");
    }
    printf("%zu beacon(s)\n", sess_count(s));
    rc = 0;
    goto done;
fail:
    fprintf(stderr, "overseer beacons: %s\n", err);
done:
    sess_free(s);
    bus_free(bus);
    allow_free(&al);
    return rc;
}

static int cmd_report(int argc, char **argv)
{
    char err[ERR_LEN];

    if (argc != 2 || argv[1][0] == '-') {
        bool help = argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0);
        fputs("usage: overseer report DIR\n"
              "Writes DIR/report.html from the results of `overseer run` in DIR (timeseries.csv,\n"
              "beacons.csv, nodes.csv, summary.csv, manifest.json, events.log, devnode logs): one\n"
              "page that opens offline, with plots over time, the summary per phase and the run\n"
              "manifest.\n"
              "summary.csv is kept as the run wrote it (regenerated only when missing).\n"
              "A run whose manifest.json still says \"running\" while the overseer that wrote it\n"
              "is gone (killed) is marked \"interrupted\" in manifest.json.\n",
              help ? stdout : stderr);
        return help ? 0 : 2;
    }
    if (report_write(argv[1], err) < 0) {
        fprintf(stderr, "overseer report: %s\n", err);
        return 1;
    }
    printf("wrote %s/report.html\n", argv[1]);
    return 0;
}

static int cmd_keygen(int argc, char **argv)
{
    char err[ERR_LEN];

    if (argc != 2 || argv[1][0] == '-') {
        fputs("usage: overseer keygen PATH\n"
              "Writes a CurveZMQ keypair: PATH.key (secret, mode 0600; give it to `overseer run\n"
              "--key`) and PATH.pub (give it to every beacon: --overseer-key).\n",
              argc == 2 ? stdout : stderr);
        return argc == 2 ? 0 : 2;
    }
    if (bus_keygen_files(argv[1], err) < 0) {
        fprintf(stderr, "overseer keygen: %s\n", err);
        return 1;
    }
    printf("wrote %s.key and %s.pub\n", argv[1], argv[1]);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "run") == 0)
        return cmd_run(argc - 1, argv + 1);
    if (strcmp(argv[1], "beacons") == 0)
        return cmd_beacons(argc - 1, argv + 1);
    if (strcmp(argv[1], "keygen") == 0)
        return cmd_keygen(argc - 1, argv + 1);
    if (strcmp(argv[1], "report") == 0)
        return cmd_report(argc - 1, argv + 1);
    if (strcmp(argv[1], "version") == 0 || strcmp(argv[1], "--version") == 0) {
        printf("overseer %s\n", BSS_VERSION);
        return 0;
    }
    if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return 0;
    }
    fprintf(stderr, "overseer: unknown command \"%s\"\n", argv[1]);
    usage(stderr);
    return 2;
}
