/* scenario_yaml.c - YAML text into a tree that remembers positions.
 *
 * Why not libfyaml's document tree: in the library version Debian 12 ships
 * (0.7.12) a node's position is only reachable through its scalar token,
 * so a mapping or list has none, and errors like "phases[2]: missing
 * duration" could not say where. The event parser gives every event a
 * start mark, so the tree is built from events here. */
#include "scenario_impl.h"

#include <libfyaml.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

struct frame {
    struct scenario_ynode *node;
    size_t nkids, cap;
    char *anchor; /* registered when the node is complete */
};

struct anchor {
    char *name;
    struct scenario_ynode *node;
};

struct builder {
    struct scenario_ydoc *d;
    const char *file;
    char *err;
    struct frame stack[SCENARIO_MAX_DEPTH];
    size_t depth;
    struct anchor *anchors;
    size_t nanchors, capanchors;
    int line, col; /* the last known position */
    int ndocs;
};

static void no_output(struct fy_diag *diag, void *user, const char *buf, size_t len)
{
    (void)diag, (void)user, (void)buf, (void)len;
}

static int fail_here(struct builder *b, const char *msg)
{
    return err_set(b->err, "%s:%d:%d: %s", b->file, b->line, b->col, msg);
}

static int oom(struct builder *b)
{
    return err_set(b->err, "%s: out of memory", b->file);
}

static struct scenario_ynode *node_new(struct builder *b, enum scenario_ytype type,
                                       const char *text, size_t len)
{
    struct scenario_ydoc *d = b->d;
    struct scenario_ynode *n;

    if (d->nall >= SCENARIO_MAX_YNODES) {
        fail_here(b, "too many YAML nodes");
        return NULL;
    }
    if (d->nall == d->capall) {
        size_t cap = d->capall ? d->capall * 2 : 64;
        struct scenario_ynode **all = realloc(d->all, cap * sizeof(*all));
        if (all == NULL)
            goto fail;
        d->all = all;
        d->capall = cap;
    }
    /* The scalar's text lives in the same allocation, after the node. */
    n = calloc(1, sizeof(*n) + len + 1);
    if (n == NULL)
        goto fail;
    n->type = type;
    n->line = b->line;
    n->col = b->col;
    n->text = (char *)(n + 1);
    if (len > 0)
        memcpy(n + 1, text, len);
    n->len = len;
    d->all[d->nall++] = n;
    return n;
fail:
    oom(b);
    return NULL;
}

/* Appends n to the open container, or makes it the document's root. */
static int add_child(struct builder *b, struct scenario_ynode *n)
{
    struct frame *f;

    if (b->depth == 0) {
        b->d->root = n;
        return 0;
    }
    f = &b->stack[b->depth - 1];
    /* A scenario's keys are names: a list, mapping or empty key is a typo. */
    if (f->node->type == SCENARIO_Y_MAP && f->nkids % 2 == 0 && n->type != SCENARIO_Y_SCALAR)
        return err_set(b->err, "%s:%d:%d: a mapping key must be a name, not %s", b->file,
                       n->line, n->col,
                       n->type == SCENARIO_Y_NULL ? "empty" :
                       n->type == SCENARIO_Y_SEQ ? "a list" : "a mapping");
    if (f->nkids == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 8;
        struct scenario_ynode **k = realloc(f->node->kids, cap * sizeof(*k));
        if (k == NULL)
            return oom(b);
        f->node->kids = k;
        f->cap = cap;
    }
    f->node->kids[f->nkids++] = n;
    f->node->n = f->node->type == SCENARIO_Y_MAP ? f->nkids / 2 : f->nkids;
    return 0;
}

static int anchor_add(struct builder *b, char *name, struct scenario_ynode *n)
{
    if (b->nanchors == b->capanchors) {
        size_t cap = b->capanchors ? b->capanchors * 2 : 16;
        struct anchor *a = realloc(b->anchors, cap * sizeof(*a));
        if (a == NULL) {
            free(name);
            return oom(b);
        }
        b->anchors = a;
        b->capanchors = cap;
    }
    b->anchors[b->nanchors].name = name;
    b->anchors[b->nanchors++].node = n;
    return 0;
}

