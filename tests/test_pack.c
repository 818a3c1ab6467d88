/* test_pack.c - fc::raw primitives: known encodings, sticky writer overflow,
 * reader errors with offsets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "err.h"
#include "pack.h"
#include "testutil.h"

static void test_fixed_ints(void **state)
{
    (void)state;
    uint8_t buf[32];
    struct pack_writer w;

    pack_writer_init(&w, buf, sizeof buf);
    pack_u8(&w, 0xab);
    pack_u16(&w, 0x5e76);
    pack_u32(&w, 0x3bce1e5c);
    pack_u64(&w, UINT64_C(0x0102030405060708));
    pack_i64(&w, -2);
    pack_bool(&w, true);
    pack_bool(&w, false);
    assert_false(w.overflow);
    assert_int_equal(w.len, 25);
    assert_string_equal(tu_hex(buf, w.len), "ab765e5c1ece3b0807060504030201"
                                            "feffffffffffffff0100");
}

static void expect_varint(uint64_t v, const char *hex)
{
    uint8_t buf[16];
    struct pack_writer w;
    struct pack_reader r;
    uint64_t back = 0;
    char err[ERR_LEN];

    pack_writer_init(&w, buf, sizeof buf);
    pack_varint(&w, v);
    assert_string_equal(tu_hex(buf, w.len), hex);
    pack_reader_init(&r, buf, w.len, err);
    assert_int_equal(unpack_varint(&r, &back), 0);
    assert_true(back == v);
    assert_int_equal(unpack_done(&r), 0);
}

static void test_varint_known(void **state)
{
    (void)state;
    expect_varint(0, "00");
    expect_varint(1, "01");
    expect_varint(127, "7f");
    expect_varint(128, "8001");
    expect_varint(1000, "e807");
    expect_varint(1234, "d209");
    expect_varint(300000, "e0a712");
    expect_varint((UINT64_C(1) << 48) - 1, "ffffffffffff3f");
    expect_varint(UINT64_MAX, "ffffffffffffffffff01");
    expect_varint(UINT64_C(1) << 63, "80808080808080808001");
}

static void test_writer_overflow_sticky(void **state)
{
    (void)state;
    uint8_t buf[5] = {0};
    struct pack_writer w;

    pack_writer_init(&w, buf, 3);
    pack_u16(&w, 0x0201);
    pack_u16(&w, 0x0403); /* does not fit: nothing of it is written */
    assert_true(w.overflow);
    assert_int_equal(w.len, 2);
    pack_u8(&w, 9); /* would fit, but the writer is sticky */
    assert_int_equal(w.len, 2);
    assert_int_equal(buf[2], 0);
    assert_string_equal(tu_hex(buf, 2), "0102");

    /* Counting mode: only the length moves. */
    pack_writer_init(&w, NULL, 0);
    pack_u64(&w, 1);
    pack_varint(&w, 300000);
    pack_bytes(&w, "abc", 3);
    assert_false(w.overflow);
    assert_int_equal(w.len, 14);

    /* A zero-capacity real buffer overflows instead of counting. */
    pack_writer_init(&w, buf, 0);
    pack_u8(&w, 1);
    assert_true(w.overflow);
}

static void test_reader_values(void **state)
{
    (void)state;
    size_t n;
    uint8_t *in = tu_unhex("ab765e5c1ece3b0807060504030201feffffffffffffff0100e807616263", &n);
    struct pack_reader r;
    char err[ERR_LEN];
    uint8_t u8;
    uint16_t u16;
    uint32_t u32;
    uint64_t u64, vi;
    int64_t i64;
    bool b1, b0;
    char bytes[3];
    const uint8_t *view;

    pack_reader_init(&r, in, n, err);
    assert_int_equal(unpack_u8(&r, &u8), 0);
    assert_int_equal(unpack_u16(&r, &u16), 0);
    assert_int_equal(unpack_u32(&r, &u32), 0);
    assert_int_equal(unpack_u64(&r, &u64), 0);
    assert_int_equal(unpack_i64(&r, &i64), 0);
    assert_int_equal(unpack_bool(&r, &b1), 0);
    assert_int_equal(unpack_bool(&r, &b0), 0);
    assert_int_equal(unpack_varint(&r, &vi), 0);
    assert_int_equal(unpack_bytes(&r, bytes, 2), 0);
    view = unpack_view(&r, 1);
    assert_non_null(view);
    assert_int_equal(unpack_done(&r), 0);
    assert_int_equal(u8, 0xab);
    assert_int_equal(u16, 0x5e76);
    assert_int_equal(u32, 0x3bce1e5c);
    assert_true(u64 == UINT64_C(0x0102030405060708));
    assert_true(i64 == -2);
    assert_true(b1);
    assert_false(b0);
    assert_true(vi == 1000);
    assert_memory_equal(bytes, "ab", 2);
    assert_int_equal(*view, 'c');
    free(in);
}

static void test_i64_extremes(void **state)
{
    (void)state;
    const int64_t vals[] = {0, 1, -1, INT64_MAX, INT64_MIN, INT64_MIN + 1, 86869};

    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        uint8_t buf[8];
        struct pack_writer w;
        struct pack_reader r;
        int64_t back;

        pack_writer_init(&w, buf, sizeof buf);
        pack_i64(&w, vals[i]);
        pack_reader_init(&r, buf, w.len, NULL);
        assert_int_equal(unpack_i64(&r, &back), 0);
        assert_true(back == vals[i]);
    }
}

