/* rpc.c - see rpc.h. Request framing, replies, fc-shaped errors and the
 * asynchronous messages; the api methods are in rpcapi.c. */
#include "rpc_impl.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "render.h"
#include "timefmt.h"

struct rpc *rpc_new(struct chain *c, const struct sign_ctx *sctx, bool sink, rpc_send_fn send,
                    void *ud, char *err)
{
    struct rpc *r = calloc(1, sizeof *r);

    if (r == NULL) {
        err_set(err, "out of memory");
        return NULL;
    }
    r->c = c;
    r->sctx = sctx;
    r->sink = sink;
    r->send = send;
    r->ud = ud;
    tx_init(&r->scratch);
    sbuf_init(&r->msg);
    sbuf_init(&r->relay_msg);
    r->capacity_tps = chain_options(c)->capacity_tps;
    r->v = validator_new(c, sctx, err);
    if (r->v == NULL) {
        free(r);
        return NULL;
    }
    return r;
}

void rpc_free(struct rpc *r)
{
    if (r == NULL)
        return;
    rpcrelay_clear(r);
    validator_free(r->v);
    svcq_free(r->svc);
    hist_free(r->wait);
    tx_clear(&r->scratch);
    sbuf_free(&r->msg);
    sbuf_free(&r->relay_msg);
    free(r);
}

struct rpc_session *rpc_session_new(struct rpc *r, uint64_t conn)
{
    struct rpc_session *s = calloc(1, sizeof *s);

    if (s == NULL)
        return NULL;
    s->r = r;
    s->conn = conn;
    s->next_api = 2;
    s->next = r->sessions;
    if (r->sessions != NULL)
        r->sessions->prev = s;
    r->sessions = s;
    return s;
}

void rpc_session_free(struct rpc_session *s)
{
    if (s == NULL)
        return;
    if (s->prev != NULL)
        s->prev->next = s->next;
    else
        s->r->sessions = s->next;
    if (s->next != NULL)
        s->next->prev = s->prev;
    free(s->block_cb);
    free(s);
}

const struct rpc_stats *rpc_stats(const struct rpc *r)
{
    return &r->stats;
}

int rpc_err_args(struct fcerr *e, const char *method)
{
    fcerr_assert(e, FCERR_API, method, FCERR_HERE, "a0 != e: too few arguments passed to method",
                 "a0 != e: too few arguments passed to method");
    return -1;
}

int rpc_err_cast(struct fcerr *e, const char *what, const struct jv *v)
{
    fcerr_throw(e, FCERR_API, 7, "bad_cast_exception", "Bad Cast", "from_variant", FCERR_HERE,
                "Invalid cast from ${type} to ${target}", "Invalid cast from %s to %s",
                jv_type_name(v), what);
    return -1;
}

void rpc_reply_start(struct sbuf *out, const struct rpc_call *call)
{
    sbuf_adds(out, "{\"id\":");
    sbuf_adds(out, call->id);
    if (call->jsonrpc)
        sbuf_adds(out, ",\"jsonrpc\":\"2.0\"");
}

void rpc_render_error(struct sbuf *out, const struct rpc_call *call, const struct fcerr *e)
{
    char ts[TIMEFMT_LEN];

    timefmt_format(ts, timefmt_wall_secs());
    rpc_reply_start(out, call);
    sbuf_adds(out, ",\"error\":{\"code\":");
    sbuf_add_i64(out, e->code);
    sbuf_adds(out, ",\"message\":");
    {
        /* fc exception::to_string: what ":" then " " + each message. */
        struct sbuf m;
        sbuf_init(&m);
        sbuf_adds(&m, "Execution error: ");
        sbuf_adds(&m, e->what);
        sbuf_adds(&m, ": ");
        sbuf_adds(&m, e->message);
        sbuf_add_json_str(out, m.buf != NULL ? m.buf : "", m.len);
        sbuf_free(&m);
    }
    sbuf_adds(out, ",\"data\":{\"code\":");
    sbuf_add_i64(out, e->fc_code);
    sbuf_adds(out, ",\"name\":");
    sbuf_add_json_str(out, e->name, strlen(e->name));
    sbuf_adds(out, ",\"message\":");
    sbuf_add_json_str(out, e->what, strlen(e->what));
    sbuf_adds(out, ",\"stack\":[{\"context\":{\"level\":\"error\",\"file\":");
    sbuf_add_json_str(out, e->file, strlen(e->file));
    sbuf_adds(out, ",\"line\":");
    sbuf_add_i64(out, e->line);
    sbuf_adds(out, ",\"method\":");
    sbuf_add_json_str(out, e->method, strlen(e->method));
    sbuf_adds(out, ",\"hostname\":\"\",\"thread_name\":\"th_a\",\"timestamp\":\"");
    sbuf_adds(out, ts);
    sbuf_adds(out, "\"},\"format\":");
    sbuf_add_json_str(out, e->format, strlen(e->format));
    sbuf_adds(out, ",\"data\":");
    sbuf_adds(out, e->data);
    sbuf_adds(out, "}]}}}");
}

