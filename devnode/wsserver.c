/* wsserver.c - see wsserver.h. */
#include "wsserver.h"

#include <libwebsockets.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "err.h"
#include "timefmt.h"
#include "wspeer_lws.h"

#define BUCKETS 1024
#define MAX_TIMERS 8
/* Periods below this run on a kernel timer (timerfd) polled with the
 * sockets: libwebsockets 4.1 polls with millisecond timeouts rounded down,
 * so a sub-millisecond remainder of a scheduled callback spins, which for
 * a millisecond tick would be a busy loop. */
#define FINE_NS 20000000u
/* Backpressure: stop reading a client whose unsent replies exceed HIGH
 * bytes; read again below LOW. */
#define OUT_HIGH (8u << 20)
#define OUT_LOW (1u << 20)
/* Bytes of replies one writeable callback may write (see on_writeable). */
#define WRITE_BURST (256u << 10)
/* Bytes one read of a connection may take in (see wsserver_new). */
#define READ_BUF (256u << 10)

struct outmsg {
    struct outmsg *next;
    size_t len;
    unsigned char buf[]; /* LWS_PRE bytes of headroom, then the message */
};

struct conn {
    struct wsserver *srv;
    struct lws *wsi;
    uint64_t id;
    void *session;
    bool ws;      /* an established websocket, in the table */
    char *rx;     /* a message being assembled */
    size_t rx_len, rx_cap;
    struct outmsg *head, *tail;
    size_t out_bytes;
    bool paused;
    /* HTTP POST */
    char *body;
    size_t body_len, body_cap;
    struct outmsg *http_reply;
    bool http_headers_sent;
    struct conn *bucket_next;
};

struct timer {
    lws_sorted_usec_list_t sul; /* first: the callback gets its address */
    struct wsserver *srv;
    uint64_t period_ns, due_ns;
    void (*fn)(void *arg);
    void *arg;
    int fd;          /* timerfd for fine periods, else -1 */
    struct lws *wsi; /* its adopted descriptor */
    bool paused;
};

struct wsserver {
    struct lws_context *ctx;
    struct lws_vhost *vhost;
    struct wsserver_handlers h;
    size_t max_message;
    uint64_t next_id;
    struct conn *buckets[BUCKETS];
    struct sbuf reply;
    struct timer timers[MAX_TIMERS];
    size_t ntimers;
    struct wsserver_stats stats;
};

static struct conn *lookup(struct wsserver *s, uint64_t id)
{
    for (struct conn *c = s->buckets[id % BUCKETS]; c != NULL; c = c->bucket_next)
        if (c->id == id)
            return c;
    return NULL;
}

static void unlink_conn(struct wsserver *s, struct conn *c)
{
    for (struct conn **p = &s->buckets[c->id % BUCKETS]; *p != NULL; p = &(*p)->bucket_next) {
        if (*p == c) {
            *p = c->bucket_next;
            return;
        }
    }
}

static struct outmsg *msg_new(const char *p, size_t len)
{
    struct outmsg *m = malloc(sizeof *m + LWS_PRE + len);

    if (m == NULL)
        return NULL;
    m->next = NULL;
    m->len = len;
    memcpy(m->buf + LWS_PRE, p, len);
    return m;
}

static int enqueue(struct conn *c, const char *p, size_t len)
{
    struct outmsg *m = msg_new(p, len);

    if (m == NULL)
        return -1;
    if (c->tail != NULL)
        c->tail->next = m;
    else
        c->head = m;
    c->tail = m;
    c->out_bytes += len;
    if (c->out_bytes > OUT_HIGH && !c->paused) {
        c->paused = true;
        lws_rx_flow_control(c->wsi, 0);
    }
    lws_callback_on_writable(c->wsi);
    return 0;
}

