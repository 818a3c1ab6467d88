/* rpc_impl.h - shared by rpc.c (requests, replies, errors, notices) and
 * rpcapi.c (the api methods). Not for other modules. */
#ifndef DEVNODE_RPC_IMPL_H
#define DEVNODE_RPC_IMPL_H

#include "hist.h"
#include "jv.h"
#include "rpc.h"
#include "svcq.h"
#include "tx.h"
#include "validate.h"

#define RPC_HOLD 64

struct rpc {
    struct chain *c;
    struct validator *v;
    const struct sign_ctx *sctx;
    bool sink;
    rpc_send_fn send;
    void *ud;
    struct tx scratch; /* for rendering stored transactions */
    struct sbuf msg;   /* asynchronous messages */
    struct rpc_session *sessions; /* list, for block notices */
    struct rpc_stats stats;
    struct svcq *svc;  /* apply-first capacity model, or NULL */
    struct hist *wait; /* with svc: apply wait of each broadcast, ns */
    double capacity_tps; /* for the queue-full message (0: none) */
    bool relay_on;       /* part of a devnode network */
    rpc_relay_fn relay_out;
    void *relay_ud;
    struct sbuf relay_msg;
    struct rpc_relay_stats relay;
    /* Peers' blocks that arrived ahead of the head (rpcrelay.c): held
     * until the blocks before them arrive, by number modulo RPC_HOLD. */
    struct jv *held[RPC_HOLD];     /* the parsed relay message, or NULL */
    uint32_t held_num[RPC_HOLD];
    uint64_t relay_lost;           /* ahead by more than RPC_HOLD: dropped */
};

struct rpc_session {
    struct rpc *r;
    uint64_t conn;
    uint64_t broadcast_api; /* 0 until registered */
    uint64_t next_api;      /* next id to hand out */
    char *block_cb;         /* JSON text of the callback id, or NULL */
    struct rpc_session *prev, *next;
};

/* The request being answered. */
struct rpc_call {
    struct rpc_session *s;
    const char *id;  /* JSON text of the id, NULL for a notification */
    bool jsonrpc;    /* the request had "jsonrpc" */
    const char *method;
    const struct jv *args; /* array (may be empty or NULL) */
    bool deferred;         /* the reply will come later */
    struct jv *root;       /* the parsed request */
    bool root_taken;       /* root now belongs to a queued broadcast */
    struct svcq_item *queued; /* set by rpcapi_admit when it queued one */
};

/* Outcome of a method: 0 with the result appended to out, or -1 with e. */
int rpcapi_dispatch(struct rpc_call *call, uint64_t api, struct sbuf *out, struct fcerr *e);
/* Resolves an api name the way login_api's getters do. */
int rpcapi_api_by_name(struct rpc_session *s, const char *name, uint64_t *api, struct fcerr *e);

/* Applies a broadcast now (validation, pending state, waiter) as
 * broadcast_transaction and its variants do: 0 (call->deferred set when
 * the answer waits for inclusion), or -1 with e. Counts it in the stats. */
int rpcapi_apply_broadcast(struct rpc *r, struct rpc_call *call, uint64_t conn,
                           enum svcq_kind kind, const struct jv *txj, const struct jv *cb,
                           bool relayed, struct fcerr *e);

/* Apply-first model: queue the broadcast unless it can be applied at once
 * (nothing waiting and budget left). Returns 1 when queued (answered when
 * applied; call->queued is the item; a client's item owns call->root, a
 * relayed one does not: the caller gives the root to one of them), 0 to
 * apply it now, -1 with e (busy). */
int rpcapi_admit(struct rpc *r, struct rpc_call *call, enum svcq_kind kind,
                 const struct jv *txj, const struct jv *cb, bool relayed, struct fcerr *e);

/* rpcrelay.c: a relayed transaction was accepted from a client: relay it
 * on (vd from validator_check). */
void rpcrelay_tx(struct rpc *r, const struct validated *vd);
/* The devnode_relay_* methods; -1 with e when method is not one. */
int rpcrelay_dispatch(struct rpc_call *call, struct fcerr *e);

/* rpcrelay.c: frees the held blocks (rpc_free). */
void rpcrelay_clear(struct rpc *r);

/* Renders the fc-shaped error reply to call into out. */
void rpc_render_error(struct sbuf *out, const struct rpc_call *call, const struct fcerr *e);

/* Common argument errors. */
int rpc_err_args(struct fcerr *e, const char *method);
int rpc_err_cast(struct fcerr *e, const char *what, const struct jv *v);

/* Appends "{"id":ID,["jsonrpc":"2.0",]" - the start of a reply. */
void rpc_reply_start(struct sbuf *out, const struct rpc_call *call);

#endif
