/* pack.c - see pack.h. */
#include "pack.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "err.h"

void pack_writer_init(struct pack_writer *w, uint8_t *buf, size_t cap)
{
    w->buf = buf;
    w->cap = cap;
    w->len = 0;
    w->overflow = false;
}

/* Reserves n bytes and returns where to write them, or NULL when counting
 * or full (then len still advances when counting, so the size comes out). */
static uint8_t *reserve(struct pack_writer *w, size_t n)
{
    uint8_t *p;

    if (w->overflow)
        return NULL;
    if (w->buf == NULL && w->cap == 0) {
        w->len += n;
        return NULL;
    }
    if (n > w->cap - w->len) {
        w->overflow = true;
        return NULL;
    }
    p = w->buf + w->len;
    w->len += n;
    return p;
}

void pack_u8(struct pack_writer *w, uint8_t v)
{
    uint8_t *p = reserve(w, 1);

    if (p != NULL)
        p[0] = v;
}

void pack_u16(struct pack_writer *w, uint16_t v)
{
    uint8_t *p = reserve(w, 2);

    if (p != NULL) {
        p[0] = (uint8_t)v;
        p[1] = (uint8_t)(v >> 8);
    }
}

void pack_u32(struct pack_writer *w, uint32_t v)
{
    uint8_t *p = reserve(w, 4);

    if (p != NULL)
        for (int i = 0; i < 4; i++)
            p[i] = (uint8_t)(v >> (8 * i));
}

void pack_u64(struct pack_writer *w, uint64_t v)
{
    uint8_t *p = reserve(w, 8);

    if (p != NULL)
        for (int i = 0; i < 8; i++)
            p[i] = (uint8_t)(v >> (8 * i));
}

void pack_i64(struct pack_writer *w, int64_t v)
{
    pack_u64(w, (uint64_t)v);
}

void pack_varint(struct pack_writer *w, uint64_t v)
{
    uint8_t tmp[10];
    size_t n = 0;
    uint8_t *p;

    do {
        uint8_t b = (uint8_t)(v & 0x7f);

        v >>= 7;
        tmp[n++] = (uint8_t)(b | (v != 0 ? 0x80 : 0));
    } while (v != 0);
    p = reserve(w, n);
    if (p != NULL)
        memcpy(p, tmp, n);
}

void pack_bool(struct pack_writer *w, bool v)
{
    pack_u8(w, v ? 1 : 0);
}

void pack_bytes(struct pack_writer *w, const void *src, size_t n)
{
    uint8_t *p = reserve(w, n);

    if (p != NULL && n > 0)
        memcpy(p, src, n);
}

void pack_reader_init(struct pack_reader *r, const uint8_t *buf, size_t len, char *err)
{
    r->buf = buf;
    r->len = len;
    r->pos = 0;
    r->err = err;
    r->failed = false;
}

int unpack_fail(struct pack_reader *r, const char *fmt, ...)
{
    char msg[ERR_LEN];
    va_list ap;

    /* Only the first failure is kept: later ones are consequences. */
    if (r->failed)
        return -1;
    r->failed = true;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return err_set(r->err, "%s at offset %zu", msg, r->pos);
}

/* Returns the next n bytes and advances, or NULL (failed) on truncation. */
static const uint8_t *take(struct pack_reader *r, size_t n)
{
    const uint8_t *p;

    if (r->failed)
        return NULL;
    if (n > r->len - r->pos) {
        unpack_fail(r, "truncated data (%zu bytes needed, %zu left)", n, r->len - r->pos);
        return NULL;
    }
    p = r->buf + r->pos;
    r->pos += n;
    return p;
}

int unpack_u8(struct pack_reader *r, uint8_t *v)
{
    const uint8_t *p = take(r, 1);

    if (p == NULL)
        return -1;
    *v = p[0];
    return 0;
}

int unpack_u16(struct pack_reader *r, uint16_t *v)
{
    const uint8_t *p = take(r, 2);

    if (p == NULL)
        return -1;
    *v = (uint16_t)(p[0] | (p[1] << 8));
    return 0;
}

int unpack_u32(struct pack_reader *r, uint32_t *v)
{
    const uint8_t *p = take(r, 4);
    uint32_t x = 0;

    if (p == NULL)
        return -1;
    for (int i = 3; i >= 0; i--)
        x = (x << 8) | p[i];
    *v = x;
    return 0;
}

int unpack_u64(struct pack_reader *r, uint64_t *v)
{
    const uint8_t *p = take(r, 8);
    uint64_t x = 0;

    if (p == NULL)
        return -1;
    for (int i = 7; i >= 0; i--)
        x = (x << 8) | p[i];
    *v = x;
    return 0;
}

int unpack_i64(struct pack_reader *r, int64_t *v)
{
    uint64_t u;

    if (unpack_u64(r, &u) < 0)
        return -1;
    /* Two's complement reinterpretation without implementation-defined
     * conversion of out-of-range values. */
    *v = u <= (uint64_t)INT64_MAX ? (int64_t)u : -(int64_t)(~u) - 1;
    return 0;
}

int unpack_varint(struct pack_reader *r, uint64_t *v)
{
    uint64_t x = 0;
    size_t start = r->pos;

    if (r->failed)
        return -1;
    /* fc's rule (raw.hpp): the group at bit 63 may only be 0 or 1 and
     * nothing may follow it. Non-minimal encodings are accepted, as fc does. */
    for (unsigned shift = 0;; shift += 7) {
        uint8_t b;

        if (r->pos >= r->len) {
            r->pos = start;
            return unpack_fail(r, "truncated data (varint runs past the end)");
        }
        b = r->buf[r->pos];
        if (shift > 63 || (shift == 63 && b > 1)) {
            r->pos = start;
            return unpack_fail(r, "overlong varint");
        }
        x |= (uint64_t)(b & 0x7f) << shift;
        r->pos++;
        if ((b & 0x80) == 0)
            break;
    }
    *v = x;
    return 0;
}

int unpack_bool(struct pack_reader *r, bool *v)
{
    uint8_t b;

    if (r->failed || r->pos >= r->len)
        return unpack_u8(r, &b);
    b = r->buf[r->pos];
    if (b > 1)
        return unpack_fail(r, "bool byte 0x%02x is not 0 or 1", b);
    r->pos++;
    *v = b == 1;
    return 0;
}

int unpack_bytes(struct pack_reader *r, void *out, size_t n)
{
    const uint8_t *p = take(r, n);

    if (p == NULL)
        return -1;
    if (n > 0)
        memcpy(out, p, n);
    return 0;
}

const uint8_t *unpack_view(struct pack_reader *r, size_t n)
{
    return take(r, n);
}

int unpack_done(struct pack_reader *r)
{
    if (r->failed)
        return -1;
    if (r->pos != r->len)
        return unpack_fail(r, "%zu trailing bytes", r->len - r->pos);
    return 0;
}
