/* bus_watch.c - the bus's watcher thread: the ZAP handler (RFC 27) that
 * admits only allowlisted Curve keys, the socket monitor that turns
 * handshake failures and disconnects into texts, and the bounded queue
 * those texts wait in until bus_event pops them.
 *
 * One thread per bus answers ZAP even while the owner is busy: a handshake
 * waits for the answer, so it must not depend on the owner calling
 * bus_recv. */
#include "bus_impl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "err.h"

#define BUS_ZAP_ENDPOINT "inproc://zeromq.zap.01"
#define BUS_MONITOR_ENDPOINT "inproc://bus-monitor"
#define BUS_ZAP_FRAMES 8        /* RFC 27 CURVE requests have 7 */
#define BUS_FD_MAX (1 << 20)
#define BUS_REPEAT_MS 60000
#define BUS_HS_FAILED                                                                     \
    (ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |         \
     ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)

int bus_events_init(struct bus *b, size_t cap)
{
    b->ev = calloc(cap, sizeof *b->ev);
    if (b->ev == NULL || pthread_mutex_init(&b->mu, NULL) != 0) {
        free(b->ev);
        b->ev = NULL;
        return -1;
    }
    b->mu_ready = true;
    b->ev_cap = cap;
    return 0;
}

void bus_events_free(struct bus *b)
{
    if (b->mu_ready)
        pthread_mutex_destroy(&b->mu);
    free(b->ev);
    free(b->fd_addr);
}

