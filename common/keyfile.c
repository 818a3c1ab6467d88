/* keyfile.c - see keyfile.h.
 *
 * The file holds private keys, so: no message ever quotes a token that
 * could be a WIF (account tokens are quoted only when short enough that
 * they cannot be one), and the file buffer is wiped before it is freed. */
#include "keyfile.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "err.h"

/* Far beyond any real key file (a line is ~70 bytes); stops a wrong path
 * (a disk image, /dev/zero) from eating memory. */
#define KEYFILE_MAX_BYTES (1u << 20) /* as scenario files and the key text a beacon is sent */
/* An id "1.2.N" with N < 2^48 has at most 19 characters; a WIF has 51. */
#define KEYFILE_QUOTE_MAX 24
#define KEYFILE_ID_MAX ((uint64_t)1 << 48)

struct keyfile_tok {
    const char *p;
    size_t n;
};

static bool keyfile_is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

/* Graphene's is_valid_name (protocol/account.cpp): 1..63 characters in
 * labels separated by '.', each label starting with a lowercase letter,
 * ending with a letter or digit, and holding only those and '-'.
 * Returns NULL when valid, else the reason. */
static const char *keyfile_name_problem(const char *s, size_t n)
{
    size_t begin = 0;

    if (n > KEYFILE_ACCOUNT_MAX - 1)
        return "longer than 63 characters";
    for (;;) {
        size_t end = begin;
        while (end < n && s[end] != '.')
            end++;
        if (end == begin)
            return "empty label between dots";
        if (s[begin] < 'a' || s[begin] > 'z')
            return "each label must start with a lowercase letter";
        for (size_t i = begin + 1; i < end; i++) {
            char c = s[i];
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
                return "only a-z, 0-9, '-' and '.' are allowed";
        }
        if (s[end - 1] == '-')
            return "a label must not end with '-'";
        if (end == n)
            return NULL;
        begin = end + 1;
    }
}

/* "1.2.N": N decimal without leading zeros, below 2^48. */
static bool keyfile_parse_id(const char *s, size_t n, uint64_t *id)
{
    uint64_t v = 0;

    if (n < 5 || memcmp(s, "1.2.", 4) != 0)
        return false;
    if (s[4] == '0' && n > 5)
        return false;
    for (size_t i = 4; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (uint64_t)(s[i] - '0');
        if (v >= KEYFILE_ID_MAX)
            return false;
    }
    *id = v;
    return true;
}

/* Splits one line (comment already cut) into at most 3 tokens; 3 means
 * "too many". Returns the count. */
static size_t keyfile_tokens(const char *p, size_t n, struct keyfile_tok tok[3])
{
    size_t count = 0, i = 0;

    while (i < n && count < 3) {
        while (i < n && keyfile_is_space(p[i]))
            i++;
        if (i == n)
            break;
        tok[count].p = p + i;
        while (i < n && !keyfile_is_space(p[i]))
            i++;
        tok[count].n = (size_t)(p + i - tok[count].p);
        count++;
    }
    return count;
}

/* Fills e (account fields only) from the account token. */
static int keyfile_account(struct keyfile_entry *e, const struct keyfile_tok *t, char *err)
{
    const char *why;

    if (t->p[0] >= '0' && t->p[0] <= '9') {
        if (!keyfile_parse_id(t->p, t->n, &e->account_id)) {
            if (t->n <= KEYFILE_QUOTE_MAX)
                return err_set(err, "malformed account id \"%.*s\"", (int)t->n, t->p);
            return err_set(err, "malformed account id (%zu characters)", t->n);
        }
    } else {
        why = keyfile_name_problem(t->p, t->n);
        if (why != NULL)
            return err_set(err, "invalid account name: %s", why);
        e->account_id = 0;
    }
    memcpy(e->account, t->p, t->n);
    e->account[t->n] = '\0';
    return 0;
}

static int keyfile_cmp_entry(const void *a, const void *b, void *arg)
{
    const struct keyfile_entry *v = arg;
    size_t i = *(const size_t *)a, j = *(const size_t *)b;
    int c = strcmp(v[i].account, v[j].account);

    if (c == 0)
        c = memcmp(v[i].pub, v[j].pub, PUBKEY_LEN);
    if (c == 0)
        c = (i > j) - (i < j);
    return c;
}

/* Sorting instead of comparing all pairs keeps files with many thousands of
 * keys fast. Returns the index of the first entry (in file order) that
 * repeats an earlier account and key, -1 if none, -2 if out of memory. */
static long keyfile_first_dup(const struct keyfile_entry *v, size_t n)
{
    size_t *idx = malloc(n * sizeof *idx);
    long first = -1;

    if (idx == NULL)
        return -2;
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    qsort_r(idx, n, sizeof *idx, keyfile_cmp_entry, (void *)v);
    for (size_t k = 1; k < n; k++) {
        const struct keyfile_entry *a = &v[idx[k - 1]], *b = &v[idx[k]];
        if (strcmp(a->account, b->account) == 0 && memcmp(a->pub, b->pub, PUBKEY_LEN) == 0 &&
            (first < 0 || idx[k] < (size_t)first))
            first = (long)idx[k];
    }
    free(idx);
    return first;
}

static void keyfile_free_entries(struct keyfile_entry *entries, size_t n)
{
    for (size_t i = 0; i < n; i++)
        sign_key_free(entries[i].key);
    free(entries);
}

