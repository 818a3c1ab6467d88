/* blockscan.c - see blockscan.h.
 *
 * A recursive-descent reader over the text: values the scanner does not
 * need are checked and passed over, the few it needs are decoded into
 * small stack buffers. Recursion is bounded by BLOCKSCAN_MAX_DEPTH. */
#include "blockscan.h"

#include <string.h>

#include "err.h"
#include "hex.h"
#include "timefmt.h"

struct scan {
    const char *base, *p, *end;
    struct blockscan *out;
    blockscan_tx_fn fn;
    void *user;
    char *err;
};

/* The byte-estimate ratio of blockscan.h, as a fraction of 100. */
#define EST_PER_100 14

static int scan_fail(struct scan *s, const char *what)
{
    if (s->err != NULL)
        err_set(s->err, "%s at byte %zu", what, (size_t)(s->p - s->base));
    return -1;
}

static void ws(struct scan *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
        s->p++;
}

/* Reads the string at s->p. Its ASCII decoding goes to dec (up to cap
 * bytes); *n is the decoded length, or cap + 1 when it did not fit or held
 * anything but ASCII (no key or hex string we look for does). dec may be
 * NULL with cap 0 to only check and pass over. */
static int scan_string(struct scan *s, char *dec, size_t cap, size_t *n)
{
    size_t k = 0;
    bool bad = false;

    if (s->p >= s->end || *s->p != '"')
        return scan_fail(s, "expected a string");
    s->p++;
    for (;;) {
        unsigned char c;
        unsigned cp;

        /* Most of a block is plain string bytes (signatures, ids, times):
         * pass over them (copying what is decoded) in a tight loop. */
        const char *p = s->p;
        if (cap == 0) {
            while (p < s->end && (unsigned char)*p >= 0x20 && *p != '"' && *p != '\\')
                p++;
        } else {
            while (p < s->end && (unsigned char)*p >= 0x20 && (unsigned char)*p < 0x80 &&
                   *p != '"' && *p != '\\') {
                if (k + (size_t)(p - s->p) < cap)
                    dec[k + (size_t)(p - s->p)] = *p;
                p++;
            }
        }
        k += (size_t)(p - s->p);
        s->p = p;
        if (s->p >= s->end)
            return scan_fail(s, "unterminated string");
        c = (unsigned char)*s->p++;
        if (c == '"')
            break;
        if (c < 0x20)
            return scan_fail(s, "control character in a string");
        if (c == '\\') {
            if (s->p >= s->end)
                return scan_fail(s, "unterminated string");
            c = (unsigned char)*s->p++;
            switch (c) {
            case '"': case '\\': case '/':
                break;
            case 'b': c = '\b'; break;
            case 'f': c = '\f'; break;
            case 'n': c = '\n'; break;
            case 'r': c = '\r'; break;
            case 't': c = '\t'; break;
            case 'u':
                if (s->end - s->p < 4)
                    return scan_fail(s, "short \\u escape");
                cp = 0;
                for (int i = 0; i < 4; i++) {
                    int v = hex_nibble(s->p[i]);
                    if (v < 0)
                        return scan_fail(s, "bad \\u escape");
                    cp = cp << 4 | (unsigned)v;
                }
                s->p += 4;
                if (cp == 0 || cp >= 0x80)
                    bad = true; /* not a character of any text we decode */
                c = (unsigned char)cp;
                break;
            default:
                return scan_fail(s, "bad escape in a string");
            }
        } else if (c >= 0x80) {
            bad = true;
        }
        if (!bad && k < cap)
            dec[k] = (char)c;
        k++;
    }
    *n = bad || k > cap ? cap + 1 : k;
    return 0;
}

static int scan_number(struct scan *s)
{
    const char *p = s->p;

    if (p < s->end && *p == '-')
        p++;
    if (p >= s->end || *p < '0' || *p > '9')
        return scan_fail(s, "bad number");
    if (*p == '0')
        p++;
    else
        while (p < s->end && *p >= '0' && *p <= '9')
            p++;
    if (p < s->end && *p == '.') {
        p++;
        if (p >= s->end || *p < '0' || *p > '9')
            return scan_fail(s, "bad number");
        while (p < s->end && *p >= '0' && *p <= '9')
            p++;
    }
    if (p < s->end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < s->end && (*p == '+' || *p == '-'))
            p++;
        if (p >= s->end || *p < '0' || *p > '9')
            return scan_fail(s, "bad number");
        while (p < s->end && *p >= '0' && *p <= '9')
            p++;
    }
    s->p = p;
    return 0;
}

static int scan_literal(struct scan *s, const char *word)
{
    size_t n = strlen(word);

    if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
        return scan_fail(s, "unexpected character");
    s->p += n;
    return 0;
}

static int skip_value(struct scan *s, int depth);

/* Calls back per member: the object at s->p, the key decoded (or n > cap
 * when it is none of ours). */
typedef int (*member_fn)(struct scan *s, const char *key, size_t n, int depth, void *ctx);

