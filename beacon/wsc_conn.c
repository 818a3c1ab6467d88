/* wsc_conn.c - one websocket client connection: connecting and
 * reconnecting with backoff, the reason for each loss, message reassembly
 * (lws's ws role, for wss://), the liveness check. The context and event
 * loop are in wsc.c, sending in wsc_send.c, ws:// framing in wsc_raw.c. */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "err.h"
#include "timefmt.h"
#include "wsc_impl.h"

#define WSC_INITIAL_BUF 4096

static void conn_connect(struct wsc_conn *c);

void wsc_conn_free(struct wsc_conn *c)
{
    struct wsc *w = c->w;

    lws_sul_cancel(&c->sul_retry);
    lws_sul_cancel(&c->sul_live);
    if (c->prev)
        c->prev->next = c->next;
    else
        w->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    free(c->url);
    free(c->tx);
    free(c->rx);
    free(c);
}

static void retry_cb(lws_sorted_usec_list_t *sul)
{
    conn_connect(lws_container_of(sul, struct wsc_conn, sul_retry));
}

static uint64_t rng_next(struct wsc *w)
{
    /* xorshift64*: jitter only needs to decorrelate connections. */
    w->rng ^= w->rng >> 12;
    w->rng ^= w->rng << 25;
    w->rng ^= w->rng >> 27;
    return w->rng * 0x2545F4914F6CDD1Dull;
}

/* Exponential backoff with jitter in [d/2, d] so that K connections that
 * failed together do not reconnect in lock-step. */
static void schedule_retry(struct wsc_conn *c)
{
    struct wsc *w = c->w;
    uint64_t d = w->backoff_min_ms;

    for (unsigned i = 0; i < c->attempts && d < w->backoff_max_ms; i++)
        d *= 2;
    if (d > w->backoff_max_ms)
        d = w->backoff_max_ms;
    if (c->attempts < 64)
        c->attempts++;
    d *= 1000; /* µs */
    d = d / 2 + rng_next(w) % (d / 2 + 1);
    lws_sul_schedule(w->ctx, 0, &c->sul_retry, retry_cb, (lws_usec_t)d);
}

/* The current wsi is gone (or never came up): report and retry. The wsi
 * is detached so that its last callbacks cannot reach a later attempt. */
static void conn_lost(struct wsc_conn *c, struct lws *wsi, const char *reason)
{
    struct wsc *w = c->w;

    if (wsi)
        lws_set_opaque_user_data(wsi, NULL);
    if (c->state == WSC_S_WAIT)
        return;
    lws_sul_cancel(&c->sul_live);
    c->state = WSC_S_WAIT;
    c->wsi = NULL;
    c->rxlen = 0;
    wsc_batch_drop(c);
    wsc_raw_reset(c);
    c->unchecked = 0;
    c->send_failed = false;
    c->ping_out = false;
    c->ping_want = false;
    if (w->freeing || c->dead)
        return;
    w->events++;
    if (w->cb.on_close)
        w->cb.on_close(w->user, c, reason);
    if (!c->dead)
        schedule_retry(c);
}

/* Gives up the current wsi at once, from our side: it is detached (lws
 * closes it at its next service, without telling us) and the loss is
 * reported now. A dead link would otherwise keep a closing wsi waiting
 * for its close frame to be acknowledged. */
static void conn_drop(struct wsc_conn *c, const char *reason)
{
    struct lws *wsi = c->wsi;

    if (wsi) {
        lws_set_opaque_user_data(wsi, NULL);
        lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
    }
    conn_lost(c, wsi, reason);
}

static void live_cb(lws_sorted_usec_list_t *sul);

static void live_at(struct wsc_conn *c, uint64_t in_ns)
{
    lws_sul_schedule(c->w->ctx, 0, &c->sul_live, live_cb, (lws_usec_t)((in_ns + 999) / 1000));
}

