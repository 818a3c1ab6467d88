/* test_tx.c - the binary side of transactions against the reference vectors:
 * unpack/pack identity, digest, txid, signatures, TaPoS; bad input with the
 * exact messages; validate() rules; model helpers. */
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
#include "testutil.h"
#include "tx.h"

static const char *const vector_files[] = {
    "transfer.json", "limit_order_create.json", "mixed3.json", "transfer_retry_fc.json",
    "transfer_retry_bitsharesjs.json",
};

static void unhex_exact(uint8_t *out, size_t n, const char *hex)
{
    char err[ERR_LEN];

    if (hex_decode_exact(out, n, hex, strlen(hex), err) < 0)
        fail_msg("bad hex in test data: %s", err);
}

/* Packs tx and compares with hex. */
static void expect_pack(const struct tx *tx, bool with_sigs, const char *hex)
{
    uint8_t buf[4096];
    char err[ERR_LEN];
    long n = tx_pack(tx, with_sigs, buf, sizeof buf, err);

    if (n < 0)
        fail_msg("tx_pack: %s", err);
    assert_int_equal((size_t)n, tx_packed_size(tx, with_sigs));
    assert_string_equal(tu_hex(buf, (size_t)n), hex);
}

static void test_vectors_binary(void **state)
{
    (void)state;
    for (size_t k = 0; k < sizeof vector_files / sizeof vector_files[0]; k++) {
        struct jv *vec = tu_vector_json(vector_files[k]);
        struct tx tx;
        char err[ERR_LEN];
        size_t n, sn;
        uint8_t *unsigned_bytes = tu_unhex(tu_str(vec, "unsigned_hex"), &n);
        uint8_t *signed_bytes = tu_unhex(tu_str(vec, "signed_hex"), &sn);
        uint8_t chain[TX_CHAIN_ID_LEN], digest[32], id[TX_ID_LEN], sig[TX_SIG_LEN];
        uint8_t block[TX_BLOCK_ID_LEN];
        int64_t num, prefix;
        char idhex[2 * TX_ID_LEN + 1];

        tx_init(&tx);
        if (tx_unpack(&tx, unsigned_bytes, n, false, err) < 0)
            fail_msg("%s: %s", vector_files[k], err);
        assert_int_equal(tx.nsigs, 0);
        expect_pack(&tx, false, tu_str(vec, "unsigned_hex"));

        /* digest and txid */
        unhex_exact(chain, sizeof chain, tu_str(vec, "chain_id"));
        tx_digest(digest, chain, unsigned_bytes, n);
        assert_string_equal(tu_hex(digest, 32), tu_str(vec, "digest"));
        tx_id(id, unsigned_bytes, n);
        hex_encode(idhex, id, TX_ID_LEN);
        assert_string_equal(idhex, tu_str(vec, "txid"));

        /* fc-style signature appended to the model */
        unhex_exact(sig, sizeof sig, tu_str(vec, "signature_fc_style"));
        assert_int_equal(tx_add_sig(&tx, sig, err), 0);
        expect_pack(&tx, true, tu_str(vec, "signed_hex_fc_style"));
        /* Signatures never change the unsigned bytes, hence the txid. */
        expect_pack(&tx, false, tu_str(vec, "unsigned_hex"));

        /* bitsharesjs-signed bytes unpack to the same transaction */
        if (tx_unpack(&tx, signed_bytes, sn, true, err) < 0)
            fail_msg("%s signed: %s", vector_files[k], err);
        assert_int_equal(tx.nsigs, 1);
        assert_string_equal(tu_hex(tx.sigs[0], TX_SIG_LEN), tu_str(vec, "signature_bitsharesjs"));
        expect_pack(&tx, true, tu_str(vec, "signed_hex"));
        assert_int_equal(tx_validate(&tx, err), 0);

        /* TaPoS from the head block id */
        unhex_exact(block, sizeof block, tu_str(vec, "head_block_id"));
        assert_int_equal(jv_int64(jv_get(vec, "head_block_number"), 0, UINT32_MAX, &num, err),
                         0);
        assert_int_equal(tx_block_num(block), (uint32_t)num);
        assert_int_equal(jv_int64(jv_get(vec, "ref_block_num"), 0, 65535, &num, err), 0);
        assert_int_equal(jv_int64(jv_get(vec, "ref_block_prefix"), 0, UINT32_MAX, &prefix, err),
                         0);
        tx.ref_block_num = 0;
        tx.ref_block_prefix = 0;
        tx_set_tapos(&tx, block);
        assert_int_equal(tx.ref_block_num, num);
        assert_int_equal(tx.ref_block_prefix, (uint32_t)prefix);
        expect_pack(&tx, true, tu_str(vec, "signed_hex"));

        tx_clear(&tx);
        free(unsigned_bytes);
        free(signed_bytes);
        jv_free(vec);
    }
}

