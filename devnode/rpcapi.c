/* rpcapi.c - the login, database and network_broadcast api methods. */
#include "rpc_impl.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "hex.h"
#include "render.h"
#include "timefmt.h"
#include "txjson.h"

#define API_DATABASE 0
#define API_LOGIN 1

static int no_method(struct fcerr *e, const char *name)
{
    fcerr_assert(e, FCERR_API, "call", FCERR_HERE,
                 "itr != _by_name.end(): no method with name '${name}'",
                 "itr != _by_name.end(): no method with name '%s'", name);
    {
        struct sbuf d;
        sbuf_init_fixed(&d, e->data, sizeof e->data);
        sbuf_adds(&d, "{\"name\":");
        sbuf_add_json_str(&d, name, strlen(name));
        sbuf_addc(&d, '}');
        if (d.overflow)
            strcpy(e->data, "{}");
    }
    e->code = -32601;
    return -1;
}

int rpcapi_api_by_name(struct rpc_session *s, const char *name, uint64_t *api, struct fcerr *e)
{
    static const char *const absent[] = {"history", "block", "crypto", "asset", "orders",
                                         "custom_operations", "debug"};

    if (strcmp(name, "database") == 0) {
        *api = API_DATABASE;
        return 0;
    }
    if (strcmp(name, "network_broadcast") == 0) {
        /* register_api dedups by handle: one id per connection. */
        if (s->broadcast_api == 0)
            s->broadcast_api = s->next_api++;
        *api = s->broadcast_api;
        return 0;
    }
    for (size_t i = 0; i < sizeof absent / sizeof absent[0]; i++) {
        if (strcmp(name, absent[i]) == 0) {
            fcerr_assert(e, FCERR_API, name, FCERR_HERE,
                         "false: devnode does not implement this api",
                         "false: devnode does not implement the %s api", name);
            return -1;
        }
    }
    return no_method(e, name);
}

static const struct jv *arg(const struct rpc_call *call, size_t i)
{
    return jv_at(call->args, i);
}

static int need_args(const struct rpc_call *call, size_t n, struct fcerr *e)
{
    return jv_len(call->args) < n ? rpc_err_args(e, call->method) : 0;
}

static int api_login(struct rpc_call *call, struct sbuf *out, struct fcerr *e)
{
    const char *m = call->method;
    uint64_t api;

    if (strcmp(m, "login") == 0) {
        /* Without credentials the node answers its login api id. */
        sbuf_adds(out, jv_len(call->args) == 0 ? "1" : "true");
        return 0;
    }
    if (rpcapi_api_by_name(call->s, m, &api, e) < 0)
        return -1;
    sbuf_add_u64(out, api);
    return 0;
}

static long account_arg(const struct chain *c, const struct jv *v)
{
    size_t len;
    const char *s = jv_str(v, &len);
    uint64_t id;

    if (s == NULL)
        return -1;
    if (txjson_parse_id(s, len, 1, 2, &id, NULL) == 0)
        return chain_account_by_id(c, id);
    return chain_account_by_name(c, s, len);
}

static int asset_arg(const struct chain *c, const struct jv *v)
{
    const struct genesis *g = chain_genesis(c);
    size_t len;
    const char *s = jv_str(v, &len);
    uint64_t id;

    if (s == NULL)
        return -1;
    if (txjson_parse_id(s, len, 1, 3, &id, NULL) == 0)
        return genesis_asset_index(g, id);
    for (size_t i = 0; i < g->nassets; i++)
        if (strcmp(g->assets[i].symbol, s) == 0)
            return (int)i;
    return -1;
}

/* lookup_account_names / get_accounts / lookup_asset_symbols / get_assets:
 * an array in, an array of objects or nulls out. */