/* Returns -1 if the socket refused the PING. */
static int conn_ping(struct wsc_conn *c)
{
    unsigned char buf[LWS_PRE + 1] = {0};

    /* Behind queued data the PING would wait anyway; it goes first when
     * there is room, and its deadline runs from now regardless. */
    if (lws_send_pipe_choked(c->wsi)) {
        c->ping_want = true;
        lws_callback_on_writable(c->wsi);
        return 0;
    }
    c->ping_want = false;
    if (c->raw)
        return wsc_send_control(c, WSC_OP_PING, NULL, 0);
    return lws_write(c->wsi, buf + LWS_PRE, 0, LWS_WRITE_PING) < 0 ? -1 : 0;
}

/* The liveness timer: one per open connection, re-armed only here and when
 * the answer to a PING arrives, so receiving costs a clock read and the
 * check is O(1) per connection per ping_interval. Also delivers the
 * on_close of wsc_reconnect, inside wsc_service like every callback.
 * (lws 4.1's own check, the retry policy's secs_since_valid_ping/hangup,
 * counts whole seconds, is satisfied only by PONGs, and hangs up without
 * saying why.) */
static void live_cb(lws_sorted_usec_list_t *sul)
{
    struct wsc_conn *c = lws_container_of(sul, struct wsc_conn, sul_live);
    struct wsc *w = c->w;
    char why[WSC_REASON_LEN];
    uint64_t now, quiet;

    if (c->dead || w->freeing)
        return;
    if (c->state == WSC_S_DROPPING) {
        conn_lost(c, NULL, c->reason);
        wsc_end_burst(w);
        return;
    }
    if (c->state != WSC_S_OPEN || !w->ping_interval_ns)
        return;
    now = timefmt_mono_ns();
    quiet = now > c->last_rx_ns ? now - c->last_rx_ns : 0;
    if (c->ping_out) {
        if (now - c->ping_ns < w->ping_timeout_ns) {
            live_at(c, c->ping_ns + w->ping_timeout_ns - now);
            return;
        }
        snprintf(why, sizeof(why), "no answer for %llu ms (link dead?)",
                 (unsigned long long)(quiet / 1000000u));
        conn_drop(c, why);
        wsc_end_burst(w);
        return;
    }
    if (quiet < w->ping_interval_ns) {
        live_at(c, w->ping_interval_ns - quiet);
        return;
    }
    c->ping_out = true;
    c->ping_ns = now;
    if (conn_ping(c) < 0) {
        conn_drop(c, "send failed (ping)");
        wsc_end_burst(w);
        return;
    }
    live_at(c, w->ping_timeout_ns);
}

/* Something arrived: the link is alive. */
void wsc_conn_heard(struct wsc_conn *c)
{
    c->last_rx_ns = timefmt_mono_ns();
    if (c->ping_out) {
        c->ping_out = false;
        live_at(c, c->w->ping_interval_ns);
    }
}

/* The reason for a failed connection attempt, as precise as lws 4.1 allows.
 * It closes the socket before reporting and passes no errno, so a refused
 * and an unreachable address both read "Unable to connect"; for TLS its
 * text is generic and the X509 verdict is in the line it logged just
 * before (wsc_lws_last). */
static void failure_reason(const struct wsc_conn *c, const char *in, size_t len, char *out,
                           size_t outlen)
{
    char msg[WSC_REASON_LEN];
    size_t n;

    snprintf(msg, sizeof(msg), "%.*s", in ? (int)(len ? len : strlen(in)) : 0, in ? in : "");
    for (n = strlen(msg); n && (msg[n - 1] == '\n' || msg[n - 1] == ' '); n--)
        msg[n - 1] = '\0';
    if (c->u.tls && !strncmp(wsc_lws_last, "SSL error: ", 11)) {
        char *paren = strstr(wsc_lws_last, " (preverify_ok");

        if (paren)
            *paren = '\0';
        snprintf(out, outlen, "TLS handshake failed: %.160s", wsc_lws_last + 11);
    } else if (c->u.tls && (strstr(msg, "SSL") || strstr(msg, "TLS") || strstr(msg, "tls"))) {
        snprintf(out, outlen, "TLS handshake failed: %.160s", msg);
    } else if (!strcmp(msg, "Unable to connect")) {
        snprintf(out, outlen, "connection refused or unreachable");
    } else if (msg[0]) {
        snprintf(out, outlen, "connect failed: %.160s", msg);
    } else {
        snprintf(out, outlen, "connect failed");
    }
    wsc_lws_last[0] = '\0';
}

