/* test_reply.c - beacon/reply: the fast scanner against the full parser,
 * node-shaped errors, notices, malformed input, classification. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "err.h"
#include "reply.h"

static void assert_same(const struct reply *a, const struct reply *b, const char *msg)
{
    if (a->kind != b->kind || a->has_id != b->has_id || a->id != b->id ||
        a->result_null != b->result_null || a->code != b->code ||
        strcmp(a->name, b->name) != 0 || strcmp(a->message, b->message) != 0 ||
        a->notice_cb != b->notice_cb)
        fail_msg("fast and full parse differ on %s", msg);
}

/* Parses a copy of exactly len bytes (no NUL after it), so that ASan sees
 * any read past the end. */
static int parse_exact(struct reply *r, const char *msg, size_t len, char *err)
{
    char *copy = malloc(len > 0 ? len : 1);
    int rc;

    assert_non_null(copy);
    memcpy(copy, msg, len);
    rc = reply_parse(r, copy, len, err);
    free(copy);
    return rc;
}

#define PARSE(r, lit, err) reply_parse((r), (lit), strlen(lit), (err))

static uint64_t rng_state = UINT64_C(0x9E3779B97F4A7C15);

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static const char *const ack_forms[] = {
    "{\"id\":%llu,\"result\":null}",
    "{\"id\":%llu,\"jsonrpc\":\"2.0\",\"result\":null}",
    "{\"jsonrpc\":\"2.0\",\"id\":%llu,\"result\":null}",
    "{\"id\":%llu,\"result\":null,\"jsonrpc\":\"2.0\"}",
    "{\"result\":null,\"id\":%llu}",
};

static void check_ack(uint64_t id)
{
    char msg[128], err[ERR_LEN];
    struct reply fast, full, any;

    for (size_t f = 0; f < sizeof ack_forms / sizeof ack_forms[0]; f++) {
        int n = snprintf(msg, sizeof msg, ack_forms[f], (unsigned long long)id);
        if (!reply_parse_fast(&fast, msg, (size_t)n))
            fail_msg("fast path declined %s", msg);
        if (reply_parse_full(&full, msg, (size_t)n, err) < 0)
            fail_msg("full parse failed on %s: %s", msg, err);
        assert_same(&fast, &full, msg);
        assert_int_equal(fast.kind, REPLY_RESULT);
        assert_true(fast.has_id);
        assert_true(fast.result_null);
        assert_int_equal(fast.id, id);
        assert_int_equal(parse_exact(&any, msg, (size_t)n, err), 0);
        assert_same(&any, &full, msg);
    }
}

static void test_fast_equals_full_generated(void **state)
{
    (void)state;
    uint64_t top = UINT64_C(1) << 53;

    for (uint64_t id = 0; id < 2000; id++)
        check_ack(id);
    for (int k = 1; k <= 53; k++) {
        check_ack((UINT64_C(1) << k) - 1);
        check_ack(UINT64_C(1) << k);
        check_ack((UINT64_C(1) << k) + 1);
    }
    for (uint64_t p = 10; p <= UINT64_C(100000000000000000); p *= 10) {
        check_ack(p - 1);
        check_ack(p);
    }
    check_ack(UINT64_C(999999999999999999)); /* 18 digits: the fast path's widest */
    for (int i = 0; i < 20000; i++)
        check_ack(rng() % (top + 1));
    for (int i = 0; i < 2000; i++)
        check_ack(rng() % UINT64_C(1000000000000000000));
}

/* Texts the fast path must leave to the full parser; the combined parse
 * must then equal the full one (success or failure alike). */
