/* test_presign.c - the beacon's pre-sign step: txgen, presign, frames, pool. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "err.h"
#include "hex.h"
#include "jv.h"
#include "pool.h"
#include "presign.h"
#include "sign.h"
#include "testutil.h"
#include "txjson.h"

struct fixture {
    struct presign_job job;
    struct sign_ctx *sctx;
    struct sign_key *key;
    uint8_t pub[PUBKEY_LEN];
};

/* A job set up like the transfer vector (tests/vectors/transfer.json). */
static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    struct jv *v = tu_vector_json("transfer.json");
    const char *wif = tu_str(jv_get(v, "signer"), "wif");
    char err[ERR_LEN];

    f->sctx = sign_ctx_new(err);
    assert_non_null(f->sctx);
    f->key = sign_key_from_wif(f->sctx, wif, strlen(wif), err);
    assert_non_null(f->key);
    sign_key_pubkey(f->key, f->pub);
    f->job.sctx = f->sctx;
    f->job.key = f->key;
    f->job.broadcast_api = 2;
    assert_int_equal(hex_decode_exact(f->job.chain_id, 32, tu_str(v, "chain_id"), 64, err), 0);
    txgen_defaults(&f->job.gen);
    assert_int_equal(hex_decode_exact(f->job.gen.ref_block_id, 20, tu_str(v, "head_block_id"), 40,
                                      err), 0);
    f->job.gen.expiration = 1893456000u;
    f->job.gen.from = 1000;
    f->job.gen.to = 1001;
    f->job.gen.weight_transfer = 1;
    f->job.gen.weight_limit_order = 0;
    f->job.gen.transfer_fee.amount = 86869;
    f->job.gen.transfer_amount = 12345;
    jv_free(v);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    sign_key_free(f->key);
    sign_ctx_free(f->sctx);
    free(f);
    return 0;
}

/* Index 0 of a generator configured like the vector IS the vector. */
static void test_reproduces_vector(void **state)
{
    struct fixture *f = *state;
    struct jv *v = tu_vector_json("transfer.json");
    struct presign_scratch s;
    struct presign_result res;
    char err[ERR_LEN];

    presign_scratch_init(&s);
    assert_int_equal(presign_sign(&f->job, 0, &s, &res, err), 0);
    assert_string_equal(tu_hex(res.packed, res.packed_len), tu_str(v, "signed_hex_fc_style"));
    assert_string_equal(tu_hex(res.txid, TX_ID_LEN), tu_str(v, "txid"));
    assert_int_equal(res.attempts, 2); /* signature_fc_style_attempts */
    assert_int_equal(res.unsigned_len, 37);
    presign_scratch_clear(&s);
    jv_free(v);
}

/* The frame is valid JSON-RPC whose id field is patched in place, and the
 * transaction inside parses back to the same bytes. */
static void test_frame(void **state)
{
    struct fixture *f = *state;
    struct presign_scratch s;
    struct presign_result res;
    struct tx back;
    char frame[2048], err[ERR_LEN];
    uint8_t packed[512];
    struct sbuf out;
    uint64_t id;

    presign_scratch_init(&s);
    tx_init(&back);
    assert_int_equal(presign_sign(&f->job, 7, &s, &res, err), 0);
    sbuf_init_fixed(&out, frame, sizeof frame);
    presign_render_frame(&out, &f->job, &s);
    assert_false(out.overflow);
    /* Every width of id up to the largest uint64: an id of more digits
     * than the field once had (10) must not lose its leading digits. */
    presign_set_frame_id(frame, UINT64_MAX);
    assert_memory_equal(frame, "{\"id\":18446744073709551615,", 27);
    /* Node replies carry ids up to INT64_MAX (reply.c): every width up to it. */
    for (uint64_t want = 0;; want = want > INT64_MAX / 7 ? INT64_MAX : want * 7 + 3) {
        presign_set_frame_id(frame, want);
        struct jv *v = jv_parse(frame, out.len, JV_MAX_DEPTH, err);
        assert_non_null(v);
        assert_int_equal(jv_uint64(jv_get(v, "id"), UINT64_MAX, &id, err), 0);
        assert_true(id == want);
        assert_string_equal(jv_str(jv_get(v, "method"), NULL), "call");
        const struct jv *params = jv_get(v, "params");
        assert_int_equal(jv_len(params), 3);
        assert_string_equal(jv_str(jv_at(params, 1), NULL), "broadcast_transaction");
        assert_int_equal(txjson_parse(&back, jv_at(jv_at(params, 2), 0), err), 0);
        assert_int_equal(tx_pack(&back, true, packed, sizeof packed, err), (long)res.packed_len);
        assert_memory_equal(packed, res.packed, res.packed_len);
        jv_free(v);
        if (want == INT64_MAX)
            break;
    }
    tx_clear(&back);
    presign_scratch_clear(&s);
}

