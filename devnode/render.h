/* render.h - the node's JSON objects as devnode has them: dynamic and
 * global properties, account objects, blocks, block headers, processed
 * transactions and inclusion results. Integers follow fc's
 * stringify_large_ints_and_doubles (int64 outside int32 and uint64 above
 * 2^32-1 as strings). Appends to a growable sbuf (out->overflow on OOM). */
#ifndef DEVNODE_RENDER_H
#define DEVNODE_RENDER_H

#include <stdint.h>

#include "chain.h"
#include "sbuf.h"
#include "tx.h"

void render_i64(struct sbuf *s, int64_t v);
void render_u64(struct sbuf *s, uint64_t v);
void render_time(struct sbuf *s, uint32_t t);
/* "S.T.N" with quotes. */
void render_id(struct sbuf *s, unsigned space, unsigned type, uint64_t instance);

/* get_dynamic_global_properties. */
void render_dgp(struct sbuf *s, const struct chain *c);
/* get_global_properties. */
void render_gp(struct sbuf *s, const struct chain *c);
/* An account_object. */
void render_account(struct sbuf *s, const struct chain *c, size_t index);
/* An asset_object. */
void render_asset(struct sbuf *s, const struct chain *c, size_t index);
/* block_header (no signature, no transactions). */
void render_block_header(struct sbuf *s, const struct chain_block *b);
/* signed_block with its processed transactions; tx is scratch storage. */
void render_block(struct sbuf *s, const struct chain *c, const struct chain_block *b,
                  struct tx *tx);
/* A processed_transaction: the signed transaction plus operation_results. */
void render_processed_tx(struct sbuf *s, const struct chain *c, const struct chain_entry *en,
                         struct tx *tx);
/* {"id":TXID,"block_num":N,"trx_num":I,"trx":processed_tx}. */
void render_inclusion(struct sbuf *s, const struct chain *c, const struct chain_entry *en,
                      struct tx *tx);

/* The signed transaction of en as a client would broadcast it (no
 * results). Returns 0, or -1 (nothing appended) if it cannot be unpacked. */
int render_signed_tx(struct sbuf *s, const struct chain *c, const struct chain_entry *en,
                     struct tx *tx);

#endif
