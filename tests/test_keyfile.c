/* test_keyfile.c - the key file parser: a valid file in all its allowed
 * shapes, every rejected line (message names FILE:LINE and never the key),
 * and file-level errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "err.h"
#include "hex.h"
#include "keyfile.h"
#include "sign.h"
#include "testutil.h"

/* keys.json */
#define WIF0 "5KgShfM3vgU5i9LtshWY8FbAATZ42agWuSaLC5rTh5arLDFmANY"
#define WIF1 "5KgYLBgXA4fN6hsEqp2yRSYa6VRQHk4hJQYYoW2K8eH1UBRVTuN"
#define WIF2 "5Hu9C4PaJYnJtEnRdHAuqw8JeGfQ1gRUj26XU48nfShXHeYo5WA"
#define WIFN "5KQwrPbwdL6PhXujxW37FSSQZ1JiwsST4cqQzDeyXtP79zkvFD3"
#define PUB0 "03ee3c7fee276a1470426e5cd8f29379fd6019adca356b58a1427d153bd670840b"
#define PUB1 "038a22ddae5d80edc7bf1665384fe212441573dd85d5b67075686b550a61f7d7d0"
#define PUB2 "02229801a362f52cf36ae6cec531a25a14817b7fb5705f1dd3c45d4db6d4292492"
#define PUBN "02c0ded2bc1f1305fb0faac5e6c03ee3a1924234985427b6167ca569d13df435cf"
/* WIF0 with its last character changed: bad checksum */
#define WIF0_BADSUM "5KgShfM3vgU5i9LtshWY8FbAATZ42agWuSaLC5rTh5arLDFmANZ"

static const char *const all_wifs[] = {WIF0, WIF1, WIF2, WIFN, WIF0_BADSUM};

struct fixture {
    struct sign_ctx *ctx;
    char dir[64];
};

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof *fx);
    char err[ERR_LEN];

    if (fx == NULL)
        return -1;
    fx->ctx = sign_ctx_new(err);
    snprintf(fx->dir, sizeof fx->dir, "/tmp/test_keyfile.XXXXXX");
    if (fx->ctx == NULL || mkdtemp(fx->dir) == NULL)
        return -1;
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    char path[128];

    snprintf(path, sizeof path, "%s/keys.txt", fx->dir);
    unlink(path);
    rmdir(fx->dir);
    sign_ctx_free(fx->ctx);
    free(fx);
    return 0;
}

static void assert_no_wif(const char *err)
{
    for (size_t w = 0; w < sizeof all_wifs / sizeof all_wifs[0]; w++) {
        const char *s = all_wifs[w];
        for (size_t i = 0; i + 8 <= strlen(s); i++) {
            char piece[9];
            memcpy(piece, s + i, 8);
            piece[8] = '\0';
            if (strstr(err, piece) != NULL)
                fail_msg("error \"%s\" quotes a key", err);
        }
    }
}

static void assert_pub(const struct keyfile_entry *e, const char *hex)
{
    assert_non_null(e);
    assert_string_equal(tu_hex(e->pub, PUBKEY_LEN), hex);
}

static void check_valid(const struct keyfile *kf)
{
    const struct keyfile_entry *e;
    uint8_t pub[PUBKEY_LEN];

    assert_int_equal(kf->n, 7);
    assert_string_equal(kf->entries[0].account, "alice");
    assert_int_equal(kf->entries[0].account_id, 0);
    assert_pub(&kf->entries[0], PUB0);
    assert_string_equal(kf->entries[1].account, "bob-2.x1");
    assert_pub(&kf->entries[1], PUB1);
    assert_string_equal(kf->entries[2].account, "1.2.1000");
    assert_int_equal(kf->entries[2].account_id, 1000);
    assert_pub(&kf->entries[2], PUB2);
    assert_string_equal(kf->entries[3].account, "1.2.0");
    assert_int_equal(kf->entries[3].account_id, 0);
    assert_pub(&kf->entries[3], PUBN);
    assert_string_equal(kf->entries[4].account, "alice");
    assert_pub(&kf->entries[4], PUBN);
    assert_string_equal(kf->entries[5].account, "1.2.281474976710655");
    assert_int_equal(kf->entries[5].account_id, 281474976710655u);
    assert_string_equal(kf->entries[6].account,
                        "a23456789012345678901234567890123456789012345678901234567890123");
    /* the keys sign as the public keys say */
    for (size_t i = 0; i < kf->n; i++) {
        sign_key_pubkey(kf->entries[i].key, pub);
        assert_memory_equal(pub, kf->entries[i].pub, PUBKEY_LEN);
    }

    e = keyfile_find(kf, "alice", 0);
    assert_ptr_equal(e, &kf->entries[0]);
    assert_ptr_equal(keyfile_find(kf, "bob-2.x1", 0), &kf->entries[1]);
    assert_null(keyfile_find(kf, "carol", 0));
    assert_null(keyfile_find(kf, "alic", 0));
    assert_ptr_equal(keyfile_find(kf, NULL, 1000), &kf->entries[2]);
    /* id 0 finds "1.2.0", not the names (whose account_id is also 0) */
    assert_ptr_equal(keyfile_find(kf, NULL, 0), &kf->entries[3]);
    assert_null(keyfile_find(kf, NULL, 1001));
}

