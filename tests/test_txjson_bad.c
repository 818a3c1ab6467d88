/* test_txjson_bad.c - JSON transactions the parser must reject, each with
 * its exact message (JSON path first), and variants it must accept as the
 * node does. */
#include "txjson_texts.h"

/* text with the first occurrence of from replaced by to; free the result. */
static char *subst(const char *text, const char *from, const char *to)
{
    const char *at = strstr(text, from);
    size_t n = strlen(text) - strlen(from) + strlen(to) + 1;
    char *out = malloc(n);

    if (at == NULL)
        fail_msg("\"%s\" not in the template", from);
    assert_non_null(out);
    snprintf(out, n, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
    return out;
}

static void expect_json_error(const char *tmpl, const char *from, const char *to, const char *msg)
{
    char *text = subst(tmpl, from, to);
    struct jv *v = parse_text(text);
    struct tx tx;
    char err[ERR_LEN] = "";

    tx_init(&tx);
    if (txjson_parse(&tx, v, err) == 0)
        fail_msg("accepted: %s", text);
    /* A message ending in ": " is a prefix (the rest is another module's). */
    if (msg[strlen(msg) - 1] == ' ' ? strncmp(err, msg, strlen(msg)) != 0 : strcmp(err, msg) != 0)
        fail_msg("%s\n  got  \"%s\"\n  want \"%s\"", text, err, msg);
    assert_int_equal(tx.nops, 0);
    tx_clear(&tx);
    jv_free(v);
    free(text);
}

static void expect_json_ok(const char *tmpl, const char *from, const char *to)
{
    char *text = subst(tmpl, from, to);
    struct tx tx;

    tx_init(&tx);
    parse_tx(&tx, text);
    tx_clear(&tx);
    free(text);
}

/* Parses the substituted text and compares its packing with the original. */
static void expect_json_same(const char *tmpl, const char *from, const char *to)
{
    char *text = subst(tmpl, from, to);
    struct tx a, b;
    size_t n, m;
    uint8_t *pa, *pb;

    tx_init(&a);
    tx_init(&b);
    parse_tx(&a, tmpl);
    parse_tx(&b, text);
    pa = pack(&a, true, &n);
    pb = pack(&b, true, &m);
    assert_int_equal(n, m);
    assert_memory_equal(pa, pb, n);
    free(pa);
    free(pb);
    tx_clear(&a);
    tx_clear(&b);
    free(text);
}

static void test_bad_ids(void **state)
{
    (void)state;
    const char *t = transfer_signed_text;

    expect_json_error(t, "\"1.2.1000\"", "\"1.2.x\"",
                      "operations[0][1].from: malformed id \"1.2.x\"");
    expect_json_error(t, "\"1.2.1000\"", "\"1.2.\"", "operations[0][1].from: malformed id \"1.2.\"");
    expect_json_error(t, "\"1.2.1000\"", "\"1.2\"", "operations[0][1].from: malformed id \"1.2\"");
    expect_json_error(t, "\"1.2.1000\"", "\"1.2.3.4\"",
                      "operations[0][1].from: malformed id \"1.2.3.4\"");
    expect_json_error(t, "\"1.2.1000\"", "\"\"", "operations[0][1].from: malformed id \"\"");
    expect_json_error(t, "\"1.2.1000\"", "\"1.3.5\"",
                      "operations[0][1].from: expected an id 1.2.N, got \"1.3.5\"");
    expect_json_error(t, "\"1.2.1000\"", "\"1.2.-1\"",
                      "operations[0][1].from: malformed id \"1.2.-1\"");
    expect_json_error(t, "\"1.2.1000\"", "\"01.2.3\"",
                      "operations[0][1].from: malformed id \"01.2.3\"");
    expect_json_error(t, "\"1.2.1000\"", "\"1.2.01\"",
                      "operations[0][1].from: malformed id \"1.2.01\"");
    expect_json_error(t, "\"1.2.1000\"", "\" 1.2.3\"",
                      "operations[0][1].from: malformed id \" 1.2.3\"");
    expect_json_error(t, "\"1.2.1001\"", "\"1.2.281474976710656\"",
                      "operations[0][1].to: id instance in \"1.2.281474976710656\" exceeds 2^48-1");
    expect_json_error(t, "\"1.2.1001\"", "\"1.2.99999999999999999999999\"",
                      "operations[0][1].to: id instance in \"1.2.99999999999999999999999\" "
                      "exceeds 2^48-1");
    expect_json_error(t, "\"asset_id\":\"1.3.0\"", "\"asset_id\":\"1.2.0\"",
                      "operations[0][1].fee.asset_id: expected an id 1.3.N, got \"1.2.0\"");
    expect_json_error(t, "\"1.2.1000\"", "1000",
                      "operations[0][1].from: expected an id string, got integer");
    /* The largest instance is fine, and "0" is not a leading zero. */
    expect_json_ok(t, "\"1.2.1000\"", "\"1.2.281474976710655\"");
    expect_json_ok(t, "\"1.2.1000\"", "\"1.2.0\"");
}

static void test_bad_numbers(void **state)
{
    (void)state;
    const char *t = transfer_signed_text;

    expect_json_error(t, "12345", "\"9223372036854775808\"",
                      "operations[0][1].amount.amount: out of range [-9223372036854775808, "
                      "9223372036854775807]: 9223372036854775808");
    expect_json_error(t, "12345", "1e30",
                      "operations[0][1].amount.amount: out of range [-9223372036854775808, "
                      "9223372036854775807]: 1e+30");
    expect_json_error(t, "12345", "1.5",
                      "operations[0][1].amount.amount: expected an integer, got real 1.5");
    expect_json_error(t, "86869", "\"12a\"",
                      "operations[0][1].fee.amount: expected an integer, got string \"12a\"");
    expect_json_error(t, "24182", "65536", "ref_block_num: out of range [0, 65535]: 65536");
    expect_json_error(t, "24182", "-1", "ref_block_num: out of range [0, 65535]: -1");
    expect_json_error(t, "24182", "\"x\"", "ref_block_num: expected an integer, got string \"x\"");
    expect_json_error(t, "1003363932", "4294967296",
                      "ref_block_prefix: out of range [0, 4294967295]: 4294967296");
    /* Strings and numbers are the same to the node. */
    expect_json_same(t, "12345", "\"12345\"");
    expect_json_same(t, "1003363932", "\"1003363932\"");
    expect_json_error(t, "\"2030-01-01T00:00:00\"", "\"2030-02-30T00:00:00\"",
                      "expiration: time 2030-02-30T00:00:00 is not a valid date and time");
    expect_json_error(t, "\"2030-01-01T00:00:00\"", "1893456000",
                      "expiration: expected a time string, got integer");
    expect_json_same(t, "\"2030-01-01T00:00:00\"", "\"2030-01-01T00:00:00Z\"");
}

static void test_bad_signatures(void **state)
{
    (void)state;
    const char *t = transfer_signed_text;

    expect_json_error(t, "1f4a02", "1f4x02", "signatures[0]: non-hex character at offset 3");
    expect_json_error(t, TRANSFER_SIG, &transfer_sig[2],
                      "signatures[0]: expected 130 hex characters, got 128");
    expect_json_error(t, TRANSFER_SIG, TRANSFER_SIG "00",
                      "signatures[0]: expected 130 hex characters, got 132");
    expect_json_error(t, "\"" TRANSFER_SIG "\"", "\"" TRANSFER_SIG "\",5",
                      "signatures[1]: expected a hex string, got integer");
    expect_json_error(t, "[\"" TRANSFER_SIG "\"]", "\"x\"",
                      "signatures: expected an array, got string");
    /* Uppercase hex is hex. */
    expect_json_same(t, "1f4a02", "1F4A02");
}

static void test_bad_structure(void **state)
{
    (void)state;
    const char *t = transfer_signed_text;

    expect_json_error(t, "\"fee\":", "\"fie\":", "operations[0][1].fee: missing");
    expect_json_error(t, "\"expiration\":", "\"expirationX\":", "expiration: missing");
    expect_json_error(t, "\"operations\":", "\"ops\":", "operations: missing");
    expect_json_error(t, "\"asset_id\":\"1.3.0\"},\"extensions\"",
                      "\"asset\":\"1.3.0\"},\"extensions\"",
                      "operations[0][1].amount.asset_id: missing");
    expect_json_error(t, "\"operations\":[", "\"operations\":{},\"x\":[",
                      "operations: expected an array, got object");
    expect_json_error(t, "[[0,{", "[[0,[]],[0,{", "operations[0][1]: expected an object, got array");
    expect_json_error(t, "[[0,{", "[[0,{},1],[0,{",
                      "operations[0]: expected [tag, operation], got 3 elements");
    expect_json_error(t, "[[0,{", "[[{", "operations[0]: expected [tag, operation], got 1 elements");
    expect_json_error(t, "[[0,{", "[7,[0,{", "operations[0]: expected an array [tag, operation], "
                                            "got integer");
    expect_json_error(t, "[[0,{", "[[2,{", "operations[0][0]: unsupported operation tag 2");
    expect_json_error(t, "[[0,{", "[[-1,{",
                      "operations[0][0]: out of range [0, 18446744073709551615]: -1");
    expect_json_error(t, "[[0,{", "[[\"vote\",{", "operations[0][0]: unsupported operation \"vote\"");
    expect_json_same(t, "[[0,{", "[[\"transfer_operation\",{");
    expect_json_error(t, "{\"amount\":86869,\"asset_id\":\"1.3.0\"}", "[\"amount\",86869]",
                      "operations[0][1].fee: expected an object, got array");
    /* extensions */
    expect_json_error(t, "\"extensions\":[]}]]", "\"extensions\":[1]}]]",
                      "operations[0][1].extensions: non-empty extensions are not supported");
    expect_json_error(t, "]],\"extensions\":[]", "]],\"extensions\":[[0,{}]]",
                      "extensions: non-empty extensions are not supported");
    expect_json_error(t, "]],\"extensions\":[]", "]],\"extensions\":null",
                      "extensions: expected an array, got null");
    expect_json_same(t, "]],\"extensions\":[],", "]],");
    /* unknown keys are ignored, as fc does */
    expect_json_same(t, "\"from\":", "\"memo_x\":1,\"from\":");
    expect_json_same(t, "\"signatures\":", "\"extra\":{\"a\":[1]},\"signatures\":");
}

static void test_root_not_object(void **state)
{
    (void)state;
    struct jv *v = parse_text("[1]");
    struct tx tx;
    char err[ERR_LEN];

    tx_init(&tx);
    assert_int_equal(txjson_parse(&tx, v, err), -1);
    assert_string_equal(err, "transaction: expected an object, got array");
    jv_free(v);
    tx_clear(&tx);
}

static void test_limit_order_input(void **state)
{
    (void)state;
    const char *t = limit_order_text;
    char *signed_lo = subst(limit_order_text, "\"extensions\":[]}", "\"extensions\":[],"
                                                                    "\"signatures\":[]}");

    /* extensions: {}, [], null or missing are all "nothing set" */
    expect_json_same(signed_lo, "\"extensions\":{}", "\"extensions\":[]");
    expect_json_same(signed_lo, "\"extensions\":{}", "\"extensions\":null");
    expect_json_same(signed_lo, "\"extensions\":{}", "\"x\":{}");
    expect_json_error(t, "\"extensions\":{}", "\"extensions\":[1]",
                      "operations[0][1].extensions: non-empty extensions are not supported");
    expect_json_error(t, "\"extensions\":{}", "\"extensions\":{\"on_fill\":[]}",
                      "operations[0][1].extensions: non-empty extensions are not supported");
    expect_json_error(t, "\"extensions\":{}", "\"extensions\":\"x\"",
                      "operations[0][1].extensions: expected an object, array or null, got "
                      "string");
    expect_json_error(t, "\"fill_or_kill\":false", "\"fill_or_kill\":0",
                      "operations[0][1].fill_or_kill: expected true or false, got integer");
    expect_json_error(t, "\"fill_or_kill\":false", "\"fill_or_kll\":false",
                      "operations[0][1].fill_or_kill: missing");
    expect_json_error(t, "\"2030-06-01T12:00:00\"", "\"2030-06-01\"",
                      "operations[0][1].expiration: time must be YYYY-MM-DDTHH:MM:SS");
    expect_json_error(t, "\"seller\":\"1.2.1000\"", "\"seller\":\"1.3.1000\"",
                      "operations[0][1].seller: expected an id 1.2.N, got \"1.3.1000\"");
    expect_json_error(t, "\"amount\":777", "\"amount\":{}",
                      "operations[0][1].min_to_receive.amount: expected an integer, got object");
    expect_json_same(signed_lo, "\"fill_or_kill\":false", "\"fill_or_kill\":false");
    free(signed_lo);
}

static void test_memo_input(void **state)
{
    (void)state;
    const char *t = python_memo_text;

    expect_json_same(transfer_signed_text, "\"extensions\":[]}]]", "\"memo\":null,"
                                                                  "\"extensions\":[]}]]");
    expect_json_error(t, "\"message\":\"fa5b", "\"message\":\"a5b",
                      "operations[0][1].memo.message: odd number of hex characters (63)");
    expect_json_error(t, "\"message\":\"fa5b", "\"message\":\"zz5b",
                      "operations[0][1].memo.message: non-hex character at offset 0");
    expect_json_error(t, "\"nonce\":\"5862723643998573708\"", "\"nonce\":-5",
                      "operations[0][1].memo.nonce: out of range [0, 18446744073709551615]: -5");
    expect_json_error(t, "\"message\":", "\"msg\":", "operations[0][1].memo.message: missing");
    expect_json_error(t, "\"memo\":{", "\"memo\":[],\"x\":{",
                      "operations[0][1].memo: expected an object or null, got array");
    expect_json_error(t, "\"from\":\"BTS6MRy", "\"from\":\"BTS7MRy", "operations[0][1].memo.from: ");
    expect_json_error(t, "\"from\":\"BTS6MRy", "\"from\":5,\"x\":\"",
                      "operations[0][1].memo.from: expected a public key string, got integer");
    /* any prefix is taken */
    expect_json_same(t, "\"from\":\"BTS6MRy", "\"from\":\"TEST6MRy");
    expect_json_same(t, "\"nonce\":\"5862723643998573708\"", "\"nonce\":5862723643998573708");
    expect_json_same(t, "\"message\":\"fa5b", "\"message\":\"FA5b");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_ids),
        cmocka_unit_test(test_bad_numbers),
        cmocka_unit_test(test_bad_signatures),
        cmocka_unit_test(test_bad_structure),
        cmocka_unit_test(test_root_not_object),
        cmocka_unit_test(test_limit_order_input),
        cmocka_unit_test(test_memo_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
