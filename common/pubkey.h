/* pubkey.h - Graphene public key strings: PREFIX + base58(pub33 ||
 * ripemd160(pub33)[0:4]), e.g. "BTS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV".
 * The prefix is chain-specific ("BTS", "TEST", ...). Pure. */
#ifndef BSS_PUBKEY_H
#define BSS_PUBKEY_H

#include <stddef.h>
#include <stdint.h>

#define PUBKEY_LEN 33        /* compressed secp256k1 point */
#define PUBKEY_PREFIX_MAX 15 /* longest accepted prefix, characters */
#define PUBKEY_STR_MAX 72    /* longest string incl. NUL */

/* Renders pub with the given prefix (1..PUBKEY_PREFIX_MAX characters A-Z)
 * into out (cap bytes, PUBKEY_STR_MAX is always enough). Returns the string
 * length, or -1 with err. Does not check that pub is a point on the curve
 * (sign_pubkey_check does). */
int pubkey_to_string(char *out, size_t cap, const char *prefix, const uint8_t pub[PUBKEY_LEN],
                     char *err);

/* Parses a key string. The base58 body of a 33-byte key plus checksum is
 * always 50 characters, so the prefix is everything before the last 50;
 * it must be 1..PUBKEY_PREFIX_MAX characters A-Z.
 * expect_prefix: NULL accepts any prefix; otherwise the prefix must equal it.
 * prefix_out: NULL, or PUBKEY_PREFIX_MAX + 1 bytes that receive the prefix.
 * Returns 0, or -1 with err: wrong length (judged against expect_prefix
 * when given), bad base58, "bad public key checksum", unexpected prefix
 * ("public key prefix \"TEST\" where \"BTS\" was expected"), first byte not
 * 02/03. */
int pubkey_from_string(uint8_t pub[PUBKEY_LEN], char *prefix_out, const char *str, size_t len,
                       const char *expect_prefix, char *err);

#endif
