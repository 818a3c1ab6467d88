/* sign.c - see sign.h.
 *
 * The two signing schemes reproduce the reference signers bit for bit with
 * modern libsecp256k1 (protocol doc §2.1/§2.2): only the nonce function
 * differs; both retry until fc's canonical rule holds. Every buffer that
 * held secret bytes is wiped with explicit_bzero, which the compiler may
 * not drop even when the buffer is dead afterwards. */
#include "sign.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <secp256k1.h>
#include <secp256k1_recovery.h>

#include "base58.h"
#include "err.h"
#include "hash.h"

/* Each attempt succeeds with probability ~1/2, so 2^-256 odds of running
 * out: the bound exists only so that no loop is unbounded. It also sizes
 * the zero padding of the bitsharesjs scheme. */
#define SIGN_MAX_ATTEMPTS 256

#define SIGN_WIF_BYTES 37 /* 0x80 || secret32 || checksum4 */
#define SIGN_WIF_CHARS 51

struct sign_ctx {
    secp256k1_context *secp;
};

struct sign_key {
    uint8_t secret[32];
    uint8_t pub[PUBKEY_LEN];
};

static const uint8_t sign_zeros[SIGN_MAX_ATTEMPTS];

struct sign_ctx *sign_ctx_new(char *err)
{
    struct sign_ctx *ctx = calloc(1, sizeof *ctx);
    uint8_t seed[32];

    if (ctx == NULL) {
        err_set(err, "out of memory");
        return NULL;
    }
    ctx->secp = secp256k1_context_create(SECP256K1_CONTEXT_SIGN | SECP256K1_CONTEXT_VERIFY);
    if (ctx->secp == NULL) {
        free(ctx);
        err_set(err, "secp256k1_context_create failed");
        return NULL;
    }
    /* Blinding only hardens against side channels; without entropy the
     * context still signs correctly, so a failed read is not an error. */
    if (getrandom(seed, sizeof seed, 0) == (ssize_t)sizeof seed &&
        !secp256k1_context_randomize(ctx->secp, seed)) {
        explicit_bzero(seed, sizeof seed);
        sign_ctx_free(ctx);
        err_set(err, "secp256k1_context_randomize failed");
        return NULL;
    }
    explicit_bzero(seed, sizeof seed);
    return ctx;
}

void sign_ctx_free(struct sign_ctx *ctx)
{
    if (ctx == NULL)
        return;
    secp256k1_context_destroy(ctx->secp);
    free(ctx);
}

/* First 4 bytes of sha256(sha256(0x80 || secret)). */
static void sign_wif_checksum(uint8_t out[4], const uint8_t versioned[33])
{
    uint8_t h1[32], h2[32];

    hash_sha256(h1, versioned, 33);
    hash_sha256(h2, h1, sizeof h1);
    memcpy(out, h2, 4);
    explicit_bzero(h1, sizeof h1);
    explicit_bzero(h2, sizeof h2);
}

struct sign_key *sign_key_from_secret(const struct sign_ctx *ctx, const uint8_t secret[32],
                                      char *err)
{
    struct sign_key *key = NULL;
    secp256k1_pubkey pk;
    size_t publen = PUBKEY_LEN;

    if (!secp256k1_ec_seckey_verify(ctx->secp, secret)) {
        err_set(err, "secret is zero or not below the curve order");
        goto fail;
    }
    key = malloc(sizeof *key);
    if (key == NULL) {
        err_set(err, "out of memory");
        goto fail;
    }
    memcpy(key->secret, secret, 32);
    if (!secp256k1_ec_pubkey_create(ctx->secp, &pk, key->secret) ||
        !secp256k1_ec_pubkey_serialize(ctx->secp, key->pub, &publen, &pk,
                                       SECP256K1_EC_COMPRESSED)) {
        err_set(err, "cannot derive the public key");
        goto fail;
    }
    return key;
fail:
    sign_key_free(key);
    return NULL;
}