static void bus_event_push(struct bus *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void bus_fmt(char *dst, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* snprintf for texts where cutting a long endpoint short is fine. */
static void bus_fmt(char *dst, size_t cap, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(dst, cap, fmt, ap);
    va_end(ap);
}

/* A full queue drops its oldest text and counts it: the newest events
 * (the current trouble) are the ones worth keeping. */
static void bus_event_push(struct bus *b, const char *fmt, ...)
{
    char text[BUS_EVENT_LEN];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&b->mu);
    if (b->ev_count == b->ev_cap) {
        b->ev_head = (b->ev_head + 1) % b->ev_cap;
        b->ev_count--;
        b->ev_dropped++;
    }
    memcpy(b->ev[(b->ev_head + b->ev_count) % b->ev_cap], text, sizeof text);
    b->ev_count++;
    pthread_mutex_unlock(&b->mu);
}

int bus_event(struct bus *b, char *text, size_t cap)
{
    int got = 0;

    if (b == NULL || text == NULL || cap == 0)
        return 0;
    pthread_mutex_lock(&b->mu);
    if (b->ev_dropped > 0) {
        snprintf(text, cap, "%lu older bus events dropped (queue full)", b->ev_dropped);
        b->ev_dropped = 0;
        got = 1;
    } else if (b->ev_count > 0) {
        snprintf(text, cap, "%s", b->ev[b->ev_head]);
        b->ev_head = (b->ev_head + 1) % b->ev_cap;
        b->ev_count--;
        got = 1;
    }
    pthread_mutex_unlock(&b->mu);
    return got;
}

int bus_allow_init(struct bus *b, const char *const *allow, size_t nallow, char *err)
{
    char what[32];

    if (nallow == 0)
        return 0;
    if (allow == NULL)
        return err_set(err, "allowlist of %zu keys is NULL", nallow);
    b->allow = calloc(nallow, sizeof *b->allow);
    if (b->allow == NULL)
        return err_set(err, "out of memory for %zu allowed keys", nallow);
    for (size_t i = 0; i < nallow; i++) {
        snprintf(what, sizeof what, "allowed key %zu", i + 1);
        if (bus_key_decode(b->allow[i], allow[i], what, err) < 0)
            return -1;
    }
    b->nallow = nallow;
    return 0;
}

static bool bus_allowed(const struct bus *b, const uint8_t key[BUS_KEY_BIN])
{
    for (size_t i = 0; i < b->nallow; i++)
        if (memcmp(b->allow[i], key, BUS_KEY_BIN) == 0)
            return true;
    return false;
}

/* A client pinning the wrong server key retries about ten times a second
 * (its TCP connect succeeds, so ZeroMQ never backs off). So a cause (sig:
 * on a server the peer without its port and the reason, on a client the
 * text) is reported once a minute; more tells how many were held back
 * before ("" or a note to append). Returns false to hold this one back. */
static bool bus_report_now(struct bus *b, const char *sig, char more[48])
{
    uint64_t h = 1469598103934665603u; /* FNV-1a */
    int64_t now = bus_now_ms();
    struct bus_seen *s;

    for (const char *p = sig; *p != '\0'; p++)
        h = (h ^ (uint8_t)*p) * 1099511628211u;
    s = &b->seen[h % BUS_SEEN];
    if (s->hash == h && now - s->since_ms < BUS_REPEAT_MS) {
        s->count++;
        return false;
    }
    more[0] = '\0';
    if (s->hash == h && s->count > 0)
        snprintf(more, 48, " (%u more like it held back before)", s->count);
    s->hash = h;
    s->since_ms = now;
    s->count = 0;
    return true;
}

static bool bus_frame_is(zmq_msg_t *m, const char *s)
{
    return zmq_msg_size(m) == strlen(s) && memcmp(zmq_msg_data(m), s, strlen(s)) == 0;
}

/* Sends the frames of a ZAP reply; -1 when the context is going away. */
static int bus_zap_reply(void *zap, zmq_msg_t *request_id, const char *status, const char *text,
                         const char *user_id)
{
    const char *parts[] = {"1.0", NULL, status, text, user_id, ""};

    for (size_t i = 0; i < 6; i++) {
        const void *p = parts[i];
        size_t n = p != NULL ? strlen(parts[i]) : 0;
        if (i == 1 && request_id != NULL) {
            p = zmq_msg_data(request_id);
            n = zmq_msg_size(request_id);
        }
        if (zmq_send(zap, n > 0 ? p : "", n, i < 5 ? ZMQ_SNDMORE : 0) < 0)
            return -1;
    }
    return 0;
}

/* One ZAP request (frames: version, request id, domain, address, routing
 * id, mechanism, credentials). The User-Id we return is the key in Z85, so
 * bus_recv can name each sender's key from the message's metadata. */
static int bus_zap(struct bus *b)
{
    zmq_msg_t f[BUS_ZAP_FRAMES], scratch;
    size_t n = 0;
    int has_more, rc = -1;
    char key[BUS_KEY_LEN + 1] = "", addr[64] = "?";

    for (size_t i = 0; i < BUS_ZAP_FRAMES; i++)
        zmq_msg_init(&f[i]);
    zmq_msg_init(&scratch);
    do {
        zmq_msg_t *m = n < BUS_ZAP_FRAMES ? &f[n] : &scratch;
        if (zmq_msg_recv(m, b->zap, 0) < 0)
            goto done;
        has_more = zmq_msg_more(m);
        n += m != &scratch;
    } while (has_more);

    if (n < 6 || !bus_frame_is(&f[0], "1.0")) {
        rc = bus_zap_reply(b->zap, n >= 2 ? &f[1] : NULL, "500", "bad ZAP request", "");
        goto done;
    }
    if (zmq_msg_size(&f[3]) > 0 && zmq_msg_size(&f[3]) < sizeof addr) {
        memcpy(addr, zmq_msg_data(&f[3]), zmq_msg_size(&f[3]));
        addr[zmq_msg_size(&f[3])] = '\0';
    }
    if (n != 7 || !bus_frame_is(&f[5], "CURVE") || zmq_msg_size(&f[6]) != BUS_KEY_BIN) {
        bus_event_push(b, "refused a peer without a Curve key from %s", addr);
        rc = bus_zap_reply(b->zap, &f[1], "400", "CURVE required", "");
        goto done;
    }
    zmq_z85_encode(key, zmq_msg_data(&f[6]), BUS_KEY_BIN);
    if (bus_allowed(b, zmq_msg_data(&f[6]))) {
        bus_event_push(b, "accepted beacon key %s from %s", key, addr);
        rc = bus_zap_reply(b->zap, &f[1], "200", "OK", key);
    } else {
        char sig[BUS_KEY_LEN + 80];
        char more[48];
        snprintf(sig, sizeof sig, "zap %s %s", key, addr);
        if (bus_report_now(b, sig, more))
            bus_event_push(b, "refused beacon key %s from %s%s", key, addr,
                           more);
        rc = bus_zap_reply(b->zap, &f[1], "400", "key not in the allowlist", "");
    }
done:
    for (size_t i = 0; i < BUS_ZAP_FRAMES; i++)
        zmq_msg_close(&f[i]);
    zmq_msg_close(&scratch);
    return rc;
}

static const char *bus_protocol_reason(uint32_t code, char *tmp, size_t cap)
{
    switch (code) {
    case ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC:
        return "cryptographic error (is the pinned overseer key right?)";
    case ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH:
        return "security mechanism mismatch (is one side --insecure?)";
    default:
        snprintf(tmp, cap, "%s error 0x%08x", code >> 28 == 2 ? "ZAP" : "ZMTP protocol", code);
        return tmp;
    }
}

/* The text of a handshake failure event (without who failed). */
static const char *bus_failure_reason(uint16_t event, uint32_t value, char *tmp, size_t cap)
{
    if (event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL)
        return bus_protocol_reason(value, tmp, cap);
    if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) {
        snprintf(tmp, cap, "refused by the ZAP handler (status %u)", value);
        return tmp;
    }
    return strerror_r((int)value, tmp, cap);
}

