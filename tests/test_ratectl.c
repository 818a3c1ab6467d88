/* test_ratectl.c - open-loop rate controller: exact due times (constant,
 * ramps, steps, shares), inverse consistency, window accounting, lateness,
 * drop horizon, CLI parsing and its errors. */
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
#include "ratectl.h"

#define SEC UINT64_C(1000000000)
#define MS UINT64_C(1000000)

static uint64_t rng_state = 0x243f6a8885a308d3u;

static uint64_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1du;
}

/* Builds a controller from CLI-style text: "rate:2000", "ramp:..." or
 * "steps:..."; asserts success. */
static struct ratectl *make(const char *kind, const char *text, uint64_t dur_ns,
                            const struct ratectl_opts *opts)
{
    struct ratectl_curve c;
    struct ratectl *rc;
    char err[ERR_LEN] = "";
    int r;

    ratectl_curve_init(&c);
    if (strcmp(kind, "rate") == 0)
        r = ratectl_parse_rate(&c, text, dur_ns, err);
    else if (strcmp(kind, "ramp") == 0)
        r = ratectl_parse_ramp(&c, text, err);
    else
        r = ratectl_parse_steps(&c, text, err);
    if (r != 0)
        fail_msg("parse %s \"%s\": %s", kind, text, err);
    rc = ratectl_new(&c, opts, err);
    if (rc == NULL)
        fail_msg("ratectl_new %s \"%s\": %s", kind, text, err);
    return rc;
}

/* due and count_due are exact inverses around every k in [k0, k1). */
static void check_inverse(const struct ratectl *rc, uint64_t k0, uint64_t k1)
{
    uint64_t prev = 0;

    for (uint64_t k = k0; k < k1; k++) {
        uint64_t d = ratectl_due(rc, k);
        if (k > k0 && d < prev)
            fail_msg("due(%llu) = %llu < due(k-1) = %llu", (unsigned long long)k,
                     (unsigned long long)d, (unsigned long long)prev);
        if (ratectl_count_due(rc, d) < k + 1)
            fail_msg("count_due(due(%llu)) = %llu", (unsigned long long)k,
                     (unsigned long long)ratectl_count_due(rc, d));
        if (d > 0 && ratectl_count_due(rc, d - 1) > k)
            fail_msg("count_due(due(%llu) - 1) = %llu", (unsigned long long)k,
                     (unsigned long long)ratectl_count_due(rc, d - 1));
        prev = d;
    }
}

static void test_constant_long_run_exact(void **state)
{
    (void)state;
    struct ratectl *rc = make("rate", "20000", 3600 * SEC, NULL);
    uint64_t total = 20000ull * 3600;

    assert_int_equal(ratectl_total(rc), total);
    assert_int_equal(ratectl_end_ns(rc), 3600 * SEC);
    assert_false(ratectl_is_unlimited(rc));
    /* Every one of the 72 million due times, exactly k * 50 us. */
    for (uint64_t k = 0; k < total; k++) {
        if (ratectl_due(rc, k) != k * 50000)
            fail_msg("due(%llu) = %llu, want %llu", (unsigned long long)k,
                     (unsigned long long)ratectl_due(rc, k), (unsigned long long)(k * 50000));
    }
    assert_int_equal(ratectl_due(rc, total), RATECTL_FOREVER);
    assert_int_equal(ratectl_due(rc, UINT64_MAX), RATECTL_FOREVER);
    check_inverse(rc, 0, 100000);
    check_inverse(rc, total - 100000, total);
    assert_int_equal(ratectl_count_due(rc, 0), 1);
    assert_int_equal(ratectl_count_due(rc, 49999), 1);
    assert_int_equal(ratectl_count_due(rc, 50000), 2);
    /* Every whole second of the hour has exactly 20000. */
    for (uint64_t s = 1; s < 3600; s++)
        assert_int_equal(ratectl_count_due(rc, s * SEC - 1), s * 20000);
    assert_int_equal(ratectl_count_due(rc, 3600 * SEC - 1), total);
    assert_int_equal(ratectl_count_due(rc, 3600 * SEC), total);
    assert_int_equal(ratectl_count_due(rc, UINT64_MAX), total);
    assert_true(ratectl_rate_at(rc, 1234 * SEC) == 20000);
    assert_true(ratectl_rate_at(rc, 3600 * SEC) == 0);
    ratectl_free(rc);
    ratectl_free(NULL);
}

/* A rate that does not divide 1e9: nearest nanosecond of k * 1e9 / 3, by
 * integer arithmetic, for every k of an hour; no drift at the end. */
