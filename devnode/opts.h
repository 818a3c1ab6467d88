/* opts.h - devnode's command line: the options and their parsing (help
 * text, ranges, defaults). */
#ifndef DEVNODE_OPTS_H
#define DEVNODE_OPTS_H

#include <stdbool.h>
#include <stdio.h>

#include "chain.h"
#include "wspeer.h"

#define MAX_PEERS 16

/* The command line, as parsed (see opts_usage for each option). */
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
    /* witness schedule: --witnesses N (chain.witnesses), --witness K */
    bool own_witness[CHAIN_MAX_WITNESSES + 1]; /* [K]: this node signs 1.6.K's slots */
    size_t nown;
    double relay_latency, relay_mbit, relay_queue_mb;
};

/* Prints the help text to f. */
void opts_usage(FILE *f);
/* Parses argv into o (zeroed by the caller); --help and --version print
 * and exit 0. Returns 0, or -1 after printing what is wrong. */
int opts_parse(struct opts *o, int argc, char **argv);

#endif
