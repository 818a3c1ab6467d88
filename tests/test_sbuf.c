/* test_sbuf.c - the string builder: growable and fixed modes, number and
 * hex formatting, JSON string escaping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "err.h"
#include "jv.h"
#include "sbuf.h"

static void test_sbuf_growable(void **state)
{
    (void)state;
    struct sbuf s;

    sbuf_init(&s);
    assert_null(s.buf);
    sbuf_add_u64(&s, 0);
    sbuf_addc(&s, ' ');
    sbuf_add_u64(&s, UINT64_MAX);
    sbuf_addc(&s, ' ');
    sbuf_add_i64(&s, INT64_MIN);
    sbuf_addc(&s, ' ');
    sbuf_add_i64(&s, INT64_MAX);
    sbuf_addc(&s, ' ');
    sbuf_add_i64(&s, -7);
    sbuf_addf(&s, " %s=%d", "x", 42);
    sbuf_addc(&s, ' ');
    sbuf_add_hex(&s, (const uint8_t *)"\x00\xab\xff", 3);
    assert_string_equal(s.buf, "0 18446744073709551615 -9223372036854775808 "
                               "9223372036854775807 -7 x=42 00abff");
    assert_int_equal(s.len, strlen(s.buf));
    for (int i = 0; i < 10000; i++)
        sbuf_adds(&s, "abc");
    assert_int_equal(s.len, 78 + 30000);
    assert_false(s.overflow);
    sbuf_reset(&s);
    assert_int_equal(s.len, 0);
    assert_string_equal(s.buf, "");
    sbuf_free(&s);
    assert_null(s.buf);
    sbuf_free(&s);
}

static void test_sbuf_fixed(void **state)
{
    (void)state;
    char buf[8];
    struct sbuf s;

    sbuf_init_fixed(&s, buf, sizeof buf);
    assert_string_equal(buf, "");
    sbuf_adds(&s, "abcd");
    sbuf_add_u64(&s, 123);
    assert_string_equal(buf, "abcd123");
    assert_false(s.overflow);
    sbuf_addc(&s, 'x'); /* the NUL needs the last byte */
    assert_true(s.overflow);
    assert_string_equal(buf, "abcd123");
    sbuf_reset(&s);
    sbuf_adds(&s, "0123456789");
    assert_true(s.overflow);
    assert_string_equal(buf, "0123456");
    /* sticky: a short write after an overflow adds nothing */
    sbuf_addc(&s, 'y');
    assert_string_equal(buf, "0123456");
    sbuf_reset(&s);
    sbuf_addf(&s, "%d-%s", 12345, "abcdef");
    assert_true(s.overflow);
    assert_string_equal(buf, "12345-a");
    assert_int_equal(s.len, 7);
    sbuf_reset(&s);
    sbuf_add_hex(&s, (const uint8_t *)"\x01\x02\x03\x04", 4);
    assert_true(s.overflow);
    assert_string_equal(buf, "010203");
    sbuf_free(&s); /* no-op for fixed storage */
    assert_ptr_equal(s.buf, buf);
}

static void test_sbuf_json_str(void **state)
{
    (void)state;
    struct sbuf s;

    sbuf_init(&s);
    sbuf_add_json_str(&s, "a\"b\\c\n\t\r\b\f\x01\x1f\x7f\xc3\xa9", 15);
    assert_string_equal(s.buf, "\"a\\\"b\\\\c\\n\\t\\r\\b\\f\\u0001\\u001f\x7f\xc3\xa9\"");
    sbuf_reset(&s);
    sbuf_add_json_str(&s, "x\0y", 3);
    assert_string_equal(s.buf, "\"x\\u0000y\"");
    sbuf_reset(&s);
    sbuf_add_json_str(&s, "", 0);
    assert_string_equal(s.buf, "\"\"");
    /* what it writes, jansson reads back */
    {
        const char raw[] = "q\"\\\n\x02z";
        struct jv *v;
        size_t len;
        const char *back;

        sbuf_reset(&s);
        sbuf_add_json_str(&s, raw, sizeof raw - 1);
        char err[ERR_LEN];

        v = jv_parse(s.buf, s.len, JV_MAX_DEPTH, err);
        assert_non_null(v);
        back = jv_str(v, &len);
        assert_int_equal(len, sizeof raw - 1);
        assert_memory_equal(back, raw, len);
        jv_free(v);
    }
    sbuf_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sbuf_growable),
        cmocka_unit_test(test_sbuf_fixed),
        cmocka_unit_test(test_sbuf_json_str),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
