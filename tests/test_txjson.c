/* test_txjson.c - transactions in the node's JSON form: the vectors, texts
 * derived by hand, randomised round trips (binary and JSON), rendering into
 * fixed buffers. Bad input: test_txjson_bad.c. */
#include "txjson_texts.h"

static const char *const vector_files[] = {
    "transfer.json", "limit_order_create.json", "mixed3.json", "transfer_retry_fc.json",
    "transfer_retry_bitsharesjs.json",
};

static void expect_pack_hex(const struct tx *tx, bool with_sigs, const char *hex)
{
    size_t n;
    uint8_t *b = pack(tx, with_sigs, &n);

    assert_string_equal(tu_hex(b, n), hex);
    free(b);
}

/* Numbers the way the node reads them: 12345 == "12345". */
static bool same_number(const struct jv *a, const struct jv *b)
{
    int64_t x, y;
    uint64_t ux, uy;

    if (jv_int64(a, INT64_MIN, INT64_MAX, &x, NULL) == 0 &&
        jv_int64(b, INT64_MIN, INT64_MAX, &y, NULL) == 0)
        return x == y;
    if (jv_uint64(a, UINT64_MAX, &ux, NULL) == 0 && jv_uint64(b, UINT64_MAX, &uy, NULL) == 0)
        return ux == uy;
    return false;
}

/* Semantic equality: key order free, integers equal to their decimal
 * strings, and an empty [] equal to an empty {} (limit order extensions:
 * bitsharesjs prints [], the node {}). */
static bool loose_equal(const struct jv *a, const struct jv *b)
{
    enum jv_type ta = jv_type(a), tb = jv_type(b);

    if ((ta == JV_ARRAY || ta == JV_OBJECT) && (tb == JV_ARRAY || tb == JV_OBJECT) &&
        jv_len(a) == 0 && jv_len(b) == 0)
        return true;
    if ((ta == JV_INT || tb == JV_INT) && (ta != tb))
        return same_number(a, b);
    if (ta != tb)
        return false;
    switch (ta) {
    case JV_INT:
        return same_number(a, b);
    case JV_STRING:
        return strcmp(jv_str(a, NULL), jv_str(b, NULL)) == 0;
    case JV_ARRAY:
        if (jv_len(a) != jv_len(b))
            return false;
        for (size_t i = 0; i < jv_len(a); i++)
            if (!loose_equal(jv_at(a, i), jv_at(b, i)))
                return false;
        return true;
    case JV_OBJECT: {
        struct jv_iter it = {0};
        const char *key;
        const struct jv *x;

        if (jv_len(a) != jv_len(b))
            return false;
        while ((x = jv_iter_next(a, &it, &key)) != NULL)
            if (jv_get(b, key) == NULL || !loose_equal(x, jv_get(b, key)))
                return false;
        return true;
    }
    default:
        return true;
    }
}

static void test_loose_equal_can_fail(void **state)
{
    (void)state;
    struct jv *a = parse_text("{\"a\":[1,\"2\",{}],\"b\":\"x\"}");
    struct jv *b = parse_text("{\"b\":\"x\",\"a\":[\"1\",2,[]]}");
    struct jv *c = parse_text("{\"b\":\"x\",\"a\":[\"1\",3,[]]}");
    struct jv *d = parse_text("{\"b\":\"x\",\"c\":[\"1\",2,[]]}");

    assert_true(loose_equal(a, b));
    assert_false(loose_equal(a, c));
    assert_false(loose_equal(a, d));
    jv_free(a);
    jv_free(b);
    jv_free(c);
    jv_free(d);
}

/* ---- vectors ------------------------------------------------------------ */

