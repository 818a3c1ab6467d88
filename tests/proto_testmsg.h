/* proto_testmsg.h - shared by the proto tests (test_proto, test_proto_bad)
 * and the fuzz seed writer: messages of every type with non-trivial values,
 * comparison, and a small msgpack walker and writer for making malformed
 * variants of real encodings. Failures abort the running cmocka test. */
#ifndef BSS_PROTO_TESTMSG_H
#define BSS_PROTO_TESTMSG_H

#include <stddef.h>
#include <stdint.h>

#include "hist.h"
#include "proto.h"
#include "stats.h"

/* A WIF-looking marker: key text in the tests contains it. */
#define PT_SECRET "5KQwrPbwdL6PhXujxW37FSSQZ1JiwsST4cqQzDeyXtP79zkvFD3"

/* Heap message (proto_init'ed) / proto_free + free. */
struct proto_msg *pt_msg_new(void);
void pt_msg_del(struct proto_msg *m);

/* Fillers: many buckets, repeats, zero and clamped values; every counter
 * distinct (some above 2^32, one UINT64_MAX); awkward doubles (1/3, 1e-300,
 * -0.0). */
void pt_fill_hist(struct hist *h, uint64_t salt);
void pt_fill_stats(struct stats_interval *s, uint64_t seq);
/* proto_free(m), then a message of type t with every field set; keys (may
 * be NULL) becomes CONFIGURE's key text. */
void pt_fill_msg(struct proto_msg *m, enum proto_type t, const char *keys);

/* Size of the union member proto_init clears for t. */
size_t pt_member_size(enum proto_type t);
/* Byte equality of the messages' members (key text by content). */
void pt_assert_msg_equal(const struct proto_msg *a, const struct proto_msg *b);
/* proto_free(m) then proto_decode: decoding does not free what m held. */
int pt_redecode(struct proto_msg *m, const uint8_t *buf, size_t len, char *err);
/* proto_encode or fail the test; free with proto_buf_free. */
uint8_t *pt_enc(const struct proto_msg *m, size_t *len);

/* Every map key of an encoding, at any depth (our encodings only). */
struct pt_key {
    char path[128];     /* dotted, e.g. "s.c.rejected.busy" */
    const char *name;   /* last component */
    size_t kpos;        /* the key's first string byte */
    size_t vpos, vlen;  /* the value */
};

struct pt_mapref {
    size_t pos, hlen;   /* header */
    uint32_t n;
};

struct pt_walk {
    struct pt_key keys[400];
    size_t nkeys;
    struct pt_mapref maps[40];
    size_t nmaps;
};

void pt_walk(struct pt_walk *w, const uint8_t *b, size_t len);
/* New buffer (free()): b with [pos, pos+cut) replaced by ins[0..n). */
uint8_t *pt_buf_splice(const uint8_t *b, size_t len, size_t pos, size_t cut,
                       const void *ins, size_t n, size_t *outlen);
/* New buffer (free()): the value of the key at a dotted path replaced. */
uint8_t *pt_set_value(const uint8_t *b, size_t len, const char *path, const void *v,
                      size_t vn, size_t *outlen);

/* Hand-written msgpack (wide forms: uint64, str32, array32). */
struct pt_mp {
    uint8_t b[1 << 17];
    size_t n;
};
void pt_mp_raw(struct pt_mp *m, const void *p, size_t n);
void pt_mp_byte(struct pt_mp *m, uint8_t c);
void pt_mp_be(struct pt_mp *m, uint64_t v, int bytes);
void pt_mp_uint(struct pt_mp *m, uint64_t v);
void pt_mp_str(struct pt_mp *m, const char *s, size_t n);
void pt_mp_arr(struct pt_mp *m, uint32_t n);

/* Short inputs declaring huge sizes, deep nesting, bad bytes...; want is
 * in the decoder's message. Also fuzz seeds. */
struct pt_hostile {
    const char *name;
    const char *bytes;
    size_t len;
    const char *want;
};
extern const struct pt_hostile pt_hostile[];
extern const size_t pt_nhostile;

#endif
