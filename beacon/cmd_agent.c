/* cmd_agent.c - `beacon --overseer ...` (the daemon an overseer drives) and
 * `beacon keygen PATH`. Every option has an environment variable so that a
 * container can be configured without a command line. */
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "bus.h"
#include "cmds.h"
#include "err.h"
#include "keyfile.h"
#include "opts.h"

static void agent_on_signal(int sig)
{
    (void)sig;
    agent_stop();
}

static void agent_usage(FILE *f)
{
    fputs(
        "usage: beacon --overseer tcp://HOST:7100 --overseer-key overseer.pub --key beacon.key\n"
        "              [--accounts FILE] [--id NAME] [--threads T] [--insecure]\n"
        "              [--allow-readable-keys]\n"
        "\n"
        "Runs as a daemon driven by an overseer: dials out (no port is opened here), says\n"
        "who it is, and runs each phase the overseer configures, reporting every second.\n"
        "Without the overseer for longer than its lease (5 s) it stops broadcasting and\n"
        "waits for it to come back.\n"
        "\n"
        "  --overseer ENDPOINT    the overseer's address            (env BEACON_OVERSEER)\n"
        "  --overseer-key FILE    the overseer's public key (.pub)  (env BEACON_OVERSEER_KEY)\n"
        "  --key FILE             this beacon's keypair (.key, from `beacon keygen`)\n"
        "                                                           (env BEACON_KEY)\n"
        "  --accounts FILE        local account keys, used when the overseer sends none;\n"
        "                         refused when other users can read it (chmod 600)\n"
        "                                                           (env BEACON_ACCOUNTS)\n"
        "  --allow-readable-keys  load --accounts even when other users can read it\n"
        "                                             (env BEACON_ALLOW_READABLE_KEYS=1)\n"
        "  --id NAME              beacon id (default HOST/PID)      (env BEACON_ID)\n"
        "  --threads T            signer threads (default cores - 1)\n"
        "  --insecure             plain TCP without CurveZMQ, loopback only (env BEACON_INSECURE=1)\n"
        "\n"
        "The overseer accepts a beacon only if its public key (.pub) is in the overseer's\n"
        "allowlist. Account keys travel only over the encrypted channel, or stay on this host\n"
        "with --accounts.\n",
        f);
}

static const char *agent_env(const char *name, const char *value)
{
    const char *v;
    return value != NULL ? value : ((v = getenv(name)) != NULL && v[0] != '\0' ? v : NULL);
}

int cmd_agent(int argc, char **argv)
{
    enum { O_OVERSEER = 256, O_OKEY, O_KEY, O_ACCOUNTS, O_ID, O_THREADS, O_INSECURE, O_READABLE };
    static const struct option longopts[] = {
        {"overseer", 1, 0, O_OVERSEER}, {"overseer-key", 1, 0, O_OKEY}, {"key", 1, 0, O_KEY},
        {"accounts", 1, 0, O_ACCOUNTS}, {"id", 1, 0, O_ID}, {"threads", 1, 0, O_THREADS},
        {"insecure", 0, 0, O_INSECURE}, {"allow-readable-keys", 0, 0, O_READABLE},
        {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
    struct agent_config cfg = {0};
    const char *okey_file = NULL, *key_file = NULL, *ins, *readable;
    bool allow_readable = false;
    char okey[BUS_KEY_LEN + 1], pub[BUS_KEY_LEN + 1], sec[BUS_KEY_LEN + 1], err[ERR_LEN];
    uint64_t v;
    int c, rc;

    /* `beacon --overseer --help`: getopt would take --help as the endpoint. */
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            agent_usage(stdout);
            return 0;
        }
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case O_OVERSEER: cfg.endpoint = optarg; break;
        case O_OKEY: okey_file = optarg; break;
        case O_KEY: key_file = optarg; break;
        case O_ACCOUNTS: cfg.accounts_file = optarg; break;
        case O_ID: cfg.beacon_id = optarg; break;
        case O_THREADS:
            if (opts_u64("--threads", optarg, 1, 256, &v, err) < 0) {
                fprintf(stderr, "beacon: %s\n", err);
                return 2;
            }
            cfg.threads = (unsigned)v;
            break;
        case O_INSECURE: cfg.insecure = true; break;
        case O_READABLE: allow_readable = true; break;
        case 'h': agent_usage(stdout); return 0;
        default: agent_usage(stderr); return 2;
        }
    }
    cfg.endpoint = agent_env("BEACON_OVERSEER", cfg.endpoint);
    okey_file = agent_env("BEACON_OVERSEER_KEY", okey_file);
    key_file = agent_env("BEACON_KEY", key_file);
    cfg.accounts_file = agent_env("BEACON_ACCOUNTS", cfg.accounts_file);
    cfg.beacon_id = agent_env("BEACON_ID", cfg.beacon_id);
    ins = getenv("BEACON_INSECURE");
    if (ins != NULL && strcmp(ins, "1") == 0)
        cfg.insecure = true;
    readable = getenv("BEACON_ALLOW_READABLE_KEYS");
    if (readable != NULL && strcmp(readable, "1") == 0)
        allow_readable = true;
    if (cfg.endpoint == NULL) {
        fprintf(stderr, "beacon: --overseer (or BEACON_OVERSEER) is required\n");
        return 2;
    }
    if (!cfg.insecure) {
        if (okey_file == NULL || key_file == NULL) {
            fprintf(stderr, "beacon: --overseer-key and --key are required (or --insecure on "
                    "loopback); make a keypair with `beacon keygen PATH`\n");
            return 2;
        }
        if (bus_key_load(okey_file, okey, NULL, err) < 0 || bus_key_load(key_file, pub, sec, err) < 0) {
            fprintf(stderr, "beacon: %s\n", err);
            return 1;
        }
        cfg.overseer_key = okey;
        cfg.public_key = pub;
        cfg.secret_key = sec;
    }
    /* Checked once here, so that a daemon with a readable key file refuses to
     * start rather than failing at its first phase. */
    if (cfg.accounts_file != NULL && !allow_readable &&
        keyfile_check_private(cfg.accounts_file, err) < 0) {
        fprintf(stderr, "beacon: %s\n", err);
        return 1;
    }
    signal(SIGINT, agent_on_signal);
    signal(SIGTERM, agent_on_signal);
    rc = agent_run(&cfg, err);
    explicit_bzero(sec, sizeof sec);
    if (rc < 0) {
        fprintf(stderr, "beacon: %s\n", err);
        return 1;
    }
    return 0;
}

int cmd_keygen(int argc, char **argv)
{
    char err[ERR_LEN];

    if (argc != 2 || argv[1][0] == '-') {
        fputs("usage: beacon keygen PATH\n"
              "Writes a CurveZMQ keypair: PATH.key (secret, mode 0600) and PATH.pub (public;\n"
              "add it to the overseer's allowlist).\n", argc == 2 ? stdout : stderr);
        return argc == 2 ? 0 : 2;
    }
    if (bus_keygen_files(argv[1], err) < 0) {
        fprintf(stderr, "beacon keygen: %s\n", err);
        return 1;
    }
    printf("wrote %s.key and %s.pub\n", argv[1], argv[1]);
    return 0;
}
