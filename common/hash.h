/* hash.h - SHA-256 and RIPEMD-160 (OpenSSL libcrypto; the only module that
 * includes it). Thread-safe, never allocates, cannot fail. */
#ifndef BSS_HASH_H
#define BSS_HASH_H

#include <stddef.h>
#include <stdint.h>

/* out = sha256(data[0..len)). */
void hash_sha256(uint8_t out[32], const void *data, size_t len);

/* out = sha256(a || b), without concatenating: the signing digest is
 * sha256(chain_id || packed_tx). */
void hash_sha256_2(uint8_t out[32], const void *a, size_t alen, const void *b, size_t blen);

/* out = ripemd160(data[0..len)). */
void hash_ripemd160(uint8_t out[20], const void *data, size_t len);

#endif