static void test_tapos_example(void **state)
{
    (void)state;
    uint8_t id[TX_BLOCK_ID_LEN];
    struct tx tx;

    /* protocol doc §3: 01df5e765c1ece3b... -> 24182, 1003363932 */
    unhex_exact(id, sizeof id, "01df5e765c1ece3bf41b5a7bd0f6e8fa02b81342");
    tx_init(&tx);
    tx_set_tapos(&tx, id);
    assert_int_equal(tx_block_num(id), 31415926);
    assert_int_equal(tx.ref_block_num, 24182);
    assert_int_equal(tx.ref_block_prefix, 1003363932u);
    unhex_exact(id, sizeof id, "ffffffff00000080f41b5a7bd0f6e8fa02b81342");
    tx_set_tapos(&tx, id);
    assert_int_equal(tx_block_num(id), UINT32_MAX);
    assert_int_equal(tx.ref_block_num, 0xffff);
    assert_int_equal(tx.ref_block_prefix, 0x80000000u);
}

static void test_python_vectors(void **state)
{
    (void)state;
    struct jv *root = tu_vector_json("python_bitshares.json");
    const struct jv *vecs = jv_get(root, "vectors");
    struct tx tx;
    char err[ERR_LEN];

    assert_int_equal(jv_len(vecs), 2);
    tx_init(&tx);
    for (size_t k = 0; k < jv_len(vecs); k++) {
        const char *hex = tu_str(jv_at(vecs, k), "signed_hex");
        size_t n;
        uint8_t *in = tu_unhex(hex, &n);

        if (tx_unpack(&tx, in, n, true, err) < 0)
            fail_msg("python vector %zu: %s", k, err);
        expect_pack(&tx, true, hex);
        free(in);
    }
    /* The second one is the transfer with a memo: check the model. */
    {
        const struct tx_transfer *t = &tx.ops[0].u.transfer;
        uint8_t nathan[PUBKEY_LEN];

        unhex_exact(nathan, sizeof nathan,
                    "02c0ded2bc1f1305fb0faac5e6c03ee3a1924234985427b6167ca569d13df435cf");
        assert_int_equal(tx.nops, 1);
        assert_int_equal(tx.ops[0].type, TX_OP_TRANSFER);
        assert_true(t->from == 0 && t->to == 1);
        assert_true(t->amount.amount == 1000000 && t->amount.asset_id == 4);
        assert_true(t->has_memo);
        assert_memory_equal(t->memo.from, nathan, PUBKEY_LEN);
        assert_memory_equal(t->memo.to, nathan, PUBKEY_LEN);
        assert_true(t->memo.nonce == UINT64_C(0x515c941798d1948c));
        assert_int_equal(t->memo.msg_len, 32);
        assert_string_equal(tu_hex(tx_memo_message(&tx, &t->memo), t->memo.msg_len),
                            "fa5b6e83079a878e499e2e52a76a7739e9de40986a8e3bd8a68ce316cee50b21");
    }
    tx_clear(&tx);
    jv_free(root);
}

/* The transfer vector, annotated in the protocol doc §1.4:
 * 0 ref(2) 2 prefix(4) 6 exp(4) 10 nops 11 tag 12 fee(8) 20 fee asset
 * 21 from(2) 23 to(2) 25 amount(8) 33 asset 34 memo flag 35 op ext 36 tx ext */
#define TRANSFER_HEX "765e5c1ece3b80d8db700100555301000000000000e807e907393000000000000000000000"

