/* testutil.c - see testutil.h. */
#include "testutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "err.h"
#include "hex.h"

char *tu_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;

    if (f == NULL) {
        fail_msg("cannot open %s", path);
    }
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    if (len != NULL)
        *len = (size_t)n;
    return buf;
}

const char *tu_vector_path(const char *name)
{
    static char path[4096];
    const char *dir = getenv("VECTORS_DIR");

    snprintf(path, sizeof path, "%s/%s", dir != NULL ? dir : "tests/vectors", name);
    return path;
}

struct jv *tu_vector_json(const char *name)
{
    char err[ERR_LEN];
    size_t len;
    char *text = tu_read_file(tu_vector_path(name), &len);
    struct jv *root = jv_parse(text, len, JV_MAX_DEPTH, err);

    free(text);
    if (root == NULL)
        fail_msg("%s: %s", name, err);
    return root;
}

const char *tu_str(const struct jv *obj, const char *key)
{
    const char *s = jv_str(jv_get(obj, key), NULL);

    if (s == NULL)
        fail_msg("vector has no string \"%s\"", key);
    return s;
}

uint8_t *tu_unhex(const char *hex, size_t *len)
{
    char err[ERR_LEN];
    size_t n = strlen(hex);
    uint8_t *out = malloc(n / 2 + 1);
    long got;

    assert_non_null(out);
    got = hex_decode(out, n / 2 + 1, hex, n, err);
    if (got < 0)
        fail_msg("bad hex in test data: %s", err);
    *len = (size_t)got;
    return out;
}

const char *tu_hex(const uint8_t *p, size_t n)
{
    static char buf[8193];

    assert_true(n <= 4096);
    hex_encode(buf, p, n);
    return buf;
}
