/* wsc.h - websocket client connections for JSON-RPC (libwebsockets; with
 * the devnode's server, the only modules that include it).
 *
 * One struct wsc owns one libwebsockets context and is driven by ONE thread
 * (the beacon's network thread): every function here except wsc_wake must
 * be called on that thread, and every callback runs on it, inside
 * wsc_service.
 *
 * Connections reconnect by themselves with exponential backoff (100 ms
 * doubling to 5 s, with jitter) until wsc_close or wsc_free; on_close reports
 * each loss with a reason, on_open each (re)connection. Reasons include
 * "connection refused or unreachable" (lws 4.1 does not tell the two
 * apart), "cannot resolve HOST: ...", "TLS handshake failed: self-signed
 * certificate", "closed by peer (code 1009: ...)", "connection lost (closed
 * without a close frame)", "received message over max_frame (...)" and "received message over the
 * receive limit (...)" (max_rx).
 *
 * Sending: frames are queued by the caller's code, not here. When a
 * connection can take data, on_writable runs; it calls wsc_send for each
 * frame until wsc_send returns WSC_FULL (no room: stop; the next
 * on_writable is already requested) or it has nothing due. wsc_send frames
 * and masks the text into a per-connection batch, so the caller's frame
 * memory can be reused at once; nothing is allocated per frame once the
 * batch has grown to the largest burst. A burst's frames (all sent in one
 * callback) go to the socket in one write when the callback returns.
 *
 * Receiving: ws:// connections read the websocket protocol themselves over
 * lws's raw sockets (wsc_raw.c: a frame's payload is copied in bulk); wss://
 * ones use lws's ws role, since lws 4.1.6 cannot start TLS on a raw client.
 * Handshake failures read "websocket handshake refused: HTTP/1.1 404 Not
 * Found", "websocket handshake failed: wrong Sec-WebSocket-Accept"; frames a
 * client must fail on, "protocol error: ...".
 *
 * libwebsockets logs errors only; its TLS verdicts end up in on_close
 * reasons instead of the log. */
#ifndef BSS_WSC_H
#define BSS_WSC_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct wsc;
struct wsc_conn;

enum {
    WSC_OK = 0,
    WSC_FULL = 1,    /* socket choked: wait for on_writable */
    WSC_CLOSED = -1, /* not connected (yet / any more) */
    WSC_TOOBIG = -2, /* frame larger than max_frame */
};

struct wsc_callbacks {
    /* Connected (or reconnected) and ready for requests. */
    void (*on_open)(void *user, struct wsc_conn *c);
    /* One complete text message (fragments reassembled), len bytes, NUL-terminated. */
    void (*on_message)(void *user, struct wsc_conn *c, const char *msg, size_t len);
    /* The connection failed or was lost; reason names it (for logs and
     * counters). A reconnect is scheduled unless the callback calls
     * wsc_close(c). Not called for a connection closed with wsc_close. */
    void (*on_close)(void *user, struct wsc_conn *c, const char *reason);
    /* The connection can take data (after wsc_want_write; now and then
     * also unasked, e.g. after a PING had to wait for room). */
    void (*on_writable)(void *user, struct wsc_conn *c);
    /* The timer set with wsc_timer_at is due (it is disarmed first, so the
     * callback may re-arm it). */
    void (*on_timer)(void *user);
};

struct wsc_config {
    bool tls_insecure;      /* wss:// without certificate checks (self-signed testnets) */
    bool lws_frames;        /* parse ws:// frames with libwebsockets' ws role as wss://
                               does, instead of wsc's own reader (which takes a block
                               of JSON in bulk where lws 4.1 walks it byte by byte) */
    const char *ca_file;    /* extra CA bundle for wss://, or NULL for the system's */
    size_t max_frame;       /* largest message sent or received, bytes (default 32 MiB,
                               at most 2 GiB); a larger one received closes the
                               connection, which then reconnects */
    size_t max_rx;          /* largest message received, bytes (default, and at most,
                               max_frame): what a connection's role needs. A
                               sending connection's answers are acks and errors
                               (small); a block-following one's are blocks (a
                               real node's 6,878-transfer block is 2.9 MB of JSON). */
    unsigned max_rx_per_sent; /* when nonzero, a connection also receives up to this
                                 many times the largest frame it has sent (within
                                 max_frame): a node's error may echo the request
                                 (fc captures the transaction in its stack data) */
    unsigned backoff_min_ms; /* default 100 */
    unsigned backoff_max_ms; /* default 5000 */
    unsigned ping_interval_ms; /* PING after this long without receiving anything
                                  (default 2000; WSC_PING_OFF: no liveness check) */
    unsigned ping_timeout_ms;  /* then close if nothing arrives within this (default 5000) */
};

