/* ws_testclient.c - see ws_testclient.h. */
#include "ws_testclient.h"

#include <libwebsockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct msg {
    struct msg *next;
    size_t len;
    char *text;
};

struct queue {
    struct msg *head, *tail;
};

struct wstc {
    struct lws_context *ctx;
    struct lws *wsi;
    bool connected, closed, failed, timed_out;
    int close_code;
    char *rx;
    size_t rx_len, rx_cap;
    struct queue replies, notices;
    /* The message being sent. */
    unsigned char *tx;
    size_t tx_len;
    bool tx_pending;
    lws_sorted_usec_list_t deadline;
};

static void push(struct queue *q, char *text, size_t len)
{
    struct msg *m = malloc(sizeof *m);

    if (m == NULL) {
        free(text);
        return;
    }
    m->next = NULL;
    m->len = len;
    m->text = text;
    if (q->tail != NULL)
        q->tail->next = m;
    else
        q->head = m;
    q->tail = m;
}

static char *pop(struct queue *q)
{
    struct msg *m = q->head;
    char *t;

    if (m == NULL)
        return NULL;
    q->head = m->next;
    if (q->head == NULL)
        q->tail = NULL;
    t = m->text;
    free(m);
    return t;
}

static void on_message(struct wstc *c)
{
    char *t = malloc(c->rx_len + 1);

    if (t == NULL)
        return;
    memcpy(t, c->rx, c->rx_len);
    t[c->rx_len] = '\0';
    if (strncmp(t, "{\"method\":\"notice\"", 18) == 0)
        push(&c->notices, t, c->rx_len);
    else
        push(&c->replies, t, c->rx_len);
    c->rx_len = 0;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len)
{
    struct wstc *c = lws_context_user(lws_get_context(wsi));

    (void)user;
    switch (reason) {
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        c->connected = true;
        break;
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        c->failed = c->closed = true;
        c->wsi = NULL;
        break;
    case LWS_CALLBACK_CLIENT_RECEIVE:
        if (c->rx_len + len > c->rx_cap) {
            size_t cap = c->rx_cap ? c->rx_cap : 4096;
            char *n;
            while (cap < c->rx_len + len)
                cap *= 2;
            n = realloc(c->rx, cap);
            if (n == NULL)
                return -1;
            c->rx = n;
            c->rx_cap = cap;
        }
        memcpy(c->rx + c->rx_len, in, len);
        c->rx_len += len;
        if (lws_is_final_fragment(wsi) && lws_remaining_packet_payload(wsi) == 0)
            on_message(c);
        break;
    case LWS_CALLBACK_CLIENT_WRITEABLE:
        if (c->tx_pending) {
            c->tx_pending = false;
            if (lws_write(wsi, c->tx + LWS_PRE, c->tx_len, LWS_WRITE_TEXT) < (int)c->tx_len)
                return -1;
        }
        break;
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
        if (len >= 2)
            c->close_code = ((const unsigned char *)in)[0] << 8 | ((const unsigned char *)in)[1];
        break;
    case LWS_CALLBACK_CLIENT_CLOSED:
        c->closed = true;
        c->wsi = NULL;
        break;
    default:
        break;
    }
    return 0;
}

