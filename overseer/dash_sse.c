/* dash_sse.c - see dash_sse.h. */
#include "dash_sse.h"

#include <stdlib.h>
#include <string.h>

struct dash_sse_slot {
    uint64_t id;
    char *text;   /* the whole frame */
    size_t len;
};

struct dash_sse {
    size_t cap, max_bytes;
    size_t head;  /* index of the oldest frame */
    size_t n;     /* frames held */
    size_t bytes; /* their text */
    uint64_t last;
    struct dash_sse_slot *slot;
};

struct dash_sse *dash_sse_new(size_t max_frames, size_t max_bytes)
{
    struct dash_sse *r;

    if (max_frames == 0 || max_bytes == 0)
        return NULL;
    r = calloc(1, sizeof *r);
    if (r == NULL)
        return NULL;
    r->slot = calloc(max_frames, sizeof *r->slot);
    if (r->slot == NULL) {
        free(r);
        return NULL;
    }
    r->cap = max_frames;
    r->max_bytes = max_bytes;
    return r;
}

void dash_sse_free(struct dash_sse *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->cap; i++)
        free(r->slot[i].text);
    free(r->slot);
    free(r);
}

void dash_sse_frame(struct sbuf *out, uint64_t id, const char *data, size_t len)
{
    size_t i = 0;

    sbuf_adds(out, "id: ");
    sbuf_add_u64(out, id);
    sbuf_addc(out, '\n');
    /* A bare CR, a bare LF and CRLF all end a line in SSE: each line of the
     * message gets its own data: field so that the client joins them back
     * with LF. */
    for (;;) {
        size_t j = i;
        while (j < len && data[j] != '\n' && data[j] != '\r')
            j++;
        sbuf_adds(out, "data: ");
        sbuf_add(out, data + i, j - i);
        sbuf_addc(out, '\n');
        if (j >= len)
            break;
        i = j + (data[j] == '\r' && j + 1 < len && data[j + 1] == '\n' ? 2 : 1);
        if (i >= len)
            break; /* a trailing line end adds no empty line */
    }
    sbuf_addc(out, '\n');
}

static void dash_sse_evict(struct dash_sse *r)
{
    struct dash_sse_slot *s = &r->slot[r->head];

    r->bytes -= s->len;
    free(s->text);
    s->text = NULL;
    s->len = 0;
    r->head = (r->head + 1) % r->cap;
    r->n--;
}

uint64_t dash_sse_push(struct dash_sse *r, const char *data, size_t len)
{
    struct sbuf b;
    struct dash_sse_slot *s;

    sbuf_init(&b);
    dash_sse_frame(&b, r->last + 1, data, len);
    if (b.overflow) {
        sbuf_free(&b);
        return 0;
    }
    while (r->n > 0 && (r->n == r->cap || r->bytes + b.len > r->max_bytes))
        dash_sse_evict(r);
    s = &r->slot[(r->head + r->n) % r->cap];
    s->id = ++r->last;
    s->text = b.buf; /* the sbuf's storage now belongs to the slot */
    s->len = b.len;
    r->bytes += b.len;
    r->n++;
    return s->id;
}

uint64_t dash_sse_last_id(const struct dash_sse *r)
{
    return r->last;
}

uint64_t dash_sse_first_id(const struct dash_sse *r)
{
    return r->n > 0 ? r->slot[r->head].id : 0;
}

long dash_sse_read(const struct dash_sse *r, uint64_t after, size_t max_out, struct sbuf *out,
                   uint64_t *next)
{
    uint64_t first = dash_sse_first_id(r);
    long count = 0;

    *next = after;
    if (after >= r->last)
        return 0;
    if (r->n == 0 || after + 1 < first)
        return -1;
    /* Ids are consecutive in the ring: the frame after `after` is at a known place. */
    for (size_t k = (size_t)(after + 1 - first); k < r->n; k++) {
        const struct dash_sse_slot *s = &r->slot[(r->head + k) % r->cap];
        if (count > 0 && out->len + s->len > max_out)
            break;
        sbuf_add(out, s->text, s->len);
        *next = s->id;
        count++;
    }
    return count;
}

bool dash_sse_parse_id(const char *s, uint64_t *id)
{
    uint64_t v = 0;
    bool digits = false;

    while (*s == ' ' || *s == '\t')
        s++;
    for (; *s >= '0' && *s <= '9'; s++) {
        if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
            return false;
        v = v * 10 + (uint64_t)(*s - '0');
        digits = true;
    }
    while (*s == ' ' || *s == '\t')
        s++;
    if (!digits || *s != '\0')
        return false;
    *id = v;
    return true;
}
