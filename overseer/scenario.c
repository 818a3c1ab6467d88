/* scenario.c - see scenario.h: the top level of a scenario file, loading,
 * and names (scaling and curves: scenario_sched.c). */
#include "scenario_impl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

#define MS UINT64_C(1000000)
#define SEC UINT64_C(1000000000)

static const char *const top_keys[] = {
    "name", "description", "nodes", "tls_insecure", "accounts", "beacons", "on_beacon_lost",
    "seed", "local", "defaults", "phases",
};

/* A path from the file, relative to the scenario's directory (as the user
 * reads it), made usable from the current directory. */
static char *resolve(const char *scenario_path, const char *rel)
{
    const char *slash = strrchr(scenario_path, '/');
    size_t dir = slash && rel[0] != '/' ? (size_t)(slash - scenario_path) + 1 : 0;
    size_t len = strlen(rel);
    char *out = malloc(dir + len + 1);

    if (out == NULL)
        return NULL;
    memcpy(out, scenario_path, dir);
    memcpy(out + dir, rel, len + 1);
    return out;
}

static int parse_path(const struct scenario_ctx *cx, const struct scenario_ynode *n,
                      const char *field, const char *scenario_path, char **out)
{
    char buf[4096];

    if (scenario_string(cx, n, field, buf, sizeof(buf)) < 0)
        return -1;
    if (buf[0] == '\0')
        return scenario_fail(cx, n, field, "an empty path");
    *out = resolve(scenario_path, buf);
    return *out ? 0 : err_set(cx->err, "%s: out of memory", cx->file);
}

static int parse_nodes(const struct scenario_ctx *cx, const struct scenario_ynode *n,
                       struct scenario *s)
{
    char f[32], buf[64];

    if (n->type != SCENARIO_Y_SEQ || n->n == 0 || n->n > SCENARIO_MAX_NODES)
        return scenario_fail(cx, n, "nodes", "expected a list of 1..%d ws:// or wss:// URLs, "
                             "got %s", SCENARIO_MAX_NODES,
                             n->type == SCENARIO_Y_SEQ ? "an empty or longer list" :
                                                       scenario_describe(n, buf));
    for (size_t i = 0; i < n->n; i++) {
        const struct scenario_ynode *u = n->kids[i];
        char *url = s->nodes[i];
        size_t skip;

        scenario_path(f, sizeof(f), "nodes[%zu]", i);
        if (scenario_string(cx, u, f, url, SCENARIO_URL_LEN) < 0)
            return -1;
        skip = strncmp(url, "ws://", 5) == 0 ? 5 : strncmp(url, "wss://", 6) == 0 ? 6 : 0;
        if (skip == 0 || url[skip] == '\0' || url[skip] == '/' || strchr(url, ' ') != NULL)
            return scenario_fail(cx, u, f, "expected a ws://HOST:PORT or wss://HOST:PORT URL, "
                                 "got %s", scenario_describe(u, buf));
        for (size_t j = 0; j < i; j++)
            if (strcmp(s->nodes[j], url) == 0)
                return scenario_fail(cx, u, f, "the same node as nodes[%zu] (to load a node "
                                     "more, use a phase's nodes: {weights: [...]})", j);
    }
    s->nnodes = (uint32_t)n->n;
    return 0;
}

static int parse_local(const struct scenario_ctx *cx, const struct scenario_ynode *n,
                       struct scenario *s)
{
    static const char *const keys[] = {"devnodes", "capacity", "capacity_ops",
                                       "block_interval", "max_pending", "max_tx_size",
                                       "max_block_size", "genesis", "network",
                                       "relay_latency", "relay_bandwidth"};
    struct scenario_local *l = &s->local;
    const struct scenario_ynode *v;
    char buf[64];
    uint64_t u;

