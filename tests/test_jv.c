/* test_jv.c - the JSON reader: parse errors with positions, depth limit,
 * integer rules, access helpers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "err.h"
#include "jv.h"

static struct jv *parse(const char *text, char *err)
{
    return jv_parse(text, strlen(text), JV_MAX_DEPTH, err);
}

static void expect_parse_error(const char *text, const char *msg)
{
    char err[ERR_LEN] = "";
    struct jv *v = parse(text, err);

    if (v != NULL) {
        jv_free(v);
        fail_msg("parsed %s", text);
    }
    if (strstr(err, msg) == NULL)
        fail_msg("error \"%s\" lacks \"%s\"", err, msg);
}

static void test_parse_basic(void **state)
{
    (void)state;
    char err[ERR_LEN];
    struct jv *v = parse("{\"a\":1,\"b\":[true,false,null,\"x\",2.5],\"c\":{}}", err);
    const struct jv *b;
    size_t len;

    assert_non_null(v);
    assert_int_equal(jv_type(v), JV_OBJECT);
    assert_int_equal(jv_len(v), 3);
    assert_int_equal(jv_type(jv_get(v, "a")), JV_INT);
    b = jv_get(v, "b");
    assert_int_equal(jv_len(b), 5);
    assert_int_equal(jv_type(jv_at(b, 0)), JV_TRUE);
    assert_int_equal(jv_type(jv_at(b, 1)), JV_FALSE);
    assert_int_equal(jv_type(jv_at(b, 2)), JV_NULL);
    assert_string_equal(jv_str(jv_at(b, 3), &len), "x");
    assert_int_equal(len, 1);
    assert_int_equal(jv_type(jv_at(b, 4)), JV_REAL);
    assert_null(jv_at(b, 5));
    assert_int_equal(jv_type(jv_get(v, "c")), JV_OBJECT);
    assert_int_equal(jv_len(jv_get(v, "c")), 0);
    /* Wrong-type access answers NULL or 0, never crashes. */
    assert_null(jv_get(b, "a"));
    assert_null(jv_at(v, 0));
    assert_null(jv_str(v, NULL));
    assert_int_equal(jv_len(jv_get(v, "a")), 0);
    assert_null(jv_get(v, "missing"));
    assert_string_equal(jv_type_name(jv_get(v, "a")), "integer");
    assert_string_equal(jv_type_name(b), "array");
    assert_string_equal(jv_type_name(NULL), "nothing");
    jv_free(v);
    jv_free(NULL);

    /* A bare scalar is a document too. */
    v = parse(" \"s\" ", err);
    assert_non_null(v);
    assert_string_equal(jv_str(v, NULL), "s");
    jv_free(v);
}

static void test_iteration_order_and_duplicates(void **state)
{
    (void)state;
    char err[ERR_LEN];
    struct jv *v = parse("{\"z\":1,\"a\":2,\"m\":3,\"a\":4}", err);
    struct jv_iter it = {0};
    const char *key, *order[3] = {"z", "a", "m"};
    const struct jv *x;
    int64_t i;
    size_t n = 0;

    assert_non_null(v);
    while ((x = jv_iter_next(v, &it, &key)) != NULL) {
        assert_true(n < 3);
        assert_string_equal(key, order[n]);
        n++;
    }
    assert_int_equal(n, 3);
    /* fc keeps the last of duplicate keys. */
    assert_int_equal(jv_int64(jv_get(v, "a"), INT64_MIN, INT64_MAX, &i, err), 0);
    assert_int_equal(i, 4);
    /* Iterating a non-object yields nothing. */
    memset(&it, 0, sizeof it);
    assert_null(jv_iter_next(jv_get(v, "z"), &it, &key));
    jv_free(v);
}