static int list_lookup(struct rpc_call *call, bool assets, struct sbuf *out, struct fcerr *e)
{
    const struct chain *c = call->s->r->c;
    const struct jv *list = arg(call, 0);

    if (need_args(call, 1, e) < 0)
        return -1;
    if (jv_type(list) != JV_ARRAY)
        return rpc_err_cast(e, "array", list);
    sbuf_addc(out, '[');
    for (size_t i = 0; i < jv_len(list); i++) {
        const struct jv *x = jv_at(list, i);
        long idx;
        if (jv_type(x) != JV_STRING)
            return rpc_err_cast(e, "string", x);
        if (i > 0)
            sbuf_addc(out, ',');
        idx = assets ? asset_arg(c, x) : account_arg(c, x);
        if (idx < 0)
            sbuf_adds(out, "null");
        else if (assets)
            render_asset(out, c, (size_t)idx);
        else
            render_account(out, c, (size_t)idx);
    }
    sbuf_addc(out, ']');
    return 0;
}

static int get_account_balances(struct rpc_call *call, struct sbuf *out, struct fcerr *e)
{
    const struct chain *c = call->s->r->c;
    const struct genesis *g = chain_genesis(c);
    const struct jv *which = arg(call, 1);
    long a;
    bool first = true;

    if (need_args(call, 2, e) < 0)
        return -1;
    if (jv_type(arg(call, 0)) != JV_STRING)
        return rpc_err_cast(e, "string", arg(call, 0));
    if (jv_type(which) != JV_ARRAY)
        return rpc_err_cast(e, "array", which);
    if ((a = account_arg(c, arg(call, 0))) < 0) {
        fcerr_assert(e, FCERR_API, "get_account_balances", FCERR_HERE,
                     "account: no such account", "account: no such account");
        return -1;
    }
    sbuf_addc(out, '[');
    for (size_t i = 0; i < g->nassets; i++) {
        int64_t b = chain_balance(c, (size_t)a, i);
        bool want = jv_len(which) == 0 ? b != 0 : false;
        for (size_t k = 0; k < jv_len(which) && !want; k++)
            want = asset_arg(c, jv_at(which, k)) == (int)i;
        if (!want)
            continue;
        if (!first)
            sbuf_addc(out, ',');
        first = false;
        sbuf_adds(out, "{\"amount\":");
        render_i64(out, b);
        sbuf_adds(out, ",\"asset_id\":");
        render_id(out, 1, 3, g->assets[i].id);
        sbuf_addc(out, '}');
    }
    sbuf_addc(out, ']');
    return 0;
}

static int get_required_fees(struct rpc_call *call, struct sbuf *out, struct fcerr *e)
{
    const struct genesis *g = chain_genesis(call->s->r->c);
    const struct jv *ops = arg(call, 0);

    if (need_args(call, 2, e) < 0)
        return -1;
    if (jv_type(ops) != JV_ARRAY)
        return rpc_err_cast(e, "array", ops);
    if (asset_arg(call->s->r->c, arg(call, 1)) != 0) {
        fcerr_assert(e, FCERR_API, "get_required_fees", FCERR_HERE,
                     "id == asset_id_type(): devnode computes fees in the core asset only",
                     "id == asset_id_type(): devnode computes fees in the core asset only");
        return -1;
    }
    sbuf_addc(out, '[');
    for (size_t i = 0; i < jv_len(ops); i++) {
        const struct jv *op = jv_at(ops, i), *body = jv_at(op, 1);
        const struct jv *memo = jv_get(body, "memo");
        int64_t tag;
        size_t memo_len = 0;
        if (jv_len(op) != 2 || jv_int64(jv_at(op, 0), 0, 1, &tag, NULL) < 0 ||
            jv_type(body) != JV_OBJECT) {
            fcerr_assert(e, FCERR_API, "get_required_fees", FCERR_HERE,
                         "op.which() < 2: devnode knows operations 0 (transfer) and 1 "
                         "(limit_order_create), as [tag, {...}]",
                         "op.which() < 2: devnode knows operations 0 (transfer) and 1 "
                         "(limit_order_create), as [tag, {...}]");
            return -1;
        }
        if (tag == 0 && memo != NULL && jv_type(memo) != JV_NULL) {
            size_t ml = 0, vl = 1;
            if (jv_str(jv_get(memo, "message"), &ml) == NULL)
                ml = 0;
            ml /= 2;
            for (size_t x = ml; (x >>= 7) != 0;)
                vl++;
            memo_len = 2 * PUBKEY_LEN + 8 + vl + ml;
        }
        if (i > 0)
            sbuf_addc(out, ',');
        sbuf_adds(out, "{\"amount\":");
        render_i64(out, (int64_t)validator_required_fee(&g->params, (enum tx_op_type)tag,
                                                        memo_len));
        sbuf_adds(out, ",\"asset_id\":\"1.3.0\"}");
    }
    sbuf_addc(out, ']');
    return 0;
}

