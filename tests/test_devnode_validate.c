/* test_devnode_validate.c - devnode over loopback: every acceptance rule
 * gives the node's error code, name and assertion text; valid transfers
 * and limit orders are accepted, included in a later block and move
 * balances; synchronous broadcasts and callbacks report the inclusion. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "err.h"
#include "hex.h"
#include "sbuf.h"
#include "test_devnode_util.h"
#include "timefmt.h"
#include "txjson.h"

#define ALICE 1000
#define BOB 1001
#define FEE 2000000 /* genesis.json transfer fee */

struct fx {
    struct dn d;
    struct wstc *c;
    struct sign_ctx *ctx;
    struct sign_key *alice, *bob;
    uint8_t chain_id[32];
    struct tx tx;
    int64_t next_id;
    int64_t amount; /* varied so that every transaction is new */
};

static struct fx F;

static int setup(void **state)
{
    const char *args[] = {"--block-interval", "0.2", NULL};
    struct jv *r;
    int64_t api;
    uint32_t num = 0;
    uint8_t id[TX_BLOCK_ID_LEN];

    (void)state;
    memset(&F, 0, sizeof F);
    F.ctx = sign_ctx_new(NULL);
    assert_non_null(F.ctx);
    F.alice = dn_test_key(F.ctx, 1);
    F.bob = dn_test_key(F.ctx, 2);
    tx_init(&F.tx);
    dn_start(&F.d, args);
    F.c = dn_client(&F.d);
    dn_chain_id(F.c, F.chain_id);
    r = dn_call(F.c, "{\"id\":1,\"method\":\"call\",\"params\":[1,\"network_broadcast\",[]]}");
    assert_int_equal(jv_int64(dn_result(r), 0, 100, &api, NULL), 0);
    assert_int_equal(api, 2);
    jv_free(r);
    /* TaPoS and expiration are only checked from block 1 on. */
    for (int i = 0; i < 100 && num < 2; i++) {
        dn_head(F.c, id, NULL, &num);
        usleep(50000);
    }
    assert_true(num >= 2);
    F.next_id = 100;
    F.amount = 1000;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    wstc_free(F.c);
    assert_int_equal(dn_stop(&F.d), 0);
    tx_clear(&F.tx);
    sign_key_free(F.alice);
    sign_key_free(F.bob);
    sign_ctx_free(F.ctx);
    return 0;
}

/* A fresh alice -> bob transfer on the current head, unsigned. */
static void fresh_transfer(int64_t fee)
{
    uint8_t id[TX_BLOCK_ID_LEN];
    uint32_t now;

    dn_head(F.c, id, &now, NULL);
    dn_transfer(&F.tx, id, now + 60, ALICE, BOB, F.amount++, fee);
}

static struct jv *broadcast(const char *method, int64_t cb)
{
    char *req = dn_broadcast_request(&F.tx, F.next_id++, 2, method, cb);
    struct jv *r = dn_call(F.c, req);

    free(req);
    return r;
}

static void expect_error(int64_t code, const char *name, const char *text)
{
    struct jv *r = broadcast("broadcast_transaction", -1);

    if (jv_get(r, "error") == NULL)
        fail_msg("accepted, expected %s", name);
    assert_int_equal(dn_error_code(r), code);
    assert_string_equal(dn_error_name(r), name);
    if (strstr(dn_error_message(r), text) == NULL)
        fail_msg("message \"%s\" lacks \"%s\"", dn_error_message(r), text);
    assert_non_null(strstr(dn_error_message(r), "Execution error: "));
    jv_free(r);
}

