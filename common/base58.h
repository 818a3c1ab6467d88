/* base58.h - Bitcoin-alphabet base58, as used by WIF keys and Graphene
 * public key strings. Pure; no allocation. */
#ifndef BSS_BASE58_H
#define BSS_BASE58_H

#include <stddef.h>
#include <stdint.h>

/* Encodes len bytes (len <= 128) into out as a NUL-terminated string.
 * Leading zero bytes become leading '1's. Returns the string length, or -1
 * with err set when out (cap bytes, NUL included) is too small or len > 128. */
int base58_encode(char *out, size_t cap, const uint8_t *in, size_t len, char *err);

/* Decodes inlen base58 characters (inlen <= 256) into out (cap bytes).
 * Returns the number of bytes decoded, or -1 with err set: an invalid
 * character (named with its offset), empty input, or output over cap. */
int base58_decode(uint8_t *out, size_t cap, const char *in, size_t inlen, char *err);

#endif
