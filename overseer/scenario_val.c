/* scenario_val.c - typed values from YAML nodes, and their error messages. */
#include "scenario_impl.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "err.h"

int scenario_fail(const struct scenario_ctx *cx, const struct scenario_ynode *at,
                  const char *field, const char *fmt, ...)
{
    char msg[ERR_LEN];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (at != NULL)
        return err_set(cx->err, "%s:%d:%d: %s: %s", cx->file, at->line, at->col, field, msg);
    return err_set(cx->err, "%s: %s: %s", cx->file, field, msg);
}

void scenario_path(char *out, size_t cap, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(out, cap, fmt, ap);
    va_end(ap);
}

const char *scenario_describe(const struct scenario_ynode *n, char buf[64])
{
    if (n == NULL || n->type == SCENARIO_Y_NULL)
        return "nothing";
    if (n->type == SCENARIO_Y_SEQ)
        return "a list";
    if (n->type == SCENARIO_Y_MAP)
        return "a mapping";
    if (n->len > 40)
        snprintf(buf, 64, "\"%.37s...\"", n->text);
    else
        snprintf(buf, 64, "\"%s\"", n->text);
    /* Control characters would garble a one-line message. */
    for (char *p = buf; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
    return buf;
}

/* Edit distance (insertions, deletions, substitutions, adjacent swaps),
 * for "did you mean". Keys are short; longer strings are not compared. */
static size_t distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), d[33][33];

    if (la > 32 || lb > 32)
        return 99;
    for (size_t i = 0; i <= la; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= la; i++)
        for (size_t j = 1; j <= lb; j++) {
            size_t best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1 < best)
                best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best)
                best = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    return d[la][lb];
}

int scenario_check_keys(const struct scenario_ctx *cx, const struct scenario_ynode *map,
                        const char *field, const char *const *known, size_t nknown)
{
    char buf[64];

    for (size_t i = 0; i < map->n; i++) {
        const struct scenario_ynode *k = map->kids[2 * i];
        /* A suggestion only when it is close for the key's length: "name"
         * is not a typo of "rate". */
        size_t found = nknown, best = nknown, bestd = k->len <= 4 ? 2 : 3;

        for (size_t j = 0; j < nknown && found == nknown; j++)
            if (strcmp(k->text, known[j]) == 0)
                found = j;
        if (found == nknown) {
            for (size_t j = 0; j < nknown; j++) {
                size_t dist = distance(k->text, known[j]);
                if (dist < bestd)
                    bestd = dist, best = j;
            }
            if (best < nknown)
                return scenario_fail(cx, k, field, "unknown key %s (did you mean \"%s\"?)",
                                     scenario_describe(k, buf), known[best]);
            return scenario_fail(cx, k, field, "unknown key %s", scenario_describe(k, buf));
        }
        /* A duplicate must not silently override: compare with earlier keys
         * only when this one is known, so the work stays bounded by the
         * number of known keys. */
        for (size_t j = 0; j < i; j++)
            if (strcmp(map->kids[2 * j]->text, k->text) == 0)
                return scenario_fail(cx, k, field, "duplicate key \"%s\" (first at line %d)",
                                     k->text, map->kids[2 * j]->line);
    }
    return 0;
}

const struct scenario_ynode *scenario_get_key(const struct scenario_ynode *map, const char *key)
{
    if (map == NULL || map->type != SCENARIO_Y_MAP)
        return NULL;
    for (size_t i = 0; i < map->n; i++)
        if (strcmp(map->kids[2 * i]->text, key) == 0)
            return map->kids[2 * i];
    return NULL;
}

const struct scenario_ynode *scenario_get(const struct scenario_ynode *map, const char *key)
{
    if (map == NULL || map->type != SCENARIO_Y_MAP)
        return NULL;
    for (size_t i = 0; i < map->n; i++)
        if (strcmp(map->kids[2 * i]->text, key) == 0)
            return map->kids[2 * i + 1];
    return NULL;
}

bool scenario_is_word(const struct scenario_ynode *n, const char *word)
{
    return n != NULL && n->type == SCENARIO_Y_SCALAR && strcmp(n->text, word) == 0;
}

/* A decimal as mant * 10^exp. Parsed by hand: strtod follows the locale's
 * decimal point and also takes hex, "inf" and "nan". The mantissa keeps
 * every digit that fits in 64 bits (so whole numbers up to UINT64_MAX are
 * exact); later integer digits raise the exponent, later fraction digits
 * are beyond any use here and ignored. */
struct num {
    bool neg;
    bool big;      /* a non-zero integer digit did not fit: above UINT64_MAX */
    uint64_t mant;
    int exp;
};

