/* test_procstat.c - /proc parsers, rates from synthetic snapshots, and a
 * functional check on this machine (a busy loop shows up as CPU). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <math.h>

#include "err.h"
#include "procstat.h"
#include "timefmt.h"

#define P(s) (s), strlen(s)

static void expect_err(int rc, const char *err, const char *want)
{
    assert_int_equal(rc, -1);
    if (strstr(err, want) == NULL)
        fail_msg("error \"%s\" lacks \"%s\"", err, want);
}

static void test_parse_self_stat(void **state)
{
    (void)state;
    char err[ERR_LEN];
    uint64_t t = 0;

    assert_int_equal(procstat_parse_self_stat(P(
        "12709 (cat) R 12707 12707 4413 0 -1 4194304 103 0 0 0 7 5 0 0 20 0 1 0 77384 "
        "3133440 389 18446744073709551615 0\n"), &t, err), 0);
    assert_int_equal(t, 12);
    /* A command name with spaces and parentheses: fields start after the
     * last ')'. */
    assert_int_equal(procstat_parse_self_stat(P(
        "42 (a) b) (c d) S 1 1 1 0 -1 0 0 0 0 0 1000 234 0 0 20 0 9 0 1 2 3\n"), &t, err), 0);
    assert_int_equal(t, 1234);
    /* Not NUL-terminated within len: the trailing text is ignored. */
    {
        const char *s = "1 (x) R 1 1 1 0 -1 0 0 0 0 0 3 4 99";
        assert_int_equal(procstat_parse_self_stat(s, strlen(s) - 3, &t, err), 0);
        assert_int_equal(t, 7);
    }
    expect_err(procstat_parse_self_stat(P("12709 cat R 1 2 3"), &t, err), err,
               "no ')' after the command name");
    expect_err(procstat_parse_self_stat(P("1 (x) R 1 1 1 0 -1 0 0 0\n"), &t, err), err,
               "only 11 fields");
    expect_err(procstat_parse_self_stat(P("1 (x) R 1 1 1 0 -1 0 0 0 0 0 x 4"), &t, err), err,
               "utime (field 14) is not a number");
    expect_err(procstat_parse_self_stat(P("1 (x) R 1 1 1 0 -1 0 0 0 0 0 -3 4"), &t, err), err,
               "utime (field 14) is not a number");
    expect_err(procstat_parse_self_stat(P("1 (x) R 1 1 1 0 -1 0 0 0 0 0 3"), &t, err), err,
               "stime (field 15) is not a number");
    expect_err(procstat_parse_self_stat(P("1 (x) R 1 1 1 0 -1 0 0 0 0 0 3 4z"), &t, err), err,
               "stime (field 15) is not a number");
    expect_err(procstat_parse_self_stat(P("1 (x) R 1 1 1 0 -1 0 0 0 0 0 "
                                          "99999999999999999999 4"), &t, err), err,
               "utime (field 14) overflows");
    expect_err(procstat_parse_self_stat(P("1 (x) R 1 1 1 0 -1 0 0 0 0 0 "
                                          "18446744073709551615 1"), &t, err), err,
               "utime + stime overflows");
    expect_err(procstat_parse_self_stat(P(""), &t, err), err, "no ')'");
}

static void test_parse_host_stat(void **state)
{
    (void)state;
    char err[ERR_LEN];
    uint64_t busy = 0, total = 0;

    /* guest (9) and guest_nice (10) are inside user and nice: not added. */
    assert_int_equal(procstat_parse_host_stat(P(
        "cpu  11530 7 3608 138786 274 1 61 9 500 500\ncpu0 1 2 3 4\n"), &busy, &total, err), 0);
    assert_int_equal(total, 11530 + 7 + 3608 + 138786 + 274 + 1 + 61 + 9);
    assert_int_equal(busy, 11530 + 7 + 3608 + 1 + 61 + 9);
    /* Old kernels: only 4 fields. */
    assert_int_equal(procstat_parse_host_stat(P("cpu 10 0 5 85\n"), &busy, &total, err), 0);
    assert_int_equal(busy, 15);
    assert_int_equal(total, 100);
    assert_int_equal(procstat_parse_host_stat(P("cpu 10 0 5 85"), &busy, &total, err), 0);
    assert_int_equal(total, 100);

    expect_err(procstat_parse_host_stat(P("cpu0 1 2 3 4\n"), &busy, &total, err), err,
               "does not start with \"cpu \"");
    expect_err(procstat_parse_host_stat(P("intr 1 2 3 4\n"), &busy, &total, err), err,
               "does not start");
    expect_err(procstat_parse_host_stat(P("cpu"), &busy, &total, err), err, "does not start");
    expect_err(procstat_parse_host_stat(P("cpu 1 2 3\n"), &busy, &total, err), err,
               "cpu line has 3 fields, need at least 4");
    expect_err(procstat_parse_host_stat(P("cpu 1 2 x 4\n"), &busy, &total, err), err,
               "cpu field 3 is not a number");
    expect_err(procstat_parse_host_stat(P("cpu 1 2 3 4 -5\n"), &busy, &total, err), err,
               "cpu field 5 is not a number");
    expect_err(procstat_parse_host_stat(P("cpu 1 2 3 123456789012345678901\n"), &busy, &total,
                                        err), err, "cpu field 4 overflows");
    expect_err(procstat_parse_host_stat(P("cpu 18446744073709551615 1 0 0\n"), &busy, &total,
                                        err), err, "cpu total overflows");
}

