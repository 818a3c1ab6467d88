/* hex.c - see hex.h. */
#include "hex.h"

#include "err.h"

static const char hex_digits[16] = "0123456789abcdef";

void hex_encode(char *out, const uint8_t *in, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = hex_digits[in[i] >> 4];
        out[2 * i + 1] = hex_digits[in[i] & 15];
    }
    out[2 * len] = '\0';
}

int hex_nibble(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

long hex_decode(uint8_t *out, size_t cap, const char *in, size_t inlen, char *err)
{
    if (inlen % 2 != 0)
        return err_set(err, "odd number of hex characters (%zu)", inlen);
    if (inlen / 2 > cap)
        return err_set(err, "hex string too long: %zu bytes, at most %zu", inlen / 2, cap);
    for (size_t i = 0; i < inlen; i += 2) {
        int hi = hex_nibble(in[i]), lo = hex_nibble(in[i + 1]);
        if (hi < 0 || lo < 0)
            return err_set(err, "non-hex character at offset %zu", hi < 0 ? i : i + 1);
        out[i / 2] = (uint8_t)(hi << 4 | lo);
    }
    return (long)(inlen / 2);
}

int hex_decode_exact(uint8_t *out, size_t outlen, const char *in, size_t inlen, char *err)
{
    if (inlen != 2 * outlen)
        return err_set(err, "expected %zu hex characters, got %zu", 2 * outlen, inlen);
    return hex_decode(out, outlen, in, inlen, err) < 0 ? -1 : 0;
}
