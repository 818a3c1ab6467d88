/* reply.h - reading what a node sends back over JSON-RPC, fast.
 *
 * Nearly every message a beacon receives is a broadcast acknowledgement,
 * {"id":N,"result":null} (perhaps with "jsonrpc":"2.0"), so that exact shape
 * is recognised by a small scanner without building a JSON tree; anything
 * else (errors, notices, other results, and any spelling the scanner does
 * not know) goes through the full parser and is reduced to the fields
 * below. The scanner only ever says "mine" for text that the full parser
 * reads to the same struct reply, so correctness never depends on it.
 * Pure: no allocation on the fast path, no logging, no global state.
 * Pointer arguments must not be NULL unless stated otherwise. */
#ifndef BSS_REPLY_H
#define BSS_REPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stats.h"

enum reply_kind {
    REPLY_RESULT, /* {"id":N,"result":...} */
    REPLY_ERROR,  /* {"id":N,"error":{...}} (id may be null for protocol errors) */
    REPLY_NOTICE, /* {"method":"notice","params":[CB,[...]]} */
};

/* Every field is set by a successful parse (unused ones zero / "").
 * name and message are the node's words made safe to print: control bytes
 * become \n, \r, \t or \xNN, a backslash \\, C1 controls, line separators
 * and bidirectional overrides \u{XXXX}; printable ASCII and other UTF-8 are
 * kept (a hostile node's text cannot drive a terminal or forge lines of
 * events.log). */
struct reply {
    enum reply_kind kind;
    bool has_id;         /* false for notices and id:null */
    uint64_t id;         /* numeric request id, 0 .. INT64_MAX (ours are numbers) */
    bool result_null;    /* REPLY_RESULT whose result is null (a broadcast ack) */
    int64_t code;        /* REPLY_ERROR: the fc exception code: error.data.code
                          * when it is an integer, else error.code (-326xx for
                          * protocol errors). fc has put 1 in error.code in
                          * some versions; data.code is always the exception's. */
    char name[64];       /* REPLY_ERROR: error.data.name, e.g. "duplicate_transaction", or "" */
    char message[256];   /* REPLY_ERROR: error.message, else error.data.message,
                          * else "" (truncated at a UTF-8 boundary). error.message
                          * comes first because it is fc's to_string() of the
                          * exception and holds the assertion text
                          * ("... trx.ref_block_prefix == ...: ..."), which
                          * reply_classify needs; data.message is only the
                          * exception's what(), e.g. "Assert Exception". */
    uint64_t notice_cb;  /* REPLY_NOTICE: the callback id (params[0]) */
};

/* Reads one message of len bytes (need not be NUL-terminated): the fast
 * scanner first, the full parser when the scanner does not recognise it.
 * Returns 0, or -1 with err (r then undefined) when it is not JSON-RPC as
 * the node sends it: not JSON, not an object, an id that is neither an
 * integer in 0..INT64_MAX nor null (strings, negatives, fractions and
 * 1.0-style reals are refused: the beacon's ids are plain numbers), both
 * result and error, a result with a null or missing id, an error that is
 * not an object or has no integer code, a notice without an integer
 * callback id, or none of result, error and notice. */
int reply_parse(struct reply *r, const char *msg, size_t len, char *err);

/* The two halves of reply_parse, for tests and benchmarks.
 * reply_parse_fast: recognises exactly {"id":N,"result":null} with an
 *   optional "jsonrpc":"2.0" member, members in any order, no whitespace,
 *   N in plain decimal of at most 18 digits, no leading zero. Returns true
 *   and fills r; false (r untouched) for anything else.
 * reply_parse_full: the full parser (jv_parse), same result and errors as
 *   reply_parse. */
bool reply_parse_fast(struct reply *r, const char *msg, size_t len);
int reply_parse_full(struct reply *r, const char *msg, size_t len, char *err);

/* Copies n bytes of a node's text (s may be NULL when n is 0) into dst
 * (cap > 0 bytes with the NUL) made safe to print, as struct reply's name and
 * message: control bytes become \n, \r, \t or \xNN, a backslash \\, bytes
 * that are not UTF-8 \xNN, C1 controls, line separators and bidirectional
 * overrides \u{XXXX}; printable ASCII and other UTF-8 are kept. A long text
 * is cut between whole characters or escapes. */
void reply_escape(char *dst, size_t cap, const char *s, size_t n);

/* The rejection category of a node error from its code, fc exception name
 * and message (name and message may be NULL or ""). In this order:
 * 1. the name, when it is one of: duplicate_transaction -> DUPLICATE;
 *    tx_missing_active_auth, tx_missing_owner_auth, tx_missing_other_auth
 *    -> MISSING_SIG; tx_irrelevant_sig, tx_duplicate_sig -> IRRELEVANT_SIG;
 *    insufficient_fee -> FEE. Names beat codes because the codes moved:
 *    before the protocol library split, 3030001..3030007 were the tx_*
 *    authority codes and insufficient_fee; now tx_* are 4010001..4010007
 *    (graphene/protocol/exceptions.hpp) and 3030001 is duplicate_transaction
 *    (graphene/chain/exceptions.hpp).
 * 2. with no name: the current codes 3030001, 4010001..4010003, 4010004 and
 *    4010005, 4010007 as above.
 * 3. the message, case-insensitively (for assert_exception, code 10, and
 *    anything else): "ref_block_prefix" or "tapos" -> TAPOS;
 *    "trx.expiration" -> EXPIRED (both expiration asserts of
 *    _apply_transaction; a limit order's "op.expiration" is not the
 *    transaction's and stays OTHER); "maximum transaction size" or
 *    "maximum_transaction_size" -> SIZE; "insufficient balance" -> BALANCE;
 *    "insufficient fee" -> FEE; "pending queue" or "busy" -> BUSY.
 * 4. OTHER (including the -326xx protocol errors). */
enum stats_reject reply_classify(int64_t code, const char *name, const char *message);

#endif
