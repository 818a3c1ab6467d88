/* proto_dec.c - proto_decode (see proto.h and PROTOCOL.md).
 *
 * Decoding is two passes. msgpack-c's unpacker allocates a container's
 * element array as soon as it reads the container's header, trusting the
 * declared count: the 5 bytes dd 00 ff ff ff make it reserve 384 MiB, and
 * 8 bytes of nested headers 4 GiB. So proto_scan (proto_scan.c) first
 * walks the whole input without allocating, checking that every declared
 * length fits in the bytes that follow it (an element takes at least one
 * byte), that nesting is shallow and that the object count is bounded.
 * Only input that passes reaches msgpack_unpack_next, whose allocations
 * are then at most 24 bytes per object (strings are referenced in place,
 * not copied). */
#include "proto.h"

#include <inttypes.h>
#include <msgpack.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "hist.h"
#include "proto_impl.h"

static const char *obj_type(const msgpack_object *o)
{
    switch (o->type) {
    case MSGPACK_OBJECT_NIL: return "nil";
    case MSGPACK_OBJECT_BOOLEAN: return "boolean";
    case MSGPACK_OBJECT_POSITIVE_INTEGER: return "unsigned integer";
    case MSGPACK_OBJECT_NEGATIVE_INTEGER: return "negative integer";
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64: return "float";
    case MSGPACK_OBJECT_STR: return "string";
    case MSGPACK_OBJECT_ARRAY: return "array";
    case MSGPACK_OBJECT_MAP: return "map";
    case MSGPACK_OBJECT_BIN: return "binary";
    case MSGPACK_OBJECT_EXT: return "extension";
    }
    return "unknown";
}

/* Sets err to "PATH.KEY[IDX]: message" (no ".KEY" when key is NULL, no
 * index when idx < 0). Names are built only on failure. */