    l->present = true;
    l->devnodes = 1;
    l->block_interval_ns = SEC;
    if (n->type == SCENARIO_Y_NULL)
        return 0;
    if (n->type != SCENARIO_Y_MAP)
        return scenario_fail(cx, n, "local", "expected a mapping (devnodes, capacity, "
                             "block_interval, ...), got %s", scenario_describe(n, buf));
    if (scenario_check_keys(cx, n, "local", keys, sizeof(keys) / sizeof(keys[0])) < 0)
        return -1;
    if ((v = scenario_get(n, "devnodes")) != NULL &&
        scenario_u32(cx, v, "local.devnodes", 1, SCENARIO_MAX_DEVNODES, &l->devnodes) < 0)
        return -1;
    if ((v = scenario_get(n, "capacity")) != NULL &&
        scenario_number(cx, v, "local.capacity", 0, RATECTL_MAX_RATE, &l->capacity) < 0)
        return -1;
    if ((v = scenario_get(n, "capacity_ops")) != NULL &&
        scenario_number(cx, v, "local.capacity_ops", 0, RATECTL_MAX_RATE, &l->capacity_ops) < 0)
        return -1;
    if ((v = scenario_get(n, "block_interval")) != NULL &&
        scenario_duration(cx, v, "local.block_interval", 10 * MS, 60 * SEC,
                          &l->block_interval_ns) < 0)
        return -1;
    if ((v = scenario_get(n, "max_pending")) != NULL &&
        scenario_uint(cx, v, "local.max_pending", 1, 100000000, &l->max_pending) < 0)
        return -1;
    if ((v = scenario_get(n, "max_tx_size")) != NULL) {
        if (scenario_uint(cx, v, "local.max_tx_size", 1024, UINT32_MAX, &u) < 0)
            return -1;
        l->max_tx_size = (uint32_t)u;
    }
    if ((v = scenario_get(n, "max_block_size")) != NULL) {
        if (scenario_uint(cx, v, "local.max_block_size", 5120, UINT32_MAX, &u) < 0)
            return -1;
        l->max_block_size = (uint32_t)u;
    }
    if ((v = scenario_get(n, "genesis")) != NULL &&
        parse_path(cx, v, "local.genesis", s->path, &l->genesis) < 0)
        return -1;
    if ((v = scenario_get(n, "network")) != NULL) {
        bool net;
        if (scenario_bool(cx, v, "local.network", &net) < 0)
            return -1;
        l->independent = !net;
    }
    if ((v = scenario_get(n, "relay_latency")) != NULL) {
        if (scenario_duration(cx, v, "local.relay_latency", 0, 10 * SEC, &l->relay_latency_ns) < 0)
            return -1;
        l->has_relay_latency = true;
    }
    if ((v = scenario_get(n, "relay_bandwidth")) != NULL &&
        scenario_number(cx, v, "local.relay_bandwidth", 0.001, 1e6, &l->relay_bandwidth) < 0)
        return -1;
    return 0;
}

static int parse_phases(const struct scenario_ctx *cx, const struct scenario_ynode *n,
                        const struct scenario_ynode *defaults, struct scenario *s)
{
    char buf[64], f[48];

    if (n->type != SCENARIO_Y_SEQ || n->n == 0 || n->n > SCENARIO_MAX_PHASES)
        return scenario_fail(cx, n, "phases", "expected a list of 1..%d phases, got %s",
                             SCENARIO_MAX_PHASES,
                             n->type == SCENARIO_Y_SEQ ? (n->n ? "a longer list" : "an empty list") :
                                                       scenario_describe(n, buf));
    s->phases = calloc(n->n, sizeof(*s->phases));
    if (s->phases == NULL)
        return err_set(cx->err, "%s: out of memory", cx->file);
    for (size_t i = 0; i < n->n; i++) {
        if (scenario_phase_parse(cx, n->kids[i], defaults, i, s, &s->phases[i]) < 0)
            return -1;
        s->nphases = i + 1;
        for (size_t j = 0; j < i; j++)
            if (strcmp(s->phases[j].name, s->phases[i].name) == 0) {
                const struct scenario_ynode *at = scenario_get(n->kids[i], "name");
                scenario_path(f, sizeof(f), "phases[%zu].name", i);
                return scenario_fail(cx, at ? at : n->kids[i], f,
                                     "\"%s\" is also the name of phases[%zu]",
                                     s->phases[i].name, j);
            }
    }
    return 0;
}

static int parse_top(const struct scenario_ctx *cx, const struct scenario_ynode *root,
                     struct scenario *s)
{
    static const char *const lost[] = {"continue", "abort"};
    const struct scenario_ynode *v, *defaults;
    char buf[64], desc[4096];
    int k;