static void test_constant_non_divisor(void **state)
{
    (void)state;
    struct ratectl *rc = make("rate", "3", 3600 * SEC, NULL);
    struct ratectl *rc7 = make("rate", "7000", 3600 * SEC, NULL);

    assert_int_equal(ratectl_total(rc), 10800);
    for (uint64_t k = 0; k < 10800; k++)
        assert_int_equal(ratectl_due(rc, k), (2 * k * SEC + 3) / 6);
    assert_int_equal(ratectl_total(rc7), 7000ull * 3600);
    for (uint64_t k = 0; k < 7000ull * 3600; k += 997)
        assert_int_equal(ratectl_due(rc7, k), (2 * k * SEC + 7000) / 14000);
    assert_int_equal(ratectl_due(rc7, 7000ull * 3600 - 1),
                     (2 * (7000ull * 3600 - 1) * SEC + 7000) / 14000);
    check_inverse(rc7, 7000ull * 3600 - 50000, 7000ull * 3600);
    ratectl_free(rc);
    ratectl_free(rc7);
}

/* Expected count of a ramp from f to t tx/s over d s, at x s. */
static double ramp_integral(double f, double t, double d, double x)
{
    return f * x + (t - f) * x * x / (2 * d);
}

/* Counts in windows [a, a + 1 s) against the integral: within +-1. */
static void check_ramp_windows(const struct ratectl *rc, double f, double t, double d,
                               uint64_t step_ns)
{
    uint64_t end = (uint64_t)(d * 1e9);

    for (uint64_t a = 0; a + SEC <= end; a += step_ns + rng() % 1000) {
        uint64_t b = a + SEC;
        /* due in [a, b): count_due(b - 1) - count_due(a - 1) */
        uint64_t got = ratectl_count_due(rc, b - 1) - (a ? ratectl_count_due(rc, a - 1) : 0);
        double want = ramp_integral(f, t, d, (double)b / 1e9) -
                      ramp_integral(f, t, d, (double)a / 1e9);
        if (fabs((double)got - want) > 1 + 1e-6)
            fail_msg("window at %.9f s: %llu transactions, integral %.6f", (double)a / 1e9,
                     (unsigned long long)got, want);
    }
}

static void check_ramp(const char *text, double f, double t, double d)
{
    struct ratectl *rc = make("ramp", text, 0, NULL);
    double n = (f + t) / 2 * d;
    uint64_t total = (uint64_t)ceil(n - 1e-9);

    assert_int_equal(ratectl_total(rc), total);
    assert_int_equal(ratectl_end_ns(rc), (uint64_t)(d * 1e9));
    assert_int_equal(ratectl_due(rc, 0), 0);
    assert_true(ratectl_due(rc, total - 1) < ratectl_end_ns(rc));
    check_inverse(rc, 0, total);
    check_ramp_windows(rc, f, t, d, 250 * MS);
    /* Each due time against the exact root (long double), within 1 ns. */
    for (uint64_t k = 1; k < total; k += 1 + k / 50) {
        long double a = (long double)(t - f) / (2 * d), x;
        if (a == 0)
            x = (long double)k / f;
        else
            x = (-(long double)f + sqrtl((long double)f * f + 4 * a * k)) / (2 * a);
        if (fabsl((long double)ratectl_due(rc, k) - x * 1e9L) > 1.0L)
            fail_msg("%s: due(%llu) = %llu, exact %.3Lf", text, (unsigned long long)k,
                     (unsigned long long)ratectl_due(rc, k), x * 1e9L);
    }
    assert_int_equal(ratectl_count_due(rc, ratectl_end_ns(rc)), total);
    assert_true(fabs(ratectl_rate_at(rc, (uint64_t)(d * 0.5e9)) - (f + t) / 2) < 1e-6);
    ratectl_free(rc);
}

static void test_ramps(void **state)
{
    (void)state;
    check_ramp("100:5000:60", 100, 5000, 60);
    check_ramp("5000:100:60", 5000, 100, 60);
    check_ramp("0:1000:10", 0, 1000, 10);
    check_ramp("1000:0:10", 1000, 0, 10);
    check_ramp("3:7:2.5", 3, 7, 2.5);
    check_ramp("1:2:3", 1, 2, 3); /* 4.5 expected: total rounds up to 5 */
}

/* An hour-long ramp to 20000 tx/s: late windows still within +-1. */
static void test_long_ramp(void **state)
{
    (void)state;
    struct ratectl *rc = make("ramp", "0:20000:3600", 0, NULL);

    assert_int_equal(ratectl_total(rc), 36000000);
    check_inverse(rc, 36000000 - 200000, 36000000);
    check_ramp_windows(rc, 0, 20000, 3600, 7 * SEC);
    ratectl_free(rc);
}

