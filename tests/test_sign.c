/* test_sign.c - compact signatures: both nonce schemes byte for byte against
 * the transaction vectors, recovery, fc's canonical rule, the python
 * vectors, and many pseudo-random keys. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pthread.h>

#include <cmocka.h>

#include "err.h"
#include "hash.h"
#include "hex.h"
#include "pubkey.h"
#include "sign.h"
#include "testutil.h"

static const char *const tx_vectors[] = {
    "transfer.json",          "limit_order_create.json",         "mixed3.json",
    "transfer_retry_fc.json", "transfer_retry_bitsharesjs.json",
};

/* the group order n, big-endian */
static const uint8_t curve_n[32] = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xfe, 0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48,
    0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41,
};

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

static void unhex_exact(uint8_t *out, size_t n, const char *hex)
{
    char err[ERR_LEN];

    if (hex_decode_exact(out, n, hex, strlen(hex), err) < 0)
        fail_msg("bad hex in test data: %s", err);
}

static void assert_err_is(const char *err, const char *want)
{
    if (strcmp(err, want) != 0)
        fail_msg("error \"%s\", expected \"%s\"", err, want);
}

static unsigned attempts_of(const struct jv *v, const char *key)
{
    int64_t n;
    char err[ERR_LEN];

    if (jv_int64(jv_get(v, key), 1, 1000, &n, err) < 0)
        fail_msg("%s: %s", key, err);
    return (unsigned)n;
}

/* The signed form ends with the signature count (01) and the signature. */
static void assert_signed_hex_ends_with(const char *signed_hex, const char *sig_hex)
{
    size_t n = strlen(signed_hex);

    assert_true(n > 132);
    assert_memory_equal(signed_hex + n - 132, "01", 2);
    assert_string_equal(signed_hex + n - 130, sig_hex);
}

static void check_tx_vector(const struct sign_ctx *ctx, const char *name)
{
    struct jv *root = tu_vector_json(name);
    const struct jv *signer = jv_get(root, "signer");
    const char *wif = tu_str(signer, "wif");
    uint8_t chain[32], digest[32], want_digest[32], want_pub[PUBKEY_LEN], pub[PUBKEY_LEN];
    uint8_t sig[SIGN_SIG_LEN], sig2[SIGN_SIG_LEN];
    uint8_t *unsigned_tx;
    size_t ulen;
    unsigned attempts = 0;
    char err[ERR_LEN];
    struct sign_key *key;

    print_message("# %s\n", name);
    unhex_exact(chain, 32, tu_str(root, "chain_id"));
    unhex_exact(want_digest, 32, tu_str(root, "digest"));
    unhex_exact(want_pub, PUBKEY_LEN, tu_str(signer, "pubkey_hex"));
    unsigned_tx = tu_unhex(tu_str(root, "unsigned_hex"), &ulen);
    hash_sha256_2(digest, chain, 32, unsigned_tx, ulen);
    assert_memory_equal(digest, want_digest, 32);

    key = sign_key_from_wif(ctx, wif, strlen(wif), err);
    assert_non_null(key);
    sign_key_pubkey(key, pub);
    assert_memory_equal(pub, want_pub, PUBKEY_LEN);

    /* fc style: byte for byte, same number of nonces */
    assert_int_equal(sign_compact_fc(ctx, key, digest, sig, &attempts, err), 0);
    assert_string_equal(tu_hex(sig, SIGN_SIG_LEN), tu_str(root, "signature_fc_style"));
    assert_int_equal(attempts, attempts_of(root, "signature_fc_style_attempts"));
    assert_true(sign_is_canonical(sig));
    assert_true(sig[0] >= 31 && sig[0] <= 34);
    memset(pub, 0, sizeof pub);
    assert_int_equal(sign_recover(ctx, sig, digest, true, pub, err), 0);
    assert_memory_equal(pub, want_pub, PUBKEY_LEN);
    assert_signed_hex_ends_with(tu_str(root, "signed_hex_fc_style"),
                                tu_str(root, "signature_fc_style"));
    /* deterministic; attempts may be NULL */
    assert_int_equal(sign_compact_fc(ctx, key, digest, sig2, NULL, err), 0);
    assert_memory_equal(sig, sig2, SIGN_SIG_LEN);

    /* bitsharesjs style */
    attempts = 0;
    assert_int_equal(sign_compact_bjs(ctx, key, digest, sig, &attempts, err), 0);
    assert_string_equal(tu_hex(sig, SIGN_SIG_LEN), tu_str(root, "signature_bitsharesjs"));
    assert_int_equal(attempts, attempts_of(root, "signature_bitsharesjs_attempts"));
    memset(pub, 0, sizeof pub);
    assert_int_equal(sign_recover(ctx, sig, digest, true, pub, err), 0);
    assert_memory_equal(pub, want_pub, PUBKEY_LEN);
    assert_signed_hex_ends_with(tu_str(root, "signed_hex"), tu_str(root, "signature_bitsharesjs"));

    sign_key_free(key);
    free(unsigned_tx);
    jv_free(root);
}

