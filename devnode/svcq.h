/* svcq.h - the apply-first capacity model's service queue: broadcasts wait
 * here in arrival order until the node's "main thread" has the budget to
 * apply them, at --capacity transactions (and --capacity-ops operations)
 * per second, as bitshares-core applies broadcasts one after the other on
 * its main thread and answers only then. A token budget refilled from the
 * monotonic clock: a transaction may be applied while both budgets are
 * positive, and its cost (1 transaction, its operations) is then charged,
 * so the long-run rate is exactly the capacity. The budget does not build
 * up while the queue is empty (an idle thread saves no time) and at most
 * 100 ms of it builds up while the queue waits for a late timer.
 * Pure data structure: no clock reads, no I/O. */
#ifndef DEVNODE_SVCQ_H
#define DEVNODE_SVCQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct jv;

enum svcq_kind { SVCQ_PLAIN, SVCQ_SYNC, SVCQ_CALLBACK };

/* One broadcast waiting to be applied. Owned by the queue once pushed. */
struct svcq_item {
    struct svcq_item *next;
    struct jv *root;        /* the parsed request (owned; txj and cb point into it) */
    const struct jv *txj;   /* the transaction */
    const struct jv *cb;    /* the callback id (SVCQ_CALLBACK) */
    char *id;               /* owned JSON text of the request id; NULL: notification */
    bool jsonrpc;           /* the request had "jsonrpc" */
    enum svcq_kind kind;
    uint32_t nops;          /* operations, for --capacity-ops */
    uint64_t conn;          /* where the answer goes */
    uint64_t enq_ns;        /* monotonic time it arrived */
    bool relayed;           /* from a peer (devnode network): not relayed again */
};

struct svcq;

/* A queue applying tx_per_s transactions and ops_per_s operations per
 * second (0: that budget is unlimited; not both 0). now_ns starts the
 * budget's clock. Returns NULL when out of memory. */
struct svcq *svcq_new(double tx_per_s, double ops_per_s, uint64_t now_ns);
/* Frees the queue and every item still in it. NULL is a no-op. */
void svcq_free(struct svcq *q);

/* Items waiting. */
size_t svcq_len(const struct svcq *q);

/* Brings the budget up to now_ns and says whether the next transaction
 * may be applied now (both budgets positive). */
bool svcq_ready(struct svcq *q, uint64_t now_ns);
/* Charges one applied transaction of nops operations (the budget may go
 * negative; later transactions wait until it is repaid). */
void svcq_charge(struct svcq *q, uint32_t nops);

/* Appends it (taking ownership). */
void svcq_push(struct svcq *q, struct svcq_item *it);
/* The oldest item, or NULL. */
const struct svcq_item *svcq_peek(const struct svcq *q);
/* Removes and returns the oldest item (the caller frees it), or NULL. */
struct svcq_item *svcq_pop(struct svcq *q);

/* Frees an item and what it owns. NULL is a no-op. */
void svcq_item_free(struct svcq_item *it);

#endif