static void expect_unpack_error(const char *hex, bool with_sigs, const char *msg)
{
    size_t n;
    uint8_t *in = tu_unhex(hex, &n);
    struct tx tx;
    char err[ERR_LEN] = "";

    tx_init(&tx);
    assert_int_equal(tx_unpack(&tx, in, n, with_sigs, err), -1);
    if (strcmp(err, msg) != 0)
        fail_msg("%s: got \"%s\", want \"%s\"", hex, err, msg);
    /* A failed unpack leaves an empty tx behind. */
    assert_int_equal(tx.nops, 0);
    assert_int_equal(tx.nsigs, 0);
    tx_clear(&tx);
    free(in);
}

/* TRANSFER_HEX with bytes [at, at + strlen(repl)/2) replaced (or cut when
 * repl is NULL), in a static buffer. */
static const char *patched(size_t at, const char *repl, size_t cut)
{
    static const char transfer_hex[] = TRANSFER_HEX;
    static char buf[512];

    snprintf(buf, sizeof buf, "%.*s%s%s", (int)(2 * at), TRANSFER_HEX, repl,
             &transfer_hex[2 * (at + cut)]);
    return buf;
}

static void test_unpack_errors(void **state)
{
    (void)state;
    expect_unpack_error(TRANSFER_HEX "00", false, "1 trailing bytes at offset 37");
    expect_unpack_error(patched(34, "02", 1), false,
                        "operations[0]: bool byte 0x02 is not 0 or 1 at offset 34");
    expect_unpack_error(patched(21, "ffffffffffffffffff01", 2), false,
                        "operations[0]: from id instance 18446744073709551615 exceeds 2^48-1 at "
                        "offset 21");
    expect_unpack_error(patched(21, "ffffffffffffffffffff01", 2), false,
                        "operations[0]: overlong varint at offset 21");
    expect_unpack_error(patched(23, "80808080808040", 2), false,
                        "operations[0]: to id instance 281474976710656 exceeds 2^48-1 at offset "
                        "23");
    expect_unpack_error(patched(20, "80808080808040", 1), false,
                        "operations[0]: fee asset id instance 281474976710656 exceeds 2^48-1 at "
                        "offset 20");
    expect_unpack_error(patched(11, "05", 1), false,
                        "operations[0]: unknown operation tag 5 at offset 11");
    expect_unpack_error(patched(35, "01", 1), false,
                        "operations[0]: non-empty transfer extensions (1 entries) at offset 35");
    expect_unpack_error(patched(36, "02", 1), false,
                        "non-empty transaction extensions (2 entries) at offset 36");
    /* Counts larger than the input: no huge allocation, a clear message. */
    expect_unpack_error("765e5c1ece3b80d8db70ffffffff0f", false,
                        "operation count 4294967295 exceeds the 0 bytes left at offset 10");
    expect_unpack_error("765e5c1ece3b80d8db70ffffffffffffffffff01", false,
                        "operation count 18446744073709551615 exceeds the 0 bytes left at offset "
                        "10");
    expect_unpack_error(TRANSFER_HEX "ffffffff0f", true,
                        "signature count 4294967295 exceeds the 0 bytes left at offset 37");
    expect_unpack_error(TRANSFER_HEX "02", true,
                        "signature count 2 exceeds the 0 bytes left at offset 37");
    /* 5 bytes of input */
    expect_unpack_error("765e5c1ece", false, "truncated data (4 bytes needed, 3 left) at offset 2");
    expect_unpack_error("", false, "truncated data (2 bytes needed, 0 left) at offset 0");
    /* memo message length beyond the input */
    expect_unpack_error(patched(34, "01", 1), false,
                        "operations[0]: truncated data (33 bytes needed, 2 left) at offset 35");
    /* A signed tx read as unsigned leaves the signatures as trailing bytes. */
    expect_unpack_error(TRANSFER_HEX "01" "1f4a0234b4d9141795d6b90fb31e764476195d7a595f8b538a7ee5"
                                     "920f365bc0d339c2f823c924977c5364ab6fc0baa9297135b4f622b1"
                                     "35467015cbbf11989143",
                        false, "66 trailing bytes at offset 37");
    /* Unsigned bytes read as signed: the count is missing. */
    expect_unpack_error(TRANSFER_HEX, true,
                        "truncated data (varint runs past the end) at offset 37");
}