/* lws 4.1 resolves names synchronously and returns NULL without saying
 * why; asking the resolver again (only on this failure path) names it. */
static void unresolved_reason(const struct wsc_conn *c, char *out, size_t outlen)
{
    struct addrinfo hints, *res = NULL;
    char port[8];
    int rc;

    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_STREAM;
    snprintf(port, sizeof(port), "%d", c->u.port);
    rc = getaddrinfo(c->u.host, port, &hints, &res);
    if (rc)
        snprintf(out, outlen, "cannot resolve %.100s: %.60s", c->u.host, gai_strerror(rc));
    else
        snprintf(out, outlen, "cannot start a connection to %.100s:%d%s%.40s", c->u.host,
                 c->u.port, wsc_lws_last[0] ? ": " : "", wsc_lws_last);
    if (res)
        freeaddrinfo(res);
}

static void conn_connect(struct wsc_conn *c)
{
    struct wsc *w = c->w;
    struct lws_client_connect_info ci;
    struct lws *wsi;
    char reason[WSC_REASON_LEN];

    if (c->dead || w->freeing || c->state != WSC_S_WAIT)
        return;
    memset(&ci, 0, sizeof(ci));
    ci.context = w->ctx;
    ci.address = c->u.host;
    ci.port = c->u.port;
    ci.path = c->u.path;
    ci.host = c->u.hostport;
    ci.origin = c->u.hostport;
    ci.local_protocol_name = w->protocols[0].name;
    ci.opaque_user_data = c;
    if (c->raw)
        ci.method = "RAW"; /* the websocket handshake and frames are wsc_raw.c's */
    if (c->u.tls) {
        ci.ssl_connection = LCCSCF_USE_SSL;
        if (w->tls_insecure)
            ci.ssl_connection |= LCCSCF_ALLOW_SELFSIGNED | LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK |
                                 LCCSCF_ALLOW_EXPIRED | LCCSCF_ALLOW_INSECURE;
    }
    c->state = WSC_S_CONNECTING;
    c->reason[0] = '\0';
    wsc_lws_last[0] = '\0';
    wsi = lws_client_connect_via_info(&ci);
    if (c->state != WSC_S_CONNECTING)
        return; /* failed synchronously; conn_lost already ran */
    if (!wsi) {
        unresolved_reason(c, reason, sizeof(reason));
        conn_lost(c, NULL, reason);
        return;
    }
    c->wsi = wsi;
}

void wsc_conn_peer_close(struct wsc_conn *c, const unsigned char *in, size_t len)
{
    if (len >= 2) {
        unsigned code = (unsigned)in[0] << 8 | in[1];
        size_t tl = len - 2 > 100 ? 100 : len - 2;
        char text[101];

        /* The reason text is the peer's: keep it printable. */
        for (size_t i = 0; i < tl; i++)
            text[i] = (in[2 + i] >= 0x20 && in[2 + i] < 0x7f) ? (char)in[2 + i] : '?';
        text[tl] = '\0';
        snprintf(c->reason, sizeof(c->reason), "closed by peer (code %u%s%s)", code,
                 tl ? ": " : "", text);
    } else {
        snprintf(c->reason, sizeof(c->reason), "closed by peer (no code)");
    }
}

void *wsc_grow(void *p, size_t *cap, size_t need, size_t headroom)
{
    size_t n = *cap ? *cap : WSC_INITIAL_BUF;

    while (n < need)
        n *= 2;
    p = realloc(p, n + headroom);
    if (p)
        *cap = n;
    return p;
}

size_t wsc_conn_rx_limit(const struct wsc *w, const struct wsc_conn *c)
{
    size_t lim = w->max_rx;

    if (w->max_rx_per_sent > 0 && c->max_sent > lim / w->max_rx_per_sent)
        lim = c->max_sent > w->max_frame / w->max_rx_per_sent ? w->max_frame
                                                              : c->max_sent * w->max_rx_per_sent;
    return lim < w->max_frame ? lim : w->max_frame;
}

