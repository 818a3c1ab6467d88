/* wspeer.c - see wspeer.h. */
#include "wspeer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "timefmt.h"
#include "wspeer_lws.h"

#define RECONNECT_NS 250000000u
#define BATCH_MAX (1u << 20)
#define WRITE_BURST (4u << 20) /* bytes one writeable callback may write */

struct pmsg {
    struct pmsg *next;
    uint64_t due_ns;
    bool batch;
    size_t len;
    unsigned char buf[]; /* LWS_PRE headroom, then the message */
};

struct wspeer {
    struct wsserver *srv;
    char host[128];
    char name[160];
    int port;
    uint64_t latency_ns;
    double ns_per_byte;
    size_t max_bytes;
    void (*on_up)(void *ud, struct wspeer *p);
    void *ud;
    char *prefix, *suffix; /* batches, or NULL */
    unsigned char *wbuf;   /* a batch being written: LWS_PRE, then text */
    size_t wcap;
    struct lws *wsi;
    bool connecting, up, closing;
    uint64_t next_try_ns;
    uint64_t link_free_ns; /* when the link has sent what is queued */
    struct pmsg *head, *tail;
    struct wspeer_stats st;
};

struct wspeer *wspeer_new(struct wsserver *srv, const struct wspeer_cfg *cfg, char *err)
{
    struct wspeer *p = calloc(1, sizeof *p);

    if (p == NULL) {
        err_set(err, "out of memory");
        return NULL;
    }
    if (strlen(cfg->host) >= sizeof p->host || cfg->bandwidth_bps <= 0) {
        err_set(err, "bad peer %s:%d", cfg->host, cfg->port);
        free(p);
        return NULL;
    }
    p->srv = srv;
    strcpy(p->host, cfg->host);
    p->port = cfg->port;
    snprintf(p->name, sizeof p->name, "%s:%d", cfg->host, cfg->port);
    p->latency_ns = (uint64_t)(cfg->latency_s * 1e9);
    p->ns_per_byte = 8e9 / cfg->bandwidth_bps;
    p->max_bytes = cfg->max_bytes;
    p->on_up = cfg->on_up;
    p->ud = cfg->ud;
    if (cfg->batch_prefix != NULL) {
        p->prefix = strdup(cfg->batch_prefix);
        p->suffix = strdup(cfg->batch_suffix != NULL ? cfg->batch_suffix : "");
        if (p->prefix == NULL || p->suffix == NULL) {
            err_set(err, "out of memory");
            wspeer_free(p);
            return NULL;
        }
    }
    return p;
}

static void drop_all(struct wspeer *p)
{
    struct pmsg *m, *n;

    for (m = p->head; m != NULL; m = n) {
        n = m->next;
        p->st.dropped_down++;
        free(m);
    }
    p->head = p->tail = NULL;
    p->st.queued = p->st.queued_bytes = 0;
    p->link_free_ns = 0;
}

void wspeer_free(struct wspeer *p)
{
    if (p == NULL)
        return;
    if (p->wsi != NULL) {
        /* The wsi outlives us until the context closes it: detach. */
        lws_set_opaque_user_data(p->wsi, NULL);
        lws_set_timeout(p->wsi, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_ASYNC);
    }
    drop_all(p);
    free(p->prefix);
    free(p->suffix);
    free(p->wbuf);
    free(p);
}

int wspeer_send(struct wspeer *p, const char *msg, size_t len, size_t wire, bool forced,
                uint64_t now_ns)
{
    struct pmsg *m;
    uint64_t start;

    if (!p->up) {
        p->st.dropped_down++;
        return -1;
    }
    if (!forced && p->st.queued_bytes + len > p->max_bytes) {
        p->st.dropped_full++;
        return -1;
    }
    m = malloc(sizeof *m + LWS_PRE + len);
    if (m == NULL) {
        p->st.dropped_full++;
        return -1;
    }
    /* Bandwidth: messages leave one after the other; latency on top. */
    start = p->link_free_ns > now_ns ? p->link_free_ns : now_ns;
    p->link_free_ns = start + (uint64_t)((double)wire * p->ns_per_byte);
    m->due_ns = p->link_free_ns + p->latency_ns;
    m->next = NULL;
    m->batch = !forced && p->prefix != NULL;
    m->len = len;
    memcpy(m->buf + LWS_PRE, msg, len);
    if (forced && p->prefix != NULL) {
        /* A block goes ahead of the transactions waiting on the link (as
         * a node handles a block before the transactions queued with
         * it): behind a backlog of relayed transactions it would reach
         * the next witness after that witness's slot. It still takes
         * its own transfer time and the latency. */
        struct pmsg **at = &p->head;
        m->due_ns = now_ns + (uint64_t)((double)wire * p->ns_per_byte) + p->latency_ns;
        while (*at != NULL && (!(*at)->batch || (*at)->due_ns <= now_ns))
            at = &(*at)->next;
        m->next = *at;
        *at = m;
        if (m->next == NULL)
            p->tail = m;
    } else {
        if (p->tail != NULL)
            p->tail->next = m;
        else
            p->head = m;
        p->tail = m;
    }
    p->st.queued++;
    p->st.queued_bytes += len;
    return 0;
}

