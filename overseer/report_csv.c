/* report_csv.c - reading the run's CSV files back (see report_impl.h).
 *
 * The whole file is read into memory and unescaped in place: a field never
 * grows when its quotes are removed, so each one is rewritten at its own
 * start and terminated where its delimiter was. Cells are 32-bit offsets
 * rather than pointers, which halves the index of a long beacons.csv. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "report_impl.h"

/* Larger files would not fit 32-bit offsets (and are no run's results). */
#define RCSV_MAX_BYTES (1u << 31)

static int slurp(struct rcsv *c, size_t *size, char *err)
{
    FILE *f = fopen(c->path, "rb");
    long n;
    int rc = -1;

    if (f == NULL)
        return err_set(err, "%s: cannot open: %s", c->path, strerror(errno));
    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        err_set(err, "%s: cannot read: %s", c->path, strerror(errno));
        goto done;
    }
    if ((unsigned long)n >= RCSV_MAX_BYTES) {
        err_set(err, "%s: too large (%ld bytes)", c->path, n);
        goto done;
    }
    c->text = malloc((size_t)n + 1);
    if (c->text == NULL) {
        err_set(err, "%s: out of memory", c->path);
        goto done;
    }
    if (fread(c->text, 1, (size_t)n, f) != (size_t)n) {
        err_set(err, "%s: cannot read: %s", c->path, ferror(f) ? strerror(errno) : "short read");
        goto done;
    }
    c->text[n] = '\0';
    *size = (size_t)n;
    rc = 0;
done:
    fclose(f);
    return rc;
}

/* Appends one cell offset (and, at a row's first cell, its line). */
static int push(struct rcsv *c, size_t *ncells, size_t *cap, uint32_t off)
{
    if (*ncells == *cap) {
        size_t ncap = *cap ? *cap * 2 : 1024;
        uint32_t *p = realloc(c->cell, ncap * sizeof *p);
        if (p == NULL)
            return -1;
        c->cell = p;
        *cap = ncap;
    }
    c->cell[(*ncells)++] = off;
    return 0;
}

static int push_line(struct rcsv *c, size_t row, size_t *cap, uint32_t line)
{
    if (row == *cap) {
        size_t ncap = *cap ? *cap * 2 : 256;
        uint32_t *p = realloc(c->line, ncap * sizeof *p);
        if (p == NULL)
            return -1;
        c->line = p;
        *cap = ncap;
    }
    c->line[row] = line;
    return 0;
}

int rcsv_load(struct rcsv *c, const char *path, char *err)
{
    size_t size = 0, i = 0, ncells = 0, cellcap = 0, linecap = 0, row = 0, infield = 0;
    uint32_t line = 1;

    memset(c, 0, sizeof *c);
    c->path = strdup(path);
    if (c->path == NULL)
        return err_set(err, "%s: out of memory", path);
    if (slurp(c, &size, err) < 0)
        return -1;
    if (size == 0)
        return err_set(err, "%s: empty (no header row)", path);
    /* Fields are C strings: a NUL byte would cut one silently. */
    if (memchr(c->text, '\0', size) != NULL) {
        const char *z = memchr(c->text, '\0', size);
        size_t nl = 1;
        for (const char *p = c->text; p < z; p++)
            nl += *p == '\n';
        return err_set(err, "%s: line %zu: a NUL byte (not a text file, or damaged)", path, nl);
    }
    /* One field per iteration; i is where it starts. */
    while (i < size) {
        size_t w = i;
        char *t = c->text, end;

        if (infield == 0 && push_line(c, row, &linecap, line) < 0)
            return err_set(err, "%s: out of memory", path);
        if (push(c, &ncells, &cellcap, (uint32_t)w) < 0)
            return err_set(err, "%s: out of memory", path);
        if (t[i] == '"') {
            uint32_t opened = line;
            for (i++;; i++) {
                if (i >= size)
                    return err_set(err, "%s: line %u: a quoted field is not closed (truncated?)",
                                   path, (unsigned)opened);
                if (t[i] == '"') {
                    if (i + 1 < size && t[i + 1] == '"')
                        i++;
                    else
                        break;
                }
                if (t[i] == '\n')
                    line++;
                t[w++] = t[i];
            }
            i++; /* the closing quote */
        } else {
            while (i < size && t[i] != ',' && t[i] != '\n' && t[i] != '\r') {
                if (t[i] == '"')
                    return err_set(err, "%s: line %u: a quote inside an unquoted field", path,
                                   (unsigned)line);
                t[w++] = t[i++];
            }
        }
        if (i < size && t[i] == '\r' && i + 1 < size && t[i + 1] == '\n')
            i++;
        end = i < size ? t[i] : '\0';
        if (end != ',' && end != '\n')
            return err_set(err, end == '\0' ? "%s: line %u: the last row has no line end "
                                              "(truncated?)"
                                            : "%s: line %u: unexpected text after a field",
                           path, (unsigned)line);
        t[w] = '\0'; /* w <= i: the delimiter is already read */
        i++;
        infield++;
        if (end == '\n') {
            if (row == 0)
                c->ncols = infield;
            else if (infield != c->ncols)
                return err_set(err, "%s: line %u has %zu field%s, the header has %zu "
                               "(truncated or damaged?)", path, (unsigned)c->line[row], infield,
                               infield == 1 ? "" : "s", c->ncols);
            infield = 0;
            row++;
            line++;
        }
    }
    c->nrows = row - 1;
    c->num = calloc(c->ncols, sizeof *c->num);
    if (c->num == NULL)
        return err_set(err, "%s: out of memory", path);
    return 0;
}