static void test_steps(void **state)
{
    (void)state;
    struct ratectl *rc = make("steps", "1000x10,2000x10,4000x10", 0, NULL);

    assert_int_equal(ratectl_total(rc), 70000);
    assert_int_equal(ratectl_end_ns(rc), 30 * SEC);
    for (uint64_t k = 0; k < 10000; k++)
        assert_int_equal(ratectl_due(rc, k), k * MS);
    for (uint64_t k = 10000; k < 30000; k++)
        assert_int_equal(ratectl_due(rc, k), 10 * SEC + (k - 10000) * 500000);
    for (uint64_t k = 30000; k < 70000; k++)
        assert_int_equal(ratectl_due(rc, k), 20 * SEC + (k - 30000) * 250000);
    check_inverse(rc, 0, 70000);
    for (uint64_t s = 0; s < 30; s++) {
        uint64_t want = s < 10 ? 1000 : s < 20 ? 2000 : 4000;
        uint64_t got = ratectl_count_due(rc, (s + 1) * SEC - 1) -
                       (s ? ratectl_count_due(rc, s * SEC - 1) : 0);
        assert_int_equal(got, want);
        assert_true(ratectl_rate_at(rc, s * SEC + 1) == (double)want);
    }
    ratectl_free(rc);

    /* A pause in the middle, and fractional seconds converted exactly. */
    rc = make("steps", "1000x1,0x2,1000x0.5", 0, NULL);
    assert_int_equal(ratectl_total(rc), 1500);
    assert_int_equal(ratectl_due(rc, 999), 999 * MS);
    assert_int_equal(ratectl_due(rc, 1000), 3 * SEC);
    assert_int_equal(ratectl_due(rc, 1499), 3 * SEC + 499 * MS);
    assert_int_equal(ratectl_count_due(rc, 2 * SEC), 1000);
    assert_int_equal(ratectl_end_ns(rc), 3500 * MS);
    assert_true(ratectl_rate_at(rc, 2 * SEC) == 0);
    check_inverse(rc, 0, 1500);
    ratectl_free(rc);

    /* The segment integrals 0.197 + 0.687 + 0.116 add up to 1.0000000000000002
     * in floating point: still one transaction, not two. */
    rc = make("steps", "1x0.197,1x0.687,1x0.116", 0, NULL);
    assert_int_equal(ratectl_total(rc), 1);
    assert_int_equal(ratectl_due(rc, 0), 0);
    assert_int_equal(ratectl_due(rc, 1), RATECTL_FOREVER);
    assert_int_equal(ratectl_count_due(rc, SEC), 1);
    ratectl_free(rc);
}

/* A ramp then a constant hold, chained like command-line options. */
static void test_chained_and_open_ended(void **state)
{
    (void)state;
    struct ratectl_curve c;
    struct ratectl *rc;
    char err[ERR_LEN];

    ratectl_curve_init(&c);
    assert_int_equal(ratectl_parse_ramp(&c, "0:2000:2", err), 0);
    assert_int_equal(ratectl_parse_rate(&c, "2000", RATECTL_FOREVER, err), 0);
    rc = ratectl_new(&c, NULL, err);
    assert_non_null(rc);
    assert_int_equal(ratectl_total(rc), UINT64_MAX);
    assert_int_equal(ratectl_end_ns(rc), RATECTL_FOREVER);
    assert_int_equal(ratectl_due(rc, 2000), 2 * SEC); /* ramp gives 2000 in 2 s */
    /* 29 days into the hold, still exact: k * 500 us after the ramp. */
    for (uint64_t k = 2000; k < 2000 + 2000ull * 86400 * 29; k += 2000ull * 86400 - 1)
        assert_int_equal(ratectl_due(rc, k), 2 * SEC + (k - 2000) * 500000);
    check_inverse(rc, 0, 10000);
    assert_false(ratectl_finished(rc, 100 * SEC));
    /* Nothing may follow an open-ended segment. */
    assert_int_equal(ratectl_parse_steps(&c, "100x1", err), -1);
    assert_non_null(strstr(err, "runs until stopped"));
    ratectl_free(rc);
}

/* N interleaved shares together offer exactly the whole curve. */
static void test_shares(void **state)
{
    (void)state;
    struct ratectl *whole = make("ramp", "100:3000:20", 0, NULL), *part[3];
    struct ratectl_opts o = {0};
    uint64_t total = ratectl_total(whole), sum = 0;

    o.share_count = 3;
    for (uint32_t i = 0; i < 3; i++) {
        o.share_index = i;
        part[i] = make("ramp", "100:3000:20", 0, &o);
        sum += ratectl_total(part[i]);
        for (uint64_t j = 0; j < ratectl_total(part[i]); j++)
            assert_int_equal(ratectl_due(part[i], j), ratectl_due(whole, i + 3 * j));
        assert_int_equal(ratectl_due(part[i], ratectl_total(part[i])), RATECTL_FOREVER);
    }
    assert_int_equal(sum, total);
    for (uint64_t t = 0; t < 21 * SEC; t += 1 + rng() % (50 * MS)) {
        uint64_t c = 0;
        for (int i = 0; i < 3; i++)
            c += ratectl_count_due(part[i], t);
        assert_int_equal(c, ratectl_count_due(whole, t));
    }
    for (int i = 0; i < 3; i++)
        ratectl_free(part[i]);
    ratectl_free(whole);
}