static void test_fast_declines(void **state)
{
    (void)state;
    static const char *const msgs[] = {
        "{\"id\": 1,\"result\":null}",
        "{ \"id\":1,\"result\":null}",
        "{\"id\":1,\"result\":null} ",
        "{\"id\":1,\"result\":null}\n",
        "{\"id\":1 ,\"result\":null}",
        "{\"id\":01,\"result\":null}",
        "{\"id\":-0,\"result\":null}",
        "{\"id\":1000000000000000000,\"result\":null}",
        "{\"id\":9223372036854775807,\"result\":null}",
        "{\"id\":9223372036854775808,\"result\":null}",
        "{\"id\":1.0,\"result\":null}",
        "{\"id\":1e3,\"result\":null}",
        "{\"id\":\"1\",\"result\":null}",
        "{\"id\":1,\"result\":true}",
        "{\"id\":1,\"result\":nullx}",
        "{\"id\":1,\"result\":nul",
        "{\"id\":1,\"result\":null",
        "{\"id\":1,\"result\":null,}",
        "{\"id\":1,\"id\":2,\"result\":null}",
        "{\"id\":1,\"result\":null,\"result\":null}",
        "{\"id\":1,\"jsonrpc\":\"2.0\",\"jsonrpc\":\"2.0\",\"result\":null}",
        "{\"id\":1,\"jsonrpc\":\"1.0\",\"result\":null}",
        "{\"id\":1,\"result\":null,\"extra\":5}",
        "{\"id\":1}",
        "{\"result\":null}",
        "{\"id\":,\"result\":null}",
        "{\"id\":1,\"result\":null}}",
        "{\"id\":2,\"result\":{\"x\":1}}",
        "{\"id\":3,\"result\":[]}",
        "{\"id\":1,\"error\":{\"code\":1,\"message\":\"m\"}}",
        "{}",
        "{",
        "",
    };
    char err[ERR_LEN], err2[ERR_LEN];
    struct reply fast, full, any;

    for (size_t i = 0; i < sizeof msgs / sizeof msgs[0]; i++) {
        size_t n = strlen(msgs[i]);
        int rc_full, rc;

        if (reply_parse_fast(&fast, msgs[i], n))
            fail_msg("fast path took %s", msgs[i]);
        rc_full = reply_parse_full(&full, msgs[i], n, err);
        rc = parse_exact(&any, msgs[i], n, err2);
        assert_int_equal(rc, rc_full);
        if (rc == 0)
            assert_same(&any, &full, msgs[i]);
        else
            assert_string_equal(err, err2);
    }
    /* And what the full parser made of some of them. */
    assert_int_equal(PARSE(&any, "{\"id\":1000000000000000000,\"result\":null}", err), 0);
    assert_int_equal(any.id, UINT64_C(1000000000000000000));
    assert_int_equal(PARSE(&any, "{\"id\":9223372036854775807,\"result\":true}", err), 0);
    assert_int_equal(any.id, INT64_MAX);
    assert_false(any.result_null);
    assert_int_equal(PARSE(&any, "{\"id\":1,\"id\":2,\"result\":null}", err), 0);
    assert_int_equal(any.id, 2); /* last wins, as in fc */
    assert_int_equal(PARSE(&any, "{\"id\":2,\"result\":{\"x\":1}}", err), 0);
    assert_int_equal(any.kind, REPLY_RESULT);
    assert_false(any.result_null);
}

/* The node's error shape (docs/bitshares-protocol.md section 5), as the
 * devnode renders it (devnode/rpc.c render_error). */
static int node_error(struct reply *r, char *buf, size_t cap, long long code, const char *name,
                      const char *what, const char *message)
{
    char err[ERR_LEN];
    int n = snprintf(buf, cap,
                     "{\"id\":42,\"jsonrpc\":\"2.0\",\"error\":{\"code\":%lld,\"message\":"
                     "\"Execution error: %s: %s\",\"data\":{\"code\":%lld,\"name\":\"%s\","
                     "\"message\":\"%s\",\"stack\":[{\"context\":{\"level\":\"error\",\"file\":"
                     "\"db_block.cpp\",\"line\":733,\"method\":\"_apply_transaction\","
                     "\"hostname\":\"\",\"thread_name\":\"th_a\",\"timestamp\":"
                     "\"2024-05-01T12:00:00\"},\"format\":\"%s\",\"data\":{}}]}}}",
                     code, what, message, code, name, what, message);
    assert_true(n > 0 && (size_t)n < cap);
    if (parse_exact(r, buf, (size_t)n, err) < 0)
        fail_msg("%s: %s", err, buf);
    return n;
}

