/* setup.c - see setup.h. Every reply is checked for shape: a node that
 * answers something unexpected gets an error naming the call and field,
 * never a default. */
#include "setup.h"

#include <stdio.h>
#include <string.h>

#include "err.h"
#include "hex.h"
#include "sbuf.h"
#include "timefmt.h"
#include "txjson.h"

static int setup_u32(const struct jv *obj, const char *key, uint32_t *out, const char *what,
                     char *err)
{
    uint64_t v;

    if (jv_uint64(jv_get(obj, key), UINT32_MAX, &v, err) < 0)
        return err_prefix(err, "%s.%s", what, key);
    *out = (uint32_t)v;
    return 0;
}

static int setup_hex_field(const struct jv *obj, const char *key, uint8_t *out, size_t n,
                           const char *what, char *err)
{
    size_t len;
    const char *s = jv_str(jv_get(obj, key), &len);

    if (s == NULL)
        return err_set(err, "%s.%s: missing or not a string", what, key);
    if (hex_decode_exact(out, n, s, len, err) < 0)
        return err_prefix(err, "%s.%s", what, key);
    return 0;
}

int setup_chain(struct rpcsync *r, struct chain_info *ci, char *err)
{
    struct jv *root = NULL;
    const struct jv *res, *params;
    const char *s;
    size_t len;
    uint64_t api;
    int rc = -1;

    memset(ci, 0, sizeof *ci);
    if (rpcsync_call(r, "database", "get_chain_id", "[]", SETUP_TIMEOUT_MS, &root, &res, err) < 0)
        goto cleanup;
    s = jv_str(res, &len);
    if (s == NULL || hex_decode_exact(ci->chain_id, TX_CHAIN_ID_LEN, s, len, err) < 0) {
        err_set(err, "%s: get_chain_id: not a 64-hex chain id", rpcsync_url(r));
        goto cleanup;
    }
    jv_free(root);
    if (rpcsync_call(r, "database", "get_global_properties", "[]", SETUP_TIMEOUT_MS, &root, &res,
                     err) < 0)
        goto cleanup;
    params = jv_get(res, "parameters");
    if (setup_u32(params, "maximum_transaction_size", &ci->max_tx_size, "parameters", err) ||
        setup_u32(params, "maximum_block_size", &ci->max_block_size, "parameters", err) ||
        setup_u32(params, "maximum_time_until_expiration", &ci->max_expiration, "parameters", err))
        goto bad_reply;
    {
        uint64_t bi;
        if (jv_uint64(jv_get(params, "block_interval"), 255, &bi, err) < 0) {
            err_prefix(err, "parameters.block_interval");
            goto bad_reply;
        }
        ci->block_interval = (uint32_t)bi;
    }
    jv_free(root);
    if (rpcsync_call(r, "database", "get_dynamic_global_properties", "[]", SETUP_TIMEOUT_MS, &root,
                     &res, err) < 0)
        goto cleanup;
    if (setup_u32(res, "head_block_number", &ci->head_num, "dynamic properties", err) ||
        setup_u32(res, "last_irreversible_block_num", &ci->lib_num, "dynamic properties", err) ||
        setup_hex_field(res, "head_block_id", ci->head_id, TX_BLOCK_ID_LEN, "dynamic properties",
                        err))
        goto bad_reply;
    s = jv_str(jv_get(res, "time"), &len);
    if (s == NULL || timefmt_parse(&ci->head_time, s, len, err) < 0) {
        err_set(err, "dynamic properties.time: missing or malformed");
        goto bad_reply;
    }
    jv_free(root);
    if (rpcsync_call(r, "1", "network_broadcast", "[]", SETUP_TIMEOUT_MS, &root, &res, err) < 0)
        goto cleanup;
    if (jv_uint64(res, 1000000, &api, err) < 0) {
        err_prefix(err, "network_broadcast api id");
        goto bad_reply;
    }
    ci->broadcast_api = (unsigned)api;
    rc = 0;
    goto cleanup;
bad_reply:
    err_prefix(err, "%s: unexpected answer", rpcsync_url(r));
cleanup:
    jv_free(root);
    return rc;
}

int setup_same_chain(struct rpcsync *r, const struct chain_info *ci, char *err)
{
    struct chain_info other;
    char a[65], b[65];

    if (setup_chain(r, &other, err) < 0)
        return -1;
    if (memcmp(other.chain_id, ci->chain_id, TX_CHAIN_ID_LEN) != 0) {
        hex_encode(a, ci->chain_id, TX_CHAIN_ID_LEN);
        hex_encode(b, other.chain_id, TX_CHAIN_ID_LEN);
        return err_set(err, "%s serves chain %.16s…, the first node serves %.16s…", rpcsync_url(r),
                       b, a);
    }
    return 0;
}