static void test_tx_vectors(void **state)
{
    for (size_t i = 0; i < sizeof tx_vectors / sizeof tx_vectors[0]; i++)
        check_tx_vector(*state, tx_vectors[i]);
}

/* The retry vectors exist to exercise the loops: make sure they still do. */
static void test_retry_vectors_retry(void **state)
{
    (void)state;
    struct jv *fc = tu_vector_json("transfer_retry_fc.json");
    struct jv *bjs = tu_vector_json("transfer_retry_bitsharesjs.json");
    struct jv *mixed = tu_vector_json("mixed3.json");

    assert_true(attempts_of(fc, "signature_fc_style_attempts") > 1);
    assert_true(attempts_of(bjs, "signature_bitsharesjs_attempts") > 1);
    assert_true(attempts_of(mixed, "signature_fc_style_attempts") > 2);
    jv_free(fc);
    jv_free(bjs);
    jv_free(mixed);
}

static void load_sig(uint8_t sig[SIGN_SIG_LEN], const char *vector, const char *field)
{
    struct jv *root = tu_vector_json(vector);

    unhex_exact(sig, SIGN_SIG_LEN, tu_str(root, field));
    jv_free(root);
}

static void test_canonical_rule(void **state)
{
    (void)state;
    uint8_t sig[SIGN_SIG_LEN], c[SIGN_SIG_LEN];

    load_sig(sig, "transfer.json", "signature_fc_style");
    assert_true(sign_is_canonical(sig));
    /* r: top bit set */
    memcpy(c, sig, sizeof c);
    c[1] |= 0x80;
    assert_false(sign_is_canonical(c));
    /* r: short (leading zero byte followed by a byte without its top bit) */
    memcpy(c, sig, sizeof c);
    c[1] = 0x00;
    c[2] = 0x7f;
    assert_false(sign_is_canonical(c));
    /* r: a zero byte in front of a top-bit byte is full length (DER 32) */
    c[2] = 0x80;
    assert_true(sign_is_canonical(c));
    /* the same for s */
    memcpy(c, sig, sizeof c);
    c[33] |= 0x80;
    assert_false(sign_is_canonical(c));
    memcpy(c, sig, sizeof c);
    c[33] = 0x00;
    c[34] = 0x00;
    assert_false(sign_is_canonical(c));
    c[34] = 0x80;
    assert_true(sign_is_canonical(c));
    /* the header plays no part */
    memcpy(c, sig, sizeof c);
    c[0] = 0;
    assert_true(sign_is_canonical(c));
}

/* out = n - s: the high-S twin of a signature, which recovers the same key
 * with the other recovery id. */
