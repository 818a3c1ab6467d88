/* hist.c - see hist.h. */
#include "hist.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

/* Values below LINEAR (256) index themselves; from there on the shift b grows
 * by one per power of two and v >> b always lands in [128, 256), so
 * b * 128 + (v >> b) is contiguous across powers (no gaps, no overlap). */
#define LINEAR (2u * HIST_SUB_COUNT)

static inline uint32_t index_of(uint64_t v)
{
    /* v | (LINEAR-1) keeps clz defined at v == 0 and maps v < 256 to b = 0. */
    unsigned b = 63u - (unsigned)__builtin_clzll(v | (LINEAR - 1)) - HIST_SUB_BITS;
    return (uint32_t)(b << HIST_SUB_BITS) + (uint32_t)(v >> b);
}

uint32_t hist_bucket_index(uint64_t v)
{
    return index_of(v > HIST_MAX ? HIST_MAX : v);
}

static unsigned shift_of(uint32_t i)
{
    unsigned hi = i >> HIST_SUB_BITS;
    return hi > 0 ? hi - 1 : 0;
}

uint64_t hist_bucket_low(uint32_t i)
{
    if (i >= HIST_BUCKETS)
        i = HIST_BUCKETS - 1;
    unsigned b = shift_of(i);
    return (uint64_t)(i - (b << HIST_SUB_BITS)) << b;
}

uint64_t hist_bucket_high(uint32_t i)
{
    if (i >= HIST_BUCKETS)
        i = HIST_BUCKETS - 1;
    return hist_bucket_low(i) + (UINT64_C(1) << shift_of(i)) - 1;
}

void hist_init(struct hist *h)
{
    memset(h, 0, sizeof(*h));
    h->min = UINT64_MAX;
}

void hist_reset(struct hist *h)
{
    hist_init(h);
}

struct hist *hist_new(void)
{
    struct hist *h = malloc(sizeof(*h));

    if (h != NULL)
        hist_init(h);
    return h;
}

void hist_free(struct hist *h)
{
    free(h);
}

/* ---- 128-bit arithmetic on (hi, lo) pairs, portable (no __int128) ---- */

static void add128(uint64_t *hi, uint64_t *lo, uint64_t a_hi, uint64_t a_lo)
{
    *lo += a_lo;
    *hi += a_hi + (*lo < a_lo);
}

static void mul64(uint64_t a, uint64_t b, uint64_t *hi, uint64_t *lo)
{
    uint64_t a0 = a & 0xffffffffu, a1 = a >> 32;
    uint64_t b0 = b & 0xffffffffu, b1 = b >> 32;
    uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    uint64_t mid = (p00 >> 32) + (p01 & 0xffffffffu) + (p10 & 0xffffffffu);

    *lo = (mid << 32) | (p00 & 0xffffffffu);
    *hi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
}

/* -1, 0, 1 as (ah,al) <, ==, > (bh,bl). */
static int cmp128(uint64_t ah, uint64_t al, uint64_t bh, uint64_t bl)
{
    if (ah != bh)
        return ah < bh ? -1 : 1;
    if (al != bl)
        return al < bl ? -1 : 1;
    return 0;
}

/* ---- recording (the send path: no branches beyond conditional moves) ---- */

void hist_record(struct hist *h, uint64_t v)
{
    uint64_t over = v > HIST_MAX;

    h->counts[index_of(over ? HIST_MAX : v)]++;
    h->count++;
    h->clamped += over;
    h->min = v < h->min ? v : h->min;
    h->max = v > h->max ? v : h->max;
    h->sum_lo += v;
    h->sum_hi += h->sum_lo < v;
}

void hist_record_n(struct hist *h, uint64_t v, uint64_t n)
{
    uint64_t hi, lo;

    if (n == 0)
        return;
    h->counts[hist_bucket_index(v)] += n;
    h->count += n;
    if (v > HIST_MAX)
        h->clamped += n;
    if (v < h->min)
        h->min = v;
    if (v > h->max)
        h->max = v;
    mul64(v, n, &hi, &lo);
    add128(&h->sum_hi, &h->sum_lo, hi, lo);
}

void hist_merge(struct hist *dst, const struct hist *src)
{
    for (size_t i = 0; i < HIST_BUCKETS; i++)
        dst->counts[i] += src->counts[i];
    dst->count += src->count;
    dst->clamped += src->clamped;
    if (src->min < dst->min)
        dst->min = src->min;
    if (src->max > dst->max)
        dst->max = src->max;
    add128(&dst->sum_hi, &dst->sum_lo, src->sum_hi, src->sum_lo);
}

uint64_t hist_count(const struct hist *h)
{
    return h->count;
}

uint64_t hist_min(const struct hist *h)
{
    return h->count ? h->min : 0;
}

uint64_t hist_max(const struct hist *h)
{
    return h->count ? h->max : 0;
}

double hist_mean(const struct hist *h)
{
    if (h->count == 0)
        return 0.0;
    return ((double)h->sum_hi * 18446744073709551616.0 + (double)h->sum_lo) /
           (double)h->count;
}