static int fail(char *err, const char *path, const char *key, long idx, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int fail(char *err, const char *path, const char *key, long idx, const char *fmt, ...)
{
    char msg[ERR_LEN], ix[24] = "";
    va_list ap;

    if (err == NULL)
        return -1;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (idx >= 0)
        snprintf(ix, sizeof ix, "[%ld]", idx);
    return err_set(err, "%s%s%s%s: %s", path, key && *path ? "." : "", key ? key : "", ix, msg);
}

/* The value of key in m; NULL when absent (and required: an error). A
 * repeated key is an error: which one is meant would be a guess. */
static int dec_find(const msgpack_object_map *m, const char *path, const char *key,
                    bool required, const msgpack_object **out, char *err)
{
    size_t kl = strlen(key);

    *out = NULL;
    for (uint32_t i = 0; i < m->size; i++) {
        const msgpack_object *k = &m->ptr[i].key;

        if (k->type != MSGPACK_OBJECT_STR || k->via.str.size != kl ||
            memcmp(k->via.str.ptr, key, kl) != 0)
            continue;
        if (*out != NULL)
            return fail(err, path, key, -1, "repeated key");
        *out = &m->ptr[i].val;
    }
    if (*out == NULL && required)
        return fail(err, path, key, -1, "missing");
    return 0;
}

static int dec_uint(const msgpack_object *o, uint64_t max, uint64_t *v,
                    const char *path, const char *key, long idx, char *err)
{
    if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
        return fail(err, path, key, idx, "expected an unsigned integer, got %s", obj_type(o));
    if (o->via.u64 > max)
        return fail(err, path, key, idx, "%" PRIu64 " out of range (at most %" PRIu64 ")",
                    o->via.u64, max);
    *v = o->via.u64;
    return 0;
}

/* Numbers for float fields may come as integers from other encoders. */
static int dec_f64(const msgpack_object *o, double *v, const char *path, const char *key,
                   long idx, char *err)
{
    if (o->type == MSGPACK_OBJECT_FLOAT32 || o->type == MSGPACK_OBJECT_FLOAT64)
        *v = o->via.f64;
    else if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
        *v = (double)o->via.u64;
    else if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
        *v = (double)o->via.i64;
    else
        return fail(err, path, key, idx, "expected a number, got %s", obj_type(o));
    return 0;
}

/* Copies a string into dst[cap] (NUL-terminated); never truncates. */
static int dec_str(const msgpack_object *o, char *dst, size_t cap, const char *path,
                   const char *key, long idx, char *err)
{
    if (o->type != MSGPACK_OBJECT_STR)
        return fail(err, path, key, idx, "expected a string, got %s", obj_type(o));
    if (o->via.str.size >= cap)
        return fail(err, path, key, idx, "%" PRIu32 " bytes, at most %zu",
                    o->via.str.size, cap - 1);
    if (memchr(o->via.str.ptr, 0, o->via.str.size) != NULL)
        return fail(err, path, key, idx, "contains a NUL byte");
    memcpy(dst, o->via.str.ptr, o->via.str.size);
    dst[o->via.str.size] = '\0';
    return 0;
}

/* Fields of a table; required false: a missing key leaves its field alone
 * (keys added by a later minor version). */
static int dec_fields_x(const msgpack_object_map *m, const char *path,
                        const struct proto_fieldset *fs, void *base, bool required, char *err)
{
    const struct proto_field *f = fs->f;

    for (size_t i = 0; i < fs->n; i++) {
        char *p = (char *)base + f[i].off;
        const msgpack_object *o;
        uint64_t u;

        if (dec_find(m, path, f[i].key, required, &o, err) < 0)
            return -1;
        if (o == NULL)
            continue;
        switch (f[i].kind) {
        case K_U32:
            if (dec_uint(o, UINT32_MAX, &u, path, f[i].key, -1, err) < 0)
                return -1;
            *(uint32_t *)p = (uint32_t)u;
            break;
        case K_U64:
            if (dec_uint(o, UINT64_MAX, (uint64_t *)p, path, f[i].key, -1, err) < 0)
                return -1;
            break;
        case K_I64:
            if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
                *(int64_t *)p = o->via.i64;
            } else {
                if (dec_uint(o, INT64_MAX, &u, path, f[i].key, -1, err) < 0)
                    return -1;
                *(int64_t *)p = (int64_t)u;
            }
            break;
        case K_F64:
            if (dec_f64(o, (double *)p, path, f[i].key, -1, err) < 0)
                return -1;
            break;
        case K_BOOL:
            if (o->type != MSGPACK_OBJECT_BOOLEAN)
                return fail(err, path, f[i].key, -1, "expected a boolean, got %s", obj_type(o));
            *(bool *)p = o->via.boolean;
            break;
        case K_STR:
            if (dec_str(o, p, f[i].cap, path, f[i].key, -1, err) < 0)
                return -1;
            break;
        }
    }
    return 0;
}

static int dec_fields(const msgpack_object_map *m, const char *path, const struct proto_fieldset *fs,
                      void *base, char *err)
{
    return dec_fields_x(m, path, fs, base, true, err);
}

/* A required map or array member. */
static int dec_sub(const msgpack_object_map *m, const char *path, const char *key,
                   msgpack_object_type type, const msgpack_object **out, char *err)
{
    if (dec_find(m, path, key, true, out, err) < 0)
        return -1;
    if ((*out)->type != type)
        return fail(err, path, key, -1, "expected %s, got %s",
                    type == MSGPACK_OBJECT_MAP ? "a map" : "an array", obj_type(*out));
    return 0;
}

/* Shows received text (a type or enum name) safely: bounded, printable ASCII only. */
static void show(char *dst, size_t cap, const char *s, size_t n)
{
    size_t i, max = cap - 4;

    for (i = 0; i < n && i < max; i++)
        dst[i] = s[i] >= 0x20 && s[i] < 0x7f && s[i] != '"' ? s[i] : '?';
    if (i < n)
        memcpy(dst + i, "...", 3), i += 3;
    dst[i] = '\0';
}