int wsserver_send(struct wsserver *s, uint64_t conn, const char *msg, size_t len)
{
    struct conn *c = lookup(s, conn);

    if (c == NULL || !c->ws)
        return -1;
    return enqueue(c, msg, len);
}

static void http_cleanup(struct conn *c)
{
    free(c->body);
    c->body = NULL;
    c->body_len = c->body_cap = 0;
    free(c->http_reply);
    c->http_reply = NULL;
    c->http_headers_sent = false;
}

static void ws_cleanup(struct wsserver *s, struct conn *c)
{
    struct outmsg *m, *n;

    if (c->ws) {
        unlink_conn(s, c);
        c->ws = false;
        s->stats.open--;
    }
    if (c->session != NULL && s->h.close != NULL)
        s->h.close(s->h.ud, c->session);
    c->session = NULL;
    free(c->rx);
    c->rx = NULL;
    c->rx_len = c->rx_cap = 0;
    for (m = c->head; m != NULL; m = n) {
        n = m->next;
        free(m);
    }
    c->head = c->tail = NULL;
    c->out_bytes = 0;
}

/* Runs one request through the handler; the reply is left in s->reply. */
static void handle(struct wsserver *s, void *session, const char *msg, size_t len)
{
    sbuf_reset(&s->reply);
    s->stats.messages++;
    s->h.message(s->h.ud, session, msg, len, &s->reply);
}

static int on_receive(struct wsserver *s, struct conn *c, const char *in, size_t len)
{
    size_t remaining = lws_remaining_packet_payload(c->wsi);
    bool last = lws_is_final_fragment(c->wsi) && remaining == 0;

    if (c->rx_len + len + remaining > s->max_message) {
        static const char why[] = "message too big";
        s->stats.too_big++;
        lws_close_reason(c->wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, (unsigned char *)why,
                         sizeof why - 1);
        return -1;
    }
    if (last && c->rx_len == 0) {
        /* Whole message in one piece: no copy. */
        handle(s, c->session, in, len);
    } else {
        if (c->rx_len + len > c->rx_cap) {
            size_t cap = c->rx_cap ? c->rx_cap : 4096;
            char *n;
            while (cap < c->rx_len + len + remaining)
                cap *= 2;
            if (cap > s->max_message)
                cap = s->max_message;
            n = realloc(c->rx, cap);
            if (n == NULL)
                return -1;
            c->rx = n;
            c->rx_cap = cap;
        }
        memcpy(c->rx + c->rx_len, in, len);
        c->rx_len += len;
        if (!last)
            return 0;
        handle(s, c->session, c->rx, c->rx_len);
        c->rx_len = 0;
    }
    if (s->reply.overflow)
        return -1;
    if (s->reply.len > 0 && enqueue(c, s->reply.buf, s->reply.len) < 0)
        return -1;
    return 0;
}

/* Writes queued replies while the socket takes them, up to WRITE_BURST
 * bytes per call. One message per writeable callback (one per event-loop
 * pass) capped the replies at passes x connections per second: on a loaded
 * host the loop made ~900 passes a second, so acks of a 3 500 tx/s node
 * left at ~1 300/s and waited seconds while each read took in 64 KiB of
 * requests (issue 11). The burst bound keeps one connection from holding
 * the loop (and the service timer) for long. */
static int on_writeable(struct conn *c)
{
    size_t burst = 0;

    while (c->head != NULL && burst < WRITE_BURST) {
        struct outmsg *m = c->head;
        if (burst > 0 && lws_partial_buffered(c->wsi))
            break;
        if (lws_write(c->wsi, m->buf + LWS_PRE, m->len, LWS_WRITE_TEXT) < (int)m->len)
            return -1;
        burst += m->len;
        c->head = m->next;
        if (c->head == NULL)
            c->tail = NULL;
        c->out_bytes -= m->len;
        free(m);
    }
    if (c->paused && c->out_bytes < OUT_LOW) {
        c->paused = false;
        lws_rx_flow_control(c->wsi, 1);
    }
    if (c->head != NULL)
        lws_callback_on_writable(c->wsi);
    return 0;
}

