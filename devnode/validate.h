/* validate.h - bitshares-core's acceptance rules for a broadcast
 * transaction, in the node's order, each failure with the node's error code,
 * name and assertion text:
 *   JSON -> transaction (bad_cast 7), validate() (operations, from != to,
 *   amounts > 0, fee >= 0, sell != receive; assert 10), signature keys
 *   (header 27..34, canonical, recoverable; duplicate signer 4010005),
 *   signed size < 1 MiB, duplicate txid (3030001), active authorities
 *   (missing 4010001, unnecessary signature 4010004), TaPoS, expiration
 *   window, maximum_transaction_size (all assert 10), then the evaluators:
 *   fee >= required (4010007), balances, limit order expiration.
 * The CPU-heavy step is public key recovery; the rest is table lookups. */
#ifndef DEVNODE_VALIDATE_H
#define DEVNODE_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chain.h"
#include "fcerr.h"
#include "jv.h"
#include "tx.h"

struct validator;
struct sign_ctx;

/* Creates a validator over chain c (borrowed; must outlive it). Returns
 * NULL with err. */
struct validator *validator_new(struct chain *c, const struct sign_ctx *sctx, char *err);
/* NULL is a no-op. */
void validator_free(struct validator *v);

/* What a successful check produced; pointers are into the validator and
 * valid until its next call. */
struct validated {
    const struct tx *tx;
    const uint8_t *packed; /* signed packing; the unsigned one is its prefix */
    size_t signed_len, unsigned_len;
    uint8_t txid[TX_ID_LEN];
    struct chain_entry *entry; /* when pushed */
};

/* Checks the JSON transaction txj. With push, applies it to the pending
 * state and queues it (out->entry). Returns 0, or -1 with e filled. */
int validator_check(struct validator *v, const struct jv *txj, bool push, struct validated *out,
                    struct fcerr *e);

/* Only the JSON -> transaction step and packing (for --sink and
 * get_transaction_hex). Returns 0, or -1 with e filled. */
int validator_parse(struct validator *v, const struct jv *txj, struct validated *out,
                    struct fcerr *e);

/* The fee the node requires for an operation (fee schedule and scale),
 * memo_len the packed size of a transfer memo (0 when absent). */
uint64_t validator_required_fee(const struct genesis_params *p, enum tx_op_type type,
                                size_t memo_len);

#endif