static int dec_enum(const msgpack_object_map *m, const char *path, const char *key,
                    const char *const *names, size_t n, int *v, char *err)
{
    const msgpack_object *o;
    char s[32], shown[48];

    if (dec_find(m, path, key, true, &o, err) < 0 ||
        dec_str(o, s, sizeof s, path, key, -1, err) < 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(s, names[i]) == 0) {
            *v = (int)i;
            return 0;
        }
    }
    show(shown, sizeof shown, s, strlen(s));
    return fail(err, path, key, -1, "unknown value \"%s\"", shown);
}

static int dec_hist(const msgpack_object_map *m, const char *path, const char *key,
                    struct hist *h, char *err)
{
    char p[64];
    const msgpack_object *o, *b;
    struct hist_head head;
    struct hist_pair *pairs;
    uint32_t n;
    int rc = -1;

    snprintf(p, sizeof p, "%s.%s", path, key);
    if (dec_sub(m, path, key, MSGPACK_OBJECT_MAP, &o, err) < 0 ||
        dec_fields(&o->via.map, p, &proto_fs_head, &head, err) < 0 ||
        dec_sub(&o->via.map, p, "b", MSGPACK_OBJECT_ARRAY, &b, err) < 0)
        return -1;
    n = b->via.array.size / 2;
    if (b->via.array.size % 2 != 0 || n > HIST_BUCKETS)
        return fail(err, p, "b", -1, "expected at most %u [index, count] pairs, flat",
                    (unsigned)HIST_BUCKETS);
    pairs = malloc((n ? n : 1) * sizeof(*pairs));
    if (pairs == NULL)
        return err_set(err, "out of memory");
    for (uint32_t i = 0; i < n; i++) {
        uint64_t idx, cnt;

        if (dec_uint(&b->via.array.ptr[2 * i], UINT32_MAX, &idx, p, "b", 2L * i, err) < 0 ||
            dec_uint(&b->via.array.ptr[2 * i + 1], UINT64_MAX, &cnt, p, "b", 2L * i + 1, err) < 0)
            goto done;
        pairs[i].index = (uint32_t)idx;
        pairs[i].count = cnt;
    }
    if (hist_import(h, &head, pairs, n, err) < 0) {
        err_prefix(err, "%s", p);
        goto done;
    }
    rc = 0;
done:
    free(pairs);
    return rc;
}

/* The per-node breakdown: optional (a 1.0 peer does not send it). */
static int dec_nodes(const msgpack_object_map *im, const char *p, struct stats_interval *s,
                     char *err)
{
    char pn[96];
    const msgpack_object *o;

    snprintf(pn, sizeof pn, "%s.nodes", p);
    if (dec_find(im, p, "nodes", false, &o, err) < 0)
        return -1;
    if (o == NULL)
        return 0;
    if (o->type != MSGPACK_OBJECT_ARRAY)
        return fail(err, p, "nodes", -1, "expected an array, got %s", obj_type(o));
    if (o->via.array.size > STATS_MAX_NODES)
        return fail(err, p, "nodes", -1, "%u entries, at most %u", (unsigned)o->via.array.size,
                    (unsigned)STATS_MAX_NODES);
    for (uint32_t i = 0; i < o->via.array.size; i++) {
        const msgpack_object *n = &o->via.array.ptr[i];
        char pi[112];

        snprintf(pi, sizeof pi, "%s[%u]", pn, (unsigned)i);
        if (n->type != MSGPACK_OBJECT_MAP)
            return fail(err, pn, NULL, (long)i, "expected a map, got %s", obj_type(n));
        if (dec_fields(&n->via.map, pi, &proto_fs_node, &s->node[i], err) < 0 ||
            dec_fields_x(&n->via.map, pi, &proto_fs_node12, &s->node[i], false, err) < 0 ||
            dec_fields_x(&n->via.map, pi, &proto_fs_node13, &s->node[i], false, err) < 0)
            return -1;
    }
    s->nnodes = o->via.array.size;
    return 0;
}

