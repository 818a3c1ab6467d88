/* hash.c - see hash.h.
 *
 * OpenSSL 3 marks the low-level SHA256_Init / RIPEMD160 calls deprecated in
 * favour of EVP, but EVP allocates on every digest init and can fail, which
 * would give these void functions an error path (and a hash per transaction
 * on the signing path an allocation). The low-level calls are still built
 * and supported throughout 3.x, need no provider lookup, never allocate and
 * cannot fail, so we ask for the 1.1.1 API level here, in the one module
 * that includes libcrypto. */
#define OPENSSL_API_COMPAT 0x10100000L
#include "hash.h"

#include <openssl/ripemd.h>
#include <openssl/sha.h>

void hash_sha256(uint8_t out[32], const void *data, size_t len)
{
    SHA256(data, len, out);
}

void hash_sha256_2(uint8_t out[32], const void *a, size_t alen, const void *b, size_t blen)
{
    SHA256_CTX c;

    SHA256_Init(&c);
    SHA256_Update(&c, a, alen);
    SHA256_Update(&c, b, blen);
    SHA256_Final(out, &c);
}

void hash_ripemd160(uint8_t out[20], const void *data, size_t len)
{
    RIPEMD160(data, len, out);
}