uint64_t hist_percentile(const struct hist *h, double p)
{
    uint64_t rank, seen = 0;
    double x;

    if (h->count == 0)
        return 0;
    if (!(p > 0.0)) /* also NaN */
        return h->min;
    if (p >= 100.0)
        return h->max;
    x = p / 100.0 * (double)h->count;
    /* p/100*count is often an integer that floating point overshoots by an
     * ulp (28/100*25 = 7.000000000000001); shave a relative 1e-12 so that
     * the rank is not pushed one past the intended one. */
    x -= x * 1e-12;
    if (x <= 1.0) {
        rank = 1;
    } else if (x >= (double)h->count) {
        rank = h->count;
    } else {
        rank = (uint64_t)x; /* ceil without libm: common/ links no libm */
        rank += (double)rank < x;
    }
    for (uint32_t i = 0; i < HIST_BUCKETS; i++) {
        seen += h->counts[i];
        if (seen >= rank) {
            /* The top bucket also holds clamped values: its honest upper
             * bound is the true max. */
            uint64_t v = i == HIST_BUCKETS - 1 ? h->max : hist_bucket_high(i);
            if (v > h->max)
                v = h->max;
            if (v < h->min)
                v = h->min;
            return v;
        }
    }
    return h->max; /* unreachable when counts sum to count */
}

size_t hist_export(const struct hist *h, struct hist_head *head,
                   struct hist_pair *pairs, size_t cap)
{
    size_t n = 0;

    head->min = hist_min(h);
    head->max = hist_max(h);
    head->sum_lo = h->sum_lo;
    head->sum_hi = h->sum_hi;
    head->clamped = h->clamped;
    for (uint32_t i = 0; i < HIST_BUCKETS; i++) {
        if (h->counts[i] == 0)
            continue;
        if (n < cap) {
            pairs[n].index = i;
            pairs[n].count = h->counts[i];
        }
        n++;
    }
    return n;
}

static int check_head(const struct hist_head *hd, const struct hist_pair *pairs,
                      size_t n, uint64_t total, char *err)
{
    uint32_t first = pairs[0].index, last = pairs[n - 1].index;
    uint64_t lo_hi, lo_lo, up_hi, up_lo;

    if (hd->min > hd->max)
        return err_set(err, "histogram: min %" PRIu64 " > max %" PRIu64, hd->min, hd->max);
    if (hist_bucket_index(hd->min) != first)
        return err_set(err, "histogram: min %" PRIu64 " is not in the first bucket (index %" PRIu32 ")",
                       hd->min, first);
    if (hist_bucket_index(hd->max) != last)
        return err_set(err, "histogram: max %" PRIu64 " is not in the last bucket (index %" PRIu32 ")",
                       hd->max, last);
    if (total == 1 && hd->min != hd->max)
        return err_set(err, "histogram: one value but min %" PRIu64 " != max %" PRIu64, hd->min, hd->max);
    if (hd->max > HIST_MAX) {
        /* max is in the top bucket (checked above), so pairs[n-1] is it. */
        if (hd->clamped == 0 || hd->clamped > pairs[n - 1].count)
            return err_set(err, "histogram: clamped %" PRIu64 " inconsistent with max %" PRIu64
                           " and top bucket count %" PRIu64, hd->clamped, hd->max, pairs[n - 1].count);
        if (hd->min > HIST_MAX && hd->clamped != total)
            return err_set(err, "histogram: min %" PRIu64 " is above range but clamped %" PRIu64
                           " != count %" PRIu64, hd->min, hd->clamped, total);
    } else if (hd->clamped != 0) {
        return err_set(err, "histogram: clamped %" PRIu64 " but max %" PRIu64 " is in range",
                       hd->clamped, hd->max);
    }
    mul64(hd->min, total, &lo_hi, &lo_lo);
    mul64(hd->max, total, &up_hi, &up_lo);
    if (cmp128(hd->sum_hi, hd->sum_lo, lo_hi, lo_lo) < 0 ||
        cmp128(hd->sum_hi, hd->sum_lo, up_hi, up_lo) > 0)
        return err_set(err, "histogram: sum is outside count*min .. count*max");
    return 0;
}

int hist_import(struct hist *h, const struct hist_head *head,
                const struct hist_pair *pairs, size_t n, char *err)
{
    uint64_t total = 0;

    if (n == 0) {
        if (head->min || head->max || head->sum_lo || head->sum_hi || head->clamped)
            return err_set(err, "histogram: no buckets but min/max/sum/clamped not zero");
        return 0;
    }
    if (n > HIST_BUCKETS)
        return err_set(err, "histogram: %zu buckets, at most %u exist", n, (unsigned)HIST_BUCKETS);
    for (size_t i = 0; i < n; i++) {
        if (pairs[i].index >= HIST_BUCKETS)
            return err_set(err, "histogram pair %zu: bucket index %" PRIu32 " out of range (max %u)",
                           i, pairs[i].index, (unsigned)HIST_BUCKETS - 1);
        if (i > 0 && pairs[i].index <= pairs[i - 1].index)
            return err_set(err, "histogram pair %zu: bucket index %" PRIu32
                           " not above the previous index %" PRIu32,
                           i, pairs[i].index, pairs[i - 1].index);
        if (pairs[i].count == 0)
            return err_set(err, "histogram pair %zu: bucket %" PRIu32 " has count 0",
                           i, pairs[i].index);
        if (total + pairs[i].count < total)
            return err_set(err, "histogram pair %zu: total count overflows", i);
        total += pairs[i].count;
    }
    if (check_head(head, pairs, n, total, err) < 0)
        return -1;
    if (h->count + total < h->count)
        return err_set(err, "histogram: merged count overflows");
    if (h->sum_hi + head->sum_hi < h->sum_hi ||
        (h->sum_hi + head->sum_hi == UINT64_MAX && h->sum_lo + head->sum_lo < h->sum_lo))
        return err_set(err, "histogram: merged sum overflows");

    for (size_t i = 0; i < n; i++)
        h->counts[pairs[i].index] += pairs[i].count;
    h->count += total;
    h->clamped += head->clamped;
    if (head->min < h->min)
        h->min = head->min;
    if (head->max > h->max)
        h->max = head->max;
    add128(&h->sum_hi, &h->sum_lo, head->sum_hi, head->sum_lo);
    return 0;
}
