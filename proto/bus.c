/* bus.c - see bus.h. Sockets, send and receive; the ZAP handler, the
 * socket monitor and the event queue are in bus_watch.c, key files in
 * bus_key.c.
 *
 * Each bus has its own ZeroMQ context: the ZAP endpoint
 * (inproc://zeromq.zap.01) is per context, so several servers in one
 * process (tests, `overseer run --local`) cannot answer each other's
 * handshakes, and bus_free can terminate the context, which is what makes
 * every ZeroMQ thread and buffer go away. */
#include "bus_impl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "err.h"

/* A frame still queued when the socket closes is dropped after this. */
#define BUS_LINGER_MS 100
/* ZeroMQ's own reconnect: first retry after 100 ms, backing off to 2 s. */
#define BUS_RECONNECT_MS 100
#define BUS_RECONNECT_MAX_MS 2000
/* ZMTP PINGs detect a dead link (NAT drop, host crash) that TCP would only
 * notice after minutes. The timeout is generous because a PONG queued
 * behind a large frame arrives only after that frame: 10 s allows a 64 MB
 * frame over 6.4 MB/s. The application keeps its own 1 s heartbeats. */
/* ZeroMQ's own PINGs only keep dead TCP links from lingering: the
 * application heartbeats every second and declares a beacon lost after 3 s.
 * Every 5 s, because libzmq's timer bookkeeping grows with the number of
 * connections: at 500 beacons a 1 s PING cost the overseer about 2.5 % of a
 * core (tests/bench_overseer.sh). */
#define BUS_HEARTBEAT_IVL_MS 5000
#define BUS_HEARTBEAT_TIMEOUT_MS 15000
/* After a refusal of its key a client tries again this much later. */
#define BUS_REFUSED_RETRY_MS 5000
/* Queued events: a server sees one "accepted" per beacon at start-up. */
#define BUS_EVENTS_SERVER 1024
#define BUS_EVENTS_CLIENT 64

/* "127.a.b.c" exactly (each part 0..255, no leading '+' or spaces). */
static bool bus_is_127(const char *s, size_t n)
{
    unsigned part = 0, value = 0, digits = 0;

    for (size_t i = 0; i <= n; i++) {
        if (i == n || s[i] == '.') {
            if (digits == 0 || value > 255 || (part == 0 && value != 127))
                return false;
            part++;
            value = digits = 0;
        } else if (s[i] >= '0' && s[i] <= '9' && digits < 3) {
            value = value * 10 + (unsigned)(s[i] - '0');
            digits++;
        } else {
            return false;
        }
    }
    return part == 4;
}

/* Only these reach no other host: tcp://127.x.x.x:PORT,
 * tcp://localhost:PORT, tcp://[::1]:PORT (PORT digits or "*"), ipc://. */
static bool bus_is_loopback(const char *ep)
{
    const char *host, *colon, *port;
    size_t n;

    if (strncmp(ep, "ipc://", 6) == 0)
        return ep[6] != '\0';
    if (strncmp(ep, "tcp://", 6) != 0)
        return false;
    host = ep + 6;
    colon = strrchr(host, ':');
    if (colon == NULL)
        return false;
    n = (size_t)(colon - host);
    port = colon + 1;
    if (strcmp(port, "*") != 0) {
        size_t k = strspn(port, "0123456789");
        if (k == 0 || k > 5 || port[k] != '\0')
            return false;
    }
    return (n == 9 && memcmp(host, "localhost", 9) == 0) ||
           (n == 5 && memcmp(host, "[::1]", 5) == 0) || bus_is_127(host, n);
}

