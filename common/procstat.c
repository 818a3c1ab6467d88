/* procstat.c - see procstat.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#endif
#include "procstat.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "timefmt.h"

static bool is_space(char c)
{
    return c == ' ' || c == '\t';
}

/* Parses an unsigned decimal at *p (after blanks). 0, -1 (no number), -2
 * (overflow). *p ends after the digits. */
static int next_u64(const char **p, const char *end, uint64_t *out)
{
    const char *s = *p;
    uint64_t v = 0;

    while (s < end && is_space(*s))
        s++;
    if (s == end || *s < '0' || *s > '9')
        return -1;
    for (; s < end && *s >= '0' && *s <= '9'; s++) {
        unsigned d = (unsigned)(*s - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -2;
        v = v * 10 + d;
    }
    if (s < end && !is_space(*s) && *s != '\n')
        return -1; /* "12ab" is not a number */
    *p = s;
    *out = v;
    return 0;
}

int procstat_parse_self_stat(const char *text, size_t len, uint64_t *ticks, char *err)
{
    const char *end = text + len, *p = NULL, *q;
    uint64_t ut, st;
    int rc;

    /* The command name is "(...)" and may itself contain ") ": the fields
     * start after the LAST ')'. */
    for (q = text; q < end; q++)
        if (*q == ')')
            p = q + 1;
    if (p == NULL)
        return err_set(err, "/proc/self/stat: no ')' after the command name");
    /* Fields 3 (state) to 13 are skipped: some may be negative. */
    for (int field = 3; field < 14; field++) {
        while (p < end && is_space(*p))
            p++;
        if (p == end || *p == '\n')
            return err_set(err, "/proc/self/stat: only %d fields", field - 1);
        while (p < end && !is_space(*p) && *p != '\n')
            p++;
    }
    if ((rc = next_u64(&p, end, &ut)) < 0)
        return err_set(err, "/proc/self/stat: utime (field 14) %s",
                       rc == -2 ? "overflows" : "is not a number");
    if ((rc = next_u64(&p, end, &st)) < 0)
        return err_set(err, "/proc/self/stat: stime (field 15) %s",
                       rc == -2 ? "overflows" : "is not a number");
    if (ut + st < ut)
        return err_set(err, "/proc/self/stat: utime + stime overflows");
    *ticks = ut + st;
    return 0;
}

int procstat_parse_host_stat(const char *text, size_t len, uint64_t *busy,
                             uint64_t *total, char *err)
{
    /* user nice system idle iowait irq softirq steal; guest and guest_nice
     * follow but are already included in user and nice. */
    uint64_t f[8] = {0}, sum = 0, idle;
    const char *end = text + len, *p = text;
    int n = 0, rc;

    if (len < 4 || memcmp(text, "cpu", 3) != 0 || !is_space(text[3]))
        return err_set(err, "/proc/stat: first line does not start with \"cpu \"");
    p += 3;
    for (; n < 8; n++) {
        const char *save = p;
        if ((rc = next_u64(&p, end, &f[n])) == -2)
            return err_set(err, "/proc/stat: cpu field %d overflows", n + 1);
        if (rc < 0) {
            /* end of line is fine after 4 fields; anything else is not */
            while (save < end && is_space(*save))
                save++;
            if (save < end && *save != '\n')
                return err_set(err, "/proc/stat: cpu field %d is not a number", n + 1);
            break;
        }
    }
    if (n < 4)
        return err_set(err, "/proc/stat: cpu line has %d fields, need at least 4", n);
    for (int i = 0; i < 8; i++) {
        if (sum + f[i] < sum)
            return err_set(err, "/proc/stat: cpu total overflows");
        sum += f[i];
    }
    idle = f[3] + f[4];
    *busy = sum - idle;
    *total = sum;
    return 0;
}

int procstat_parse_statm(const char *text, size_t len, uint64_t page_size,
                         uint64_t *rss_bytes, char *err)
{
    const char *p = text, *end = text + len;
    uint64_t size, resident;

    if (next_u64(&p, end, &size) < 0 || next_u64(&p, end, &resident) < 0)
        return err_set(err, "/proc/self/statm: expected \"SIZE RESIDENT ...\"");
    if (page_size != 0 && resident > UINT64_MAX / page_size)
        return err_set(err, "/proc/self/statm: resident size overflows");
    *rss_bytes = resident * page_size;
    return 0;
}

/* Reads up to cap - 1 bytes of a /proc file into buf (NUL-terminated).
 * /proc files report size 0, so read until EOF or the buffer is full. */
static int read_proc(const char *path, char *buf, size_t cap, size_t *len, char *err)
{
    size_t n = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC), rc = -1;

    if (fd < 0)
        return err_set(err, "%s: %s", path, strerror(errno));
    while (n < cap - 1) {
        ssize_t r = read(fd, buf + n, cap - 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            err_set(err, "%s: %s", path, strerror(errno));
            goto done;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    buf[n] = '\0';
    *len = n;
    rc = 0;
done:
    close(fd);
    return rc;
}

int procstat_read(struct procstat_snap *s, char *err)
{
    /* /proc/stat is long (one line per CPU, interrupts): only its first
     * line is needed, and it fits easily. */
    char buf[4096];
    size_t len;
    long hz, ncpu, page;
    cpu_set_t set;

    memset(s, 0, sizeof(*s));
    hz = sysconf(_SC_CLK_TCK);
    ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    page = sysconf(_SC_PAGESIZE);
    if (hz <= 0 || ncpu <= 0 || page <= 0)
        return err_set(err, "sysconf: clock ticks, online CPUs or page size unavailable");
    s->ticks_per_sec = (uint64_t)hz;
    s->ncpu_online = (uint32_t)ncpu;
    s->ncpu_usable = s->ncpu_online;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0)
        s->ncpu_usable = (uint32_t)CPU_COUNT(&set);

    s->mono_ns = timefmt_mono_ns();
    if (read_proc("/proc/self/stat", buf, sizeof(buf), &len, err) < 0 ||
        procstat_parse_self_stat(buf, len, &s->proc_ticks, err) < 0)
        return -1;
    if (read_proc("/proc/stat", buf, sizeof(buf), &len, err) < 0)
        return -1;
    if (memchr(buf, '\n', len) == NULL)
        return err_set(err, "/proc/stat: first line longer than %zu bytes", sizeof(buf) - 1);
    if (procstat_parse_host_stat(buf, len, &s->host_busy, &s->host_total, err) < 0)
        return -1;
    if (read_proc("/proc/self/statm", buf, sizeof(buf), &len, err) < 0 ||
        procstat_parse_statm(buf, len, (uint64_t)page, &s->rss_bytes, err) < 0)
        return -1;
    return 0;
}

static double clamp_pct(double v)
{
    return v < 0 ? 0 : v > 100 ? 100 : v;
}

int procstat_rates(struct procstat_rates *out, const struct procstat_snap *a,
                   const struct procstat_snap *b, char *err)
{
    double dt, cpu_s;

    if (b->mono_ns <= a->mono_ns)
        return err_set(err, "procstat: snapshots not in time order (%" PRIu64 " ns then %" PRIu64 " ns)",
                       a->mono_ns, b->mono_ns);
    if (b->ticks_per_sec == 0 || b->ncpu_online == 0 || b->ncpu_usable == 0)
        return err_set(err, "procstat: snapshot without clock ticks per second or CPU count");
    if (b->proc_ticks < a->proc_ticks)
        return err_set(err, "procstat: process CPU ticks went backwards (%" PRIu64 " -> %" PRIu64 ")",
                       a->proc_ticks, b->proc_ticks);
    if (b->host_busy < a->host_busy)
        return err_set(err, "procstat: host busy ticks went backwards (%" PRIu64 " -> %" PRIu64 ")",
                       a->host_busy, b->host_busy);
    if (b->host_total <= a->host_total)
        return err_set(err, "procstat: host CPU ticks did not advance (interval shorter than a tick?)");
    dt = (double)(b->mono_ns - a->mono_ns) / 1e9;
    cpu_s = (double)(b->proc_ticks - a->proc_ticks) / (double)b->ticks_per_sec;
    out->interval_s = dt;
    out->proc_core_pct = cpu_s / dt * 100.0;
    out->proc_all_pct = clamp_pct(out->proc_core_pct / b->ncpu_online);
    out->proc_usable_pct = clamp_pct(out->proc_core_pct / b->ncpu_usable);
    out->host_pct = clamp_pct((double)(b->host_busy - a->host_busy) /
                              (double)(b->host_total - a->host_total) * 100.0);
    out->rss_bytes = b->rss_bytes;
    out->ncpu_online = b->ncpu_online;
    out->ncpu_usable = b->ncpu_usable;
    return 0;
}