static int dec_interval(const msgpack_object_map *m, const char *path, const char *key,
                        struct stats_interval *s, char *err)
{
    char p[64], pc[80], pr[96], pg[80];
    const msgpack_object *o, *c, *r, *g, *v;
    const msgpack_object_map *im;

    snprintf(p, sizeof p, "%s.%s", path, key);
    snprintf(pc, sizeof pc, "%s.c", p);
    snprintf(pr, sizeof pr, "%s.rejected", pc);
    snprintf(pg, sizeof pg, "%s.g", p);
    if (dec_sub(m, path, key, MSGPACK_OBJECT_MAP, &o, err) < 0)
        return -1;
    im = &o->via.map;
    if (dec_fields(im, p, &proto_fs_interval, s, err) < 0 ||
        dec_sub(im, p, "c", MSGPACK_OBJECT_MAP, &c, err) < 0 ||
        dec_fields(&c->via.map, pc, &proto_fs_counters, &s->c, err) < 0 ||
        dec_fields_x(&c->via.map, pc, &proto_fs_counters12, &s->c, false, err) < 0 ||
        dec_sub(&c->via.map, pc, "rejected", MSGPACK_OBJECT_MAP, &r, err) < 0)
        return -1;
    for (int i = 0; i < STATS_REJ_COUNT; i++) {
        const char *name = stats_reject_name((enum stats_reject)i);

        if (dec_find(&r->via.map, pr, name, true, &v, err) < 0 ||
            dec_uint(v, UINT64_MAX, &s->c.rejected[i], pr, name, -1, err) < 0)
            return -1;
    }
    if (dec_sub(im, p, "g", MSGPACK_OBJECT_MAP, &g, err) < 0 ||
        dec_fields(&g->via.map, pg, &proto_fs_gauges, &s->g, err) < 0 ||
        dec_fields_x(&g->via.map, pg, &proto_fs_gauges12, &s->g, false, err) < 0 ||
        dec_hist(im, p, "ack", &s->ack, err) < 0 ||
        dec_hist(im, p, "inclusion", &s->inclusion, err) < 0 ||
        dec_hist(im, p, "lateness", &s->lateness, err) < 0)
        return -1;
    return dec_nodes(im, p, s, err);
}

static int dec_curve(const msgpack_object_map *m, struct ratectl_curve *c, char *err)
{
    const char *path = "configure.curve";
    const msgpack_object *o, *seg;
    char p[64];

    if (dec_sub(m, "configure", "curve", MSGPACK_OBJECT_MAP, &o, err) < 0 ||
        dec_fields(&o->via.map, path, &proto_fs_curve, c, err) < 0 ||
        dec_sub(&o->via.map, path, "seg", MSGPACK_OBJECT_ARRAY, &seg, err) < 0)
        return -1;
    if (seg->via.array.size > RATECTL_MAX_SEGS)
        return fail(err, path, "seg", -1, "%" PRIu32 " segments, at most %d",
                    seg->via.array.size, RATECTL_MAX_SEGS);
    for (uint32_t i = 0; i < seg->via.array.size; i++) {
        const msgpack_object *e = &seg->via.array.ptr[i];
        struct ratectl_seg *sg = &c->seg[i];

        if (e->type != MSGPACK_OBJECT_ARRAY || e->via.array.size != 3)
            return fail(err, path, "seg", i, "expected [from, to, dur_ns]");
        snprintf(p, sizeof p, "%s.seg[%" PRIu32 "]", path, i);
        if (dec_f64(&e->via.array.ptr[0], &sg->from, p, "from", -1, err) < 0 ||
            dec_f64(&e->via.array.ptr[1], &sg->to, p, "to", -1, err) < 0 ||
            dec_uint(&e->via.array.ptr[2], UINT64_MAX, &sg->dur_ns, p, "dur_ns", -1, err) < 0)
            return -1;
    }
    c->nseg = seg->via.array.size;
    return 0;
}