static const struct lws_protocols protocols[] = {
    {"devnode-test", callback, 0, 65536, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static void deadline_cb(lws_sorted_usec_list_t *sul)
{
    struct wstc *c = lws_container_of(sul, struct wstc, deadline);

    c->timed_out = true;
    /* The deadline can fire in the timer pass of lws_service just before
     * it polls with no timer left (up to its 30 s default): wake that
     * poll, or a short wstc_recv would block for seconds. */
    lws_cancel_service(c->ctx);
}

/* Services until done(c) or the timeout; returns done(c). */
static bool service_until(struct wstc *c, bool (*done)(const struct wstc *), int timeout_ms)
{
    c->timed_out = false;
    lws_sul_schedule(c->ctx, 0, &c->deadline, deadline_cb, (lws_usec_t)timeout_ms * 1000);
    while (!done(c) && !c->timed_out)
        if (lws_service(c->ctx, 0) < 0)
            break;
    lws_sul_cancel(&c->deadline);
    return done(c);
}

static bool is_connected(const struct wstc *c)
{
    return c->connected || c->closed;
}

struct wstc *wstc_connect(int port, int timeout_ms, char *err)
{
    struct lws_context_creation_info info;
    struct lws_client_connect_info ci;
    struct wstc *c = calloc(1, sizeof *c);

    if (c == NULL)
        return NULL;
    lws_set_log_level(LLL_ERR, NULL);
    memset(&info, 0, sizeof info);
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = protocols;
    info.user = c;
    info.gid = -1;
    info.uid = -1;
    c->ctx = lws_create_context(&info);
    if (c->ctx == NULL) {
        if (err != NULL)
            snprintf(err, 256, "cannot create a libwebsockets context");
        free(c);
        return NULL;
    }
    memset(&ci, 0, sizeof ci);
    ci.context = c->ctx;
    ci.address = "127.0.0.1";
    ci.port = port;
    ci.path = "/";
    ci.host = "127.0.0.1";
    ci.origin = "127.0.0.1";
    ci.protocol = NULL;
    ci.pwsi = &c->wsi;
    if (lws_client_connect_via_info(&ci) == NULL ||
        !service_until(c, is_connected, timeout_ms) || !c->connected) {
        if (err != NULL)
            snprintf(err, 256, "cannot connect to ws://127.0.0.1:%d/", port);
        wstc_free(c);
        return NULL;
    }
    return c;
}

void wstc_free(struct wstc *c)
{
    char *t;

    if (c == NULL)
        return;
    if (c->ctx != NULL)
        lws_context_destroy(c->ctx);
    while ((t = pop(&c->replies)) != NULL)
        free(t);
    while ((t = pop(&c->notices)) != NULL)
        free(t);
    free(c->rx);
    free(c->tx);
    free(c);
}

static bool sent(const struct wstc *c)
{
    return !c->tx_pending || c->closed;
}

int wstc_send(struct wstc *c, const char *msg, size_t len, int timeout_ms)
{
    unsigned char *b;

    if (c->closed || c->wsi == NULL)
        return -1;
    b = realloc(c->tx, LWS_PRE + len);
    if (b == NULL)
        return -1;
    c->tx = b;
    memcpy(b + LWS_PRE, msg, len);
    c->tx_len = len;
    c->tx_pending = true;
    lws_callback_on_writable(c->wsi);
    if (!service_until(c, sent, timeout_ms) || c->tx_pending)
        return -1;
    return 0;
}

static bool has_reply(const struct wstc *c)
{
    return c->replies.head != NULL || c->closed;
}

static bool has_notice(const struct wstc *c)
{
    return c->notices.head != NULL || c->closed;
}

char *wstc_recv(struct wstc *c, int timeout_ms)
{
    if (c->replies.head == NULL)
        service_until(c, has_reply, timeout_ms);
    return pop(&c->replies);
}

char *wstc_recv_notice(struct wstc *c, int timeout_ms)
{
    if (c->notices.head == NULL)
        service_until(c, has_notice, timeout_ms);
    return pop(&c->notices);
}

char *wstc_call(struct wstc *c, const char *msg, int timeout_ms)
{
    if (wstc_send(c, msg, strlen(msg), timeout_ms) < 0)
        return NULL;
    return wstc_recv(c, timeout_ms);
}

static bool is_closed(const struct wstc *c)
{
    return c->closed;
}

bool wstc_wait_closed(struct wstc *c, int timeout_ms)
{
    return service_until(c, is_closed, timeout_ms);
}

int wstc_close_code(const struct wstc *c)
{
    return c->close_code;
}
