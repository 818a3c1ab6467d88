/* hist.h - HDR-style latency histogram: log-linear buckets, exact merge.
 *
 * Values are unsigned 64-bit integers; the project records NANOSECONDS
 * (monotonic clock differences, so recording needs no division). Layout:
 *  - values 0 .. 2*HIST_SUB_COUNT-1 (0..255) each have their own bucket;
 *  - above that, every power-of-two range [2^k, 2^(k+1)) is split into
 *    HIST_SUB_COUNT (128) equal sub-buckets of width 2^(k-7).
 * A bucket's width is at most 1/128 of its lower bound, so any value inside
 * a bucket is within 0.79 % (relative) of the bucket's bounds.
 * The covered range is 0 .. HIST_MAX = 2^42 - 1 ns (73.3 minutes). A value
 * above HIST_MAX is counted in the top bucket (and in `clamped`); min, max
 * and the sum keep the true value.
 *
 * `struct hist` is a value struct (about 36 KiB) the caller owns: embed it,
 * make it static, or use hist_new/hist_free. Recording never allocates and is
 * O(1). Nothing here is thread-safe: one writer per histogram; merge per-thread
 * histograms with hist_merge. Pure: no logging, no clock, no global state.
 * Pointer arguments must not be NULL unless stated otherwise.
 */
#ifndef BSS_HIST_H
#define BSS_HIST_H

#include <stddef.h>
#include <stdint.h>

#define HIST_SUB_BITS 7
#define HIST_SUB_COUNT (1u << HIST_SUB_BITS) /* 128 */
#define HIST_MAX_BITS 42
#define HIST_MAX ((UINT64_C(1) << HIST_MAX_BITS) - 1)
/* Number of buckets: one linear block of 2*128 plus 128 per further power. */
#define HIST_BUCKETS ((HIST_MAX_BITS - HIST_SUB_BITS + 1) * HIST_SUB_COUNT) /* 4608 */

struct hist {
    uint64_t count;   /* values recorded */
    uint64_t min;     /* smallest value; UINT64_MAX while empty (use hist_min) */
    uint64_t max;     /* largest value (true value, even above HIST_MAX) */
    uint64_t sum_lo;  /* exact 128-bit sum of the values: low 64 bits */
    uint64_t sum_hi;  /*   high 64 bits */
    uint64_t clamped; /* values above HIST_MAX (they are in the top bucket) */
    uint64_t counts[HIST_BUCKETS];
};

/* Empties h (all counters zero, min reset). A zero-filled struct hist is NOT
 * ready: call hist_init (or hist_reset, the same thing) first. */
void hist_init(struct hist *h);
void hist_reset(struct hist *h);

/* Heap-allocated, initialised histogram; NULL when out of memory. Free with
 * hist_free (hist_free(NULL) is a no-op). */
struct hist *hist_new(void);
void hist_free(struct hist *h);

/* Records one value v. O(1), no allocation, no failure. */
void hist_record(struct hist *h, uint64_t v);

/* Records value v n times (n == 0 records nothing). */
void hist_record_n(struct hist *h, uint64_t v, uint64_t n);

/* Adds every bucket, count, sum and min/max of src into dst. Exact: merging
 * the histograms of the parts of a data set gives bit-for-bit the histogram
 * of the whole. dst == src is allowed (doubles every count). Counters are
 * uint64 and not checked for overflow (2^64 values). */
void hist_merge(struct hist *dst, const struct hist *src);

/* Accessors. On an empty histogram min, max and mean return 0. The mean is
 * exact up to the double conversion (the sum is kept in 128 bits). */
uint64_t hist_count(const struct hist *h);
uint64_t hist_min(const struct hist *h);
uint64_t hist_max(const struct hist *h);
double hist_mean(const struct hist *h);

/* The p-th percentile (0 <= p <= 100; smaller values and NaN are taken as 0,
 * larger as 100), nearest-rank definition: the value v_r with
 * r = ceil(p/100 * count) (at least 1) in the sorted data.
 * Returns the UPPER bound of the bucket holding v_r, limited to [min, max],
 * so that a reported percentile never understates: v_r <= result <=
 * v_r * (1 + 1/128) for values in range. p == 0 returns min and p == 100
 * returns max exactly. Returns 0 for an empty histogram. O(HIST_BUCKETS). */
uint64_t hist_percentile(const struct hist *h, double p);

/* Bucket geometry, exposed for reports and tests.
 * hist_bucket_index: the bucket that value v is counted in (values above
 *   HIST_MAX give the top bucket, HIST_BUCKETS - 1).
 * hist_bucket_low / hist_bucket_high: smallest and largest in-range value of
 *   bucket i (i < HIST_BUCKETS; larger i is treated as the top bucket). */
uint32_t hist_bucket_index(uint64_t v);
uint64_t hist_bucket_low(uint32_t i);
uint64_t hist_bucket_high(uint32_t i);

/* ---- Sparse export / import (the wire form; proto/ encodes it) ----
 * A histogram travels as a head (everything but the buckets) plus the list of
 * non-empty buckets in strictly ascending index order. The total count is
 * the sum of the pair counts. */
struct hist_pair {
    uint32_t index; /* bucket index, < HIST_BUCKETS */
    uint64_t count; /* > 0 */
};

struct hist_head {
    uint64_t min;   /* 0 when empty */
    uint64_t max;   /* 0 when empty */
    uint64_t sum_lo;
    uint64_t sum_hi;
    uint64_t clamped;
};

/* Fills *head and writes up to cap pairs (ascending index) into pairs.
 * Returns the number of non-empty buckets n; when n > cap only the first cap
 * pairs were written and the caller should retry with n slots (n never
 * exceeds HIST_BUCKETS). pairs may be NULL when cap == 0. */
size_t hist_export(const struct hist *h, struct hist_head *head,
                   struct hist_pair *pairs, size_t cap);

/* Validates a received head + n pairs and ADDS them into h (import into a
 * freshly initialised histogram for a plain copy). All-or-nothing: on error
 * h is untouched. Checked: each index < HIST_BUCKETS, counts > 0, indices
 * strictly ascending, no counter overflow, min/max consistent with the first
 * and last bucket, min <= max, clamped consistent with max and the top
 * bucket, sum between count*min and count*max; an empty list needs an
 * all-zero head. pairs may be NULL when n == 0.
 * Returns 0, or -1 with err naming the bad pair or field. */
int hist_import(struct hist *h, const struct hist_head *head,
                const struct hist_pair *pairs, size_t n, char *err);

#endif