static void test_node_errors_classified(void **state)
{
    (void)state;
    /* Texts of bitshares-core (see reply.c) and of the devnode
     * (devnode/validate.c, chain.c, rpcapi.c), with the category each
     * must land in. */
    static const struct {
        long long code;
        const char *name, *what, *message;
        enum stats_reject want;
    } cases[] = {
        {3030001, "duplicate_transaction", "duplicate transaction",
         "Transaction '0123abcd' is already in the database", STATS_REJ_DUPLICATE},
        {10, "assert_exception", "Assert Exception",
         "trx.ref_block_prefix == tapos_block_summary.block_id._hash[1]: ", STATS_REJ_TAPOS},
        {10, "assert_exception", "Assert Exception", "now <= trx.expiration: ",
         STATS_REJ_EXPIRED},
        {10, "assert_exception", "Assert Exception",
         "trx.expiration <= now + chain_parameters.maximum_time_until_expiration: ",
         STATS_REJ_EXPIRED},
        {10, "assert_exception", "Assert Exception",
         "trx.get_packed_size() <= chain_parameters.maximum_transaction_size: Transaction exceeds "
         "maximum transaction size.",
         STATS_REJ_SIZE},
        {10, "assert_exception", "Assert Exception",
         "fc::raw::pack_size( trx ) < (1024 * 1024): Transaction exceeds maximum transaction "
         "size.",
         STATS_REJ_SIZE},
        {4010007, "insufficient_fee", "insufficient fee", "Insufficient Fee Paid", STATS_REJ_FEE},
        {4010001, "tx_missing_active_auth", "missing required active authority",
         "Missing Active Authority 1.2.17", STATS_REJ_MISSING_SIG},
        {4010004, "tx_irrelevant_sig", "irrelevant signature included",
         "Unnecessary signature(s) detected", STATS_REJ_IRRELEVANT_SIG},
        {4010005, "tx_duplicate_sig", "duplicate signature included",
         "Duplicate Signature detected", STATS_REJ_IRRELEVANT_SIG},
        {10, "assert_exception", "Assert Exception",
         "d.get_balance( from_account, asset_type ).amount >= op.amount.amount: Insufficient "
         "Balance: 1.00000 TEST, unable to transfer '5.00000 TEST' from account 'alice' to 'bob'",
         STATS_REJ_BALANCE},
        {10, "assert_exception", "Assert Exception",
         "d.get_balance( *_seller, *_sell_asset ) >= op.amount_to_sell: insufficient balance",
         STATS_REJ_BALANCE},
        {10, "assert_exception", "Assert Exception",
         "itr->get_balance() >= -delta: Insufficient Balance: alice's balance of 0 TEST is less "
         "than required 1 TEST",
         STATS_REJ_BALANCE},
        {10, "assert_exception", "Assert Exception",
         "_pending_tx.size() < max_pending: devnode pending queue is full (100000 transactions, "
         "--max-pending); --capacity is 500 tx/s (0: none)",
         STATS_REJ_BUSY},
        {10, "assert_exception", "Assert Exception", "op.expiration >= d.head_block_time(): ",
         STATS_REJ_OTHER},
        {10, "assert_exception", "Assert Exception",
         "maybe_found != nullptr: Unable to find Object", STATS_REJ_OTHER},
        {10, "assert_exception", "Assert Exception", "is_canonical( c ): signature is not canonical",
         STATS_REJ_OTHER},
        {7, "bad_cast_exception", "Bad Cast", "Invalid cast from string to uint64",
         STATS_REJ_OTHER},
    };
    char buf[2048];
    struct reply r;

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        enum stats_reject got;

        node_error(&r, buf, sizeof buf, cases[i].code, cases[i].name, cases[i].what,
                   cases[i].message);
        assert_int_equal(r.kind, REPLY_ERROR);
        assert_true(r.has_id);
        assert_int_equal(r.id, 42);
        assert_int_equal(r.code, cases[i].code);
        assert_string_equal(r.name, cases[i].name);
        assert_non_null(strstr(r.message, "Execution error: "));
        assert_false(r.result_null);
        got = reply_classify(r.code, r.name, r.message);
        if (got != cases[i].want)
            fail_msg("case %zu (%s): got %s, want %s", i, cases[i].message, stats_reject_name(got),
                     stats_reject_name(cases[i].want));
    }
}

