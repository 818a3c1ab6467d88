/* pack.h - fc::raw primitives: little-endian fixed integers, LEB128 varints,
 * bools, raw bytes. Pure; the writer never allocates.
 *
 * Writer: errors are sticky. Every pack_* call on a full writer sets
 * w->overflow and writes nothing more; check once at the end.
 * Reader: every unpack_* call returns 0 or -1; the first failure writes the
 * reason and the byte offset to r->err and later calls fail at once. */
#ifndef BSS_PACK_H
#define BSS_PACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pack_writer {
    uint8_t *buf; /* caller-owned, cap bytes; may be NULL with cap 0 to count */
    size_t cap;
    size_t len;    /* bytes written (or that would have been, when counting) */
    bool overflow; /* set when a write did not fit */
};

/* Starts a writer over buf[0..cap). With buf NULL and cap 0 it only counts
 * (len is the packed size, overflow stays false). */
void pack_writer_init(struct pack_writer *w, uint8_t *buf, size_t cap);

void pack_u8(struct pack_writer *w, uint8_t v);
void pack_u16(struct pack_writer *w, uint16_t v);
void pack_u32(struct pack_writer *w, uint32_t v);
void pack_u64(struct pack_writer *w, uint64_t v);
void pack_i64(struct pack_writer *w, int64_t v);
void pack_varint(struct pack_writer *w, uint64_t v);
void pack_bool(struct pack_writer *w, bool v);
void pack_bytes(struct pack_writer *w, const void *p, size_t n);

struct pack_reader {
    const uint8_t *buf; /* borrowed */
    size_t len;
    size_t pos;
    char *err; /* ERR_LEN bytes or NULL; filled on the first failure */
    bool failed;
};

/* Starts a reader over buf[0..len); err may be NULL. */
void pack_reader_init(struct pack_reader *r, const uint8_t *buf, size_t len, char *err);

int unpack_u8(struct pack_reader *r, uint8_t *v);
int unpack_u16(struct pack_reader *r, uint16_t *v);
int unpack_u32(struct pack_reader *r, uint32_t *v);
int unpack_u64(struct pack_reader *r, uint64_t *v);
int unpack_i64(struct pack_reader *r, int64_t *v);
/* LEB128 as fc reads it: at most 64 bits ("overlong varint" otherwise). */
int unpack_varint(struct pack_reader *r, uint64_t *v);
/* A byte that must be 0 or 1 ("bool byte 0x02 is not 0 or 1"). */
int unpack_bool(struct pack_reader *r, bool *v);
/* Copies n bytes into out. */
int unpack_bytes(struct pack_reader *r, void *out, size_t n);
/* Returns a pointer to the next n bytes in the input and skips them, or NULL
 * on truncation (zero-copy). */
const uint8_t *unpack_view(struct pack_reader *r, size_t n);
/* Fails with "N trailing bytes at offset M" unless the input is consumed. */
int unpack_done(struct pack_reader *r);
/* Records a failure at the current offset (for callers' own checks), e.g.
 * unpack_fail(r, "unknown operation tag %llu", tag). Returns -1. */
int unpack_fail(struct pack_reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
