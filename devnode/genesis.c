/* genesis.c - see genesis.h. */
#include "genesis.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "hash.h"
#include "hex.h"
#include "jv.h"
#include "txjson.h"

#define GENESIS_FILE_MAX (64u << 20)
#define GENESIS_FIRST_FREE_ID 100 /* below are the chain's special accounts */

bool genesis_name_valid(const char *name, size_t len)
{
    if (len == 0 || len >= GENESIS_NAME_MAX || name[0] < 'a' || name[0] > 'z')
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.'))
            return false;
    }
    return true;
}

void genesis_defaults(struct genesis *g)
{
    memset(g, 0, sizeof *g);
    hash_sha256(g->chain_id, "bss-devnode", strlen("bss-devnode"));
    strcpy(g->prefix, "TEST");
    /* bitshares-core defaults (config.hpp, transfer.hpp, market.hpp). */
    g->params.block_interval_ms = 1000;
    g->params.max_tx_size = 2048;
    g->params.max_block_size = 2000000;
    g->params.max_time_until_expiration = 86400;
    g->params.fee_transfer = 20 * 100000;
    g->params.fee_transfer_per_kbyte = 10 * 100000;
    g->params.fee_limit_order = 5 * 100000;
    g->params.fee_scale = 10000;
    g->assets[0] = (struct genesis_asset){.id = 0,
                                          .symbol = "TEST",
                                          .precision = 5,
                                          .max_supply = INT64_C(1000000000000000),
                                          .default_balance = INT64_C(1000000000000)};
    g->assets[1] = (struct genesis_asset){.id = 1,
                                          .symbol = "USD",
                                          .precision = 4,
                                          .max_supply = INT64_C(1000000000000000),
                                          .default_balance = INT64_C(10000000000)};
    g->nassets = 2;
}

int genesis_asset_index(const struct genesis *g, uint64_t id)
{
    for (size_t i = 0; i < g->nassets; i++)
        if (g->assets[i].id == id)
            return (int)i;
    return -1;
}

void genesis_clear(struct genesis *g)
{
    free(g->accounts);
    g->accounts = NULL;
    g->naccounts = g->accounts_cap = 0;
}

int genesis_add_account(struct genesis *g, const struct genesis_account *a, char *err)
{
    if (!genesis_name_valid(a->name, strlen(a->name)))
        return err_set(err, "invalid account name \"%s\"", a->name);
    for (size_t i = 0; i < g->naccounts; i++) {
        if (g->accounts[i].id == a->id)
            return err_set(err, "duplicate account id 1.2.%llu", (unsigned long long)a->id);
        if (strcmp(g->accounts[i].name, a->name) == 0)
            return err_set(err, "duplicate account name \"%s\"", a->name);
    }
    if (g->naccounts == g->accounts_cap) {
        size_t cap = g->accounts_cap ? g->accounts_cap * 2 : 16;
        struct genesis_account *n = realloc(g->accounts, cap * sizeof *n);
        if (n == NULL)
            return err_set(err, "out of memory");
        g->accounts = n;
        g->accounts_cap = cap;
    }
    g->accounts[g->naccounts++] = *a;
    return 0;
}

/* Reads an optional unsigned member into *out within [min, max]. */
static int get_u64(const struct jv *obj, const char *key, uint64_t min, uint64_t max,
                   uint64_t *out, char *err)
{
    const struct jv *v = jv_get(obj, key);
    uint64_t x;

    if (v == NULL)
        return 0;
    if (jv_uint64(v, max, &x, err) < 0)
        return err_prefix(err, "%s", key);
    if (x < min)
        return err_set(err, "%s: must be at least %llu", key, (unsigned long long)min);
    *out = x;
    return 0;
}

static int get_u32(const struct jv *obj, const char *key, uint32_t min, uint32_t max,
                   uint32_t *out, char *err)
{
    uint64_t x = *out;

    if (get_u64(obj, key, min, max, &x, err) < 0)
        return -1;
    *out = (uint32_t)x;
    return 0;
}