static void test_error_shapes(void **state)
{
    (void)state;
    char err[ERR_LEN];
    struct reply r;
    const char *m;

    /* fc versions that put 1 in error.code: data.code is the exception's. */
    m = "{\"id\":9,\"error\":{\"code\":1,\"message\":\"10 assert_exception: Assert Exception\\n"
        "trx.ref_block_prefix == tapos_block_summary.block_id._hash[1]: \",\"data\":{\"code\":10,"
        "\"name\":\"assert_exception\",\"message\":\"Assert Exception\",\"stack\":[]}}}";
    assert_int_equal(reply_parse(&r, m, strlen(m), err), 0);
    assert_int_equal(r.code, 10);
    assert_int_equal(reply_classify(r.code, r.name, r.message), STATS_REJ_TAPOS);
    /* No data: code and message from the error itself. */
    m = "{\"id\":3,\"error\":{\"code\":-32601,\"message\":\"method not found\"}}";
    assert_int_equal(reply_parse(&r, m, strlen(m), err), 0);
    assert_int_equal(r.kind, REPLY_ERROR);
    assert_int_equal(r.code, -32601);
    assert_string_equal(r.name, "");
    assert_string_equal(r.message, "method not found");
    assert_int_equal(reply_classify(r.code, r.name, r.message), STATS_REJ_OTHER);
    /* No error.message: data.message. */
    m = "{\"id\":3,\"error\":{\"code\":3030001,\"data\":{\"name\":\"duplicate_transaction\","
        "\"message\":\"duplicate transaction\"}}}";
    assert_int_equal(reply_parse(&r, m, strlen(m), err), 0);
    assert_int_equal(r.code, 3030001);
    assert_string_equal(r.message, "duplicate transaction");
    /* A protocol error has id null. */
    m = "{\"id\":null,\"error\":{\"code\":-32700,\"message\":\"Parse error: JSON line 1 column 2: "
        "end of file expected\"}}";
    assert_int_equal(reply_parse(&r, m, strlen(m), err), 0);
    assert_int_equal(r.kind, REPLY_ERROR);
    assert_false(r.has_id);
    assert_int_equal(r.code, -32700);
    assert_int_equal(reply_classify(r.code, r.name, r.message), STATS_REJ_OTHER);
    /* Long messages are cut at a character boundary. */
    {
        char big[1024];
        size_t n = 0;
        n += (size_t)snprintf(big, sizeof big, "{\"id\":5,\"error\":{\"code\":10,\"message\":\"a");
        for (int i = 0; i < 300; i++) {
            big[n++] = (char)0xC3;
            big[n++] = (char)0xA9; /* é */
        }
        n += (size_t)snprintf(big + n, sizeof big - n, "\",\"data\":{\"name\":\"%0100d\"}}}", 7);
        assert_int_equal(parse_exact(&r, big, n, err), 0);
        assert_int_equal(strlen(r.message), 255);
        assert_int_equal((unsigned char)r.message[253], 0xC3);
        assert_int_equal((unsigned char)r.message[254], 0xA9);
        assert_int_equal(strlen(r.name), 63);
    }
}

