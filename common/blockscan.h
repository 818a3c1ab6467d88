/* blockscan.h - finds transactions in a block's JSON text without building
 * a tree of it: one pass over the text, no allocation.
 *
 * A node's get_block answer carries full transactions with their
 * signatures and no transaction ids (2.9 MB for a block of 6,878
 * transfers). A beacon knows the signature of every transaction it signs,
 * so it recognises its own by a key taken from the first signature: bytes
 * 1..20 of the 65-byte compact signature (the start of r, which the
 * signing nonce makes unique; byte 0 is only the recovery id).
 *
 * The scanner reads a JSON-RPC reply {"id":N,"result":BLOCK,...} (or a
 * bare block, see blockscan_block) and reports, besides each transaction's
 * key: the envelope's id, whether result is null, the block's previous id,
 * timestamp, transaction count and an estimate of the transactions' packed
 * size (for block fullness). It checks the JSON grammar (strings, escapes,
 * numbers, nesting) of everything it passes over, but not UTF-8.
 * Keys are compared after unescaping ("transaction\u0073" is
 * "transactions"); a repeated key that the scanner reads (id, result,
 * previous, timestamp, transactions, signatures) is an error, so that its
 * answer never depends on which copy a tree parser would keep.
 * Pure: no logging, no global state. */
#ifndef BSS_BLOCKSCAN_H
#define BSS_BLOCKSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BLOCKSCAN_KEY_LEN 20
#define BLOCKSCAN_SIG_LEN 65
#define BLOCKSCAN_ID_LEN 20
#define BLOCKSCAN_MAX_DEPTH 250 /* nesting accepted, as the tree parser (jv.h) */

enum blockscan_result {
    BLOCKSCAN_NO_RESULT, /* no "result" key (an error, a notice) */
    BLOCKSCAN_NULL,      /* "result":null (e.g. a block the node does not have) */
    BLOCKSCAN_OBJECT,    /* "result" is an object: read as a block */
    BLOCKSCAN_OTHER,     /* "result" is another value */
};

struct blockscan {
    /* Envelope (blockscan_reply only; zero for blockscan_block). */
    bool has_id;           /* "id" is a plain integer 0..INT64_MAX */
    uint64_t id;
    bool has_error;        /* an "error" key is present */
    bool has_method;       /* a "method" key is present (a notice) */
    enum blockscan_result result;
    /* The block (when result is BLOCKSCAN_OBJECT, or blockscan_block). */
    bool has_previous;     /* "previous" is 40 hex digits */
    uint8_t previous[BLOCKSCAN_ID_LEN];
    uint32_t timestamp;    /* "timestamp", epoch s; 0 when absent or unreadable */
    uint32_t ntx;          /* elements of "transactions" */
    uint32_t nkeyed;       /* ... whose first signature gave a key */
    uint64_t est_bytes;    /* estimated packed size of those transactions, see below */
};

/* Called for each element of "transactions", in order: index from 0, and
 * its key, or NULL when the element is not an object whose "signatures"
 * array starts with a string of 130 hex digits. */
typedef void (*blockscan_tx_fn)(void *user, uint32_t index, const uint8_t *key);

/* Scans a JSON-RPC reply of len bytes (need not be NUL-terminated): an
 * object whose "result", when it is an object, is read as a block.
 * fn may be NULL. Returns 0, or -1 with err (the text is not JSON, or
 * nests deeper than BLOCKSCAN_MAX_DEPTH, or repeats a key read above, or
 * is not an object); fn may have been called before an error. out is
 * always initialised.
 *
 * est_bytes: the packed size of a transaction is 1 + 65 bytes per
 * signature plus its other fields, which are estimated as 0.14 bytes per
 * byte of their compact JSON text without "operation_results" (measured on
 * transfers, limit orders and a mix of both: 0.131 to 0.150, so within
 * about 7 % for what beacons send). */
int blockscan_reply(const char *text, size_t len, struct blockscan *out, blockscan_tx_fn fn,
                    void *user, char *err);

/* The same for a bare block object (no envelope). */
int blockscan_block(const char *text, size_t len, struct blockscan *out, blockscan_tx_fn fn,
                    void *user, char *err);

/* The key of a transaction whose first signature is sig. */
void blockscan_key(uint8_t key[BLOCKSCAN_KEY_LEN], const uint8_t sig[BLOCKSCAN_SIG_LEN]);

#endif
