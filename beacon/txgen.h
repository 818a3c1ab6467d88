/* txgen.h - deterministic generation of unique transactions.
 *
 * Transaction k (k = 0, 1, 2, ...) of a generator is a pure function of the
 * configuration and k, so any thread can build any k, and a run can be
 * replayed. Uniqueness: with u = k_offset + k, the first operation carries
 * u in two fields - its amount (transfer amount, or limit order
 * amount_to_sell) is base + (u mod 2^16), and its fee (transfer) or
 * min_to_receive (limit order) is base + u / 2^16 - so two different u never
 * give the same content and hence never the same txid. Amounts stay within
 * 2^16 units of their base however long a run is (accounts are not drained
 * by growing amounts); the fee grows by one unit per 65 536 transactions.
 * Which kind each operation is comes from a PRNG keyed by (seed, k,
 * operation index) following the mix weights. */
#ifndef BSS_TXGEN_H
#define BSS_TXGEN_H

#include <stdint.h>

#include "tx.h"

struct txgen_config {
    uint8_t ref_block_id[TX_BLOCK_ID_LEN]; /* TaPoS reference */
    uint32_t expiration;                   /* transaction expiration */
    uint64_t from, to;                     /* account instances (1.2.N) */
    unsigned weight_transfer;              /* relative mix weights */
    unsigned weight_limit_order;
    unsigned ops_per_tx;                   /* >= 1 */
    uint64_t seed;
    uint64_t k_offset;                     /* added to k: disjoint ranges of u */
    /* transfer */
    struct tx_asset transfer_fee;
    int64_t transfer_amount;     /* base amount; op j > 0 uses base + j */
    uint64_t transfer_asset;
    /* limit order */
    struct tx_asset order_fee;
    int64_t sell_amount;         /* base; the first op adds k */
    uint64_t sell_asset;
    int64_t receive_amount;
    uint64_t receive_asset;
    uint32_t order_expiration;   /* TX_EXPIRATION_NEVER for none */
};

/* Fills cfg with defaults: 1 transfer per tx, 70/30 mix weights, core asset
 * fees 100000 (transfer) / 50000 (order), amounts 1 and 100000 -> 1 of 1.3.1,
 * seed 1. ref_block_id, expiration, from and to must still be set. */
void txgen_defaults(struct txgen_config *cfg);

/* Checks the configuration (ops_per_tx >= 1, some weight > 0, from != to,
 * sell asset != receive asset when orders are in the mix, amounts > 0, and
 * that base amounts + k cannot overflow for k < 2^40). Returns 0, or -1 with
 * err naming the field. */
int txgen_check(const struct txgen_config *cfg, char *err);

/* Builds transaction k into tx (reset first; storage reused). Returns 0, or
 * -1 with err (out of memory only). */
int txgen_build(const struct txgen_config *cfg, uint64_t k, struct tx *tx, char *err);

#endif