/* ping_interval_ms value that turns the liveness check off (0 is the default). */
#define WSC_PING_OFF UINT_MAX

/* Creates the client. cfg may be NULL for defaults (zero fields too); cb
 * is copied, user is passed to every callback. Returns NULL with err (e.g.
 * an unreadable ca_file). */
struct wsc *wsc_new(const struct wsc_config *cfg, const struct wsc_callbacks *cb, void *user,
                    char *err);
/* Closes every connection (no callbacks) and frees everything; NULL is a
 * no-op. Not from inside a callback. */
void wsc_free(struct wsc *w);

/* Starts a connection to url ("ws://HOST:PORT[/PATH]" or "wss://...", see
 * wsurl.h); it connects from the next wsc_service on, asynchronously, and
 * keeps reconnecting. tag is an opaque value for the caller (wsc_conn_tag).
 * Returns the connection, or NULL with err for a malformed URL. The
 * connection lives until wsc_close or wsc_free. */
struct wsc_conn *wsc_connect(struct wsc *w, const char *url, void *tag, char *err);
/* Closes a connection for good (no reconnect, no more callbacks for it);
 * it is freed and c must not be used after the call. May be called from
 * any callback, for this connection or another. NULL is a no-op. */
void wsc_close(struct wsc_conn *c);

/* The tag given to wsc_connect. */
void *wsc_conn_tag(const struct wsc_conn *c);
/* The URL the connection was made with (owned by c). */
const char *wsc_conn_url(const struct wsc_conn *c);
/* True between on_open and the next on_close (or a failed wsc_send, or
 * wsc_reconnect). */
bool wsc_conn_is_open(const struct wsc_conn *c);
/* When the last complete message (not a PONG) arrived on the current
 * connection, on the timefmt_mono_ns clock; its on_open time if none has;
 * 0 when it is not open. For callers that judge a peer by its answers. */
uint64_t wsc_conn_last_message_ns(const struct wsc_conn *c);
/* Drops the current connection (or connection attempt) and reconnects with
 * backoff, for a peer whose socket looks alive but which stopped
 * answering. At once the connection is no longer open (wsc_send returns
 * WSC_CLOSED); on_close(reason) follows from the next wsc_service, then the
 * reconnect. reason is copied (NULL: "reconnect requested"). A connection
 * that is not open or connecting (already waiting to reconnect) is left
 * alone. Not for a connection closed with wsc_close; NULL c is a no-op. */
void wsc_reconnect(struct wsc_conn *c, const char *reason);

/* Asks for an on_writable callback when the connection can take data. */
void wsc_want_write(struct wsc_conn *c);
/* Sends one text frame of len bytes (see the header comment). Returns
 * WSC_OK (handed to the socket), WSC_FULL (nothing sent; on_writable will
 * follow), WSC_CLOSED (not open, or the send failed: on_close follows) or
 * WSC_TOOBIG (len > max_frame; nothing sent, the connection stays). Call it
 * from on_writable or on_open (elsewhere on the service thread it works,
 * but only on_writable says when the socket has room). */
int wsc_send(struct wsc_conn *c, const char *text, size_t len);

/* Runs the event loop until at least one callback ran (or wsc_wake was
 * called), or for timeout_ms (0: only what is ready now). A due timer
 * fires in here, to the microsecond where the system allows. Returns 0, or
 * -1 if the loop failed. */
int wsc_service(struct wsc *w, int timeout_ms);
/* Arms the (single) timer to fire at mono_ns (timefmt_mono_ns clock), with
 * microsecond resolution; re-arming replaces the previous time, and a time
 * already past fires in the next wsc_service. */
void wsc_timer_at(struct wsc *w, uint64_t mono_ns);
/* Makes wsc_service return soon: the one blocked in another thread, or
 * the next one if none is. Thread-safe. */
void wsc_wake(struct wsc *w);

#endif