static void test_notices(void **state)
{
    (void)state;
    char err[ERR_LEN];
    struct reply r;
    const char *m;

    m = "{\"method\":\"notice\",\"params\":[7,[\"0000000a1b2c3d4e5f60718293a4b5c6d7e8f901\"]]}";
    assert_int_equal(parse_exact(&r, m, strlen(m), err), 0);
    assert_int_equal(r.kind, REPLY_NOTICE);
    assert_false(r.has_id);
    assert_int_equal(r.notice_cb, 7);
    m = "{\"jsonrpc\":\"2.0\",\"method\":\"notice\",\"params\":[123456789012,[{\"id\":\"ab\","
        "\"block_num\":5,\"trx_num\":0,\"trx\":{}}]]}";
    assert_int_equal(parse_exact(&r, m, strlen(m), err), 0);
    assert_int_equal(r.kind, REPLY_NOTICE);
    assert_int_equal(r.notice_cb, UINT64_C(123456789012));
}

static void test_malformed(void **state)
{
    (void)state;
    static const struct {
        const char *msg, *want;
    } bad[] = {
        {"", "reply: JSON"},
        {"[1,2]", "expected a JSON object, got array"},
        {"\"x\"", "expected a JSON object, got string"},
        {"5", "expected a JSON object"},
        {"null", "expected a JSON object"},
        {"{\"id\":-1,\"result\":null}", "id: out of range"},
        {"{\"id\":\"7\",\"result\":null}", "id must be a non-negative integer, got string"},
        {"{\"id\":1.5,\"result\":null}", "id must be a non-negative integer, got real"},
        {"{\"id\":2.0,\"result\":null}", "id must be a non-negative integer"},
        {"{\"id\":true,\"result\":null}", "id must be a non-negative integer"},
        {"{\"id\":9223372036854775808,\"result\":null}", "reply: JSON"},
        {"{\"id\":18446744073709551616,\"result\":null}", "reply: JSON"},
        {"{\"id\":99999999999999999999999999,\"result\":null}", "reply: JSON"},
        {"{\"id\":1,\"result\":null,\"error\":{\"code\":1}}", "both result and error"},
        {"{\"id\":null,\"result\":null}", "a result needs an id"},
        {"{\"result\":null}", "a result needs an id"},
        {"{\"error\":{\"code\":1,\"message\":\"x\"}}", "an error needs an id"},
        {"{\"id\":1,\"error\":\"boom\"}", "error must be an object, got string"},
        {"{\"id\":1,\"error\":{\"message\":\"x\"}}", "error.code must be an integer, got nothing"},
        {"{\"id\":1,\"error\":{\"code\":\"10\",\"message\":\"x\"}}",
         "error.code must be an integer, got string"},
        {"{\"id\":1}", "id without result or error"},
        {"{}", "not a result, error or notice"},
        {"{\"method\":\"call\",\"params\":[]}", "method call"},
        {"{\"method\":\"notice\"}", "notice params"},
        {"{\"method\":\"notice\",\"params\":[]}", "notice params"},
        {"{\"method\":\"notice\",\"params\":[\"7\",[]]}", "notice callback id must be"},
        {"{\"method\":\"notice\",\"params\":[-7,[]]}", "notice callback id: out of range"},
        {"{\"id\":1,\"result\":null}x", "reply: JSON"},
        {"{\"id\":1,\"result\":\"\\u0000\"}", "reply: JSON"},
    };
    char err[ERR_LEN];
    struct reply r;

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        if (parse_exact(&r, bad[i].msg, strlen(bad[i].msg), err) != -1)
            fail_msg("accepted %s", bad[i].msg);
        if (strstr(err, bad[i].want) == NULL)
            fail_msg("%s: error \"%s\" lacks \"%s\"", bad[i].msg, err, bad[i].want);
    }
    /* err may be NULL. */
    assert_int_equal(reply_parse(&r, "[]", 2, NULL), -1);
}