/* Mixed operations, several per transaction: every signature canonical and
 * recovering the signer; every txid distinct. */
static void test_mixed_signed_unique(void **state)
{
    struct fixture *f = *state;
    struct presign_job job = f->job;
    struct presign_scratch s;
    struct presign_result res;
    enum { N = 400 };
    uint8_t (*ids)[TX_ID_LEN] = calloc(N, TX_ID_LEN), digest[32], pub[PUBKEY_LEN];
    char err[ERR_LEN];
    unsigned kinds[2] = {0, 0};

    job.gen.weight_transfer = 70;
    job.gen.weight_limit_order = 30;
    job.gen.ops_per_tx = 3;
    job.gen.seed = 99;
    presign_scratch_init(&s);
    for (uint64_t k = 0; k < N; k++) {
        assert_int_equal(presign_sign(&job, k, &s, &res, err), 0);
        assert_true(sign_is_canonical(res.sig));
        tx_digest(digest, job.chain_id, res.packed, res.unsigned_len);
        assert_int_equal(sign_recover(f->sctx, res.sig, digest, true, pub, err), 0);
        assert_memory_equal(pub, f->pub, PUBKEY_LEN);
        assert_int_equal(s.tx.nops, 3);
        assert_int_equal(tx_validate(&s.tx, err), 0);
        for (size_t j = 0; j < s.tx.nops; j++)
            kinds[s.tx.ops[j].type]++;
        memcpy(ids[k], res.txid, TX_ID_LEN);
    }
    for (size_t i = 0; i < N; i++)
        for (size_t j = i + 1; j < N; j++)
            assert_memory_not_equal(ids[i], ids[j], TX_ID_LEN);
    /* 70/30 of 1200 ops, loosely. */
    assert_in_range(kinds[TX_OP_TRANSFER], 700, 980);
    assert_in_range(kinds[TX_OP_LIMIT_ORDER_CREATE], 220, 500);
    presign_scratch_clear(&s);
    free(ids);
}

static int cmp_id(const void *a, const void *b)
{
    return memcmp(a, b, TX_ID_LEN);
}

/* Uniqueness at scale (txids only: signing does not change them), across
 * two generators with disjoint index offsets as two beacons would use. */
static void test_unique_at_scale(void **state)
{
    struct fixture *f = *state;
    struct txgen_config g = f->job.gen;
    enum { N = 100000 };
    uint8_t (*ids)[TX_ID_LEN] = malloc((size_t)2 * N * TX_ID_LEN), buf[1024];
    struct tx tx;
    char err[ERR_LEN];

    tx_init(&tx);
    g.weight_transfer = 50;
    g.weight_limit_order = 50;
    for (int gen = 0; gen < 2; gen++) {
        g.k_offset = (uint64_t)gen * N;
        for (uint64_t k = 0; k < N; k++) {
            assert_int_equal(txgen_build(&g, k, &tx, err), 0);
            long n = tx_pack(&tx, false, buf, sizeof buf, err);
            assert_true(n > 0);
            tx_id(ids[(size_t)gen * N + k], buf, (size_t)n);
        }
    }
    qsort(ids, 2 * N, TX_ID_LEN, cmp_id);
    for (size_t i = 1; i < 2 * N; i++)
        assert_memory_not_equal(ids[i - 1], ids[i], TX_ID_LEN);
    tx_clear(&tx);
    free(ids);
}