int wsc_conn_reserve(struct wsc_conn *c, uint64_t more)
{
    struct wsc *w = c->w;
    size_t lim = wsc_conn_rx_limit(w, c);
    size_t total = more > SIZE_MAX - 1 - c->rxlen ? SIZE_MAX - 1 : c->rxlen + (size_t)more;

    if (total > lim) {
        snprintf(c->reason, sizeof(c->reason), "received message over %s (at least %zu bytes > %zu)",
                 lim == w->max_frame ? "max_frame" : "the receive limit", total, lim);
        return -1;
    }
    /* What the current frame still announces is reserved at once, so a
     * large frame arriving in chunks grows the buffer once, not log2(size)
     * times. */
    if (total + 1 > c->rxcap) {
        char *rx = wsc_grow(c->rx, &c->rxcap, total + 1, 0);

        if (!rx) {
            snprintf(c->reason, sizeof(c->reason), "out of memory for a %zu-byte message", total);
            return -2;
        }
        c->rx = rx;
    }
    return 0;
}

void wsc_conn_deliver(struct wsc_conn *c)
{
    struct wsc *w = c->w;
    size_t len = c->rxlen;

    c->rx[len] = '\0';
    c->rxlen = 0;
    c->last_msg_ns = c->last_rx_ns;
    if (w->cb.on_message)
        w->cb.on_message(w->user, c, c->rx, len);
}

/* Returns -1 to make lws close the connection (reason set in c->reason). */
static int conn_receive(struct wsc_conn *c, struct lws *wsi, const char *in, size_t len)
{
    size_t remaining = lws_remaining_packet_payload(wsi);
    int r;

    /* Checked before anything is buffered or parsed: a hostile node cannot
     * make this connection hold (or the caller parse) more than its role needs. */
    if ((r = wsc_conn_reserve(c, (uint64_t)len + remaining)) < 0) {
        if (r == -1)
            lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, (unsigned char *)"too big", 7);
        return -1;
    }
    if (len)
        memcpy(c->rx + c->rxlen, in, len);
    c->rxlen += len;
    if (lws_is_final_fragment(wsi) && !remaining)
        wsc_conn_deliver(c);
    return 0;
}

void wsc_conn_opened(struct wsc_conn *c, struct lws *wsi)
{
    struct wsc *w = c->w;

    c->wsi = wsi;
    c->state = WSC_S_OPEN;
    c->attempts = 0;
    c->rxlen = 0;
    c->reason[0] = '\0';
    c->last_rx_ns = c->last_msg_ns = timefmt_mono_ns();
    c->ping_out = c->ping_want = false;
    if (w->ping_interval_ns)
        live_at(c, w->ping_interval_ns);
    w->events++;
    if (w->cb.on_open)
        w->cb.on_open(w->user, c);
}

int wsc_conn_dispatch(struct wsc *w, struct lws *wsi, enum lws_callback_reasons reason, void *in,
                      size_t len)
{
    struct wsc_conn *c = lws_get_opaque_user_data(wsi);
    char why[WSC_REASON_LEN];

    if (!c || c->dead)
        return 0;
    switch (reason) {
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        failure_reason(c, in, len, why, sizeof(why));
        conn_lost(c, wsi, why);
        return 0;
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        wsc_conn_opened(c, wsi);
        return 0;
    case LWS_CALLBACK_RAW_CONNECTED:
        return wsc_raw_connected(c, wsi);
    case LWS_CALLBACK_RAW_RX:
        w->events++;
        return wsc_raw_rx(c, in, len);
    case LWS_CALLBACK_RAW_CLOSE:
        conn_lost(c, wsi, wsc_raw_close_reason(c));
        return 0;
    case LWS_CALLBACK_CLIENT_RECEIVE:
        if (c->state != WSC_S_OPEN)
            return 0;
        w->events++;
        wsc_conn_heard(c);
        if (conn_receive(c, wsi, in, len))
            return -1;
        return c->send_failed ? -1 : 0;
    case LWS_CALLBACK_CLIENT_RECEIVE_PONG:
        if (c->state == WSC_S_OPEN)
            wsc_conn_heard(c);
        return 0;
    case LWS_CALLBACK_CLIENT_WRITEABLE:
    case LWS_CALLBACK_RAW_WRITEABLE:
        w->events++;
        if (c->state == WSC_S_OPEN && c->ping_want && conn_ping(c) < 0) {
            snprintf(c->reason, sizeof(c->reason), "send failed (ping)");
            return -1;
        }
        if (c->state == WSC_S_OPEN && w->cb.on_writable)
            w->cb.on_writable(w->user, c);
        return c->send_failed ? -1 : 0;
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
        wsc_conn_peer_close(c, in, len);
        return 0;
    case LWS_CALLBACK_CLIENT_CLOSED:
        conn_lost(c, wsi,
                  c->reason[0] ? c->reason : "connection lost (closed without a close frame)");
        return 0;
    case LWS_CALLBACK_WSI_DESTROY:
        /* Backstop: whatever path destroyed our wsi, keep no stale pointer. */
        conn_lost(c, wsi, c->reason[0] ? c->reason : "connection closed");
        return 0;
    default:
        return 0;
    }
}

