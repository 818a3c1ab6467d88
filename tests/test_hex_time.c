/* test_hex_time.c - hex and time_point_sec text form. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "err.h"
#include "hex.h"
#include "timefmt.h"

static void test_hex_round_trip(void **state)
{
    (void)state;
    uint8_t in[4] = {0x00, 0xab, 0x7f, 0xff}, out[4];
    char text[9], err[ERR_LEN];

    hex_encode(text, in, 4);
    assert_string_equal(text, "00ab7fff");
    assert_int_equal(hex_decode(out, 4, "00AB7fFF", 8, err), 4);
    assert_memory_equal(in, out, 4);
}

static void test_hex_errors(void **state)
{
    (void)state;
    uint8_t out[4];
    char err[ERR_LEN];

    assert_int_equal(hex_decode(out, 4, "abc", 3, err), -1);
    assert_non_null(strstr(err, "odd number"));
    assert_int_equal(hex_decode(out, 4, "0g", 2, err), -1);
    assert_non_null(strstr(err, "non-hex character at offset 1"));
    assert_int_equal(hex_decode(out, 1, "0000", 4, err), -1);
    assert_non_null(strstr(err, "too long"));
    assert_int_equal(hex_decode_exact(out, 4, "00", 2, err), -1);
    assert_non_null(strstr(err, "expected 8 hex characters, got 2"));
}

static void test_time_known(void **state)
{
    (void)state;
    char out[TIMEFMT_LEN], err[ERR_LEN];
    uint32_t t;

    timefmt_format(out, 1893456000u);
    assert_string_equal(out, "2030-01-01T00:00:00");
    timefmt_format(out, UINT32_MAX);
    assert_string_equal(out, "2106-02-07T06:28:15");
    timefmt_format(out, 0);
    assert_string_equal(out, "1970-01-01T00:00:00");
    assert_int_equal(timefmt_parse(&t, "2016-04-06T08:29:27", 19, err), 0);
    assert_int_equal(t, 0x5704c8e7u);
    assert_int_equal(timefmt_parse(&t, "2030-01-01T00:00:00Z", 20, err), 0);
    assert_int_equal(t, 1893456000u);
}

static void test_time_round_trip_every_day(void **state)
{
    (void)state;
    char out[TIMEFMT_LEN], err[ERR_LEN];
    uint32_t back;

    /* One probe per day across the whole uint32 range plus odd seconds. */
    for (uint64_t t = 0; t <= UINT32_MAX; t += 86400 + 3617) {
        timefmt_format(out, (uint32_t)t);
        assert_int_equal(timefmt_parse(&back, out, 19, err), 0);
        assert_int_equal(back, (uint32_t)t);
    }
}

static void test_time_errors(void **state)
{
    (void)state;
    char err[ERR_LEN];
    uint32_t t;

    assert_int_equal(timefmt_parse(&t, "2030-02-30T00:00:00", 19, err), -1);
    assert_non_null(strstr(err, "not a valid date"));
    assert_int_equal(timefmt_parse(&t, "2031-02-29T00:00:00", 19, err), -1);
    assert_non_null(strstr(err, "leap year"));
    assert_int_equal(timefmt_parse(&t, "2030-01-01 00:00:00", 19, err), -1);
    assert_int_equal(timefmt_parse(&t, "1969-12-31T23:59:59", 19, err), -1);
    assert_non_null(strstr(err, "outside"));
    assert_int_equal(timefmt_parse(&t, "2106-02-07T06:28:16", 19, err), -1);
    assert_int_equal(timefmt_parse(&t, "2030-01-01T00:00", 16, err), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hex_round_trip),
        cmocka_unit_test(test_hex_errors),
        cmocka_unit_test(test_time_known),
        cmocka_unit_test(test_time_round_trip_every_day),
        cmocka_unit_test(test_time_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
