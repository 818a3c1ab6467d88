/* test_hist.c - log-linear histogram: geometry, exact merge, percentiles
 * against a sorted reference, edge values, sparse export/import. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <math.h>

#include "err.h"
#include "hist.h"

/* Deterministic xorshift64* so that failures reproduce. */
static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint64_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1du;
}

/* Log-uniform-ish values from 0 up to about 2^bits: a random exponent, then
 * random mantissa bits, so every power of two is exercised. */
static uint64_t rand_value(unsigned bits)
{
    unsigned e = (unsigned)(rng() % (bits + 1));
    return e == 0 ? rng() % 2 : (rng() >> (64 - e));
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static struct hist *new_hist(void)
{
    struct hist *h = hist_new();
    assert_non_null(h);
    return h;
}

static void test_geometry(void **state)
{
    (void)state;

    assert_int_equal(HIST_BUCKETS, 4608);
    for (uint64_t v = 0; v < 256; v++) {
        assert_int_equal(hist_bucket_index(v), v);
        assert_int_equal(hist_bucket_low((uint32_t)v), v);
        assert_int_equal(hist_bucket_high((uint32_t)v), v);
    }
    assert_int_equal(hist_bucket_low(0), 0);
    for (uint32_t i = 0; i < HIST_BUCKETS; i++) {
        uint64_t lo = hist_bucket_low(i), hi = hist_bucket_high(i);
        assert_true(lo <= hi);
        assert_int_equal(hist_bucket_index(lo), i);
        assert_int_equal(hist_bucket_index(hi), i);
        if (i + 1 < HIST_BUCKETS)
            assert_int_equal(hist_bucket_low(i + 1), hi + 1); /* contiguous */
        /* Width is at most 1/128 of the lower bound: the accuracy promise. */
        if (i >= 256)
            assert_true((hi - lo + 1) * 128 <= lo);
    }
    assert_int_equal(hist_bucket_high(HIST_BUCKETS - 1), HIST_MAX);
    assert_int_equal(hist_bucket_index(HIST_MAX), HIST_BUCKETS - 1);
    assert_int_equal(hist_bucket_index(HIST_MAX + 1), HIST_BUCKETS - 1);
    assert_int_equal(hist_bucket_index(UINT64_MAX), HIST_BUCKETS - 1);
    /* 1 us .. 1 hour in nanoseconds are in range. */
    assert_true(hist_bucket_index(3600ull * 1000000000ull) < HIST_BUCKETS - 1);
    for (int n = 0; n < 100000; n++) {
        uint64_t v = rand_value(42);
        uint32_t i = hist_bucket_index(v);
        assert_true(hist_bucket_low(i) <= v && v <= hist_bucket_high(i));
    }
}

static void test_edge_values(void **state)
{
    (void)state;
    struct hist *h = new_hist();

    assert_int_equal(hist_count(h), 0);
    assert_int_equal(hist_min(h), 0);
    assert_int_equal(hist_max(h), 0);
    assert_true(hist_mean(h) == 0.0);
    assert_int_equal(hist_percentile(h, 50), 0);

    hist_record(h, 0);
    hist_record(h, 1);
    hist_record(h, HIST_MAX);
    hist_record(h, HIST_MAX + 1);
    hist_record(h, UINT64_MAX);
    assert_int_equal(hist_count(h), 5);
    assert_int_equal(h->counts[0], 1);
    assert_int_equal(h->counts[1], 1);
    assert_int_equal(h->counts[HIST_BUCKETS - 1], 3); /* HIST_MAX and two clamped */
    assert_int_equal(h->clamped, 2);
    assert_int_equal(hist_min(h), 0);
    assert_int_equal(hist_max(h), UINT64_MAX);
    /* sum = 1 + (2^42-1) + 2^42 + (2^64-1) = 2^64 + 2^43 - 1, exactly */
    assert_int_equal(h->sum_hi, 1);
    assert_int_equal(h->sum_lo, (UINT64_C(1) << 43) - 1);
    assert_int_equal(hist_percentile(h, 0), 0);
    assert_int_equal(hist_percentile(h, 20), 0);
    assert_int_equal(hist_percentile(h, 40), 1);
    /* The top bucket holds clamped values: its percentile is the true max. */
    assert_int_equal(hist_percentile(h, 60), UINT64_MAX);
    assert_int_equal(hist_percentile(h, 100), UINT64_MAX);
    assert_int_equal(hist_percentile(h, 1000), UINT64_MAX);
    assert_int_equal(hist_percentile(h, -5), 0);
    assert_int_equal(hist_percentile(h, NAN), 0);

    hist_reset(h);
    assert_int_equal(hist_count(h), 0);
    assert_int_equal(h->clamped, 0);
    assert_int_equal(h->counts[HIST_BUCKETS - 1], 0);
    hist_record(h, 7);
    assert_int_equal(hist_min(h), 7);
    assert_int_equal(hist_max(h), 7);
    for (double p = 0; p <= 100; p += 12.5)
        assert_int_equal(hist_percentile(h, p), 7);

    /* One large in-range value: percentile limited to max, not bucket top. */
    hist_reset(h);
    hist_record(h, 1000001);
    assert_int_equal(hist_percentile(h, 50), 1000001);
    hist_free(h);
    hist_free(NULL);
}

static void test_mean(void **state)
{
    (void)state;
    struct hist *h = new_hist();

    for (uint64_t v = 1; v <= 4; v++)
        hist_record(h, v);
    assert_true(hist_mean(h) == 2.5);
    hist_reset(h);
    hist_record(h, UINT64_MAX);
    hist_record(h, UINT64_MAX);
    assert_true(hist_mean(h) == (double)UINT64_MAX); /* no wrap-around */
    hist_free(h);
}

/* Percentiles of a big random data set versus the sorted array. */
static void check_percentiles(const uint64_t *vals, size_t n, unsigned bits)
{
    struct hist *h = new_hist();
    uint64_t *sorted = malloc(n * sizeof(*sorted));
    /* p as a fraction num/1e4 so the reference rank is integer math. */
    static const uint64_t p_e4[] = {1, 100, 1000, 2500, 5000, 7500, 9000, 9900,
                                    9990, 9999, 10000};

    assert_non_null(sorted);
    memcpy(sorted, vals, n * sizeof(*sorted));
    qsort(sorted, n, sizeof(*sorted), cmp_u64);
    for (size_t i = 0; i < n; i++)
        hist_record(h, vals[i]);
    assert_int_equal(hist_count(h), n);
    assert_int_equal(hist_min(h), sorted[0]);
    assert_int_equal(hist_max(h), sorted[n - 1]);
    assert_int_equal(hist_percentile(h, 0), sorted[0]);
    for (size_t j = 0; j < sizeof(p_e4) / sizeof(p_e4[0]); j++) {
        uint64_t rank = (p_e4[j] * n + 9999) / 10000; /* ceil */
        uint64_t ref, got;
        if (rank == 0)
            rank = 1;
        ref = sorted[rank - 1];
        got = hist_percentile(h, (double)p_e4[j] / 100.0);
        /* Never understates; overstates by less than 1/128 of the value. */
        if (got < ref || (bits <= 42 && got * 128 > ref * 129))
            fail_msg("p%.2f of %zu values: got %llu, reference %llu",
                     (double)p_e4[j] / 100.0, n, (unsigned long long)got,
                     (unsigned long long)ref);
    }
    free(sorted);
    hist_free(h);
}

static void test_percentiles_vs_sorted(void **state)
{
    (void)state;
    size_t n = 200000;
    uint64_t *vals = malloc(n * sizeof(*vals));

    assert_non_null(vals);
    /* Nanosecond latencies from 0 to ~73 minutes, log-uniform. */
    for (size_t i = 0; i < n; i++)
        vals[i] = rand_value(42);
    check_percentiles(vals, n, 42);
    /* A narrow cluster (1.00 ms .. 1.05 ms): many values per bucket. */
    for (size_t i = 0; i < n; i++)
        vals[i] = 1000000 + rng() % 50000;
    check_percentiles(vals, n, 42);
    /* Few values: rank rounding matters most here. */
    for (size_t k = 1; k <= 40; k++) {
        for (size_t i = 0; i < k; i++)
            vals[i] = rand_value(30);
        check_percentiles(vals, k, 42);
    }
    free(vals);
}

/* Values 0..n-1 have exact buckets, so the percentile must be exactly the
 * nearest-rank value for every p in steps of 0.1 — including the (p, n)
 * where p/100*n in floating point lands an ulp above an integer. */
static void test_percentile_rank_exact(void **state)
{
    (void)state;
    struct hist *h = new_hist();

    for (uint64_t n = 1; n < 256; n++) {
        hist_reset(h);
        for (uint64_t v = 0; v < n; v++)
            hist_record(h, v);
        for (uint64_t m = 0; m <= 1000; m++) {
            uint64_t rank = (m * n + 999) / 1000;
            if (rank == 0)
                rank = 1;
            if (hist_percentile(h, (double)m / 10.0) != rank - 1)
                fail_msg("n=%llu p=%.1f: got %llu, want %llu", (unsigned long long)n,
                         (double)m / 10.0,
                         (unsigned long long)hist_percentile(h, (double)m / 10.0),
                         (unsigned long long)(rank - 1));
        }
    }
    hist_free(h);
}

static void test_merge_exact(void **state)
{
    (void)state;
    struct hist *whole = new_hist(), *sum = new_hist(), *part = new_hist();
    size_t n = 300000, done = 0;

    for (int round = 0; done < n; round++) {
        size_t len = round == 0 ? 0 : (size_t)(rng() % 90000); /* first part empty */
        hist_reset(part);
        for (size_t i = 0; i < len && done < n; i++, done++) {
            /* include above-range values so clamped merges too */
            uint64_t v = i % 1000 == 0 ? HIST_MAX + rng() % 1000 : rand_value(42);
            hist_record(whole, v);
            hist_record(part, v);
        }
        hist_merge(sum, part);
    }
    assert_memory_equal(whole, sum, sizeof(*whole));
    assert_true(whole->clamped > 0);

    /* Merging into itself doubles every count. */
    hist_merge(sum, sum);
    assert_int_equal(hist_count(sum), 2 * hist_count(whole));
    for (uint32_t i = 0; i < HIST_BUCKETS; i++)
        assert_int_equal(sum->counts[i], 2 * whole->counts[i]);
    assert_int_equal(hist_min(sum), hist_min(whole));
    assert_int_equal(hist_max(sum), hist_max(whole));
    hist_free(whole);
    hist_free(sum);
    hist_free(part);
}

static void test_record_n(void **state)
{
    (void)state;
    struct hist *a = new_hist(), *b = new_hist();
    static const uint64_t vals[] = {0, 5, 300, 123456789, HIST_MAX, HIST_MAX + 3,
                                    UINT64_MAX};

    for (size_t j = 0; j < sizeof(vals) / sizeof(vals[0]); j++) {
        uint64_t n = 1 + j * 3;
        hist_record_n(a, vals[j], n);
        for (uint64_t i = 0; i < n; i++)
            hist_record(b, vals[j]);
    }
    hist_record_n(a, 42, 0); /* no-op: must not touch min/max */
    assert_memory_equal(a, b, sizeof(*a));
    hist_reset(a);
    hist_record_n(a, 42, 0);
    assert_int_equal(hist_count(a), 0);
    assert_int_equal(hist_min(a), 0);
    hist_free(a);
    hist_free(b);
}

static void test_export_import_round_trip(void **state)
{
    (void)state;
    struct hist *h = new_hist(), *back = new_hist();
    struct hist_pair *pairs = calloc(HIST_BUCKETS, sizeof(*pairs));
    struct hist_head head;
    char err[ERR_LEN];
    size_t n, n2;

    assert_non_null(pairs);
    /* Empty histogram: zero pairs, zero head, imports fine. */
    n = hist_export(h, &head, NULL, 0);
    assert_int_equal(n, 0);
    assert_int_equal(head.min | head.max | head.sum_lo | head.sum_hi | head.clamped, 0);
    assert_int_equal(hist_import(back, &head, NULL, 0, err), 0);
    assert_memory_equal(h, back, sizeof(*h));

    for (int i = 0; i < 50000; i++)
        hist_record(h, rand_value(42));
    hist_record(h, UINT64_MAX);
    n = hist_export(h, &head, pairs, HIST_BUCKETS);
    assert_true(n > 100 && n <= HIST_BUCKETS);
    for (size_t i = 1; i < n; i++)
        assert_true(pairs[i].index > pairs[i - 1].index);
    assert_int_equal(hist_import(back, &head, pairs, n, err), 0);
    assert_memory_equal(h, back, sizeof(*h));

    /* Import adds: a second import equals merging the histogram twice. */
    assert_int_equal(hist_import(back, &head, pairs, n, err), 0);
    hist_merge(h, h);
    assert_memory_equal(h, back, sizeof(*h));

    /* Too small a buffer: the needed size is returned, cap pairs written. */
    memset(pairs, 0xff, HIST_BUCKETS * sizeof(*pairs));
    n2 = hist_export(h, &head, pairs, 10);
    assert_int_equal(n2, n);
    assert_true(pairs[9].index < HIST_BUCKETS);
    assert_int_equal(pairs[10].index, UINT32_MAX); /* untouched */

    /* Every bucket non-empty: export needs exactly HIST_BUCKETS pairs. */
    hist_reset(h);
    for (uint32_t i = 0; i < HIST_BUCKETS; i++)
        hist_record(h, hist_bucket_low(i));
    assert_int_equal(hist_export(h, &head, pairs, HIST_BUCKETS), HIST_BUCKETS);
    hist_reset(back);
    assert_int_equal(hist_import(back, &head, pairs, HIST_BUCKETS, err), 0);
    assert_memory_equal(h, back, sizeof(*h));
    free(pairs);
    hist_free(h);
    hist_free(back);
}

static void expect_import_fails(struct hist *target, const struct hist_head *hd,
                                const struct hist_pair *p, size_t n, const char *expect)
{
    struct hist *copy = new_hist();
    char err[ERR_LEN] = "";

    memcpy(copy, target, sizeof(*copy));
    assert_int_equal(hist_import(target, hd, p, n, err), -1);
    if (strstr(err, expect) == NULL)
        fail_msg("error \"%s\" does not mention \"%s\"", err, expect);
    assert_memory_equal(copy, target, sizeof(*copy)); /* all-or-nothing */
    hist_free(copy);
}

static void test_import_bad_input(void **state)
{
    (void)state;
    struct hist *src = new_hist(), *dst = new_hist();
    struct hist_pair good[3], p[3];
    struct hist_head gh, hd;
    char err[ERR_LEN];
    size_t n;

    hist_record(dst, 99); /* import target is not empty: must stay intact */
    hist_record(src, 10);
    hist_record(src, 1000);
    hist_record(src, 1000);
    hist_record(src, 5000000);
    n = hist_export(src, &gh, good, 3);
    assert_int_equal(n, 3);

#define RESET() do { memcpy(p, good, sizeof(p)); hd = gh; } while (0)
    RESET();
    p[1].index = HIST_BUCKETS;
    expect_import_fails(dst, &hd, p, 3, "pair 1: bucket index 4608 out of range");
    RESET();
    p[2].index = UINT32_MAX;
    expect_import_fails(dst, &hd, p, 3, "out of range");
    RESET();
    p[1].index = p[0].index;
    expect_import_fails(dst, &hd, p, 3, "pair 1: bucket index 10 not above the previous");
    RESET();
    p[2].index = p[1].index - 1;
    expect_import_fails(dst, &hd, p, 3, "not above the previous");
    RESET();
    p[0].count = 0;
    expect_import_fails(dst, &hd, p, 3, "pair 0: bucket 10 has count 0");
    RESET();
    p[0].count = UINT64_MAX;
    expect_import_fails(dst, &hd, p, 3, "overflows");
    RESET();
    hd.min = 11;
    expect_import_fails(dst, &hd, p, 3, "min 11 is not in the first bucket");
    RESET();
    hd.max = 7000000;
    expect_import_fails(dst, &hd, p, 3, "max 7000000 is not in the last bucket");
    RESET();
    hd.min = 2000;
    hd.max = 1000;
    expect_import_fails(dst, &hd, p, 3, "min 2000 > max 1000");
    RESET();
    hd.clamped = 1;
    expect_import_fails(dst, &hd, p, 3, "clamped 1 but max 5000000 is in range");
    RESET();
    hd.sum_lo = 1;
    expect_import_fails(dst, &hd, p, 3, "sum is outside");
    RESET();
    hd.sum_hi = 1;
    expect_import_fails(dst, &hd, p, 3, "sum is outside");
    RESET();
    hd.min = 0;
    expect_import_fails(dst, &hd, p, 0, "no buckets but");
    RESET();
    expect_import_fails(dst, &hd, p, HIST_BUCKETS + 1, "buckets, at most 4608");
    /* One value whose min and max disagree within the same bucket. */
    {
        struct hist_pair one = {hist_bucket_index(1000000), 1};
        struct hist_head h1 = {1000000, 1000001, 1000000, 0, 0};
        expect_import_fails(dst, &h1, &one, 1, "one value but min 1000000 != max 1000001");
    }
    /* Clamped values: more clamped than the top bucket holds, or none. */
    {
        struct hist *c = new_hist();
        struct hist_pair cp[2];
        struct hist_head ch;
        hist_record(c, 5);
        hist_record(c, HIST_MAX + 10);
        assert_int_equal(hist_export(c, &ch, cp, 2), 2);
        ch.clamped = 2;
        expect_import_fails(dst, &ch, cp, 2, "clamped 2 inconsistent");
        ch.clamped = 0;
        expect_import_fails(dst, &ch, cp, 2, "clamped 0 inconsistent");
        hist_reset(c);
        hist_record(c, HIST_MAX);
        hist_record(c, HIST_MAX + 10);
        assert_int_equal(hist_export(c, &ch, cp, 2), 1);
        ch.min = HIST_MAX + 1; /* claims every value is above range */
        ch.sum_lo = ch.max * 2; /* keep the sum check satisfied */
        ch.sum_hi = 0;
        expect_import_fails(dst, &ch, cp, 1, "clamped 1 != count 2");
        hist_free(c);
    }
    /* The merged count would overflow the target. */
    {
        struct hist *big = new_hist();
        struct hist_pair bp = {5, UINT64_MAX};
        struct hist_head bh = {5, 5, 0, 0, 0};
        /* sum = 5 * (2^64 - 1) = 4 * 2^64 + (2^64 - 5) */
        bh.sum_hi = 4;
        bh.sum_lo = UINT64_MAX - 4;
        assert_int_equal(hist_import(big, &bh, &bp, 1, err), 0);
        assert_int_equal(hist_count(big), UINT64_MAX);
        assert_int_equal(hist_percentile(big, 50), 5);
        expect_import_fails(big, &gh, good, 3, "merged count overflows");
        hist_free(big);
    }
#undef RESET
    /* Finally the untouched export still imports. */
    assert_int_equal(hist_import(dst, &gh, good, 3, err), 0);
    assert_int_equal(hist_count(dst), 5);
    hist_free(src);
    hist_free(dst);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_geometry),
        cmocka_unit_test(test_edge_values),
        cmocka_unit_test(test_mean),
        cmocka_unit_test(test_percentiles_vs_sorted),
        cmocka_unit_test(test_percentile_rank_exact),
        cmocka_unit_test(test_merge_exact),
        cmocka_unit_test(test_record_n),
        cmocka_unit_test(test_export_import_round_trip),
        cmocka_unit_test(test_import_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
