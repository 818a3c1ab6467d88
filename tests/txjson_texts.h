/* txjson_texts.h - shared by the txjson tests: transaction texts in the
 * node's form, derived by hand, and small helpers that fail the test on
 * error. It includes cmocka.h and what that needs. */
#ifndef BSS_TXJSON_TEXTS_H
#define BSS_TXJSON_TEXTS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "err.h"
#include "hex.h"
#include "jv.h"
#include "sbuf.h"
#include "testutil.h"
#include "tx.h"
#include "txjson.h"

/* The node's text for the transfer and limit_order_create vectors, derived
 * by hand from the vectors and fc's to_variant rules (protocol doc §5). */
#define TRANSFER_OP                                                                              \
    "[0,{\"fee\":{\"amount\":86869,\"asset_id\":\"1.3.0\"},\"from\":\"1.2.1000\",\"to\":\"1.2."  \
    "1001\",\"amount\":{\"amount\":12345,\"asset_id\":\"1.3.0\"},\"extensions\":[]}]"
#define HEADER                                                                                   \
    "{\"ref_block_num\":24182,\"ref_block_prefix\":1003363932,\"expiration\":\"2030-01-01T00:00:" \
    "00\","
#define TRANSFER_SIG                                                                             \
    "1f4a0234b4d9141795d6b90fb31e764476195d7a595f8b538a7ee5920f365bc0d339c2f823c924977c5364ab6f" \
    "c0baa9297135b4f622b135467015cbbf11989143"
static const char transfer_sig[] = TRANSFER_SIG;
static const char transfer_text[] =
    HEADER "\"operations\":[" TRANSFER_OP "],\"extensions\":[]}";
static const char transfer_signed_text[] =
    HEADER "\"operations\":[" TRANSFER_OP "],\"extensions\":[],\"signatures\":[\"" TRANSFER_SIG
           "\"]}";
static const char limit_order_text[] =
    HEADER "\"operations\":[[1,{\"fee\":{\"amount\":48260,\"asset_id\":\"1.3.0\"},\"seller\":\"1.2."
           "1000\",\"amount_to_sell\":{\"amount\":100000,\"asset_id\":\"1.3.0\"},\"min_to_receive\":{"
           "\"amount\":777,\"asset_id\":\"1.3.1234\"},\"expiration\":\"2030-06-01T12:00:00\","
           "\"fill_or_kill\":false,\"extensions\":{}}]],\"extensions\":[]}";
/* python-bitshares test_transfer, memo keys with the BTS prefix. */
static const char python_memo_hex[] =
    "f68585abf4dce7c804570100000000000000000000000140420f0000000000040102c0ded2bc1f1305fb0faac5e"
    "6c03ee3a1924234985427b6167ca569d13df435cf02c0ded2bc1f1305fb0faac5e6c03ee3a1924234985427b6167"
    "ca569d13df435cf8c94d19817945c5120fa5b6e83079a878e499e2e52a76a7739e9de40986a8e3bd8a68ce316cee5"
    "0b210000011f39e3fa7071b795491e3b6851d61e7c959be92cc7deb5d8491cf1c3c8c99a1eb44553c348fb8f5001"
    "a78b18233ac66727e32fc776d48e92d9639d64f68e641948";
static const char python_memo_text[] =
    "{\"ref_block_num\":34294,\"ref_block_prefix\":3707022213,\"expiration\":\"2016-04-06T08:29:27\","
    "\"operations\":[[0,{\"fee\":{\"amount\":0,\"asset_id\":\"1.3.0\"},\"from\":\"1.2.0\",\"to\":"
    "\"1.2.1\",\"amount\":{\"amount\":1000000,\"asset_id\":\"1.3.4\"},\"memo\":{\"from\":"
    "\"BTS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV\",\"to\":"
    "\"BTS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV\",\"nonce\":\"5862723643998573708\","
    "\"message\":\"fa5b6e83079a878e499e2e52a76a7739e9de40986a8e3bd8a68ce316cee50b21\"},"
    "\"extensions\":[]}]],\"extensions\":[],\"signatures\":[\"1f39e3fa7071b795491e3b6851d61e7c959b"
    "e92cc7deb5d8491cf1c3c8c99a1eb44553c348fb8f5001a78b18233ac66727e32fc776d48e92d9639d64f68e6419"
    "48\"]}";

static inline struct jv *parse_text(const char *text)
{
    char err[ERR_LEN];
    struct jv *v = jv_parse(text, strlen(text), JV_MAX_DEPTH, err);

    if (v == NULL)
        fail_msg("%s: %s", err, text);
    return v;
}

static inline void parse_tx(struct tx *tx, const char *text)
{
    char err[ERR_LEN];
    struct jv *v = parse_text(text);

    if (txjson_parse(tx, v, err) < 0)
        fail_msg("txjson_parse: %s", err);
    jv_free(v);
}

/* Renders into a growable sbuf; free the result. */
static inline char *render(const struct tx *tx, bool with_sigs, const char *prefix)
{
    struct sbuf s;

    sbuf_init(&s);
    txjson_render(&s, tx, with_sigs, prefix);
    assert_false(s.overflow);
    return s.buf;
}

/* Packs into a new buffer; *len gets the size. */
static inline uint8_t *pack(const struct tx *tx, bool with_sigs, size_t *len)
{
    char err[ERR_LEN];
    size_t cap = tx_packed_size(tx, with_sigs);
    uint8_t *buf = malloc(cap + 1);
    long n;

    assert_non_null(buf);
    n = tx_pack(tx, with_sigs, buf, cap, err);
    if (n < 0)
        fail_msg("tx_pack: %s", err);
    assert_int_equal((size_t)n, cap);
    *len = cap;
    return buf;
}

#endif