static void test_valid_transfer_in_block(void **state)
{
    int64_t a0 = dn_balance(F.c, ALICE, 0), b0 = dn_balance(F.c, BOB, 0);
    int64_t amount;
    uint32_t start, head = 0;
    uint8_t id[TX_BLOCK_ID_LEN];
    char sighex[2 * TX_SIG_LEN + 1];
    bool found = false;
    struct jv *r;

    (void)state;
    fresh_transfer(FEE);
    amount = F.tx.ops[0].u.transfer.amount.amount;
    dn_sign(&F.tx, F.ctx, F.alice, F.chain_id);
    hex_encode(sighex, F.tx.sigs[0], TX_SIG_LEN);
    dn_head(F.c, id, NULL, &start);
    r = broadcast("broadcast_transaction", -1);
    assert_int_equal(jv_type(dn_result(r)), JV_NULL);
    jv_free(r);
    /* The pending state moves at once. */
    assert_int_equal(dn_balance(F.c, ALICE, 0), a0 - amount - FEE);
    assert_int_equal(dn_balance(F.c, BOB, 0), b0 + amount);
    /* It is in one of the next blocks. */
    for (int i = 0; i < 50 && !found; i++) {
        usleep(100000);
        dn_head(F.c, id, NULL, &head);
        for (uint32_t n = start + 1; n <= head && !found; n++) {
            char req[128];
            snprintf(req, sizeof req,
                     "{\"id\":5,\"method\":\"call\",\"params\":[0,\"get_block\",[%u]]}", n);
            r = dn_call(F.c, req);
            const struct jv *txs = jv_get(dn_result(r), "transactions");
            for (size_t k = 0; k < jv_len(txs); k++) {
                const struct jv *sigs = jv_get(jv_at(txs, k), "signatures");
                const char *s = jv_str(jv_at(sigs, 0), NULL);
                if (s != NULL && strcmp(s, sighex) == 0) {
                    const struct jv *res = jv_get(jv_at(txs, k), "operation_results");
                    assert_int_equal(jv_len(res), 1);
                    found = true;
                }
            }
            jv_free(r);
        }
    }
    assert_true(found);
}

static void test_duplicate(void **state)
{
    (void)state;
    fresh_transfer(FEE);
    dn_sign(&F.tx, F.ctx, F.alice, F.chain_id);
    {
        struct jv *r = broadcast("broadcast_transaction", -1);
        dn_result(r);
        jv_free(r);
    }
    expect_error(3030001, "duplicate_transaction", "is already in the database");
}

static void test_tapos(void **state)
{
    (void)state;
    fresh_transfer(FEE);
    F.tx.ref_block_prefix ^= 1;
    dn_sign(&F.tx, F.ctx, F.alice, F.chain_id);
    expect_error(10, "assert_exception", "trx.ref_block_prefix == tapos_block_summary");
}

static void test_expiration(void **state)
{
    uint8_t id[TX_BLOCK_ID_LEN];
    uint32_t now;

    (void)state;
    dn_head(F.c, id, &now, NULL);
    dn_transfer(&F.tx, id, now - 30, ALICE, BOB, F.amount++, FEE);
    dn_sign(&F.tx, F.ctx, F.alice, F.chain_id);
    expect_error(10, "assert_exception", "now <= trx.expiration");
    dn_transfer(&F.tx, id, now + 86400 + 600, ALICE, BOB, F.amount++, FEE);
    dn_sign(&F.tx, F.ctx, F.alice, F.chain_id);
    expect_error(10, "assert_exception", "maximum_time_until_expiration");
}

static void test_authority(void **state)
{
    (void)state;
    fresh_transfer(FEE); /* unsigned */
    expect_error(4010001, "tx_missing_active_auth", "Missing Active Authority 1.2.1000");
    fresh_transfer(FEE);
    dn_sign(&F.tx, F.ctx, F.bob, F.chain_id);
    expect_error(4010001, "tx_missing_active_auth", "Missing Active Authority");
    fresh_transfer(FEE);
    dn_sign(&F.tx, F.ctx, F.alice, F.chain_id);
    dn_sign(&F.tx, F.ctx, F.bob, F.chain_id);
    expect_error(4010004, "tx_irrelevant_sig", "Unnecessary signature(s) detected");
    fresh_transfer(FEE);
    dn_sign(&F.tx, F.ctx, F.alice, F.chain_id);
    dn_sign(&F.tx, F.ctx, F.alice, F.chain_id);
    expect_error(4010005, "tx_duplicate_sig", "Duplicate Signature detected");
}

static void test_bad_signatures(void **state)
{
    (void)state;
    fresh_transfer(FEE);
    dn_sign(&F.tx, F.ctx, F.alice, F.chain_id);
    F.tx.sigs[0][1] |= 0x80; /* r's top bit set: not canonical */
    expect_error(10, "assert_exception", "signature is not canonical");
    fresh_transfer(FEE);
    dn_sign(&F.tx, F.ctx, F.alice, F.chain_id);
    F.tx.sigs[0][0] = 26;
    expect_error(0, "exception", "unable to reconstruct public key from signature");
}