struct sign_key *sign_key_from_wif(const struct sign_ctx *ctx, const char *wif, size_t len,
                                   char *err)
{
    uint8_t raw[48], check[4];
    struct sign_key *key = NULL;
    int n;

    /* 0x80 followed by 36 bytes is always 51 base58 characters
     * (58^50 < 2^295 <= value < 2^296 < 58^51); checking that first names a
     * truncated key as such rather than as a checksum failure. */
    if (len != SIGN_WIF_CHARS) {
        err_set(err, "WIF has wrong length");
        goto done;
    }
    n = base58_decode(raw, sizeof raw, wif, len, err);
    if (n < 0) {
        err_prefix(err, "WIF");
        goto done;
    }
    if (n != SIGN_WIF_BYTES) {
        err_set(err, "WIF has wrong length");
        goto done;
    }
    sign_wif_checksum(check, raw);
    if (memcmp(check, raw + 33, 4) != 0) {
        err_set(err, "bad WIF checksum");
        goto done;
    }
    if (raw[0] != 0x80) {
        err_set(err, "WIF has wrong version byte (expected 0x80)");
        goto done;
    }
    key = sign_key_from_secret(ctx, raw + 1, err);
    if (key == NULL)
        err_prefix(err, "WIF");
done:
    explicit_bzero(raw, sizeof raw);
    explicit_bzero(check, sizeof check);
    return key;
}

void sign_key_free(struct sign_key *key)
{
    if (key == NULL)
        return;
    explicit_bzero(key, sizeof *key);
    free(key);
}

void sign_key_pubkey(const struct sign_key *key, uint8_t pub[PUBKEY_LEN])
{
    memcpy(pub, key->pub, PUBKEY_LEN);
}

void sign_key_wif(const struct sign_key *key, char out[SIGN_WIF_MAX])
{
    uint8_t raw[SIGN_WIF_BYTES];

    raw[0] = 0x80;
    memcpy(raw + 1, key->secret, 32);
    sign_wif_checksum(raw + 33, raw);
    /* 37 bytes always encode to 51 characters, well within SIGN_WIF_MAX. */
    base58_encode(out, SIGN_WIF_MAX, raw, sizeof raw, NULL);
    explicit_bzero(raw, sizeof raw);
}

bool sign_is_canonical(const uint8_t sig[SIGN_SIG_LEN])
{
    const uint8_t *c = sig;

    /* fc elliptic_common.cpp is_canonical, verbatim. */
    return !(c[1] & 0x80) && !(c[1] == 0 && !(c[2] & 0x80)) && !(c[33] & 0x80) &&
           !(c[33] == 0 && !(c[34] & 0x80));
}

/* One signing attempt with the given nonce function; sig gets the compact
 * form with header 31 + recid (27 + 4 for "compressed"). */
static int sign_once(const struct sign_ctx *ctx, const struct sign_key *key,
                     const uint8_t digest[32], secp256k1_nonce_function noncefp, void *data,
                     uint8_t sig[SIGN_SIG_LEN], char *err)
{
    secp256k1_ecdsa_recoverable_signature rs;
    int recid;

    if (!secp256k1_ecdsa_sign_recoverable(ctx->secp, &rs, digest, key->secret, noncefp, data) ||
        !secp256k1_ecdsa_recoverable_signature_serialize_compact(ctx->secp, sig + 1, &recid, &rs))
        return err_set(err, "secp256k1 refused to sign");
    sig[0] = (uint8_t)(31 + recid);
    return 0;
}

/* fc's extended_nonce_function: the counter is bumped before each use, so
 * the first candidate is RFC6979 with counter 1. */
static int sign_nonce_fc(unsigned char *nonce32, const unsigned char *msg32,
                         const unsigned char *key32, const unsigned char *algo16, void *data,
                         unsigned int attempt)
{
    unsigned *counter = data;

    (void)algo16;
    (void)attempt;
    ++*counter;
    return secp256k1_nonce_function_rfc6979(nonce32, msg32, key32, NULL, NULL, *counter);
}