static void expect_unpack_varint_error(const char *hex, const char *msg)
{
    size_t n;
    uint8_t *in = tu_unhex(hex, &n);
    struct pack_reader r;
    char err[ERR_LEN] = "";
    uint64_t v;

    pack_reader_init(&r, in, n, err);
    assert_int_equal(unpack_varint(&r, &v), -1);
    assert_true(r.failed);
    if (strcmp(err, msg) != 0)
        fail_msg("%s: got \"%s\", want \"%s\"", hex, err, msg);
    free(in);
}

static void test_varint_errors(void **state)
{
    (void)state;
    /* 11 bytes: never fits 64 bits. */
    expect_unpack_varint_error("ffffffffffffffffffff01", "overlong varint at offset 0");
    /* 10th byte may carry only bit 63. */
    expect_unpack_varint_error("ffffffffffffffffff02", "overlong varint at offset 0");
    expect_unpack_varint_error("ffffffffffffffffff81", "overlong varint at offset 0");
    /* Non-minimal zeros are fine until the 11th byte. */
    expect_unpack_varint_error("8080808080808080808000", "overlong varint at offset 0");
    expect_unpack_varint_error("", "truncated data (varint runs past the end) at offset 0");
    expect_unpack_varint_error("ff", "truncated data (varint runs past the end) at offset 0");
    expect_unpack_varint_error("ffffffffffffffffff", "truncated data (varint runs past the end) "
                                                     "at offset 0");
    {
        /* The offset is where the varint starts. */
        const uint8_t in[] = {0x00, 0x00, 0x80};
        struct pack_reader r;
        char err[ERR_LEN];
        uint8_t b;
        uint64_t v;

        pack_reader_init(&r, in, sizeof in, err);
        assert_int_equal(unpack_u8(&r, &b), 0);
        assert_int_equal(unpack_u8(&r, &b), 0);
        assert_int_equal(unpack_varint(&r, &v), -1);
        assert_string_equal(err, "truncated data (varint runs past the end) at offset 2");
    }
    {
        /* fc accepts non-minimal encodings; so do we. */
        const uint8_t in[] = {0x80, 0x00};
        struct pack_reader r;
        uint64_t v = 9;

        pack_reader_init(&r, in, sizeof in, NULL);
        assert_int_equal(unpack_varint(&r, &v), 0);
        assert_true(v == 0);
        assert_int_equal(unpack_done(&r), 0);
    }
}

static void test_reader_errors(void **state)
{
    (void)state;
    const uint8_t in[] = {0x01, 0x02, 0x07, 0x00, 0x00};
    struct pack_reader r;
    char err[ERR_LEN];
    bool b;
    uint8_t u8;
    uint16_t u16;
    uint32_t u32;
    uint64_t u64;

    pack_reader_init(&r, in, sizeof in, err);
    assert_int_equal(unpack_bool(&r, &b), 0);
    assert_true(b);
    assert_int_equal(unpack_bool(&r, &b), -1);
    assert_string_equal(err, "bool byte 0x02 is not 0 or 1 at offset 1");
    /* Sticky: later calls fail without touching err. */
    strcpy(err, "unchanged");
    assert_int_equal(unpack_u8(&r, &u8), -1);
    assert_int_equal(unpack_done(&r), -1);
    assert_string_equal(err, "unchanged");

    pack_reader_init(&r, in, sizeof in, err);
    assert_int_equal(unpack_u8(&r, &u8), 0);
    assert_int_equal(unpack_u8(&r, &u8), 0);
    assert_int_equal(unpack_u64(&r, &u64), -1);
    assert_string_equal(err, "truncated data (8 bytes needed, 3 left) at offset 2");

    pack_reader_init(&r, in, sizeof in, err);
    assert_int_equal(unpack_u32(&r, &u32), 0);
    assert_int_equal(unpack_done(&r), -1);
    assert_string_equal(err, "1 trailing bytes at offset 4");

    pack_reader_init(&r, in, sizeof in, err);
    assert_null(unpack_view(&r, 6));
    assert_string_equal(err, "truncated data (6 bytes needed, 5 left) at offset 0");

    pack_reader_init(&r, in, 0, err);
    assert_int_equal(unpack_bool(&r, &b), -1);
    assert_string_equal(err, "truncated data (1 bytes needed, 0 left) at offset 0");

    pack_reader_init(&r, in, sizeof in, err);
    assert_int_equal(unpack_u8(&r, &u8), 0);
    assert_int_equal(unpack_fail(&r, "unknown operation tag %d", 7), -1);
    assert_string_equal(err, "unknown operation tag 7 at offset 1");

    /* A NULL err is allowed. */
    pack_reader_init(&r, in, 1, NULL);
    assert_int_equal(unpack_u16(&r, &u16), -1);
    assert_true(r.failed);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixed_ints),
        cmocka_unit_test(test_varint_known),
        cmocka_unit_test(test_writer_overflow_sticky),
        cmocka_unit_test(test_reader_values),
        cmocka_unit_test(test_i64_extremes),
        cmocka_unit_test(test_varint_errors),
        cmocka_unit_test(test_reader_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