static int scan_object(struct scan *s, int depth, member_fn fn, void *ctx)
{
    char key[24];
    size_t n;

    if (depth > BLOCKSCAN_MAX_DEPTH)
        return scan_fail(s, "nested too deep");
    if (s->p >= s->end || *s->p != '{')
        return scan_fail(s, "expected an object");
    s->p++;
    ws(s);
    if (s->p < s->end && *s->p == '}') {
        s->p++;
        return 0;
    }
    for (;;) {
        ws(s);
        if (scan_string(s, key, sizeof key, &n) < 0)
            return -1;
        ws(s);
        if (s->p >= s->end || *s->p != ':')
            return scan_fail(s, "expected ':'");
        s->p++;
        ws(s);
        if (fn(s, key, n, depth + 1, ctx) < 0)
            return -1;
        ws(s);
        if (s->p < s->end && *s->p == ',') {
            s->p++;
            continue;
        }
        if (s->p < s->end && *s->p == '}') {
            s->p++;
            return 0;
        }
        return scan_fail(s, "expected ',' or '}'");
    }
}

static int skip_member(struct scan *s, const char *key, size_t n, int depth, void *ctx)
{
    (void)key;
    (void)n;
    (void)ctx;
    return skip_value(s, depth);
}

/* Calls fn(s, index, depth, ctx) with s->p at each element. */
typedef int (*element_fn)(struct scan *s, uint32_t index, int depth, void *ctx);

static int scan_array(struct scan *s, int depth, element_fn fn, void *ctx)
{
    uint32_t i = 0;

    if (depth > BLOCKSCAN_MAX_DEPTH)
        return scan_fail(s, "nested too deep");
    if (s->p >= s->end || *s->p != '[')
        return scan_fail(s, "expected an array");
    s->p++;
    ws(s);
    if (s->p < s->end && *s->p == ']') {
        s->p++;
        return 0;
    }
    for (;; i++) {
        ws(s);
        if (fn(s, i, depth + 1, ctx) < 0)
            return -1;
        ws(s);
        if (s->p < s->end && *s->p == ',') {
            s->p++;
            continue;
        }
        if (s->p < s->end && *s->p == ']') {
            s->p++;
            return 0;
        }
        return scan_fail(s, "expected ',' or ']'");
    }
}

static int skip_element(struct scan *s, uint32_t index, int depth, void *ctx)
{
    (void)index;
    (void)ctx;
    return skip_value(s, depth);
}

static int skip_value(struct scan *s, int depth)
{
    size_t n;

    if (s->p >= s->end)
        return scan_fail(s, "unexpected end");
    switch (*s->p) {
    case '{':
        return scan_object(s, depth, skip_member, NULL);
    case '[':
        return scan_array(s, depth, skip_element, NULL);
    case '"':
        return scan_string(s, NULL, 0, &n);
    case 't':
        return scan_literal(s, "true");
    case 'f':
        return scan_literal(s, "false");
    case 'n':
        return scan_literal(s, "null");
    default:
        return scan_number(s);
    }
}

static bool key_is(const char *key, size_t n, const char *want)
{
    return n == strlen(want) && memcmp(key, want, n) == 0;
}

/* ---- transactions ----------------------------------------------------- */

struct tx_ctx {
    unsigned seen;           /* keys met: bit 0 signatures */
    bool keyed;
    uint8_t key[BLOCKSCAN_KEY_LEN];
    uint32_t nsigs;
    size_t excluded;         /* text bytes not counted by the estimate */
};

static int sig_element(struct scan *s, uint32_t index, int depth, void *ctx)
{
    struct tx_ctx *t = ctx;
    char hex[2 * BLOCKSCAN_SIG_LEN];
    uint8_t sig[BLOCKSCAN_SIG_LEN];
    size_t n;

    t->nsigs++;
    if (index != 0 || s->p >= s->end || *s->p != '"')
        return skip_value(s, depth);
    if (scan_string(s, hex, sizeof hex, &n) < 0)
        return -1;
    if (n == sizeof hex && hex_decode_exact(sig, sizeof sig, hex, n, NULL) == 0) {
        blockscan_key(t->key, sig);
        t->keyed = true;
    }
    return 0;
}

static int tx_member(struct scan *s, const char *key, size_t n, int depth, void *ctx)
{
    struct tx_ctx *t = ctx;
    const char *start = s->p;

    if (key_is(key, n, "signatures")) {
        if (t->seen & 1)
            return scan_fail(s, "repeated \"signatures\"");
        t->seen |= 1;
        if (s->p < s->end && *s->p == '[') {
            if (scan_array(s, depth, sig_element, t) < 0)
                return -1;
            t->excluded += (size_t)(s->p - start);
            return 0;
        }
        return skip_value(s, depth);
    }
    if (skip_value(s, depth) < 0)
        return -1;
    if (key_is(key, n, "operation_results"))
        t->excluded += (size_t)(s->p - start);
    return 0;
}