static void check_invariant(const struct ratectl *rc)
{
    struct ratectl_counters c;

    ratectl_counters(rc, &c);
    assert_int_equal(c.offered, c.sent + c.dropped + c.pending);
}

static void test_lateness(void **state)
{
    (void)state;
    struct hist *h = hist_new();
    struct ratectl_opts o = {0};
    struct ratectl_counters c;
    struct ratectl *rc;
    uint64_t first, n;

    assert_non_null(h);
    o.lateness = h; /* late_ns 0: the 1 ms default */
    rc = make("rate", "1000", 10 * SEC, &o);
    assert_int_equal(ratectl_poll(rc, 0, &first), 1);
    assert_int_equal(first, 0);
    assert_int_equal(ratectl_on_sent(rc, 0, 200), 200);
    assert_int_equal(ratectl_next_due(rc), MS);
    assert_int_equal(ratectl_poll(rc, MS - 1, &first), 0);
    /* Stalled until 5.5 ms: five are due, sent late. */
    n = ratectl_poll(rc, 5500 * 1000, &first);
    assert_int_equal(n, 5);
    assert_int_equal(first, 1);
    /* Out of order, or not yet due: refused, nothing counted. */
    assert_int_equal(ratectl_on_sent(rc, 2, 5500 * 1000), -1);
    assert_int_equal(ratectl_on_sent(rc, 99, 5500 * 1000), -1);
    for (uint64_t k = first; k < first + n; k++)
        assert_int_equal(ratectl_on_sent(rc, k, 5500 * 1000), (int64_t)(5500 * 1000 - k * MS));
    assert_int_equal(ratectl_on_sent(rc, 6, 5500 * 1000), -1); /* due at 6 ms */
    ratectl_counters(rc, &c);
    assert_int_equal(c.offered, 6);
    assert_int_equal(c.sent, 6);
    assert_int_equal(c.late, 4); /* 4.5, 3.5, 2.5, 1.5 ms > 1 ms; 0.5 ms is not */
    assert_int_equal(c.dropped, 0);
    assert_int_equal(c.pending, 0);
    assert_int_equal(c.in_flight, 6);
    assert_int_equal(hist_count(h), 6);
    assert_int_equal(hist_min(h), 200);
    assert_int_equal(hist_max(h), 4500 * 1000);
    /* Swap histograms (per-second reporting); NULL stops recording. */
    ratectl_set_hist(rc, NULL);
    assert_int_equal(ratectl_poll(rc, 6 * MS, &first), 1);
    assert_int_equal(ratectl_on_sent(rc, 6, 6 * MS + 7), 7);
    assert_int_equal(hist_count(h), 6);
    for (int i = 0; i < 7; i++)
        assert_int_equal(ratectl_on_done(rc), 0);
    assert_int_equal(ratectl_on_done(rc), -1);
    check_invariant(rc);
    ratectl_free(rc);

    /* A custom late threshold. */
    o.late_ns = 100;
    hist_reset(h);
    rc = make("rate", "1000", 10 * SEC, &o);
    ratectl_poll(rc, 150, &first);
    ratectl_on_sent(rc, 0, 150);
    ratectl_counters(rc, &c);
    assert_int_equal(c.late, 1);
    ratectl_poll(rc, MS + 100, &first);
    assert_int_equal(ratectl_on_sent(rc, 1, MS + 100), 100); /* at the threshold: on time */
    ratectl_counters(rc, &c);
    assert_int_equal(c.late, 1);
    ratectl_free(rc);
    hist_free(h);
}

