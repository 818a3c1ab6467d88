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

/* A devnode network (see devnode/README.md): graphene's P2P message limit
 * (MAX_MESSAGE_SIZE); a transaction or block packed larger is not relayed. */
#define RPC_P2P_MAX_MESSAGE (2u * 1024 * 1024)

/* Sends one relay message to every peer. wire: its size on a real P2P
 * link (graphene sends the packed binary, not this JSON), for the link's
 * bandwidth. forced: a block message (JSON
 * text, sent as is; not dropped for a full relay queue). Otherwise msg is
 * one transaction's JSON, which the transport sends batched with the
 * transactions due at the same time as RPC_RELAY_TRX_PREFIX tx1[,tx2...]
 * RPC_RELAY_TRX_SUFFIX. */
typedef void (*rpc_relay_fn)(void *ud, const char *msg, size_t len, size_t wire, bool forced);
#define RPC_RELAY_TRX_PREFIX "{\"method\":\"devnode_relay_trx\",\"params\":["
#define RPC_RELAY_TRX_SUFFIX "]}"

struct rpc_relay_stats {
    uint64_t tx_out, tx_too_big;        /* accepted client transactions relayed / over the limit */
    uint64_t blocks_out, block_too_big; /* produced blocks relayed / over the limit */
    uint64_t tx_in, tx_in_applied, tx_in_rejected; /* relayed by peers */
    uint64_t tx_in_dup;                 /* relayed ones known by the time their turn came */
    uint64_t blocks_in;                 /* peers' blocks applied */
    uint64_t blocks_missed;             /* blocks missing before a peer's block (it cannot link):
                                           the gap up to the lowest held block, plus blocks
                                           that came too far ahead to be held */
    uint64_t block_tx_skipped;          /* transactions of applied blocks that failed here */
    uint64_t block_id_mismatch;         /* applied blocks whose id differs from the producer's */
    uint32_t last_block_seen;           /* highest block number a peer relayed */
};

/* Joins a devnode network: transactions accepted from clients are
 * relayed with out (the relay messages are JSON-RPC notifications
 * "devnode_relay_trx" [tx, ...] and "devnode_relay_block" [{num, id,
 * timestamp, transactions}]), and those methods are answered: a relayed
 * transaction is validated and applied like a broadcast (through the
 * service queue with a capacity: it spends the node's capacity) and not
 * relayed again; a relayed block is applied (its transactions validated
 * where they are new) as the next block with the producer's timestamp.
 * Out may be NULL (a network of one). */
void rpc_set_relay(struct rpc *r, rpc_relay_fn out, void *ud);
/* After this node produced block b: relays it (unless over the limit). */
void rpc_relay_block(struct rpc *r, const struct chain_block *b);
/* Sends block messages for the stored blocks from..head with out (a
 * peer that just connected and may have missed them: it ignores the ones
 * it has). */
void rpc_relay_blocks_since(struct rpc *r, uint32_t from, rpc_relay_fn out, void *ud);
const struct rpc_relay_stats *rpc_relay_stats(const struct rpc *r);

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