static int tx_element(struct scan *s, uint32_t index, int depth, void *ctx)
{
    struct tx_ctx t = {0};
    const char *start = s->p;
    size_t len;
    (void)ctx;

    s->out->ntx++;
    if (s->p >= s->end || *s->p != '{') {
        if (skip_value(s, depth) < 0)
            return -1;
        if (s->fn != NULL)
            s->fn(s->user, index, NULL);
        return 0;
    }
    if (scan_object(s, depth, tx_member, &t) < 0)
        return -1;
    len = (size_t)(s->p - start);
    len = len > t.excluded ? len - t.excluded : 0;
    s->out->est_bytes += 1 + (uint64_t)BLOCKSCAN_SIG_LEN * t.nsigs +
                         ((uint64_t)len * EST_PER_100 + 99) / 100;
    if (t.keyed)
        s->out->nkeyed++;
    if (s->fn != NULL)
        s->fn(s->user, index, t.keyed ? t.key : NULL);
    return 0;
}

/* ---- blocks and replies ----------------------------------------------- */

static int block_member(struct scan *s, const char *key, size_t n, int depth, void *ctx)
{
    unsigned *seen = ctx;
    char text[48];
    size_t len;

    if (key_is(key, n, "previous") || key_is(key, n, "timestamp")) {
        unsigned bit = key[0] == 'p' ? 1 : 2;
        if (*seen & bit)
            return scan_fail(s, bit == 1 ? "repeated \"previous\"" : "repeated \"timestamp\"");
        *seen |= bit;
        if (s->p >= s->end || *s->p != '"')
            return skip_value(s, depth);
        if (scan_string(s, text, sizeof text, &len) < 0)
            return -1;
        if (bit == 1)
            s->out->has_previous = len == 2 * BLOCKSCAN_ID_LEN &&
                hex_decode_exact(s->out->previous, BLOCKSCAN_ID_LEN, text, len, NULL) == 0;
        else if (len <= sizeof text && timefmt_parse(&s->out->timestamp, text, len, NULL) < 0)
            s->out->timestamp = 0;
        return 0;
    }
    if (key_is(key, n, "transactions")) {
        if (*seen & 4)
            return scan_fail(s, "repeated \"transactions\"");
        *seen |= 4;
        if (s->p < s->end && *s->p == '[')
            return scan_array(s, depth, tx_element, NULL);
    }
    return skip_value(s, depth);
}

static int reply_member(struct scan *s, const char *key, size_t n, int depth, void *ctx)
{
    unsigned *seen = ctx;
    unsigned block_seen = 0;

    if (key_is(key, n, "id")) {
        const char *start = s->p;
        uint64_t v = 0;
        size_t len;
        bool plain;

        if (*seen & 1)
            return scan_fail(s, "repeated \"id\"");
        *seen |= 1;
        if (skip_value(s, depth) < 0)
            return -1;
        /* A plain integer 0..INT64_MAX only, as reply_parse reads ids: no
         * sign, fraction or exponent. 19 digits cannot overflow 64 bits. */
        len = (size_t)(s->p - start);
        plain = len > 0 && len <= 19;
        for (size_t i = 0; plain && i < len; i++) {
            plain = start[i] >= '0' && start[i] <= '9';
            v = v * 10 + (uint64_t)(start[i] - '0');
        }
        s->out->has_id = plain && v <= (uint64_t)INT64_MAX;
        s->out->id = s->out->has_id ? v : 0;
        return 0;
    }
    if (key_is(key, n, "result")) {
        if (*seen & 2)
            return scan_fail(s, "repeated \"result\"");
        *seen |= 2;
        if (s->p < s->end && *s->p == '{') {
            s->out->result = BLOCKSCAN_OBJECT;
            return scan_object(s, depth, block_member, &block_seen);
        }
        s->out->result = s->p < s->end && *s->p == 'n' ? BLOCKSCAN_NULL : BLOCKSCAN_OTHER;
        return skip_value(s, depth);
    }
    if (key_is(key, n, "error"))
        s->out->has_error = true;
    else if (key_is(key, n, "method"))
        s->out->has_method = true;
    return skip_value(s, depth);
}

static int scan_top(const char *text, size_t len, struct blockscan *out, blockscan_tx_fn fn,
                    void *user, char *err, member_fn member)
{
    struct scan s = {text, text, text + len, out, fn, user, err};
    unsigned seen = 0;

    memset(out, 0, sizeof *out);
    ws(&s);
    if (scan_object(&s, 1, member, &seen) < 0)
        return -1;
    ws(&s);
    if (s.p != s.end)
        return scan_fail(&s, "text after the object");
    return 0;
}

int blockscan_reply(const char *text, size_t len, struct blockscan *out, blockscan_tx_fn fn,
                    void *user, char *err)
{
    return scan_top(text, len, out, fn, user, err, reply_member);
}

int blockscan_block(const char *text, size_t len, struct blockscan *out, blockscan_tx_fn fn,
                    void *user, char *err)
{
    int rc = scan_top(text, len, out, fn, user, err, block_member);
    out->result = BLOCKSCAN_OBJECT;
    return rc;
}

void blockscan_key(uint8_t key[BLOCKSCAN_KEY_LEN], const uint8_t sig[BLOCKSCAN_SIG_LEN])
{
    memcpy(key, sig + 1, BLOCKSCAN_KEY_LEN);
}