/* The anchor's name as a new string (NULL with *bad set when out of memory). */
static char *anchor_name(struct fy_token *t, bool *bad)
{
    size_t len = 0;
    const char *s;
    char *copy;

    *bad = false;
    if (t == NULL)
        return NULL;
    s = fy_token_get_text(t, &len);
    copy = malloc(len + 1);
    if (copy == NULL) {
        *bad = true;
        return NULL;
    }
    memcpy(copy, s ? s : "", len);
    copy[len] = '\0';
    return copy;
}

/* A plain scalar spelled as YAML's null (or nothing at all) is no value. */
static bool is_null(const char *s, size_t len, bool plain)
{
    if (!plain)
        return false;
    return len == 0 || (len == 1 && s[0] == '~') ||
           (len == 4 && (!memcmp(s, "null", 4) || !memcmp(s, "Null", 4) || !memcmp(s, "NULL", 4)));
}

static int on_scalar(struct builder *b, struct fy_event *e)
{
    struct fy_token *v = e->scalar.value;
    size_t len = 0;
    const char *s = v ? fy_token_get_text(v, &len) : "";
    bool plain = v == NULL || fy_token_scalar_style(v) == FYSS_PLAIN, bad;
    struct scenario_ynode *n;
    char *anchor;

    if (e->scalar.tag != NULL)
        return fail_here(b, "YAML tags (!!str, !x, ...) are not supported");
    if (s == NULL)
        s = "";
    if (memchr(s, '\0', len) != NULL)
        return fail_here(b, "a value contains a NUL character");
    n = node_new(b, is_null(s, len, plain) ? SCENARIO_Y_NULL : SCENARIO_Y_SCALAR, s, len);
    if (n == NULL)
        return -1;
    /* libfyaml marks a quoted scalar at its first character inside the
     * quotes; a message should point at the opening quote. */
    if (v != NULL && n->col > 1 &&
        (fy_token_scalar_style(v) == FYSS_SINGLE_QUOTED ||
         fy_token_scalar_style(v) == FYSS_DOUBLE_QUOTED))
        n->col--;
    if (n->type == SCENARIO_Y_NULL)
        n->len = 0, ((char *)(n + 1))[0] = '\0';
    anchor = anchor_name(e->scalar.anchor, &bad);
    if (bad)
        return oom(b);
    if (anchor != NULL && anchor_add(b, anchor, n) < 0)
        return -1;
    return add_child(b, n);
}

static int on_start(struct builder *b, struct fy_event *e, bool map)
{
    struct fy_token *tag = map ? e->mapping_start.tag : e->sequence_start.tag;
    struct fy_token *at = map ? e->mapping_start.anchor : e->sequence_start.anchor;
    struct scenario_ynode *n;
    struct frame *f;
    bool bad;

    if (tag != NULL)
        return fail_here(b, "YAML tags (!!map, !x, ...) are not supported");
    if (b->depth == SCENARIO_MAX_DEPTH)
        return fail_here(b, "nesting deeper than 32 levels");
    n = node_new(b, map ? SCENARIO_Y_MAP : SCENARIO_Y_SEQ, NULL, 0);
    if (n == NULL)
        return -1;
    f = &b->stack[b->depth++];
    f->node = n;
    f->nkids = f->cap = 0;
    f->anchor = anchor_name(at, &bad);
    return bad ? oom(b) : 0;
}

static int on_end(struct builder *b)
{
    struct frame *f;
    struct scenario_ynode *n;
    char *anchor;

    if (b->depth == 0)
        return fail_here(b, "unbalanced YAML events");
    f = &b->stack[--b->depth];
    n = f->node;
    anchor = f->anchor;
    f->anchor = NULL;
    if (anchor != NULL && anchor_add(b, anchor, n) < 0)
        return -1;
    return add_child(b, n);
}

static int on_alias(struct builder *b, struct fy_event *e)
{
    size_t len = 0;
    const char *s = e->alias.anchor ? fy_token_get_text(e->alias.anchor, &len) : NULL;

    /* libfyaml marks an alias after its '*'; point at the '*'. */
    if (b->col > 1)
        b->col--;
    /* The latest anchor of that name wins, as YAML says. */
    for (size_t i = b->nanchors; s != NULL && i-- > 0;)
        if (strlen(b->anchors[i].name) == len && !memcmp(b->anchors[i].name, s, len))
            return add_child(b, b->anchors[i].node);
    return err_set(b->err, "%s:%d:%d: alias *%.*s has no anchor before it", b->file, b->line,
                   b->col, (int)(len < 40 ? len : 40), s ? s : "");
}

