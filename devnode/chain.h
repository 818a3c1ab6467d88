/* chain.h - the devnode's chain state: accounts and balances, the block
 * summary ring (TaPoS), the transaction history (duplicates), the pending
 * queue, block production with a capacity limit, and recent blocks.
 *
 * State model (as bitshares-core, without forks): balances exist twice,
 * "committed" (the head block's state) and "pending" (committed plus every
 * pending transaction, applied in arrival order). Broadcasts are evaluated
 * against and applied to the pending state. Producing a block applies
 * pending transactions to the committed state in arrival order until the
 * block is full (size, or the capacity's share of this block); ones that
 * do not fit are postponed; ones that fail are kept for the re-check. Then
 * the pending state is rebuilt from the committed one by re-applying the
 * remaining queue, dropping what now fails (expired, TaPoS, balance), as
 * the node does after each block. Single-threaded. */
#ifndef DEVNODE_CHAIN_H
#define DEVNODE_CHAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fcerr.h"
#include "genesis.h"

#define CHAIN_ID_LEN 20
#define CHAIN_SUMMARY_SLOTS 65536

/* An operation resolved to state indices: what evaluation needs. */
struct chain_op {
    uint8_t type;        /* 0 transfer, 1 limit_order_create */
    uint32_t payer;      /* account index: from / seller */
    uint32_t fee_asset;  /* asset index */
    int64_t fee;
    uint32_t to;         /* transfer: account index */
    uint32_t asset;      /* transfer: amount asset; order: sell asset */
    int64_t amount;      /* transfer amount / amount_to_sell */
    uint32_t receive_asset; /* order: min_to_receive asset index */
    uint32_t expiration; /* order expiration */
    uint64_t required_fee;
};

/* Who waits for a transaction's inclusion. */
enum chain_wait { CHAIN_WAIT_NONE, CHAIN_WAIT_SYNC, CHAIN_WAIT_CALLBACK };

struct chain_entry {
    uint8_t txid[CHAIN_ID_LEN];
    uint32_t expiration;
    uint16_t ref_block_num;
    uint32_t ref_block_prefix;
    uint32_t signed_len, unsigned_len;
    uint32_t nops;
    /* Set when included in a block. */
    uint32_t block_num, trx_num;
    uint64_t first_order_id; /* 1.7.N of its first limit order */
    /* The waiter (broadcast_transaction_synchronous / _with_callback). */
    enum chain_wait wait;
    uint64_t wait_conn;
    char *wait_ref; /* JSON text of the request id or callback id */
    struct chain_op *ops;   /* nops, inside this allocation */
    uint8_t *packed;        /* signed_len bytes, inside this allocation */
};

struct chain_block {
    uint32_t num;
    uint8_t id[CHAIN_ID_LEN];
    uint8_t previous[CHAIN_ID_LEN];
    uint32_t timestamp;
    uint8_t merkle[CHAIN_ID_LEN];
    uint8_t sig[65];
    uint32_t ntx;
    struct chain_entry **txs;
    size_t bytes;
    uint32_t witness;   /* signed by 1.6.<witness> */
    uint64_t slot;      /* the absolute slot it filled (see struct chain_slot) */
};

/* The slot a block fills. With a witness schedule (chain_opts.witnesses)
 * slot is the wall-clock slot number (milliseconds since the epoch divided
 * by the block interval), the same on every node of a network; the slots
 * between the head's and a new block's are the missed ones. */
struct chain_slot {
    uint32_t witness; /* 1..witnesses: the block is signed by 1.6.<witness> */
    uint64_t slot;
};

/* get_dynamic_global_properties' witness figures, as graphene keeps them
 * (database::update_global_dynamic_data, update_last_irreversible_block). */
struct chain_dgp {
    uint32_t current_witness;   /* of the head block (1 at block 0) */
    uint32_t lib;               /* last_irreversible_block_num */
    uint32_t recently_missed;   /* recently_missed_count: +4 per missed slot, -3 per filled */
    uint64_t current_aslot;     /* slots since genesis, filled or missed */
    uint64_t filled_hi, filled_lo; /* recent_slots_filled (uint128, 1 bit per slot) */
    uint64_t missed_total;      /* missed slots since genesis */
};

struct chain_opts {
    double capacity_tps;    /* 0 = unlimited */
    double capacity_ops;    /* 0 = unlimited */
    size_t max_pending;     /* pending queue bound (broadcasts refused past it) */
    size_t keep_blocks;     /* recent blocks kept for get_block */
    size_t keep_bytes;      /* and at most this many transaction bytes */
    bool shared_ids;        /* block ids from (chain id, number) only: see seal_block */
    uint32_t witnesses;     /* active witnesses 1.6.1..N (0 = 1: one witness, LIB = head) */
};