static bool num_parse(const char *s, size_t len, struct num *n, size_t *used)
{
    size_t i = 0, digits = 0;
    bool dot = false, last_digit = false;

    n->neg = n->big = false, n->mant = 0, n->exp = 0;
    if (i < len && (s[i] == '-' || s[i] == '+'))
        n->neg = s[i++] == '-';
    for (; i < len; i++) {
        char c = s[i];
        if (c >= '0' && c <= '9') {
            uint64_t d = (uint64_t)(c - '0');
            if (n->mant <= (UINT64_MAX - d) / 10) {
                n->mant = n->mant * 10 + d;
                n->exp -= dot;
            } else if (!dot) {
                n->exp++;
                n->big = true;
            }
            digits++;
            last_digit = true;
        } else if (c == '_' && last_digit && i + 1 < len && s[i + 1] >= '0' && s[i + 1] <= '9') {
            last_digit = false;
        } else if (c == '.' && !dot) {
            dot = true;
            last_digit = false;
        } else {
            break;
        }
    }
    if (digits == 0)
        return false;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        size_t j = i + 1;
        bool eneg = false;
        int e = 0, ed = 0;
        if (j < len && (s[j] == '-' || s[j] == '+'))
            eneg = s[j++] == '-';
        for (; j < len && s[j] >= '0' && s[j] <= '9'; j++, ed++)
            if (e < 1000)
                e = e * 10 + (s[j] - '0');
        if (ed > 0) {
            n->exp += eneg ? -e : e;
            i = j;
        }
    }
    *used = i;
    return true;
}

static double num_value(const struct num *n)
{
    static const double p10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                 1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    double v = (double)n->mant;

    /* With an exact mantissa and an exact power of ten, one multiplication
     * or division is correctly rounded ("0.1" is the double nearest 0.1). */
    if (n->exp >= 0)
        v = n->exp <= 22 ? v * p10[n->exp] : v * pow(10, n->exp);
    else
        v = n->exp >= -22 ? v / p10[-n->exp] : v / pow(10, -n->exp);
    return n->neg ? -v : v;
}

/* The mantissa times unit times 10^exp, with every factor of ten that can
 * be applied exactly applied: on return *m * 10^*e (with *e <= 0) is the
 * value. False when it does not fit. */
static bool num_mul(const struct num *n, uint64_t unit, uint64_t *m, int *e)
{
    *m = n->mant;
    *e = n->exp;
    /* Cancel powers of ten first ("1.0000000004999" s: 10000000004999 ns
     * / 10^4), then drop digits far below a nanosecond if still too big. */
    while (*e < 0 && unit % 10 == 0)
        unit /= 10, (*e)++;
    while (*e < 0 && *m != 0 && unit > UINT64_MAX / *m)
        *m = *m / 10 + (*m % 10 >= 5), (*e)++;
    if (*m != 0 && unit > UINT64_MAX / *m)
        return false;
    *m *= unit;
    for (; *e > 0; (*e)--) {
        if (*m > UINT64_MAX / 10)
            return false;
        *m *= 10;
    }
    return true;
}

/* n * 10^exp * unit as an exact integer; false when it is not one or does
 * not fit. */
static bool num_scaled(const struct num *n, uint64_t unit, uint64_t *out)
{
    uint64_t m;
    int e;

    if ((n->neg && n->mant != 0) || !num_mul(n, unit, &m, &e))
        return false;
    for (; e < 0; e++) {
        if (m % 10 != 0)
            return false;
        m /= 10;
    }
    *out = m;
    return true;
}

/* n * unit rounded to the nearest integer (halves up), exactly; false
 * when it does not fit. n is not negative. */
static bool num_round(const struct num *n, uint64_t unit, uint64_t *out)
{
    uint64_t m, p10 = 1;
    int e;

    if (!num_mul(n, unit, &m, &e))
        return false;
    if (e < -19) {
        *out = 0; /* m < 2^64 < 10^20: below one half */
        return true;
    }
    for (; e < 0; e++)
        p10 *= 10;
    *out = m / p10 + (m % p10 >= p10 - m % p10 ? 1 : 0);
    return true;
}

static int need_scalar(const struct scenario_ctx *cx, const struct scenario_ynode *n,
                       const char *field, const char *what)
{
    char buf[64];

    if (n != NULL && n->type == SCENARIO_Y_SCALAR)
        return 0;
    return scenario_fail(cx, n, field, "expected %s, got %s", what, scenario_describe(n, buf));
}

int scenario_number(const struct scenario_ctx *cx, const struct scenario_ynode *n,
                    const char *field, double min, double max, double *out)
{
    struct num v;
    size_t used;
    double d;
    char buf[64];

    if (need_scalar(cx, n, field, "a number") < 0)
        return -1;
    if (!num_parse(n->text, n->len, &v, &used) || used != n->len)
        return scenario_fail(cx, n, field, "expected a number, got %s", scenario_describe(n, buf));
    d = num_value(&v);
    if (!(d >= min && d <= max))
        return scenario_fail(cx, n, field, "%s is out of range (%g .. %g)", n->text, min, max);
    *out = d;
    return 0;
}

