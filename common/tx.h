/* tx.h - BitShares transactions: the model, fc::raw packing and unpacking,
 * signing digest, transaction id, TaPoS fields, operation validate() rules.
 * Spec: ../shared/docs/bitshares-protocol.md §1-§3. Pure.
 *
 * struct tx is a value struct the caller owns. Its arrays grow on demand
 * and keep their capacity across tx_reset, so a signer thread reuses one
 * struct tx for every transaction it builds and allocates nothing per
 * transaction in steady state. */
#ifndef BSS_TX_H
#define BSS_TX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pubkey.h"

#define TX_SIG_LEN 65
#define TX_ID_LEN 20
#define TX_BLOCK_ID_LEN 20
#define TX_CHAIN_ID_LEN 32
#define TX_INSTANCE_MAX ((UINT64_C(1) << 48) - 1) /* object_id instance bits */
#define TX_EXPIRATION_NEVER UINT32_MAX /* limit order default expiration */

enum tx_op_type {
    TX_OP_TRANSFER = 0,
    TX_OP_LIMIT_ORDER_CREATE = 1,
};

struct tx_asset {
    int64_t amount;
    uint64_t asset_id; /* instance of 1.3.N */
};

/* memo_data. The message bytes live in the owning tx's blob. */
struct tx_memo {
    uint8_t from[PUBKEY_LEN];
    uint8_t to[PUBKEY_LEN];
    uint64_t nonce;
    size_t msg_off; /* offset into tx->blob */
    size_t msg_len;
};

struct tx_transfer {
    struct tx_asset fee;
    uint64_t from; /* instance of 1.2.N */
    uint64_t to;
    struct tx_asset amount;
    bool has_memo;
    struct tx_memo memo;
};

struct tx_limit_order {
    struct tx_asset fee;
    uint64_t seller;
    struct tx_asset amount_to_sell;
    struct tx_asset min_to_receive;
    uint32_t expiration; /* time_point_sec */
    bool fill_or_kill;
};

struct tx_op {
    enum tx_op_type type;
    union {
        struct tx_transfer transfer;
        struct tx_limit_order limit_order;
    } u;
};

/* Extensions (transaction, transfer, limit order) are always empty: no
 * released operation we build uses them, and bitsharesjs cannot encode the
 * limit order's on_fill either. A non-empty set is rejected when parsing. */
struct tx {
    uint16_t ref_block_num;
    uint32_t ref_block_prefix;
    uint32_t expiration;
    struct tx_op *ops;
    size_t nops, ops_cap;
    uint8_t (*sigs)[TX_SIG_LEN];
    size_t nsigs, sigs_cap;
    uint8_t *blob; /* memo message bytes */
    size_t blob_len, blob_cap;
};

/* Initialises an empty tx (no allocation). */
void tx_init(struct tx *tx);
/* Frees all storage; tx is left initialised and empty. */
void tx_clear(struct tx *tx);
/* Empties tx (header zeroed, no ops, signatures or memo bytes) and keeps
 * the storage for reuse. */
void tx_reset(struct tx *tx);

/* Appends a zeroed operation and returns it (valid until the next
 * tx_add_op), or NULL with err when out of memory. */
struct tx_op *tx_add_op(struct tx *tx, char *err);
/* Appends a signature. Returns 0, or -1 with err. */
int tx_add_sig(struct tx *tx, const uint8_t sig[TX_SIG_LEN], char *err);
/* Copies len message bytes into the blob and points memo at them.
 * Returns 0, or -1 with err. */
int tx_memo_set_message(struct tx *tx, struct tx_memo *memo, const uint8_t *msg, size_t len,
                        char *err);
/* The memo's message bytes (msg_len of them). */
const uint8_t *tx_memo_message(const struct tx *tx, const struct tx_memo *memo);

/* The packed size in bytes, with or without the signatures. */
size_t tx_packed_size(const struct tx *tx, bool with_sigs);

/* Packs tx (fc::raw, signed_transaction layout when with_sigs) into
 * out[0..cap). Returns the number of bytes written, or -1 with err when
 * cap is too small or a field is out of the range the format allows
 * (an id instance over 48 bits). */
long tx_pack(const struct tx *tx, bool with_sigs, uint8_t *out, size_t cap, char *err);

/* Unpacks len bytes into tx (reset first). with_sigs: the input is a
 * signed_transaction. Every byte must be consumed. Returns 0, or -1 with err
 * naming the problem and the byte offset: truncated data, trailing bytes,
 * overlong varint, bool byte not 0/1, unknown operation tag, non-empty
 * extensions, id instance over 48 bits, counts larger than the input. */
int tx_unpack(struct tx *tx, const uint8_t *in, size_t len, bool with_sigs, char *err);

/* digest = sha256(chain_id || packed_unsigned): what is signed. */
void tx_digest(uint8_t digest[32], const uint8_t chain_id[TX_CHAIN_ID_LEN],
               const uint8_t *packed_unsigned, size_t len);
/* txid = first 20 bytes of sha256(packed_unsigned). */
void tx_id(uint8_t id[TX_ID_LEN], const uint8_t *packed_unsigned, size_t len);

/* Block number from a block id (first 4 bytes, big-endian). */
uint32_t tx_block_num(const uint8_t block_id[TX_BLOCK_ID_LEN]);
/* Sets tx's ref_block_num (block number & 0xffff) and ref_block_prefix
 * (little-endian uint32 of id bytes 4..7) from a block id. */
void tx_set_tapos(struct tx *tx, const uint8_t block_id[TX_BLOCK_ID_LEN]);

/* The operations' validate() rules of bitshares-core: fee >= 0 everywhere;
 * transfer: from != to, amount > 0; limit order: amounts > 0, sell asset !=
 * receive asset. Also: at least one operation. Returns 0, or -1 with err
 * naming the operation index and field ("operations[2]: from and to must
 * differ"). */
int tx_validate(const struct tx *tx, char *err);

/* Account ids every operation needs active authority of, in order of first
 * appearance, without repeats: transfer -> from, limit order -> seller.
 * Writes up to cap ids to out; returns how many there are (may be > cap). */
size_t tx_required_accounts(const struct tx *tx, uint64_t *out, size_t cap);

#endif
