/* txjson.c - see txjson.h. Rendering runs once per pre-signed transaction,
 * so it appends literals and hand-formatted numbers to the sbuf: no
 * snprintf, no allocation. Parsing is off the hot path and favours precise
 * messages over speed. */
#include "txjson.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "hex.h"
#include "pubkey.h"
#include "timefmt.h"

/* ---- rendering -------------------------------------------------------- */

#define ADD(s, lit) sbuf_add((s), (lit), sizeof(lit) - 1)

/* fc's stringify_large_ints_and_doubles: int64 outside int32 and uint64
 * above 2^32-1 become strings so that JavaScript clients keep every digit. */
static void add_i64(struct sbuf *s, int64_t v)
{
    bool quote = v < INT32_MIN || v > INT32_MAX;

    if (quote)
        sbuf_addc(s, '"');
    sbuf_add_i64(s, v);
    if (quote)
        sbuf_addc(s, '"');
}

static void add_u64(struct sbuf *s, uint64_t v)
{
    bool quote = v > UINT32_MAX;

    if (quote)
        sbuf_addc(s, '"');
    sbuf_add_u64(s, v);
    if (quote)
        sbuf_addc(s, '"');
}

/* prefix is the opening quote and "S.T." of the id. */
static void add_id(struct sbuf *s, const char *prefix, size_t plen, uint64_t instance)
{
    sbuf_add(s, prefix, plen);
    sbuf_add_u64(s, instance);
    sbuf_addc(s, '"');
}

#define ACCOUNT_ID(s, v) add_id((s), "\"1.2.", 5, (v))

static void add_asset(struct sbuf *s, const struct tx_asset *a)
{
    ADD(s, "{\"amount\":");
    add_i64(s, a->amount);
    ADD(s, ",\"asset_id\":");
    add_id(s, "\"1.3.", 5, a->asset_id);
    sbuf_addc(s, '}');
}

static void add_time(struct sbuf *s, uint32_t t)
{
    char buf[TIMEFMT_LEN];

    timefmt_format(buf, t);
    sbuf_addc(s, '"');
    sbuf_add(s, buf, TIMEFMT_LEN - 1);
    sbuf_addc(s, '"');
}

static void add_pubkey(struct sbuf *s, const char *prefix, const uint8_t key[PUBKEY_LEN])
{
    char buf[PUBKEY_STR_MAX];
    int n = pubkey_to_string(buf, sizeof buf, prefix, key, NULL);

    /* Only an invalid prefix fails; the text would be wrong, so say so the
     * one way render can. */
    if (n < 0) {
        s->overflow = true;
        return;
    }
    sbuf_addc(s, '"');
    sbuf_add(s, buf, (size_t)n);
    sbuf_addc(s, '"');
}

static void add_transfer(struct sbuf *s, const struct tx *tx, const struct tx_transfer *t,
                         const char *memo_prefix)
{
    ADD(s, "{\"fee\":");
    add_asset(s, &t->fee);
    ADD(s, ",\"from\":");
    ACCOUNT_ID(s, t->from);
    ADD(s, ",\"to\":");
    ACCOUNT_ID(s, t->to);
    ADD(s, ",\"amount\":");
    add_asset(s, &t->amount);
    if (t->has_memo) {
        ADD(s, ",\"memo\":{\"from\":");
        add_pubkey(s, memo_prefix, t->memo.from);
        ADD(s, ",\"to\":");
        add_pubkey(s, memo_prefix, t->memo.to);
        ADD(s, ",\"nonce\":");
        add_u64(s, t->memo.nonce);
        ADD(s, ",\"message\":\"");
        sbuf_add_hex(s, tx_memo_message(tx, &t->memo), t->memo.msg_len);
        ADD(s, "\"}");
    }
    ADD(s, ",\"extensions\":[]}");
}

static void add_limit_order(struct sbuf *s, const struct tx_limit_order *l)
{
    ADD(s, "{\"fee\":");
    add_asset(s, &l->fee);
    ADD(s, ",\"seller\":");
    ACCOUNT_ID(s, l->seller);
    ADD(s, ",\"amount_to_sell\":");
    add_asset(s, &l->amount_to_sell);
    ADD(s, ",\"min_to_receive\":");
    add_asset(s, &l->min_to_receive);
    ADD(s, ",\"expiration\":");
    add_time(s, l->expiration);
    if (l->fill_or_kill)
        ADD(s, ",\"fill_or_kill\":true");
    else
        ADD(s, ",\"fill_or_kill\":false");
    ADD(s, ",\"extensions\":{}}");
}