static void test_parse_errors(void **state)
{
    (void)state;
    expect_parse_error("[1,", "JSON line 1 column 3:");
    expect_parse_error("{\"a\":\n  tru}", "JSON line 2 column ");
    expect_parse_error("1 2", "end of file expected");
    expect_parse_error("", "JSON line 1 column 0:");
    expect_parse_error("123456789012345678901234", "too big integer");
    expect_parse_error("-9223372036854775809", "too big negative integer");
    expect_parse_error("\"a\\u0000b\"", "\\u0000 is not allowed");
    expect_parse_error("{\"a\":1,}", "JSON line 1 column 8:");
    expect_parse_error("\"\xff\"", "unable to decode byte 0xff");
}

static char *nested(int depth, bool objects)
{
    char *s = malloc((size_t)depth * 6 + 8);
    size_t n = 0;

    assert_non_null(s);
    for (int i = 0; i < depth; i++) {
        if (objects) {
            memcpy(s + n, "{\"k\":", 5);
            n += 5;
        } else {
            s[n++] = '[';
        }
    }
    s[n++] = '0';
    for (int i = 0; i < depth; i++)
        s[n++] = objects ? '}' : ']';
    s[n] = '\0';
    return s;
}

static void test_depth_limit(void **state)
{
    (void)state;
    char err[ERR_LEN];

    for (int objects = 0; objects < 2; objects++) {
        char *ok = nested(JV_MAX_DEPTH, objects), *bad = nested(JV_MAX_DEPTH + 1, objects);
        struct jv *v = parse(ok, err);

        assert_non_null(v);
        jv_free(v);
        assert_null(parse(bad, err));
        assert_string_equal(err, "JSON nesting deeper than 250 levels");
        free(ok);
        free(bad);
    }
    /* Beyond jansson's own limit the parser stops early with a position. */
    {
        char *deep = nested(5000, false);

        assert_null(parse(deep, err));
        assert_non_null(strstr(err, "maximum parsing depth reached"));
        free(deep);
    }
    /* The limit is the caller's. */
    {
        struct jv *v = jv_parse("[[1]]", 5, 1, err);

        assert_null(v);
        assert_string_equal(err, "JSON nesting deeper than 1 levels");
        v = jv_parse("[[1]]", 5, 2, err);
        assert_non_null(v);
        jv_free(v);
    }
}

static void expect_int(const char *text, int64_t min, int64_t max, int64_t want)
{
    char err[ERR_LEN];
    struct jv *v = parse(text, err);
    int64_t got = 0;

    assert_non_null(v);
    if (jv_int64(v, min, max, &got, err) < 0)
        fail_msg("%s: %s", text, err);
    assert_true(got == want);
    jv_free(v);
}

static void expect_int_error(const char *text, int64_t min, int64_t max, const char *msg)
{
    char err[ERR_LEN];
    struct jv *v = parse(text, err);
    int64_t got = 42;

    assert_non_null(v);
    assert_int_equal(jv_int64(v, min, max, &got, err), -1);
    assert_true(got == 42);
    if (strcmp(err, msg) != 0)
        fail_msg("%s: got \"%s\", want \"%s\"", text, err, msg);
    jv_free(v);
}