static int block_arg(struct rpc_call *call, uint32_t *num, struct fcerr *e)
{
    uint64_t n;

    if (need_args(call, 1, e) < 0)
        return -1;
    if (jv_uint64(arg(call, 0), UINT32_MAX, &n, NULL) < 0)
        return rpc_err_cast(e, "uint32", arg(call, 0));
    *num = (uint32_t)n;
    return 0;
}

static int callback_ref(const struct jv *v, char **out)
{
    struct sbuf s;
    int64_t n;

    sbuf_init(&s);
    if (jv_type(v) == JV_INT && jv_int64(v, INT64_MIN, INT64_MAX, &n, NULL) == 0) {
        sbuf_add_i64(&s, n);
    } else if (jv_type(v) == JV_STRING) {
        size_t len;
        const char *str = jv_str(v, &len);
        sbuf_add_json_str(&s, str, len);
    } else {
        return -1;
    }
    if (s.overflow) {
        sbuf_free(&s);
        return -1;
    }
    *out = s.buf;
    return 0;
}

static int api_database(struct rpc_call *call, struct sbuf *out, struct fcerr *e)
{
    struct rpc *r = call->s->r;
    const char *m = call->method;
    const struct chain_block *b;
    uint32_t num = 0;

    if (strcmp(m, "get_chain_id") == 0) {
        sbuf_addc(out, '"');
        sbuf_add_hex(out, chain_genesis(r->c)->chain_id, 32);
        sbuf_addc(out, '"');
    } else if (strcmp(m, "get_dynamic_global_properties") == 0) {
        render_dgp(out, r->c, r->relay.blocks_missed);
    } else if (strcmp(m, "get_global_properties") == 0) {
        render_gp(out, r->c);
    } else if (strcmp(m, "lookup_account_names") == 0 || strcmp(m, "get_accounts") == 0) {
        return list_lookup(call, false, out, e);
    } else if (strcmp(m, "lookup_asset_symbols") == 0 || strcmp(m, "get_assets") == 0) {
        return list_lookup(call, true, out, e);
    } else if (strcmp(m, "get_account_by_name") == 0) {
        long a;
        if (need_args(call, 1, e) < 0)
            return -1;
        if (jv_type(arg(call, 0)) != JV_STRING)
            return rpc_err_cast(e, "string", arg(call, 0));
        a = chain_account_by_name(r->c, jv_str(arg(call, 0), NULL),
                                  strlen(jv_str(arg(call, 0), NULL)));
        if (a < 0)
            sbuf_adds(out, "null");
        else
            render_account(out, r->c, (size_t)a);
    } else if (strcmp(m, "get_account_balances") == 0) {
        return get_account_balances(call, out, e);
    } else if (strcmp(m, "get_required_fees") == 0) {
        return get_required_fees(call, out, e);
    } else if (strcmp(m, "get_block") == 0 || strcmp(m, "get_block_header") == 0) {
        if (block_arg(call, &num, e) < 0)
            return -1;
        b = chain_block(r->c, num);
        if (b == NULL)
            sbuf_adds(out, "null");
        else if (m[9] == '_')
            render_block_header(out, b);
        else
            render_block(out, r->c, b, &r->scratch);
    } else if (strcmp(m, "set_block_applied_callback") == 0) {
        char *ref;
        if (need_args(call, 1, e) < 0)
            return -1;
        if (callback_ref(arg(call, 0), &ref) < 0)
            return rpc_err_cast(e, "callback id", arg(call, 0));
        free(call->s->block_cb);
        call->s->block_cb = ref;
    } else if (strcmp(m, "get_transaction_hex") == 0 ||
               strcmp(m, "get_transaction_hex_without_sig") == 0) {
        struct validated vd;
        if (need_args(call, 1, e) < 0 || validator_parse(r->v, arg(call, 0), &vd, e) < 0)
            return -1;
        sbuf_addc(out, '"');
        sbuf_add_hex(out, vd.packed, m[19] == '\0' ? vd.signed_len : vd.unsigned_len);
        sbuf_addc(out, '"');
    } else {
        return no_method(e, m);
    }
    return 0;
}

