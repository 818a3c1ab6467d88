/* sess.c - see sess.h. */
#include "sess.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "timefmt.h"
#include "version.h"

#define SESS_HEARTBEAT_MS 1000
#define SESS_LEASE_MS 5000
#define SESS_LOST_AFTER_NS (3 * SESS_HEARTBEAT_MS * 1000000ull + 500000000ull)

struct sess {
    struct bus *bus;
    char run_id[PROTO_STR];
    struct sess_callbacks cb;
    void *user;
    struct sess_beacon **b;
    size_t n, cap;
    uint64_t next_hb;
    struct proto_msg *in, *out; /* large: kept allocated */
};

struct sess *sess_new(struct bus *bus, const char *run_id, const struct sess_callbacks *cb,
                      void *user)
{
    struct sess *s = calloc(1, sizeof *s);

    if (s == NULL)
        return NULL;
    s->in = malloc(sizeof *s->in);
    s->out = malloc(sizeof *s->out);
    if (s->in == NULL || s->out == NULL) {
        sess_free(s);
        return NULL;
    }
    s->bus = bus;
    snprintf(s->run_id, sizeof s->run_id, "%s", run_id);
    s->cb = *cb;
    s->user = user;
    return s;
}

void sess_free(struct sess *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->n; i++)
        free(s->b[i]);
    free(s->b);
    free(s->in);
    free(s->out);
    free(s);
}

size_t sess_count(const struct sess *s)
{
    return s->n;
}

struct sess_beacon *sess_at(struct sess *s, size_t i)
{
    return i < s->n ? s->b[i] : NULL;
}

size_t sess_alive(const struct sess *s)
{
    size_t k = 0;
    for (size_t i = 0; i < s->n; i++)
        k += s->b[i]->alive;
    return k;
}

int sess_send(struct sess *s, struct sess_beacon *b, const struct proto_msg *m)
{
    uint8_t *buf;
    size_t len;
    int rc;

    if (proto_encode(m, &buf, &len, NULL) < 0)
        return -1;
    rc = bus_send(s->bus, &b->peer, buf, len, NULL);
    proto_buf_free(buf, len); /* a CONFIGURE carries account keys */
    return rc == 0 ? 0 : -1;
}

static void sess_event(struct sess *s, struct sess_beacon *b, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void sess_event(struct sess *s, struct sess_beacon *b, const char *fmt, ...)
{
    char text[PROTO_TEXT + 128];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (s->cb.on_event != NULL)
        s->cb.on_event(s->user, b, text);
}

static struct sess_beacon *sess_by_peer(struct sess *s, const struct bus_peer *p)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->b[i]->peer.id_len == p->id_len && memcmp(s->b[i]->peer.id, p->id, p->id_len) == 0)
            return s->b[i];
    return NULL;
}

/* HELLO: a new beacon, or a known one (same id and key) coming back. */
static void sess_hello(struct sess *s, const struct bus_peer *from, const struct proto_hello *h,
                       uint64_t now)
{
    struct sess_beacon *b = NULL;

    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->b[i]->id, h->beacon_id) == 0 && strcmp(s->b[i]->peer.key, from->key) == 0)
            b = s->b[i];
    if (b == NULL) {
        if (s->n == s->cap) {
            size_t cap = s->cap ? s->cap * 2 : 16;
            struct sess_beacon **p = realloc(s->b, cap * sizeof *p);
            if (p == NULL)
                return;
            s->b = p;
            s->cap = cap;
        }
        b = calloc(1, sizeof *b);
        if (b == NULL)
            return;
        b->index = (unsigned)s->n;
        s->b[s->n++] = b;
        snprintf(b->id, sizeof b->id, "%s", h->beacon_id);
        sess_event(s, b, "beacon %s joined from %s (%s, %u cores, version %s)", b->id,
                   from->addr[0] ? from->addr : "?", h->host, h->cores, h->version);
    } else if (!b->alive) {
        sess_event(s, b, "beacon %s is back", b->id);
    }
    b->peer = *from;
    snprintf(b->host, sizeof b->host, "%s", h->host);
    snprintf(b->version, sizeof b->version, "%s", h->version);
    b->cores = h->cores;
    b->alive = true;
    b->last_rx_ns = now;
    if (b->state == SESS_LOST)
        b->state = SESS_IDLE;
    proto_init(s->out, PROTO_WELCOME);
    snprintf(s->out->u.welcome.run_id, sizeof s->out->u.welcome.run_id, "%s", s->run_id);
    snprintf(s->out->u.welcome.version, sizeof s->out->u.welcome.version, "%s", BSS_VERSION);
    s->out->u.welcome.heartbeat_ms = SESS_HEARTBEAT_MS;
    s->out->u.welcome.lease_ms = SESS_LEASE_MS;
    sess_send(s, b, s->out);
    proto_free(s->out);
}

/* Takes a STATS seq; returns false for a duplicate. Acknowledges the
 * contiguous prefix. */
static bool sess_seq(struct sess *s, struct sess_beacon *b, uint64_t seq)
{
    bool fresh = false;

    if (seq > b->contig && seq - b->contig <= SESS_SEEN_WINDOW) {
        uint8_t *slot = &b->seen[seq % SESS_SEEN_WINDOW];
        fresh = !*slot;
        *slot = 1;
        while (b->seen[(b->contig + 1) % SESS_SEEN_WINDOW]) {
            b->contig++;
            b->seen[b->contig % SESS_SEEN_WINDOW] = 0;
        }
    }
    /* Beyond the window: not taken now; the beacon resends it later. */
    proto_init(s->out, PROTO_STATS_ACK);
    s->out->u.stats_ack.seq = b->contig;
    sess_send(s, b, s->out);
    proto_free(s->out);
    return fresh;
}