static void test_limit_order_errors(void **state)
{
    (void)state;
    /* limit_order_create vector: 11 tag, 12 fee(8) 20 asset 21 seller(2)
     * 23 sell(8) 31 asset 32 receive(8) 40 asset(2) 42 exp(4) 46 fok 47 ext
     * 48 tx ext */
    static const char lo[] =
        "765e5c1ece3b80d8db70010184bc00000000000000e807a086010000000000000903000000000000d209c0"
        "93a371000000";
    char buf[256];
    struct tx tx;
    size_t n;
    uint8_t *in = tu_unhex(lo, &n);
    char err[ERR_LEN];

    tx_init(&tx);
    assert_int_equal(tx_unpack(&tx, in, n, false, err), 0);
    assert_int_equal(tx.ops[0].type, TX_OP_LIMIT_ORDER_CREATE);
    assert_true(tx.ops[0].u.limit_order.min_to_receive.asset_id == 1234);
    assert_true(tx.ops[0].u.limit_order.expiration == 1906545600u); /* 2030-06-01T12:00:00 */
    tx_clear(&tx);
    free(in);

    snprintf(buf, sizeof buf, "%.92s02%s", lo, lo + 94);
    expect_unpack_error(buf, false, "operations[0]: bool byte 0x02 is not 0 or 1 at offset 46");
    snprintf(buf, sizeof buf, "%.94s0100%s", lo, lo + 96);
    expect_unpack_error(buf, false,
                        "operations[0]: non-empty limit order extensions (1 entries) at offset "
                        "47");
}

static void test_truncation_everywhere(void **state)
{
    (void)state;
    const char *hexes[] = {
        /* mixed3 signed, and python's transfer with memo */
        NULL,
        "f68585abf4dce7c804570100000000000000000000000140420f0000000000040102c0ded2bc1f1305fb"
        "0faac5e6c03ee3a1924234985427b6167ca569d13df435cf02c0ded2bc1f1305fb0faac5e6c03ee3a192"
        "4234985427b6167ca569d13df435cf8c94d19817945c5120fa5b6e83079a878e499e2e52a76a7739e9de"
        "40986a8e3bd8a68ce316cee50b210000011f39e3fa7071b795491e3b6851d61e7c959be92cc7deb5d849"
        "1cf1c3c8c99a1eb44553c348fb8f5001a78b18233ac66727e32fc776d48e92d9639d64f68e641948",
    };
    struct jv *mixed = tu_vector_json("mixed3.json");
    struct tx tx;

    hexes[0] = tu_str(mixed, "signed_hex");
    tx_init(&tx);
    for (size_t k = 0; k < 2; k++) {
        size_t n;
        uint8_t *in = tu_unhex(hexes[k], &n);
        char err[ERR_LEN];

        assert_int_equal(tx_unpack(&tx, in, n, true, err), 0);
        /* Every cut point fails, naming truncation or a count that no
         * longer fits the shortened input. */
        for (size_t cut = 0; cut < n; cut++) {
            err[0] = '\0';
            assert_int_equal(tx_unpack(&tx, in, cut, true, err), -1);
            if (strstr(err, "truncated data") == NULL && strstr(err, "exceeds the") == NULL)
                fail_msg("cut %zu: %s", cut, err);
            assert_int_equal(tx.nops, 0);
        }
        free(in);
    }
    tx_clear(&tx);
    jv_free(mixed);
}

static struct tx_op *add_transfer(struct tx *tx, uint64_t from, uint64_t to, int64_t amount)
{
    char err[ERR_LEN];
    struct tx_op *op = tx_add_op(tx, err);

    assert_non_null(op);
    op->type = TX_OP_TRANSFER;
    op->u.transfer.from = from;
    op->u.transfer.to = to;
    op->u.transfer.amount.amount = amount;
    op->u.transfer.fee.amount = 1;
    return op;
}

static struct tx_op *add_order(struct tx *tx, uint64_t seller, int64_t sell, int64_t receive)
{
    char err[ERR_LEN];
    struct tx_op *op = tx_add_op(tx, err);

    assert_non_null(op);
    op->type = TX_OP_LIMIT_ORDER_CREATE;
    op->u.limit_order.seller = seller;
    op->u.limit_order.amount_to_sell.amount = sell;
    op->u.limit_order.min_to_receive.amount = receive;
    op->u.limit_order.min_to_receive.asset_id = 5;
    op->u.limit_order.expiration = TX_EXPIRATION_NEVER;
    return op;
}