static void test_drop_horizon(void **state)
{
    (void)state;
    struct ratectl_opts o = {0};
    struct ratectl_counters c;
    struct ratectl *rc;
    uint64_t first, n;

    o.drop_horizon_ns = 10 * MS;
    rc = make("rate", "1000", SEC, &o);
    /* The sender was stuck (pool empty) until 100 ms. Due 0..100 ms = 101
     * transactions; those due before 90 ms are past the horizon. */
    n = ratectl_poll(rc, 100 * MS, &first);
    ratectl_counters(rc, &c);
    assert_int_equal(c.offered, 101);
    assert_int_equal(c.dropped, 90);
    assert_int_equal(first, 90);
    assert_int_equal(n, 11);
    check_invariant(rc);
    /* Send two, give up on one explicitly, leave the rest pending. */
    assert_int_equal(ratectl_on_sent(rc, 90, 100 * MS), (int64_t)(10 * MS));
    assert_int_equal(ratectl_on_sent(rc, 91, 100 * MS), (int64_t)(9 * MS));
    assert_int_equal(ratectl_on_dropped(rc, 93), -1);
    assert_int_equal(ratectl_on_dropped(rc, 92), 0);
    check_invariant(rc);
    /* Exactly at the horizon is not dropped: due 93 ms at 103 ms is kept. */
    n = ratectl_poll(rc, 103 * MS, &first);
    assert_int_equal(first, 93);
    assert_int_equal(n, 11); /* 93..103 */
    n = ratectl_poll(rc, 103 * MS + 1, &first);
    assert_int_equal(first, 94);
    check_invariant(rc);
    /* Long after the end every transaction is past the horizon. */
    n = ratectl_poll(rc, 5 * SEC, &first);
    assert_int_equal(n, 0);
    ratectl_counters(rc, &c);
    assert_int_equal(c.offered, 1000);
    assert_int_equal(c.pending, 0);
    assert_int_equal(ratectl_drop_pending(rc), 0);
    assert_int_equal(c.sent, 2);
    assert_int_equal(c.dropped, 998);
    assert_int_equal(c.offered, c.sent + c.dropped);
    assert_true(ratectl_finished(rc, 5 * SEC));
    assert_int_equal(ratectl_next_due(rc), RATECTL_FOREVER);
    assert_int_equal(ratectl_poll(rc, 6 * SEC, &first), 0);
    ratectl_free(rc);

    /* Without a horizon nothing is ever dropped: all sent late. */
    o.drop_horizon_ns = 0;
    rc = make("rate", "1000", SEC, &o);
    n = ratectl_poll(rc, 10 * SEC, &first);
    assert_int_equal(n, 1000);
    for (uint64_t k = 0; k < n; k++)
        assert_true(ratectl_on_sent(rc, k, 10 * SEC) >= (int64_t)(9 * SEC));
    ratectl_counters(rc, &c);
    assert_int_equal(c.dropped, 0);
    assert_int_equal(c.late, 1000);
    assert_true(ratectl_finished(rc, 10 * SEC));
    ratectl_free(rc);

    /* The phase ends mid-schedule with a backlog: drop_pending closes the
     * books so that offered == sent + dropped. */
    rc = make("rate", "1000", SEC, &o);
    n = ratectl_poll(rc, 500 * MS, &first);
    assert_int_equal(n, 501);
    assert_int_equal(ratectl_on_sent(rc, 0, 500 * MS), (int64_t)(500 * MS));
    assert_false(ratectl_finished(rc, 500 * MS));
    assert_int_equal(ratectl_drop_pending(rc), 500);
    ratectl_counters(rc, &c);
    assert_int_equal(c.offered, 501);
    assert_int_equal(c.sent, 1);
    assert_int_equal(c.dropped, 500);
    assert_int_equal(c.pending, 0);
    assert_int_equal(ratectl_next_due(rc), 501 * MS);
    assert_false(ratectl_finished(rc, 500 * MS));
    ratectl_free(rc);
}

/* Simulated sender with a bounded window on a scheduled curve. */
static void test_window_scheduled(void **state)
{
    (void)state;
    struct ratectl_opts o = {0};
    struct ratectl *rc;
    uint64_t first;

    o.window = 2;
    rc = make("rate", "1000", SEC, &o);
    assert_int_equal(ratectl_poll(rc, 10 * MS, &first), 2); /* 11 due, room 2 */
    ratectl_on_sent(rc, 0, 10 * MS);
    ratectl_on_sent(rc, 1, 10 * MS);
    assert_int_equal(ratectl_poll(rc, 10 * MS, &first), 0); /* connections full */
    assert_int_equal(ratectl_on_done(rc), 0);
    assert_int_equal(ratectl_poll(rc, 11 * MS, &first), 1);
    assert_int_equal(first, 2);
    check_invariant(rc);
    ratectl_free(rc);
}

/* A send that waited because the receiver held it back is counted as held,
 * not as the sender's lateness, and stays out of the lateness histogram. */