static void test_parse_statm(void **state)
{
    (void)state;
    char err[ERR_LEN];
    uint64_t rss = 0;

    assert_int_equal(procstat_parse_statm(P("765 441 412 5 0 123 0\n"), 4096, &rss, err), 0);
    assert_int_equal(rss, 441 * 4096);
    expect_err(procstat_parse_statm(P("765\n"), 4096, &rss, err), err,
               "expected \"SIZE RESIDENT ...\"");
    expect_err(procstat_parse_statm(P("a b"), 4096, &rss, err), err, "expected");
    expect_err(procstat_parse_statm(P(""), 4096, &rss, err), err, "expected");
    expect_err(procstat_parse_statm(P("1 18446744073709551615 1"), 4096, &rss, err), err,
               "resident size overflows");
}

static struct procstat_snap snap(uint64_t mono_ns, uint64_t proc, uint64_t busy,
                                 uint64_t total)
{
    struct procstat_snap s = {0};
    s.mono_ns = mono_ns;
    s.proc_ticks = proc;
    s.host_busy = busy;
    s.host_total = total;
    s.rss_bytes = 123456789;
    s.ticks_per_sec = 100;
    s.ncpu_online = 4;
    s.ncpu_usable = 2;
    return s;
}

static void test_rates_synthetic(void **state)
{
    (void)state;
    struct procstat_snap a = snap(1000000000, 1000, 5000, 100000);
    struct procstat_snap b = snap(3000000000, 1150, 5400, 100800);
    struct procstat_rates r;
    char err[ERR_LEN];

    /* 150 ticks at 100 Hz = 1.5 s of CPU in 2 s: 75 % of a core, 18.75 %
     * of 4 cores; host busy 400 of 800 ticks: 50 %. */
    assert_int_equal(procstat_rates(&r, &a, &b, err), 0);
    assert_true(fabs(r.interval_s - 2.0) < 1e-12);
    assert_true(fabs(r.proc_core_pct - 75.0) < 1e-9);
    assert_true(fabs(r.proc_all_pct - 18.75) < 1e-9);
    assert_true(fabs(r.proc_usable_pct - 37.5) < 1e-9); /* 2 usable cores */
    assert_true(fabs(r.host_pct - 50.0) < 1e-9);
    assert_int_equal(r.rss_bytes, 123456789);
    assert_int_equal(r.ncpu_online, 4);
    assert_int_equal(r.ncpu_usable, 2);

    /* Multi-threaded: 3.5 cores busy is 350 % of one core, 87.5 % of all. */
    b = snap(2000000000, 1350, 5400, 100800);
    assert_int_equal(procstat_rates(&r, &a, &b, err), 0);
    assert_true(fabs(r.proc_core_pct - 350.0) < 1e-9);
    assert_true(fabs(r.proc_all_pct - 87.5) < 1e-9);
    assert_true(r.proc_usable_pct == 100.0); /* more than the 2 usable: clamped */

    /* Tick granularity can overshoot: a whole is clamped to 100 %. */
    b = snap(1100000000, 1041, 5801, 100800);
    b.ncpu_online = 1;
    assert_int_equal(procstat_rates(&r, &a, &b, err), 0);
    assert_true(fabs(r.proc_core_pct - 410.0) < 1e-9); /* not clamped: per core */
    assert_true(r.proc_all_pct == 100.0);
    assert_true(r.host_pct == 100.0);

    /* Idle: zero is a real measurement. */
    b = snap(2000000000, 1000, 5000, 100400);
    assert_int_equal(procstat_rates(&r, &a, &b, err), 0);
    assert_true(r.proc_core_pct == 0 && r.proc_all_pct == 0 && r.host_pct == 0);

    b = snap(1000000000, 1100, 5400, 100800);
    expect_err(procstat_rates(&r, &a, &b, err), err, "not in time order");
    b = snap(500, 1100, 5400, 100800);
    expect_err(procstat_rates(&r, &a, &b, err), err, "not in time order");
    b = snap(3000000000, 999, 5400, 100800);
    expect_err(procstat_rates(&r, &a, &b, err), err, "process CPU ticks went backwards (1000 -> 999)");
    b = snap(3000000000, 1100, 4999, 100800);
    expect_err(procstat_rates(&r, &a, &b, err), err, "host busy ticks went backwards");
    b = snap(3000000000, 1100, 5000, 100000);
    expect_err(procstat_rates(&r, &a, &b, err), err, "host CPU ticks did not advance");
    b = snap(3000000000, 1100, 5400, 100800);
    b.ticks_per_sec = 0;
    expect_err(procstat_rates(&r, &a, &b, err), err, "without clock ticks");
    b.ticks_per_sec = 100;
    b.ncpu_online = 0;
    expect_err(procstat_rates(&r, &a, &b, err), err, "CPU count");
    b.ncpu_online = 4;
    b.ncpu_usable = 0;
    expect_err(procstat_rates(&r, &a, &b, err), err, "CPU count");
}