struct wsc_conn *wsc_connect(struct wsc *w, const char *url, void *tag, char *err)
{
    struct wsc_conn *c;

    if (!w || !url) {
        err_set(err, "wsc_connect: no client or url");
        return NULL;
    }
    c = calloc(1, sizeof(*c));
    if (!c) {
        err_set(err, "wsc_connect: out of memory");
        return NULL;
    }
    if (wsurl_parse(&c->u, url, err)) {
        free(c);
        return NULL;
    }
    if (c->u.tls)
        wsc_tls_load_cas(w);
    /* lws 4.1.6 cannot start TLS on a raw client socket (it fails with
     * EBADF before the connection is up), so wss:// keeps lws's frames. */
    c->raw = !w->lws_frames && !c->u.tls;
    c->url = strdup(url);
    if (!c->url) {
        err_set(err, "wsc_connect: out of memory");
        free(c);
        return NULL;
    }
    c->w = w;
    c->tag = tag;
    c->state = WSC_S_WAIT;
    c->next = w->conns;
    if (w->conns)
        w->conns->prev = c;
    w->conns = c;
    /* Connect from the service loop, so that even an immediate failure is
     * reported through on_close after the caller has the handle. */
    lws_sul_schedule(w->ctx, 0, &c->sul_retry, retry_cb, 1);
    return c;
}

void wsc_close(struct wsc_conn *c)
{
    struct wsc *w;

    if (!c || c->dead)
        return;
    w = c->w;
    c->dead = true;
    lws_sul_cancel(&c->sul_retry);
    lws_sul_cancel(&c->sul_live);
    if (c->wsi) {
        /* Detached: lws closes it at its next service, without telling us. */
        lws_set_opaque_user_data(c->wsi, NULL);
        lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
        c->wsi = NULL;
    }
    c->state = WSC_S_WAIT;
    if (w->in_service)
        w->ndead++;
    else
        wsc_conn_free(c);
}

void *wsc_conn_tag(const struct wsc_conn *c)
{
    return c ? c->tag : NULL;
}

const char *wsc_conn_url(const struct wsc_conn *c)
{
    return c ? c->url : NULL;
}

bool wsc_conn_is_open(const struct wsc_conn *c)
{
    return c && !c->dead && c->state == WSC_S_OPEN && !c->send_failed;
}

uint64_t wsc_conn_last_message_ns(const struct wsc_conn *c)
{
    return wsc_conn_is_open(c) ? c->last_msg_ns : 0;
}

void wsc_reconnect(struct wsc_conn *c, const char *reason)
{
    if (!c || c->dead || (c->state != WSC_S_OPEN && c->state != WSC_S_CONNECTING))
        return;
    if (c->wsi) {
        lws_set_opaque_user_data(c->wsi, NULL);
        lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
        c->wsi = NULL;
    }
    snprintf(c->reason, sizeof(c->reason), "%s", reason ? reason : "reconnect requested");
    c->state = WSC_S_DROPPING;
    /* on_close from the service loop: the caller may be in the middle of
     * its own bookkeeping for this connection. */
    lws_sul_schedule(c->w->ctx, 0, &c->sul_live, live_cb, 1);
}

void wsc_want_write(struct wsc_conn *c)
{
    if (wsc_conn_is_open(c))
        lws_callback_on_writable(c->wsi);
}