static int bus_check_endpoint(const char *ep, bool insecure, char *err)
{
    if (ep == NULL || ep[0] == '\0')
        return err_set(err, "no endpoint given");
    if (strlen(ep) >= BUS_ENDPOINT_LEN)
        return err_set(err, "endpoint longer than %d characters", BUS_ENDPOINT_LEN - 1);
    /* inproc:// needs one shared context, and each bus has its own. */
    if (strncmp(ep, "inproc://", 9) == 0)
        return err_set(err, "%s: inproc:// cannot join two buses; use ipc:// or tcp://", ep);
    if (insecure && !bus_is_loopback(ep))
        return err_set(err, "%s: --insecure is only allowed on loopback (tcp://127.0.0.1:PORT, "
                            "tcp://localhost:PORT, tcp://[::1]:PORT, ipc://)", ep);
    return 0;
}

static int bus_setopt_int(struct bus *b, int opt, int value, const char *name, char *err)
{
    if (zmq_setsockopt(b->sock, opt, &value, sizeof value) != 0)
        return err_set(err, "setting %s: %s", name, zmq_strerror(errno));
    return 0;
}

/* Options both roles share; set before bind/connect (ZeroMQ reads most of
 * them only when a connection starts). */
static int bus_common_options(struct bus *b, const char *ep, char *err)
{
    int64_t max = BUS_MAX_FRAME;
    /* IPv6 only when asked for: with it on, "localhost" or "*" could end
     * up on ::1 / :: and surprise an IPv4 peer. */
    int ipv6 = strstr(ep, "://[") != NULL;

    if (zmq_setsockopt(b->sock, ZMQ_MAXMSGSIZE, &max, sizeof max) != 0)
        return err_set(err, "setting ZMQ_MAXMSGSIZE: %s", zmq_strerror(errno));
    if (bus_setopt_int(b, ZMQ_LINGER, BUS_LINGER_MS, "ZMQ_LINGER", err) < 0 ||
        bus_setopt_int(b, ZMQ_IPV6, ipv6, "ZMQ_IPV6", err) < 0 ||
        bus_setopt_int(b, ZMQ_HEARTBEAT_IVL, BUS_HEARTBEAT_IVL_MS, "ZMQ_HEARTBEAT_IVL", err) < 0 ||
        bus_setopt_int(b, ZMQ_HEARTBEAT_TIMEOUT, BUS_HEARTBEAT_TIMEOUT_MS,
                       "ZMQ_HEARTBEAT_TIMEOUT", err) < 0 ||
        bus_setopt_int(b, ZMQ_HEARTBEAT_TTL, BUS_HEARTBEAT_TIMEOUT_MS, "ZMQ_HEARTBEAT_TTL",
                       err) < 0)
        return -1;
    return 0;
}

static int bus_setopt_key(struct bus *b, int opt, const uint8_t key[BUS_KEY_BIN], const char *name,
                          char *err)
{
    if (zmq_setsockopt(b->sock, opt, key, BUS_KEY_BIN) != 0)
        return err_set(err, "setting %s: %s", name, zmq_strerror(errno));
    return 0;
}

/* The common start: a context, the event queue, the socket. */
static struct bus *bus_alloc(int type, bool server, size_t nevents, char *err)
{
    struct bus *b = calloc(1, sizeof *b);

    if (b == NULL) {
        err_set(err, "out of memory");
        return NULL;
    }
    b->server = server;
    if (bus_events_init(b, nevents) < 0) {
        free(b);
        err_set(err, "out of memory");
        return NULL;
    }
    b->ctx = zmq_ctx_new();
    if (b->ctx == NULL) {
        err_set(err, "zmq_ctx_new: %s", zmq_strerror(errno));
        goto fail;
    }
    b->sock = zmq_socket(b->ctx, type);
    if (b->sock == NULL) {
        err_set(err, "zmq_socket: %s", zmq_strerror(errno));
        goto fail;
    }
    return b;
fail:
    bus_free(b);
    return NULL;
}

struct bus *bus_server_new(const struct bus_server_config *cfg, char *err)
{
    uint8_t pub[BUS_KEY_BIN], sec[BUS_KEY_BIN];
    struct bus *b = NULL;
    size_t len;
    int one = 1;