static int http_body(struct wsserver *s, struct conn *c, const char *in, size_t len)
{
    if (c->body_len + len > s->max_message) {
        lws_return_http_status(c->wsi, HTTP_STATUS_REQ_ENTITY_TOO_LARGE, NULL);
        return -1;
    }
    if (c->body_len + len > c->body_cap) {
        size_t cap = c->body_cap ? c->body_cap : 4096;
        char *n;
        while (cap < c->body_len + len)
            cap *= 2;
        n = realloc(c->body, cap);
        if (n == NULL)
            return -1;
        c->body = n;
        c->body_cap = cap;
    }
    memcpy(c->body + c->body_len, in, len);
    c->body_len += len;
    return 0;
}

static int http_complete(struct wsserver *s, struct conn *c)
{
    /* One session per request: HTTP has no callbacks or api ids to keep,
     * and conn 0 tells the handler that nothing can be sent later. */
    void *session = s->h.open(s->h.ud, 0);

    if (session == NULL)
        return -1;
    handle(s, session, c->body != NULL ? c->body : "", c->body_len);
    s->h.close(s->h.ud, session);
    if (s->reply.overflow || (c->http_reply = msg_new(s->reply.buf, s->reply.len)) == NULL)
        return -1;
    lws_callback_on_writable(c->wsi);
    return 0;
}

static int http_writeable(struct conn *c)
{
    unsigned char hdr[LWS_PRE + 512], *start = hdr + LWS_PRE, *p = start;
    struct outmsg *m = c->http_reply;

    if (m == NULL)
        return 0;
    if (!c->http_headers_sent) {
        if (lws_add_http_common_headers(c->wsi, HTTP_STATUS_OK, "application/json", m->len, &p,
                                        hdr + sizeof hdr) ||
            lws_finalize_write_http_header(c->wsi, start, &p, hdr + sizeof hdr))
            return -1;
        c->http_headers_sent = true;
        lws_callback_on_writable(c->wsi);
        return 0;
    }
    if (lws_write(c->wsi, m->buf + LWS_PRE, m->len, LWS_WRITE_HTTP_FINAL) < (int)m->len)
        return -1;
    http_cleanup(c);
    return lws_http_transaction_completed(c->wsi) ? -1 : 0;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len)
{
    struct conn *c = user;
    struct wsserver *s = lws_context_user(lws_get_context(wsi));

    switch (reason) {
    case LWS_CALLBACK_ESTABLISHED:
        memset(c, 0, sizeof *c);
        c->srv = s;
        c->wsi = wsi;
        c->id = ++s->next_id;
        c->session = s->h.open(s->h.ud, c->id);
        if (c->session == NULL)
            return -1;
        c->ws = true;
        c->bucket_next = s->buckets[c->id % BUCKETS];
        s->buckets[c->id % BUCKETS] = c;
        s->stats.connections++;
        s->stats.open++;
        return 0;
    case LWS_CALLBACK_RECEIVE:
        return on_receive(s, c, in, len);
    case LWS_CALLBACK_SERVER_WRITEABLE:
        return on_writeable(c);
    case LWS_CALLBACK_CLOSED:
        ws_cleanup(s, c);
        return 0;
    case LWS_CALLBACK_HTTP:
        if (c == NULL)
            return -1;
        memset(c, 0, sizeof *c);
        c->srv = s;
        c->wsi = wsi;
        if (lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) <= 0) {
            /* Only POST carries a request; a GET without upgrade gets 405. */
            if (lws_return_http_status(wsi, HTTP_STATUS_METHOD_NOT_ALLOWED,
                                       "devnode: use a websocket or POST JSON-RPC"))
                return -1;
            return lws_http_transaction_completed(wsi) ? -1 : 0;
        }
        return 0;
    case LWS_CALLBACK_HTTP_BODY:
        return c != NULL ? http_body(s, c, in, len) : -1;
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
        return c != NULL ? http_complete(s, c) : -1;
    case LWS_CALLBACK_HTTP_WRITEABLE:
        return c != NULL ? http_writeable(c) : -1;
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
    case LWS_CALLBACK_CLOSED_HTTP:
        if (c != NULL)
            http_cleanup(c);
        return 0;
    default:
        return 0;
    }
}