void rcsv_free(struct rcsv *c)
{
    if (c->num != NULL)
        for (size_t i = 0; i < c->ncols; i++)
            free(c->num[i]);
    free(c->num);
    free(c->cell);
    free(c->line);
    free(c->text);
    free(c->path);
    memset(c, 0, sizeof *c);
}

int rcsv_find(const struct rcsv *c, const char *name)
{
    for (size_t i = 0; i < c->ncols; i++)
        if (strcmp(c->text + c->cell[i], name) == 0)
            return (int)i;
    return -1;
}

const char *rcsv_name(const struct rcsv *c, size_t col)
{
    return c->text + c->cell[col];
}

const char *rcsv_cell(const struct rcsv *c, size_t row, int col)
{
    if (col < 0)
        return "";
    return c->text + c->cell[(row + 1) * c->ncols + (size_t)col];
}

const double *rcsv_column(struct rcsv *c, const char *name, char *err)
{
    int col = rcsv_find(c, name);
    double *v;

    if (col < 0) {
        err_set(err, "%s: no column \"%s\"", c->path, name);
        return NULL;
    }
    if (c->num[col] != NULL)
        return c->num[col];
    v = malloc((c->nrows ? c->nrows : 1) * sizeof *v);
    if (v == NULL) {
        err_set(err, "%s: out of memory", c->path);
        return NULL;
    }
    for (size_t r = 0; r < c->nrows; r++) {
        const char *s = rcsv_cell(c, r, col);
        char *end;

        if (*s == '\0') {
            v[r] = NAN;
            continue;
        }
        errno = 0;
        v[r] = strtod(s, &end);
        if (*end != '\0' || end == s || !isfinite(v[r])) {
            err_set(err, "%s: line %u, column %s: not a number: \"%.40s\"", c->path,
                    (unsigned)c->line[r + 1], name, s);
            free(v);
            return NULL;
        }
    }
    c->num[col] = v;
    return v;
}

int rcsv_group(const struct rcsv *c, int col, struct rcsv_groups *g, char *err)
{
    size_t rows = c->nrows ? c->nrows : 1, *grp = NULL, *fill = NULL;
    int rc = -1;

    memset(g, 0, sizeof *g);
    g->rows = c->nrows;
    if (col < 0)
        return err_set(err, "%s: no such column", c->path);
    g->first = malloc(rows * sizeof *g->first);
    g->start = malloc(rows * sizeof *g->start);
    g->len = calloc(rows, sizeof *g->len);
    g->order = malloc(rows * sizeof *g->order);
    grp = malloc(rows * sizeof *grp);
    fill = malloc(rows * sizeof *fill);
    if (g->first == NULL || g->start == NULL || g->len == NULL || g->order == NULL ||
        grp == NULL || fill == NULL) {
        err_set(err, "%s: out of memory", c->path);
        goto done;
    }
    /* Few groups (beacons, nodes) against many rows: a linear search of
     * the groups per row is enough. */
    for (size_t r = 0; r < c->nrows; r++) {
        const char *key = rcsv_cell(c, r, col);
        size_t k = 0;
        while (k < g->n && strcmp(rcsv_cell(c, g->first[k], col), key) != 0)
            k++;
        if (k == g->n)
            g->first[g->n++] = r;
        grp[r] = k;
        g->len[k]++;
    }
    for (size_t k = 0, at = 0; k < g->n; at += g->len[k++])
        g->start[k] = fill[k] = at;
    for (size_t r = 0; r < c->nrows; r++)
        g->order[fill[grp[r]]++] = r;
    rc = 0;
done:
    free(grp);
    free(fill);
    return rc;
}

void rcsv_groups_free(struct rcsv_groups *g)
{
    free(g->first);
    free(g->start);
    free(g->len);
    free(g->order);
    memset(g, 0, sizeof *g);
}

void rcsv_group_order(const struct rcsv_groups *g, const double *col, double *out)
{
    for (size_t i = 0; i < g->rows; i++)
        out[i] = col[g->order[i]];
}