static const char valid_text[] =
    "# key file for the tests\n"
    "\n"
    "alice " WIF0 "\n"
    "   \t bob-2.x1\t" WIF1 "   # trailing comment\n"
    "1.2.1000  " WIF2 "\n"
    "\t\n"
    "#" WIF0 " commented out\n"
    "1.2.0 " WIFN "\r\n"
    "alice " WIFN "\n"
    "1.2.281474976710655 " WIFN "\n"
    "a23456789012345678901234567890123456789012345678901234567890123 " WIF0; /* no final \n */

static void test_valid(void **state)
{
    struct fixture *fx = *state;
    struct keyfile kf = KEYFILE_INIT;
    char err[ERR_LEN] = "";

    assert_int_equal(keyfile_parse(&kf, fx->ctx, valid_text, strlen(valid_text), "t", err), 0);
    assert_string_equal(err, ""); /* untouched on success */
    check_valid(&kf);
    /* parsing again replaces the contents */
    assert_int_equal(keyfile_parse(&kf, fx->ctx, valid_text, strlen(valid_text), "t", err), 0);
    assert_int_equal(kf.n, 7);
    keyfile_clear(&kf);
    assert_int_equal(kf.n, 0);
    assert_null(kf.entries);
    keyfile_clear(&kf); /* clearing an empty keyfile is fine */
}

struct bad_case {
    const char *text;
    const char *want; /* the whole message */
};

static const struct bad_case bad_cases[] = {
    {"alice\n", "keys.txt:1: expected ACCOUNT WIF"},
    {"# c\n" WIF0 "\n", "keys.txt:2: expected ACCOUNT WIF"},
    {"alice " WIF0 " extra\n", "keys.txt:1: expected ACCOUNT WIF"},
    {"alice " WIF0 " " WIF1 "\n", "keys.txt:1: expected ACCOUNT WIF"},
    {"alice " WIF0 "\n\nbob " WIF0_BADSUM "\n", "keys.txt:3: bad WIF checksum"},
    {"# a\n\n\n\nbob 5KgShfM3vgU5i9LtshWY8FbAATZ42agWuSaLC5rTh5arLDFmAN\n",
     "keys.txt:5: WIF has wrong length"},
    {"bob 5KgShfM3vgU5i9LtshWY8FbAATZ42agWuSaLC5rTh5arLDFmAN0\n",
     "keys.txt:1: WIF: invalid base58 character at offset 50"},
    {"alice " WIF0 "\n1.2.x " WIF1 "\n", "keys.txt:2: malformed account id \"1.2.x\""},
    {"1.2.007 " WIF1 "\n", "keys.txt:1: malformed account id \"1.2.007\""},
    {"1.2. " WIF1 "\n", "keys.txt:1: malformed account id \"1.2.\""},
    {"1.3.5 " WIF1 "\n", "keys.txt:1: malformed account id \"1.3.5\""},
    {"1.2.281474976710656 " WIF1 "\n", "keys.txt:1: malformed account id \"1.2.281474976710656\""},
    {"1.2.99999999999999999999999 " WIF1 "\n",
     "keys.txt:1: malformed account id (27 characters)"},
    /* columns swapped: the WIF is in the account column and is not quoted */
    {WIF0 " alice\n", "keys.txt:1: malformed account id (51 characters)"},
    {"Alice " WIF0 "\n",
     "keys.txt:1: invalid account name: each label must start with a lowercase letter"},
    {"alice- " WIF0 "\n", "keys.txt:1: invalid account name: a label must not end with '-'"},
    {"al_ice " WIF0 "\n",
     "keys.txt:1: invalid account name: only a-z, 0-9, '-' and '.' are allowed"},
    {"alice..bob " WIF0 "\n", "keys.txt:1: invalid account name: empty label between dots"},
    {"alice. " WIF0 "\n", "keys.txt:1: invalid account name: empty label between dots"},
    {"alice.2x " WIF0 "\n",
     "keys.txt:1: invalid account name: each label must start with a lowercase letter"},
    {"a234567890123456789012345678901234567890123456789012345678901234 " WIF0 "\n",
     "keys.txt:1: invalid account name: longer than 63 characters"},
    {"-alice " WIF0 "\n",
     "keys.txt:1: invalid account name: each label must start with a lowercase letter"},
    {"alice " WIF0 "\nbob " WIF1 "\nalice " WIF0 "  # again\nalice " WIF0 "\n",
     "keys.txt:3: duplicate key for account alice"},
    {"bob " WIF1 "\n1.2.7 " WIF0 "\nbob " WIF0 "\n1.2.7 " WIF0 "\n",
     "keys.txt:4: duplicate key for account 1.2.7"},
    {"", "keys.txt: no keys"},
    {"# only\n  # comments\n\n\t\n", "keys.txt: no keys"},
};