    if (bus_check_endpoint(cfg->endpoint, cfg->insecure, err) < 0)
        return NULL;
    if (!cfg->insecure && bus_keypair_decode(pub, sec, cfg->public_key, cfg->secret_key,
                                             "server", err) < 0)
        goto fail;
    b = bus_alloc(ZMQ_ROUTER, true, BUS_EVENTS_SERVER, err);
    if (b == NULL)
        goto fail;
    b->insecure = cfg->insecure;
    if (!cfg->insecure && bus_allow_init(b, cfg->allow, cfg->nallow, err) < 0)
        goto fail;
    if (bus_common_options(b, cfg->endpoint, err) < 0 ||
        bus_setopt_int(b, ZMQ_ROUTER_MANDATORY, one, "ZMQ_ROUTER_MANDATORY", err) < 0)
        goto fail;
    if (!cfg->insecure) {
        if (bus_setopt_int(b, ZMQ_CURVE_SERVER, one, "ZMQ_CURVE_SERVER", err) < 0 ||
            bus_setopt_key(b, ZMQ_CURVE_SECRETKEY, sec, "ZMQ_CURVE_SECRETKEY", err) < 0)
            goto fail;
        if (zmq_setsockopt(b->sock, ZMQ_ZAP_DOMAIN, BUS_ZAP_DOMAIN, strlen(BUS_ZAP_DOMAIN)) != 0) {
            err_set(err, "setting ZMQ_ZAP_DOMAIN: %s", zmq_strerror(errno));
            goto fail;
        }
    }
    /* The ZAP handler must listen before the first connection: without
     * one, libzmq lets every CURVE client in. */
    if (bus_watch_start(b, err) < 0)
        goto fail;
    if (zmq_bind(b->sock, cfg->endpoint) != 0) {
        int e = errno;
        /* ZeroMQ resolves no host names for bind ("localhost" fails). */
        err_set(err, "%s: %s%s", cfg->endpoint, zmq_strerror(e),
                e == ENODEV ? " (bind takes an IP address or an interface name)" : "");
        goto fail;
    }
    len = sizeof b->endpoint;
    if (zmq_getsockopt(b->sock, ZMQ_LAST_ENDPOINT, b->endpoint, &len) != 0)
        snprintf(b->endpoint, sizeof b->endpoint, "%s", cfg->endpoint);
    explicit_bzero(sec, sizeof sec);
    return b;
fail:
    explicit_bzero(sec, sizeof sec);
    bus_free(b);
    return NULL;
}

struct bus *bus_client_new(const struct bus_client_config *cfg, char *err)
{
    uint8_t pub[BUS_KEY_BIN], sec[BUS_KEY_BIN], srv[BUS_KEY_BIN];
    struct bus *b = NULL;

