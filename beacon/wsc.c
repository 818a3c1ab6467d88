/* wsc.c - websocket client connections on one libwebsockets context.
 *
 * Every user callback runs inside wsc_service (from the lws protocol
 * callback or from the timer check after lws_service returns), so a
 * connection closed by the user while we are dispatching is only marked
 * dead there and freed when wsc_service is about to return. */
#include "wsc.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netdb.h>
#include <sys/socket.h>
#include <time.h>

#include <libwebsockets.h>

#include "err.h"
#include "timefmt.h"
#include "wsurl.h"

#define WSC_REASON_LEN 192
#define WSC_DEFAULT_MAX_FRAME ((size_t)32 << 20)
#define WSC_INITIAL_BUF 4096
/* Bytes lws reads or writes per syscall; larger frames are buffered by lws
 * and drained in chunks of this size. */
#define WSC_IO_CHUNK 65536

enum wsc_state { WSC_S_WAIT, WSC_S_CONNECTING, WSC_S_OPEN };

struct wsc_conn {
    struct wsc *w;
    struct wsc_conn *prev, *next;
    struct lws *wsi; /* NULL unless CONNECTING or OPEN */
    lws_sorted_usec_list_t sul_retry;
    enum wsc_state state;
    bool dead;          /* wsc_close()d; freed at the end of wsc_service */
    bool send_failed;   /* lws_write failed: the wsi is being killed */
    unsigned attempts;  /* failures since the last successful open */
    void *tag;
    char *url;
    struct wsurl u;
    unsigned char *tx;  /* LWS_PRE headroom + txcap bytes */
    size_t txcap;
    char *rx;           /* reassembled message, rxcap bytes (NUL included) */
    size_t rxlen, rxcap;
    char reason[WSC_REASON_LEN]; /* why the current wsi is going away */
};

struct wsc {
    struct lws_context *ctx;
    struct lws_protocols protocols[2];
    struct wsc_callbacks cb;
    void *user;
    bool tls_insecure;
    size_t max_frame;
    unsigned backoff_min_ms, backoff_max_ms;
    uint64_t rng;
    struct wsc_conn *conns;
    unsigned ndead;
    int in_service;
    bool freeing;
    lws_sorted_usec_list_t sul_wait;
    bool timer_armed;
    uint64_t timer_due_ns;
    unsigned events; /* callbacks delivered in this wsc_service */
    atomic_bool wake; /* set by wsc_wake, from any thread */
};

static void conn_connect(struct wsc_conn *c);

/* lws 4.1 hands CLIENT_CONNECTION_ERROR a generic text ("connect SSL err
 * 1: ...") and logs the useful part (the X509 verdict) as an error line
 * just before, on the same thread. So lws's log lines are caught here: the
 * last one is kept per thread for the reason, TLS verdicts are not printed
 * (they reach the main layer through on_close), nor those during wsc_new
 * (they reach err); anything else goes to stderr as lws would print it. */
static _Thread_local char wsc_lws_last[WSC_REASON_LEN];
static _Thread_local bool wsc_lws_quiet; /* wsc_new reports errors itself */

static void wsc_lws_log(int level, const char *line)
{
    const char *p = strstr(line, "] E: ");
    size_t n;

    p = p ? p + 5 : line;
    snprintf(wsc_lws_last, sizeof(wsc_lws_last), "%s", p);
    n = strlen(wsc_lws_last);
    while (n && (wsc_lws_last[n - 1] == '\n' || wsc_lws_last[n - 1] == ' '))
        wsc_lws_last[--n] = '\0';
    if (!wsc_lws_quiet && strncmp(p, "SSL error: ", 11))
        lwsl_emit_stderr(level, line);
}

/* The reason for a failed connection attempt, as precise as lws allows:
 * it closes the socket before reporting and passes no errno, so a refused
 * and an unreachable address both read "Unable to connect". */
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