static void test_operation_rules(void **state)
{
    struct tx_op *op;
    uint8_t id[TX_BLOCK_ID_LEN];
    uint32_t now;

    (void)state;
    fresh_transfer(FEE);
    F.tx.ops[0].u.transfer.to = ALICE;
    dn_sign(&F.tx, F.ctx, F.alice, F.chain_id);
    expect_error(10, "assert_exception", "from != to");
    fresh_transfer(FEE);
    F.tx.ops[0].u.transfer.amount.amount = 0;
    dn_sign(&F.tx, F.ctx, F.alice, F.chain_id);
    expect_error(10, "assert_exception", "amount.amount > 0");
    fresh_transfer(-1);
    dn_sign(&F.tx, F.ctx, F.alice, F.chain_id);
    expect_error(10, "assert_exception", "fee.amount >= 0");
    fresh_transfer(FEE);
    F.tx.nops = 0;
    dn_sign(&F.tx, F.ctx, F.alice, F.chain_id);
    expect_error(10, "assert_exception", "A transaction must have at least one operation");

    dn_head(F.c, id, &now, NULL);
    tx_reset(&F.tx);
    tx_set_tapos(&F.tx, id);
    F.tx.expiration = now + 60;
    op = tx_add_op(&F.tx, NULL);
    op->type = TX_OP_LIMIT_ORDER_CREATE;
    op->u.limit_order.fee.amount = 500000;
    op->u.limit_order.seller = ALICE;
    op->u.limit_order.amount_to_sell = (struct tx_asset){F.amount++, 0};
    op->u.limit_order.min_to_receive = (struct tx_asset){10, 0};
    op->u.limit_order.expiration = TX_EXPIRATION_NEVER;
    dn_sign(&F.tx, F.ctx, F.alice, F.chain_id);
    expect_error(10, "assert_exception", "amount_to_sell.asset_id != min_to_receive.asset_id");
    F.tx.nsigs = 0;
    op->u.limit_order.min_to_receive.asset_id = 1;
    op->u.limit_order.expiration = now - 100;
    dn_sign(&F.tx, F.ctx, F.alice, F.chain_id);
    expect_error(10, "assert_exception", "op.expiration >= d.head_block_time()");
}

static void test_fees_balances_objects(void **state)
{
    (void)state;
    fresh_transfer(1);
    dn_sign(&F.tx, F.ctx, F.alice, F.chain_id);
    expect_error(4010007, "insufficient_fee", "Insufficient Fee Paid");
    fresh_transfer(FEE);
    F.tx.ops[0].u.transfer.amount.amount = INT64_C(900000000000000);
    dn_sign(&F.tx, F.ctx, F.alice, F.chain_id);
    expect_error(10, "assert_exception", "Insufficient Balance");
    fresh_transfer(FEE);
    F.tx.ops[0].u.transfer.to = 99999;
    dn_sign(&F.tx, F.ctx, F.alice, F.chain_id);
    expect_error(10, "assert_exception", "Unable to find Object");
    fresh_transfer(FEE);
    F.tx.ops[0].u.transfer.fee.asset_id = 1;
    dn_sign(&F.tx, F.ctx, F.alice, F.chain_id);
    expect_error(10, "assert_exception", "core asset only");
}

/* A memo of msg_len bytes makes the transaction as large as needed. */
static void big_transfer(size_t msg_len)
{
    uint8_t *msg = calloc(1, msg_len);
    struct tx_transfer *t;
    int64_t fee;

    fresh_transfer(0);
    t = &F.tx.ops[0].u.transfer;
    t->has_memo = true;
    sign_key_pubkey(F.alice, t->memo.from);
    sign_key_pubkey(F.bob, t->memo.to);
    t->memo.nonce = 1;
    assert_int_equal(tx_memo_set_message(&F.tx, &t->memo, msg, msg_len, NULL), 0);
    fee = FEE + (int64_t)((msg_len + 100) * 1000000 / 1024);
    t->fee.amount = fee;
    free(msg);
    dn_sign(&F.tx, F.ctx, F.alice, F.chain_id);
}

static void test_sizes(void **state)
{
    (void)state;
    big_transfer(3000);
    expect_error(10, "assert_exception", "Transaction exceeds maximum transaction size.");
    big_transfer(1100000);
    expect_error(10, "assert_exception", "(1024 * 1024)");
}

