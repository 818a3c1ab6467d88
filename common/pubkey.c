/* pubkey.c - see pubkey.h. */
#include "pubkey.h"

#include <string.h>

#include "base58.h"
#include "err.h"
#include "hash.h"

/* base58 of 37 bytes whose first byte is 02 or 03: 2^289 > 58^49 and
 * 2^290 < 58^50, so always exactly 50 characters. */
#define PUBKEY_BODY_CHARS 50
#define PUBKEY_BODY_BYTES (PUBKEY_LEN + 4)

static int pubkey_prefix_ok(const char *p, size_t n)
{
    if (n < 1 || n > PUBKEY_PREFIX_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (p[i] < 'A' || p[i] > 'Z')
            return 0;
    return 1;
}

int pubkey_to_string(char *out, size_t cap, const char *prefix, const uint8_t pub[PUBKEY_LEN],
                     char *err)
{
    uint8_t body[PUBKEY_BODY_BYTES], check[20];
    size_t plen = strnlen(prefix, PUBKEY_PREFIX_MAX + 1);
    int n;

    if (!pubkey_prefix_ok(prefix, plen))
        return err_set(err, "public key prefix must be 1..%d characters A-Z", PUBKEY_PREFIX_MAX);
    /* Anything else would not round-trip through pubkey_from_string. */
    if (pub[0] != 0x02 && pub[0] != 0x03)
        return err_set(err, "public key does not start with 02 or 03");
    if (cap < plen + PUBKEY_BODY_CHARS + 1)
        return err_set(err, "public key buffer too small: need %zu bytes, have %zu",
                       plen + PUBKEY_BODY_CHARS + 1, cap);
    memcpy(body, pub, PUBKEY_LEN);
    hash_ripemd160(check, pub, PUBKEY_LEN);
    memcpy(body + PUBKEY_LEN, check, 4);
    memcpy(out, prefix, plen);
    n = base58_encode(out + plen, cap - plen, body, sizeof body, err);
    if (n < 0)
        return -1;
    return (int)plen + n;
}

int pubkey_from_string(uint8_t pub[PUBKEY_LEN], char *prefix_out, const char *str, size_t len,
                       const char *expect_prefix, char *err)
{
    uint8_t body[PUBKEY_BODY_CHARS], check[20]; /* 50 '1's decode to 50 bytes */
    size_t plen;
    int n;

    if (expect_prefix != NULL) {
        size_t elen = strlen(expect_prefix);
        /* Judge the length against the expected prefix, so that a
         * truncated "BTS..." key is reported as truncated. */
        if (len >= elen && memcmp(str, expect_prefix, elen) == 0) {
            if (len != elen + PUBKEY_BODY_CHARS)
                return err_set(err, "public key has wrong length (%zu characters, expected %zu)",
                               len, elen + PUBKEY_BODY_CHARS);
        } else if (len > PUBKEY_BODY_CHARS &&
                   pubkey_prefix_ok(str, len - PUBKEY_BODY_CHARS)) {
            return err_set(err, "public key prefix \"%.*s\" where \"%s\" was expected",
                           (int)(len - PUBKEY_BODY_CHARS), str, expect_prefix);
        } else {
            return err_set(err, "public key does not start with \"%s\"", expect_prefix);
        }
    }
    if (len <= PUBKEY_BODY_CHARS || len > PUBKEY_BODY_CHARS + PUBKEY_PREFIX_MAX)
        return err_set(err, "public key has wrong length (%zu characters)", len);
    plen = len - PUBKEY_BODY_CHARS;
    if (!pubkey_prefix_ok(str, plen))
        return err_set(err, "public key prefix must be 1..%d characters A-Z", PUBKEY_PREFIX_MAX);
    n = base58_decode(body, sizeof body, str + plen, PUBKEY_BODY_CHARS, err);
    if (n < 0)
        return err_prefix(err, "public key");
    /* 50 characters with leading '1's (zero bytes) can decode to fewer. */
    if (n != PUBKEY_BODY_BYTES)
        return err_set(err, "public key decodes to %d bytes, expected %d", n, PUBKEY_BODY_BYTES);
    hash_ripemd160(check, body, PUBKEY_LEN);
    if (memcmp(check, body + PUBKEY_LEN, 4) != 0)
        return err_set(err, "bad public key checksum");
    if (body[0] != 0x02 && body[0] != 0x03)
        return err_set(err, "public key does not start with 02 or 03");
    memcpy(pub, body, PUBKEY_LEN);
    if (prefix_out != NULL) {
        memcpy(prefix_out, str, plen);
        prefix_out[plen] = '\0';
    }
    return 0;
}