static void expect_invalid(const struct tx *tx, const char *msg)
{
    char err[ERR_LEN] = "";

    assert_int_equal(tx_validate(tx, err), -1);
    assert_string_equal(err, msg);
}

static void test_validate(void **state)
{
    (void)state;
    struct tx tx;
    char err[ERR_LEN];
    struct tx_op *op;

    tx_init(&tx);
    expect_invalid(&tx, "transaction has no operations");
    add_transfer(&tx, 1, 2, 10);
    op = add_order(&tx, 1, 10, 20);
    assert_int_equal(tx_validate(&tx, err), 0);

    op->u.limit_order.min_to_receive.asset_id = 0;
    expect_invalid(&tx, "operations[1]: amount_to_sell and min_to_receive must be different "
                        "assets");
    op->u.limit_order.min_to_receive.asset_id = 5;
    op->u.limit_order.amount_to_sell.amount = 0;
    expect_invalid(&tx, "operations[1]: amount_to_sell must be > 0");
    op->u.limit_order.amount_to_sell.amount = 1;
    op->u.limit_order.min_to_receive.amount = -1;
    expect_invalid(&tx, "operations[1]: min_to_receive must be > 0");
    op->u.limit_order.min_to_receive.amount = 1;
    op->u.limit_order.fee.amount = -1;
    expect_invalid(&tx, "operations[1]: fee must be >= 0");
    op->u.limit_order.fee.amount = 0;
    op->u.limit_order.seller = TX_INSTANCE_MAX + 1;
    expect_invalid(&tx, "operations[1]: seller id instance 281474976710656 exceeds 2^48-1");
    op->u.limit_order.seller = TX_INSTANCE_MAX;
    assert_int_equal(tx_validate(&tx, err), 0);

    op = &tx.ops[0];
    op->u.transfer.to = 1;
    expect_invalid(&tx, "operations[0]: from and to must differ");
    op->u.transfer.to = 2;
    op->u.transfer.amount.amount = 0;
    expect_invalid(&tx, "operations[0]: amount must be > 0");
    op->u.transfer.amount.amount = INT64_MAX;
    op->u.transfer.fee.amount = INT64_MIN;
    expect_invalid(&tx, "operations[0]: fee must be >= 0");
    op->u.transfer.fee.amount = 0;
    op->u.transfer.amount.asset_id = UINT64_MAX;
    expect_invalid(&tx, "operations[0]: amount asset id instance 18446744073709551615 exceeds "
                        "2^48-1");
    op->u.transfer.amount.asset_id = 0;
    assert_int_equal(tx_validate(&tx, err), 0);
    tx_clear(&tx);
}

static void test_pack_errors(void **state)
{
    (void)state;
    struct tx tx;
    char err[ERR_LEN];
    uint8_t buf[64];

    tx_init(&tx);
    add_transfer(&tx, 1, TX_INSTANCE_MAX + 1, 10);
    assert_int_equal(tx_pack(&tx, false, buf, sizeof buf, err), -1);
    assert_string_equal(err, "operations[0]: to id instance 281474976710656 exceeds 2^48-1");
    tx.ops[0].u.transfer.to = TX_INSTANCE_MAX;
    /* 10 header, 1 count, 1 tag, 9 fee, 1 from, 7 to, 9 amount, 1 memo
     * flag, 1 op extensions, 1 tx extensions */
    assert_int_equal(tx_pack(&tx, false, buf, sizeof buf, err), 41);
    assert_int_equal(tx_pack(&tx, false, buf, 40, err), -1);
    assert_string_equal(err, "output buffer too small: 41 bytes needed, 40 available");
    assert_int_equal(tx_packed_size(&tx, false), 41);
    assert_int_equal(tx_packed_size(&tx, true), 42);
    tx_clear(&tx);
}