/* "a.b.c.d:port" / "[v6]:port" of an accepted connection, "" when gone. */
static void bus_peer_name(int fd, char out[BUS_ADDR_LEN])
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    char ip[INET6_ADDRSTRLEN];

    out[0] = '\0';
    if (getpeername(fd, (struct sockaddr *)&ss, &sl) != 0)
        return;
    if (ss.ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)&ss;
        if (inet_ntop(AF_INET, &a->sin_addr, ip, sizeof ip) != NULL)
            snprintf(out, BUS_ADDR_LEN, "%s:%u", ip, ntohs(a->sin_port));
    } else if (ss.ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&ss;
        if (inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof ip) != NULL)
            snprintf(out, BUS_ADDR_LEN, "[%s]:%u", ip, ntohs(a->sin6_port));
    } else {
        snprintf(out, BUS_ADDR_LEN, "a local socket");
    }
}

/* Emits a handshake failure still waiting for its DISCONNECTED event. */
static void bus_flush_pending(struct bus *b, const char *addr)
{
    char tmp[128], sig[BUS_ADDR_LEN + 32];
    const char *port = strrchr(addr, ':');
    char more[48];

    if (b->pending == 0)
        return;
    snprintf(sig, sizeof sig, "hs %.*s %u %u",
             port != NULL ? (int)(port - addr) : (int)strlen(addr), addr, b->pending,
             b->pending_value);
    /* An AUTH failure was already reported by the ZAP handler, with the key. */
    if (b->pending != ZMQ_EVENT_HANDSHAKE_FAILED_AUTH && bus_report_now(b, sig, more))
        bus_event_push(b, "handshake failed from %s: %s%s", addr[0] ? addr : "an unknown peer",
                       bus_failure_reason(b->pending, b->pending_value, tmp, sizeof tmp),
                       more);
    b->pending = 0;
}

/* Handshake failure events carry no peer, but libzmq emits each one right
 * before the DISCONNECTED event of the same connection (from the same I/O
 * thread), and that one carries the fd, whose peer we noted when it was
 * ACCEPTED. The note is taken a moment after accept, so a connection that
 * lives less than that is reported from "an unknown peer" (or, should its
 * fd number already serve the next connection, from that one's peer). */
static void bus_server_event(struct bus *b, uint16_t event, uint32_t value)
{
    int fd = (int)value;

    if (event == ZMQ_EVENT_ACCEPTED) {
        bus_flush_pending(b, "");
        if (fd < 0 || fd >= BUS_FD_MAX)
            return;
        if ((size_t)fd >= b->nfd) {
            size_t n = (size_t)fd + 64;
            char(*p)[BUS_ADDR_LEN] = realloc(b->fd_addr, n * sizeof *p);
            if (p == NULL)
                return;
            memset(p + b->nfd, 0, (n - b->nfd) * sizeof *p);
            b->fd_addr = p;
            b->nfd = n;
        }
        bus_peer_name(fd, b->fd_addr[fd]);
    } else if (event & BUS_HS_FAILED) {
        bus_flush_pending(b, "");
        b->pending = event;
        b->pending_value = value;
    } else if (event == ZMQ_EVENT_DISCONNECTED) {
        const char *addr = fd >= 0 && (size_t)fd < b->nfd ? b->fd_addr[fd] : "";
        if (b->pending != 0)
            bus_flush_pending(b, addr);
        else
            bus_event_push(b, "connection from %s closed", addr[0] ? addr : "an unknown peer");
        if (fd >= 0 && (size_t)fd < b->nfd)
            b->fd_addr[fd][0] = '\0';
    }
}

/* A client retrying a handshake that keeps failing would repeat the same
 * text on every retry; bus_report_now holds the repeats back. */
static void bus_client_event(struct bus *b, uint16_t event, uint32_t value, const char *ep)
{
    char text[BUS_EVENT_LEN], tmp[128];
    char more[48];

    if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
        b->up = true;
        bus_event_push(b, "connected to %s", ep);
        return;
    }
    if (event == ZMQ_EVENT_DISCONNECTED) {
        if (b->up)
            bus_event_push(b, "disconnected from %s", ep);
        b->up = false;
        return;
    }
    if (!(event & BUS_HS_FAILED))
        return;
    if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) {
        atomic_store(&b->refused, true);
        bus_fmt(text, sizeof text, "%s refused this beacon's key %s (status %u): "
                "add it to the overseer's allowlist", ep, b->own_key, value);
    } else if (event == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL &&
               (value == EPIPE || value == ECONNRESET))
        bus_fmt(text, sizeof text, "handshake with %s failed: the overseer closed the "
                "connection (wrong overseer key pinned, or only one side --insecure?)", ep);
    else
        bus_fmt(text, sizeof text, "handshake with %s failed: %s", ep,
                bus_failure_reason(event, value, tmp, sizeof tmp));
    if (bus_report_now(b, text, more))
        bus_event_push(b, "%s%s", text,
                       more);
}

