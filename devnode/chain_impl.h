/* chain_impl.h - the inside of struct chain, shared by chain.c (state,
 * evaluation, pending queue) and chainblock.c (block production and the
 * block store). Not for other modules. */
#ifndef DEVNODE_CHAIN_IMPL_H
#define DEVNODE_CHAIN_IMPL_H

#include "chain.h"
#include "txmap.h"

struct sign_key;

struct chain {
    struct genesis g; /* accounts owned (copied) */
    struct chain_opts opts;
    const struct sign_ctx *sctx;
    struct sign_key *witness_key;

    /* naccounts * nassets balances, [account * nassets + asset]. */
    int64_t *committed, *pending;

    /* Lookups: open addressing, slot = index + 1, 0 = empty. */
    uint32_t *by_id, *by_name;
    size_t map_mask;

    uint32_t genesis_time;
    uint32_t head_num, head_time;
    uint8_t head_id[CHAIN_ID_LEN];
    uint8_t (*summary)[CHAIN_ID_LEN]; /* CHAIN_SUMMARY_SLOTS */

    struct txmap *history; /* transaction_history: pending and included ids */
    struct chain_entry **queue; /* pending, arrival order */
    size_t nqueue, queue_cap;
    struct chain_entry **scratch; /* same capacity as queue */

    uint64_t next_order_id; /* committed: next 1.7.N */
    double carry_tx, carry_ops; /* capacity fractions carried between blocks */

    struct chain_block *blocks; /* ring of opts.keep_blocks */
    uint32_t oldest_block;      /* oldest block still stored (0 = none) */
    size_t block_bytes;

    struct chain_stats stats;

    /* Witness schedule (chainblock.c, finish_block): graphene's dynamic
     * global properties and each witness's last_confirmed_block_num. */
    struct chain_dgp dgp;
    uint64_t head_slot;                            /* the head block's slot */
    uint32_t last_confirmed[CHAIN_MAX_WITNESSES];  /* [witness - 1] */
};

/* Evaluates ops against bal (committed or pending balances) with head time
 * now; applies them when apply (undone on failure either way). */
int chain_eval_ops(struct chain *c, int64_t *bal, const struct chain_op *ops, size_t nops,
                   uint32_t now, bool apply, struct fcerr *e);
/* Undoes ops[0..n) previously applied to bal. */
void chain_undo_ops(struct chain *c, int64_t *bal, const struct chain_op *ops, size_t n);
/* TaPoS and expiration of an entry against the current head. */
bool chain_entry_current(const struct chain *c, const struct chain_entry *en);
void chain_entry_free(struct chain_entry *en);

#endif