static void test_txgen_check(void **state)
{
    struct fixture *f = *state;
    struct txgen_config g = f->job.gen;
    char err[ERR_LEN];

    assert_int_equal(txgen_check(&g, err), 0);
    g.to = g.from;
    assert_int_equal(txgen_check(&g, err), -1);
    assert_non_null(strstr(err, "same account 1.2.1000"));
    g = f->job.gen;
    g.weight_transfer = 0;
    assert_int_equal(txgen_check(&g, err), -1);
    assert_non_null(strstr(err, "no weight"));
    g.weight_limit_order = 1;
    g.receive_asset = g.sell_asset;
    assert_int_equal(txgen_check(&g, err), -1);
    assert_non_null(strstr(err, "same asset 1.3.0"));
    g = f->job.gen;
    g.ops_per_tx = 0;
    assert_int_equal(txgen_check(&g, err), -1);
    g = f->job.gen;
    g.transfer_amount = INT64_MAX;
    assert_int_equal(txgen_check(&g, err), -1);
    assert_non_null(strstr(err, "transfer amount"));
}

static void test_pool(void **state)
{
    (void)state;
    char err[ERR_LEN];
    struct pool *p = pool_new(4096, 3, err);
    struct pool_chunk *c[4];
    const struct pool_item *it;
    size_t made = 0, seen = 0;

    assert_non_null(p);
    assert_null(pool_new(100, 3, err));
    assert_true(pool_item_fits(p, 1000));
    assert_false(pool_item_fits(p, 5000));
    /* Fill three chunks with 300-byte frames; a fourth is refused. */
    for (int i = 0; i < 3; i++) {
        struct pool_item *slot;
        c[i] = pool_get_empty(p);
        assert_non_null(c[i]);
        while ((slot = pool_chunk_reserve(c[i], 300)) != NULL) {
            assert_int_equal((uintptr_t)slot % 8, 0);
            slot->k = made++;
            memset(slot->frame, 'a' + (int)(slot->k % 26), 300);
        }
    }
    assert_null(pool_get_empty(p));
    pool_publish(p, c[0]);
    pool_publish(p, c[1]);
    assert_int_equal(pool_level(p), made * 2 / 3);
    /* FIFO order, contents intact, level counts down per item. */
    while ((c[3] = pool_take(p)) != NULL) {
        while ((it = pool_chunk_next(p, c[3])) != NULL) {
            assert_int_equal(it->k, seen);
            assert_int_equal(it->frame_len, 300);
            assert_int_equal(it->frame[299], 'a' + (int)(seen % 26));
            seen++;
        }
        pool_recycle(p, c[3]);
    }
    assert_int_equal(seen, made * 2 / 3);
    assert_int_equal(pool_level(p), 0);
    /* Abandoning a partly read chunk takes its remaining items off the level. */
    pool_publish(p, c[2]);
    c[3] = pool_take(p);
    assert_non_null(pool_chunk_next(p, c[3]));
    pool_recycle(p, c[3]);
    assert_int_equal(pool_level(p), 0);
    /* Recycled chunks are reused, not reallocated. */
    size_t bytes = pool_bytes(p);
    for (int i = 0; i < 3; i++)
        assert_non_null(c[i] = pool_get_empty(p));
    assert_int_equal(pool_bytes(p), bytes);
    for (int i = 0; i < 3; i++)
        pool_publish(p, c[i]); /* empty: recycled */
    assert_int_equal(pool_level(p), 0);
    pool_free(p);
    pool_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reproduces_vector),
        cmocka_unit_test(test_frame),
        cmocka_unit_test(test_mixed_signed_unique),
        cmocka_unit_test(test_unique_at_scale),
        cmocka_unit_test(test_txgen_check),
        cmocka_unit_test(test_pool),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
