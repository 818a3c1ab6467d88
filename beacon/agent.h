/* agent.h - the beacon as a daemon driven by an overseer: dials out over
 * the bus, says HELLO, and runs what it is told phase by phase
 * (CONFIGURE, PREPARE -> READY, START -> STATS each second -> DONE), with
 * heartbeats both ways. If the overseer is silent for longer than the lease
 * it stops broadcasting and waits for it to come back; unacknowledged
 * STATS are kept and sent again after a reconnect. */
#ifndef BSS_AGENT_H
#define BSS_AGENT_H

#include <stdbool.h>

struct agent_config {
    const char *endpoint;        /* tcp://HOST:PORT of the overseer */
    bool insecure;               /* plain TCP (loopback only) */
    const char *overseer_key;    /* pinned overseer public key (Z85) */
    const char *public_key;      /* this beacon's keypair (Z85) */
    const char *secret_key;
    const char *accounts_file;   /* local key file, used when the overseer sends none */
    const char *beacon_id;       /* NULL: "<host>/<pid>" */
    unsigned threads;            /* signer threads (0: engine default) */
};

/* Runs until agent_stop (or a BYE from the overseer). Returns 0, or -1
 * with err when the bus could not be set up. */
int agent_run(const struct agent_config *cfg, char *err);

/* Makes agent_run return (stops a running phase first). Async-signal-safe. */
void agent_stop(void);

#endif