static int dec_configure(const msgpack_object_map *m, struct proto_configure *c, char *err)
{
    const char *path = "configure";
    const msgpack_object *nodes, *w, *k;
    int spread;

    if (dec_sub(m, path, "nodes", MSGPACK_OBJECT_ARRAY, &nodes, err) < 0 ||
        dec_sub(m, path, "weights", MSGPACK_OBJECT_ARRAY, &w, err) < 0)
        return -1;
    if (nodes->via.array.size > PROTO_MAX_NODES)
        return fail(err, path, "nodes", -1, "%" PRIu32 " nodes, at most %d",
                    nodes->via.array.size, PROTO_MAX_NODES);
    if (w->via.array.size != nodes->via.array.size)
        return fail(err, path, "weights", -1, "%" PRIu32 " weights for %" PRIu32 " nodes",
                    w->via.array.size, nodes->via.array.size);
    for (uint32_t i = 0; i < nodes->via.array.size; i++) {
        uint64_t u;

        if (dec_str(&nodes->via.array.ptr[i], c->nodes[i], PROTO_STR, path, "nodes", i, err) < 0 ||
            dec_uint(&w->via.array.ptr[i], UINT32_MAX, &u, path, "weights", i, err) < 0)
            return -1;
        c->weights[i] = (uint32_t)u;
    }
    c->nnodes = nodes->via.array.size;
    if (dec_enum(m, path, "spread", proto_spread_names, 3, &spread, err) < 0 ||
        dec_curve(m, &c->curve, err) < 0 ||
        dec_find(m, path, "keys", false, &k, err) < 0)
        return -1;
    c->spread = (enum proto_spread)spread;
    if (k == NULL)
        return 0;
    if (k->type != MSGPACK_OBJECT_STR)
        return fail(err, path, "keys", -1, "expected a string, got %s", obj_type(k));
    if (k->via.str.size > PROTO_MAX_KEYS_TEXT)
        return fail(err, path, "keys", -1, "%" PRIu32 " bytes, at most %u",
                    k->via.str.size, PROTO_MAX_KEYS_TEXT);
    if (memchr(k->via.str.ptr, 0, k->via.str.size) != NULL)
        return fail(err, path, "keys", -1, "contains a NUL byte");
    if (k->via.str.size == 0)
        return 0;
    c->keys_text = malloc(k->via.str.size + 1);
    if (c->keys_text == NULL)
        return err_set(err, "out of memory");
    memcpy(c->keys_text, k->via.str.ptr, k->via.str.size);
    c->keys_text[k->via.str.size] = '\0';
    c->keys_len = k->via.str.size;
    return 0;
}