static void connect_peer(struct wspeer *p, uint64_t now_ns)
{
    struct lws_client_connect_info ci;

    p->next_try_ns = now_ns + RECONNECT_NS;
    memset(&ci, 0, sizeof ci);
    ci.context = wsserver_lws_context(p->srv);
    ci.vhost = wsserver_lws_vhost(p->srv);
    ci.address = p->host;
    ci.port = p->port;
    ci.path = "/";
    ci.host = p->host;
    ci.origin = p->host;
    ci.local_protocol_name = WSPEER_PROTOCOL;
    ci.opaque_user_data = p;
    ci.pwsi = &p->wsi;
    p->connecting = true;
    if (lws_client_connect_via_info(&ci) == NULL) {
        p->connecting = false;
        p->wsi = NULL;
    }
}

void wspeer_tick(struct wspeer *p, uint64_t now_ns)
{
    if (!p->up) {
        if (!p->connecting && now_ns >= p->next_try_ns)
            connect_peer(p, now_ns);
        return;
    }
    if (p->head != NULL && p->head->due_ns <= now_ns && p->wsi != NULL)
        lws_callback_on_writable(p->wsi);
}

bool wspeer_busy(const struct wspeer *p)
{
    return !p->up || p->head != NULL;
}

const struct wspeer_stats *wspeer_stats(const struct wspeer *p)
{
    return &p->st;
}

const char *wspeer_name(const struct wspeer *p)
{
    return p->name;
}

static void pop_sent(struct wspeer *p)
{
    struct pmsg *m = p->head;

    p->head = m->next;
    if (p->head == NULL)
        p->tail = NULL;
    p->st.queued--;
    p->st.queued_bytes -= m->len;
    p->st.sent++;
    p->st.sent_bytes += m->len;
    free(m);
}

/* The due batch items at the head as one message in p->wbuf; returns its
 * length (0 when out of memory). Items stay queued until written. */
static size_t build_batch(struct wspeer *p, uint64_t now, size_t *nitems)
{
    size_t pl = strlen(p->prefix), sl = strlen(p->suffix), len = pl, n = 0;
    struct pmsg *m;

    for (m = p->head; m != NULL && m->batch && m->due_ns <= now; m = m->next) {
        if (n > 0 && len + 1 + m->len > BATCH_MAX)
            break;
        len += m->len + (n > 0);
        n++;
    }
    len += sl;
    if (LWS_PRE + len > p->wcap) {
        unsigned char *b = realloc(p->wbuf, LWS_PRE + len);
        if (b == NULL)
            return 0;
        p->wbuf = b;
        p->wcap = LWS_PRE + len;
    }
    len = 0;
    memcpy(p->wbuf + LWS_PRE, p->prefix, pl);
    len = pl;
    m = p->head;
    for (size_t i = 0; i < n; i++, m = m->next) {
        if (i > 0)
            p->wbuf[LWS_PRE + len++] = ',';
        memcpy(p->wbuf + LWS_PRE + len, m->buf + LWS_PRE, m->len);
        len += m->len;
    }
    memcpy(p->wbuf + LWS_PRE + len, p->suffix, sl);
    *nitems = n;
    return len + sl;
}

/* Writes the due messages, up to WRITE_BURST bytes, while the socket
 * takes them (libwebsockets buffers none): one message per callback let
 * a link fall seconds behind on a node whose loop passes are slow (a
 * flood of client requests on a loaded host), and with it the blocks a
 * witness relays. */
static int writeable(struct wspeer *p, struct lws *wsi)
{
    uint64_t now = timefmt_mono_ns();
    size_t burst = 0;

    while (p->head != NULL && p->head->due_ns <= now && burst < WRITE_BURST) {
        struct pmsg *m = p->head;
        if (burst > 0 && lws_partial_buffered(wsi))
            break;
        if (m->batch) {
            size_t n = 0, len = build_batch(p, now, &n);
            if (len == 0 || lws_write(wsi, p->wbuf + LWS_PRE, len, LWS_WRITE_TEXT) < (int)len)
                return -1;
            burst += len;
            while (n-- > 0)
                pop_sent(p);
        } else {
            if (lws_write(wsi, m->buf + LWS_PRE, m->len, LWS_WRITE_TEXT) < (int)m->len)
                return -1;
            burst += m->len;
            pop_sent(p);
        }
        p->st.writes++;
    }
    if (p->head != NULL && p->head->due_ns <= now)
        lws_callback_on_writable(wsi);
    return 0;
}

int wspeer_lws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                        size_t len)
{
    struct wspeer *p = lws_get_opaque_user_data(wsi);

    (void)user;
    (void)in;
    (void)len;
    if (p == NULL)
        return reason == LWS_CALLBACK_CLIENT_WRITEABLE ? -1 : 0;
    switch (reason) {
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        p->connecting = false;
        p->up = true;
        p->st.up = true;
        p->st.connects++;
        if (p->on_up != NULL)
            p->on_up(p->ud, p);
        return 0;
    case LWS_CALLBACK_CLIENT_WRITEABLE:
        return writeable(p, wsi);
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
    case LWS_CALLBACK_CLIENT_CLOSED:
        p->connecting = false;
        p->up = false;
        p->st.up = false;
        p->wsi = NULL;
        drop_all(p);
        return 0;
    default:
        return 0;
    }
}
