/* wsc.h - websocket client connections for JSON-RPC (libwebsockets; with
 * the devnode's server, the only modules that include it).
 *
 * One struct wsc owns one libwebsockets context and is driven by ONE thread
 * (the beacon's network thread): every function here except wsc_wake must
 * be called on that thread, and every callback runs on it.
 *
 * Connections reconnect by themselves with exponential backoff (100 ms
 * doubling to 5 s, with jitter) until wsc_close or wsc_free; on_close reports
 * each loss with a reason, on_open each (re)connection.
 *
 * Sending: frames are queued by the caller's code, not here. When a
 * connection can take data, on_writable runs; it calls wsc_send for each
 * frame until wsc_send returns WSC_FULL (the socket is choked: stop and
 * wait for the next on_writable) or it has nothing due. wsc_send copies the
 * text into a per-connection buffer with the headroom libwebsockets needs,
 * so the caller's frame memory can be reused at once. */
#ifndef BSS_WSC_H
#define BSS_WSC_H

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
     * counters). A reconnect is scheduled unless the connection was closed. */
    void (*on_close)(void *user, struct wsc_conn *c, const char *reason);
    /* The connection can take data (after wsc_want_write). */
    void (*on_writable)(void *user, struct wsc_conn *c);
    /* A timer set with wsc_timer_at fired. */
    void (*on_timer)(void *user);
};

struct wsc_config {
    bool tls_insecure;      /* wss:// without certificate checks (self-signed testnets) */
    const char *ca_file;    /* extra CA bundle for wss://, or NULL for the system's */
    size_t max_frame;       /* largest frame sent or received, bytes (default 32 MB) */
    unsigned backoff_min_ms; /* default 100 */
    unsigned backoff_max_ms; /* default 5000 */
};

/* Creates the client. cfg may be NULL for defaults; cb and user are kept.
 * Returns NULL with err. */
struct wsc *wsc_new(const struct wsc_config *cfg, const struct wsc_callbacks *cb, void *user,
                    char *err);
/* Closes every connection and frees everything; NULL is a no-op. */
void wsc_free(struct wsc *w);

/* Starts a connection to url ("ws://HOST:PORT[/PATH]" or "wss://..."); it
 * connects asynchronously and keeps reconnecting. tag is an opaque value for
 * the caller (wsc_conn_tag). Returns the connection, or NULL with err for a
 * malformed URL. The connection lives until wsc_close or wsc_free. */
struct wsc_conn *wsc_connect(struct wsc *w, const char *url, void *tag, char *err);
/* Closes a connection for good (no reconnect); it is freed. */
void wsc_close(struct wsc_conn *c);

void *wsc_conn_tag(const struct wsc_conn *c);
/* The URL the connection was made with. */
const char *wsc_conn_url(const struct wsc_conn *c);
bool wsc_conn_is_open(const struct wsc_conn *c);

/* Asks for an on_writable callback when the connection can take data. */
void wsc_want_write(struct wsc_conn *c);
/* Sends one text frame (see the header comment). Returns WSC_OK, WSC_FULL,
 * WSC_CLOSED or WSC_TOOBIG. Call it only from on_writable, or right after
 * on_open. */
int wsc_send(struct wsc_conn *c, const char *text, size_t len);

/* Runs the event loop until something happened or the next timer is due,
 * at most timeout_ms. Returns 0, or -1 if the loop failed. */
int wsc_service(struct wsc *w, int timeout_ms);
/* Arms the (single) timer to fire at mono_ns (timefmt_mono_ns clock), with
 * microsecond resolution; re-arming replaces the previous time. */
void wsc_timer_at(struct wsc *w, uint64_t mono_ns);
/* Makes a wsc_service blocked in another thread return soon. Thread-safe. */
void wsc_wake(struct wsc *w);

#endif
