/* test_devnode_core.c - devnode's core in process (no network): the
 * transaction history (common/txmap as devnode uses it), the genesis file and key file, the shipped test
 * accounts, and block production (capacity share, block size limit,
 * expiry of pending transactions, inclusion and balances). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "chain.h"
#include "err.h"
#include "genesis.h"
#include "hash.h"
#include "keyfile.h"
#include "rpc.h"
#include "sbuf.h"
#include "test_devnode_util.h"
#include "testutil.h"
#include "txmap.h"
#include "txjson.h"
#include "validate.h"

static void test_history(void **state)
{
    struct txmap *s = txmap_new();
    uint8_t id[TXMAP_ID_LEN];

    (void)state;
    assert_non_null(s);
    /* Ids sharing their first 8 bytes collide in the table: removal
     * must keep the others reachable. */
    for (int i = 0; i < 5000; i++) {
        memset(id, 0, sizeof id);
        id[0] = (uint8_t)(i % 3);
        memcpy(id + 8, &i, sizeof i);
        assert_int_equal(txmap_put(s, id, 100 + (uint32_t)(i % 50), 0, 0), 0);
    }
    assert_int_equal(txmap_size(s), 5000);
    for (int i = 0; i < 5000; i += 2) {
        memset(id, 0, sizeof id);
        id[0] = (uint8_t)(i % 3);
        memcpy(id + 8, &i, sizeof i);
        assert_true(txmap_remove(s, id));
    }
    for (int i = 0; i < 5000; i++) {
        memset(id, 0, sizeof id);
        id[0] = (uint8_t)(i % 3);
        memcpy(id + 8, &i, sizeof i);
        assert_int_equal(txmap_get(s, id, NULL, NULL), i % 2 == 1);
    }
    /* Kept while now <= expiration. */
    assert_int_equal(txmap_expire(s, 100), 0);
    /* Odd i remain: expirations 101, 103, ..., 149, 100 ids each. */
    assert_int_equal(txmap_expire(s, 125), 1200);
    {
        size_t left = txmap_size(s);
        assert_int_equal(left, 1300);
        assert_int_equal(txmap_expire(s, 1000), left);
    }
    assert_int_equal(txmap_size(s), 0);
    txmap_free(s);
    txmap_free(NULL);
}

