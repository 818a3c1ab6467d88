/* jv.h - read-only access to parsed JSON (Jansson underneath; this is the
 * only module that includes it). Values are borrowed from their root and
 * live until jv_free(root). Pure. */
#ifndef BSS_JV_H
#define BSS_JV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct jv;

enum jv_type { JV_NULL, JV_TRUE, JV_FALSE, JV_INT, JV_REAL, JV_STRING, JV_ARRAY, JV_OBJECT };

/* The node's limit on nesting (GRAPHENE_NET_MAX_NESTED_OBJECTS). */
#define JV_MAX_DEPTH 250

/* Parses len bytes of JSON text (one value of any type, no trailing
 * garbage; a NUL byte inside strings is rejected; UTF-8 is checked).
 * Duplicate keys are allowed, the last one wins (as in fc). Nesting deeper
 * than max_depth arrays/objects is an error. Integers beyond int64 are an
 * error (no silent rounding). Returns the root (free with jv_free), or NULL
 * with err: "JSON line L column C: problem", or "JSON nesting deeper than N
 * levels". */
struct jv *jv_parse(const char *text, size_t len, int max_depth, char *err);
/* Frees a root returned by jv_parse; NULL is a no-op. */
void jv_free(struct jv *root);

/* v's type; NULL (e.g. a missing member from jv_get) reads as JV_NULL. */
enum jv_type jv_type(const struct jv *v);
/* A short name of v's type for messages ("string", "object", "boolean",
 * ...; "nothing" for NULL). */
const char *jv_type_name(const struct jv *v);

/* Object member, or NULL if v is not an object or has no such key. */
const struct jv *jv_get(const struct jv *v, const char *key);
/* Number of elements (array) or members (object); 0 for anything else. */
size_t jv_len(const struct jv *v);
/* Array element i, or NULL. */
const struct jv *jv_at(const struct jv *v, size_t i);
/* Iterates an object's members in document order. Start with a
 * zero-initialised iterator; each call returns the next member's value and
 * its key (into *key), or NULL at the end or if v is not an object. */
struct jv_iter {
    void *it;
    bool started;
};
const struct jv *jv_iter_next(const struct jv *v, struct jv_iter *it, const char **key);

/* The string's bytes (NUL-terminated) and length, or NULL if not a string. */
const char *jv_str(const struct jv *v, size_t *len);

/* Integer fields the node's way: a JSON integer, an integral real (3.0), or
 * a decimal string ("-12", "12"; no sign '+', spaces or exponent), within
 * [min, max]. Returns 0, or -1 with err ("expected an integer, got object",
 * "out of range [-9223372036854775808, 9223372036854775807]:
 * 9223372036854775808"); callers prefix the field's name or path. */
int jv_int64(const struct jv *v, int64_t min, int64_t max, int64_t *out, char *err);
int jv_uint64(const struct jv *v, uint64_t max, uint64_t *out, char *err);
/* Any JSON number (integer or real) as a double, for measurements such as
 * "interval_s": 1.005 (not for amounts: those are integers, read exactly
 * with jv_int64). Returns 0, or -1 with err. */
int jv_double(const struct jv *v, double *out, char *err);
/* true/false only. */
int jv_bool(const struct jv *v, bool *out, char *err);

#endif