static int parse_params(struct genesis *g, const struct jv *p, char *err)
{
    struct genesis_params *gp = &g->params;
    const struct jv *bi = jv_get(p, "block_interval");
    const struct jv *fees = jv_get(p, "current_fees");

    if (p == NULL)
        return 0;
    if (jv_type(p) != JV_OBJECT)
        return err_set(err, "parameters: expected an object, got %s", jv_type_name(p));
    if (bi != NULL) {
        /* Seconds as the node has them; a decimal string such as "0.25"
         * gives devnode's sub-second intervals. */
        const char *s = jv_str(bi, NULL);
        int64_t secs;
        if (s != NULL && strchr(s, '.') != NULL) {
            char *end;
            double d;
            errno = 0;
            d = strtod(s, &end);
            if (errno != 0 || *end != '\0' || d < 0.01 || d > 60)
                return err_set(err, "parameters.block_interval: expected 0.01..60 seconds");
            gp->block_interval_ms = (uint32_t)(d * 1000 + 0.5);
        } else {
            if (jv_int64(bi, 1, 60, &secs, err) < 0)
                return err_prefix(err, "parameters.block_interval");
            gp->block_interval_ms = (uint32_t)secs * 1000;
        }
    }
    if (get_u32(p, "maximum_transaction_size", 1024, UINT32_MAX, &gp->max_tx_size, err) < 0 ||
        get_u32(p, "maximum_block_size", 5 * 1024, UINT32_MAX, &gp->max_block_size, err) < 0 ||
        get_u32(p, "maximum_time_until_expiration", 1, UINT32_MAX,
                &gp->max_time_until_expiration, err) < 0)
        return err_prefix(err, "parameters");
    if (fees != NULL) {
        const struct jv *t = jv_get(fees, "transfer"), *l = jv_get(fees, "limit_order_create");
        if (get_u32(fees, "scale", 0, 1000000, &gp->fee_scale, err) < 0 ||
            get_u64(t, "fee", 0, INT64_MAX, &gp->fee_transfer, err) < 0 ||
            get_u64(t, "price_per_kbyte", 0, INT64_MAX, &gp->fee_transfer_per_kbyte, err) < 0 ||
            get_u64(l, "fee", 0, INT64_MAX, &gp->fee_limit_order, err) < 0)
            return err_prefix(err, "parameters.current_fees");
    }
    return 0;
}