    if (root == NULL)
        return err_set(cx->err, cx->nonblank ? "%s: no YAML content in a file that is not "
                       "blank (is it a YAML file?)" : "%s: empty scenario", cx->file);
    if (root->type != SCENARIO_Y_MAP)
        return scenario_fail(cx, root, "(top level)", "expected a mapping (name, nodes, phases, "
                             "...), got %s", scenario_describe(root, buf));
    if (scenario_check_keys(cx, root, "(top level)", top_keys,
                            sizeof(top_keys) / sizeof(top_keys[0])) < 0)
        return -1;
    if ((v = scenario_get(root, "name")) == NULL)
        return scenario_fail(cx, root, "(top level)", "missing name");
    if (scenario_string(cx, v, "name", s->name, sizeof(s->name)) < 0)
        return -1;
    if (s->name[0] == '\0')
        return scenario_fail(cx, v, "name", "cannot be empty");
    desc[0] = '\0';
    if ((v = scenario_get(root, "description")) != NULL && v->type != SCENARIO_Y_NULL) {
        if (v->type != SCENARIO_Y_SCALAR || v->len >= sizeof(desc))
            return scenario_fail(cx, v, "description", "expected text of at most %zu characters",
                                 sizeof(desc) - 1);
        memcpy(desc, v->text, v->len + 1);
    }
    if ((s->description = strdup(desc)) == NULL)
        return err_set(cx->err, "%s: out of memory", cx->file);
    if ((v = scenario_get(root, "nodes")) != NULL && parse_nodes(cx, v, s) < 0)
        return -1;
    if ((v = scenario_get(root, "tls_insecure")) != NULL &&
        scenario_bool(cx, v, "tls_insecure", &s->tls_insecure) < 0)
        return -1;
    if ((v = scenario_get(root, "local")) != NULL && parse_local(cx, v, s) < 0)
        return -1;
    if (s->nnodes == 0 && !s->local.present)
        return scenario_fail(cx, root, "(top level)", "give nodes (ws:// URLs of the network), "
                             "or a local section for --local runs, or both");
    if ((v = scenario_get(root, "accounts")) != NULL && v->type != SCENARIO_Y_NULL &&
        parse_path(cx, v, "accounts", s->path, &s->accounts) < 0)
        return -1;
    s->beacons = 1;
    if ((v = scenario_get(root, "beacons")) != NULL &&
        scenario_u32(cx, v, "beacons", 1, SCENARIO_MAX_BEACONS, &s->beacons) < 0)
        return -1;
    if ((v = scenario_get(root, "on_beacon_lost")) != NULL) {
        if (scenario_choice(cx, v, "on_beacon_lost", lost, 2, &k) < 0)
            return -1;
        s->on_beacon_lost = (enum scenario_on_lost)k;
    }
    s->seed = 1;
    if ((v = scenario_get(root, "seed")) != NULL &&
        scenario_uint(cx, v, "seed", 0, UINT64_MAX, &s->seed) < 0)
        return -1;
    if ((defaults = scenario_get(root, "defaults")) != NULL &&
        scenario_defaults_check(cx, defaults) < 0)
        return -1;
    if ((v = scenario_get(root, "phases")) == NULL)
        return scenario_fail(cx, root, "(top level)", "missing phases");
    return parse_phases(cx, v, defaults, s);
}

/* Length of the UTF-8 sequence at p (at most n bytes), 0 when invalid
 * (overlong forms, surrogates and code points past U+10FFFF included). */
static size_t utf8_len(const unsigned char *p, size_t n)
{
    size_t k;
    uint32_t c;

    if (p[0] < 0x80)
        return 1;
    if (p[0] >= 0xc2 && p[0] <= 0xdf)
        k = 2, c = p[0] & 0x1f;
    else if (p[0] >= 0xe0 && p[0] <= 0xef)
        k = 3, c = p[0] & 0x0f;
    else if (p[0] >= 0xf0 && p[0] <= 0xf4)
        k = 4, c = p[0] & 0x07;
    else
        return 0;
    if (n < k)
        return 0;
    for (size_t i = 1; i < k; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        c = c << 6 | (p[i] & 0x3f);
    }
    if ((k == 3 && (c < 0x800 || (c >= 0xd800 && c <= 0xdfff))) || (k == 4 && (c < 0x10000 ||
                                                                              c > 0x10ffff)))
        return 0;
    return k;
}

/* Checks made before the YAML parser sees the text, so that its errors are
 * precise and its cost bounded: text that is not UTF-8 (the parser stops at
 * it and a file of junk would read as an empty scenario), and flow
 * collections ([ and {) nested deeper than the tree allows (the parser
 * scans a whole flow collection ahead: 100 000 levels cost 62 MiB before
 * the depth check saw the first one). The flow scan skips quoted text and
 * comments; nesting in plain text it miscounts is still caught later. */
static int scenario_precheck(const char *text, size_t len, const char *path, char *err)
{
    const unsigned char *t = (const unsigned char *)text;
    int line = 1, col = 1, depth = 0;
    bool token_start = true;

    for (size_t i = 0, k; i < len; i += k) {
        k = utf8_len(t + i, len - i);
        if (k == 0)
            return err_set(err, "%s:%d:%d: not UTF-8 text (byte 0x%02x); a scenario is a "
                           "UTF-8 YAML file", path, line, col, t[i]);
        if (t[i] == '\n')
            line++, col = 1;
        else
            col++;
    }
    line = col = 1;
    for (size_t i = 0; i < len;) {
        unsigned char ch = t[i];

        if (ch == '#' && token_start) {
            while (i < len && t[i] != '\n')
                i++;
            continue;
        }
        if ((ch == '"' || ch == '\'') && token_start) {
            /* Quoted: to the closing quote ('' and \x are escapes). */
            for (i++, col++; i < len; i++, col++) {
                if (t[i] == '\n')
                    line++, col = 0;
                else if (ch == '"' && t[i] == '\\' && i + 1 < len && t[i + 1] != '\n')
                    i++, col++;
                else if (t[i] == ch && !(ch == '\'' && i + 1 < len && t[i + 1] == '\''))
                    break;
                else if (t[i] == ch)
                    i++, col++;
            }
            i++, col++;
            token_start = false;
            continue;
        }
        if (ch == '[' || ch == '{') {
            if (++depth > SCENARIO_MAX_DEPTH)
                return err_set(err, "%s:%d:%d: nesting deeper than %d levels", path, line, col,
                               SCENARIO_MAX_DEPTH);
        } else if ((ch == ']' || ch == '}') && depth > 0) {
            depth--;
        }
        token_start = ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '[' ||
                      ch == '{' || ch == ',' || ch == ':' || ch == '-';
        if (ch == '\n')
            line++, col = 1;
        else if ((ch & 0xc0) != 0x80)
            col++;
        i++;
    }
    return 0;
}

