/* testutil.h - shared helpers for the cmocka tests. */
#ifndef BSS_TESTUTIL_H
#define BSS_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

#include "jv.h"

/* Reads a whole file; aborts the test run on failure. Free with free(). */
char *tu_read_file(const char *path, size_t *len);

/* Path of a file in tests/vectors ($VECTORS_DIR, set by meson). Returns a
 * static buffer, valid until the next call. */
const char *tu_vector_path(const char *name);

/* Parses tests/vectors/NAME as JSON; aborts on failure. Free with jv_free. */
struct jv *tu_vector_json(const char *name);

/* String member of an object; fails the test when missing. */
const char *tu_str(const struct jv *obj, const char *key);

/* Decodes hex into a new buffer (free with free()); *len gets the size. */
uint8_t *tu_unhex(const char *hex, size_t *len);

/* Lowercase hex of n bytes in a static buffer (up to 4096 bytes input). */
const char *tu_hex(const uint8_t *p, size_t n);

#endif