static void test_shipped_genesis_and_keys(void **state)
{
    struct genesis g;
    struct keyfile kf = KEYFILE_INIT;
    struct sign_ctx *ctx = sign_ctx_new(NULL);
    char err[ERR_LEN];
    const char *keys = getenv("DEVNODE_KEYS");

    (void)state;
    assert_non_null(keys);
    if (genesis_load(&g, getenv("DEVNODE_GENESIS"), err) < 0)
        fail_msg("%s", err);
    if (keyfile_load(&kf, ctx, keys, err) < 0)
        fail_msg("%s", err);
    assert_int_equal(g.naccounts, 8);
    assert_int_equal(kf.n, 8);
    assert_string_equal(g.prefix, "TEST");
    assert_int_equal(g.nassets, 2);
    for (int n = 1; n <= 8; n++) {
        struct sign_key *k = dn_test_key(ctx, n);
        uint8_t pub[PUBKEY_LEN];
        sign_key_pubkey(k, pub);
        /* Line N of the key file is sha256("bss-devnode/N") ... */
        assert_memory_equal(kf.entries[n - 1].pub, pub, PUBKEY_LEN);
        /* ... and the genesis account of that name has it as active key. */
        assert_string_equal(g.accounts[n - 1].name, kf.entries[n - 1].account);
        assert_memory_equal(g.accounts[n - 1].active, pub, PUBKEY_LEN);
        assert_int_equal(g.accounts[n - 1].id, 999 + (uint64_t)n);
        sign_key_free(k);
    }
    /* The same key file again is a no-op; a new one gets fresh ids. */
    assert_int_equal(genesis_add_keyfile(&g, &kf, err), 0);
    assert_int_equal(g.naccounts, 8);
    keyfile_clear(&kf);
    assert_int_equal(keyfile_parse(&kf, ctx,
                                   "zed 5HpxCwGzPq3wBGtGjjHyYV46XFn2CuPvvQnNRL1qdp5nauwjz8L\n"
                                   "1.2.77 5HpxCwGzPq3wBGtGjjHyYV46XFn2CuPvvQnNRL1qdp5nauwjz8L\n",
                                   strlen("zed 5HpxCwGzPq3wBGtGjjHyYV46XFn2CuPvvQnNRL1qdp5nauwjz8L\n"
                                          "1.2.77 5HpxCwGzPq3wBGtGjjHyYV46XFn2CuPvvQnNRL1qdp5nauwjz8"
                                          "L\n"),
                                   "t", err),
                     0);
    assert_int_equal(genesis_add_keyfile(&g, &kf, err), 0);
    assert_int_equal(g.naccounts, 10);
    assert_string_equal(g.accounts[8].name, "zed");
    assert_int_equal(g.accounts[8].id, 1008);
    assert_string_equal(g.accounts[9].name, "account-77");
    assert_int_equal(g.accounts[9].balances[0], g.assets[0].default_balance);
    keyfile_clear(&kf);
    /* alice with another key: refused. */
    assert_int_equal(keyfile_parse(&kf, ctx,
                                   "alice 5KZjZszJGaYjG5TcEQtu6jvcHyMF5JCtnTjAggHXqNTQiLaL3Uc\n",
                                   strlen("alice 5KZjZszJGaYjG5TcEQtu6jvcHyMF5JCtnTjAggHXqNTQiLaL3Uc"
                                          "\n"),
                                   "t", err),
                     0);
    assert_int_equal(genesis_add_keyfile(&g, &kf, err), -1);
    assert_non_null(strstr(err, "another active key"));
    keyfile_clear(&kf);
    genesis_clear(&g);
    sign_ctx_free(ctx);
}

static void expect_genesis_error(const char *json, const char *text)
{
    struct genesis g;
    char err[ERR_LEN];

    assert_int_equal(genesis_parse(&g, json, strlen(json), "g.json", err), -1);
    if (strstr(err, text) == NULL)
        fail_msg("\"%s\" lacks \"%s\"", err, text);
    assert_null(g.accounts);
}

static void test_genesis_errors(void **state)
{
    struct genesis g;
    char err[ERR_LEN];
    uint8_t h[32];

    (void)state;
    expect_genesis_error("{", "g.json: JSON");
    expect_genesis_error("[]", "expected a JSON object");
    expect_genesis_error("{\"chain_id\":\"abc\"}", "chain_id");
    expect_genesis_error("{\"address_prefix\":\"bts\"}", "address_prefix");
    expect_genesis_error("{\"parameters\":{\"maximum_transaction_size\":10}}",
                         "maximum_transaction_size: must be at least 1024");
    expect_genesis_error("{\"parameters\":{\"block_interval\":\"0.001\"}}", "block_interval");
    expect_genesis_error("{\"assets\":[{\"id\":\"1.3.5\",\"symbol\":\"ABC\"}]}",
                         "assets[0] must be the core asset");
    expect_genesis_error("{\"assets\":[{\"id\":\"1.3.0\",\"symbol\":\"abc\"}]}", "symbol");
    expect_genesis_error("{\"accounts\":[{\"id\":\"1.2.5\",\"name\":\"Bad\",\"active_key\":\"x\"}]}",
                         "accounts[0]: name");
    expect_genesis_error("{\"accounts\":[{\"id\":\"1.2.5\",\"name\":\"ok\",\"active_key\":"
                         "\"BTS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV\"}]}",
                         "active_key");
    expect_genesis_error(
        "{\"accounts\":[{\"id\":\"1.2.5\",\"name\":\"ok\",\"active_key\":"
        "\"TEST6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV\",\"balances\":"
        "[{\"amount\":1,\"asset_id\":\"1.3.9\"}]}]}",
        "unknown asset");
    /* Defaults, and the chain id from the text. */
    assert_int_equal(genesis_parse(&g, "{}", 2, "g", err), 0);
    hash_sha256(h, "{}", 2);
    assert_memory_equal(g.chain_id, h, 32);
    assert_int_equal(g.params.max_tx_size, 2048);
    assert_int_equal(g.params.block_interval_ms, 1000);
    {
        const char *j = "{\"parameters\":{\"block_interval\":\"0.25\"}}";
        assert_int_equal(genesis_parse(&g, j, strlen(j), "g", err), 0);
    }
    assert_int_equal(g.params.block_interval_ms, 250);
    genesis_clear(&g);
}