int scenario_uint(const struct scenario_ctx *cx, const struct scenario_ynode *n,
                  const char *field, uint64_t min, uint64_t max, uint64_t *out)
{
    struct num v;
    size_t used;
    uint64_t u;
    char buf[64];

    if (need_scalar(cx, n, field, "a whole number") < 0)
        return -1;
    if (!num_parse(n->text, n->len, &v, &used) || used != n->len)
        return scenario_fail(cx, n, field, "expected a whole number, got %s",
                             scenario_describe(n, buf));
    /* Not whole: a fraction left after the exponent. Out of range: negative,
     * too many digits, or an exponent that overflows. */
    if (v.mant != 0 && !v.neg && !v.big && v.exp < 0 && !num_scaled(&v, 1, &u))
        return scenario_fail(cx, n, field, "expected a whole number, got %s",
                             scenario_describe(n, buf));
    if ((v.neg && v.mant != 0) || v.big || !num_scaled(&v, 1, &u) || u < min || u > max)
        return scenario_fail(cx, n, field, "%s is out of range (%llu .. %llu)", n->text,
                             (unsigned long long)min, (unsigned long long)max);
    *out = u;
    return 0;
}

int scenario_u32(const struct scenario_ctx *cx, const struct scenario_ynode *n,
                 const char *field, uint32_t min, uint32_t max, uint32_t *out)
{
    uint64_t u;

    if (scenario_uint(cx, n, field, min, max, &u) < 0)
        return -1;
    *out = (uint32_t)u;
    return 0;
}

const char *scenario_secs(char buf[32], uint64_t ns)
{
    snprintf(buf, 32, "%llu.%09llu", (unsigned long long)(ns / 1000000000),
             (unsigned long long)(ns % 1000000000));
    for (char *p = buf + strlen(buf) - 1; *p == '0' || *p == '.'; p--) {
        char c = *p;
        *p = '\0';
        if (c == '.')
            break;
    }
    return buf;
}

int scenario_duration(const struct scenario_ctx *cx, const struct scenario_ynode *n,
                      const char *field, uint64_t min_ns, uint64_t max_ns, uint64_t *out)
{
    static const struct { const char *name; uint64_t ns; } units[] = {
        {"ms", UINT64_C(1000000)}, {"s", UINT64_C(1000000000)},
        {"m", UINT64_C(60000000000)}, {"h", UINT64_C(3600000000000)}};
    struct num v;
    size_t used, i;
    uint64_t ns = 0, unit = UINT64_C(1000000000);
    char buf[64], lo[32], hi[32];

    if (need_scalar(cx, n, field, "a duration (seconds, or e.g. \"90s\", \"5m\")") < 0)
        return -1;
    if (!num_parse(n->text, n->len, &v, &used))
        goto bad;
    if (used < n->len) {
        while (n->text[used] == ' ')
            used++;
        for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
            if (strcmp(n->text + used, units[i].name) == 0)
                break;
        if (i == sizeof(units) / sizeof(units[0]))
            goto bad;
        unit = units[i].ns;
    }
    if (v.neg && v.mant != 0)
        return scenario_fail(cx, n, field, "a duration cannot be negative, got %s",
                             scenario_describe(n, buf));
    /* Below a nanosecond: the nearest one (then range-checked). */
    if (!num_round(&v, unit, &ns))
        ns = UINT64_MAX;
    if (ns < min_ns || ns > max_ns) {
        return scenario_fail(cx, n, field, "%s is out of range (%s .. %s seconds)", n->text,
                             scenario_secs(lo, min_ns), scenario_secs(hi, max_ns));
    }
    *out = ns;
    return 0;
bad:
    return scenario_fail(cx, n, field,
                         "expected a duration (seconds, or e.g. \"500ms\", \"90s\", \"5m\", "
                         "\"1h\"), got %s", scenario_describe(n, buf));
}

int scenario_string(const struct scenario_ctx *cx, const struct scenario_ynode *n,
                    const char *field, char *out, size_t cap)
{
    if (need_scalar(cx, n, field, "a string") < 0)
        return -1;
    if (n->len >= cap)
        return scenario_fail(cx, n, field, "longer than %zu characters", cap - 1);
    for (size_t i = 0; i < n->len; i++)
        if ((unsigned char)n->text[i] < 0x20 || n->text[i] == 0x7f)
            return scenario_fail(cx, n, field, "control character at offset %zu", i);
    memcpy(out, n->text, n->len + 1);
    return 0;
}

int scenario_choice(const struct scenario_ctx *cx, const struct scenario_ynode *n,
                    const char *field, const char *const *names, size_t nnames, int *out)
{
    char list[160] = "", buf[64];
    size_t off = 0;

    if (n != NULL && n->type == SCENARIO_Y_SCALAR)
        for (size_t i = 0; i < nnames; i++)
            if (strcmp(n->text, names[i]) == 0) {
                *out = (int)i;
                return 0;
            }
    for (size_t i = 0; i < nnames && off < sizeof(list); i++)
        off += (size_t)snprintf(list + off, sizeof(list) - off, "%s%s", i ? ", " : "", names[i]);
    return scenario_fail(cx, n, field, "expected one of %s, got %s", list,
                         scenario_describe(n, buf));
}

int scenario_bool(const struct scenario_ctx *cx, const struct scenario_ynode *n,
                  const char *field, bool *out)
{
    static const char *const names[] = {"false", "true"};
    int v;

    if (scenario_choice(cx, n, field, names, 2, &v) < 0)
        return -1;
    *out = v == 1;
    return 0;
}
