/* test_keys.c - hashes, base58, public key strings and WIF keys against
 * tests/vectors/keys.json and known values, plus every error path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base58.h"
#include "err.h"
#include "hash.h"
#include "hex.h"
#include "pubkey.h"
#include "sign.h"
#include "testutil.h"

static int setup_ctx(void **state)
{
    char err[ERR_LEN];

    *state = sign_ctx_new(err);
    return *state == NULL ? -1 : 0;
}

static int teardown_ctx(void **state)
{
    sign_ctx_free(*state);
    return 0;
}

/* Asserts that err names no 8-character piece of secret text. */
static void assert_no_leak(const char *err, const char *secret)
{
    size_t n = strlen(secret);

    for (size_t i = 0; i + 8 <= n; i++) {
        char piece[9];
        memcpy(piece, secret + i, 8);
        piece[8] = '\0';
        if (strstr(err, piece) != NULL)
            fail_msg("error \"%s\" quotes the key", err);
    }
}

static void assert_err_has(const char *err, const char *want)
{
    if (strstr(err, want) == NULL)
        fail_msg("error \"%s\" does not contain \"%s\"", err, want);
}

static void test_hash_known(void **state)
{
    (void)state;
    uint8_t out[32], out2[32];

    hash_sha256(out, "", 0);
    assert_string_equal(tu_hex(out, 32),
                        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    hash_sha256(out, "abc", 3);
    assert_string_equal(tu_hex(out, 32),
                        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    hash_sha256_2(out2, "a", 1, "bc", 2);
    assert_memory_equal(out, out2, 32);
    hash_sha256_2(out2, "", 0, "abc", 3);
    assert_memory_equal(out, out2, 32);
    hash_sha256_2(out2, "abc", 3, "", 0);
    assert_memory_equal(out, out2, 32);
    hash_ripemd160(out, "", 0);
    assert_string_equal(tu_hex(out, 20), "9c1185a5c5e9fc54612808977ee8f548b2258d31");
    hash_ripemd160(out, "abc", 3);
    assert_string_equal(tu_hex(out, 20), "8eb208f7e05d987a9b044a8e98c6b087f15a0bfc");
}

struct b58_case {
    const char *hex, *b58;
};

/* Bitcoin Core's base58_encode_decode.json. */
static const struct b58_case b58_cases[] = {
    {"61", "2g"},
    {"626262", "a3gV"},
    {"636363", "aPEr"},
    {"73696d706c792061206c6f6e6720737472696e67", "2cFupjhnEsSn59qHXstmK2ffpLv2"},
    {"00eb15231dfceb60925886b67d065299925915aeb172c06647", "1NS17iag9jJgTHD1VXjvLCEnZuQ3rJDE9L"},
    {"516b6fcd0f", "ABnLTmg"},
    {"bf4f89001e670274dd", "3SEo3LWLoPntC"},
    {"572e4794", "3EFU7m"},
    {"ecac89cad93923c02321", "EJDM8drfXA6uyA"},
    {"10c8511e", "Rt5zm"},
    {"00000000000000000000", "1111111111"},
    {"00", "1"},
    {"000000287fb4cd", "111233QC4"},
    {"000111d38e5fc9071ffcd20b4a763cc9ae4f252bb4e48fd66a835e252ada93ff480d6dd43dc62a641155a5",
     "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"},
};

static void test_base58_known(void **state)
{
    (void)state;
    char text[200], err[ERR_LEN];
    uint8_t back[200];

    for (size_t i = 0; i < sizeof b58_cases / sizeof b58_cases[0]; i++) {
        size_t n;
        uint8_t *raw = tu_unhex(b58_cases[i].hex, &n);
        int got = base58_encode(text, sizeof text, raw, n, err);

        assert_int_equal(got, (int)strlen(b58_cases[i].b58));
        assert_string_equal(text, b58_cases[i].b58);
        assert_int_equal(base58_decode(back, sizeof back, text, strlen(text), err), (int)n);
        assert_memory_equal(back, raw, n);
        free(raw);
    }
    /* Encoding nothing is the empty string (decoding it is an error). */
    assert_int_equal(base58_encode(text, sizeof text, back, 0, err), 0);
    assert_string_equal(text, "");
    /* Exact fit: "a3gV" plus NUL in 5 bytes, decode into exactly 3. */
    assert_int_equal(base58_encode(text, 5, (const uint8_t *)"bbb", 3, err), 4);
    assert_int_equal(base58_decode(back, 3, "a3gV", 4, err), 3);
}

static void test_base58_round_trip_max(void **state)
{
    (void)state;
    uint8_t in[128], back[200];
    char text[200], err[ERR_LEN];
    int n;

    memset(in, 0xff, sizeof in);
    n = base58_encode(text, sizeof text, in, sizeof in, err);
    assert_true(n > 0);
    assert_int_equal(base58_decode(back, sizeof back, text, (size_t)n, err), 128);
    assert_memory_equal(back, in, 128);
    /* Mixed leading zeros and a full body. */
    in[0] = in[1] = 0;
    n = base58_encode(text, sizeof text, in, sizeof in, err);
    assert_true(n > 0);
    assert_int_equal(text[0], '1');
    assert_int_equal(text[1], '1');
    assert_int_equal(base58_decode(back, sizeof back, text, (size_t)n, err), 128);
    assert_memory_equal(back, in, 128);
}

static void test_base58_errors(void **state)
{
    (void)state;
    char text[300], err[ERR_LEN];
    uint8_t out[300];

    assert_int_equal(base58_decode(out, sizeof out, "", 0, err), -1);
    assert_err_has(err, "empty base58 string");
    assert_int_equal(base58_decode(out, sizeof out, "2g0", 3, err), -1);
    assert_err_has(err, "invalid base58 character at offset 2");
    assert_int_equal(base58_decode(out, sizeof out, "O", 1, err), -1);
    assert_err_has(err, "invalid base58 character at offset 0");
    assert_int_equal(base58_decode(out, sizeof out, "1Il", 3, err), -1);
    assert_err_has(err, "offset 1");
    assert_int_equal(base58_decode(out, sizeof out, "ab\xff", 3, err), -1);
    assert_err_has(err, "offset 2");
    /* A NUL inside the counted length is a bad character, not the end. */
    assert_int_equal(base58_decode(out, sizeof out, "2g\0a", 4, err), -1);
    assert_err_has(err, "offset 2");
    /* The message never repeats the character (it may be part of a key). */
    assert_int_equal(base58_decode(out, sizeof out, "abc+", 4, err), -1);
    assert_null(strchr(err, '+'));

    memset(text, 'z', 257);
    assert_int_equal(base58_decode(out, sizeof out, text, 257, err), -1);
    assert_err_has(err, "base58 string too long: 257 characters, at most 256");
    assert_int_equal(base58_decode(out, 2, "a3gV", 4, err), -1);
    assert_err_has(err, "base58 value too long: 3 bytes, at most 2");
    assert_int_equal(base58_decode(out, 2, "111", 3, err), -1);
    assert_err_has(err, "3 bytes, at most 2");

    assert_int_equal(base58_encode(text, 4, (const uint8_t *)"bbb", 3, err), -1);
    assert_err_has(err, "base58 output buffer too small: need 5 bytes, have 4");
    assert_int_equal(base58_encode(text, sizeof text, out, 129, err), -1);
    assert_err_has(err, "base58 input too long: 129 bytes, at most 128");
    /* err may be NULL. */
    assert_int_equal(base58_decode(out, sizeof out, "0", 1, NULL), -1);
}

/* Every keys.json entry both ways: secret <-> WIF, secret -> public key,
 * public key <-> BTS and TEST strings. */
static void test_keys_vectors(void **state)
{
    const struct sign_ctx *ctx = *state;
    struct jv *root = tu_vector_json("keys.json");
    char err[ERR_LEN];

    assert_true(jv_len(root) >= 5);
    for (size_t i = 0; i < jv_len(root); i++) {
        const struct jv *v = jv_at(root, i);
        const char *wif = tu_str(v, "wif"), *bts = tu_str(v, "pubkey_BTS");
        const char *test = tu_str(v, "pubkey_TEST");
        size_t slen, plen;
        uint8_t *secret = tu_unhex(tu_str(v, "secret_hex"), &slen);
        uint8_t *pubv = tu_unhex(tu_str(v, "pubkey_hex"), &plen);
        uint8_t pub[PUBKEY_LEN], pub2[PUBKEY_LEN];
        char wif_out[SIGN_WIF_MAX], str[PUBKEY_STR_MAX], prefix[PUBKEY_PREFIX_MAX + 1];
        struct sign_key *k1, *k2;

        assert_int_equal(slen, 32);
        assert_int_equal(plen, PUBKEY_LEN);
        /* secret -> WIF and public key */
        k1 = sign_key_from_secret(ctx, secret, err);
        assert_non_null(k1);
        sign_key_wif(k1, wif_out);
        assert_string_equal(wif_out, wif);
        sign_key_pubkey(k1, pub);
        assert_memory_equal(pub, pubv, PUBKEY_LEN);
        /* WIF -> secret (seen through its WIF and public key) */
        k2 = sign_key_from_wif(ctx, wif, strlen(wif), err);
        assert_non_null(k2);
        sign_key_wif(k2, wif_out);
        assert_string_equal(wif_out, wif);
        sign_key_pubkey(k2, pub2);
        assert_memory_equal(pub2, pubv, PUBKEY_LEN);
        assert_int_equal(sign_pubkey_check(ctx, pub, err), 0);
        /* public key -> strings */
        assert_int_equal(pubkey_to_string(str, sizeof str, "BTS", pub, err), (int)strlen(bts));
        assert_string_equal(str, bts);
        assert_int_equal(pubkey_to_string(str, sizeof str, "TEST", pub, err), (int)strlen(test));
        assert_string_equal(str, test);
        /* strings -> public key, with and without an expected prefix */
        memset(pub2, 0, sizeof pub2);
        assert_int_equal(pubkey_from_string(pub2, prefix, bts, strlen(bts), "BTS", err), 0);
        assert_memory_equal(pub2, pubv, PUBKEY_LEN);
        assert_string_equal(prefix, "BTS");
        memset(pub2, 0, sizeof pub2);
        assert_int_equal(pubkey_from_string(pub2, prefix, test, strlen(test), NULL, err), 0);
        assert_memory_equal(pub2, pubv, PUBKEY_LEN);
        assert_string_equal(prefix, "TEST");
        assert_int_equal(pubkey_from_string(pub2, NULL, test, strlen(test), "TEST", err), 0);

        sign_key_free(k1);
        sign_key_free(k2);
        free(secret);
        free(pubv);
    }
    jv_free(root);
}

static const char nathan_wif[] = "5KQwrPbwdL6PhXujxW37FSSQZ1JiwsST4cqQzDeyXtP79zkvFD3";
static const char nathan_bts[] = "BTS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV";

static void test_pubkey_errors(void **state)
{
    (void)state;
    uint8_t pub[PUBKEY_LEN], body[PUBKEY_LEN + 4], check[20];
    char s[128], err[ERR_LEN];
    size_t n = strlen(nathan_bts);

    /* bad checksum: one character of the body changed */
    memcpy(s, nathan_bts, n + 1);
    s[n - 1] = s[n - 1] == 'V' ? 'W' : 'V';
    assert_int_equal(pubkey_from_string(pub, NULL, s, n, "BTS", err), -1);
    assert_err_has(err, "bad public key checksum");
    memcpy(s, nathan_bts, n + 1);
    s[20] = s[20] == 'a' ? 'b' : 'a';
    assert_int_equal(pubkey_from_string(pub, NULL, s, n, "BTS", err), -1);
    assert_err_has(err, "bad public key checksum");
    /* wrong length: short, long, empty */
    assert_int_equal(pubkey_from_string(pub, NULL, nathan_bts, n - 1, "BTS", err), -1);
    assert_err_has(err, "public key has wrong length (52 characters, expected 53)");
    assert_int_equal(pubkey_from_string(pub, NULL, nathan_bts, n - 1, NULL, err), -1);
    /* without an expected prefix that reads as "BT" + a 50-character body */
    assert_err_has(err, "bad public key checksum");
    assert_int_equal(pubkey_from_string(pub, NULL, nathan_bts + 3, n - 3, NULL, err), -1);
    assert_err_has(err, "wrong length");
    assert_int_equal(pubkey_from_string(pub, NULL, "", 0, NULL, err), -1);
    assert_err_has(err, "wrong length");
    snprintf(s, sizeof s, "ABCDEFGHIJKLMNOP%s", nathan_bts + 3); /* 16-char prefix */
    assert_int_equal(pubkey_from_string(pub, NULL, s, strlen(s), NULL, err), -1);
    assert_err_has(err, "wrong length");
    /* one character too many makes the prefix "BTS6" */
    snprintf(s, sizeof s, "%sa", nathan_bts);
    assert_int_equal(pubkey_from_string(pub, NULL, s, strlen(s), NULL, err), -1);
    assert_err_has(err, "public key prefix must be 1..15 characters A-Z");
    /* prefix mismatch */
    snprintf(s, sizeof s, "TEST%s", nathan_bts + 3);
    assert_int_equal(pubkey_from_string(pub, NULL, s, strlen(s), "BTS", err), -1);
    assert_err_has(err, "public key prefix \"TEST\" where \"BTS\" was expected");
    assert_int_equal(pubkey_from_string(pub, NULL, nathan_bts, n, "BT", err), -1);
    assert_err_has(err, "public key has wrong length (53 characters, expected 52)");
    assert_int_equal(pubkey_from_string(pub, NULL, nathan_bts, n, "GPH", err), -1);
    assert_err_has(err, "public key prefix \"BTS\" where \"GPH\" was expected");
    assert_int_equal(pubkey_from_string(pub, NULL, "BT", 2, "BTS", err), -1);
    assert_err_has(err, "public key does not start with \"BTS\"");
    /* lowercase prefix */
    snprintf(s, sizeof s, "bts%s", nathan_bts + 3);
    assert_int_equal(pubkey_from_string(pub, NULL, s, strlen(s), NULL, err), -1);
    assert_err_has(err, "public key prefix must be 1..15 characters A-Z");
    assert_int_equal(pubkey_from_string(pub, NULL, s, strlen(s), "bts", err), -1);
    assert_err_has(err, "prefix must be");
    assert_int_equal(pubkey_from_string(pub, NULL, s, strlen(s), "BTS", err), -1);
    assert_err_has(err, "public key does not start with \"BTS\"");
    /* bad base58 in the body */
    memcpy(s, nathan_bts, n + 1);
    s[10] = '0';
    assert_int_equal(pubkey_from_string(pub, NULL, s, n, "BTS", err), -1);
    assert_err_has(err, "public key: invalid base58 character at offset 7");
    /* valid checksum but 04 in front; and a body with leading '1's */
    memset(body, 0x11, sizeof body);
    body[0] = 0x04;
    hash_ripemd160(check, body, PUBKEY_LEN);
    memcpy(body + PUBKEY_LEN, check, 4);
    memcpy(s, "BTS", 3);
    assert_int_equal(base58_encode(s + 3, sizeof s - 3, body, sizeof body, err), 50);
    assert_int_equal(pubkey_from_string(pub, NULL, s, 53, "BTS", err), -1);
    assert_err_has(err, "public key does not start with 02 or 03");
    memcpy(s + 3, "11111111111111111111111111111111111111111111111112", 50);
    assert_int_equal(pubkey_from_string(pub, NULL, s, 53, "BTS", err), -1);
    assert_err_has(err, "public key decodes to 50 bytes, expected 37");

    /* pubkey_to_string errors */
    assert_int_equal(pubkey_from_string(pub, NULL, nathan_bts, n, "BTS", err), 0);
    assert_int_equal(pubkey_to_string(s, 53, "BTS", pub, err), -1);
    assert_err_has(err, "public key buffer too small: need 54 bytes, have 53");
    assert_int_equal(pubkey_to_string(s, 54, "BTS", pub, err), 53);
    assert_int_equal(pubkey_to_string(s, sizeof s, "", pub, err), -1);
    assert_err_has(err, "prefix must be");
    assert_int_equal(pubkey_to_string(s, sizeof s, "Bts", pub, err), -1);
    assert_err_has(err, "prefix must be");
    assert_int_equal(pubkey_to_string(s, sizeof s, "ABCDEFGHIJKLMNOP", pub, err), -1);
    assert_err_has(err, "prefix must be");
    assert_int_equal(pubkey_to_string(s, sizeof s, "ABCDEFGHIJKLMNO", pub, err), 65);
    assert_int_equal(pubkey_from_string(body, s, s, 65, "ABCDEFGHIJKLMNO", err), 0);
    assert_memory_equal(body, pub, PUBKEY_LEN);
    pub[0] = 0x04;
    assert_int_equal(pubkey_to_string(s, sizeof s, "BTS", pub, err), -1);
    assert_err_has(err, "does not start with 02 or 03");
}

/* Builds base58(version || secret || checksum) with a correct checksum. */
static void make_wif(char *out, size_t cap, uint8_t version, const uint8_t secret[32])
{
    uint8_t raw[37], h[32];
    char err[ERR_LEN];

    raw[0] = version;
    memcpy(raw + 1, secret, 32);
    hash_sha256(h, raw, 33);
    hash_sha256(h, h, 32);
    memcpy(raw + 33, h, 4);
    assert_true(base58_encode(out, cap, raw, sizeof raw, err) > 0);
}

static void test_wif_errors(void **state)
{
    const struct sign_ctx *ctx = *state;
    char s[128], err[ERR_LEN];
    uint8_t secret[32];
    size_t n = strlen(nathan_wif);

    /* bad checksum: last character changed */
    memcpy(s, nathan_wif, n + 1);
    s[n - 1] = s[n - 1] == '3' ? '4' : '3';
    assert_null(sign_key_from_wif(ctx, s, n, err));
    assert_string_equal(err, "bad WIF checksum");
    /* ... and a character in the middle (changes the secret) */
    memcpy(s, nathan_wif, n + 1);
    s[25] = s[25] == 'a' ? 'b' : 'a';
    assert_null(sign_key_from_wif(ctx, s, n, err));
    assert_string_equal(err, "bad WIF checksum");
    assert_no_leak(err, s);
    /* wrong length: truncated, extended, far too long */
    assert_null(sign_key_from_wif(ctx, nathan_wif, n - 1, err));
    assert_string_equal(err, "WIF has wrong length");
    snprintf(s, sizeof s, "%sz", nathan_wif);
    assert_null(sign_key_from_wif(ctx, s, n + 1, err));
    assert_string_equal(err, "WIF has wrong length");
    memset(s, 'z', 100);
    assert_null(sign_key_from_wif(ctx, s, 100, err));
    assert_string_equal(err, "WIF has wrong length");
    /* invalid base58: the offset is named, the key is not */
    memcpy(s, nathan_wif, n + 1);
    s[30] = 'l';
    assert_null(sign_key_from_wif(ctx, s, n, err));
    assert_string_equal(err, "WIF: invalid base58 character at offset 30");
    assert_no_leak(err, nathan_wif);
    assert_null(sign_key_from_wif(ctx, "", 0, err));
    assert_string_equal(err, "WIF has wrong length");
    /* 51 characters with a leading '1' decode to a zero byte first */
    memcpy(s, nathan_wif, n + 1);
    s[0] = '1';
    assert_null(sign_key_from_wif(ctx, s, n, err));
    assert_true(strcmp(err, "WIF has wrong length") == 0 || strcmp(err, "bad WIF checksum") == 0);
    /* valid checksum, wrong version byte */
    for (int i = 0; i < 32; i++)
        secret[i] = (uint8_t)(i + 1);
    make_wif(s, sizeof s, 0x81, secret);
    assert_null(sign_key_from_wif(ctx, s, strlen(s), err));
    assert_string_equal(err, "WIF has wrong version byte (expected 0x80)");
    assert_no_leak(err, s);
    make_wif(s, sizeof s, 0x80, secret);
    struct sign_key *k = sign_key_from_wif(ctx, s, strlen(s), err);
    assert_non_null(k);
    sign_key_free(k);
    /* valid checksum, secret not a valid key */
    memset(secret, 0, 32);
    make_wif(s, sizeof s, 0x80, secret);
    assert_null(sign_key_from_wif(ctx, s, strlen(s), err));
    assert_string_equal(err, "WIF: secret is zero or not below the curve order");
    memset(secret, 0xff, 32);
    make_wif(s, sizeof s, 0x80, secret);
    assert_null(sign_key_from_wif(ctx, s, strlen(s), err));
    assert_string_equal(err, "WIF: secret is zero or not below the curve order");
    /* err may be NULL */
    assert_null(sign_key_from_wif(ctx, "x", 1, NULL));
    sign_key_free(NULL);
}

static void test_secret_range(void **state)
{
    const struct sign_ctx *ctx = *state;
    /* the group order n */
    static const char n_hex[] = "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141";
    uint8_t secret[32];
    char err[ERR_LEN];
    struct sign_key *k;

    assert_int_equal(hex_decode_exact(secret, 32, n_hex, 64, err), 0);
    assert_null(sign_key_from_secret(ctx, secret, err));
    assert_string_equal(err, "secret is zero or not below the curve order");
    secret[31] = 0x42; /* n + 1 */
    assert_null(sign_key_from_secret(ctx, secret, err));
    secret[31] = 0x40; /* n - 1 */
    k = sign_key_from_secret(ctx, secret, err);
    assert_non_null(k);
    sign_key_free(k);
    memset(secret, 0, 32);
    assert_null(sign_key_from_secret(ctx, secret, err));
    assert_string_equal(err, "secret is zero or not below the curve order");
}

static void test_pubkey_check(void **state)
{
    const struct sign_ctx *ctx = *state;
    uint8_t pub[PUBKEY_LEN];
    char err[ERR_LEN];

    assert_int_equal(pubkey_from_string(pub, NULL, nathan_bts, strlen(nathan_bts), "BTS", err),
                     0);
    assert_int_equal(sign_pubkey_check(ctx, pub, err), 0);
    pub[0] = 0x03; /* the other y of a valid x is valid too */
    assert_int_equal(sign_pubkey_check(ctx, pub, err), 0);
    pub[0] = 0x04;
    assert_int_equal(sign_pubkey_check(ctx, pub, err), -1);
    assert_string_equal(err, "public key is not a valid compressed secp256k1 point");
    memset(pub + 1, 0xff, 32); /* x >= p */
    pub[0] = 0x02;
    assert_int_equal(sign_pubkey_check(ctx, pub, err), -1);
    /* x = 5: 5^3 + 7 = 132 is not a square mod p, so no point has it */
    memset(pub + 1, 0, 32);
    pub[32] = 5;
    assert_int_equal(sign_pubkey_check(ctx, pub, err), -1);
    assert_string_equal(err, "public key is not a valid compressed secp256k1 point");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hash_known),
        cmocka_unit_test(test_base58_known),
        cmocka_unit_test(test_base58_round_trip_max),
        cmocka_unit_test(test_base58_errors),
        cmocka_unit_test(test_keys_vectors),
        cmocka_unit_test(test_pubkey_errors),
        cmocka_unit_test(test_wif_errors),
        cmocka_unit_test(test_secret_range),
        cmocka_unit_test(test_pubkey_check),
    };
    return cmocka_run_group_tests(tests, setup_ctx, teardown_ctx);
}
