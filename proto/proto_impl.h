/* proto_impl.h - shared between proto.c (tables, encoding) and proto_dec.c
 * (decoding); not part of the API. Flat fields are described once, as
 * (key, kind, offset) tables that both directions walk, so a key cannot be
 * spelt differently on the two sides. */
#ifndef BSS_PROTO_IMPL_H
#define BSS_PROTO_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "proto.h"

/* Containers nest at most this deep in an accepted message (ours: 4). */
#define PROTO_MAX_DEPTH 16
/* msgpack objects (keys, values, elements) in an accepted message; a STATS
 * with three full histograms has about 28000. */
#define PROTO_MAX_OBJECTS 65536

/* Checks, without allocating, that p[0..len) holds exactly one complete
 * msgpack object: every declared length within the bytes that follow it,
 * at most PROTO_MAX_DEPTH deep and PROTO_MAX_OBJECTS objects (proto_scan.c).
 * Returns 0, or -1 with err (ERR_LEN) naming the offset at fault. */
int proto_scan(const uint8_t *p, size_t len, char *err);

enum proto_kind { K_U32, K_U64, K_I64, K_F64, K_BOOL, K_STR };

struct proto_field {
    const char *key;
    enum proto_kind kind;
    size_t off;                 /* in the struct the table describes */
    size_t cap;                 /* K_STR: size of the char array (NUL included) */
};

struct proto_fieldset {
    const struct proto_field *f;
    size_t n;
};

/* Per message type: its "t" name, the flat fields of its union member, and
 * how many more keys its nested or enum fields add (CONFIGURE's optional
 * "keys" not counted). */
struct proto_typedesc {
    const char *name;
    struct proto_fieldset fs;
    size_t nspecial;
    size_t size;                /* of its union member (what proto_init clears) */
};

extern const struct proto_typedesc proto_types[PROTO_ERROR + 1];
extern const struct proto_fieldset proto_fs_curve;    /* struct ratectl_curve, without seg */
extern const struct proto_fieldset proto_fs_chain;    /* struct proto_chain */
extern const struct proto_fieldset proto_fs_interval; /* struct stats_interval: seq, bounds */
extern const struct proto_fieldset proto_fs_counters; /* struct stats_counters, without rejected */
extern const struct proto_fieldset proto_fs_gauges;   /* struct stats_gauges */
extern const struct proto_fieldset proto_fs_head;     /* struct hist_head */
extern const struct proto_fieldset proto_fs_node;     /* struct stats_node */
/* Added in 1.2, optional when decoding (absent: 0). */
extern const struct proto_fieldset proto_fs_counters12; /* held, held_dropped, ... */
extern const struct proto_fieldset proto_fs_gauges12;   /* pending, held_pending, conns_ready */
extern const struct proto_fieldset proto_fs_node12;     /* ack_sum_hi */
/* Added in 1.3, optional when decoding (absent: 0, no telemetry). */
extern const struct proto_fieldset proto_fs_node13;     /* node telemetry: tel_answers .. stalled */
extern const char *const proto_spread_names[3];       /* enum proto_spread */
extern const char *const proto_level_names[3];        /* enum proto_level */

#endif