static void sleep_ns(uint64_t ns)
{
    struct timespec ts = {(time_t)(ns / 1000000000), (long)(ns % 1000000000)};
    while (nanosleep(&ts, &ts) != 0) {
    }
}

static void test_read_this_machine(void **state)
{
    (void)state;
    struct procstat_snap a, b;
    struct procstat_rates r;
    char err[ERR_LEN];
    volatile uint64_t sink = 0;
    uint64_t stop;
    size_t big = 64u << 20;
    unsigned char *mem;

    if (procstat_read(&a, err) != 0)
        fail_msg("procstat_read: %s", err);
    assert_true(a.ticks_per_sec > 0);
    assert_true(a.ncpu_online >= 1);
    assert_true(a.ncpu_usable >= 1 && a.ncpu_usable <= 65536);
    assert_true(a.host_total > a.host_busy);
    assert_true(a.rss_bytes > 0);
    assert_true(a.mono_ns > 0);

    /* Spin 0.3 s of CPU on this thread; touch 64 MiB so RSS grows. */
    struct timespec cpu_start;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu_start);
    long long cpu0 = cpu_start.tv_sec * 1000000000LL + cpu_start.tv_nsec;
    mem = malloc(big);
    assert_non_null(mem);
    for (size_t i = 0; i < big; i += 4096)
        mem[i] = (unsigned char)i;
    /* Spin until this thread has had 0.3 s of CPU (not of wall time: on a
     * loaded host the wall time stretches and the share of a core falls),
     * bounded at 20 s of wall time. */
    stop = timefmt_mono_ns() + UINT64_C(20000000000);
    for (;;) {
        struct timespec cpu;
        for (int i = 0; i < 100000; i++)
            sink += 1;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu);
        if (cpu.tv_sec * 1000000000LL + cpu.tv_nsec >= 300000000LL + cpu0 || timefmt_mono_ns() > stop)
            break;
    }
    if (procstat_read(&b, err) != 0)
        fail_msg("procstat_read: %s", err);
    assert_int_equal(procstat_rates(&r, &a, &b, err), 0);
    print_message("# busy 0.3 s: process %.1f %% of a core, %.1f %% of %u cores, host %.1f %%, "
                  "rss %.1f MiB (+%.1f)\n", r.proc_core_pct, r.proc_all_pct, r.ncpu_online,
                  r.host_pct, (double)b.rss_bytes / 1048576.0,
                  ((double)b.rss_bytes - (double)a.rss_bytes) / 1048576.0);
    assert_true(r.interval_s >= 0.3);
    /* The process's CPU seconds over the interval, as procstat measured
     * them: at least the 0.3 s spun, less a clock tick or two. */
    assert_true(r.proc_core_pct / 100.0 * r.interval_s > 0.25);
    assert_true(r.host_pct > 0.0);
    assert_true(b.rss_bytes >= a.rss_bytes + (32u << 20));
    free(mem);

    /* Asleep for 0.3 s: the process is (nearly) idle. */
    a = b;
    sleep_ns(300000000);
    if (procstat_read(&b, err) != 0)
        fail_msg("procstat_read: %s", err);
    assert_int_equal(procstat_rates(&r, &a, &b, err), 0);
    assert_true(r.proc_core_pct < 50.0);
    (void)sink;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_self_stat),
        cmocka_unit_test(test_parse_host_stat),
        cmocka_unit_test(test_parse_statm),
        cmocka_unit_test(test_rates_synthetic),
        cmocka_unit_test(test_read_this_machine),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