static int dec_msg(struct proto_msg *m, const msgpack_object *root, char *err)
{
    const msgpack_object *v, *t;
    const msgpack_object_map *map;
    uint64_t major, minor;
    int type = 0, level;

    if (root->type != MSGPACK_OBJECT_MAP)
        return err_set(err, "message: expected a map, got %s", obj_type(root));
    map = &root->via.map;
    if (dec_find(map, "", "v", true, &v, err) < 0)
        return -1;
    if (v->type != MSGPACK_OBJECT_ARRAY || v->via.array.size != 2)
        return err_set(err, "v: expected [major, minor]");
    if (dec_uint(&v->via.array.ptr[0], UINT32_MAX, &major, "", "v", 0, err) < 0 ||
        dec_uint(&v->via.array.ptr[1], UINT32_MAX, &minor, "", "v", 1, err) < 0)
        return -1;
    if (major != PROTO_MAJOR) {
        /* ERROR's shape is frozen across major versions, so that a peer
         * refused for its version can read why (and nobody answers an
         * ERROR, so refusals cannot ping-pong). */
        if (dec_find(map, "", "t", false, &t, err) == 0 && t != NULL &&
            t->type == MSGPACK_OBJECT_STR && t->via.str.size == 5 &&
            memcmp(t->via.str.ptr, "error", 5) == 0) {
            proto_init(m, PROTO_ERROR);
            if (dec_fields(map, "error", &proto_types[PROTO_ERROR].fs, &m->u, err) == 0) {
                m->vmajor = (uint32_t)major;
                m->vminor = (uint32_t)minor;
                return 0;
            }
        }
        err_set(err, "protocol %" PRIu64 ".%" PRIu64 " from peer, this side speaks %d.%d",
                major, minor, PROTO_MAJOR, PROTO_MINOR);
        return -2;
    }
    if (dec_find(map, "", "t", true, &t, err) < 0)
        return -1;
    if (t->type != MSGPACK_OBJECT_STR)
        return err_set(err, "t: expected a string, got %s", obj_type(t));
    for (int i = PROTO_HELLO; i <= PROTO_ERROR; i++) {
        if (t->via.str.size == strlen(proto_types[i].name) &&
            memcmp(t->via.str.ptr, proto_types[i].name, t->via.str.size) == 0)
            type = i;
    }
    if (type == 0) {
        char shown[48];

        show(shown, sizeof shown, t->via.str.ptr, t->via.str.size);
        err_set(err, "unknown message type \"%s\"", shown);
        return -2;
    }
    proto_init(m, (enum proto_type)type);
    m->vmajor = (uint32_t)major;
    m->vminor = (uint32_t)minor;
    if (dec_fields(map, proto_types[type].name, &proto_types[type].fs, &m->u, err) < 0)
        return -1;
    switch (m->type) {
    case PROTO_CONFIGURE:
        return dec_configure(map, &m->u.configure, err);
    case PROTO_READY:
        if (dec_sub(map, "ready", "chain", MSGPACK_OBJECT_MAP, &v, err) < 0)
            return -1;
        return dec_fields(&v->via.map, "ready.chain", &proto_fs_chain, &m->u.ready.chain, err);
    case PROTO_STATS:
        return dec_interval(map, "stats", "s", &m->u.stats.s, err);
    case PROTO_DONE:
        return dec_interval(map, "done", "total", &m->u.done.total, err);
    case PROTO_HELLO:
        /* Optional (since 1.2): a 1.1 beacon's hello has no session. */
        if (dec_find(map, "hello", "session", false, &v, err) < 0)
            return -1;
        return v == NULL ? 0 : dec_uint(v, UINT64_MAX, &m->u.hello.session, "hello", "session",
                                        -1, err);
    case PROTO_EVENT:
        if (dec_enum(map, "event", "level", proto_level_names, 3, &level, err) < 0)
            return -1;
        m->u.event.level = (enum proto_level)level;
        return 0;
    default:
        return 0;
    }
}

int proto_decode(struct proto_msg *m, const uint8_t *buf, size_t len, char *err)
{
    msgpack_unpacked u;
    msgpack_unpack_return ur;
    size_t off = 0;
    int rc;

    /* Until the type is known m is only marked empty; proto_init (a 110 KiB
     * memset for STATS) runs once, for the decoded type. */
    m->type = 0;
    if (len == 0) {
        rc = err_set(err, "empty message");
        goto fail;
    }
    if (len > PROTO_MAX_MSG) {
        rc = err_set(err, "message of %zu bytes, at most %u", len, PROTO_MAX_MSG);
        goto fail;
    }
    if (proto_scan(buf, len, err) < 0) {
        rc = -1;
        goto fail;
    }
    msgpack_unpacked_init(&u);
    ur = msgpack_unpack_next(&u, (const char *)buf, len, &off);
    if (ur == MSGPACK_UNPACK_SUCCESS && off == len)
        rc = dec_msg(m, &u.data, err);
    else
        rc = err_set(err, ur == MSGPACK_UNPACK_NOMEM_ERROR ? "out of memory" : "malformed msgpack");
    msgpack_unpacked_destroy(&u);
    if (rc == 0)
        return 0;
fail:
    proto_free(m);
    return rc;
}