void txjson_render(struct sbuf *out, const struct tx *tx, bool with_sigs, const char *memo_prefix)
{
    ADD(out, "{\"ref_block_num\":");
    sbuf_add_u64(out, tx->ref_block_num);
    ADD(out, ",\"ref_block_prefix\":");
    sbuf_add_u64(out, tx->ref_block_prefix);
    ADD(out, ",\"expiration\":");
    add_time(out, tx->expiration);
    ADD(out, ",\"operations\":[");
    for (size_t i = 0; i < tx->nops; i++) {
        const struct tx_op *op = &tx->ops[i];

        if (i > 0)
            sbuf_addc(out, ',');
        if (op->type == TX_OP_TRANSFER) {
            ADD(out, "[0,");
            add_transfer(out, tx, &op->u.transfer, memo_prefix);
        } else {
            ADD(out, "[1,");
            add_limit_order(out, &op->u.limit_order);
        }
        sbuf_addc(out, ']');
    }
    ADD(out, "],\"extensions\":[]");
    if (with_sigs) {
        ADD(out, ",\"signatures\":[");
        for (size_t i = 0; i < tx->nsigs; i++) {
            if (i > 0)
                sbuf_addc(out, ',');
            sbuf_addc(out, '"');
            sbuf_add_hex(out, tx->sigs[i], TX_SIG_LEN);
            sbuf_addc(out, '"');
        }
        sbuf_addc(out, ']');
    }
    sbuf_addc(out, '}');
}

/* ---- parsing ---------------------------------------------------------- */

/* The JSON path of the value being read, for messages. Paths of our
 * transactions are short; a longer one is cut, which only shortens text. */
struct path {
    char buf[128];
    size_t len;
};

static size_t path_add(struct path *p, int n)
{
    size_t old = p->len;

    if (n > 0)
        p->len += (size_t)n < sizeof p->buf - p->len ? (size_t)n : sizeof p->buf - p->len - 1;
    return old;
}

/* Both return the previous length, for path_pop. */
static size_t path_key(struct path *p, const char *key)
{
    size_t old = p->len;

    path_add(p, snprintf(p->buf + p->len, sizeof p->buf - p->len, ".%s", key));
    return old;
}

static size_t path_index(struct path *p, size_t i)
{
    size_t old = p->len;

    path_add(p, snprintf(p->buf + p->len, sizeof p->buf - p->len, "[%zu]", i));
    return old;
}

static void path_pop(struct path *p, size_t old)
{
    p->len = old;
    p->buf[old] = '\0';
}

/* "operations[0][1].amount" reads better than ".operations[0]..." */
static const char *path_str(const struct path *p)
{
    return p->buf[0] == '.' ? p->buf + 1 : p->len > 0 ? p->buf : "transaction";
}

static int fail(const struct path *p, char *err)
{
    return err_prefix(err, "%s", path_str(p));
}

/* Looks up a required member and pushes its name on the path. */
static const struct jv *member(const struct jv *obj, const char *key, struct path *p,
                               size_t *old, char *err)
{
    const struct jv *v = jv_get(obj, key);

    *old = path_key(p, key);
    if (v == NULL) {
        err_set(err, "%s: missing", path_str(p));
        return NULL;
    }
    return v;
}

static int expect_type(const struct jv *v, enum jv_type t, const char *what,
                       const struct path *p, char *err)
{
    if (jv_type(v) != t)
        return err_set(err, "%s: expected %s, got %s", path_str(p), what, jv_type_name(v));
    return 0;
}

static int get_uint(const struct jv *obj, const char *key, uint64_t max, uint64_t *out,
                    struct path *p, char *err)
{
    size_t old;
    const struct jv *v = member(obj, key, p, &old, err);

    if (v == NULL || jv_uint64(v, max, out, err) < 0)
        return v == NULL ? -1 : fail(p, err);
    path_pop(p, old);
    return 0;
}