static void test_int64(void **state)
{
    (void)state;
    expect_int("12", INT64_MIN, INT64_MAX, 12);
    expect_int("-12", INT64_MIN, INT64_MAX, -12);
    expect_int("\"12\"", INT64_MIN, INT64_MAX, 12);
    expect_int("\"-12\"", INT64_MIN, INT64_MAX, -12);
    expect_int("\"-0\"", INT64_MIN, INT64_MAX, 0);
    expect_int("9223372036854775807", INT64_MIN, INT64_MAX, INT64_MAX);
    expect_int("-9223372036854775808", INT64_MIN, INT64_MAX, INT64_MIN);
    expect_int("\"9223372036854775807\"", INT64_MIN, INT64_MAX, INT64_MAX);
    expect_int("\"-9223372036854775808\"", INT64_MIN, INT64_MAX, INT64_MIN);
    expect_int("3.0", INT64_MIN, INT64_MAX, 3);
    expect_int("-4e3", INT64_MIN, INT64_MAX, -4000);
    expect_int("5", 5, 5, 5);

    expect_int_error("\"9223372036854775808\"", INT64_MIN, INT64_MAX,
                     "out of range [-9223372036854775808, 9223372036854775807]: "
                     "9223372036854775808");
    expect_int_error("\"-9223372036854775809\"", INT64_MIN, INT64_MAX,
                     "out of range [-9223372036854775808, 9223372036854775807]: "
                     "-9223372036854775809");
    expect_int_error("\"99999999999999999999999\"", INT64_MIN, INT64_MAX,
                     "out of range [-9223372036854775808, 9223372036854775807]: "
                     "99999999999999999999999");
    expect_int_error("1e30", INT64_MIN, INT64_MAX,
                     "out of range [-9223372036854775808, 9223372036854775807]: 1e+30");
    expect_int_error("9223372036854775808.0", INT64_MIN, INT64_MAX,
                     "out of range [-9223372036854775808, 9223372036854775807]: "
                     "9.2233720368547758e+18");
    expect_int_error("6", 0, 5, "out of range [0, 5]: 6");
    expect_int_error("\"-1\"", 0, 5, "out of range [0, 5]: -1");
    expect_int_error("2.5", INT64_MIN, INT64_MAX, "expected an integer, got real 2.5");
    expect_int_error("\"\"", INT64_MIN, INT64_MAX, "expected an integer, got string \"\"");
    expect_int_error("\"-\"", INT64_MIN, INT64_MAX, "expected an integer, got string \"-\"");
    expect_int_error("\"+1\"", INT64_MIN, INT64_MAX, "expected an integer, got string \"+1\"");
    expect_int_error("\" 1\"", INT64_MIN, INT64_MAX, "expected an integer, got string \" 1\"");
    expect_int_error("\"1e3\"", INT64_MIN, INT64_MAX, "expected an integer, got string \"1e3\"");
    expect_int_error("\"0x10\"", INT64_MIN, INT64_MAX,
                     "expected an integer, got string \"0x10\"");
    expect_int_error("{}", INT64_MIN, INT64_MAX, "expected an integer, got object");
    expect_int_error("[]", INT64_MIN, INT64_MAX, "expected an integer, got array");
    expect_int_error("null", INT64_MIN, INT64_MAX, "expected an integer, got null");
    expect_int_error("true", INT64_MIN, INT64_MAX, "expected an integer, got boolean");
    /* Long strings are cut in messages. */
    expect_int_error("\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"", INT64_MIN, INT64_MAX,
                     "expected an integer, got string "
                     "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...\"");
    {
        char err[ERR_LEN];
        int64_t x;

        assert_int_equal(jv_int64(NULL, 0, 1, &x, err), -1);
        assert_string_equal(err, "expected an integer, got nothing");
    }
}

static void test_uint64(void **state)
{
    (void)state;
    char err[ERR_LEN];
    uint64_t u = 7;
    struct jv *v = parse("[\"18446744073709551615\",\"18446744073709551616\",-1,\"-0\",65535,"
                         "65536,1.5,\"12\",4294967295]",
                         err);

    assert_non_null(v);
    assert_int_equal(jv_uint64(jv_at(v, 0), UINT64_MAX, &u, err), 0);
    assert_true(u == UINT64_MAX);
    assert_int_equal(jv_uint64(jv_at(v, 1), UINT64_MAX, &u, err), -1);
    assert_string_equal(err, "out of range [0, 18446744073709551615]: 18446744073709551616");
    assert_int_equal(jv_uint64(jv_at(v, 2), UINT64_MAX, &u, err), -1);
    assert_string_equal(err, "out of range [0, 18446744073709551615]: -1");
    assert_int_equal(jv_uint64(jv_at(v, 3), UINT64_MAX, &u, err), 0);
    assert_true(u == 0);
    assert_int_equal(jv_uint64(jv_at(v, 4), UINT16_MAX, &u, err), 0);
    assert_true(u == 65535);
    assert_int_equal(jv_uint64(jv_at(v, 5), UINT16_MAX, &u, err), -1);
    assert_string_equal(err, "out of range [0, 65535]: 65536");
    assert_int_equal(jv_uint64(jv_at(v, 6), UINT64_MAX, &u, err), -1);
    assert_string_equal(err, "expected an integer, got real 1.5");
    assert_int_equal(jv_uint64(jv_at(v, 7), UINT64_MAX, &u, err), 0);
    assert_true(u == 12);
    assert_int_equal(jv_uint64(jv_at(v, 8), UINT32_MAX, &u, err), 0);
    assert_true(u == UINT32_MAX);
    assert_int_equal(jv_uint64(v, UINT64_MAX, &u, err), -1);
    assert_string_equal(err, "expected an integer, got array");
    jv_free(v);
}

