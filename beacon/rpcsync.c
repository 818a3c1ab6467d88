/* rpcsync.c - see rpcsync.h. */
#include "rpcsync.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "reply.h"
#include "sbuf.h"
#include "timefmt.h"
#include "wsc.h"

struct rpcsync {
    struct wsc *w;
    struct wsc_conn *c;
    bool open;
    char closed_reason[ERR_LEN]; /* last on_close reason, "" if none */
    uint64_t next_id;
    uint64_t want_id;
    char *answer; /* the matching reply, heap copy */
    size_t answer_len;
    const struct sbuf *outgoing; /* request waiting for on_writable, or NULL */
    int send_rc;
};

static void rpcsync_on_open(void *user, struct wsc_conn *c)
{
    struct rpcsync *r = user;
    (void)c;
    r->open = true;
}

static void rpcsync_on_close(void *user, struct wsc_conn *c, const char *reason)
{
    struct rpcsync *r = user;
    (void)c;
    r->open = false;
    snprintf(r->closed_reason, sizeof r->closed_reason, "%s", reason);
}

static void rpcsync_on_message(void *user, struct wsc_conn *c, const char *msg, size_t len)
{
    struct rpcsync *r = user;
    struct reply rep;
    (void)c;

    /* Notices and stale answers (of calls that timed out) are ignored. */
    if (r->answer != NULL || reply_parse(&rep, msg, len, NULL) < 0 || !rep.has_id ||
        rep.id != r->want_id)
        return;
    r->answer = malloc(len + 1);
    if (r->answer != NULL) {
        memcpy(r->answer, msg, len);
        r->answer[len] = '\0';
        r->answer_len = len;
    }
}

static void rpcsync_on_writable(void *user, struct wsc_conn *c)
{
    struct rpcsync *r = user;

    if (r->outgoing == NULL)
        return;
    r->send_rc = wsc_send(c, r->outgoing->buf, r->outgoing->len);
    if (r->send_rc == WSC_FULL)
        wsc_want_write(c);
    else
        r->outgoing = NULL;
}

static void rpcsync_on_timer(void *user)
{
    (void)user;
}

static const struct wsc_callbacks rpcsync_cb = {
    rpcsync_on_open, rpcsync_on_message, rpcsync_on_close, rpcsync_on_writable, rpcsync_on_timer,
};

struct rpcsync *rpcsync_new(const char *url, bool tls_insecure, const char *ca_file,
                            unsigned timeout_ms, char *err)
{
    struct wsc_config cfg = {.tls_insecure = tls_insecure, .ca_file = ca_file};
    struct rpcsync *r = calloc(1, sizeof *r);
    uint64_t deadline = timefmt_mono_ns() + (uint64_t)timeout_ms * 1000000u;

    if (r == NULL) {
        err_set(err, "out of memory");
        return NULL;
    }
    r->w = wsc_new(&cfg, &rpcsync_cb, r, err);
    if (r->w == NULL)
        goto fail;
    r->c = wsc_connect(r->w, url, r, err);
    if (r->c == NULL)
        goto fail;
    while (!r->open && timefmt_mono_ns() < deadline)
        if (wsc_service(r->w, 50) < 0)
            break;
    if (!r->open) {
        err_set(err, "%s: %s", url, r->closed_reason[0] ? r->closed_reason : "connection timed out");
        goto fail;
    }
    return r;
fail:
    rpcsync_free(r);
    return NULL;
}

void rpcsync_free(struct rpcsync *r)
{
    if (r == NULL)
        return;
    wsc_free(r->w);
    free(r->answer);
    free(r);
}

const char *rpcsync_url(const struct rpcsync *r)
{
    return wsc_conn_url(r->c);
}

/* Renders the node's error as one line. */
static void rpcsync_error(const struct jv *error, const char *method, char *err)
{
    const struct jv *data = jv_get(error, "data");
    size_t mlen = 0, nlen = 0;
    const char *msg = jv_str(jv_get(data, "message"), &mlen);
    const char *name = jv_str(jv_get(data, "name"), &nlen);
    char safe_msg[160], safe_name[64];
    int64_t code = 0;

    if (msg == NULL)
        msg = jv_str(jv_get(error, "message"), &mlen);
    /* The node's words go to the terminal: escaped (reply.h). */
    reply_escape(safe_msg, sizeof safe_msg, msg, msg != NULL ? mlen : 0);
    reply_escape(safe_name, sizeof safe_name, name, name != NULL ? nlen : 0);
    jv_int64(jv_get(error, "code"), INT64_MIN, INT64_MAX, &code, NULL);
    err_set(err, "%s: %s (code %lld%s%s)", method, msg != NULL ? safe_msg : "error without message",
            (long long)code, name != NULL ? " " : "", safe_name);
}

int rpcsync_call(struct rpcsync *r, const char *api, const char *method, const char *params,
                 unsigned timeout_ms, struct jv **root, const struct jv **result, char *err)
{
    uint64_t deadline = timefmt_mono_ns() + (uint64_t)timeout_ms * 1000000u;
    bool numeric = api[0] >= '0' && api[0] <= '9';
    struct sbuf req;
    struct jv *v = NULL;
    const struct jv *error;
    int rc = -1, s;

    *root = NULL;
    *result = NULL;
    free(r->answer);
    r->answer = NULL;
    r->want_id = ++r->next_id;
    sbuf_init(&req);
    sbuf_addf(&req, "{\"id\":%llu,\"method\":\"call\",\"params\":[%s%s%s,\"%s\",%s]}",
              (unsigned long long)r->want_id, numeric ? "" : "\"", api, numeric ? "" : "\"",
              method, params);
    if (req.overflow) {
        err_set(err, "out of memory");
        goto cleanup;
    }
    r->outgoing = &req;
    r->send_rc = WSC_CLOSED;
    wsc_want_write(r->c);
    while (r->outgoing != NULL && r->open && timefmt_mono_ns() < deadline)
        if (wsc_service(r->w, 20) < 0)
            break;
    s = r->outgoing == NULL ? r->send_rc : WSC_CLOSED;
    r->outgoing = NULL;
    if (s != WSC_OK) {
        err_set(err, "%s: %s: cannot send (%s)", rpcsync_url(r), method,
                r->closed_reason[0] ? r->closed_reason : "connection not open");
        goto cleanup;
    }
    while (r->answer == NULL && r->open && timefmt_mono_ns() < deadline)
        if (wsc_service(r->w, 20) < 0)
            break;
    if (r->answer == NULL) {
        err_set(err, "%s: %s: %s", rpcsync_url(r), method,
                r->open ? "no answer in time" : r->closed_reason);
        goto cleanup;
    }
    v = jv_parse(r->answer, r->answer_len, JV_MAX_DEPTH, err);
    if (v == NULL) {
        err_prefix(err, "%s: %s: bad answer", rpcsync_url(r), method);
        goto cleanup;
    }
    error = jv_get(v, "error");
    if (error != NULL) {
        rpcsync_error(error, method, err);
        err_prefix(err, "%s", rpcsync_url(r));
        goto cleanup;
    }
    *result = jv_get(v, "result");
    if (*result == NULL) {
        err_set(err, "%s: %s: answer has neither result nor error", rpcsync_url(r), method);
        goto cleanup;
    }
    *root = v;
    v = NULL;
    rc = 0;
cleanup:
    jv_free(v);
    sbuf_free(&req);
    return rc;
}