/* Every strict prefix of valid replies is refused (or, for the fast
 * path, never taken), never read past its end. */
static void test_truncated(void **state)
{
    (void)state;
    static const char *const full[] = {
        "{\"id\":123,\"jsonrpc\":\"2.0\",\"result\":null}",
        "{\"method\":\"notice\",\"params\":[7,[\"00000001\"]]}",
        ("{\"id\":42,\"error\":{\"code\":10,\"message\":\"Execution error: x\",\"data\":{\"code\":10,"
         "\"name\":\"assert_exception\",\"message\":\"Assert Exception\"}}}"),
    };
    char err[ERR_LEN];
    struct reply r;

    for (size_t i = 0; i < sizeof full / sizeof full[0]; i++) {
        size_t n = strlen(full[i]);
        assert_int_equal(parse_exact(&r, full[i], n, err), 0);
        for (size_t k = 0; k < n; k++) {
            if (parse_exact(&r, full[i], k, err) != -1)
                fail_msg("prefix %zu of %s accepted", k, full[i]);
        }
    }
}

/* A node's error text reaches terminals and events.log: control bytes,
 * bytes that are not UTF-8, C1 controls and bidi overrides are escaped,
 * printable text and valid UTF-8 kept; a long text is cut between whole
 * escapes and the classification still reads the words. */
static void check_escaped(const char *json_message, const char *want)
{
    char msg[1024], err[ERR_LEN];
    struct reply r;
    int n = snprintf(msg, sizeof msg, "{\"id\":5,\"error\":{\"code\":10,\"message\":\"%s\","
                     "\"data\":{\"code\":10,\"name\":\"a\\u001b[2Jb\"}}}", json_message);

    assert_int_equal(reply_parse(&r, msg, (size_t)n, err), 0);
    assert_string_equal(r.message, want);
    assert_string_equal(r.name, "a\\x1b[2Jb");
}

static void test_escaped(void **state)
{
    (void)state;
    check_escaped("plain text: ok", "plain text: ok");
    check_escaped("\\u001b]0;owned\\u0007 \\u001b[31mred", "\\x1b]0;owned\\x07 \\x1b[31mred");
    check_escaped("line1\\nline2\\r\\tx\\u0001y\\u007f", "line1\\nline2\\r\\tx\\x01y\\x7f");
    check_escaped("back\\\\slash", "back\\\\slash");
    check_escaped("caf\xc3\xa9 \xe2\x82\xac", "caf\xc3\xa9 \xe2\x82\xac"); /* UTF-8 kept */
    check_escaped("\\u009b2J \\u202eevil \\u2066", "\\u{009b}2J \\u{202e}evil \\u{2066}");
    /* (Bytes that are not UTF-8 never get here: Jansson refuses the reply.) */

    /* A long message of escapes is cut before a partial one. */
    char big[700], err[ERR_LEN], msg[1024];
    struct reply r;
    size_t k = 0;
    for (int i = 0; i < 100; i++) {
        memcpy(big + k, "\\u0001", 6);
        k += 6;
    }
    big[k] = '\0';
    int n = snprintf(msg, sizeof msg, "{\"id\":5,\"error\":{\"code\":10,\"message\":\"%s\"}}", big);
    assert_int_equal(reply_parse(&r, msg, (size_t)n, err), 0);
    assert_int_equal(strlen(r.message) % 4, 0);
    assert_true(strlen(r.message) >= sizeof r.message - 4);

    /* The words still classify. */
    n = snprintf(msg, sizeof msg, "{\"id\":5,\"error\":{\"code\":10,\"message\":"
                 "\"\\u001b[0m trx.ref_block_prefix == ...\"}}");
    assert_int_equal(reply_parse(&r, msg, (size_t)n, err), 0);
    assert_int_equal(reply_classify(r.code, r.name, r.message), STATS_REJ_TAPOS);
}