static int parse_assets(struct genesis *g, const struct jv *a, char *err)
{
    if (a == NULL)
        return 0;
    if (jv_type(a) != JV_ARRAY || jv_len(a) == 0 || jv_len(a) > GENESIS_MAX_ASSETS)
        return err_set(err, "assets: expected an array of 1..%d assets", GENESIS_MAX_ASSETS);
    g->nassets = 0;
    for (size_t i = 0; i < jv_len(a); i++) {
        const struct jv *o = jv_at(a, i);
        struct genesis_asset *as = &g->assets[i];
        size_t len;
        const char *id = jv_str(jv_get(o, "id"), &len);
        const char *sym = jv_str(jv_get(o, "symbol"), NULL);
        uint64_t prec = 5, max = INT64_C(1000000000000000), bal = 0;

        memset(as, 0, sizeof *as);
        if (id == NULL || txjson_parse_id(id, len, 1, 3, &as->id, err) < 0) {
            if (id == NULL)
                err_set(err, "missing \"id\"");
            return err_prefix(err, "assets[%zu]", i);
        }
        if (sym == NULL || strlen(sym) < 3 || strlen(sym) >= GENESIS_SYMBOL_MAX)
            return err_set(err, "assets[%zu].symbol: expected 3..16 characters", i);
        for (const char *c = sym; *c; c++)
            if (!((*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '.'))
                return err_set(err, "assets[%zu].symbol: only A-Z, 0-9 and '.'", i);
        strcpy(as->symbol, sym);
        if (get_u64(o, "precision", 0, 12, &prec, err) < 0 ||
            get_u64(o, "max_supply", 1, INT64_MAX, &max, err) < 0 ||
            get_u64(o, "default_balance", 0, INT64_MAX, &bal, err) < 0)
            return err_prefix(err, "assets[%zu]", i);
        as->precision = (uint8_t)prec;
        as->max_supply = (int64_t)max;
        as->default_balance = (int64_t)bal;
        for (size_t j = 0; j < i; j++)
            if (g->assets[j].id == as->id || strcmp(g->assets[j].symbol, as->symbol) == 0)
                return err_set(err, "assets[%zu]: duplicate id or symbol", i);
        g->nassets = i + 1;
    }
    if (g->assets[0].id != 0)
        return err_set(err, "assets[0] must be the core asset 1.3.0");
    return 0;
}

static int parse_key(const struct genesis *g, const struct jv *o, const char *key,
                     uint8_t out[PUBKEY_LEN], char *err)
{
    size_t len;
    const char *s = jv_str(jv_get(o, key), &len);

    if (s == NULL)
        return err_set(err, "%s: expected a public key string", key);
    if (pubkey_from_string(out, NULL, s, len, g->prefix, err) < 0)
        return err_prefix(err, "%s", key);
    return 0;
}

static int parse_account(struct genesis *g, const struct jv *o, char *err)
{
    struct genesis_account a;
    size_t len;
    const char *id = jv_str(jv_get(o, "id"), &len);
    const char *name = jv_str(jv_get(o, "name"), NULL);
    const struct jv *bals = jv_get(o, "balances");

    memset(&a, 0, sizeof a);
    if (id == NULL)
        return err_set(err, "missing \"id\"");
    if (txjson_parse_id(id, len, 1, 2, &a.id, err) < 0)
        return err_prefix(err, "id");
    if (name == NULL || !genesis_name_valid(name, strlen(name)))
        return err_set(err, "name: expected a valid account name");
    strcpy(a.name, name);
    if (parse_key(g, o, "active_key", a.active, err) < 0)
        return -1;
    memcpy(a.owner, a.active, PUBKEY_LEN);
    memcpy(a.memo, a.active, PUBKEY_LEN);
    if (jv_get(o, "owner_key") != NULL && parse_key(g, o, "owner_key", a.owner, err) < 0)
        return -1;
    if (jv_get(o, "memo_key") != NULL && parse_key(g, o, "memo_key", a.memo, err) < 0)
        return -1;
    if (bals != NULL && jv_type(bals) != JV_ARRAY)
        return err_set(err, "balances: expected an array");
    for (size_t i = 0; i < jv_len(bals); i++) {
        const struct jv *b = jv_at(bals, i);
        const char *aid = jv_str(jv_get(b, "asset_id"), &len);
        uint64_t inst;
        int64_t amount;
        int idx;
        if (aid == NULL || txjson_parse_id(aid, len, 1, 3, &inst, err) < 0 ||
            jv_int64(jv_get(b, "amount"), 0, INT64_MAX, &amount, err) < 0) {
            if (aid == NULL)
                err_set(err, "missing \"asset_id\"");
            return err_prefix(err, "balances[%zu]", i);
        }
        idx = genesis_asset_index(g, inst);
        if (idx < 0)
            return err_set(err, "balances[%zu]: unknown asset %s", i, aid);
        a.balances[idx] = amount;
    }
    return genesis_add_account(g, &a, err);
}

int genesis_parse(struct genesis *g, const char *text, size_t len, const char *name, char *err)
{
    char e[ERR_LEN];
    struct jv *root;
    const struct jv *v, *accts;
    int rc = -1;

    genesis_defaults(g);
    root = jv_parse(text, len, JV_MAX_DEPTH, e);
    if (root == NULL) {
        err_set(err, "%s: %s", name, e);
        return -1;
    }
    if (jv_type(root) != JV_OBJECT) {
        err_set(err, "%s: expected a JSON object", name);
        goto out;
    }
    hash_sha256(g->chain_id, text, len);
    if ((v = jv_get(root, "chain_id")) != NULL) {
        size_t n;
        const char *s = jv_str(v, &n);
        if (s == NULL || hex_decode_exact(g->chain_id, 32, s, n, e) < 0) {
            err_set(err, "%s: chain_id: %s", name, s == NULL ? "expected a string" : e);
            goto out;
        }
    }
    if ((v = jv_get(root, "address_prefix")) != NULL) {
        const char *s = jv_str(v, NULL);
        size_t n = s != NULL ? strlen(s) : 0;
        bool ok = n >= 1 && n <= PUBKEY_PREFIX_MAX;
        for (size_t i = 0; ok && i < n; i++)
            ok = s[i] >= 'A' && s[i] <= 'Z';
        if (!ok) {
            err_set(err, "%s: address_prefix: expected 1..%d characters A-Z", name,
                    PUBKEY_PREFIX_MAX);
            goto out;
        }
        strcpy(g->prefix, s);
    }
    if (parse_params(g, jv_get(root, "parameters"), e) < 0 ||
        parse_assets(g, jv_get(root, "assets"), e) < 0) {
        err_set(err, "%s: %s", name, e);
        goto out;
    }
    accts = jv_get(root, "accounts");
    if (accts != NULL && jv_type(accts) != JV_ARRAY) {
        err_set(err, "%s: accounts: expected an array", name);
        goto out;
    }
    for (size_t i = 0; i < jv_len(accts); i++) {
        if (parse_account(g, jv_at(accts, i), e) < 0) {
            err_set(err, "%s: accounts[%zu]: %s", name, i, e);
            goto out;
        }
    }
    rc = 0;
out:
    if (rc < 0)
        genesis_clear(g);
    jv_free(root);
    return rc;
}

int genesis_load(struct genesis *g, const char *path, char *err)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t len = 0, cap = 0;
    int rc = -1;

    genesis_defaults(g);
    if (f == NULL)
        return err_set(err, "%s: %s", path, strerror(errno));
    for (;;) {
        size_t n;
        if (len == cap) {
            char *nb;
            if (cap >= GENESIS_FILE_MAX) {
                err_set(err, "%s: larger than %u bytes", path, GENESIS_FILE_MAX);
                goto out;
            }
            cap = cap ? cap * 2 : 65536;
            nb = realloc(buf, cap);
            if (nb == NULL) {
                err_set(err, "%s: out of memory", path);
                goto out;
            }
            buf = nb;
        }
        n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0)
            break;
    }
    if (ferror(f)) {
        err_set(err, "%s: read error", path);
        goto out;
    }
    rc = genesis_parse(g, buf, len, path, err);