    if (bus_check_endpoint(cfg->endpoint, cfg->insecure, err) < 0)
        return NULL;
    if (!cfg->insecure &&
        (bus_key_decode(srv, cfg->server_key, "server key", err) < 0 ||
         bus_keypair_decode(pub, sec, cfg->public_key, cfg->secret_key, "client", err) < 0))
        goto fail;
    b = bus_alloc(ZMQ_DEALER, false, BUS_EVENTS_CLIENT, err);
    if (b == NULL)
        goto fail;
    b->insecure = cfg->insecure;
    snprintf(b->endpoint, sizeof b->endpoint, "%s", cfg->endpoint);
    if (!cfg->insecure) {
        memcpy(b->server_key, cfg->server_key, BUS_KEY_LEN);
        memcpy(b->own_key, cfg->public_key, BUS_KEY_LEN);
    }
    /* IMMEDIATE: with no finished handshake a send fails at once (returns
     * 1) instead of queueing for a server that may never come; the beacon
     * keeps its own unacknowledged stats and resends them. */
    if (bus_common_options(b, cfg->endpoint, err) < 0 ||
        bus_setopt_int(b, ZMQ_IMMEDIATE, 1, "ZMQ_IMMEDIATE", err) < 0 ||
        bus_setopt_int(b, ZMQ_RECONNECT_IVL, BUS_RECONNECT_MS, "ZMQ_RECONNECT_IVL", err) < 0 ||
        bus_setopt_int(b, ZMQ_RECONNECT_IVL_MAX, BUS_RECONNECT_MAX_MS, "ZMQ_RECONNECT_IVL_MAX",
                       err) < 0)
        goto fail;
    if (!cfg->insecure &&
        (bus_setopt_key(b, ZMQ_CURVE_SERVERKEY, srv, "ZMQ_CURVE_SERVERKEY", err) < 0 ||
         bus_setopt_key(b, ZMQ_CURVE_PUBLICKEY, pub, "ZMQ_CURVE_PUBLICKEY", err) < 0 ||
         bus_setopt_key(b, ZMQ_CURVE_SECRETKEY, sec, "ZMQ_CURVE_SECRETKEY", err) < 0))
        goto fail;
    if (bus_watch_start(b, err) < 0)
        goto fail;
    if (zmq_connect(b->sock, cfg->endpoint) != 0) {
        err_set(err, "%s: %s", cfg->endpoint, zmq_strerror(errno));
        goto fail;
    }
    explicit_bzero(sec, sizeof sec);
    return b;
fail:
    explicit_bzero(sec, sizeof sec);
    bus_free(b);
    return NULL;
}

void bus_free(struct bus *b)
{
    if (b == NULL)
        return;
    if (b->sock != NULL)
        zmq_close(b->sock);
    /* Shutdown wakes the watcher thread (its zmq_poll fails with ETERM);
     * terminating then waits for the linger of the closed socket. */
    if (b->ctx != NULL)
        zmq_ctx_shutdown(b->ctx);
    bus_watch_stop(b);
    if (b->ctx != NULL)
        while (zmq_ctx_term(b->ctx) != 0 && errno == EINTR)
            ;
    bus_events_free(b);
    free(b->allow);
    free(b);
}

int bus_endpoint(const struct bus *b, char *buf, size_t cap, char *err)
{
    size_t n = strlen(b->endpoint);

    if (n >= cap)
        return err_set(err, "endpoint needs %zu bytes, buffer has %zu", n + 1, cap);
    memcpy(buf, b->endpoint, n + 1);
    return 0;
}

/* libzmq treats a refusal (ZAP status 400) as a protocol error and never
 * retries that connection. Retrying now and then lets a beacon in once the
 * overseer has its key, without the beacon being restarted. */
static void bus_retry_refused(struct bus *b)
{
    int64_t now;

    if (b->server || !atomic_load(&b->refused))
        return;
    now = bus_now_ms();
    if (b->refused_at == 0) {
        b->refused_at = now;
        return;
    }
    if (now - b->refused_at < BUS_REFUSED_RETRY_MS)
        return;
    atomic_store(&b->refused, false);
    b->refused_at = 0;
    zmq_disconnect(b->sock, b->endpoint);
    zmq_connect(b->sock, b->endpoint);
}