static void test_held_sends(void **state)
{
    (void)state;
    struct ratectl_opts o = {0};
    struct ratectl_counters c;
    struct ratectl_curve cv;
    struct ratectl *rc;
    struct hist *h = malloc(sizeof *h);
    char err[ERR_LEN];
    uint64_t first, n;

    assert_non_null(h);
    hist_init(h);
    ratectl_curve_init(&cv);
    assert_int_equal(ratectl_parse_rate(&cv, "1000", 10 * SEC, err), 0); /* one per ms */
    o.lateness = h;
    rc = ratectl_new(&cv, &o, err);
    assert_non_null(rc);
    n = ratectl_poll(rc, 500 * 1000000ull, &first); /* 500 ms in: 501 due */
    assert_int_equal(n, 501);
    /* 0..99 held back and sent late; 100..199 late on the sender's side;
     * 200 held but on time (within late_ns): an ordinary send. */
    for (uint64_t k = 0; k < 100; k++)
        assert_true(ratectl_on_sent_held(rc, k, 500 * 1000000ull, true) > 0);
    for (uint64_t k = 100; k < 200; k++)
        assert_true(ratectl_on_sent_held(rc, k, 500 * 1000000ull, false) > 0);
    assert_int_equal(ratectl_on_sent_held(rc, 200, 200 * 1000000ull + 1000, true), 1000);
    ratectl_counters(rc, &c);
    assert_int_equal(c.held, 100);
    assert_int_equal(c.late, 100);
    assert_int_equal(c.sent, 201);
    assert_int_equal(hist_count(h), 101);
    assert_int_equal(c.offered, c.sent + c.dropped + c.pending);
    ratectl_free(rc);
    free(h);
}

static void test_unlimited(void **state)
{
    (void)state;
    struct ratectl_opts o = {0};
    struct ratectl_counters c;
    struct ratectl_curve cv;
    struct ratectl *rc;
    char err[ERR_LEN];
    uint64_t first, n;

    ratectl_curve_init(&cv);
    assert_int_equal(ratectl_parse_rate(&cv, "unlimited", 10 * SEC, err), 0);
    assert_null(ratectl_new(&cv, &o, err));
    assert_non_null(strstr(err, "needs an in-flight window"));
    o.window = 4;
    rc = ratectl_new(&cv, &o, err);
    assert_non_null(rc);
    assert_true(ratectl_is_unlimited(rc));
    assert_int_equal(ratectl_total(rc), UINT64_MAX);
    assert_int_equal(ratectl_end_ns(rc), 10 * SEC);
    assert_int_equal(ratectl_due(rc, 12345), 0);
    assert_int_equal(ratectl_next_due(rc), 0);
    n = ratectl_poll(rc, 0, &first);
    assert_int_equal(n, 4);
    for (uint64_t k = first; k < first + n; k++)
        assert_int_equal(ratectl_on_sent(rc, k, 5), 0);
    assert_int_equal(ratectl_poll(rc, 10, &first), 0);
    assert_int_equal(ratectl_next_due(rc), RATECTL_FOREVER);
    assert_int_equal(ratectl_on_done(rc), 0);
    assert_int_equal(ratectl_on_done(rc), 0);
    n = ratectl_poll(rc, 20, &first);
    assert_int_equal(n, 2);
    assert_int_equal(first, 4);
    assert_int_equal(ratectl_on_sent(rc, 4, 20), 0);
    assert_int_equal(ratectl_on_dropped(rc, 5), 0); /* e.g. frame discarded */
    ratectl_counters(rc, &c);
    assert_int_equal(c.offered, 6);
    assert_int_equal(c.sent, 5);
    assert_int_equal(c.dropped, 1);
    assert_int_equal(c.pending, 0);
    assert_int_equal(c.in_flight, 3);
    assert_int_equal(c.late, 0);
    assert_false(ratectl_finished(rc, 10 * SEC - 1));
    assert_int_equal(ratectl_poll(rc, 10 * SEC, &first), 0); /* the end */
    assert_true(ratectl_finished(rc, 10 * SEC));
    assert_int_equal(ratectl_count_due(rc, 5), UINT64_MAX);
    assert_true(ratectl_rate_at(rc, 5) == 0);
    ratectl_free(rc);
}

struct parse_case {
    const char *kind;
    const char *text;
    const char *expect;
};

