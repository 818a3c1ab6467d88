/* ws_testclient.h - a small blocking websocket client for tests
 * (libwebsockets underneath): connect to ws://127.0.0.1:PORT/, send text
 * frames, wait for messages with a timeout. Replies and "notice" messages
 * are kept in two queues so that a test can wait for either. One client
 * per struct; not thread-safe. */
#ifndef BSS_WS_TESTCLIENT_H
#define BSS_WS_TESTCLIENT_H

#include <stdbool.h>
#include <stddef.h>

struct wstc;

/* Connects within timeout_ms. Returns the client, or NULL with err (a
 * buffer of at least 256 bytes, may be NULL). */
struct wstc *wstc_connect(int port, int timeout_ms, char *err);
/* Closes and frees; NULL is a no-op. */
void wstc_free(struct wstc *c);

/* Sends one text message of len bytes; waits (up to timeout_ms) until it
 * is written. Returns 0, or -1 when closed or timed out. */
int wstc_send(struct wstc *c, const char *msg, size_t len, int timeout_ms);

/* The next reply (any message that is not a notice), waiting up to
 * timeout_ms. Returns a NUL-terminated copy (free with free()), or NULL on
 * timeout or when the connection is closed and nothing is queued. */
char *wstc_recv(struct wstc *c, int timeout_ms);
/* The same for {"method":"notice",...} messages. */
char *wstc_recv_notice(struct wstc *c, int timeout_ms);

/* Sends msg and returns the next reply (see wstc_recv). */
char *wstc_call(struct wstc *c, const char *msg, int timeout_ms);

/* Services the connection for up to timeout_ms or until it closes.
 * Returns true when it is closed. */
bool wstc_wait_closed(struct wstc *c, int timeout_ms);
/* The close code the server sent (e.g. 1009), or 0. */
int wstc_close_code(const struct wstc *c);

#endif
