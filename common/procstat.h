/* procstat.h - CPU and memory self-monitoring from Linux /proc.
 *
 * Take a snapshot (procstat_read) now and again later; procstat_rates turns
 * two snapshots into percentages. Snapshots are plain value structs, so
 * procstat_rates is pure and testable with synthetic numbers; the parsers of
 * the /proc text forms are exposed for the same reason. Reading costs a few
 * small file reads (once a second is the intended use, never per
 * transaction); nothing allocates, logs or keeps global state.
 * Pointer arguments must not be NULL.
 */
#ifndef BSS_PROCSTAT_H
#define BSS_PROCSTAT_H

#include <stddef.h>
#include <stdint.h>

struct procstat_snap {
    uint64_t mono_ns;        /* CLOCK_MONOTONIC when taken */
    uint64_t proc_ticks;     /* utime + stime of this process (all threads), clock ticks */
    uint64_t host_busy;      /* /proc/stat "cpu" line: all but idle and iowait, ticks */
    uint64_t host_total;     /* user+nice+system+idle+iowait+irq+softirq+steal, ticks */
    uint64_t rss_bytes;      /* resident set size (/proc/self/statm) */
    uint64_t ticks_per_sec;  /* sysconf(_SC_CLK_TCK), usually 100 */
    uint32_t ncpu_online;    /* sysconf(_SC_NPROCESSORS_ONLN) */
    uint32_t ncpu_usable;    /* CPUs in this process's affinity mask */
};

struct procstat_rates {
    double interval_s;    /* b.mono_ns - a.mono_ns, seconds */
    double proc_core_pct; /* process CPU as % of ONE core (may exceed 100) */
    double proc_all_pct;  /* process CPU as % of all online cores (0..100) */
    double proc_usable_pct; /* process CPU as % of the cores it may run on
                             * (affinity mask, 0..100): near 100 means the
                             * process is CPU-bound */
    double host_pct;      /* host CPU busy, % of all online cores (0..100) */
    uint64_t rss_bytes;   /* from the later snapshot */
    uint32_t ncpu_online; /* from the later snapshot */
    uint32_t ncpu_usable;
};

/* Fills *s from /proc/self/stat, /proc/stat, /proc/self/statm, sysconf and
 * the monotonic clock. Returns 0, or -1 with err naming the file and the
 * problem. */
int procstat_read(struct procstat_snap *s, char *err);

/* Rates between an earlier snapshot a and a later one b. Requires
 * b.mono_ns > a.mono_ns, counters that did not go backwards, host counters
 * that advanced (an interval shorter than one tick gives no host figure),
 * and ticks_per_sec, ncpu_online and ncpu_usable > 0 (taken from b).
 * Percentages of a whole are clamped to [0, 100] (tick granularity can
 * overshoot by a tick); proc_core_pct is not. Returns 0, or -1 with err. */
int procstat_rates(struct procstat_rates *out, const struct procstat_snap *a,
                   const struct procstat_snap *b, char *err);

/* Parsers of the /proc text forms (text is len bytes, need not be
 * NUL-terminated). Each returns 0, or -1 with err naming what is wrong.
 *  procstat_parse_self_stat: /proc/[pid]/stat -> utime + stime (fields 14
 *    and 15; the command name in parentheses may contain spaces and ')').
 *  procstat_parse_host_stat: the first line of /proc/stat ("cpu  ...", at
 *    least 4 numbers; missing later fields count as 0) -> busy and total.
 *  procstat_parse_statm: /proc/[pid]/statm -> resident pages * page_size. */
int procstat_parse_self_stat(const char *text, size_t len, uint64_t *ticks, char *err);
int procstat_parse_host_stat(const char *text, size_t len, uint64_t *busy,
                             uint64_t *total, char *err);
int procstat_parse_statm(const char *text, size_t len, uint64_t page_size,
                         uint64_t *rss_bytes, char *err);

#endif