static void conn_free(struct wsc_conn *c)
{
    struct wsc *w = c->w;

    lws_sul_cancel(&c->sul_retry);
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
    c->state = WSC_S_WAIT;
    c->wsi = NULL;
    c->rxlen = 0;
    c->send_failed = false;
    if (w->freeing || c->dead)
        return;
    w->events++;
    if (w->cb.on_close)
        w->cb.on_close(w->user, c, reason);
    if (!c->dead)
        schedule_retry(c);
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
        snprintf(out, outlen, "cannot start a connection to %.100s:%d%s%.40s", c->u.host, c->u.port,
                 wsc_lws_last[0] ? ": " : "", wsc_lws_last);
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

static void peer_close_reason(struct wsc_conn *c, const unsigned char *in, size_t len)
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

/* Grows p to at least need (+ headroom) bytes by doubling; NULL (p kept)
 * when out of memory. */
static void *grow(void *p, size_t *cap, size_t need, size_t headroom)
{
    size_t n = *cap ? *cap : WSC_INITIAL_BUF;

    while (n < need)
        n *= 2;
    p = realloc(p, n + headroom);
    if (p)
        *cap = n;
    return p;
}

/* Returns -1 to make lws close the connection (reason set in c->reason). */
static int conn_receive(struct wsc *w, struct wsc_conn *c, struct lws *wsi, const char *in,
                        size_t len)
{
    size_t remaining = lws_remaining_packet_payload(wsi);
    size_t total = c->rxlen + len + remaining;

    if (total > w->max_frame) {
        snprintf(c->reason, sizeof(c->reason),
                 "received message over max_frame (at least %zu bytes > %zu)", total, w->max_frame);
        lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, (unsigned char *)"too big", 7);
        return -1;
    }
    /* Reserve what the current frame still announces so a large frame
     * arriving in chunks grows the buffer once, not log2(size) times. */
    if (total + 1 > c->rxcap) {
        char *rx = grow(c->rx, &c->rxcap, total + 1, 0);

        if (!rx) {
            snprintf(c->reason, sizeof(c->reason), "out of memory for a %zu-byte message", total);
            return -1;
        }
        c->rx = rx;
    }
    if (len)
        memcpy(c->rx + c->rxlen, in, len);
    c->rxlen += len;
    if (!lws_is_final_fragment(wsi) || remaining)
        return 0;
    c->rx[c->rxlen] = '\0';
    len = c->rxlen;
    c->rxlen = 0;
    if (w->cb.on_message)
        w->cb.on_message(w->user, c, c->rx, len);
    return 0;
}

static int wsc_lws_cb(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                      size_t len)
{
    struct lws_context *ctx = lws_get_context(wsi);
    struct wsc *w = ctx ? lws_context_user(ctx) : NULL;
    struct wsc_conn *c = lws_get_opaque_user_data(wsi);
    char why[WSC_REASON_LEN];

    (void)user;
    if (!w || w->freeing)
        return 0;
    /* lws also cancels its own waits (once at start-up): only a wake
     * that wsc_wake asked for ends wsc_service. */
    if (reason == LWS_CALLBACK_EVENT_WAIT_CANCELLED && atomic_exchange(&w->wake, false))
        w->events++;
    if (!c || c->dead)
        return 0;
    switch (reason) {
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        failure_reason(c, in, len, why, sizeof(why));
        conn_lost(c, wsi, why);
        return 0;
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        c->wsi = wsi;
        c->state = WSC_S_OPEN;
        c->attempts = 0;
        c->rxlen = 0;
        c->reason[0] = '\0';
        w->events++;
        if (w->cb.on_open)
            w->cb.on_open(w->user, c);
        return 0;
    case LWS_CALLBACK_CLIENT_RECEIVE:
        if (c->state != WSC_S_OPEN)
            return 0;
        w->events++;
        if (conn_receive(w, c, wsi, in, len))
            return -1;
        return c->send_failed ? -1 : 0;
    case LWS_CALLBACK_CLIENT_WRITEABLE:
        w->events++;
        if (c->state == WSC_S_OPEN && w->cb.on_writable)
            w->cb.on_writable(w->user, c);
        return c->send_failed ? -1 : 0;
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
        peer_close_reason(c, in, len);
        return 0;
    case LWS_CALLBACK_CLIENT_CLOSED:
        conn_lost(c, wsi, c->reason[0] ? c->reason : "connection lost (closed without a close frame)");
        return 0;
    case LWS_CALLBACK_WSI_DESTROY:
        /* Backstop: whatever path destroyed our wsi, never keep a stale pointer. */
        conn_lost(c, wsi, c->reason[0] ? c->reason : "connection closed");
        return 0;
    default:
        return 0;
    }
}

