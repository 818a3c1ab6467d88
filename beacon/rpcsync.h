/* rpcsync.h - blocking JSON-RPC calls over one websocket connection, for
 * the beacon's setup phase (before any load is sent) and for tools. Not
 * for the send path: each call waits for its own answer.
 *
 * Runs its own wsc; use it from one thread. */
#ifndef BSS_RPCSYNC_H
#define BSS_RPCSYNC_H

#include <stdbool.h>
#include <stdint.h>

#include "jv.h"

struct rpcsync;

/* Connects to url and waits until the connection is open, at most
 * timeout_ms. Returns NULL with err ("ws://127.0.0.1:1: connection refused"). */
struct rpcsync *rpcsync_new(const char *url, bool tls_insecure, const char *ca_file,
                            unsigned timeout_ms, char *err);
/* Closes and frees; NULL is a no-op. */
void rpcsync_free(struct rpcsync *r);

/* Calls api.method with params (a JSON array text, e.g. "[[\"alice\"]]") and
 * waits at most timeout_ms for the answer. api is "database",
 * "network_broadcast" or a number as text ("0"). On success *root owns the
 * parsed reply (free with jv_free) and *result points at its "result"
 * member. On a node error returns -1 with err "METHOD: <node message>
 * (code C NAME)". Returns 0, or -1 with err. */
int rpcsync_call(struct rpcsync *r, const char *api, const char *method, const char *params,
                 unsigned timeout_ms, struct jv **root, const struct jv **result, char *err);

/* The URL this client is connected to. */
const char *rpcsync_url(const struct rpcsync *r);

#endif