static void negate_s(uint8_t sig[SIGN_SIG_LEN])
{
    int borrow = 0;
    int recid = (sig[0] - 27) & 3;

    for (int i = 31; i >= 0; i--) {
        int d = curve_n[i] - sig[33 + i] - borrow;
        borrow = d < 0;
        sig[33 + i] = (uint8_t)(d + (borrow ? 256 : 0));
    }
    sig[0] = (uint8_t)(31 + (recid ^ 1));
}

static void test_recover_rules(void **state)
{
    const struct sign_ctx *ctx = *state;
    struct jv *root = tu_vector_json("transfer.json");
    uint8_t sig[SIGN_SIG_LEN], c[SIGN_SIG_LEN], digest[32], want[PUBKEY_LEN], pub[PUBKEY_LEN];
    char err[ERR_LEN];
    int recid;

    unhex_exact(sig, SIGN_SIG_LEN, tu_str(root, "signature_fc_style"));
    unhex_exact(digest, 32, tu_str(root, "digest"));
    unhex_exact(want, PUBKEY_LEN, tu_str(jv_get(root, "signer"), "pubkey_hex"));
    jv_free(root);
    recid = sig[0] - 31;
    assert_true(recid >= 0 && recid <= 3);

    /* headers outside 27..34 */
    memcpy(c, sig, sizeof c);
    c[0] = 26;
    assert_int_equal(sign_recover(ctx, c, digest, false, pub, err), -1);
    assert_err_is(err, "unable to reconstruct public key from signature");
    c[0] = 35;
    assert_int_equal(sign_recover(ctx, c, digest, true, pub, err), -1);
    assert_err_is(err, "unable to reconstruct public key from signature");
    c[0] = 0;
    assert_int_equal(sign_recover(ctx, c, digest, true, pub, err), -1);
    c[0] = 255;
    assert_int_equal(sign_recover(ctx, c, digest, true, pub, err), -1);
    /* 27 + recid (the "uncompressed" header) still recovers the compressed key */
    c[0] = (uint8_t)(27 + recid);
    memset(pub, 0, sizeof pub);
    assert_int_equal(sign_recover(ctx, c, digest, true, pub, err), 0);
    assert_memory_equal(pub, want, PUBKEY_LEN);
    /* another recovery id gives another key (or none), never the signer */
    c[0] = (uint8_t)(31 + (recid ^ 1));
    if (sign_recover(ctx, c, digest, true, pub, err) == 0)
        assert_memory_not_equal(pub, want, PUBKEY_LEN);
    /* another digest gives another key */
    digest[0] ^= 1;
    assert_int_equal(sign_recover(ctx, sig, digest, true, pub, err), 0);
    assert_memory_not_equal(pub, want, PUBKEY_LEN);
    digest[0] ^= 1;

    /* a valid but non-canonical signature: the high-S twin */
    memcpy(c, sig, sizeof c);
    negate_s(c);
    assert_false(sign_is_canonical(c));
    memset(pub, 0, sizeof pub);
    assert_int_equal(sign_recover(ctx, c, digest, false, pub, err), 0);
    assert_memory_equal(pub, want, PUBKEY_LEN);
    assert_int_equal(sign_recover(ctx, c, digest, true, pub, err), -1);
    assert_err_is(err, "signature is not canonical");

    /* crafted non-canonical r: refused before any curve math when checked */
    memcpy(c, sig, sizeof c);
    c[1] |= 0x80;
    assert_int_equal(sign_recover(ctx, c, digest, true, pub, err), -1);
    assert_err_is(err, "signature is not canonical");
    if (sign_recover(ctx, c, digest, false, pub, err) == 0)
        assert_memory_not_equal(pub, want, PUBKEY_LEN);
    memcpy(c, sig, sizeof c);
    c[1] = 0;
    c[2] = 1;
    assert_int_equal(sign_recover(ctx, c, digest, true, pub, err), -1);
    assert_err_is(err, "signature is not canonical");

    /* r or s out of range, or zero: the library refuses */
    memcpy(c, sig, sizeof c);
    memset(c + 1, 0xff, 32);
    assert_int_equal(sign_recover(ctx, c, digest, false, pub, err), -1);
    assert_err_is(err, "unable to reconstruct public key from signature");
    memcpy(c, sig, sizeof c);
    memset(c + 33, 0, 32);
    assert_int_equal(sign_recover(ctx, c, digest, false, pub, err), -1);
    assert_err_is(err, "unable to reconstruct public key from signature");
}