/* sul_wait only bounds lws's poll wait. lws runs ripe events BEFORE it
 * polls, so if the deadline passed before lws looked, this runs and the
 * poll must not block: wake it. */
static void wait_cb(lws_sorted_usec_list_t *sul)
{
    lws_cancel_service(lws_container_of(sul, struct wsc, sul_wait)->ctx);
}

struct wsc *wsc_new(const struct wsc_config *cfg, const struct wsc_callbacks *cb, void *user,
                    char *err)
{
    struct lws_context_creation_info info;
    struct wsc *w = NULL;

    if (!cb) {
        err_set(err, "wsc_new: callbacks are required");
        goto fail;
    }
    w = calloc(1, sizeof(*w));
    if (!w) {
        err_set(err, "wsc_new: out of memory");
        goto fail;
    }
    w->cb = *cb;
    w->user = user;
    w->max_frame = cfg && cfg->max_frame ? cfg->max_frame : WSC_DEFAULT_MAX_FRAME;
    w->backoff_min_ms = cfg && cfg->backoff_min_ms ? cfg->backoff_min_ms : 100;
    w->backoff_max_ms = cfg && cfg->backoff_max_ms ? cfg->backoff_max_ms : 5000;
    if (w->backoff_max_ms < w->backoff_min_ms)
        w->backoff_max_ms = w->backoff_min_ms;
    w->tls_insecure = cfg && cfg->tls_insecure;
    w->rng = timefmt_mono_ns() ^ (uint64_t)(uintptr_t)w ^ 0x9E3779B97F4A7C15ull;
    if (!w->rng)
        w->rng = 1;
    if (w->max_frame > (size_t)1 << 31) {
        err_set(err, "wsc_new: max_frame %zu is over the 2 GiB lws can frame", w->max_frame);
        goto fail;
    }

    w->protocols[0].name = "wsc";
    w->protocols[0].callback = wsc_lws_cb;
    w->protocols[0].rx_buffer_size = WSC_IO_CHUNK;
    w->protocols[0].tx_packet_size = WSC_IO_CHUNK;

    /* The program's main layer logs; lws only speaks up for real errors. */
    lws_set_log_level(LLL_ERR, wsc_lws_log);
    memset(&info, 0, sizeof(info));
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = w->protocols;
    info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.client_ssl_ca_filepath = cfg ? cfg->ca_file : NULL;
    info.user = w;
    info.count_threads = 1;
    info.timeout_secs = 10;
    info.pt_serv_buf_size = WSC_IO_CHUNK;
    if (cfg && cfg->ca_file) {
        FILE *f = fopen(cfg->ca_file, "r");

        if (!f) {
            err_set(err, "wsc_new: ca_file %.200s: %s", cfg->ca_file, strerror(errno));
            goto fail;
        }
        fclose(f);
    }
    /* lws reports a CA bundle it cannot load only in its log. */
    wsc_lws_last[0] = '\0';
    wsc_lws_quiet = true;
    w->ctx = lws_create_context(&info);
    wsc_lws_quiet = false;
    if (!w->ctx || (cfg && cfg->ca_file && strstr(wsc_lws_last, "certs"))) {
        err_set(err, "wsc_new: cannot create the libwebsockets context%s%.200s",
                wsc_lws_last[0] ? ": " : "", wsc_lws_last);
        goto fail;
    }
    return w;
fail:
    if (w && w->ctx)
        lws_context_destroy(w->ctx);
    free(w);
    return NULL;
}