/* The waiter's message prefix: a reply for _synchronous, a notice for
 * _with_callback (closed by rpc_block_produced). */
static int set_waiter(const struct rpc_call *call, uint64_t conn, struct chain_entry *en,
                      const struct jv *cb)
{
    struct sbuf s;
    char *ref = NULL;

    sbuf_init(&s);
    if (cb != NULL) {
        if (callback_ref(cb, &ref) < 0)
            return -1;
        sbuf_adds(&s, "{\"method\":\"notice\",\"params\":[");
        sbuf_adds(&s, ref);
        sbuf_adds(&s, ",[");
        free(ref);
        en->wait = CHAIN_WAIT_CALLBACK;
    } else {
        rpc_reply_start(&s, call);
        sbuf_adds(&s, ",\"result\":");
        en->wait = CHAIN_WAIT_SYNC;
    }
    if (s.overflow) {
        sbuf_free(&s);
        en->wait = CHAIN_WAIT_NONE;
        return -1;
    }
    en->wait_conn = conn;
    en->wait_ref = s.buf;
    return 0;
}

int rpcapi_apply_broadcast(struct rpc *r, struct rpc_call *call, uint64_t conn,
                           enum svcq_kind kind, const struct jv *txj, const struct jv *cb,
                           bool relayed, struct fcerr *e)
{
    struct validated vd;

    if (validator_check(r->v, txj, true, &vd, e) < 0) {
        if (relayed)
            r->relay.tx_in_rejected++; /* mostly duplicates: not a client's rejection */
        else
            r->stats.rejected[e->reason]++;
        return -1;
    }
    if (relayed) {
        r->relay.tx_in_applied++;
        return 0;
    }
    r->stats.accepted++;
    if (r->relay_on)
        rpcrelay_tx(r, &vd);
    if (kind == SVCQ_CALLBACK) {
        /* A callback that cannot be stored is not fatal: the tx is in. */
        (void)set_waiter(call, conn, vd.entry, cb);
    } else if (kind == SVCQ_SYNC && call->id != NULL) {
        if (set_waiter(call, conn, vd.entry, NULL) == 0)
            call->deferred = true;
    }
    return 0;
}

static int queue_full(struct rpc *r, struct fcerr *e)
{
    fcerr_assert(e, FCERR_QUEUE_FULL, "push_transaction", FCERR_HERE,
                 "_pending_tx.size() < max_pending: devnode pending queue is full",
                 "_pending_tx.size() < max_pending: devnode pending queue is full "
                 "(%zu transactions waiting to be applied, %zu pending, --max-pending); "
                 "--capacity is %.0f tx/s (0: none)",
                 r->svc != NULL ? svcq_len(r->svc) : (size_t)0, chain_pending_count(r->c),
                 r->capacity_tps);
    r->stats.rejected[FCERR_QUEUE_FULL]++;
    return -1;
}