int bus_send(struct bus *b, const struct bus_peer *to, const void *buf, size_t len, char *err)
{
    bus_retry_refused(b);
    if (len > BUS_MAX_FRAME)
        return err_set(err, "frame of %zu bytes is over the %u byte limit", len,
                       (unsigned)BUS_MAX_FRAME);
    if (b->server != (to != NULL))
        return err_set(err, b->server ? "no destination peer given"
                                       : "a client has one peer: pass to = NULL");
    if (b->server) {
        if (to->id_len == 0 || to->id_len > BUS_PEER_MAX)
            return err_set(err, "peer id of %zu bytes", to->id_len);
        /* ROUTER_MANDATORY: an unknown peer fails here (EHOSTUNREACH)
         * and a full one too (EAGAIN); once this part is accepted the
         * frame itself cannot fail for want of room. */
        if (zmq_send(b->sock, to->id, to->id_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
            goto fail;
    }
    if (zmq_send(b->sock, buf, len, ZMQ_DONTWAIT) < 0)
        goto fail;
    return 0;
fail:
    if (errno == EAGAIN || errno == EHOSTUNREACH)
        return 1;
    return err_set(err, "send: %s", zmq_strerror(errno));
}

static void bus_copy_prop(char *dst, size_t cap, zmq_msg_t *m, const char *name)
{
    const char *v = zmq_msg_gets(m, name);

    dst[0] = '\0';
    if (v != NULL && strlen(v) < cap)
        memcpy(dst, v, strlen(v) + 1);
}

/* Reads one message that poll said is there. Returns 1 with a frame, 0
 * when there was none or it was discarded (not one frame), -1 on error. */
static int bus_read(struct bus *b, struct bus_peer *from, uint8_t **buf, size_t *len, char *err)
{
    zmq_msg_t id, body;
    bool extra = false;
    int rc = -1;

    zmq_msg_init(&id);
    zmq_msg_init(&body);
    if (b->server && zmq_msg_recv(&id, b->sock, ZMQ_DONTWAIT) < 0)
        goto recv_fail;
    if (zmq_msg_recv(&body, b->sock, ZMQ_DONTWAIT) < 0)
        goto recv_fail;
    /* A peer may send several frames at once (ours never does): drop
     * them all rather than take half a message. */
    while (zmq_msg_more(&body)) {
        extra = true;
        zmq_msg_close(&body);
        zmq_msg_init(&body);
        if (zmq_msg_recv(&body, b->sock, ZMQ_DONTWAIT) < 0)
            goto recv_fail;
    }
    if (extra || zmq_msg_size(&id) > BUS_PEER_MAX) {
        rc = 0;
        goto done;
    }
    *len = zmq_msg_size(&body);
    *buf = malloc(*len > 0 ? *len : 1);
    if (*buf == NULL) {
        err_set(err, "out of memory for a frame of %zu bytes", *len);
        goto done;
    }
    memcpy(*buf, zmq_msg_data(&body), *len);
    if (from != NULL) {
        memset(from, 0, sizeof *from);
        from->id_len = zmq_msg_size(&id);
        memcpy(from->id, zmq_msg_data(&id), from->id_len);
        if (b->server)
            bus_copy_prop(from->key, sizeof from->key, &body, "User-Id");
        else
            memcpy(from->key, b->server_key, sizeof from->key);
        bus_copy_prop(from->addr, sizeof from->addr, &body, "Peer-Address");
    }
    rc = 1;
    goto done;
recv_fail:
    if (errno == EAGAIN)
        rc = 0;
    else
        err_set(err, "receive: %s", zmq_strerror(errno));
done:
    zmq_msg_close(&id);
    zmq_msg_close(&body);
    return rc;
}

int64_t bus_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int bus_recv(struct bus *b, struct bus_peer *from, uint8_t **buf, size_t *len, int timeout_ms,
             char *err)
{
    int64_t deadline = bus_now_ms() + (timeout_ms > 0 ? timeout_ms : 0);

    bus_retry_refused(b);
    for (;;) {
        zmq_pollitem_t item = {.socket = b->sock, .events = ZMQ_POLLIN};
        int64_t left = deadline - bus_now_ms();
        int rc = zmq_poll(&item, 1, timeout_ms < 0 ? -1 : left > 0 ? (long)left : 0);

        if (rc < 0 && errno != EINTR)
            return err_set(err, "poll: %s", zmq_strerror(errno));
        if (rc > 0) {
            rc = bus_read(b, from, buf, len, err);
            if (rc != 0)
                return rc;
        }
        if (timeout_ms >= 0 && bus_now_ms() >= deadline)
            return 0;
    }
}
