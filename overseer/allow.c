/* allow.c - see allow.h. */
#include "allow.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

static int allow_z85(const char *k, size_t n)
{
    static const char z85[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                              ".-:+=^!/*?&<>()[]{}@%$#";
    if (n != BUS_KEY_LEN)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (k[i] == '\0' || strchr(z85, k[i]) == NULL)
            return 0;
    return 1;
}

int allow_add(struct allowlist *a, const char *key, char *err)
{
    char (*p)[BUS_KEY_LEN + 1];
    const char **q;

    if (!allow_z85(key, strlen(key)))
        return err_set(err, "not a 40-character Z85 public key");
    if (a->n == ALLOW_MAX)
        return err_set(err, "more than %d keys", ALLOW_MAX);
    p = realloc(a->keys, (a->n + 1) * sizeof *p);
    if (p == NULL)
        return err_set(err, "out of memory");
    a->keys = p;
    q = realloc(a->ptrs, (a->n + 1) * sizeof *q);
    if (q == NULL)
        return err_set(err, "out of memory");
    a->ptrs = q;
    memcpy(a->keys[a->n], key, BUS_KEY_LEN + 1);
    a->n++;
    /* keys may have moved: point again at every one. */
    for (size_t i = 0; i < a->n; i++)
        a->ptrs[i] = a->keys[i];
    return 0;
}

int allow_load(struct allowlist *a, const char *path, char *err)
{
    FILE *f = fopen(path, "r");
    char line[512], key[BUS_KEY_LEN + 1];
    unsigned lineno = 0;
    int rc = 0;

    a->keys = NULL;
    a->ptrs = NULL;
    a->n = 0;
    if (f == NULL)
        return err_set(err, "%s: %s", path, strerror(errno));
    while (rc == 0 && fgets(line, sizeof line, f) != NULL) {
        char *p = line, *end;
        lineno++;
        /* '#' is a Z85 character too: a comment starts only at the start of
         * a line or after a blank. */
        for (end = p; *end != '\0'; end++)
            if (*end == '#' && (end == p || end[-1] == ' ' || end[-1] == '\t')) {
                *end = '\0';
                break;
            }
        while (*p == ' ' || *p == '\t')
            p++;
        /* A beacon's .pub file reads "public KEY": accept it as it is, so
         * that `cat beacon-*.pub > beacons.allow` makes an allowlist. */
        if (strncmp(p, "public", 6) == 0 && (p[6] == ' ' || p[6] == '\t')) {
            p += 6;
            while (*p == ' ' || *p == '\t')
                p++;
        }
        end = p + strcspn(p, " \t\r\n");
        if (end == p)
            continue;
        if ((size_t)(end - p) != BUS_KEY_LEN) {
            rc = err_set(err, "%s:%u: expected a 40-character Z85 public key, or a beacon's .pub "
                         "line \"public KEY\"", path, lineno);
            break;
        }
        memcpy(key, p, BUS_KEY_LEN);
        key[BUS_KEY_LEN] = '\0';
        if (allow_add(a, key, err) < 0)
            rc = err_prefix(err, "%s:%u", path, lineno);
    }
    fclose(f);
    if (rc == 0 && a->n == 0)
        rc = err_set(err, "%s: no keys (add the beacons' .pub lines)", path);
    if (rc < 0)
        allow_free(a);
    return rc;
}

void allow_free(struct allowlist *a)
{
    free(a->keys);
    free(a->ptrs);
    a->keys = NULL;
    a->ptrs = NULL;
    a->n = 0;
}