/* python-bitshares vectors: signed by nathan with a random nonce under the
 * vector's chain id; only recovery can check them. */
static void test_python_vectors(void **state)
{
    const struct sign_ctx *ctx = *state;
    struct jv *root = tu_vector_json("python_bitshares.json");
    const struct jv *chains = jv_get(root, "chain_ids"), *vectors = jv_get(root, "vectors");
    uint8_t nathan[PUBKEY_LEN] = {0};
    char err[ERR_LEN];

    /* nathan's key from keys.json: 02c0ded2...35cf */
    struct jv *keys = tu_vector_json("keys.json");
    for (size_t i = 0; i < jv_len(keys); i++)
        if (strcmp(tu_str(jv_at(keys, i), "name"), "nathan") == 0)
            unhex_exact(nathan, PUBKEY_LEN, tu_str(jv_at(keys, i), "pubkey_hex"));
    jv_free(keys);
    assert_string_equal(tu_hex(nathan, 8), "02c0ded2bc1f1305");
    assert_int_equal(jv_len(vectors), 2);
    for (size_t i = 0; i < jv_len(vectors); i++) {
        const struct jv *v = jv_at(vectors, i);
        const char *chain_name = tu_str(v, "chain");
        const char *other_name = strcmp(chain_name, "BTS") == 0 ? "GPH" : "BTS";
        uint8_t chain[32], other[32], digest[32], pub[PUBKEY_LEN];
        size_t n;
        uint8_t *tx = tu_unhex(tu_str(v, "signed_hex"), &n);
        const uint8_t *sig;

        unhex_exact(chain, 32, tu_str(chains, chain_name));
        unhex_exact(other, 32, tu_str(chains, other_name));
        assert_true(n > 66);
        assert_int_equal(tx[n - 66], 1); /* one signature */
        sig = tx + n - 65;
        assert_true(sign_is_canonical(sig));
        hash_sha256_2(digest, chain, 32, tx, n - 66);
        memset(pub, 0, sizeof pub);
        assert_int_equal(sign_recover(ctx, sig, digest, true, pub, err), 0);
        assert_memory_equal(pub, nathan, PUBKEY_LEN);
        /* under the other chain id it is somebody else's signature */
        hash_sha256_2(digest, other, 32, tx, n - 66);
        if (sign_recover(ctx, sig, digest, true, pub, err) == 0)
            assert_memory_not_equal(pub, nathan, PUBKEY_LEN);
        free(tx);
    }
    jv_free(root);
}

/* Pseudo-random keys and digests (sha256 of a label and index: the same on
 * every run, so a failure can be reproduced). */
