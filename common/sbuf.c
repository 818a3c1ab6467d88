/* sbuf.c - see sbuf.h. */
#include "sbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sbuf_init(struct sbuf *s)
{
    s->buf = NULL;
    s->len = 0;
    s->cap = 0;
    s->fixed = false;
    s->overflow = false;
}

void sbuf_init_fixed(struct sbuf *s, char *buf, size_t cap)
{
    s->buf = buf;
    s->len = 0;
    s->cap = cap;
    s->fixed = true;
    s->overflow = false;
    if (cap > 0)
        buf[0] = '\0';
}

void sbuf_free(struct sbuf *s)
{
    if (s->fixed)
        return;
    free(s->buf);
    sbuf_init(s);
}

void sbuf_reset(struct sbuf *s)
{
    s->len = 0;
    s->overflow = false;
    if (s->cap > 0)
        s->buf[0] = '\0';
}

/* Makes room for n more bytes plus the NUL. Returns the number of bytes that
 * may be written: n, or fewer when a fixed buffer is short (then overflow is
 * set). Once overflowed, an sbuf takes nothing more until sbuf_reset, so a
 * truncated result is never followed by unrelated text. */
static size_t room(struct sbuf *s, size_t n)
{
    size_t want, cap;
    char *p;

    if (s->overflow)
        return 0;
    if (s->cap > s->len && n < s->cap - s->len)
        return n;
    if (s->fixed) {
        s->overflow = true;
        return s->cap > s->len ? s->cap - s->len - 1 : 0;
    }
    if (n > SIZE_MAX / 2 - s->len - 1) {
        s->overflow = true;
        return 0;
    }
    want = s->len + n + 1;
    cap = s->cap > 0 ? s->cap : 64;
    while (cap < want)
        cap *= 2;
    p = realloc(s->buf, cap);
    if (p == NULL) {
        s->overflow = true;
        return 0;
    }
    s->buf = p;
    s->cap = cap;
    return n;
}

void sbuf_add(struct sbuf *s, const char *p, size_t n)
{
    size_t k = room(s, n);

    if (k > 0) {
        memcpy(s->buf + s->len, p, k);
        s->len += k;
    }
    if (s->cap > 0)
        s->buf[s->len] = '\0';
}

void sbuf_adds(struct sbuf *s, const char *str)
{
    sbuf_add(s, str, strlen(str));
}

void sbuf_addc(struct sbuf *s, char c)
{
    /* The hot path of rendering: skip room() when there is space. */
    if (!s->overflow && s->cap > s->len + 1) {
        s->buf[s->len++] = c;
        s->buf[s->len] = '\0';
        return;
    }
    sbuf_add(s, &c, 1);
}

void sbuf_addf(struct sbuf *s, const char *fmt, ...)
{
    va_list ap;
    int n;
    size_t k;

    if (s->overflow)
        return;
    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        s->overflow = true;
        return;
    }
    k = room(s, (size_t)n);
    if (s->cap == 0)
        return;
    /* vsnprintf writes k bytes and the NUL, which room() left space for. */
    va_start(ap, fmt);
    vsnprintf(s->buf + s->len, k + 1, fmt, ap);
    va_end(ap);
    s->len += k;
}

void sbuf_add_u64(struct sbuf *s, uint64_t v)
{
    char tmp[20];
    size_t i = sizeof tmp;

    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    sbuf_add(s, tmp + i, sizeof tmp - i);
}

void sbuf_add_i64(struct sbuf *s, int64_t v)
{
    if (v < 0) {
        sbuf_addc(s, '-');
        /* Negate in unsigned arithmetic: -INT64_MIN does not fit int64. */
        sbuf_add_u64(s, (uint64_t)0 - (uint64_t)v);
        return;
    }
    sbuf_add_u64(s, (uint64_t)v);
}

static const char hexdigits[] = "0123456789abcdef";

void sbuf_add_hex(struct sbuf *s, const uint8_t *p, size_t n)
{
    size_t k;

    if (n > SIZE_MAX / 2) {
        s->overflow = true;
        return;
    }
    k = room(s, 2 * n);
    for (size_t i = 0; i < k / 2; i++) {
        s->buf[s->len++] = hexdigits[p[i] >> 4];
        s->buf[s->len++] = hexdigits[p[i] & 15];
    }
    if (s->cap > 0)
        s->buf[s->len] = '\0';
}

void sbuf_add_json_str(struct sbuf *s, const char *p, size_t n)
{
    size_t run = 0;

    sbuf_addc(s, '"');
    /* Copy runs of plain bytes in one go; escape the rest one by one. */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        char esc[6];
        size_t elen = 2;

        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        sbuf_add(s, p + run, i - run);
        run = i + 1;
        esc[0] = '\\';
        switch (c) {
        case '"':
            esc[1] = '"';
            break;
        case '\\':
            esc[1] = '\\';
            break;
        case '\n':
            esc[1] = 'n';
            break;
        case '\r':
            esc[1] = 'r';
            break;
        case '\t':
            esc[1] = 't';
            break;
        case '\b':
            esc[1] = 'b';
            break;
        case '\f':
            esc[1] = 'f';
            break;
        default:
            memcpy(esc + 1, "u00", 3);
            esc[4] = hexdigits[c >> 4];
            esc[5] = hexdigits[c & 15];
            elen = 6;
            break;
        }
        sbuf_add(s, esc, elen);
    }
    sbuf_add(s, p + run, n - run);
    sbuf_addc(s, '"');
}