/* One monitor event: [uint16 event, uint32 value] then the endpoint. */
static int bus_monitor(struct bus *b)
{
    zmq_msg_t m;
    uint16_t event = 0;
    uint32_t value = 0;
    char ep[BUS_ENDPOINT_LEN] = "";
    bool first = true;
    int rc = 0;

    zmq_msg_init(&m);
    do {
        if (zmq_msg_recv(&m, b->mon, first ? ZMQ_DONTWAIT : 0) < 0) {
            rc = errno == EAGAIN && first ? 0 : -1;
            goto done;
        }
        if (first && zmq_msg_size(&m) == 6) {
            memcpy(&event, zmq_msg_data(&m), 2);
            memcpy(&value, (const uint8_t *)zmq_msg_data(&m) + 2, 4);
        } else if (!first && ep[0] == '\0' && zmq_msg_size(&m) < sizeof ep) {
            memcpy(ep, zmq_msg_data(&m), zmq_msg_size(&m));
            ep[zmq_msg_size(&m)] = '\0';
        }
        first = false;
    } while (zmq_msg_more(&m));
    if (b->server)
        bus_server_event(b, event, value);
    else
        bus_client_event(b, event, value, ep);
done:
    zmq_msg_close(&m);
    return rc;
}

static void *bus_watch_main(void *arg)
{
    struct bus *b = arg;
    zmq_pollitem_t items[2] = {{.socket = b->mon, .events = ZMQ_POLLIN},
                               {.socket = b->zap, .events = ZMQ_POLLIN}};
    int n = b->zap != NULL ? 2 : 1;

    /* Ends when bus_free shuts the context down (ETERM). */
    for (;;) {
        if (zmq_poll(items, n, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if ((items[0].revents & ZMQ_POLLIN) && bus_monitor(b) < 0)
            break;
        if (n == 2 && (items[1].revents & ZMQ_POLLIN) && bus_zap(b) < 0)
            break;
    }
    return NULL;
}

static void *bus_watch_socket(struct bus *b, int type, char *err)
{
    void *s = zmq_socket(b->ctx, type);
    int zero = 0;

    if (s == NULL)
        err_set(err, "zmq_socket: %s", zmq_strerror(errno));
    else
        zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
    return s;
}

int bus_watch_start(struct bus *b, char *err)
{
    int events = ZMQ_EVENT_DISCONNECTED | BUS_HS_FAILED |
                 (b->server ? ZMQ_EVENT_ACCEPTED : ZMQ_EVENT_HANDSHAKE_SUCCEEDED);
    sigset_t all, old;
    int rc;

    if (b->server && !b->insecure) {
        b->zap = bus_watch_socket(b, ZMQ_REP, err);
        if (b->zap == NULL)
            return -1;
        if (zmq_bind(b->zap, BUS_ZAP_ENDPOINT) != 0)
            return err_set(err, "ZAP handler: %s", zmq_strerror(errno));
    }
    if (zmq_socket_monitor(b->sock, BUS_MONITOR_ENDPOINT, events) != 0)
        return err_set(err, "zmq_socket_monitor: %s", zmq_strerror(errno));
    b->mon = bus_watch_socket(b, ZMQ_PAIR, err);
    if (b->mon == NULL)
        return -1;
    if (zmq_connect(b->mon, BUS_MONITOR_ENDPOINT) != 0)
        return err_set(err, "monitor: %s", zmq_strerror(errno));
    /* From here on zap and mon belong to the thread (pthread_create and
     * pthread_join order the hand-over both ways). It starts with every
     * signal blocked, so that the program's handlers (Ctrl-C) never
     * interrupt a ZAP exchange halfway. */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    rc = pthread_create(&b->thread, NULL, bus_watch_main, b);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0)
        return err_set(err, "cannot start the bus watcher thread: %s", strerror(rc));
    b->thread_started = true;
    return 0;
}

void bus_watch_stop(struct bus *b)
{
    if (b->thread_started)
        pthread_join(b->thread, NULL);
    b->thread_started = false;
    if (b->zap != NULL)
        zmq_close(b->zap);
    if (b->mon != NULL)
        zmq_close(b->mon);
    b->zap = b->mon = NULL;
}