int rpcapi_admit(struct rpc *r, struct rpc_call *call, enum svcq_kind kind,
                 const struct jv *txj, const struct jv *cb, bool relayed, struct fcerr *e)
{
    uint64_t now = timefmt_mono_ns();
    size_t nops = jv_len(jv_get(txj, "operations"));
    struct svcq_item *it;
    size_t held = svcq_len(r->svc) + chain_pending_count(r->c);
    size_t max = chain_options(r->c)->max_pending;

    /* The busy bound is for clients. A transaction a peer relays was
     * accepted by the network already: refusing it here would leave it
     * pending on its entry node alone (until it expires, filling that
     * node's bound too), where a real node, which has no such bound,
     * applies it. Relayed ones are refused only past 4 x the bound, so
     * that memory stays bounded. */
    if (held >= (relayed ? 4 * max : max)) {
        if (!relayed)
            return queue_full(r, e);
        r->relay.tx_in_rejected++;
        return -1;
    }
    if (call->s->conn == 0 || (svcq_len(r->svc) == 0 && svcq_ready(r->svc, now))) {
        /* An HTTP request cannot wait for a later answer: it is applied
         * at once and its cost is charged to the budget all the same. */
        (void)svcq_ready(r->svc, now);
        svcq_charge(r->svc, (uint32_t)nops);
        hist_record(r->wait, 0);
        return 0;
    }
    it = calloc(1, sizeof *it);
    if (it == NULL || (call->id != NULL && (it->id = strdup(call->id)) == NULL)) {
        free(it);
        fcerr_assert(e, FCERR_API, "push_transaction", FCERR_HERE, "false: out of memory",
                     "false: out of memory");
        return -1;
    }
    if (!relayed) {
        it->root = call->root;
        call->root_taken = true;
    }
    it->txj = txj;
    it->cb = cb;
    it->jsonrpc = call->jsonrpc;
    it->kind = kind;
    it->nops = nops > UINT32_MAX ? UINT32_MAX : (uint32_t)nops;
    it->conn = call->s->conn;
    it->enq_ns = now;
    it->relayed = relayed;
    svcq_push(r->svc, it);
    call->queued = it;
    call->deferred = true;
    return 1;
}

static int api_broadcast(struct rpc_call *call, struct sbuf *out, struct fcerr *e)
{
    struct rpc *r = call->s->r;
    const char *m = call->method;
    bool sync = strcmp(m, "broadcast_transaction_synchronous") == 0;
    bool with_cb = strcmp(m, "broadcast_transaction_with_callback") == 0;
    enum svcq_kind kind = sync ? SVCQ_SYNC : with_cb ? SVCQ_CALLBACK : SVCQ_PLAIN;
    const struct jv *txj = arg(call, with_cb ? 1 : 0);
    const struct jv *cb = with_cb ? arg(call, 0) : NULL;
    struct validated vd;
    int rc;

    (void)out; /* broadcasts answer null */
    if (!sync && !with_cb && strcmp(m, "broadcast_transaction") != 0)
        return no_method(e, m);
    if (need_args(call, with_cb ? 2 : 1, e) < 0)
        return -1;
    if (with_cb && jv_type(cb) != JV_INT && jv_type(cb) != JV_STRING)
        return rpc_err_cast(e, "callback id", cb);
    r->stats.broadcasts++;
    if (sync && call->s->conn == 0) {
        fcerr_assert(e, FCERR_API, m, FCERR_HERE,
                     "false: devnode answers broadcast_transaction_synchronous on websockets "
                     "only",
                     "false: devnode answers broadcast_transaction_synchronous on websockets "
                     "only");
        return -1;
    }
    if (r->sink) {
        if (sync) {
            fcerr_assert(e, FCERR_API, m, FCERR_HERE, "false: not available in --sink mode",
                         "false: not available in --sink mode");
            return -1;
        }
        rc = validator_parse(r->v, txj, &vd, e);
        if (rc < 0)
            r->stats.rejected[e->reason]++;
        else
            r->stats.accepted++;
        return rc;
    }
    if (r->svc != NULL) {
        rc = rpcapi_admit(r, call, kind, txj, cb, false, e);
        if (rc != 0)
            return rc < 0 ? -1 : 0;
    } else if (chain_pending_full(r->c)) {
        return queue_full(r, e);
    }
    return rpcapi_apply_broadcast(r, call, call->s->conn, kind, txj, cb, false, e);
}

int rpcapi_dispatch(struct rpc_call *call, uint64_t api, struct sbuf *out, struct fcerr *e)
{
    struct rpc_session *s = call->s;

    if (api == API_DATABASE && s->r->relay_on && strncmp(call->method, "devnode_relay_", 14) == 0)
        return rpcrelay_dispatch(call, e);
    if (api == API_DATABASE)
        return api_database(call, out, e);
    if (api == API_LOGIN)
        return api_login(call, out, e);
    if (api != 0 && api == s->broadcast_api)
        return api_broadcast(call, out, e);
    fcerr_assert(e, FCERR_API, "receive_call", FCERR_HERE, "_local_apis.size() > api_id: ",
                 "_local_apis.size() > api_id: ");
    fcerr_data(e, "{\"api_id\":%" PRIu64 "}", api);
    return -1;
}