static void test_bad_lines(void **state)
{
    struct fixture *fx = *state;
    char err[ERR_LEN];

    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        const struct bad_case *c = &bad_cases[i];
        struct keyfile kf = KEYFILE_INIT;

        /* start from a loaded keyfile: a failed parse must leave it empty */
        assert_int_equal(
            keyfile_parse(&kf, fx->ctx, valid_text, strlen(valid_text), "keys.txt", err), 0);
        memset(err, 0, sizeof err);
        assert_int_equal(keyfile_parse(&kf, fx->ctx, c->text, strlen(c->text), "keys.txt", err),
                         -1);
        if (strcmp(err, c->want) != 0)
            fail_msg("case %zu: got \"%s\", want \"%s\"", i, err, c->want);
        assert_no_wif(err);
        assert_int_equal(kf.n, 0);
        assert_null(kf.entries);
    }
}

static void test_not_nul_terminated(void **state)
{
    struct fixture *fx = *state;
    struct keyfile kf = KEYFILE_INIT;
    char err[ERR_LEN];
    /* the length excludes the last character of the WIF: wrong length */
    static const char text[] = "alice " WIF0;

    assert_int_equal(keyfile_parse(&kf, fx->ctx, text, strlen(text) - 1, "mem", err), -1);
    assert_string_equal(err, "mem:1: WIF has wrong length");
    assert_int_equal(keyfile_parse(&kf, fx->ctx, text, strlen(text), "mem", err), 0);
    assert_int_equal(kf.n, 1);
    keyfile_clear(&kf);
    /* a NUL byte inside a line is just a bad character */
    static const char nul[] = "ali\0ce " WIF0 "\n";
    assert_int_equal(keyfile_parse(&kf, fx->ctx, nul, sizeof nul - 1, "mem", err), -1);
    assert_string_equal(err,
                        "mem:1: invalid account name: only a-z, 0-9, '-' and '.' are allowed");
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");

    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
    assert_int_equal(fclose(f), 0);
}

static void test_load(void **state)
{
    struct fixture *fx = *state;
    struct keyfile kf = KEYFILE_INIT;
    char path[128], want[256], err[ERR_LEN];

    snprintf(path, sizeof path, "%s/keys.txt", fx->dir);
    write_file(path, valid_text);
    assert_int_equal(keyfile_load(&kf, fx->ctx, path, err), 0);
    check_valid(&kf);

    /* a bad line names the path and line; kf is emptied */
    write_file(path, "# keys\nalice " WIF0 "\nbob " WIF0_BADSUM "\n");
    assert_int_equal(keyfile_load(&kf, fx->ctx, path, err), -1);
    snprintf(want, sizeof want, "%s:3: bad WIF checksum", path);
    assert_string_equal(err, want);
    assert_no_wif(err);
    assert_int_equal(kf.n, 0);

    /* empty file */
    write_file(path, "");
    assert_int_equal(keyfile_load(&kf, fx->ctx, path, err), -1);
    snprintf(want, sizeof want, "%s: no keys", path);
    assert_string_equal(err, want);

    /* missing file */
    snprintf(path, sizeof path, "%s/missing.txt", fx->dir);
    assert_int_equal(keyfile_load(&kf, fx->ctx, path, err), -1);
    snprintf(want, sizeof want, "%s: cannot open: No such file or directory", path);
    assert_string_equal(err, want);

    /* a directory opens but cannot be read */
    assert_int_equal(keyfile_load(&kf, fx->ctx, fx->dir, err), -1);
    snprintf(want, sizeof want, "%s: read error: Is a directory", fx->dir);
    assert_string_equal(err, want);
    assert_int_equal(kf.n, 0);
}

/* keyfile_check_private: others' access is refused naming file and mode;
 * owner and group access is fine. */
static void test_check_private(void **state)
{
    struct fixture *fx = *state;
    char path[128], want[512], err[ERR_LEN];

    snprintf(path, sizeof path, "%s/perm.keys", fx->dir);
    write_file(path, valid_text);
    assert_int_equal(chmod(path, 0600), 0);
    assert_int_equal(keyfile_check_private(path, err), 0);
    assert_int_equal(chmod(path, 0440), 0);
    assert_int_equal(keyfile_check_private(path, err), 0);
    assert_int_equal(chmod(path, 0644), 0);
    assert_int_equal(keyfile_check_private(path, err), -1);
    snprintf(want, sizeof want, "%s: holds private keys but any user can read it (mode 0644); "
             "chmod 600 %s, or pass --allow-readable-keys", path, path);
    assert_string_equal(err, want);
    assert_int_equal(chmod(path, 0602), 0);
    assert_int_equal(keyfile_check_private(path, err), -1);
    assert_non_null(strstr(err, "write or open it (mode 0602)"));
    assert_int_equal(keyfile_check_private(fx->dir, err), -1);
    assert_non_null(strstr(err, "not a regular file"));
    snprintf(path, sizeof path, "%s/missing.keys", fx->dir);
    assert_int_equal(keyfile_check_private(path, err), -1);
    assert_non_null(strstr(err, "cannot stat: No such file or directory"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_bad_lines),
        cmocka_unit_test(test_not_nul_terminated),
        cmocka_unit_test(test_load),
        cmocka_unit_test(test_check_private),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