/* In-process chain with the shipped accounts. */
struct cfx {
    struct genesis g;
    struct sign_ctx *ctx;
    struct sign_key *alice;
    struct chain *c;
    struct validator *v;
    struct tx tx;
    uint32_t t;
};

static void cfx_init(struct cfx *f, const struct chain_opts *o, uint32_t max_block)
{
    char err[ERR_LEN];

    memset(f, 0, sizeof *f);
    if (genesis_load(&f->g, getenv("DEVNODE_GENESIS"), err) < 0)
        fail_msg("%s", err);
    if (max_block)
        f->g.params.max_block_size = max_block;
    f->ctx = sign_ctx_new(NULL);
    f->alice = dn_test_key(f->ctx, 1);
    f->t = 1800000000u;
    f->c = chain_new(&f->g, o, f->ctx, f->t, err);
    assert_non_null(f->c);
    f->v = validator_new(f->c, f->ctx, err);
    assert_non_null(f->v);
    tx_init(&f->tx);
}

static void cfx_free(struct cfx *f)
{
    validator_free(f->v);
    chain_free(f->c);
    tx_clear(&f->tx);
    sign_key_free(f->alice);
    sign_ctx_free(f->ctx);
    genesis_clear(&f->g);
}

/* Signs and pushes an alice -> bob transfer. Returns 0 or the error code. */
static int64_t push(struct cfx *f, int64_t amount, uint32_t expiration, size_t memo)
{
    struct sbuf s;
    struct jv *j;
    struct validated vd;
    struct fcerr e;
    int rc;

    dn_transfer(&f->tx, chain_head_id(f->c), expiration, 1000, 1001, amount,
                2000000 + (int64_t)memo * 1100);
    if (memo > 0) {
        uint8_t *m = calloc(1, memo);
        struct tx_transfer *t = &f->tx.ops[0].u.transfer;
        t->has_memo = true;
        sign_key_pubkey(f->alice, t->memo.from);
        sign_key_pubkey(f->alice, t->memo.to);
        assert_int_equal(tx_memo_set_message(&f->tx, &t->memo, m, memo, NULL), 0);
        free(m);
    }
    dn_sign(&f->tx, f->ctx, f->alice, f->g.chain_id);
    sbuf_init(&s);
    txjson_render(&s, &f->tx, true, "TEST");
    j = jv_parse(s.buf, s.len, JV_MAX_DEPTH, NULL);
    assert_non_null(j);
    rc = validator_check(f->v, j, true, &vd, &e);
    jv_free(j);
    sbuf_free(&s);
    return rc == 0 ? 0 : e.code;
}

static const struct chain_block *produce(struct cfx *f, uint32_t dt)
{
    const struct chain_block *b;

    f->t += dt;
    b = chain_produce_block(f->c, f->t, NULL);
    assert_non_null(b);
    return b;
}