/* At most this many witnesses in a schedule. */
#define CHAIN_MAX_WITNESSES 101

struct chain_stats {
    uint64_t blocks;
    uint64_t applied_tx, applied_ops;   /* included in blocks */
    uint64_t dropped;                   /* left the queue without inclusion */
    uint64_t postponed;                 /* sum over blocks of postponed txs */
};

struct chain;
struct sign_ctx;

/* Creates the chain from g (accounts and assets are copied) at head block 0
 * with time genesis_time. Returns NULL with err. */
struct chain *chain_new(const struct genesis *g, const struct chain_opts *o,
                        const struct sign_ctx *sctx, uint32_t genesis_time, char *err);
/* NULL is a no-op. */
void chain_free(struct chain *c);

const struct genesis *chain_genesis(const struct chain *c);
const struct chain_opts *chain_options(const struct chain *c);

/* Account index by id instance / by name, or -1. */
long chain_account_by_id(const struct chain *c, uint64_t id);
long chain_account_by_name(const struct chain *c, const char *name, size_t len);
const struct genesis_account *chain_account(const struct chain *c, size_t index);
/* Pending-state balance. */
int64_t chain_balance(const struct chain *c, size_t account, size_t asset);

uint32_t chain_head_num(const struct chain *c);
const uint8_t *chain_head_id(const struct chain *c);
uint32_t chain_head_time(const struct chain *c);
uint32_t chain_genesis_time(const struct chain *c);
/* The block id stored in the summary ring slot for ref_block_num. */
const uint8_t *chain_summary(const struct chain *c, uint16_t ref_block_num);
bool chain_txid_known(const struct chain *c, const uint8_t txid[CHAIN_ID_LEN]);
size_t chain_pending_count(const struct chain *c);
bool chain_pending_full(const struct chain *c);
const struct chain_stats *chain_stats(const struct chain *c);

/* Evaluates ops in order against the pending state, as the evaluators do
 * (fee >= required, balances sufficient, order expiration >= head time).
 * With apply, the effects stay; otherwise they are undone. Returns 0, or
 * -1 with e filled (nothing applied). */
int chain_evaluate(struct chain *c, const struct chain_op *ops, size_t nops, bool apply,
                   struct fcerr *e);

/* Undoes a chain_evaluate(..., apply = true) of the same ops. */
void chain_unevaluate(struct chain *c, const struct chain_op *ops, size_t nops);

/* Adds a transaction (already validated, its ops already applied with
 * chain_evaluate) to the pending queue and its id to the history. ops and
 * packed are copied. Returns the entry (owned by the chain), or NULL when
 * out of memory. */
struct chain_entry *chain_push(struct chain *c, const struct chain_op *ops, size_t nops,
                               const uint8_t *packed, size_t signed_len, size_t unsigned_len,
                               const uint8_t txid[CHAIN_ID_LEN], uint32_t expiration,
                               uint16_t ref_block_num, uint32_t ref_block_prefix);

/* Produces the next block at time now (seconds; never before the head
 * time). Returns the block (owned by the chain, valid until the next
 * chain_produce_block), or NULL with err when out of memory. */
const struct chain_block *chain_produce_block(struct chain *c, uint32_t now, char *err);
/* The same, filling the given slot (NULL: the head's slot + 1 by witness 1,
 * as chain_produce_block). slot->witness must be 1..witnesses and
 * slot->slot above the head's. */
const struct chain_block *chain_produce_block_at(struct chain *c, uint32_t now,
                                                 const struct chain_slot *slot, char *err);

/* A follower's block (devnode network, see relay.h): produces the next
 * block with the producer's timestamp out of the pending transactions
 * with the given ids, in that order (they must have been pushed first);
 * the others stay pending. An id not pending, or one that fails against
 * the head state, is left out and counted in *skipped (the producer's
 * state differed). slot: the producer's witness and slot (NULL: the
 * head's slot + 1 by witness 1). Returns the block as chain_produce_block
 * does. */
const struct chain_block *chain_apply_block(struct chain *c, uint32_t timestamp,
                                            const uint8_t (*ids)[CHAIN_ID_LEN], size_t n,
                                            const struct chain_slot *slot, size_t *skipped,
                                            char *err);

/* The witness schedule's size (at least 1). */
uint32_t chain_witnesses(const struct chain *c);
/* The head block's slot (0 at block 0). */
uint64_t chain_head_slot(const struct chain *c);
/* The last block witness w (1..witnesses) signed (last_confirmed_block_num),
 * 0 if none. */
uint32_t chain_witness_last_block(const struct chain *c, uint32_t w);
/* The head's witness figures into out. */
void chain_get_dgp(const struct chain *c, struct chain_dgp *out);

/* A recent block by number, or NULL (not produced yet, or evicted). */
const struct chain_block *chain_block(const struct chain *c, uint32_t num);

#endif