/* JSON-RPC protocol errors: the request could not be read, so no id. */
static void protocol_error(struct sbuf *out, int code, const char *msg, const char *detail)
{
    struct sbuf m;

    sbuf_init(&m);
    sbuf_adds(&m, msg);
    if (detail != NULL) {
        sbuf_adds(&m, ": ");
        sbuf_adds(&m, detail);
    }
    sbuf_adds(out, "{\"id\":null,\"error\":{\"code\":");
    sbuf_add_i64(out, code);
    sbuf_adds(out, ",\"message\":");
    sbuf_add_json_str(out, m.buf != NULL ? m.buf : "", m.len);
    sbuf_adds(out, "}}");
    sbuf_free(&m);
}

/* The id's JSON text into idbuf (numbers and strings, as fc echoes). */
static int id_text(const struct jv *id, struct sbuf *idbuf)
{
    int64_t n;
    size_t len;
    const char *s;

    switch (jv_type(id)) {
    case JV_NULL:
        sbuf_adds(idbuf, "null");
        return 0;
    case JV_INT:
        if (jv_int64(id, INT64_MIN, INT64_MAX, &n, NULL) < 0)
            return -1;
        sbuf_add_i64(idbuf, n);
        return 0;
    case JV_STRING:
        s = jv_str(id, &len);
        sbuf_add_json_str(idbuf, s, len);
        return 0;
    default:
        return -1;
    }
}

static void call_method(struct rpc_call *call, const struct jv *params, struct sbuf *out)
{
    struct rpc_session *s = call->s;
    struct fcerr e;
    size_t mark;
    uint64_t api = 0;
    int rc;

    memset(&e, 0, sizeof e);
    if (call->id != NULL)
        rpc_reply_start(out, call);
    sbuf_adds(out, ",\"result\":");
    mark = out->len;
    if (strcmp(call->method, "call") == 0) {
        const struct jv *a = jv_at(params, 0), *m = jv_at(params, 1), *args = jv_at(params, 2);
        int64_t n;
        if (jv_len(params) != 3 || jv_type(args) != JV_ARRAY) {
            fcerr_assert(&e, FCERR_API, "call", FCERR_HERE,
                         "args.size() == 3 && args[2].is_array(): ",
                         "args.size() == 3 && args[2].is_array(): ");
            rc = -1;
        } else if (jv_type(m) != JV_STRING) {
            rc = rpc_err_cast(&e, "string", m);
        } else if (jv_type(a) == JV_STRING) {
            rc = rpcapi_api_by_name(s, jv_str(a, NULL), &api, &e);
        } else if (jv_int64(a, 0, INT64_MAX, &n, NULL) == 0) {
            api = (uint64_t)n;
            rc = 0;
        } else {
            rc = rpc_err_cast(&e, "uint64", a);
        }
        if (rc == 0) {
            call->method = jv_str(m, NULL);
            call->args = args;
            rc = rpcapi_dispatch(call, api, out, &e);
        }
    } else {
        /* fc's on_unhandled: a bare method goes to api 0. */
        call->args = params;
        rc = rpcapi_dispatch(call, 0, out, &e);
    }
    if (call->id == NULL || call->deferred) {
        /* No reply now (notification, or answered on inclusion). */
        out->len = 0;
        if (out->buf != NULL)
            out->buf[0] = '\0';
        return;
    }
    if (rc < 0) {
        out->len = 0;
        rpc_render_error(out, call, &e);
        return;
    }
    if (out->len == mark)
        sbuf_adds(out, "null");
    sbuf_addc(out, '}');
}

void rpc_handle(struct rpc_session *s, const char *text, size_t len, struct sbuf *out)
{
    char err[ERR_LEN];
    struct jv *root = jv_parse(text, len, JV_MAX_DEPTH, err);
    const struct jv *method, *id, *params;
    struct rpc_call call;
    struct sbuf idbuf;

    s->r->stats.requests++;
    sbuf_init(&idbuf);
    if (root == NULL) {
        protocol_error(out, -32700, "Parse error", err);
        goto out;
    }
    if (jv_type(root) == JV_ARRAY) {
        protocol_error(out, -32600, "Invalid Request", "batch requests are not supported");
        goto out;
    }
    method = jv_get(root, "method");
    if (jv_type(root) != JV_OBJECT || jv_type(method) != JV_STRING) {
        protocol_error(out, -32600, "Invalid Request", "expected an object with a \"method\"");
        goto out;
    }
    params = jv_get(root, "params");
    if (params != NULL && jv_type(params) != JV_ARRAY && jv_type(params) != JV_NULL) {
        protocol_error(out, -32602, "Invalid params", "\"params\" must be an array");
        goto out;
    }
    memset(&call, 0, sizeof call);
    call.s = s;
    call.root = root;
    call.method = jv_str(method, NULL);
    call.jsonrpc = jv_get(root, "jsonrpc") != NULL;
    id = jv_get(root, "id");
    if (id != NULL) {
        if (id_text(id, &idbuf) < 0 || idbuf.overflow) {
            protocol_error(out, -32600, "Invalid Request", "\"id\" must be a number or a string");
            goto out;
        }
        call.id = idbuf.buf;
    }
    call_method(&call, params, out);
    if (call.root_taken)
        root = NULL; /* queued for the apply-first model */
out:
    sbuf_free(&idbuf);
    jv_free(root);
}

