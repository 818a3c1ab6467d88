/* hex.h - lowercase hex encoding and strict decoding. Pure; no allocation. */
#ifndef BSS_HEX_H
#define BSS_HEX_H

#include <stddef.h>
#include <stdint.h>

/* Writes 2*len lowercase hex characters and a terminating NUL to out, which
 * must hold 2*len + 1 bytes. */
void hex_encode(char *out, const uint8_t *in, size_t len);

/* Decodes inlen hex characters (either case) from in into out.
 * Returns the number of bytes written (inlen / 2), or -1 with err set:
 * odd length, a non-hex character (its offset is named), or more than cap
 * bytes of output. */
/* The value of one hex digit (either case), or -1 for any other character. */
int hex_nibble(char c);

long hex_decode(uint8_t *out, size_t cap, const char *in, size_t inlen, char *err);

/* Like hex_decode, but the input must be exactly 2*outlen characters.
 * Returns 0, or -1 with err ("expected N hex characters, got M", ...). */
int hex_decode_exact(uint8_t *out, size_t outlen, const char *in, size_t inlen, char *err);

#endif
