/* test_blockscan.c - the block scanner: our and foreign transactions in one
 * block, the envelope, escapes inside strings, truncated text, nested
 * extensions, repeated keys, and the size estimate against packed sizes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "blockscan.h"
#include "err.h"
#include "hex.h"
#include "sbuf.h"
#include "testutil.h"

#define MAXTX 16

struct seen {
    uint32_t n;
    bool keyed[MAXTX];
    uint8_t key[MAXTX][BLOCKSCAN_KEY_LEN];
};

static void on_tx(void *user, uint32_t index, const uint8_t *key)
{
    struct seen *s = user;

    assert_int_equal(index, s->n);
    if (s->n < MAXTX) {
        s->keyed[s->n] = key != NULL;
        if (key != NULL)
            memcpy(s->key[s->n], key, BLOCKSCAN_KEY_LEN);
    }
    s->n++;
}

static int scan(const char *text, struct blockscan *b, struct seen *s)
{
    char err[ERR_LEN];
    memset(s, 0, sizeof *s);
    return blockscan_reply(text, strlen(text), b, on_tx, s, err);
}

/* The vector's signed transfer text and its key. */
static char *vector_tx(uint8_t key[BLOCKSCAN_KEY_LEN])
{
    size_t len;
    char *tx = tu_read_file(tu_vector_path("transfer.signed.json"), &len);
    const char *sig = strstr(tx, "\"signatures\":[\"") + 15;
    uint8_t raw[BLOCKSCAN_SIG_LEN];

    while (len > 0 && (tx[len - 1] == '\n' || tx[len - 1] == ' '))
        tx[--len] = '\0';
    assert_int_equal(hex_decode_exact(raw, sizeof raw, sig, 130, NULL), 0);
    blockscan_key(key, raw);
    return tx;
}

static const char *SIG_B =
    "2000112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

static void test_ours_and_foreign(void **state)
{
    (void)state;
    uint8_t key[BLOCKSCAN_KEY_LEN], keyb[BLOCKSCAN_KEY_LEN], rawb[BLOCKSCAN_SIG_LEN];
    char *tx = vector_tx(key);
    struct blockscan b;
    struct seen s;
    struct sbuf t;

    hex_decode_exact(rawb, sizeof rawb, SIG_B, 130, NULL);
    blockscan_key(keyb, rawb);
    assert_memory_equal(keyb, rawb + 1, BLOCKSCAN_KEY_LEN);
    sbuf_init(&t);
    sbuf_adds(&t, "{\"id\":42,\"jsonrpc\":\"2.0\",\"result\":{\"previous\":"
                  "\"0000007bffeeddccbbaa99887766554433221100\",\"timestamp\":"
                  "\"2026-12-07T18:00:01\",\"witness\":\"1.6.1\",\"extensions\":[],"
                  "\"witness_signature\":\"1f00\",\"transactions\":[");
    sbuf_adds(&t, tx);                     /* ours */
    sbuf_adds(&t, ",{\"ref_block_num\":1,\"operations\":[],\"signatures\":[\"");
    sbuf_adds(&t, SIG_B);                  /* foreign, two signatures */
    sbuf_adds(&t, "\",\"");
    sbuf_adds(&t, SIG_B);
    sbuf_adds(&t, "\"],\"operation_results\":[[0,{}]]},");
    sbuf_adds(&t, "{\"signatures\":[]},");  /* unsigned */
    sbuf_adds(&t, "{\"signatures\":[\"1f00\"]},"); /* too short to be a signature */
    sbuf_adds(&t, "17]}}");                 /* not an object */
    assert_false(t.overflow);
    assert_int_equal(scan(t.buf, &b, &s), 0);
    assert_true(b.has_id);
    assert_int_equal(b.id, 42);
    assert_int_equal(b.result, BLOCKSCAN_OBJECT);
    assert_true(b.has_previous);
    assert_int_equal(b.previous[3], 0x7b); /* block 123 follows */
    assert_int_equal(b.timestamp, 1796666401u);
    assert_int_equal(b.ntx, 5);
    assert_int_equal(b.nkeyed, 2);
    assert_int_equal(s.n, 5);
    assert_true(s.keyed[0]);
    assert_memory_equal(s.key[0], key, BLOCKSCAN_KEY_LEN);
    assert_true(s.keyed[1]);
    assert_memory_equal(s.key[1], keyb, BLOCKSCAN_KEY_LEN);
    assert_false(s.keyed[2] || s.keyed[3] || s.keyed[4]);
    sbuf_free(&t);
    free(tx);
}