static int get_time(const struct jv *obj, const char *key, uint32_t *out, struct path *p,
                    char *err)
{
    size_t old, len;
    const struct jv *v = member(obj, key, p, &old, err);
    const char *s;

    if (v == NULL || expect_type(v, JV_STRING, "a time string", p, err) < 0)
        return -1;
    s = jv_str(v, &len);
    if (timefmt_parse(out, s, len, err) < 0)
        return fail(p, err);
    path_pop(p, old);
    return 0;
}

int txjson_parse_id(const char *s, size_t len, unsigned space, unsigned type, uint64_t *instance,
                    char *err)
{
    uint64_t part[3] = {0, 0, 0};
    size_t k = 0, digits = 0;
    bool big = false;

    /* Three dot-separated decimal numbers without signs, spaces or leading
     * zeros: the node prints ids that way and anything else is a typo. */
    for (size_t i = 0; i <= len; i++) {
        if (i == len || s[i] == '.') {
            /* a third dot would start a fourth part */
            if (digits == 0 || (i < len && k == 2))
                goto malformed;
            k++;
            digits = 0;
            continue;
        }
        if (s[i] < '0' || s[i] > '9' || (digits == 1 && part[k] == 0))
            goto malformed;
        if (part[k] > (UINT64_MAX - 9) / 10)
            big = true;
        else
            part[k] = part[k] * 10 + (uint64_t)(s[i] - '0');
        digits++;
    }
    if (k != 3)
        goto malformed;
    if (part[0] != space || part[1] != type)
        return err_set(err, "expected an id %u.%u.N, got \"%.*s\"", space, type,
                       (int)(len > 40 ? 40 : len), s);
    if (big || part[2] > TX_INSTANCE_MAX)
        return err_set(err, "id instance in \"%.*s\" exceeds 2^48-1", (int)(len > 40 ? 40 : len),
                       s);
    *instance = part[2];
    return 0;
malformed:
    return err_set(err, "malformed id \"%.*s\"%s", (int)(len > 40 ? 40 : len), s,
                   len > 40 ? "..." : "");
}

static int get_id(const struct jv *obj, const char *key, unsigned space, unsigned type,
                  uint64_t *out, struct path *p, char *err)
{
    size_t old, len;
    const struct jv *v = member(obj, key, p, &old, err);
    const char *s;

    if (v == NULL || expect_type(v, JV_STRING, "an id string", p, err) < 0)
        return -1;
    s = jv_str(v, &len);
    if (txjson_parse_id(s, len, space, type, out, err) < 0)
        return fail(p, err);
    path_pop(p, old);
    return 0;
}

static int get_asset(const struct jv *obj, const char *key, struct tx_asset *a, struct path *p,
                     char *err)
{
    size_t old, old2;
    const struct jv *v = member(obj, key, p, &old, err);
    const struct jv *amount;

    if (v == NULL || expect_type(v, JV_OBJECT, "an object", p, err) < 0)
        return -1;
    amount = member(v, "amount", p, &old2, err);
    if (amount == NULL)
        return -1;
    if (jv_int64(amount, INT64_MIN, INT64_MAX, &a->amount, err) < 0)
        return fail(p, err);
    path_pop(p, old2);
    if (get_id(v, "asset_id", 1, 3, &a->asset_id, p, err) < 0)
        return -1;
    path_pop(p, old);
    return 0;
}

/* extensions_type (a flat_set): an array, empty for every type we know. */
static int get_empty_set(const struct jv *obj, const char *key, struct path *p, char *err)
{
    size_t old = path_key(p, key);
    const struct jv *v = jv_get(obj, key);

    /* fc leaves a missing member at its default, the empty set. */
    if (v == NULL) {
        path_pop(p, old);
        return 0;
    }
    if (expect_type(v, JV_ARRAY, "an array", p, err) < 0)
        return -1;
    if (jv_len(v) != 0)
        return err_set(err, "%s: non-empty extensions are not supported", path_str(p));
    path_pop(p, old);
    return 0;
}

/* limit_order_create's extension<options_type>: the node takes an object,
 * an array or null; none of its members (on_fill) is supported. */
