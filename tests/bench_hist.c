/* bench_hist.c - cost of the histogram operations: hist_record is on the
 * send path (once per transaction), the others run once a second.
 * Prints min/avg/max per operation over several runs. Not a test: run with
 * `meson test --benchmark` or directly. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hist.h"
#include "timefmt.h"

#define RUNS 7
#define NVALS (1u << 20)

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint64_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1du;
}

static void report(const char *name, const double *ns, int runs)
{
    double min = ns[0], max = ns[0], sum = 0;

    for (int i = 0; i < runs; i++) {
        min = ns[i] < min ? ns[i] : min;
        max = ns[i] > max ? ns[i] : max;
        sum += ns[i];
    }
    printf("%-28s min %10.2f ns   avg %10.2f ns   max %10.2f ns\n", name, min, sum / runs, max);
}

int main(void)
{
    struct hist *h = hist_new(), *other = hist_new();
    struct hist_pair *pairs = calloc(HIST_BUCKETS, sizeof(*pairs));
    uint64_t *vals = malloc(NVALS * sizeof(*vals));
    struct hist_head head;
    volatile uint64_t sink = 0;
    double ns[RUNS];
    const uint64_t iters = 50u * NVALS;

    if (h == NULL || other == NULL || pairs == NULL || vals == NULL) {
        fprintf(stderr, "bench_hist: out of memory\n");
        return 1;
    }
    /* Latency-like values: 10 us .. ~10 ms, log-uniform. */
    for (uint32_t i = 0; i < NVALS; i++)
        vals[i] = 10000 + (rng() >> (64 - 10 - (rng() % 14)));

    for (int r = 0; r < RUNS; r++) {
        uint64_t t0 = timefmt_mono_ns();
        for (uint64_t i = 0; i < iters; i++)
            hist_record(h, vals[i & (NVALS - 1)]);
        ns[r] = (double)(timefmt_mono_ns() - t0) / (double)iters;
    }
    report("hist_record", ns, RUNS);

    for (int r = 0; r < RUNS; r++) {
        uint64_t t0 = timefmt_mono_ns();
        for (int i = 0; i < 1000; i++)
            sink += hist_percentile(h, 99.0 + i % 2 * 0.9);
        ns[r] = (double)(timefmt_mono_ns() - t0) / 1000.0;
    }
    report("hist_percentile (p99/p99.9)", ns, RUNS);

    for (int r = 0; r < RUNS; r++) {
        uint64_t t0 = timefmt_mono_ns();
        for (int i = 0; i < 1000; i++)
            hist_merge(other, h);
        ns[r] = (double)(timefmt_mono_ns() - t0) / 1000.0;
    }
    report("hist_merge", ns, RUNS);

    for (int r = 0; r < RUNS; r++) {
        uint64_t t0 = timefmt_mono_ns();
        for (int i = 0; i < 1000; i++)
            sink += hist_export(h, &head, pairs, HIST_BUCKETS);
        ns[r] = (double)(timefmt_mono_ns() - t0) / 1000.0;
    }
    report("hist_export", ns, RUNS);
    printf("# %zu non-empty buckets exported (%zu bytes as pairs); hist is %zu bytes\n",
           hist_export(h, &head, pairs, HIST_BUCKETS),
           hist_export(h, &head, pairs, HIST_BUCKETS) * sizeof(*pairs), sizeof(*h));

    for (int r = 0; r < RUNS; r++) {
        uint64_t t0 = timefmt_mono_ns();
        for (int i = 0; i < 1000; i++)
            hist_reset(other);
        ns[r] = (double)(timefmt_mono_ns() - t0) / 1000.0;
    }
    report("hist_reset", ns, RUNS);

    printf("# p50 %llu ns, p99 %llu ns, max %llu ns (sink %llu)\n",
           (unsigned long long)hist_percentile(h, 50), (unsigned long long)hist_percentile(h, 99),
           (unsigned long long)hist_max(h), (unsigned long long)sink);
    free(vals);
    free(pairs);
    hist_free(h);
    hist_free(other);
    return 0;
}