static void sess_handle(struct sess *s, const struct bus_peer *from, struct proto_msg *m,
                        uint64_t now)
{
    struct sess_beacon *b;

    if (m->type == PROTO_HELLO) {
        sess_hello(s, from, &m->u.hello, now);
        return;
    }
    b = sess_by_peer(s, from);
    if (b == NULL) {
        /* Not introduced (the overseer restarted): ask for a HELLO by
         * saying who we are; beacons send HELLO until welcomed. */
        return;
    }
    b->last_rx_ns = now;
    if (!b->alive) {
        b->alive = true;
        sess_event(s, b, "beacon %s is back", b->id);
    }
    switch (m->type) {
    case PROTO_HEARTBEAT:
        b->peer_t = m->u.heartbeat.t_ns;
        /* The beacon says how long it held our time before echoing it. */
        if (m->u.heartbeat.echo_ns != 0 &&
            now > m->u.heartbeat.echo_ns + m->u.heartbeat.echo_delay_ns)
            b->rtt_ns = now - m->u.heartbeat.echo_ns - m->u.heartbeat.echo_delay_ns;
        b->cpu_pct = m->u.heartbeat.cpu_pct;
        b->hb_state = m->u.heartbeat.state;
        break;
    case PROTO_READY:
        b->ready = m->u.ready;
        b->have_ready = true;
        b->phase = m->u.ready.phase;
        b->state = m->u.ready.ok ? SESS_READY : SESS_IDLE;
        if (!m->u.ready.ok)
            sess_event(s, b, "beacon %s could not prepare phase %u: %s", b->id, m->u.ready.phase,
                       m->u.ready.error);
        break;
    case PROTO_STATS:
        if (sess_seq(s, b, m->u.stats.s.seq) && s->cb.on_stats != NULL)
            s->cb.on_stats(s->user, b, &m->u.stats);
        break;
    case PROTO_DONE:
        b->done = m->u.done;
        b->have_done = true;
        b->phase = m->u.done.phase;
        b->state = SESS_DONE;
        break;
    case PROTO_EVENT:
        sess_event(s, b, "beacon %s: %s", b->id, m->u.event.text);
        break;
    case PROTO_ERROR:
        sess_event(s, b, "beacon %s reports an error: %s", b->id, m->u.error.text);
        break;
    case PROTO_BYE:
        sess_event(s, b, "beacon %s left: %s", b->id, m->u.bye.text);
        b->alive = false;
        b->state = SESS_LOST;
        break;
    default:
        sess_event(s, b, "beacon %s sent an unexpected %s", b->id, proto_type_name(m->type));
        break;
    }
}

int sess_poll(struct sess *s, int timeout_ms, char *err)
{
    uint64_t deadline = timefmt_mono_ns() + (uint64_t)timeout_ms * 1000000u, now;
    char text[ERR_LEN];

    do {
        struct bus_peer from;
        uint8_t *buf = NULL;
        size_t len;
        uint64_t t = timefmt_mono_ns();
        /* Whole milliseconds, rounded up: rounded down, the last fraction of
         * a millisecond before the deadline was spent polling in a busy
         * loop (about 2 % of a core at one call per 50 ms). */
        int left = t < deadline ? (int)((deadline - t + 999999u) / 1000000u) : 0;
        int got = bus_recv(s->bus, &from, &buf, &len, left, err);

        if (got < 0)
            return -1;
        now = timefmt_mono_ns();
        if (got == 1) {
            int d = proto_decode(s->in, buf, len, text);
            free(buf);
            if (d == 0) {
                sess_handle(s, &from, s->in, now);
            } else {
                struct sess_beacon *b = sess_by_peer(s, &from);
                /* A hostile or broken peer: say why, never crash. */
                sess_event(s, b, "bad message from %s (%s): %s", b ? b->id : "an unknown peer",
                           from.addr[0] ? from.addr : "?", text);
                if (d == -2 || b != NULL) {
                    struct proto_msg *e = s->out;
                    proto_init(e, PROTO_ERROR);
                    snprintf(e->u.error.text, sizeof e->u.error.text, "%s", text);
                    uint8_t *eb;
                    size_t el;
                    if (proto_encode(e, &eb, &el, NULL) == 0) {
                        bus_send(s->bus, &from, eb, el, NULL);
                        free(eb);
                    }
                    proto_free(e);
                }
            }
            proto_free(s->in);
        }
        while (bus_event(s->bus, text, sizeof text) == 1)
            sess_event(s, NULL, "%s", text);
        if (now >= s->next_hb) {
            s->next_hb = now + SESS_HEARTBEAT_MS * 1000000ull;
            for (size_t i = 0; i < s->n; i++) {
                struct sess_beacon *b = s->b[i];
                if (!b->alive)
                    continue;
                if (now - b->last_rx_ns > SESS_LOST_AFTER_NS && b->last_rx_ns != 0) {
                    b->alive = false;
                    b->state = SESS_LOST;
                    sess_event(s, b, "beacon %s lost: no heartbeat for %.1f s", b->id,
                               (double)(now - b->last_rx_ns) / 1e9);
                    continue;
                }
                proto_init(s->out, PROTO_HEARTBEAT);
                s->out->u.heartbeat.t_ns = now;
                s->out->u.heartbeat.echo_ns = b->peer_t;
                sess_send(s, b, s->out);
                proto_free(s->out);
            }
        }
    } while (now < deadline);
    return 0;
}