static int get_empty_ext(const struct jv *obj, const char *key, struct path *p, char *err)
{
    size_t old = path_key(p, key);
    const struct jv *v = jv_get(obj, key);
    enum jv_type t = jv_type(v);

    if (v != NULL && t != JV_NULL && t != JV_ARRAY && t != JV_OBJECT)
        return err_set(err, "%s: expected an object, array or null, got %s", path_str(p),
                       jv_type_name(v));
    if (jv_len(v) != 0)
        return err_set(err, "%s: non-empty extensions are not supported", path_str(p));
    path_pop(p, old);
    return 0;
}

static int get_pubkey(const struct jv *obj, const char *key, uint8_t out[PUBKEY_LEN],
                      struct path *p, char *err)
{
    size_t old, len;
    const struct jv *v = member(obj, key, p, &old, err);
    const char *s;

    if (v == NULL || expect_type(v, JV_STRING, "a public key string", p, err) < 0)
        return -1;
    s = jv_str(v, &len);
    if (pubkey_from_string(out, NULL, s, len, NULL, err) < 0)
        return fail(p, err);
    path_pop(p, old);
    return 0;
}

static int get_memo(const struct jv *m, struct tx *tx, struct tx_memo *memo, struct path *p,
                    char *err)
{
    size_t old, len;
    const struct jv *v;
    const char *hex;
    uint8_t *bytes = NULL;
    long n;
    int rc = -1;

    if (expect_type(m, JV_OBJECT, "an object or null", p, err) < 0 ||
        get_pubkey(m, "from", memo->from, p, err) < 0 ||
        get_pubkey(m, "to", memo->to, p, err) < 0 ||
        get_uint(m, "nonce", UINT64_MAX, &memo->nonce, p, err) < 0)
        return -1;
    v = member(m, "message", p, &old, err);
    if (v == NULL || expect_type(v, JV_STRING, "a hex string", p, err) < 0)
        return -1;
    hex = jv_str(v, &len);
    bytes = malloc(len / 2 + 1);
    if (bytes == NULL) {
        err_set(err, "%s: out of memory", path_str(p));
        goto done;
    }
    n = hex_decode(bytes, len / 2 + 1, hex, len, err);
    if (n < 0) {
        fail(p, err);
        goto done;
    }
    if (tx_memo_set_message(tx, memo, bytes, (size_t)n, err) < 0) {
        fail(p, err);
        goto done;
    }
    path_pop(p, old);
    rc = 0;
done:
    free(bytes);
    return rc;
}

static int get_transfer(const struct jv *o, struct tx *tx, struct tx_transfer *t, struct path *p,
                        char *err)
{
    const struct jv *memo;

    if (get_asset(o, "fee", &t->fee, p, err) < 0 || get_id(o, "from", 1, 2, &t->from, p, err) < 0 ||
        get_id(o, "to", 1, 2, &t->to, p, err) < 0 ||
        get_asset(o, "amount", &t->amount, p, err) < 0)
        return -1;
    memo = jv_get(o, "memo");
    if (memo != NULL && jv_type(memo) != JV_NULL) {
        size_t old = path_key(p, "memo");

        t->has_memo = true;
        if (get_memo(memo, tx, &t->memo, p, err) < 0)
            return -1;
        path_pop(p, old);
    }
    return get_empty_set(o, "extensions", p, err);
}

static int get_limit_order(const struct jv *o, struct tx_limit_order *l, struct path *p,
                           char *err)
{
    size_t old;
    const struct jv *fok;

    if (get_asset(o, "fee", &l->fee, p, err) < 0 ||
        get_id(o, "seller", 1, 2, &l->seller, p, err) < 0 ||
        get_asset(o, "amount_to_sell", &l->amount_to_sell, p, err) < 0 ||
        get_asset(o, "min_to_receive", &l->min_to_receive, p, err) < 0 ||
        get_time(o, "expiration", &l->expiration, p, err) < 0)
        return -1;
    fok = member(o, "fill_or_kill", p, &old, err);
    if (fok == NULL)
        return -1;
    if (jv_bool(fok, &l->fill_or_kill, err) < 0)
        return fail(p, err);
    path_pop(p, old);
    return get_empty_ext(o, "extensions", p, err);
}