static void test_classify_rules(void **state)
{
    (void)state;
    /* Names beat codes: an old chain's tx_missing_active_auth at 3030001. */
    assert_int_equal(reply_classify(3030001, "tx_missing_active_auth", "Missing Active Authority"),
                     STATS_REJ_MISSING_SIG);
    assert_int_equal(reply_classify(3030007, "insufficient_fee", ""), STATS_REJ_FEE);
    assert_int_equal(reply_classify(3030002, "tx_missing_owner_auth", NULL), STATS_REJ_MISSING_SIG);
    assert_int_equal(reply_classify(0, "tx_missing_other_auth", NULL), STATS_REJ_MISSING_SIG);
    /* Codes alone, without a name. */
    assert_int_equal(reply_classify(3030001, NULL, NULL), STATS_REJ_DUPLICATE);
    assert_int_equal(reply_classify(4010001, "", ""), STATS_REJ_MISSING_SIG);
    assert_int_equal(reply_classify(4010002, "", ""), STATS_REJ_MISSING_SIG);
    assert_int_equal(reply_classify(4010003, "", ""), STATS_REJ_MISSING_SIG);
    assert_int_equal(reply_classify(4010004, "", ""), STATS_REJ_IRRELEVANT_SIG);
    assert_int_equal(reply_classify(4010005, "", ""), STATS_REJ_IRRELEVANT_SIG);
    assert_int_equal(reply_classify(4010006, "", ""), STATS_REJ_OTHER);
    assert_int_equal(reply_classify(4010007, "", ""), STATS_REJ_FEE);
    /* An unknown name: the message decides, case-insensitively. */
    assert_int_equal(reply_classify(10, "assert_exception", "TAPOS check failed"), STATS_REJ_TAPOS);
    assert_int_equal(reply_classify(10, "assert_exception", "X: REF_BLOCK_PREFIX"), STATS_REJ_TAPOS);
    assert_int_equal(reply_classify(10, "assert_exception", "now <= TRX.EXPIRATION: "),
                     STATS_REJ_EXPIRED);
    assert_int_equal(reply_classify(10, "assert_exception", "the expiration is wrong"),
                     STATS_REJ_OTHER);
    assert_int_equal(reply_classify(1, "", "Maximum Transaction Size exceeded"), STATS_REJ_SIZE);
    assert_int_equal(reply_classify(1, "", "x <= maximum_transaction_size"), STATS_REJ_SIZE);
    assert_int_equal(reply_classify(1, "", "Insufficient Balance"), STATS_REJ_BALANCE);
    assert_int_equal(reply_classify(1, "", "insufficient fee"), STATS_REJ_FEE);
    assert_int_equal(reply_classify(1, "", "server busy"), STATS_REJ_BUSY);
    assert_int_equal(reply_classify(1, "", "PENDING QUEUE is full"), STATS_REJ_BUSY);
    /* The account name in a balance message cannot make it "busy". */
    assert_int_equal(reply_classify(10, "assert_exception",
                                    "Insufficient Balance: 1 TEST, unable to transfer from "
                                    "account 'busybee' to 'bob'"),
                     STATS_REJ_BALANCE);
    assert_int_equal(reply_classify(-32700, "", "Parse error"), STATS_REJ_OTHER);
    assert_int_equal(reply_classify(0, NULL, NULL), STATS_REJ_OTHER);
    assert_int_equal(reply_classify(0, "", "tapo"), STATS_REJ_OTHER);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fast_equals_full_generated),
        cmocka_unit_test(test_fast_declines),
        cmocka_unit_test(test_node_errors_classified),
        cmocka_unit_test(test_error_shapes),
        cmocka_unit_test(test_notices),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_classify_rules),
        cmocka_unit_test(test_escaped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