int scenario_parse(const char *text, size_t len, const char *path, struct scenario *s,
                   char *err)
{
    struct scenario_ydoc doc = {0};
    struct scenario_ctx cx = {.file = path, .err = err};
    int rc = -1;

    memset(s, 0, sizeof(*s));
    s->scale = 1;
    if (len > SCENARIO_MAX_BYTES)
        return err_set(err, "%s: larger than %u bytes", path, SCENARIO_MAX_BYTES);
    if (memchr(text, '\0', len) != NULL)
        return err_set(err, "%s: contains a NUL byte (not a text file?)", path);
    if (scenario_precheck(text, len, path, err) < 0)
        return -1;
    s->path = strdup(path);
    s->text = malloc(len + 1);
    if (s->path == NULL || s->text == NULL) {
        err_set(err, "%s: out of memory", path);
        goto out;
    }
    memcpy(s->text, text, len);
    s->text[len] = '\0';
    s->text_len = len;
    if (scenario_yaml_parse(&doc, s->text, len, path, err) < 0)
        goto out;
    for (size_t i = 0; i < len && !cx.nonblank; i++) {
        if (text[i] == '#')
            while (i + 1 < len && text[i + 1] != '\n')
                i++;
        else
            cx.nonblank = text[i] != ' ' && text[i] != '\t' && text[i] != '\n' && text[i] != '\r';
    }
    rc = parse_top(&cx, doc.root, s);
out:
    scenario_ydoc_free(&doc);
    if (rc < 0)
        scenario_free(s);
    return rc;
}

int scenario_load(const char *path, struct scenario *s, char *err)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t n = 0;
    int rc = -1;

    memset(s, 0, sizeof(*s));
    if (f == NULL)
        return err_set(err, "%s: cannot open: %s", path, strerror(errno));
    buf = malloc(SCENARIO_MAX_BYTES + 1);
    if (buf == NULL) {
        err_set(err, "%s: out of memory", path);
        goto out;
    }
    n = fread(buf, 1, SCENARIO_MAX_BYTES + 1, f);
    if (ferror(f)) {
        err_set(err, "%s: cannot read: %s", path, strerror(errno));
        goto out;
    }
    if (n > SCENARIO_MAX_BYTES) {
        err_set(err, "%s: larger than %u bytes", path, SCENARIO_MAX_BYTES);
        goto out;
    }
    rc = scenario_parse(buf, n, path, s, err);
out:
    free(buf);
    fclose(f);
    return rc;
}

void scenario_free(struct scenario *s)
{
    free(s->path);
    free(s->text);
    free(s->description);
    free(s->accounts);
    free(s->local.genesis);
    free(s->phases);
    memset(s, 0, sizeof(*s));
}

/* ---- names ---- */

#define NAME_OF(table, v) \
    ((size_t)(v) < sizeof(table) / sizeof(table[0]) ? table[(size_t)(v)] : "unknown")

const char *scenario_phase_kind_name(enum scenario_phase_kind k)
{
    static const char *const t[] = {"load", "find_limit", "p2p_limit"};
    return NAME_OF(t, k);
}

const char *scenario_rate_kind_name(enum scenario_rate_kind k)
{
    static const char *const t[] = {"constant", "unlimited", "ramp", "steps"};
    return NAME_OF(t, k);
}

const char *scenario_spread_name(enum scenario_spread sp)
{
    static const char *const t[] = {"all", "one", "weights"};
    return NAME_OF(t, sp);
}

const char *scenario_follow_name(enum scenario_follow f)
{
    static const char *const t[] = {"auto", "first", "all"};
    return NAME_OF(t, f);
}

const char *scenario_on_lost_name(enum scenario_on_lost l)
{
    static const char *const t[] = {"continue", "abort"};
    return NAME_OF(t, l);
}

const char *scenario_search_name(enum scenario_search s)
{
    static const char *const t[] = {"binary", "linear"};
    return NAME_OF(t, s);
}