/* fc's static_variant takes the tag as a number or as the type's name. */
static int get_op_tag(const struct jv *v, uint64_t *tag, const struct path *p, char *err)
{
    const char *name = jv_str(v, NULL);

    if (name != NULL && strcmp(name, "transfer_operation") == 0)
        *tag = TX_OP_TRANSFER;
    else if (name != NULL && strcmp(name, "limit_order_create_operation") == 0)
        *tag = TX_OP_LIMIT_ORDER_CREATE;
    else if (name != NULL)
        return err_set(err, "%s: unsupported operation \"%.40s\"", path_str(p), name);
    else if (jv_uint64(v, UINT64_MAX, tag, err) < 0)
        return fail(p, err);
    if (*tag != TX_OP_TRANSFER && *tag != TX_OP_LIMIT_ORDER_CREATE)
        return err_set(err, "%s: unsupported operation tag %" PRIu64, path_str(p), *tag);
    return 0;
}

static int get_op(const struct jv *v, struct tx *tx, struct path *p, char *err)
{
    uint64_t tag;
    size_t old;
    struct tx_op *op;
    const struct jv *body;

    if (expect_type(v, JV_ARRAY, "an array [tag, operation]", p, err) < 0)
        return -1;
    if (jv_len(v) != 2)
        return err_set(err, "%s: expected [tag, operation], got %zu elements", path_str(p),
                       jv_len(v));
    old = path_index(p, 0);
    if (get_op_tag(jv_at(v, 0), &tag, p, err) < 0)
        return -1;
    path_pop(p, old);
    path_index(p, 1);
    body = jv_at(v, 1);
    if (expect_type(body, JV_OBJECT, "an object", p, err) < 0)
        return -1;
    op = tx_add_op(tx, err);
    if (op == NULL)
        return fail(p, err);
    op->type = (enum tx_op_type)tag;
    if (tag == TX_OP_TRANSFER) {
        if (get_transfer(body, tx, &op->u.transfer, p, err) < 0)
            return -1;
    } else if (get_limit_order(body, &op->u.limit_order, p, err) < 0) {
        return -1;
    }
    path_pop(p, old);
    return 0;
}

static int get_sigs(const struct jv *sigs, struct tx *tx, struct path *p, char *err)
{
    if (expect_type(sigs, JV_ARRAY, "an array", p, err) < 0)
        return -1;
    for (size_t i = 0; i < jv_len(sigs); i++) {
        const struct jv *s = jv_at(sigs, i);
        size_t old = path_index(p, i), len;
        uint8_t sig[TX_SIG_LEN];
        const char *hex;

        if (expect_type(s, JV_STRING, "a hex string", p, err) < 0)
            return -1;
        hex = jv_str(s, &len);
        /* fc zero-pads short hex silently; a short signature is a bug. */
        if (hex_decode_exact(sig, TX_SIG_LEN, hex, len, err) < 0 || tx_add_sig(tx, sig, err) < 0)
            return fail(p, err);
        path_pop(p, old);
    }
    return 0;
}

int txjson_parse(struct tx *tx, const struct jv *v, char *err)
{
    struct path p = {.buf = "", .len = 0};
    const struct jv *ops, *sigs;
    uint64_t u;
    size_t old;

    tx_reset(tx);
    if (expect_type(v, JV_OBJECT, "an object", &p, err) < 0)
        goto fail;
    if (get_uint(v, "ref_block_num", UINT16_MAX, &u, &p, err) < 0)
        goto fail;
    tx->ref_block_num = (uint16_t)u;
    if (get_uint(v, "ref_block_prefix", UINT32_MAX, &u, &p, err) < 0)
        goto fail;
    tx->ref_block_prefix = (uint32_t)u;
    if (get_time(v, "expiration", &tx->expiration, &p, err) < 0)
        goto fail;
    ops = member(v, "operations", &p, &old, err);
    if (ops == NULL || expect_type(ops, JV_ARRAY, "an array", &p, err) < 0)
        goto fail;
    for (size_t i = 0; i < jv_len(ops); i++) {
        size_t o = path_index(&p, i);

        if (get_op(jv_at(ops, i), tx, &p, err) < 0)
            goto fail;
        path_pop(&p, o);
    }
    path_pop(&p, old);
    if (get_empty_set(v, "extensions", &p, err) < 0)
        goto fail;
    sigs = jv_get(v, "signatures");
    if (sigs != NULL) {
        old = path_key(&p, "signatures");
        if (get_sigs(sigs, tx, &p, err) < 0)
            goto fail;
        path_pop(&p, old);
    }
    return 0;
fail:
    tx_reset(tx);
    return -1;
}
