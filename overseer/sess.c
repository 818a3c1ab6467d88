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
/* A beacon says hello every second until welcomed: hellos queued before the
 * welcome arrived are not a reconnect. */
#define SESS_REHELLO_NS 3000000000ull

/* Undecodable messages: a flood from one peer must not flood events.log.
 * Per peer (key and address), the first few of each window are logged, the
 * rest counted and said in one line when the window ends; ERROR answers go
 * at most once a second (PROTOCOL.md). */
#define SESS_BAD_WINDOW_NS 10000000000ull
#define SESS_BAD_LOGGED 5
#define SESS_BAD_PEERS 32

struct sess_bad {
    char key[BUS_KEY_LEN + 1], addr[64];
    uint64_t t0;               /* window start; 0: slot free */
    unsigned logged;
    uint64_t more;             /* not logged in this window */
    uint64_t t_last;           /* the last one's arrival */
    uint64_t last_answer;
    char last[160];            /* the last unlogged message's error */
};

struct sess {
    struct bus *bus;
    struct sess_bad bad[SESS_BAD_PEERS];
    char run_id[PROTO_STR];
    struct sess_callbacks cb;
    void *user;
    struct sess_beacon **b;
    size_t n, cap;
    uint64_t next_hb;
    struct proto_msg *in, *out; /* large: kept allocated */
};

static void sess_bad_flush(struct sess *s, struct sess_bad *e);

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
    for (int i = 0; i < SESS_BAD_PEERS; i++)
        sess_bad_flush(s, &s->bad[i]);
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

static int sess_send_to(struct sess *s, const struct bus_peer *to, const struct proto_msg *m)
{
    uint8_t *buf;
    size_t len;
    int rc;

    if (proto_encode(m, &buf, &len, NULL) < 0)
        return -1;
    rc = bus_send(s->bus, to, buf, len, NULL);
    proto_buf_free(buf, len); /* a CONFIGURE carries account keys */
    return rc == 0 ? 0 : -1;
}

int sess_send(struct sess *s, struct sess_beacon *b, const struct proto_msg *m)
{
    return sess_send_to(s, &b->peer, m);
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
    } else if (h->session != 0 && b->session != 0 && h->session != b->session && b->alive &&
               now - b->last_rx_ns < SESS_LOST_AFTER_NS) {
        /* Another process under an id whose process is still heard from (two
         * beacons given the same --id): taking it would flip between the
         * two. It is refused until the first one leaves or is lost; a
         * restart after a crash is taken once the old one is lost. */
        if (b->refused_session != h->session) {
            b->refused_session = h->session;
            sess_event(s, b, "beacon %s: another process (session %016llx, from %s) says hello "
                       "under this id while the first is alive: refused until that one is gone",
                       b->id, (unsigned long long)h->session, from->addr[0] ? from->addr : "?");
        }
        proto_init(s->out, PROTO_ERROR);
        snprintf(s->out->u.error.text, sizeof s->out->u.error.text,
                 "beacon id \"%s\" is in use by another live beacon; give each beacon its own "
                 "--id", b->id);
        sess_send_to(s, from, s->out);
        proto_free(s->out);
        return;
    } else if (h->session != 0 && b->session != 0 && h->session != b->session) {
        /* A new process under a known id: its STATS seq starts again at 1,
         * so the old window would drop its reports as duplicates. What the
         * old process had not delivered is gone with it. */
        b->restarts++;
        b->contig = 0;
        memset(b->seen, 0, sizeof b->seen);
        b->have_ready = false;
        b->have_done = false;
        b->state = SESS_IDLE;
        sess_event(s, b, "beacon %s restarted (new session %016llx, was %016llx)%s: its reports "
                   "are counted afresh; it is idle until the next phase", b->id,
                   (unsigned long long)h->session, (unsigned long long)b->session,
                   b->alive ? "" : " and is back");
    } else if (!b->alive) {
        sess_event(s, b, "beacon %s is back", b->id);
    } else if (b->welcome_ns != 0 && now - b->welcome_ns > SESS_REHELLO_NS) {
        /* The same process, alive to us, says hello again: it heard nothing
         * from us for its lease, so it stopped what it was running (and a
         * DONE it had then is gone). Counts as a loss for the phase. */
        b->losses++;
        sess_event(s, b, "beacon %s lost the overseer for longer than its lease and said hello "
                   "again", b->id);
    }
    b->welcome_ns = now;
    if (h->session != 0)
        b->session = h->session;
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
        b->losses++;
        break;
    default:
        sess_event(s, b, "beacon %s sent an unexpected %s", b->id, proto_type_name(m->type));
        break;
    }
}