static void test_vectors_json(void **state)
{
    (void)state;
    for (size_t k = 0; k < sizeof vector_files / sizeof vector_files[0]; k++) {
        struct jv *vec = tu_vector_json(vector_files[k]);
        struct tx tx, back;
        char err[ERR_LEN];
        uint8_t chain[TX_CHAIN_ID_LEN], digest[32], id[TX_ID_LEN], sig[TX_SIG_LEN];
        char *text, idhex[2 * TX_ID_LEN + 1];
        struct jv *rendered;
        size_t n;
        uint8_t *bytes;

        tx_init(&tx);
        tx_init(&back);
        /* unsigned_json -> pack == unsigned_hex; digest; txid */
        if (txjson_parse(&tx, jv_get(vec, "unsigned_json"), err) < 0)
            fail_msg("%s: %s", vector_files[k], err);
        assert_int_equal(tx.nsigs, 0);
        expect_pack_hex(&tx, false, tu_str(vec, "unsigned_hex"));
        bytes = pack(&tx, false, &n);
        assert_int_equal(hex_decode_exact(chain, sizeof chain, tu_str(vec, "chain_id"), 64, err),
                         0);
        tx_digest(digest, chain, bytes, n);
        assert_string_equal(tu_hex(digest, 32), tu_str(vec, "digest"));
        tx_id(id, bytes, n);
        hex_encode(idhex, id, TX_ID_LEN);
        assert_string_equal(idhex, tu_str(vec, "txid"));
        free(bytes);

        /* fc-style signature added to the parsed tx */
        assert_int_equal(hex_decode_exact(sig, sizeof sig, tu_str(vec, "signature_fc_style"),
                                          2 * TX_SIG_LEN, err),
                         0);
        assert_int_equal(tx_add_sig(&tx, sig, err), 0);
        expect_pack_hex(&tx, true, tu_str(vec, "signed_hex_fc_style"));

        /* signed_json (bitsharesjs signature) -> signed_hex */
        if (txjson_parse(&tx, jv_get(vec, "signed_json"), err) < 0)
            fail_msg("%s signed: %s", vector_files[k], err);
        expect_pack_hex(&tx, true, tu_str(vec, "signed_hex"));

        /* unpack -> render -> parse: equal to the vector's JSON */
        bytes = tu_unhex(tu_str(vec, "unsigned_hex"), &n);
        assert_int_equal(tx_unpack(&back, bytes, n, false, err), 0);
        free(bytes);
        text = render(&back, false, "TEST");
        rendered = parse_text(text);
        if (!loose_equal(rendered, jv_get(vec, "unsigned_json")))
            fail_msg("%s: rendered %s", vector_files[k], text);
        assert_int_equal(txjson_parse(&tx, rendered, err), 0);
        expect_pack_hex(&tx, false, tu_str(vec, "unsigned_hex"));
        jv_free(rendered);
        free(text);

        text = render(&tx, true, "TEST");
        rendered = parse_text(text);
        /* tx has no signatures now: an empty list is rendered */
        assert_int_equal(jv_len(jv_get(rendered, "signatures")), 0);
        jv_free(rendered);
        free(text);

        tx_clear(&tx);
        tx_clear(&back);
        jv_free(vec);
    }
}

static void test_render_exact(void **state)
{
    (void)state;
    struct tx tx;
    char *text;
    struct jv *vec = tu_vector_json("transfer.json");
    char err[ERR_LEN];

    tx_init(&tx);
    assert_int_equal(txjson_parse(&tx, jv_get(vec, "signed_json"), err), 0);
    text = render(&tx, false, "BTS");
    assert_string_equal(text, transfer_text);
    free(text);
    text = render(&tx, true, "BTS");
    assert_string_equal(text, transfer_signed_text);
    free(text);
    jv_free(vec);

    vec = tu_vector_json("limit_order_create.json");
    assert_int_equal(txjson_parse(&tx, jv_get(vec, "unsigned_json"), err), 0);
    text = render(&tx, false, "BTS");
    assert_string_equal(text, limit_order_text);
    free(text);
    jv_free(vec);

    /* The node's own text parses back to the same bytes. */
    parse_tx(&tx, transfer_signed_text);
    expect_pack_hex(&tx, true,
                    "765e5c1ece3b80d8db700100555301000000000000e807e907393000000000000000000000"
                    "01" TRANSFER_SIG);
    tx_clear(&tx);
}