int sign_compact_fc(const struct sign_ctx *ctx, const struct sign_key *key,
                    const uint8_t digest[32], uint8_t sig[SIGN_SIG_LEN], unsigned *attempts,
                    char *err)
{
    unsigned counter = 0;

    while (counter < SIGN_MAX_ATTEMPTS) {
        if (sign_once(ctx, key, digest, sign_nonce_fc, &counter, sig, err) < 0)
            return -1;
        if (sign_is_canonical(sig)) {
            if (attempts != NULL)
                *attempts = counter;
            return 0;
        }
    }
    return err_set(err, "no canonical signature after %d attempts", SIGN_MAX_ATTEMPTS);
}

/* bitsharesjs feeds RFC6979 a re-hashed message while e stays the digest:
 * data points to that message. attempt is libsecp256k1's own retry count
 * (for an out-of-range nonce), passed through as bitsharesjs would loop. */
static int sign_nonce_bjs(unsigned char *nonce32, const unsigned char *msg32,
                          const unsigned char *key32, const unsigned char *algo16, void *data,
                          unsigned int attempt)
{
    (void)msg32;
    (void)algo16;
    return secp256k1_nonce_function_rfc6979(nonce32, data, key32, NULL, NULL, attempt);
}

int sign_compact_bjs(const struct sign_ctx *ctx, const struct sign_key *key,
                     const uint8_t digest[32], uint8_t sig[SIGN_SIG_LEN], unsigned *attempts,
                     char *err)
{
    uint8_t h[32];

    for (unsigned n = 0; n < SIGN_MAX_ATTEMPTS; n++) {
        if (n == 0)
            memcpy(h, digest, 32);
        else
            hash_sha256_2(h, digest, 32, sign_zeros, n);
        if (sign_once(ctx, key, digest, sign_nonce_bjs, h, sig, err) < 0)
            return -1;
        if (sign_is_canonical(sig)) {
            if (attempts != NULL)
                *attempts = n + 1;
            return 0;
        }
    }
    return err_set(err, "no canonical signature after %d attempts", SIGN_MAX_ATTEMPTS);
}

int sign_recover(const struct sign_ctx *ctx, const uint8_t sig[SIGN_SIG_LEN],
                 const uint8_t digest[32], bool check_canonical, uint8_t pub[PUBKEY_LEN],
                 char *err)
{
    secp256k1_ecdsa_recoverable_signature rs;
    secp256k1_pubkey pk;
    size_t publen = PUBKEY_LEN;

    /* Same checks, order and messages as fc's public_key(sig, digest). */
    if (sig[0] < 27 || sig[0] > 34)
        return err_set(err, "unable to reconstruct public key from signature");
    if (check_canonical && !sign_is_canonical(sig))
        return err_set(err, "signature is not canonical");
    if (!secp256k1_ecdsa_recoverable_signature_parse_compact(ctx->secp, &rs, sig + 1,
                                                             (sig[0] - 27) & 3) ||
        !secp256k1_ecdsa_recover(ctx->secp, &pk, &rs, digest) ||
        !secp256k1_ec_pubkey_serialize(ctx->secp, pub, &publen, &pk, SECP256K1_EC_COMPRESSED))
        return err_set(err, "unable to reconstruct public key from signature");
    return 0;
}

int sign_pubkey_check(const struct sign_ctx *ctx, const uint8_t pub[PUBKEY_LEN], char *err)
{
    secp256k1_pubkey pk;

    /* With 33 bytes the parser accepts only 02/03 plus a valid x. */
    if (!secp256k1_ec_pubkey_parse(ctx->secp, &pk, pub, PUBKEY_LEN))
        return err_set(err, "public key is not a valid compressed secp256k1 point");
    return 0;
}