static void test_sync_and_callback(void **state)
{
    struct jv *r;
    const struct jv *res;
    int64_t block_num;
    char *notice;
    uint8_t txid[TX_ID_LEN], buf[4096];
    char txhex[2 * TX_ID_LEN + 1];
    long n;

    (void)state;
    fresh_transfer(FEE);
    dn_sign(&F.tx, F.ctx, F.alice, F.chain_id);
    n = tx_pack(&F.tx, false, buf, sizeof buf, NULL);
    assert_true(n > 0);
    tx_id(txid, buf, (size_t)n);
    hex_encode(txhex, txid, TX_ID_LEN);
    r = broadcast("broadcast_transaction_synchronous", -1);
    res = dn_result(r);
    assert_string_equal(jv_str(jv_get(res, "id"), NULL), txhex);
    assert_int_equal(jv_int64(jv_get(res, "block_num"), 1, UINT32_MAX, &block_num, NULL), 0);
    assert_non_null(jv_get(jv_get(res, "trx"), "operation_results"));
    jv_free(r);

    fresh_transfer(FEE);
    dn_sign(&F.tx, F.ctx, F.alice, F.chain_id);
    r = broadcast("broadcast_transaction_with_callback", 77);
    assert_int_equal(jv_type(dn_result(r)), JV_NULL);
    jv_free(r);
    notice = wstc_recv_notice(F.c, 5000);
    assert_non_null(notice);
    assert_non_null(strstr(notice, "{\"method\":\"notice\",\"params\":[77,[{\"id\":\""));
    assert_non_null(strstr(notice, "\"block_num\":"));
    free(notice);
}

static void test_block_notices(void **state)
{
    struct jv *r;
    char *notice;
    uint8_t id[TX_BLOCK_ID_LEN];
    const char *p;

    (void)state;
    r = dn_call(F.c, "{\"id\":9,\"method\":\"call\",\"params\":[0,\"set_block_applied_callback\","
                     "[5]]}");
    assert_int_equal(jv_type(dn_result(r)), JV_NULL);
    jv_free(r);
    notice = wstc_recv_notice(F.c, 3000);
    assert_non_null(notice);
    p = strstr(notice, "{\"method\":\"notice\",\"params\":[5,[\"");
    assert_non_null(p);
    p += strlen("{\"method\":\"notice\",\"params\":[5,[\"");
    assert_int_equal(hex_decode_exact(id, TX_BLOCK_ID_LEN, p, 40, NULL), 0);
    assert_true(tx_block_num(id) >= 1);
    free(notice);
}

static void test_limit_order(void **state)
{
    struct tx_op *op;
    uint8_t id[TX_BLOCK_ID_LEN];
    uint32_t now;
    int64_t a0 = dn_balance(F.c, ALICE, 0);
    struct jv *r;

    (void)state;
    dn_head(F.c, id, &now, NULL);
    tx_reset(&F.tx);
    tx_set_tapos(&F.tx, id);
    F.tx.expiration = now + 60;
    op = tx_add_op(&F.tx, NULL);
    op->type = TX_OP_LIMIT_ORDER_CREATE;
    op->u.limit_order.fee.amount = 500000;
    op->u.limit_order.seller = ALICE;
    op->u.limit_order.amount_to_sell = (struct tx_asset){100000, 0};
    op->u.limit_order.min_to_receive = (struct tx_asset){10, 1};
    op->u.limit_order.expiration = TX_EXPIRATION_NEVER;
    dn_sign(&F.tx, F.ctx, F.alice, F.chain_id);
    r = broadcast("broadcast_transaction_synchronous", -1);
    {
        const struct jv *results = jv_get(jv_get(dn_result(r), "trx"), "operation_results");
        const struct jv *first = jv_at(results, 0);
        int64_t tag;
        assert_int_equal(jv_int64(jv_at(first, 0), 0, 10, &tag, NULL), 0);
        assert_int_equal(tag, 1);
        assert_non_null(strstr(jv_str(jv_at(first, 1), NULL), "1.7."));
    }
    jv_free(r);
    /* Funds locked in the order, fee paid. */
    assert_int_equal(dn_balance(F.c, ALICE, 0), a0 - 100000 - 500000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_transfer_in_block),
        cmocka_unit_test(test_duplicate),
        cmocka_unit_test(test_tapos),
        cmocka_unit_test(test_expiration),
        cmocka_unit_test(test_authority),
        cmocka_unit_test(test_bad_signatures),
        cmocka_unit_test(test_operation_rules),
        cmocka_unit_test(test_fees_balances_objects),
        cmocka_unit_test(test_sizes),
        cmocka_unit_test(test_sync_and_callback),
        cmocka_unit_test(test_block_notices),
        cmocka_unit_test(test_limit_order),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