static void test_parse_errors(void **state)
{
    (void)state;
    static const struct parse_case cases[] = {
        {"rate", "", "rate \"\" is not a number"},
        {"rate", "abc", "rate \"abc\" is not a number"},
        {"rate", "-5", "rate \"-5\" is not a number"},
        {"rate", "1e3", "rate \"1e3\" is not a number"},
        {"rate", "inf", "rate \"inf\" is not a number"},
        {"rate", "nan", "not a number"},
        {"rate", "1.2.3", "not a number"},
        {"rate", ".", "not a number"},
        {"rate", " 100", "not a number"},
        {"rate", "0", "rate \"0\" must be > 0"},
        {"rate", "200000000", "rate \"200000000\": rate 2e+08 is out of range"},
        {"rate", "Unlimited", "not a number"},
        {"ramp", "100:5000", "ramp \"100:5000\": expected FROM:TO:SECONDS"},
        {"ramp", "100:5000:60:1", "expected FROM:TO:SECONDS"},
        {"ramp", "", "expected FROM:TO:SECONDS"},
        {"ramp", "x:5000:60", "ramp \"x:5000:60\": FROM \"x\" is not a number"},
        {"ramp", "100::60", "TO \"\" is not a number"},
        {"ramp", "100:5000:soon", "SECONDS \"soon\" is not a number of seconds"},
        {"ramp", "100:5000:0", "SECONDS \"0\" must be > 0"},
        {"ramp", "100:5000:0.0000000001", "not a number of seconds"},
        {"ramp", "100:5000:9999999", "at most 30 days"},
        {"ramp", "0:0:10", "FROM and TO are both 0"},
        {"steps", "", "expected RATExSECONDS"},
        {"steps", "1000", "steps item 1 \"1000\": expected RATExSECONDS"},
        {"steps", "1000x10,2k0x10", "steps item 2 \"2k0x10\": rate \"2k0\" is not a number"},
        {"steps", "1000x10,,3000x5", "steps item 2 is empty"},
        {"steps", "1000x10,", "steps item 2 is empty"},
        {"steps", "1000x10,2000x", "steps item 2 \"2000x\": seconds \"\" is not a number"},
        {"steps", "1000x10,2000x1x", "seconds \"1x\" is not a number"},
        {"steps", "1000x-1", "seconds \"-1\" is not a number"},
        {"steps", "1000x0", "seconds \"0\" must be > 0"},
        {"steps", "1e9x1", "rate \"1e9\" is not a number"},
        {"steps", "1000000000x1", "rate 1e+09 is out of range"},
        {"steps", "0x10", "offers no transaction"},
    };
    char err[ERR_LEN];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct parse_case *pc = &cases[i];
        struct ratectl_curve c;
        int r;

        ratectl_curve_init(&c);
        strcpy(err, "");
        if (strcmp(pc->kind, "rate") == 0)
            r = ratectl_parse_rate(&c, pc->text, 10 * SEC, err);
        else if (strcmp(pc->kind, "ramp") == 0)
            r = ratectl_parse_ramp(&c, pc->text, err);
        else
            r = ratectl_parse_steps(&c, pc->text, err);
        if (r == 0) { /* parses, must then be refused as a curve */
            struct ratectl *rc = ratectl_new(&c, NULL, err);
            assert_null(rc);
        } else {
            assert_int_equal(c.nseg, 0); /* unchanged on error */
        }
        if (strstr(err, pc->expect) == NULL)
            fail_msg("%s \"%s\": error \"%s\" lacks \"%s\"", pc->kind, pc->text, err, pc->expect);
    }

    /* Steps leave the curve unchanged when a later item is bad. */
    {
        struct ratectl_curve c;
        ratectl_curve_init(&c);
        assert_int_equal(ratectl_parse_steps(&c, "10x1", err), 0);
        assert_int_equal(ratectl_parse_steps(&c, "10x1,20x1,bad", err), -1);
        assert_int_equal(c.nseg, 1);
        /* unlimited cannot be mixed */
        assert_int_equal(ratectl_parse_rate(&c, "unlimited", 10 * SEC, err), -1);
        assert_non_null(strstr(err, "cannot be combined"));
        ratectl_curve_init(&c);
        assert_int_equal(ratectl_parse_rate(&c, "unlimited", RATECTL_FOREVER, err), 0);
        assert_int_equal(ratectl_parse_steps(&c, "10x1", err), -1);
        assert_non_null(strstr(err, "unlimited rate cannot be combined"));
        ratectl_curve_init(&c);
        assert_int_equal(ratectl_parse_rate(&c, "unlimited", 0, err), -1);
        /* too many segments */
        ratectl_curve_init(&c);
        for (int i = 0; i < RATECTL_MAX_SEGS; i++)
            assert_int_equal(ratectl_parse_steps(&c, "1x1", err), 0);
        assert_int_equal(ratectl_parse_steps(&c, "1x1", err), -1);
        assert_non_null(strstr(err, "too many rate segments"));
        /* a long list names the item; 30 days in total at most */
        ratectl_curve_init(&c);
        assert_int_equal(ratectl_parse_steps(&c, "1x1296000,1x1296000,1x1", err), -1);
        assert_non_null(strstr(err, "steps item 3 \"1x1\": the schedule would last more than 30 days"));
    }

    /* Accepted forms. */
    {
        struct ratectl_curve c;
        ratectl_curve_init(&c);
        assert_int_equal(ratectl_parse_rate(&c, "0.5", 4 * SEC, err), 0);
        assert_int_equal(ratectl_parse_ramp(&c, "0.5:10.25:1.000000001", err), 0);
        assert_int_equal(ratectl_parse_steps(&c, "7x0.1,0x2", err), 0);
        assert_int_equal(c.nseg, 4);
        assert_true(c.seg[0].from == 0.5 && c.seg[0].to == 0.5);
        assert_int_equal(c.seg[0].dur_ns, 4 * SEC);
        assert_true(c.seg[1].from == 0.5 && c.seg[1].to == 10.25);
        assert_int_equal(c.seg[1].dur_ns, SEC + 1);
        assert_int_equal(c.seg[2].dur_ns, 100 * MS); /* exactly, not 99999999 */
        assert_true(c.seg[3].from == 0 && c.seg[3].to == 0);
        ratectl_curve_init(&c);
        assert_int_equal(ratectl_parse_rate(&c, "1234.5678", SEC, err), 0);
        assert_true(c.seg[0].from == 1234.5678);
        assert_int_equal(ratectl_parse_rate(&c, "0.1", SEC, err), 0);
        assert_true(c.seg[1].from == 0.1);
        assert_int_equal(ratectl_parse_rate(&c, "7.", SEC, err), 0);
        assert_true(c.seg[2].from == 7);
    }
}