/* The estimate is within 10 % of the packed size for the vectors. */
static void test_estimate(void **state)
{
    (void)state;
    const char *names[] = {"transfer", "limit_order_create", "mixed3"};

    for (size_t i = 0; i < 3; i++) {
        char path[64], *json, *hex;
        size_t jl, hl;
        struct blockscan b;
        struct sbuf t;
        char err[ERR_LEN];

        snprintf(path, sizeof path, "%s.signed.json", names[i]);
        json = tu_read_file(tu_vector_path(path), &jl);
        snprintf(path, sizeof path, "%s.signed.hex", names[i]);
        hex = tu_read_file(tu_vector_path(path), &hl);
        while (hl > 0 && (hex[hl - 1] == '\n' || hex[hl - 1] == ' '))
            hl--;
        sbuf_init(&t);
        sbuf_adds(&t, "{\"transactions\":[");
        sbuf_add(&t, json, jl);
        sbuf_adds(&t, "]}");
        assert_int_equal(blockscan_block(t.buf, t.len, &b, NULL, NULL, err), 0);
        assert_int_equal(b.ntx, 1);
        double packed = (double)hl / 2, est = (double)b.est_bytes;
        if (est < packed * 0.9 || est > packed * 1.1)
            fail_msg("%s: estimated %.0f bytes, packed %.0f", names[i], est, packed);
        sbuf_free(&t);
        free(json);
        free(hex);
    }
}

/* Strings that look like structure, escaped keys and escaped hex. */
static void test_escapes(void **state)
{
    (void)state;
    struct blockscan b;
    struct seen s;
    char text[2048];
    uint8_t raw[BLOCKSCAN_SIG_LEN];

    hex_decode_exact(raw, sizeof raw, SIG_B, 130, NULL);
    /* A memo-like string holding a fake transactions array and signatures;
     * the key "transaction\u0073" is "transactions"; the first hex digit of
     * the signature is written \u0032. */
    snprintf(text, sizeof text,
             "{\"result\":{\"memo\":\"\\\"transactions\\\":[{\\\"signatures\\\":[\\\"%s\\\"]}]\","
             "\"transaction\\u0073\":[{\"x\":\"]}\\\\\",\"signatures\":[\"\\u0032%s\"]}],"
             "\"id\":\"\\\"result\\\"\"}}",
             SIG_B, SIG_B + 1);
    assert_int_equal(scan(text, &b, &s), 0);
    assert_false(b.has_id);
    assert_int_equal(b.ntx, 1);
    assert_int_equal(s.n, 1);
    assert_true(s.keyed[0]);
    assert_memory_equal(s.key[0], raw + 1, BLOCKSCAN_KEY_LEN);
    /* Non-ASCII and NUL never decode to one of our keys or hex. */
    assert_int_equal(scan("{\"result\":{\"transaction\\u00f3\":[{}],\"transactions\\u0000\":[{}]}}",
                          &b, &s), 0);
    assert_int_equal(b.ntx, 0);
    /* Bad escapes and control characters are errors. */
    assert_int_equal(scan("{\"result\":{\"a\":\"\\x\"}}", &b, &s), -1);
    assert_int_equal(scan("{\"result\":{\"a\":\"\\u12\"}}", &b, &s), -1);
    assert_int_equal(scan("{\"result\":{\"a\":\"\t\"}}", &b, &s), -1);
}

/* Every proper prefix of a good reply is an error, never a crash. */
static void test_truncated(void **state)
{
    (void)state;
    uint8_t key[BLOCKSCAN_KEY_LEN];
    char *tx = vector_tx(key);
    struct blockscan b;
    struct sbuf t;
    char err[ERR_LEN];

    sbuf_init(&t);
    sbuf_adds(&t, "{\"id\":7,\"result\":{\"timestamp\":\"2026-12-07T18:00:01\","
                  "\"transactions\":[");
    sbuf_adds(&t, tx);
    sbuf_adds(&t, ",");
    sbuf_adds(&t, tx);
    sbuf_adds(&t, "]}}");
    for (size_t n = 0; n < t.len; n++) {
        char *copy = malloc(n + 1); /* exactly n bytes are readable: ASan checks */
        memcpy(copy, t.buf, n);
        if (blockscan_reply(copy, n, &b, NULL, NULL, err) == 0)
            fail_msg("a prefix of %zu of %zu bytes was accepted", n, t.len);
        free(copy);
    }
    assert_int_equal(blockscan_reply(t.buf, t.len, &b, NULL, NULL, err), 0);
    assert_int_equal(b.ntx, 2);
    assert_int_equal(b.nkeyed, 2);
    /* Text after the object is an error too. */
    sbuf_adds(&t, " x");
    assert_int_equal(blockscan_reply(t.buf, t.len, &b, NULL, NULL, err), -1);
    sbuf_free(&t);
    free(tx);
}

