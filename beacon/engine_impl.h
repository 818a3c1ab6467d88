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
    uint8_t key[TX_ID_LEN]; /* the pool item's tracking key */
    uint32_t expiration;
    uint16_t nops;
};

struct send_conn {
    struct engine *e;
    struct wsc_conn *wc;
    unsigned node;
    bool open;
    bool ready;       /* network_broadcast registered on this connection */
    bool full;        /* the last send found the socket full (the node is not
                       * reading): no room until it is writable again */
    uint64_t reg_id;  /* id of the registration request, 0 when not sent */
    uint64_t next_id;
    uint32_t in_flight;
    struct send_slot *slots; /* window entries */
};

struct send_node {
    uint64_t owed;   /* due transactions assigned to this node, not yet sent */
    uint64_t hold_ns; /* last time it held back what it owed: no connection could
                       * take a request (full windows, not connected or not
                       * ready); 0: never */
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
    size_t pool_target;       /* the most the pool may hold (memory bound) */
    size_t pool_peak_sent;    /* most sent in one second: unlimited mode's rate */
    uint64_t pool_next_ns;    /* next update of the signers' target */
    uint64_t restarts_seen;   /* tracker_restarts already acted on */
    bool tapos_void;          /* the chain restarted: no TaPoS of the new one yet */

    /* network thread state */
    uint64_t t0;              /* schedule start, monotonic ns */
    bool running;
    struct pool_chunk *chunk; /* being sent from */
    const struct pool_item *held; /* taken from the chunk, not yet sent */
    uint64_t offered_seen, dropped_seen;
    uint64_t pool_empty_next; /* local index below which pool-empty was counted */
    uint32_t head_time_est;   /* for discarding stale pool items */
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

/* engine_pool.c */
/* The pool level the signers keep at schedule time t (ns since t0). */
size_t engine_pool_want(struct engine *e, uint64_t t);
/* Network thread, every loop turn: updates the signers' target (throttled). */
void engine_pool_tick(struct engine *e, uint64_t now);
/* Network thread, once a second: the tracker's events, chain restarts
 * (discards the pool), the peak sent rate, the target. */
void engine_follow_chain(struct engine *e, uint64_t now);
/* Network thread: TaPoS was just set from the tracker; after a restart the
 * pool signed meanwhile (old TaPoS) is discarded. */
void engine_tapos_renewed(struct engine *e);

/* send.c */
extern const struct wsc_callbacks send_callbacks;

/* What an answer's id refers to on a registered connection. */
enum send_reply {
    SEND_REPLY_OK,      /* the request in its slot: count its outcome */
    SEND_REPLY_UNKNOWN, /* id 0, or an id never sent on this connection */
    SEND_REPLY_LATE,    /* a request already ended (timed out): ignore it */
};
/* Matches id against c's ring of window slots. Pure; never changes c (an
 * id of 0 must not match a free slot, whose id is 0). */
enum send_reply send_reply_match(const struct send_conn *c, uint32_t window, uint64_t id);
/* Assigns newly due transactions to nodes and asks their connections to
 * write. Called on every loop turn and timer. */
void send_pump(struct engine *e, uint64_t now);
/* Counts timeouts for requests older than the ack timeout. */
void send_expire(struct engine *e, uint64_t now);
/* Splits the drops ratectl made since the last call into the node's doing
 * (held_dropped) and the beacon's, into e->cur; call before reading the
 * ratectl counters for an interval. */
void send_settle(struct engine *e, uint64_t now);
/* Sending connections open and registered, now. */
uint64_t send_conns_ready(const struct engine *e);
/* Due transactions waiting for a node that holds them back, now. */
uint64_t send_held_pending(struct engine *e, uint64_t now);
/* Ends the schedule: drops what is still due, classified (see send_settle). */
void send_drop_pending(struct engine *e, uint64_t now);
/* Requests still in flight on all connections. */
uint64_t send_in_flight(const struct engine *e);

#endif
