/* err.h - error strings for the pure modules (common/, proto/).
 *
 * Modules in common/ and proto/ never log and never exit. A function that can
 * fail takes `char *err` as its LAST argument: a caller-owned buffer of at
 * least ERR_LEN bytes. On failure the function returns a negative status and
 * writes one line (no trailing newline) that names what is wrong; on success
 * the buffer is left untouched. err may be NULL when the caller does not care.
 */
#ifndef BSS_ERR_H
#define BSS_ERR_H

#include <stdarg.h>

#define ERR_LEN 256

/* Writes a printf-style message into err (if err is not NULL), truncated to
 * ERR_LEN - 1 bytes. Returns -1 so that `return err_set(err, ...)` reads well. */
int err_set(char *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Prefixes an existing message in err with a printf-style context, e.g.
 * err_prefix(err, "operation %zu", i) turns "amount must be > 0" into
 * "operation 3: amount must be > 0". Returns -1. */
int err_prefix(char *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