static void test_python_vectors_json(void **state)
{
    (void)state;
    struct jv *root = tu_vector_json("python_bitshares.json");
    const struct jv *vecs = jv_get(root, "vectors");
    struct tx tx, back;
    char err[ERR_LEN];

    tx_init(&tx);
    tx_init(&back);
    for (size_t k = 0; k < jv_len(vecs); k++) {
        const char *hex = tu_str(jv_at(vecs, k), "signed_hex");
        size_t n;
        uint8_t *in = tu_unhex(hex, &n);
        char *text;

        assert_int_equal(tx_unpack(&tx, in, n, true, err), 0);
        expect_pack_hex(&tx, true, hex);
        text = render(&tx, true, "BTS");
        parse_tx(&back, text);
        expect_pack_hex(&back, true, hex);
        free(text);
        free(in);
    }
    /* The memo transfer, text derived by hand. */
    {
        size_t n;
        uint8_t *in = tu_unhex(python_memo_hex, &n);
        char *text;

        assert_int_equal(tx_unpack(&tx, in, n, true, err), 0);
        text = render(&tx, true, "BTS");
        assert_string_equal(text, python_memo_text);
        free(text);
        free(in);
    }
    tx_clear(&tx);
    tx_clear(&back);
    jv_free(root);
}

/* ---- randomised round trips ------------------------------------------- */

static uint64_t rng_state = UINT64_C(0x9e3779b97f4a7c15);

static uint64_t rnd(void)
{
    /* xorshift64*: fixed seed, so failures reproduce. */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * UINT64_C(0x2545f4914f6cdd1d);
}

/* A value of a random bit length, so that small, medium and extreme values
 * (and every varint length) all show up. */
static uint64_t rnd_bits(unsigned max_bits)
{
    unsigned bits = (unsigned)(rnd() % (max_bits + 1));

    return bits == 0 ? 0 : rnd() >> (64 - bits);
}

static int64_t rnd_amount(void)
{
    uint64_t u = rnd_bits(64);

    switch (rnd() % 8) {
    case 0:
        return INT64_MAX;
    case 1:
        return INT64_MIN;
    case 2:
        return INT32_MAX + (int64_t)(rnd() % 3) - 1;
    case 3:
        return INT32_MIN + (int64_t)(rnd() % 3) - 1;
    default:
        return (int64_t)(u >> 1) * (rnd() % 2 ? 1 : -1);
    }
}

static void rnd_asset(struct tx_asset *a)
{
    a->amount = rnd_amount();
    a->asset_id = rnd_bits(48);
}

static void rnd_key(uint8_t key[PUBKEY_LEN])
{
    key[0] = (uint8_t)(2 + rnd() % 2);
    for (size_t i = 1; i < PUBKEY_LEN; i++)
        key[i] = (uint8_t)rnd();
}

static void rnd_tx(struct tx *tx)
{
    char err[ERR_LEN];
    size_t nops = 1 + rnd() % 5, nsigs = rnd() % 4;

    tx_reset(tx);
    tx->ref_block_num = (uint16_t)rnd();
    tx->ref_block_prefix = (uint32_t)rnd();
    tx->expiration = (uint32_t)rnd_bits(32);
    for (size_t i = 0; i < nops; i++) {
        struct tx_op *op = tx_add_op(tx, err);

        assert_non_null(op);
        if (rnd() % 2 == 0) {
            struct tx_transfer *t = &op->u.transfer;

            op->type = TX_OP_TRANSFER;
            rnd_asset(&t->fee);
            t->from = rnd_bits(48);
            t->to = rnd_bits(48);
            rnd_asset(&t->amount);
            t->has_memo = rnd() % 2 == 0;
            if (t->has_memo) {
                uint8_t msg[80];
                size_t len = rnd() % sizeof msg;

                rnd_key(t->memo.from);
                rnd_key(t->memo.to);
                t->memo.nonce = rnd_bits(64);
                for (size_t k = 0; k < len; k++)
                    msg[k] = (uint8_t)rnd();
                assert_int_equal(tx_memo_set_message(tx, &t->memo, msg, len, err), 0);
            }
        } else {
            struct tx_limit_order *l = &op->u.limit_order;

            op->type = TX_OP_LIMIT_ORDER_CREATE;
            rnd_asset(&l->fee);
            l->seller = rnd_bits(48);
            rnd_asset(&l->amount_to_sell);
            rnd_asset(&l->min_to_receive);
            l->expiration = (uint32_t)rnd_bits(32);
            l->fill_or_kill = rnd() % 2 == 0;
        }
    }
    for (size_t i = 0; i < nsigs; i++) {
        uint8_t sig[TX_SIG_LEN];

        for (size_t k = 0; k < TX_SIG_LEN; k++)
            sig[k] = (uint8_t)rnd();
        assert_int_equal(tx_add_sig(tx, sig, err), 0);
    }
}

