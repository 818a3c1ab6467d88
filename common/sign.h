/* sign.h - secp256k1 keys and BitShares compact signatures (libsecp256k1 with
 * the recovery module; this is the only module that includes it).
 *
 * Secrets live only here: a struct sign_key holds a private key, is created
 * from a WIF or raw secret, and is wiped when freed. Callers see public keys
 * (33 bytes) and signatures (65 bytes) only.
 *
 * A compact signature is header(1) || r(32) || s(32), header = 31 + recid.
 * Thread safety: one sign_ctx is created once and shared read-only by all
 * threads; a sign_key may be used by several threads at once (signing does
 * not modify it). Pointer arguments must not be NULL unless stated. */
#ifndef BSS_SIGN_H
#define BSS_SIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pubkey.h"

#define SIGN_SIG_LEN 65
#define SIGN_WIF_MAX 64 /* buffer size for a WIF string incl. NUL */

struct sign_ctx;
struct sign_key;

/* Creates the library context (randomised against side channels with 32
 * bytes from getrandom(), skipped if that fails). Returns NULL with err on
 * failure. */
struct sign_ctx *sign_ctx_new(char *err);
/* Frees ctx; NULL is a no-op. */
void sign_ctx_free(struct sign_ctx *ctx);

/* Decodes a WIF ("5..." base58 of 0x80 || secret32 || checksum4; checksum =
 * first 4 bytes of sha256(sha256(0x80 || secret))), checks the length (51
 * characters), the checksum, the version byte and that the secret is a
 * valid key. Errors: "WIF has wrong length", "WIF: invalid base58 character
 * at offset N", "bad WIF checksum", "WIF has wrong version byte (expected
 * 0x80)", "WIF: secret is zero or not below the curve order". The message
 * never contains the WIF or any part of it. Returns a new key (free with
 * sign_key_free), or NULL with err. */
struct sign_key *sign_key_from_wif(const struct sign_ctx *ctx, const char *wif, size_t len,
                                   char *err);
/* Makes a key from a raw 32-byte secret. Returns NULL with err if the secret
 * is zero or not below the curve order. The caller should wipe its copy. */
struct sign_key *sign_key_from_secret(const struct sign_ctx *ctx, const uint8_t secret[32],
                                      char *err);
/* Wipes and frees key; NULL is a no-op. */
void sign_key_free(struct sign_key *key);

/* The key's compressed public key. */
void sign_key_pubkey(const struct sign_key *key, uint8_t pub[PUBKEY_LEN]);
/* Writes the key's WIF (NUL-terminated) into out[SIGN_WIF_MAX]. For tools
 * that generate key files; never log it. */
void sign_key_wif(const struct sign_key *key, char out[SIGN_WIF_MAX]);

/* Signs a 32-byte digest the way the node's own wallet (fc) does: RFC6979
 * with counter 1, 2, ... until the signature is canonical. Deterministic;
 * allocates nothing. About 2 nonces on average (each is canonical with
 * probability ~1/2); gives up after 256 (odds 2^-256).
 * attempts: NULL, or receives the number of nonces tried.
 * Returns 0, or -1 with err (only if the library refuses, practically never). */
int sign_compact_fc(const struct sign_ctx *ctx, const struct sign_key *key,
                    const uint8_t digest[32], uint8_t sig[SIGN_SIG_LEN], unsigned *attempts,
                    char *err);

/* Signs as bitsharesjs does: attempt n uses RFC6979 over digest for n = 0,
 * else over sha256(digest || n zero bytes), until canonical. Used to check
 * the reference vectors. Same returns as sign_compact_fc. */
int sign_compact_bjs(const struct sign_ctx *ctx, const struct sign_key *key,
                     const uint8_t digest[32], uint8_t sig[SIGN_SIG_LEN], unsigned *attempts,
                     char *err);

/* The node's canonical rule (fc elliptic_common.cpp is_canonical): r and s
 * each have the top bit clear and are not "short". */
bool sign_is_canonical(const uint8_t sig[SIGN_SIG_LEN]);

/* Recovers the compressed public key that made sig over digest, as the node
 * does: header must be 27..34 (recid = (header - 27) & 3) and, when
 * check_canonical, the signature must be canonical.
 * Returns 0, or -1 with err ("signature is not canonical", "unable to
 * reconstruct public key from signature"). */
int sign_recover(const struct sign_ctx *ctx, const uint8_t sig[SIGN_SIG_LEN],
                 const uint8_t digest[32], bool check_canonical, uint8_t pub[PUBKEY_LEN],
                 char *err);

/* Checks that pub is a valid compressed point. Returns 0, or -1 with err. */
int sign_pubkey_check(const struct sign_ctx *ctx, const uint8_t pub[PUBKEY_LEN], char *err);

#endif
