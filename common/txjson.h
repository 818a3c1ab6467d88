/* txjson.h - transactions in the node's JSON form (fc to_variant), e.g.
 * {"ref_block_num":24182,"ref_block_prefix":1003363932,
 *  "expiration":"2030-01-01T00:00:00","operations":[[0,{...}]],
 *  "extensions":[],"signatures":["1f..."]}
 * Pure. Rendering writes into an sbuf and, in fixed mode, never allocates. */
#ifndef BSS_TXJSON_H
#define BSS_TXJSON_H

#include <stdbool.h>
#include <stddef.h>

#include "jv.h"
#include "sbuf.h"
#include "tx.h"

/* Appends tx in the node's JSON form: key order as the node prints it,
 * ids as "1.2.N" strings, times without "Z", int64 as numbers when within
 * int32 and as decimal strings otherwise (stringify_large_ints_and_doubles),
 * transfer memo omitted when absent (else {"from":"<PREFIX>…","to":…,
 * "nonce":N,"message":"<hex>"} with key strings of memo_prefix),
 * limit order extensions as {}, and "signatures" when with_sigs.
 * Overflow of a fixed sbuf shows in out->overflow. The only other failure
 * is text that would be wrong, reported the same way: an invalid
 * memo_prefix, or a memo key whose first byte is not 02/03. */
void txjson_render(struct sbuf *out, const struct tx *tx, bool with_sigs, const char *memo_prefix);

/* Fills tx (reset first) from a parsed JSON transaction, accepting what the
 * node accepts: int64 as number or string, ids as "1.2.N" strings (space and
 * type checked), memo absent or null, limit order extensions [], {} or null,
 * "signatures" absent (unsigned) or an array of exactly 130-hex strings,
 * operation tags as numbers or names ("transfer_operation"), memo keys with
 * any prefix. Stricter than fc in one way: every other member must be
 * present (fc would silently default it), except "extensions", which may be
 * missing. Unknown keys are ignored as fc does. Returns 0, or -1 with err
 * naming the JSON path of the bad field (tx is left empty):
 * "operations[1][1].amount_to_sell.amount: ...", "expiration: missing". */
int txjson_parse(struct tx *tx, const struct jv *v, char *err);

/* Parses an object id "S.T.N" (decimal, no signs, spaces or leading zeros)
 * that must have the given space and type.
 * Returns 0 with *instance = N (<= TX_INSTANCE_MAX), or -1 with err
 * ("malformed id \"1.2.x\"", "expected an id 1.3.N, got \"1.2.5\""). */
int txjson_parse_id(const char *s, size_t len, unsigned space, unsigned type, uint64_t *instance,
                    char *err);

#endif
