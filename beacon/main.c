/* main.c - the beacon program: dispatches to a subcommand. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "version.h"

static void beacon_usage(FILE *f)
{
    fputs("usage: beacon --overseer tcp://HOST:7100 --overseer-key FILE --key FILE [options]\n"
          "       beacon <command> [options]\n"
          "\n"
          "The bitshares-stress load generator. With --overseer (or BEACON_OVERSEER set) it runs\n"
          "as a daemon driven by an overseer; `beacon --overseer --help` lists its options.\n"
          "\n"
          "commands:\n"
          "  run       broadcast at a set rate to BitShares nodes and report (standalone)\n"
          "  presign   sign transactions offline and write them as JSON lines\n"
          "  keygen    write a CurveZMQ keypair for talking to an overseer\n"
          "  version   print the version\n"
          "  help      this text\n"
          "\n"
          "`beacon <command> --help` describes a command.\n",
          f);
}

int main(int argc, char **argv)
{
    const char *env = getenv("BEACON_OVERSEER");

    /* Daemon mode: an --overseer option, or the container's environment. */
    if ((argc >= 2 && strncmp(argv[1], "--overseer", 10) == 0) ||
        (argc < 2 && env != NULL && env[0] != '\0'))
        return cmd_agent(argc, argv);
    if (argc < 2) {
        beacon_usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "keygen") == 0)
        return cmd_keygen(argc - 1, argv + 1);
    if (strcmp(argv[1], "run") == 0)
        return cmd_run(argc - 1, argv + 1);
    if (strcmp(argv[1], "presign") == 0)
        return cmd_presign(argc - 1, argv + 1);
    if (strcmp(argv[1], "version") == 0 || strcmp(argv[1], "--version") == 0) {
        printf("beacon %s\n", BSS_VERSION);
        return 0;
    }
    if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "-h") == 0) {
        beacon_usage(stdout);
        return 0;
    }
    fprintf(stderr, "beacon: unknown command \"%s\"\n", argv[1]);
    beacon_usage(stderr);
    return 2;
}