static void test_random_keys(void **state)
{
    const struct sign_ctx *ctx = *state;
    unsigned total_fc = 0, max_fc = 0;
    char err[ERR_LEN];

    for (unsigned i = 0; i < 200; i++) {
        char label[64];
        uint8_t secret[32], digest[32], sig[SIGN_SIG_LEN], pub[PUBKEY_LEN], got[PUBKEY_LEN];
        unsigned attempts = 0;
        struct sign_key *key;

        snprintf(label, sizeof label, "test_sign random key %u", i / 4);
        hash_sha256(secret, label, strlen(label));
        snprintf(label, sizeof label, "test_sign random digest %u", i);
        hash_sha256(digest, label, strlen(label));
        key = sign_key_from_secret(ctx, secret, err);
        assert_non_null(key);
        sign_key_pubkey(key, pub);
        assert_int_equal(sign_pubkey_check(ctx, pub, err), 0);

        assert_int_equal(sign_compact_fc(ctx, key, digest, sig, &attempts, err), 0);
        assert_true(attempts >= 1);
        assert_true(sign_is_canonical(sig));
        assert_true(sig[0] >= 31 && sig[0] <= 34);
        assert_int_equal(sign_recover(ctx, sig, digest, true, got, err), 0);
        assert_memory_equal(got, pub, PUBKEY_LEN);
        total_fc += attempts;
        if (attempts > max_fc)
            max_fc = attempts;

        assert_int_equal(sign_compact_bjs(ctx, key, digest, sig, &attempts, err), 0);
        assert_true(sign_is_canonical(sig));
        assert_int_equal(sign_recover(ctx, sig, digest, true, got, err), 0);
        assert_memory_equal(got, pub, PUBKEY_LEN);
        sign_key_free(key);
    }
    print_message("# fc style: %.2f attempts per signature on average, at most %u\n",
                  total_fc / 200.0, max_fc);
    /* About half of the candidates are canonical: the mean is ~2. Taking
     * 200 samples, a mean above 3 has odds far below 1e-9. */
    assert_true(total_fc > 200 && total_fc < 600);
}

struct thread_job {
    const struct sign_ctx *ctx;
    const struct sign_key *key;
    const uint8_t *want_pub;
    unsigned index;
    int bad; /* signatures that failed any check */
};

static void *sign_thread(void *arg)
{
    struct thread_job *job = arg;

    for (unsigned i = 0; i < 100; i++) {
        uint8_t digest[32], sig[SIGN_SIG_LEN], sig2[SIGN_SIG_LEN], pub[PUBKEY_LEN];
        unsigned seq = job->index * 1000 + i;

        hash_sha256_2(digest, &seq, sizeof seq, "thread", 6);
        if (sign_compact_fc(job->ctx, job->key, digest, sig, NULL, NULL) < 0 ||
            sign_compact_fc(job->ctx, job->key, digest, sig2, NULL, NULL) < 0 ||
            memcmp(sig, sig2, sizeof sig) != 0 ||
            sign_recover(job->ctx, sig, digest, true, pub, NULL) < 0 ||
            memcmp(pub, job->want_pub, PUBKEY_LEN) != 0)
            job->bad++;
    }
    return NULL;
}

/* One ctx and one key shared by several threads, as the beacon's signer
 * threads use them (each thread also gets its own hash context). */
static void test_threads_share_ctx_and_key(void **state)
{
    const struct sign_ctx *ctx = *state;
    uint8_t secret[32], pub[PUBKEY_LEN];
    struct thread_job jobs[4];
    pthread_t th[4];
    char err[ERR_LEN];
    struct sign_key *key;

    hash_sha256(secret, "threads", 7);
    key = sign_key_from_secret(ctx, secret, err);
    assert_non_null(key);
    sign_key_pubkey(key, pub);
    for (unsigned t = 0; t < 4; t++) {
        jobs[t] = (struct thread_job){ctx, key, pub, t, 0};
        assert_int_equal(pthread_create(&th[t], NULL, sign_thread, &jobs[t]), 0);
    }
    for (unsigned t = 0; t < 4; t++) {
        assert_int_equal(pthread_join(th[t], NULL), 0);
        assert_int_equal(jobs[t].bad, 0);
    }
    sign_key_free(key);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tx_vectors),
        cmocka_unit_test(test_retry_vectors_retry),
        cmocka_unit_test(test_canonical_rule),
        cmocka_unit_test(test_recover_rules),
        cmocka_unit_test(test_python_vectors),
        cmocka_unit_test(test_random_keys),
        cmocka_unit_test(test_threads_share_ctx_and_key),
    };
    return cmocka_run_group_tests(tests, setup_ctx, teardown_ctx);
}
