/* wsserver.h - the devnode's network side (the only libwebsockets user):
 * websocket JSON-RPC and the same JSON over HTTP POST on one port, ws:// or
 * wss:// (with a certificate), periodic timers, all on one thread.
 *
 * Messages over max_message bytes (default 32,000,000, websocketpp's limit)
 * close the connection with 1009. Each connection's replies are queued in
 * order; when a client stops reading, its queue grows to a bound and then
 * reading from it pauses (backpressure) until it drains. Clients that go
 * away are cleaned up without affecting the others. */
#ifndef DEVNODE_WSSERVER_H
#define DEVNODE_WSSERVER_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sbuf.h"

#define WSSERVER_MAX_MESSAGE 32000000

struct wsserver;

struct wsserver_cfg {
    const char *iface;    /* address to listen on, e.g. "127.0.0.1" */
    int port;             /* 0: any free port (see wsserver_port) */
    const char *tls_cert; /* PEM files for wss://, or NULL */
    const char *tls_key;
    size_t max_message;   /* 0: WSSERVER_MAX_MESSAGE */
};

struct wsserver_handlers {
    void *ud;
    /* A websocket connection starts (conn > 0), or one HTTP request
     * (conn 0: no later messages can reach it); returns its session, or
     * NULL to refuse it. */
    void *(*open)(void *ud, uint64_t conn);
    /* One complete message; append the reply (if any) to reply. */
    void (*message)(void *ud, void *session, const char *msg, size_t len, struct sbuf *reply);
    /* The connection ended. */
    void (*close)(void *ud, void *session);
};

struct wsserver_stats {
    uint64_t connections;   /* accepted websocket connections */
    uint64_t open;          /* currently open */
    uint64_t messages;      /* requests received (ws and HTTP) */
    uint64_t too_big;       /* connections closed with 1009 */
};

/* Starts listening. Returns NULL with err (address in use, bad
 * certificate, ...). */
struct wsserver *wsserver_new(const struct wsserver_cfg *cfg, const struct wsserver_handlers *h,
                              char *err);
/* Closes every connection and frees; NULL is a no-op. */
void wsserver_free(struct wsserver *s);

/* The port actually listened on. */
int wsserver_port(const struct wsserver *s);

/* Queues msg for websocket connection conn. Returns 0, or -1 when the
 * connection is gone (or is not a websocket) or out of memory. */
int wsserver_send(struct wsserver *s, uint64_t conn, const char *msg, size_t len);

/* Calls fn(arg) every period_ns on the server thread. Periods are kept on
 * the monotonic clock; a late tick does not cause a burst of catch-up
 * calls. Periods under 20 ms use a kernel timer polled with the sockets
 * (no busy waiting for sub-millisecond remainders). At most 8 timers.
 * Returns the timer's number (>= 0), or -1. */
int wsserver_every(struct wsserver *s, uint64_t period_ns, void (*fn)(void *arg), void *arg);

/* Stops (run false) or restarts a timer of a period under 20 ms, so that
 * an idle server does not wake every millisecond; others are unaffected.
 * Cheap when nothing changes. */
void wsserver_timer_run(struct wsserver *s, int timer, bool run);

/* Serves until *stop becomes non-zero. Returns 0, or -1 on a fatal
 * service error. */
int wsserver_run(struct wsserver *s, volatile sig_atomic_t *stop);

/* Makes wsserver_run look at *stop now (async-signal-safe enough for a
 * signal handler: it writes to libwebsockets' wake-up pipe). */
void wsserver_wake(struct wsserver *s);

const struct wsserver_stats *wsserver_stats(const struct wsserver *s);

#endif