out:
    free(buf);
    fclose(f);
    return rc;
}

int genesis_add_keyfile(struct genesis *g, const struct keyfile *kf, char *err)
{
    uint64_t next = GENESIS_FIRST_FREE_ID;

    for (size_t i = 0; i < g->naccounts; i++)
        if (g->accounts[i].id >= next)
            next = g->accounts[i].id + 1;
    for (size_t k = 0; k < kf->n; k++) {
        const struct keyfile_entry *e = &kf->entries[k];
        struct genesis_account a, *found = NULL;

        for (size_t i = 0; i < g->naccounts && found == NULL; i++) {
            const struct genesis_account *x = &g->accounts[i];
            if (e->account_id != 0 ? x->id == e->account_id : strcmp(x->name, e->account) == 0)
                found = &g->accounts[i];
        }
        if (found != NULL) {
            if (memcmp(found->active, e->pub, PUBKEY_LEN) != 0)
                return err_set(err,
                               "key file: account %s already exists with another active key "
                               "(devnode authorities hold one key)",
                               e->account);
            continue;
        }
        memset(&a, 0, sizeof a);
        if (e->account_id != 0) {
            a.id = e->account_id;
            snprintf(a.name, sizeof a.name, "account-%llu", (unsigned long long)a.id);
            if (a.id >= next)
                next = a.id + 1;
        } else {
            a.id = next++;
            snprintf(a.name, sizeof a.name, "%s", e->account);
        }
        memcpy(a.owner, e->pub, PUBKEY_LEN);
        memcpy(a.active, e->pub, PUBKEY_LEN);
        memcpy(a.memo, e->pub, PUBKEY_LEN);
        for (size_t j = 0; j < g->nassets; j++)
            a.balances[j] = g->assets[j].default_balance;
        if (genesis_add_account(g, &a, err) < 0)
            return err_prefix(err, "key file");
    }
    return 0;
}
