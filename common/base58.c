/* base58.c - see base58.h.
 *
 * The textbook quadratic big-number conversion: inputs are at most a few
 * dozen bytes (keys), so O(n^2) on small stack buffers beats anything
 * clever. Buffers are sized for the documented maximum lengths, so no
 * allocation and no overflow whatever the input. The input or output may
 * be a private key (WIF), so scratch buffers are wiped with explicit_bzero
 * (a plain memset of a dead buffer may be optimised away) and error
 * messages name the offset of a bad character, never the character. */
#include "base58.h"

#include <string.h>

#include "err.h"

#define BASE58_ENC_MAX_IN 128
#define BASE58_DEC_MAX_IN 256
/* log(256)/log(58) = 1.3657...; 138/100 rounds it up. */
#define BASE58_ENC_DIGITS (BASE58_ENC_MAX_IN * 138 / 100 + 1)
/* log(58)/log(256) = 0.7322...; 733/1000 rounds it up. */
#define BASE58_DEC_BYTES (BASE58_DEC_MAX_IN * 733 / 1000 + 1)

static const char base58_alphabet[] =
    "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/* Digit value of c, or -1. */
static int base58_digit(char c)
{
    const char *p;

    if (c == '\0')
        return -1;
    p = strchr(base58_alphabet, c);
    return p != NULL ? (int)(p - base58_alphabet) : -1;
}

int base58_encode(char *out, size_t cap, const uint8_t *in, size_t len, char *err)
{
    uint8_t digits[BASE58_ENC_DIGITS];
    size_t zeros = 0, ndig = 0, need;
    int rc = -1;

    if (len > BASE58_ENC_MAX_IN)
        return err_set(err, "base58 input too long: %zu bytes, at most %d", len,
                       BASE58_ENC_MAX_IN);
    while (zeros < len && in[zeros] == 0)
        zeros++;
    /* digits[0..ndig) holds the value so far, least significant first. */
    for (size_t i = zeros; i < len; i++) {
        unsigned carry = in[i];
        for (size_t j = 0; j < ndig; j++) {
            carry += (unsigned)digits[j] << 8;
            digits[j] = (uint8_t)(carry % 58);
            carry /= 58;
        }
        while (carry > 0) {
            digits[ndig++] = (uint8_t)(carry % 58);
            carry /= 58;
        }
    }
    need = zeros + ndig + 1;
    if (need > cap) {
        err_set(err, "base58 output buffer too small: need %zu bytes, have %zu", need, cap);
        goto done;
    }
    memset(out, '1', zeros);
    for (size_t j = 0; j < ndig; j++)
        out[zeros + j] = base58_alphabet[digits[ndig - 1 - j]];
    out[zeros + ndig] = '\0';
    rc = (int)(zeros + ndig);
done:
    explicit_bzero(digits, sizeof digits);
    return rc;
}

int base58_decode(uint8_t *out, size_t cap, const char *in, size_t inlen, char *err)
{
    uint8_t bytes[BASE58_DEC_BYTES];
    size_t zeros = 0, nbytes = 0, total;
    int rc = -1;

    if (inlen == 0)
        return err_set(err, "empty base58 string");
    if (inlen > BASE58_DEC_MAX_IN)
        return err_set(err, "base58 string too long: %zu characters, at most %d", inlen,
                       BASE58_DEC_MAX_IN);
    while (zeros < inlen && in[zeros] == '1')
        zeros++;
    /* bytes[0..nbytes) holds the value so far, least significant first. */
    for (size_t i = zeros; i < inlen; i++) {
        int d = base58_digit(in[i]);
        unsigned carry;

        if (d < 0) {
            err_set(err, "invalid base58 character at offset %zu", i);
            goto done;
        }
        carry = (unsigned)d;
        for (size_t j = 0; j < nbytes; j++) {
            carry += (unsigned)bytes[j] * 58;
            bytes[j] = (uint8_t)(carry & 0xff);
            carry >>= 8;
        }
        while (carry > 0) {
            bytes[nbytes++] = (uint8_t)(carry & 0xff);
            carry >>= 8;
        }
    }
    total = zeros + nbytes;
    if (total > cap) {
        err_set(err, "base58 value too long: %zu bytes, at most %zu", total, cap);
        goto done;
    }
    memset(out, 0, zeros);
    for (size_t j = 0; j < nbytes; j++)
        out[zeros + j] = bytes[nbytes - 1 - j];
    rc = (int)total;
done:
    explicit_bzero(bytes, sizeof bytes);
    return rc;
}
