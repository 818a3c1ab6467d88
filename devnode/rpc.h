/* rpc.h - the node's websocket JSON-RPC as devnode answers it: request
 * parsing, api ids per connection (0 database, 1 login, network_broadcast
 * registered on demand), the database and network_broadcast methods,
 * error replies in fc's shape, and the asynchronous messages (inclusion
 * results of broadcast_transaction_synchronous, "notice" messages for
 * callbacks). Transport-free: the server hands in request text and gets
 * reply text; asynchronous messages go out through a send function. */
#ifndef DEVNODE_RPC_H
#define DEVNODE_RPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chain.h"
#include "fcerr.h"
#include "hist.h"
#include "sbuf.h"

struct rpc;
struct rpc_session;
struct sign_ctx;

/* Sends msg (len bytes) to connection conn. Returns 0, or -1 when the
 * connection is gone. */
typedef int (*rpc_send_fn)(void *ud, uint64_t conn, const char *msg, size_t len);

struct rpc_stats {
    uint64_t requests;
    uint64_t broadcasts;
    uint64_t accepted;
    uint64_t rejected[FCERR_NREASONS];
};

/* Creates the handler over chain c (borrowed). sink: accept every
 * well-formed broadcast without validating or queueing it. send may be
 * NULL (no asynchronous messages). Returns NULL with err. */
struct rpc *rpc_new(struct chain *c, const struct sign_ctx *sctx, bool sink, rpc_send_fn send,
                    void *ud, char *err);
/* Frees r; every session must have been freed first. NULL is a no-op. */
void rpc_free(struct rpc *r);

/* A connection's state (api ids, block callback). conn identifies it to
 * the send function; 0 means a one-shot HTTP request that asynchronous
 * messages cannot reach (a synchronous broadcast is then refused). Returns
 * NULL when out of memory. */
struct rpc_session *rpc_session_new(struct rpc *r, uint64_t conn);
/* NULL is a no-op. */
void rpc_session_free(struct rpc_session *s);

/* Handles one request (len bytes of text). Appends the reply to out, or
 * nothing for a request without "id" and for a synchronous broadcast that
 * will be answered on inclusion. Never fails: bad input gets an error
 * reply. */
void rpc_handle(struct rpc_session *s, const char *text, size_t len, struct sbuf *out);

/* After block b was produced: sends the inclusion results and callback
 * notices of its transactions, and block notices to subscribed sessions. */
void rpc_block_produced(struct rpc *r, const struct chain_block *b);

const struct rpc_stats *rpc_stats(const struct rpc *r);

/* The apply-first capacity model (the node's): from now on websocket
 * broadcasts wait in one FIFO service queue and are applied, and only
 * then answered, at tx_per_s transactions and ops_per_s operations per
 * second (0: that budget unlimited); see svcq.h. The chain's
 * max_pending bounds what waits plus what is pending; past it
 * broadcasts are refused at once with the queue-full error. HTTP
 * broadcasts cannot wait: they are applied at once and charged to the
 * budget. Returns 0, or -1 with err. */
int rpc_set_service(struct rpc *r, double tx_per_s, double ops_per_s, char *err);
/* Applies the queued broadcasts the budget allows now and sends their
 * answers (call it every millisecond). Returns how many were applied. */
size_t rpc_service(struct rpc *r);
/* Broadcasts waiting in the service queue (0 without one). */
size_t rpc_service_len(const struct rpc *r);
/* With a service queue: the histogram of apply waits (ns from arrival to
 * apply) of the broadcasts applied since the caller last reset it (the
 * caller reads and resets it, e.g. every second); NULL without one. */
struct hist *rpc_apply_wait(struct rpc *r);

#endif