static void test_bool(void **state)
{
    (void)state;
    char err[ERR_LEN];
    bool b = false;
    struct jv *v = parse("[true,false,1,\"true\",null]", err);

    assert_non_null(v);
    assert_int_equal(jv_bool(jv_at(v, 0), &b, err), 0);
    assert_true(b);
    assert_int_equal(jv_bool(jv_at(v, 1), &b, err), 0);
    assert_false(b);
    assert_int_equal(jv_bool(jv_at(v, 2), &b, err), -1);
    assert_string_equal(err, "expected true or false, got integer");
    assert_int_equal(jv_bool(jv_at(v, 3), &b, err), -1);
    assert_string_equal(err, "expected true or false, got string");
    assert_int_equal(jv_bool(jv_at(v, 4), &b, err), -1);
    assert_string_equal(err, "expected true or false, got null");
    assert_int_equal(jv_bool(NULL, &b, err), -1);
    assert_string_equal(err, "expected true or false, got nothing");
    jv_free(v);
}

static void test_length_not_nul(void **state)
{
    (void)state;
    char err[ERR_LEN];
    /* Only len bytes are read: the text need not be NUL-terminated. */
    const char text[] = {'[', '1', ']', 'x', 'x'};
    struct jv *v = jv_parse(text, 3, JV_MAX_DEPTH, err);
    int64_t i;

    assert_non_null(v);
    assert_int_equal(jv_int64(jv_at(v, 0), 0, 9, &i, err), 0);
    assert_int_equal(i, 1);
    jv_free(v);
    /* A raw NUL byte in the text is an error, not an early end. */
    assert_null(jv_parse("[1]\0", 4, JV_MAX_DEPTH, err));
    assert_null(jv_parse("\"a\0b\"", 5, JV_MAX_DEPTH, err));
}

/* Measurements (not amounts) read as doubles: integers and reals. */
static void test_jv_double(void **state)
{
    (void)state;
    char err[ERR_LEN];
    const char *text = "{\"a\":1.005,\"b\":12,\"c\":\"x\",\"d\":-2.5e3}";
    struct jv *v = jv_parse(text, strlen(text), JV_MAX_DEPTH, err);
    double d;

    assert_non_null(v);
    assert_int_equal(jv_double(jv_get(v, "a"), &d, err), 0);
    assert_true(d == 1.005);
    assert_int_equal(jv_double(jv_get(v, "b"), &d, err), 0);
    assert_true(d == 12.0);
    assert_int_equal(jv_double(jv_get(v, "d"), &d, err), 0);
    assert_true(d == -2500.0);
    assert_int_equal(jv_double(jv_get(v, "c"), &d, err), -1);
    assert_non_null(strstr(err, "expected a number, got string"));
    assert_int_equal(jv_double(jv_get(v, "missing"), &d, err), -1);
    jv_free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_basic),
        cmocka_unit_test(test_iteration_order_and_duplicates),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_depth_limit),
        cmocka_unit_test(test_int64),
        cmocka_unit_test(test_uint64),
        cmocka_unit_test(test_bool),
        cmocka_unit_test(test_length_not_nul),
        cmocka_unit_test(test_jv_double),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