static void test_capacity_share(void **state)
{
    struct chain_opts o = {.capacity_tps = 10, .max_pending = 100, .keep_blocks = 16,
                           .keep_bytes = 1 << 20};
    struct cfx f;
    int64_t a0, b0;

    (void)state;
    cfx_init(&f, &o, 0);
    produce(&f, 1);
    a0 = chain_balance(f.c, 0, 0);
    b0 = chain_balance(f.c, 1, 0);
    for (int i = 0; i < 25; i++)
        assert_int_equal(push(&f, 1 + i, f.t + 600, 0), 0);
    assert_int_equal(chain_pending_count(f.c), 25);
    /* Pending balances moved at once. */
    assert_int_equal(chain_balance(f.c, 1, 0), b0 + 25 * 26 / 2);
    assert_int_equal(produce(&f, 1)->ntx, 10);
    assert_int_equal(produce(&f, 1)->ntx, 10);
    assert_int_equal(produce(&f, 1)->ntx, 5);
    assert_int_equal(produce(&f, 1)->ntx, 0);
    assert_int_equal(chain_pending_count(f.c), 0);
    assert_int_equal(chain_balance(f.c, 0, 0), a0 - 25 * 26 / 2 - 25 * 2000000);
    assert_int_equal(chain_stats(f.c)->applied_tx, 25);
    assert_true(chain_stats(f.c)->postponed >= 15);
    /* Block ids carry their number; the summary ring has them. */
    assert_int_equal(tx_block_num(chain_head_id(f.c)), chain_head_num(f.c));
    assert_memory_equal(chain_summary(f.c, (uint16_t)chain_head_num(f.c)), chain_head_id(f.c),
                        20);
    assert_non_null(chain_block(f.c, 2));
    assert_null(chain_block(f.c, 99));
    cfx_free(&f);
}

static void test_block_size_and_expiry(void **state)
{
    struct chain_opts o = {.max_pending = 100, .keep_blocks = 4, .keep_bytes = 1 << 20};
    struct cfx f;
    const struct chain_block *b;

    (void)state;
    cfx_init(&f, &o, 5 * 1024);
    produce(&f, 1);
    /* Three ~1.7 KB transactions: two fit in a 5 KiB block. */
    for (int i = 0; i < 3; i++)
        assert_int_equal(push(&f, 1 + i, f.t + 100, 1600), 0);
    b = produce(&f, 1);
    assert_int_equal(b->ntx, 2);
    assert_int_equal(chain_pending_count(f.c), 1);
    b = produce(&f, 1);
    assert_int_equal(b->ntx, 1);
    /* A pending transaction that expires before inclusion is dropped,
     * and its id forgotten. */
    assert_int_equal(push(&f, 50, f.t + 2, 1600), 0);
    assert_int_equal(push(&f, 51, f.t + 2, 1600), 0);
    assert_int_equal(push(&f, 52, f.t + 2, 1600), 0);
    b = produce(&f, 10);
    assert_int_equal(b->ntx, 2);
    assert_int_equal(chain_pending_count(f.c), 0);
    assert_int_equal(chain_stats(f.c)->dropped, 1);
    /* Only 4 blocks are kept. */
    for (int i = 0; i < 5; i++)
        produce(&f, 1);
    assert_null(chain_block(f.c, 2));
    assert_non_null(chain_block(f.c, chain_head_num(f.c)));
    cfx_free(&f);
}

static void test_duplicate_until_expiry(void **state)
{
    struct chain_opts o = {.max_pending = 100, .keep_blocks = 4, .keep_bytes = 1 << 20};
    struct cfx f;
    uint8_t buf[1024], txid[TX_ID_LEN];
    long n;

    (void)state;
    cfx_init(&f, &o, 0);
    produce(&f, 1);
    assert_int_equal(push(&f, 7, f.t + 5, 0), 0);
    n = tx_pack(&f.tx, false, buf, sizeof buf, NULL);
    assert_true(n > 0);
    tx_id(txid, buf, (size_t)n);
    assert_true(chain_txid_known(f.c, txid));
    assert_int_equal(produce(&f, 1)->ntx, 1);
    /* In a block: still known while head time <= expiration ... */
    produce(&f, 4);
    assert_true(chain_txid_known(f.c, txid));
    /* ... and forgotten after. */
    produce(&f, 1);
    assert_false(chain_txid_known(f.c, txid));
    cfx_free(&f);
}

