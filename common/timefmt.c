/* timefmt.c - see timefmt.h. Civil-date conversions use Howard Hinnant's
 * days-from-civil algorithm so that no libc time zone state (timegm, TZ) is
 * touched: these run inside signer threads. */
#include "timefmt.h"

#include <time.h>

#include "err.h"

static int64_t timefmt_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

void timefmt_format(char out[TIMEFMT_LEN], uint32_t secs)
{
    int64_t z = secs / 86400 + 719468;
    unsigned sod = secs % 86400;
    int64_t era = z / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = (int64_t)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    unsigned d = doy - (153 * mp + 2) / 5 + 1;
    unsigned m = mp < 10 ? mp + 3 : mp - 9;
    unsigned v[6] = {(unsigned)(y + (m <= 2)), m, d, sod / 3600, sod / 60 % 60, sod % 60};
    static const char sep[6] = {'-', '-', 'T', ':', ':', '\0'};
    char *p = out;

    /* Fixed-width digits by hand: snprintf here would be the only formatted
     * output on the pre-sign path. */
    for (int i = 0; i < 6; i++) {
        int width = i == 0 ? 4 : 2;
        for (int k = width - 1; k >= 0; k--) {
            p[k] = (char)('0' + v[i] % 10);
            v[i] /= 10;
        }
        p += width;
        *p++ = sep[i];
    }
}

static int timefmt_digits(const char *s, int n, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    *out = v;
    return 0;
}

int timefmt_parse(uint32_t *secs, const char *s, size_t len, char *err)
{
    static const unsigned mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    unsigned y, mo, d, h, mi, se;

    if (len == 20 && s[19] == 'Z')
        len = 19;
    if (len != 19 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' ||
        timefmt_digits(s, 4, &y) || timefmt_digits(s + 5, 2, &mo) || timefmt_digits(s + 8, 2, &d) ||
        timefmt_digits(s + 11, 2, &h) || timefmt_digits(s + 14, 2, &mi) ||
        timefmt_digits(s + 17, 2, &se))
        return err_set(err, "time must be YYYY-MM-DDTHH:MM:SS");
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || se > 59)
        return err_set(err, "time %.19s is not a valid date and time", s);
    if (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
        return err_set(err, "time %.19s: %u is not a leap year", s, y);
    int64_t t = timefmt_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
    if (t < 0 || t > (int64_t)UINT32_MAX)
        return err_set(err, "time %.19s is outside 1970-01-01T00:00:00..2106-02-07T06:28:15", s);
    *secs = (uint32_t)t;
    return 0;
}

uint64_t timefmt_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint32_t timefmt_wall_secs(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint32_t)ts.tv_sec;
}

uint64_t timefmt_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}
