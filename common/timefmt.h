/* timefmt.h - the node's time_point_sec text form, "YYYY-MM-DDTHH:MM:SS" (UTC,
 * no "Z"), and a monotonic clock. Pure. */
#ifndef BSS_TIMEFMT_H
#define BSS_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

#define TIMEFMT_LEN 20 /* 19 characters and a NUL */

/* Formats secs (seconds since the Unix epoch, UTC) into out (TIMEFMT_LEN
 * bytes), e.g. 1893456000 -> "2030-01-01T00:00:00". */
void timefmt_format(char out[TIMEFMT_LEN], uint32_t secs);

/* Parses "YYYY-MM-DDTHH:MM:SS" (len characters; a trailing "Z" is accepted as
 * the node does not emit but tolerates it) into *secs. Fields are range
 * checked (month 1-12, day valid for the month, ...); the result must fit a
 * uint32. Returns 0, or -1 with err naming the problem. */
int timefmt_parse(uint32_t *secs, const char *s, size_t len, char *err);

/* Monotonic time in nanoseconds (CLOCK_MONOTONIC). Every interval and due
 * time in the project is measured with this clock. */
uint64_t timefmt_mono_ns(void);

/* Wall-clock seconds since the epoch (CLOCK_REALTIME). Used only for values
 * that leave the process: transaction expirations and report timestamps. */
uint32_t timefmt_wall_secs(void);

/* Wall-clock milliseconds since the epoch (CLOCK_REALTIME), for report
 * timestamps. */
uint64_t timefmt_wall_ms(void);

#endif