static const struct chain_block *produce_slot(struct cfx *f, uint32_t witness, uint64_t slot)
{
    struct chain_slot cs = {witness, slot};
    const struct chain_block *b;

    f->t++;
    b = chain_produce_block_at(f->c, f->t, &cs, NULL);
    assert_non_null(b);
    assert_int_equal(b->witness, witness);
    return b;
}

/* The witness schedule's dynamic global properties, as graphene's
 * update_global_dynamic_data and update_last_irreversible_block compute
 * them: 4 witnesses (LIB: the second lowest confirmation), then witness 4
 * stops producing. */
static void test_witness_schedule(void **state)
{
    struct chain_opts o = {.max_pending = 100, .keep_blocks = 64, .keep_bytes = 1 << 20,
                           .witnesses = 4};
    struct cfx f;
    struct chain_dgp d;

    (void)state;
    cfx_init(&f, &o, 0);
    assert_int_equal(chain_witnesses(f.c), 4);
    chain_get_dgp(f.c, &d);
    assert_int_equal(d.lib, 0);
    assert_true(d.filled_hi == UINT64_MAX && d.filled_lo == UINT64_MAX);
    /* Slots 100..103 filled by witnesses 1..4: block 1 confirmed by all. */
    for (uint32_t w = 1; w <= 4; w++)
        produce_slot(&f, w, 99 + w);
    chain_get_dgp(f.c, &d);
    assert_int_equal(d.current_aslot, 4);
    assert_int_equal(d.recently_missed, 0);
    assert_int_equal(d.current_witness, 4);
    /* confirmations 1 2 3 4: offset 30 % of 4 = 1 -> 2 */
    assert_int_equal(d.lib, 2);
    /* Witness 4 stops: slot 107 is missed. Slots 104..106 by 1..3. */
    for (uint32_t w = 1; w <= 3; w++)
        produce_slot(&f, w, 103 + w);
    chain_get_dgp(f.c, &d);
    assert_int_equal(d.lib, 5); /* 5 6 7 4 -> sorted 4 5 6 7 -> 5 */
    produce_slot(&f, 1, 108);   /* block 8 after one missed slot */
    chain_get_dgp(f.c, &d);
    assert_int_equal(d.current_aslot, 9);
    assert_int_equal(d.missed_total, 1);
    assert_int_equal(d.recently_missed, 4);
    assert_int_equal(d.lib, 6); /* 8 6 7 4 -> 4 6 7 8 */
    /* ((all ones << 1) + 1) << 1: bit 0 (the missed slot) is 0 */
    assert_true(d.filled_lo == UINT64_MAX - 1 && d.filled_hi == UINT64_MAX);
    produce_slot(&f, 2, 109);
    chain_get_dgp(f.c, &d);
    assert_int_equal(d.recently_missed, 3); /* 4 is not above 4: minus one */
    assert_int_equal(d.lib, 7);             /* 8 9 7 4 -> 4 7 8 9 */
    cfx_free(&f);

    /* 3 witnesses (offset 0: all must confirm): witness 3 stops after
     * block 3, and the last irreversible block stays at 3 (2 of 3 is
     * below graphene's 70 %). */
    o.witnesses = 3;
    cfx_init(&f, &o, 0);
    for (uint32_t s = 0; s < 3; s++)
        produce_slot(&f, s + 1, 30 + s);
    for (uint32_t s = 3; s < 12; s++)
        if (s % 3 != 2)
            produce_slot(&f, s % 3 + 1, 30 + s);
    chain_get_dgp(f.c, &d);
    assert_int_equal(chain_head_num(f.c), 9);
    assert_int_equal(d.lib, 3);
    assert_int_equal(d.missed_total, 2); /* slots 35 and 38 */
    assert_int_equal(d.current_aslot, 11); /* slots 30..40 */
    cfx_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_history),
        cmocka_unit_test(test_shipped_genesis_and_keys),
        cmocka_unit_test(test_genesis_errors),
        cmocka_unit_test(test_capacity_share),
        cmocka_unit_test(test_block_size_and_expiry),
        cmocka_unit_test(test_duplicate_until_expiry),
        cmocka_unit_test(test_witness_schedule),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