static void send_msg(struct rpc *r, uint64_t conn)
{
    if (r->send != NULL && !r->msg.overflow)
        r->send(r->ud, conn, r->msg.buf, r->msg.len);
}

int rpc_set_service(struct rpc *r, double tx_per_s, double ops_per_s, char *err)
{
    if (tx_per_s <= 0 && ops_per_s <= 0) {
        err_set(err, "the apply-first model needs --capacity or --capacity-ops");
        return -1;
    }
    r->svc = svcq_new(tx_per_s, ops_per_s, timefmt_mono_ns());
    r->wait = hist_new();
    if (r->svc == NULL || r->wait == NULL) {
        svcq_free(r->svc);
        hist_free(r->wait);
        r->svc = NULL;
        r->wait = NULL;
        err_set(err, "out of memory");
        return -1;
    }
    r->capacity_tps = tx_per_s;
    return 0;
}

size_t rpc_service(struct rpc *r)
{
    uint64_t now = timefmt_mono_ns();
    size_t n = 0;

    if (r->svc == NULL)
        return 0;
    while (svcq_peek(r->svc) != NULL && svcq_ready(r->svc, now)) {
        struct svcq_item *it = svcq_pop(r->svc);
        struct rpc_call call;
        struct fcerr e;
        struct validated vd;
        int rc;

        if (it->relayed && validator_parse(r->v, it->txj, &vd, &e) == 0 &&
            chain_txid_known(r->c, vd.txid)) {
            /* Known already (a block brought it): the P2P layer drops an
             * item it has by id, at no cost to the main thread. */
            r->relay.tx_in_dup++;
            svcq_item_free(it);
            continue;
        }

        memset(&call, 0, sizeof call);
        call.id = it->id;
        call.jsonrpc = it->jsonrpc;
        svcq_charge(r->svc, it->nops);
        hist_record(r->wait, now - it->enq_ns);
        rc = rpcapi_apply_broadcast(r, &call, it->conn, it->kind, it->txj, it->cb, it->relayed,
                                    &e);
        /* The answer the request was waiting for (none for a
         * notification, or a synchronous one until inclusion). */
        if (it->id != NULL && (rc < 0 || !call.deferred)) {
            sbuf_reset(&r->msg);
            if (rc < 0) {
                rpc_render_error(&r->msg, &call, &e);
            } else {
                rpc_reply_start(&r->msg, &call);
                sbuf_adds(&r->msg, ",\"result\":null}");
            }
            send_msg(r, it->conn);
        }
        svcq_item_free(it);
        n++;
    }
    return n;
}

size_t rpc_service_len(const struct rpc *r)
{
    return r->svc != NULL ? svcq_len(r->svc) : 0;
}

struct hist *rpc_apply_wait(struct rpc *r)
{
    return r->wait;
}

void rpc_block_produced(struct rpc *r, const struct chain_block *b)
{
    for (uint32_t i = 0; i < b->ntx; i++) {
        struct chain_entry *en = b->txs[i];
        if (en->wait == CHAIN_WAIT_NONE)
            continue;
        sbuf_reset(&r->msg);
        sbuf_adds(&r->msg, en->wait_ref);
        render_inclusion(&r->msg, r->c, en, &r->scratch);
        sbuf_adds(&r->msg, en->wait == CHAIN_WAIT_SYNC ? "}" : "]]}");
        send_msg(r, en->wait_conn);
        free(en->wait_ref);
        en->wait_ref = NULL;
        en->wait = CHAIN_WAIT_NONE;
    }
    for (struct rpc_session *s = r->sessions; s != NULL; s = s->next) {
        if (s->block_cb == NULL)
            continue;
        sbuf_reset(&r->msg);
        sbuf_adds(&r->msg, "{\"method\":\"notice\",\"params\":[");
        sbuf_adds(&r->msg, s->block_cb);
        sbuf_adds(&r->msg, ",[\"");
        sbuf_add_hex(&r->msg, b->id, CHAIN_ID_LEN);
        sbuf_adds(&r->msg, "\"]]}");
        send_msg(r, s->conn);
    }
}