static void sess_bad_flush(struct sess *s, struct sess_bad *e)
{
    if (e->more > 0)
        sess_event(s, NULL, "... %llu more bad messages from %s%s%s in %.0f s (the last: %s)",
                   (unsigned long long)e->more, e->addr[0] ? e->addr : "?",
                   e->key[0] ? " key " : "", e->key, (double)(e->t_last - e->t0) / 1e9 + 0.5,
                   e->last);
    e->more = 0;
}

/* The peer's slot, starting a window when the last one ended. */
static struct sess_bad *sess_bad_slot(struct sess *s, const struct bus_peer *p, uint64_t now)
{
    struct sess_bad *e = NULL, *oldest = &s->bad[0];

    for (int i = 0; i < SESS_BAD_PEERS && e == NULL; i++) {
        struct sess_bad *c = &s->bad[i];
        if (c->t0 != 0 && strcmp(c->key, p->key) == 0 && strcmp(c->addr, p->addr) == 0)
            e = c;
        else if (c->t0 < oldest->t0)
            oldest = c;
    }
    if (e == NULL) {
        e = oldest;
        sess_bad_flush(s, e);
        memset(e, 0, sizeof *e);
        snprintf(e->key, sizeof e->key, "%s", p->key);
        snprintf(e->addr, sizeof e->addr, "%s", p->addr);
    }
    if (e->t0 == 0 || now - e->t0 >= SESS_BAD_WINDOW_NS) {
        sess_bad_flush(s, e);
        e->t0 = now;
        e->logged = 0;
    }
    return e;
}

/* Ends the windows that are over (their summary lines). */
static void sess_bad_tick(struct sess *s, uint64_t now)
{
    for (int i = 0; i < SESS_BAD_PEERS; i++)
        if (s->bad[i].t0 != 0 && s->bad[i].more > 0 && now - s->bad[i].t0 >= SESS_BAD_WINDOW_NS)
            sess_bad_flush(s, &s->bad[i]);
}

static void sess_bad(struct sess *s, const struct bus_peer *from, int d, const char *text,
                     uint64_t now)
{
    struct sess_beacon *b = sess_by_peer(s, from);
    struct sess_bad *e = sess_bad_slot(s, from, now);

    /* A hostile or broken peer: say why, never crash. */
    if (e->logged < SESS_BAD_LOGGED) {
        e->logged++;
        sess_event(s, b, "bad message from %s (%s): %s%s", b ? b->id : "an unknown peer",
                   from->addr[0] ? from->addr : "?", text,
                   e->logged == SESS_BAD_LOGGED ? " (more from this peer are counted, not logged)"
                                                : "");
    } else {
        e->more++;
        e->t_last = now;
        snprintf(e->last, sizeof e->last, "%.150s", text);
    }
    if ((d == -2 || b != NULL) && (e->last_answer == 0 || now - e->last_answer >= 1000000000u)) {
        struct proto_msg *m = s->out;
        uint8_t *eb;
        size_t el;

        e->last_answer = now;
        proto_init(m, PROTO_ERROR);
        snprintf(m->u.error.text, sizeof m->u.error.text, "%s", text);
        if (proto_encode(m, &eb, &el, NULL) == 0) {
            bus_send(s->bus, from, eb, el, NULL);
            free(eb);
        }
        proto_free(m);
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
            if (d == 0)
                sess_handle(s, &from, s->in, now);
            else
                sess_bad(s, &from, d, text, now);
            proto_free(s->in);
        }
        sess_bad_tick(s, now);
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
                    b->losses++;
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