static void test_memo_and_storage(void **state)
{
    (void)state;
    struct tx tx;
    char err[ERR_LEN];
    struct tx_op *a, *b;
    uint8_t buf[512];
    struct tx back;
    long n;
    const uint8_t sig[TX_SIG_LEN] = {0x1f, 1, 2, 3};

    tx_init(&tx);
    tx_init(&back);
    a = add_transfer(&tx, 1, 2, 3);
    a->u.transfer.has_memo = true;
    a->u.transfer.memo.from[0] = 2;
    a->u.transfer.memo.to[0] = 3;
    a->u.transfer.memo.nonce = 99;
    assert_int_equal(tx_memo_set_message(&tx, &a->u.transfer.memo, (const uint8_t *)"hello", 5,
                                         err),
                     0);
    b = add_transfer(&tx, 2, 1, 4);
    a = &tx.ops[0]; /* tx_add_op may move the array */
    b->u.transfer.has_memo = true;
    b->u.transfer.memo.from[0] = 3;
    b->u.transfer.memo.to[0] = 2;
    /* A message taken from the same blob survives the blob moving. */
    for (int i = 0; i < 10; i++)
        assert_int_equal(tx_memo_set_message(&tx, &b->u.transfer.memo,
                                             tx_memo_message(&tx, &a->u.transfer.memo), 5, err),
                         0);
    assert_memory_equal(tx_memo_message(&tx, &b->u.transfer.memo), "hello", 5);
    assert_int_equal(tx_add_sig(&tx, sig, err), 0);
    n = tx_pack(&tx, true, buf, sizeof buf, err);
    assert_true(n > 0);
    assert_int_equal(tx_unpack(&back, buf, (size_t)n, true, err), 0);
    assert_int_equal(back.nops, 2);
    assert_int_equal(back.blob_len, 10);
    assert_memory_equal(tx_memo_message(&back, &back.ops[1].u.transfer.memo), "hello", 5);
    assert_int_equal(back.nsigs, 1);
    assert_memory_equal(back.sigs[0], sig, TX_SIG_LEN);

    /* tx_reset keeps the storage: reuse does not allocate. */
    {
        void *ops = back.ops, *blob = back.blob, *sigs = back.sigs;

        tx_reset(&back);
        assert_int_equal(back.nops + back.nsigs + back.blob_len, 0);
        assert_int_equal(tx_unpack(&back, buf, (size_t)n, true, err), 0);
        assert_ptr_equal(back.ops, ops);
        assert_ptr_equal(back.blob, blob);
        assert_ptr_equal(back.sigs, sigs);
    }
    /* An empty message packs as a zero length. */
    tx_reset(&tx);
    a = add_transfer(&tx, 1, 2, 3);
    a->u.transfer.has_memo = true;
    a->u.transfer.memo.from[0] = 2;
    a->u.transfer.memo.to[0] = 2;
    assert_int_equal(tx_memo_set_message(&tx, &a->u.transfer.memo, NULL, 0, err), 0);
    n = tx_pack(&tx, false, buf, sizeof buf, err);
    assert_int_equal(n, 35 + 33 + 33 + 8 + 1);
    assert_int_equal(tx_unpack(&back, buf, (size_t)n, false, err), 0);
    assert_int_equal(back.ops[0].u.transfer.memo.msg_len, 0);

    tx_clear(&tx);
    tx_clear(&back);
    tx_clear(&back); /* clearing twice is harmless */
}

static void test_required_accounts(void **state)
{
    (void)state;
    struct tx tx;
    uint64_t out[3];

    tx_init(&tx);
    assert_int_equal(tx_required_accounts(&tx, out, 3), 0);
    add_transfer(&tx, 7, 1, 1);
    add_order(&tx, 5, 1, 1);
    add_transfer(&tx, 7, 2, 1);
    add_order(&tx, 9, 1, 1);
    add_order(&tx, 5, 1, 1);
    add_transfer(&tx, 11, 2, 1);
    add_transfer(&tx, 9, 2, 1);
    assert_int_equal(tx_required_accounts(&tx, out, 3), 4);
    assert_true(out[0] == 7 && out[1] == 5 && out[2] == 9);
    assert_int_equal(tx_required_accounts(&tx, out, 1), 4);
    assert_true(out[0] == 7);
    assert_int_equal(tx_required_accounts(&tx, NULL, 0), 4);
    tx_clear(&tx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors_binary),
        cmocka_unit_test(test_tapos_example),
        cmocka_unit_test(test_python_vectors),
        cmocka_unit_test(test_unpack_errors),
        cmocka_unit_test(test_limit_order_errors),
        cmocka_unit_test(test_truncation_everywhere),
        cmocka_unit_test(test_validate),
        cmocka_unit_test(test_pack_errors),
        cmocka_unit_test(test_memo_and_storage),
        cmocka_unit_test(test_required_accounts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