static void test_nested(void **state)
{
    (void)state;
    uint8_t raw[BLOCKSCAN_SIG_LEN];
    struct blockscan b;
    struct seen s;
    struct sbuf t;
    char err[ERR_LEN];

    hex_decode_exact(raw, sizeof raw, SIG_B, 130, NULL);
    /* Extensions nest objects and arrays (with transactions-like keys
     * inside) in the block and in the transaction. */
    sbuf_init(&t);
    sbuf_adds(&t, "{\"result\":{\"extensions\":[[1,{\"transactions\":[{\"signatures\":[\"");
    sbuf_adds(&t, SIG_B);
    sbuf_adds(&t, "\"]}]}]],\"transactions\":[{\"extensions\":[[7,{\"a\":[[[{\"b\":[]}]]],"
                  "\"signatures\":[1]}]],\"signatures\":[\"");
    sbuf_adds(&t, SIG_B);
    sbuf_adds(&t, "\"]}]}}");
    assert_int_equal(scan(t.buf, &b, &s), 0);
    assert_int_equal(b.ntx, 1);
    assert_true(s.keyed[0]);
    assert_memory_equal(s.key[0], raw + 1, BLOCKSCAN_KEY_LEN);
    sbuf_free(&t);
    /* Nesting up to the limit is read; deeper is an error. */
    for (int depth = BLOCKSCAN_MAX_DEPTH - 5; depth <= BLOCKSCAN_MAX_DEPTH + 5; depth++) {
        sbuf_init(&t);
        sbuf_adds(&t, "{\"result\":{\"x\":");
        for (int i = 0; i < depth; i++)
            sbuf_addc(&t, '[');
        for (int i = 0; i < depth; i++)
            sbuf_addc(&t, ']');
        sbuf_adds(&t, "}}");
        int rc = blockscan_reply(t.buf, t.len, &b, NULL, NULL, err);
        /* the object, result, and depth arrays: depth + 2 levels */
        assert_int_equal(rc, depth + 2 <= BLOCKSCAN_MAX_DEPTH ? 0 : -1);
        sbuf_free(&t);
    }
}

static void test_envelope(void **state)
{
    (void)state;
    struct blockscan b;
    struct seen s;

    assert_int_equal(scan("{\"id\":9,\"result\":null}", &b, &s), 0);
    assert_true(b.has_id);
    assert_int_equal(b.result, BLOCKSCAN_NULL);
    assert_int_equal(scan(" {\"id\":9223372036854775807,\"result\":[1]} ", &b, &s), 0);
    assert_true(b.has_id);
    assert_int_equal(b.id, INT64_MAX);
    assert_int_equal(b.result, BLOCKSCAN_OTHER);
    const char *not_ids[] = {"9223372036854775808", "-1", "1.0", "1e3", "\"1\"", "null",
                             "99999999999999999999"};
    for (size_t i = 0; i < sizeof not_ids / sizeof *not_ids; i++) {
        char text[128];
        snprintf(text, sizeof text, "{\"id\":%s,\"result\":{}}", not_ids[i]);
        assert_int_equal(scan(text, &b, &s), 0);
        assert_false(b.has_id);
    }
    assert_int_equal(scan("{\"id\":1,\"error\":{\"code\":1}}", &b, &s), 0);
    assert_true(b.has_error);
    assert_int_equal(b.result, BLOCKSCAN_NO_RESULT);
    assert_int_equal(scan("{\"method\":\"notice\",\"params\":[1,[\"00\"]]}", &b, &s), 0);
    assert_true(b.has_method);
    /* Repeated keys the scanner reads are errors; others are not. */
    assert_int_equal(scan("{\"id\":1,\"id\":2,\"result\":null}", &b, &s), -1);
    assert_int_equal(scan("{\"result\":{},\"result\":{}}", &b, &s), -1);
    assert_int_equal(scan("{\"result\":{\"transactions\":[],\"transactions\":[]}}", &b, &s), -1);
    assert_int_equal(scan("{\"result\":{\"transactions\":[{\"signatures\":[],\"signatures\":[]}]}}",
                          &b, &s), -1);
    assert_int_equal(scan("{\"result\":{\"a\":1,\"a\":2}}", &b, &s), 0);
    /* Not JSON, or not an object. */
    const char *bad[] = {"", "[]", "{", "{\"a\"}", "{\"a\":}", "{\"a\":01}", "{\"a\":-}",
                         "{\"a\":1.}", "{\"a\":tru}", "{\"a\":[1,]}", "{\"a\":1,}", "{,}"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (scan(bad[i], &b, &s) == 0)
            fail_msg("accepted %s", bad[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ours_and_foreign),
        cmocka_unit_test(test_estimate),
        cmocka_unit_test(test_escapes),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_nested),
        cmocka_unit_test(test_envelope),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