static void test_random_round_trips(void **state)
{
    (void)state;
    struct tx tx, back;
    struct sbuf s, fixed;
    static char fixed_buf[16384];
    char err[ERR_LEN];
    size_t memos = 0, orders = 0, big = 0;

    tx_init(&tx);
    tx_init(&back);
    sbuf_init(&s);
    sbuf_init_fixed(&fixed, fixed_buf, sizeof fixed_buf);
    for (int i = 0; i < 3000; i++) {
        size_t n, m;
        uint8_t *a, *b;
        struct jv *v;

        rnd_tx(&tx);
        for (size_t k = 0; k < tx.nops; k++) {
            memos += tx.ops[k].type == TX_OP_TRANSFER && tx.ops[k].u.transfer.has_memo;
            orders += tx.ops[k].type == TX_OP_LIMIT_ORDER_CREATE;
        }
        /* binary: pack -> unpack -> pack */
        a = pack(&tx, true, &n);
        if (tx_unpack(&back, a, n, true, err) < 0)
            fail_msg("tx %d: unpack: %s", i, err);
        b = pack(&back, true, &m);
        assert_int_equal(n, m);
        assert_memory_equal(a, b, n);
        free(b);

        /* JSON: render -> jv_parse -> txjson_parse -> pack */
        sbuf_reset(&s);
        txjson_render(&s, &tx, true, "TEST");
        assert_false(s.overflow);
        big += strstr(s.buf, "\"amount\":\"") != NULL;
        v = jv_parse(s.buf, s.len, JV_MAX_DEPTH, err);
        if (v == NULL)
            fail_msg("tx %d: %s in %s", i, err, s.buf);
        if (txjson_parse(&back, v, err) < 0)
            fail_msg("tx %d: %s in %s", i, err, s.buf);
        jv_free(v);
        b = pack(&back, true, &m);
        assert_int_equal(n, m);
        assert_memory_equal(a, b, n);
        free(b);
        free(a);

        /* A fixed sbuf gives the same text. */
        sbuf_reset(&fixed);
        txjson_render(&fixed, &back, true, "TEST");
        assert_false(fixed.overflow);
        assert_string_equal(fixed.buf, s.buf);
    }
    /* The generator did cover what it should. */
    assert_true(memos > 500);
    assert_true(orders > 1000);
    assert_true(big > 1000);
    sbuf_free(&s);
    tx_clear(&tx);
    tx_clear(&back);
}

static void test_render_fixed_overflow(void **state)
{
    (void)state;
    struct tx tx;
    struct sbuf s;
    char buf[64];

    tx_init(&tx);
    parse_tx(&tx, transfer_signed_text);
    sbuf_init_fixed(&s, buf, sizeof buf);
    txjson_render(&s, &tx, true, "BTS");
    assert_true(s.overflow);
    assert_int_equal(s.len, sizeof buf - 1);
    assert_memory_equal(buf, transfer_signed_text, sizeof buf - 1);
    assert_int_equal(buf[sizeof buf - 1], '\0');

    /* Exactly enough room: the text and its NUL. */
    {
        char exact[sizeof transfer_signed_text];

        sbuf_init_fixed(&s, exact, sizeof exact);
        txjson_render(&s, &tx, true, "BTS");
        assert_false(s.overflow);
        assert_string_equal(exact, transfer_signed_text);
        sbuf_init_fixed(&s, exact, sizeof exact - 1);
        txjson_render(&s, &tx, true, "BTS");
        assert_true(s.overflow);
    }
    /* A bad memo prefix cannot be rendered right: overflow says so. */
    {
        size_t n;
        uint8_t *in = tu_unhex(python_memo_hex, &n);
        char err[ERR_LEN];
        struct sbuf g;

        assert_int_equal(tx_unpack(&tx, in, n, true, err), 0);
        sbuf_init(&g);
        txjson_render(&g, &tx, true, "bts");
        assert_true(g.overflow);
        sbuf_free(&g);
        free(in);
    }
    tx_clear(&tx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loose_equal_can_fail),
        cmocka_unit_test(test_vectors_json),
        cmocka_unit_test(test_render_exact),
        cmocka_unit_test(test_python_vectors_json),
        cmocka_unit_test(test_random_round_trips),
        cmocka_unit_test(test_render_fixed_overflow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