static int on_event(struct builder *b, struct fy_event *e)
{
    const struct fy_mark *m = fy_event_start_mark(e);

    if (m != NULL && m->line >= 0) {
        b->line = m->line + 1;
        b->col = m->column + 1;
    }
    switch (e->type) {
    case FYET_DOCUMENT_START:
        if (++b->ndocs > 1)
            return fail_here(b, "a scenario file holds one YAML document");
        return 0;
    case FYET_SCALAR:
        return on_scalar(b, e);
    case FYET_SEQUENCE_START:
        return on_start(b, e, false);
    case FYET_MAPPING_START:
        return on_start(b, e, true);
    case FYET_SEQUENCE_END:
    case FYET_MAPPING_END:
        return on_end(b);
    case FYET_ALIAS:
        return on_alias(b, e);
    default:
        return 0;
    }
}

/* The parser's own message, with its position (lines and columns from the
 * diagnostics are already 1-based). */
static int parse_error(struct builder *b, struct fy_diag *diag)
{
    void *it = NULL;
    struct fy_diag_error *de;

    while ((de = fy_diag_errors_iterate(diag, &it)) != NULL)
        if (de->type == FYET_ERROR)
            return err_set(b->err, "%s:%d:%d: %s", b->file, de->line > 0 ? de->line : b->line,
                           de->column > 0 ? de->column : b->col, de->msg ? de->msg : "YAML error");
    return fail_here(b, "invalid YAML");
}

int scenario_yaml_parse(struct scenario_ydoc *d, const char *text, size_t len,
                        const char *file, char *err)
{
    struct builder b = {.d = d, .file = file, .err = err, .line = 1, .col = 1};
    struct fy_diag_cfg dcfg;
    struct fy_diag *diag = NULL;
    struct fy_parse_cfg cfg;
    struct fy_parser *fyp = NULL;
    struct fy_event *e;
    int rc = -1;

    memset(d, 0, sizeof(*d));
    fy_diag_cfg_default(&dcfg);
    dcfg.fp = NULL;
    dcfg.output_fn = no_output;
    dcfg.colorize = false;
    diag = fy_diag_create(&dcfg);
    if (diag == NULL) {
        oom(&b);
        goto out;
    }
    fy_diag_set_collect_errors(diag, true);
    memset(&cfg, 0, sizeof(cfg));
    /* YAML 1.2 (no "yes"/"no" booleans, no sexagesimal numbers); never JSON
     * mode by accident. */
    cfg.flags = FYPCF_QUIET | FYPCF_DEFAULT_VERSION_1_2 | FYPCF_JSON_NONE;
    cfg.diag = diag;
    fyp = fy_parser_create(&cfg);
    if (fyp == NULL || fy_parser_set_string(fyp, text, len) != 0) {
        oom(&b);
        goto out;
    }
    while ((e = fy_parser_parse(fyp)) != NULL) {
        int r = on_event(&b, e);
        fy_parser_event_free(fyp, e);
        if (r < 0)
            goto out;
    }
    if (fy_parser_get_stream_error(fyp)) {
        parse_error(&b, diag);
        goto out;
    }
    if (b.depth != 0) {
        fail_here(&b, "unexpected end of the file");
        goto out;
    }
    rc = 0;
out:
    for (size_t i = 0; i < b.depth; i++)
        free(b.stack[i].anchor);
    for (size_t i = 0; i < b.nanchors; i++)
        free(b.anchors[i].name);
    free(b.anchors);
    if (fyp != NULL)
        fy_parser_destroy(fyp);
    if (diag != NULL)
        fy_diag_destroy(diag);
    return rc;
}

void scenario_ydoc_free(struct scenario_ydoc *d)
{
    for (size_t i = 0; i < d->nall; i++) {
        free(d->all[i]->kids);
        free(d->all[i]);
    }
    free(d->all);
    memset(d, 0, sizeof(*d));
}
