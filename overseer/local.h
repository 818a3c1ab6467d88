/* local.h - the embedded default: devnodes and beacons started as child
 * processes on loopback, their output in LOGDIR/devnode-N.log (with one
 * JSON stats line per second: the node's own view of its load) and
 * LOGDIR/beacon-N.log, and stopped again on exit or Ctrl-C (children also
 * die with the overseer: PR_SET_PDEATHSIG).
 *
 * Several devnodes form one network by default, as a BitShares network:
 * a full mesh of relay links (`devnode --peer`) and a witness schedule in
 * which every devnode is one witness (`--witnesses N --witness i`: the
 * nodes produce the slots in turn), so every node applies every
 * transaction and one chain holds them all. `independent` starts separate
 * chains instead (each devnode's capacity adds up; beacons must then
 * follow every node). */
#ifndef BSS_LOCAL_H
#define BSS_LOCAL_H

#include <stdbool.h>
#include <stddef.h>

#define LOCAL_MAX 64
#define LOCAL_NET_MAX 17 /* devnodes in one network (devnode takes 16 peers) */

struct local_config {
    const char *logdir;          /* existing directory for the children's logs */
    const char *accounts;        /* key file the devnodes create accounts from */
    unsigned ndevnodes;          /* >= 1 */
    double block_interval;       /* 0: devnode default */
    double capacity;             /* tx/s per devnode, 0: unlimited */
    unsigned max_tx_size;        /* 0: default */
    unsigned max_block_size;     /* 0: default */
    double capacity_ops;         /* ops/s per devnode, 0: unlimited */
    unsigned long long max_pending; /* 0: default */
    const char *genesis;         /* devnode --genesis, or NULL */
    unsigned nbeacons;
    const char *endpoint;        /* overseer endpoint the beacons dial */
    bool insecure;
    const char *overseer_pub;    /* key files (secure mode) */
    const char *beacon_key_fmt;  /* printf pattern with %u for beacon i's .key path */
    unsigned beacon_threads;     /* 0: default */
    bool independent;            /* several devnodes: separate chains, no relay */
    bool relay_latency_set;      /* network: give relay_latency (else devnode's 0.05 s) */
    double relay_latency;        /* s, one way, per relay link */
    double relay_bandwidth;      /* network: Mbit/s per relay link, 0: devnode's default */
};

struct local;

/* Finds the beacon and devnode programs (next to the overseer, in the build
 * tree, or $BSS_BEACON / $BSS_DEVNODE), starts the devnodes and waits for
 * their addresses (ws://127.0.0.1:PORT) and, in a network, until every
 * devnode has its links to all the others up (relays sent over a link
 * that is down are lost); then starts the beacons. A network's ports are
 * chosen before the start (each node must know its peers'); when one is
 * taken meanwhile the devnodes are started again on new ports (3 tries).
 * Returns NULL with err naming the program or log at fault. */
struct local *local_start(const struct local_config *cfg, char *err);
/* The devnodes' websocket URLs. */
size_t local_nodes(const struct local *l, const char *const **urls);
/* True when the devnodes relay to each other (one chain: beacons follow
 * the first node only); false for one devnode or independent ones. */
bool local_network(const struct local *l);
/* Stops every child (SIGTERM, then SIGKILL after 5 s) and frees; NULL ok. */
void local_stop(struct local *l);
/* Kills beacon i (for tests of lost beacons). Returns 0 or -1. */
int local_kill_beacon(struct local *l, unsigned i);

#endif