/* Checks one account object against its key file entry. */
static int setup_check_account(const struct jv *acct, const struct keyfile_entry *e,
                               struct chain_info *ci, struct setup_account *out, const char *url,
                               char *err)
{
    const struct jv *active = jv_get(acct, "active"), *auths = jv_get(active, "key_auths");
    const char *id = jv_str(jv_get(acct, "id"), NULL), *name = jv_str(jv_get(acct, "name"), NULL);
    uint64_t threshold;
    char keystr[PUBKEY_STR_MAX];

    if (id == NULL || name == NULL || txjson_parse_id(id, strlen(id), 1, 2, &out->id, err) < 0)
        return err_set(err, "%s: account object without a valid id/name from %s", e->account, url);
    snprintf(out->name, sizeof out->name, "%s", name);
    if (jv_uint64(jv_get(active, "weight_threshold"), UINT32_MAX, &threshold, err) < 0)
        return err_set(err, "%s: account has no active authority", e->account);
    for (size_t i = 0; i < jv_len(auths); i++) {
        const struct jv *pair = jv_at(auths, i);
        size_t len;
        const char *k = jv_str(jv_at(pair, 0), &len);
        uint8_t pub[PUBKEY_LEN];
        char prefix[PUBKEY_PREFIX_MAX + 1];
        uint64_t weight;

        if (k == NULL || pubkey_from_string(pub, prefix, k, len, NULL, NULL) < 0 ||
            jv_uint64(jv_at(pair, 1), UINT32_MAX, &weight, NULL) < 0)
            continue;
        if (ci->key_prefix[0] == '\0')
            memcpy(ci->key_prefix, prefix, sizeof prefix);
        if (memcmp(pub, e->pub, PUBKEY_LEN) == 0) {
            if (weight < threshold)
                return err_set(err, "%s: key %s has weight %llu, below the active threshold %llu "
                               "(multi-signature accounts are not supported)", e->account, k,
                               (unsigned long long)weight, (unsigned long long)threshold);
            return 0;
        }
    }
    pubkey_to_string(keystr, sizeof keystr, ci->key_prefix[0] ? ci->key_prefix : "BTS", e->pub,
                     NULL);
    return err_set(err, "%s: key %s is not an active key of 1.2.%llu on %s", e->account, keystr,
                   (unsigned long long)out->id, url);
}

int setup_accounts(struct rpcsync *r, const struct keyfile *kf, struct chain_info *ci,
                   struct setup_account *out, char *err)
{
    struct jv *root = NULL;
    const struct jv *res, *bal;
    struct sbuf p;
    int rc = -1;

    sbuf_init(&p);
    for (size_t i = 0; i < kf->n; i++) {
        const struct keyfile_entry *e = &kf->entries[i];
        bool by_id = e->account_id != 0 || strncmp(e->account, "1.2.", 4) == 0;

        out[i].entry = e;
        sbuf_reset(&p);
        sbuf_adds(&p, "[[");
        sbuf_add_json_str(&p, e->account, strlen(e->account));
        sbuf_adds(&p, "]]");
        jv_free(root);
        root = NULL;
        if (rpcsync_call(r, "database", by_id ? "get_accounts" : "lookup_account_names", p.buf,
                         SETUP_TIMEOUT_MS, &root, &res, err) < 0)
            goto cleanup;
        if (jv_type(jv_at(res, 0)) != JV_OBJECT) {
            err_set(err, "%s: no such account on %s", e->account, rpcsync_url(r));
            goto cleanup;
        }
        if (setup_check_account(jv_at(res, 0), e, ci, &out[i], rpcsync_url(r), err) < 0)
            goto cleanup;
        jv_free(root);
        root = NULL;
        sbuf_reset(&p);
        sbuf_addf(&p, "[\"1.2.%llu\",[\"1.3.0\"]]", (unsigned long long)out[i].id);
        if (rpcsync_call(r, "database", "get_account_balances", p.buf, SETUP_TIMEOUT_MS, &root,
                         &res, err) < 0)
            goto cleanup;
        bal = jv_at(res, 0);
        if (jv_int64(jv_get(bal, "amount"), 0, INT64_MAX, &out[i].core_balance, err) < 0) {
            err_prefix(err, "%s: get_account_balances: amount", e->account);
            goto cleanup;
        }
        if (out[i].core_balance <= 0) {
            err_set(err, "%s (1.2.%llu) has no 1.3.0 balance on %s", e->account,
                    (unsigned long long)out[i].id, rpcsync_url(r));
            goto cleanup;
        }
    }
    rc = 0;
cleanup:
    jv_free(root);
    sbuf_free(&p);
    return rc;
}

int setup_fees(struct rpcsync *r, uint64_t from, uint64_t to, uint64_t sell_asset,
               uint64_t receive_asset, int64_t *transfer_fee, int64_t *order_fee, char *err)
{
    struct jv *root = NULL;
    const struct jv *res;
    char params[640];
    int rc = -1;

    snprintf(params, sizeof params,
             "[[[0,{\"fee\":{\"amount\":0,\"asset_id\":\"1.3.0\"},\"from\":\"1.2.%llu\","
             "\"to\":\"1.2.%llu\",\"amount\":{\"amount\":1,\"asset_id\":\"1.3.0\"},"
             "\"extensions\":[]}],[1,{\"fee\":{\"amount\":0,\"asset_id\":\"1.3.0\"},"
             "\"seller\":\"1.2.%llu\",\"amount_to_sell\":{\"amount\":1,\"asset_id\":\"1.3.%llu\"},"
             "\"min_to_receive\":{\"amount\":1,\"asset_id\":\"1.3.%llu\"},"
             "\"expiration\":\"2106-02-07T06:28:15\",\"fill_or_kill\":false,\"extensions\":{}}]],"
             "\"1.3.0\"]",
             (unsigned long long)from, (unsigned long long)to, (unsigned long long)from,
             (unsigned long long)sell_asset, (unsigned long long)receive_asset);
    if (rpcsync_call(r, "database", "get_required_fees", params, SETUP_TIMEOUT_MS, &root, &res,
                     err) < 0)
        goto cleanup;
    if (jv_int64(jv_get(jv_at(res, 0), "amount"), 0, INT64_MAX, transfer_fee, err) < 0 ||
        jv_int64(jv_get(jv_at(res, 1), "amount"), 0, INT64_MAX, order_fee, err) < 0) {
        err_prefix(err, "%s: get_required_fees: unexpected answer", rpcsync_url(r));
        goto cleanup;
    }
    rc = 0;
cleanup:
    jv_free(root);
    return rc;
}