static void test_new_validation(void **state)
{
    (void)state;
    struct ratectl_curve c;
    struct ratectl_opts o = {0};
    char err[ERR_LEN];

    ratectl_curve_init(&c);
    assert_null(ratectl_new(&c, NULL, err));
    assert_non_null(strstr(err, "0 segments"));
    /* Hand-built (e.g. decoded from the wire) curves are checked too. */
    c.nseg = 2;
    c.seg[0] = (struct ratectl_seg){100, 100, SEC};
    c.seg[1] = (struct ratectl_seg){NAN, 5, SEC};
    assert_null(ratectl_new(&c, NULL, err));
    assert_non_null(strstr(err, "rate curve segment 2: rate nan is out of range"));
    c.seg[1] = (struct ratectl_seg){5, 5, 0};
    assert_null(ratectl_new(&c, NULL, err));
    assert_non_null(strstr(err, "segment 2: duration must be > 0"));
    c.seg[0] = (struct ratectl_seg){100, 100, RATECTL_FOREVER};
    c.seg[1] = (struct ratectl_seg){5, 5, SEC};
    assert_null(ratectl_new(&c, NULL, err));
    assert_non_null(strstr(err, "segment 2: the previous segment runs until stopped"));
    c.nseg = 1;
    c.seg[0] = (struct ratectl_seg){100, 200, RATECTL_FOREVER};
    assert_null(ratectl_new(&c, NULL, err));
    assert_non_null(strstr(err, "only a constant rate"));
    c.seg[0] = (struct ratectl_seg){-1, 200, SEC};
    assert_null(ratectl_new(&c, NULL, err));
    c.nseg = RATECTL_MAX_SEGS + 1;
    assert_null(ratectl_new(&c, NULL, err));
    assert_non_null(strstr(err, "segments (need 1 .. 128)"));
    /* Unlimited with segments. */
    c.nseg = 1;
    c.seg[0] = (struct ratectl_seg){100, 100, SEC};
    c.unlimited = true;
    c.unlimited_ns = SEC;
    o.window = 8;
    assert_null(ratectl_new(&c, &o, err));
    assert_non_null(strstr(err, "cannot be combined"));
    /* Shares. */
    c.unlimited = false;
    o.share_count = 2;
    o.share_index = 2;
    assert_null(ratectl_new(&c, &o, err));
    assert_non_null(strstr(err, "share index 2 must be below the share count 2"));
    c.seg[0] = (struct ratectl_seg){1, 1, SEC}; /* one transaction */
    o.share_index = 1;
    assert_null(ratectl_new(&c, &o, err));
    assert_non_null(strstr(err, "share 1 of 2 gets no transaction"));
    /* A tiny total: 0.5 tx/s for 1 s is one transaction (at 0). */
    c.seg[0] = (struct ratectl_seg){0.5, 0.5, SEC};
    o.share_count = 0;
    o.share_index = 0;
    {
        struct ratectl *rc = ratectl_new(&c, &o, err);
        assert_non_null(rc);
        assert_int_equal(ratectl_total(rc), 1);
        assert_int_equal(ratectl_due(rc, 0), 0);
        assert_int_equal(ratectl_due(rc, 1), RATECTL_FOREVER);
        ratectl_free(rc);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_constant_long_run_exact),
        cmocka_unit_test(test_constant_non_divisor),
        cmocka_unit_test(test_ramps),
        cmocka_unit_test(test_long_ramp),
        cmocka_unit_test(test_steps),
        cmocka_unit_test(test_chained_and_open_ended),
        cmocka_unit_test(test_shares),
        cmocka_unit_test(test_lateness),
        cmocka_unit_test(test_drop_horizon),
        cmocka_unit_test(test_window_scheduled),
        cmocka_unit_test(test_unlimited),
        cmocka_unit_test(test_held_sends),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_new_validation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