int keyfile_parse(struct keyfile *kf, const struct sign_ctx *ctx, const char *text, size_t len,
                  const char *name, char *err)
{
    struct keyfile_entry *v = NULL;
    size_t *lines = NULL; /* line number of each entry, for messages */
    size_t n = 0, cap = 0, lineno = 0, pos = 0;
    long dup;
    int rc = -1;

    keyfile_clear(kf);
    while (pos < len) {
        const char *line = text + pos, *nl = memchr(line, '\n', len - pos);
        size_t llen = nl != NULL ? (size_t)(nl - line) : len - pos;
        const char *hash = memchr(line, '#', llen);
        struct keyfile_tok tok[3];
        struct keyfile_entry e;
        size_t ntok;

        pos += llen + (nl != NULL);
        lineno++;
        if (hash != NULL)
            llen = (size_t)(hash - line);
        ntok = keyfile_tokens(line, llen, tok);
        if (ntok == 0)
            continue;
        if (ntok != 2) {
            err_set(err, "expected ACCOUNT WIF");
            goto fail;
        }
        memset(&e, 0, sizeof e);
        if (keyfile_account(&e, &tok[0], err) < 0)
            goto fail;
        e.key = sign_key_from_wif(ctx, tok[1].p, tok[1].n, err);
        if (e.key == NULL)
            goto fail;
        sign_key_pubkey(e.key, e.pub);
        if (n == cap) {
            size_t ncap = cap != 0 ? cap * 2 : 8;
            struct keyfile_entry *nv = realloc(v, ncap * sizeof *nv);
            size_t *nlines = nv != NULL ? realloc(lines, ncap * sizeof *nlines) : NULL;
            if (nv != NULL)
                v = nv;
            if (nlines == NULL) {
                sign_key_free(e.key);
                err_set(err, "out of memory");
                goto fail;
            }
            lines = nlines;
            cap = ncap;
        }
        lines[n] = lineno;
        v[n++] = e;
    }
    if (n == 0) {
        err_set(err, "%s: no keys", name);
        goto done;
    }
    dup = keyfile_first_dup(v, n);
    if (dup == -2) {
        err_set(err, "%s: out of memory", name);
        goto done;
    }
    if (dup >= 0) {
        lineno = lines[dup];
        err_set(err, "duplicate key for account %s", v[dup].account);
        goto fail;
    }
    kf->entries = v;
    kf->n = n;
    v = NULL;
    n = 0;
    rc = 0;
    goto done;
fail:
    err_prefix(err, "%s:%zu", name, lineno);
done:
    keyfile_free_entries(v, n);
    free(lines);
    return rc;
}

int keyfile_load(struct keyfile *kf, const struct sign_ctx *ctx, const char *path, char *err)
{
    FILE *f = NULL;
    char *buf = NULL, eb[128];
    size_t len = 0;
    int rc = -1;

    keyfile_clear(kf);
    f = fopen(path, "rb");
    if (f == NULL) {
        err_set(err, "%s: cannot open: %s", path, strerror_r(errno, eb, sizeof eb));
        goto done;
    }
    /* Read in one go into a buffer one byte larger than the limit, so a
     * full read means the file is too large; no realloc copies to wipe. */
    buf = malloc(KEYFILE_MAX_BYTES + 1);
    if (buf == NULL) {
        err_set(err, "%s: out of memory", path);
        goto done;
    }
    len = fread(buf, 1, KEYFILE_MAX_BYTES + 1, f);
    if (ferror(f)) {
        err_set(err, "%s: read error: %s", path, strerror_r(errno, eb, sizeof eb));
        goto done;
    }
    if (len > KEYFILE_MAX_BYTES) {
        err_set(err, "%s: file too large (over %u bytes)", path, KEYFILE_MAX_BYTES);
        goto done;
    }
    rc = keyfile_parse(kf, ctx, buf, len, path, err);
done:
    if (buf != NULL) {
        explicit_bzero(buf, len);
        free(buf);
    }
    if (f != NULL)
        fclose(f);
    return rc;
}

void keyfile_clear(struct keyfile *kf)
{
    keyfile_free_entries(kf->entries, kf->n);
    kf->entries = NULL;
    kf->n = 0;
}

const struct keyfile_entry *keyfile_find(const struct keyfile *kf, const char *name, uint64_t id)
{
    for (size_t i = 0; i < kf->n; i++) {
        const struct keyfile_entry *e = &kf->entries[i];
        if (name != NULL ? strcmp(e->account, name) == 0
                         : (e->account[0] == '1' && e->account_id == id))
            return e;
    }
    return NULL;
}

int keyfile_check_private(const char *path, char *err)
{
    struct stat st;
    char eb[128];
    unsigned mode;

    if (stat(path, &st) != 0)
        return err_set(err, "%s: cannot stat: %s", path, strerror_r(errno, eb, sizeof eb));
    if (!S_ISREG(st.st_mode))
        return err_set(err, "%s: not a regular file", path);
    mode = (unsigned)(st.st_mode & 07777);
    /* Readable by anyone is the leak; writable by anyone lets them swap keys. */
    if ((mode & 007) != 0)
        return err_set(err, "%s: holds private keys but any user can %s it (mode %04o); "
                            "chmod 600 %s, or pass --allow-readable-keys",
                       path, (mode & 004) != 0 ? "read" : "write or open", mode, path);
    return 0;
}
