/* sbuf.h - a string builder. Two modes:
 *  - growable (sbuf_init): heap storage, doubled on demand;
 *  - fixed (sbuf_init_fixed): a caller buffer; a write that does not fit sets
 *    the overflow flag and leaves the content truncated. The send path uses
 *    this mode so that rendering never allocates.
 * The content is always NUL-terminated (when cap > 0). Pure. */
#ifndef BSS_SBUF_H
#define BSS_SBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sbuf {
    char *buf;
    size_t len;
    size_t cap;
    bool fixed;
    bool overflow; /* fixed: a write did not fit; growable: out of memory */
};

/* Growable, initially empty (no allocation until the first write). */
void sbuf_init(struct sbuf *s);
/* Fixed over buf[0..cap). */
void sbuf_init_fixed(struct sbuf *s, char *buf, size_t cap);
/* Frees growable storage; the sbuf becomes empty. No-op for fixed. */
void sbuf_free(struct sbuf *s);
/* Empties the content, keeps the storage and clears overflow. */
void sbuf_reset(struct sbuf *s);

void sbuf_add(struct sbuf *s, const char *p, size_t n);
void sbuf_adds(struct sbuf *s, const char *str);
void sbuf_addc(struct sbuf *s, char c);
void sbuf_addf(struct sbuf *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sbuf_add_u64(struct sbuf *s, uint64_t v);
void sbuf_add_i64(struct sbuf *s, int64_t v);
/* Lowercase hex of n bytes. */
void sbuf_add_hex(struct sbuf *s, const uint8_t *p, size_t n);
/* A JSON string literal, quotes included; control characters, '"' and '\\'
 * escaped; bytes >= 0x80 copied as they are (callers pass UTF-8). */
void sbuf_add_json_str(struct sbuf *s, const char *p, size_t n);

#endif