void wsc_free(struct wsc *w)
{
    if (!w)
        return;
    w->freeing = true;
    for (struct wsc_conn *c = w->conns; c; c = c->next) {
        lws_sul_cancel(&c->sul_retry);
        if (c->wsi)
            lws_set_opaque_user_data(c->wsi, NULL);
    }
    lws_sul_cancel(&w->sul_wait);
    lws_context_destroy(w->ctx);
    while (w->conns)
        conn_free(w->conns);
    free(w);
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
        conn_free(c);
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

void wsc_want_write(struct wsc_conn *c)
{
    if (wsc_conn_is_open(c))
        lws_callback_on_writable(c->wsi);
}

int wsc_send(struct wsc_conn *c, const char *text, size_t len)
{
    if (!wsc_conn_is_open(c))
        return WSC_CLOSED;
    if (len > c->w->max_frame)
        return WSC_TOOBIG;
    /* Checked before copying so that nothing is ever half-queued here;
     * lws buffers a partial write itself and reports choked until drained. */
    if (lws_send_pipe_choked(c->wsi)) {
        lws_callback_on_writable(c->wsi);
        return WSC_FULL;
    }
    if (len > c->txcap || !c->tx) {
        unsigned char *tx = grow(c->tx, &c->txcap, len, LWS_PRE);

        if (!tx) {
            snprintf(c->reason, sizeof(c->reason), "out of memory for a %zu-byte frame", len);
            goto broken;
        }
        c->tx = tx;
    }
    if (len)
        memcpy(c->tx + LWS_PRE, text, len);
    if (lws_write(c->wsi, c->tx + LWS_PRE, len, LWS_WRITE_TEXT) < 0) {
        snprintf(c->reason, sizeof(c->reason), "send failed");
        goto broken;
    }
    return WSC_OK;
broken:
    /* lws closes the wsi; CLIENT_CLOSED then reports c->reason. */
    c->send_failed = true;
    lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
    return WSC_CLOSED;
}

static void fire_timer(struct wsc *w)
{
    if (!w->timer_armed || timefmt_mono_ns() < w->timer_due_ns)
        return;
    w->timer_armed = false;
    w->events++;
    if (w->cb.on_timer)
        w->cb.on_timer(w->user);
}

static void sweep_dead(struct wsc *w)
{
    struct wsc_conn *c = w->conns, *next;

    for (; c && w->ndead; c = next) {
        next = c->next;
        if (c->dead) {
            conn_free(c);
            w->ndead--;
        }
    }
}

/* lws polls with millisecond timeouts rounded down, so it wakes up to 1 ms
 * early. For the caller's timeout that is rounded up; for the timer, whose
 * due time must be kept to the microsecond, the last part of the wait is
 * a sleep on the monotonic clock once lws has nothing to do. */
static int service_once(struct wsc *w, uint64_t now, uint64_t end)
{
    uint64_t until = end;
    bool timer = false;
    int n;

    if (w->timer_armed && w->timer_due_ns <= end) {
        until = w->timer_due_ns;
        timer = true;
    }
    if (w->events || until < now + 1000000) {
        n = lws_service(w->ctx, -1);
        if (timer && !w->events && n >= 0 && until > now) {
            struct timespec ts = {(time_t)(until / 1000000000u), (long)(until % 1000000000u)};

            while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
                ;
        }
        return n;
    }
    lws_sul_schedule(w->ctx, 0, &w->sul_wait, wait_cb,
                     (lws_usec_t)((until - now) / 1000 + (timer ? 0 : 1000)));
    n = lws_service(w->ctx, 0);
    lws_sul_cancel(&w->sul_wait);
    return n;
}

int wsc_service(struct wsc *w, int timeout_ms)
{
    uint64_t now, end;
    int n;

    if (!w)
        return -1;
    w->in_service++;
    w->events = 0;
    now = timefmt_mono_ns();
    end = now + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0) * 1000000u;
    fire_timer(w);
    for (;;) {
        n = service_once(w, now, end);
        fire_timer(w);
        now = timefmt_mono_ns();
        if (n < 0 || w->events || now >= end)
            break;
    }
    w->in_service--;
    if (!w->in_service && w->ndead)
        sweep_dead(w);
    return n < 0 ? -1 : 0;
}

void wsc_timer_at(struct wsc *w, uint64_t mono_ns)
{
    if (!w)
        return;
    w->timer_armed = true;
    w->timer_due_ns = mono_ns;
}

void wsc_wake(struct wsc *w)
{
    if (w) {
        atomic_store(&w->wake, true);
        lws_cancel_service(w->ctx);
    }
}
