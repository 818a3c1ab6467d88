/* engine_impl.h - the engine's internals, shared by engine.c (lifecycle,
 * setup, per-second reporting) and send.c (the network thread's send and
 * acknowledgement path). Not a public header. */
#ifndef BSS_ENGINE_IMPL_H
#define BSS_ENGINE_IMPL_H

#include <signal.h>
#include <stdatomic.h>

#include "engine.h"
#include "pool.h"
#include "procstat.h"
#include "setup.h"
#include "signer.h"
#include "tracker.h"
#include "wsc.h"

/* A request in flight on a connection, in a ring indexed by id % window. */
struct send_slot {
    uint64_t id;      /* 0: free */
    uint64_t due_ns;  /* absolute monotonic due time */
    uint64_t sent_ns;
    uint8_t txid[TX_ID_LEN];
    uint16_t nops;
};

struct send_conn {
    struct engine *e;
    struct wsc_conn *wc;
    unsigned node;
    bool open;
    bool ready;       /* network_broadcast registered on this connection */
    uint64_t reg_id;  /* id of the registration request, 0 when not sent */
    uint64_t next_id;
    uint32_t in_flight;
    struct send_slot *slots; /* window entries */
};

struct send_node {
    uint64_t owed;   /* due transactions assigned to this node, not yet sent */
    int64_t swrr;    /* smooth weighted round robin state */
    unsigned weight;
};

struct engine {
    struct engine_config cfg;
    struct chain_info chain;
    struct engine_chain info;
    struct sign_ctx *sctx;
    struct setup_account *accounts;
    struct signer_account *saccts;
    struct pool *pool;
    struct signer *signer;
    struct tracker *tracker;
    struct ratectl *rc;
    struct wsc *w;
    struct send_conn *conns;
    size_t nconns;
    struct send_node nodes[ENGINE_MAX_NODES];
    size_t pool_target;

    /* network thread state */
    uint64_t t0;              /* schedule start, monotonic ns */
    bool running;
    struct pool_chunk *chunk; /* being sent from */
    const struct pool_item *held; /* taken from the chunk, not yet sent */
    uint64_t offered_seen, dropped_seen;
    uint32_t head_time_est;   /* for discarding stale pool items */
    uint64_t stale;           /* pool items discarded as too close to expiry */
    unsigned rejects_logged;  /* bit per stats_reject already logged */
    uint64_t send_cpu_ns;     /* network thread CPU during engine_run */
    struct stats_interval cur, prev, total;
    uint64_t seq;
    struct ratectl_counters reported; /* cumulative ratectl counts already in intervals */
    struct procstat_snap ps_prev;
    uint64_t next_second;
    /* 1: end the schedule and drain; 2: stop draining. Atomic, not a volatile
     * sig_atomic_t: engine_stop comes from signal handlers and from other
     * threads (the daemon's agent); lock-free atomics serve both. */
    atomic_int stop;
};

/* send.c */
extern const struct wsc_callbacks send_callbacks;
/* Assigns newly due transactions to nodes and asks their connections to
 * write. Called on every loop turn and timer. */
void send_pump(struct engine *e, uint64_t now);
/* Counts timeouts for requests older than the ack timeout. */
void send_expire(struct engine *e, uint64_t now);
/* Requests still in flight on all connections. */
uint64_t send_in_flight(const struct engine *e);

#endif
