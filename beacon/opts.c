/* opts.c - see opts.h. */
#include "opts.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "hex.h"
#include "txjson.h"

int opts_u64(const char *opt, const char *s, uint64_t min, uint64_t max, uint64_t *out, char *err)
{
    char *end;
    unsigned long long v;

    if (s[0] < '0' || s[0] > '9')
        return err_set(err, "%s: expected a whole number, got \"%s\"", opt, s);
    errno = 0;
    v = strtoull(s, &end, 10);
    if (*end != '\0')
        return err_set(err, "%s: expected a whole number, got \"%s\"", opt, s);
    if (errno == ERANGE || v < min || v > max)
        return err_set(err, "%s: %s is out of range %llu..%llu", opt, s, (unsigned long long)min,
                       (unsigned long long)max);
    *out = v;
    return 0;
}

int opts_id(const char *opt, const char *s, unsigned type, uint64_t *out, char *err)
{
    if (txjson_parse_id(s, strlen(s), 1, type, out, err) < 0)
        return err_prefix(err, "%s", opt);
    return 0;
}

int opts_asset(const char *opt, const char *s, struct tx_asset *out, char *err)
{
    char amount[32];
    const char *colon = strchr(s, ':');
    size_t n = colon != NULL ? (size_t)(colon - s) : strlen(s);
    uint64_t v;

    if (n == 0 || n >= sizeof amount)
        return err_set(err, "%s: expected AMOUNT or AMOUNT:1.3.N, got \"%s\"", opt, s);
    memcpy(amount, s, n);
    amount[n] = '\0';
    if (opts_u64(opt, amount, 0, INT64_MAX, &v, err) < 0)
        return -1;
    if (colon != NULL && opts_id(opt, colon + 1, 3, &out->asset_id, err) < 0)
        return -1;
    out->amount = (int64_t)v;
    return 0;
}

int opts_mix(const char *opt, const char *s, unsigned *w_transfer, unsigned *w_limit_order,
             char *err)
{
    unsigned wt = 0, wl = 0;
    const char *p = s;

    while (*p != '\0') {
        const char *end = strchr(p, ',');
        size_t n = end != NULL ? (size_t)(end - p) : strlen(p);
        const char *eq = memchr(p, '=', n);
        char num[16];
        uint64_t w;
        unsigned *slot;

        if (eq == NULL)
            return err_set(err, "%s: expected KIND=WEIGHT, got \"%.*s\"", opt, (int)n, p);
        if ((size_t)(eq - p) == 8 && memcmp(p, "transfer", 8) == 0)
            slot = &wt;
        else if ((size_t)(eq - p) == 11 && memcmp(p, "limit_order", 11) == 0)
            slot = &wl;
        else
            return err_set(err, "%s: unknown operation \"%.*s\" (transfer, limit_order)", opt,
                           (int)(eq - p), p);
        if ((size_t)(p + n - eq - 1) >= sizeof num || p + n == eq + 1)
            return err_set(err, "%s: bad weight in \"%.*s\"", opt, (int)n, p);
        memcpy(num, eq + 1, (size_t)(p + n - eq - 1));
        num[p + n - eq - 1] = '\0';
        if (opts_u64(opt, num, 0, 1000000, &w, err) < 0)
            return -1;
        *slot = (unsigned)w;
        p += n;
        if (*p == ',')
            p++;
    }
    if (wt + wl == 0)
        return err_set(err, "%s: the mix \"%s\" has no weight", opt, s);
    *w_transfer = wt;
    *w_limit_order = wl;
    return 0;
}

int opts_hex(const char *opt, const char *s, uint8_t *out, size_t len, char *err)
{
    if (hex_decode_exact(out, len, s, strlen(s), err) < 0)
        return err_prefix(err, "%s", opt);
    return 0;
}