static int timer_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
                          void *in, size_t len)
{
    struct timer *t = lws_get_opaque_user_data(wsi);
    uint64_t expirations;

    (void)user;
    (void)in;
    (void)len;
    if (t == NULL) /* the adoption itself, before the timer is attached */
        return 0;
    switch (reason) {
    case LWS_CALLBACK_RAW_RX_FILE:
        /* Several expirations since the last read count as one call, as
         * a late sul tick does: no burst of catch-up calls. */
        if (read(t->fd, &expirations, sizeof expirations) == (ssize_t)sizeof expirations)
            t->fn(t->arg);
        return 0;
    case LWS_CALLBACK_RAW_CLOSE_FILE:
        t->wsi = NULL;
        t->fd = -1; /* closed by libwebsockets with its wsi */
        return 0;
    default:
        return 0;
    }
}

static const struct lws_protocols protocols[] = {
    {"devnode", callback, sizeof(struct conn), 65536, 0, NULL, 0},
    {"devnode-timer", timer_callback, 0, 0, 0, NULL, 0},
    {WSPEER_PROTOCOL, wspeer_lws_callback, 0, 65536, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static void timer_fire(lws_sorted_usec_list_t *sul)
{
    struct timer *t = lws_container_of(sul, struct timer, sul);
    uint64_t now;

    t->fn(t->arg);
    now = timefmt_mono_ns();
    t->due_ns += t->period_ns;
    if (t->due_ns <= now) /* late: skip the missed ticks */
        t->due_ns = now + t->period_ns - (now - t->due_ns) % t->period_ns;
    lws_sul_schedule(t->srv->ctx, 0, &t->sul, timer_fire,
                     (lws_usec_t)((t->due_ns - now) / 1000));
}

int wsserver_every(struct wsserver *s, uint64_t period_ns, void (*fn)(void *arg), void *arg)
{
    struct timer *t;

    if (s->ntimers == MAX_TIMERS || period_ns == 0)
        return -1;
    t = &s->timers[s->ntimers];
    memset(t, 0, sizeof *t);
    t->srv = s;
    t->period_ns = period_ns;
    t->due_ns = timefmt_mono_ns() + period_ns;
    t->fn = fn;
    t->arg = arg;
    t->fd = -1;
    if (period_ns < FINE_NS) {
        struct itimerspec its;
        lws_sock_file_fd_type fd;
        memset(&its, 0, sizeof its);
        its.it_interval.tv_sec = (time_t)(period_ns / 1000000000u);
        its.it_interval.tv_nsec = (long)(period_ns % 1000000000u);
        its.it_value = its.it_interval;
        t->fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
        if (t->fd < 0)
            return -1;
        fd.filefd = t->fd;
        if (timerfd_settime(t->fd, 0, &its, NULL) < 0 ||
            (t->wsi = lws_adopt_descriptor_vhost(s->vhost, LWS_ADOPT_RAW_FILE_DESC, fd,
                                                 "devnode-timer", NULL)) == NULL) {
            close(t->fd);
            t->fd = -1;
            return -1;
        }
        lws_set_opaque_user_data(t->wsi, t);
        return (int)s->ntimers++;
    }
    s->ntimers++;
    lws_sul_schedule(s->ctx, 0, &t->sul, timer_fire, (lws_usec_t)(period_ns / 1000));
    return (int)s->ntimers - 1;
}

void wsserver_timer_run(struct wsserver *s, int timer, bool run)
{
    struct timer *t;
    struct itimerspec its;

    if (timer < 0 || (size_t)timer >= s->ntimers || s->timers[timer].fd < 0)
        return;
    t = &s->timers[timer];
    if (t->paused == !run)
        return;
    memset(&its, 0, sizeof its);
    if (run) {
        its.it_interval.tv_sec = (time_t)(t->period_ns / 1000000000u);
        its.it_interval.tv_nsec = (long)(t->period_ns % 1000000000u);
        its.it_value = its.it_interval;
    }
    if (timerfd_settime(t->fd, 0, &its, NULL) == 0)
        t->paused = !run;
}

struct wsserver *wsserver_new(const struct wsserver_cfg *cfg, const struct wsserver_handlers *h,
                              char *err)
{
    struct lws_context_creation_info info;
    struct wsserver *s = calloc(1, sizeof *s);

    if (s == NULL) {
        err_set(err, "out of memory");
        return NULL;
    }
    s->h = *h;
    s->max_message = cfg->max_message ? cfg->max_message : WSSERVER_MAX_MESSAGE;
    sbuf_init(&s->reply);
    lws_set_log_level(LLL_ERR, NULL);
    memset(&info, 0, sizeof info);
    info.port = cfg->port;
    info.iface = cfg->iface;
    info.protocols = protocols;
    info.user = s;
    info.gid = -1;
    info.uid = -1;
    info.options = LWS_SERVER_OPTION_DISABLE_IPV6;
    /* libwebsockets reads each socket into this buffer, one read per
     * connection per event-loop pass (default 4 KiB: about six broadcasts).
     * On a loaded host the loop makes a few hundred to a few thousand
     * passes a second, which capped what a connection could deliver below
     * the capacity of a busy node (issue 11). */
    info.pt_serv_buf_size = READ_BUF;
    if (cfg->tls_cert != NULL) {
        info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
        info.ssl_cert_filepath = cfg->tls_cert;
        info.ssl_private_key_filepath = cfg->tls_key;
    }
    s->ctx = lws_create_context(&info);
    if (s->ctx == NULL) {
        err_set(err, "cannot listen on %s:%d (address in use, or bad TLS files?)",
                cfg->iface != NULL ? cfg->iface : "*", cfg->port);
        goto fail;
    }
    s->vhost = lws_get_vhost_by_name(s->ctx, "default");
    if (s->vhost == NULL || lws_get_vhost_listen_port(s->vhost) <= 0) {
        err_set(err, "cannot listen on %s:%d", cfg->iface != NULL ? cfg->iface : "*", cfg->port);
        goto fail;
    }
    return s;
fail:
    wsserver_free(s);
    return NULL;
}

void wsserver_free(struct wsserver *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->ntimers; i++)
        if (s->timers[i].fd < 0 && s->timers[i].wsi == NULL)
            lws_sul_cancel(&s->timers[i].sul);
    /* Destroying the context closes every connection (CLOSED callbacks
     * free their state). */
    if (s->ctx != NULL)
        lws_context_destroy(s->ctx);
    sbuf_free(&s->reply);
    free(s);
}

int wsserver_port(const struct wsserver *s)
{
    return lws_get_vhost_listen_port(s->vhost);
}

int wsserver_run(struct wsserver *s, volatile sig_atomic_t *stop)
{
    while (!*stop)
        if (lws_service(s->ctx, 0) < 0)
            return -1;
    return 0;
}

void wsserver_wake(struct wsserver *s)
{
    lws_cancel_service(s->ctx);
}

const struct wsserver_stats *wsserver_stats(const struct wsserver *s)
{
    return &s->stats;
}

struct lws_context *wsserver_lws_context(struct wsserver *s)
{
    return s->ctx;
}

struct lws_vhost *wsserver_lws_vhost(struct wsserver *s)
{
    return s->vhost;
}
