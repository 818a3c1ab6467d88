/* wspeer.h - one relay link of a devnode network: a websocket client
 * connection to a peer devnode's API port (the peer handles what arrives
 * as JSON-RPC notifications, see relay in rpc.h), on the server's
 * libwebsockets context and thread. A link models a P2P connection's
 * costs: each message waits for the link's bandwidth (serialisation, one
 * message after the other) and then its latency before it is written.
 * What waits is bounded (bytes); past the bound, and while the peer is
 * unreachable, messages are dropped and counted, except that blocks
 * (forced) are only dropped while the peer is unreachable. The link
 * tries to (re)connect every 250 ms while the peer is down. */
#ifndef DEVNODE_WSPEER_H
#define DEVNODE_WSPEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct wsserver;
struct wspeer;

struct wspeer_cfg {
    const char *host;      /* peer address (copied) */
    int port;
    double latency_s;      /* one-way latency */
    double bandwidth_bps;  /* bits per second */
    size_t max_bytes;      /* bound on what waits */
    /* Called each time the link (re)connects, e.g. to send the peer the
     * blocks it may have missed (NULL: nothing). */
    void (*on_up)(void *ud, struct wspeer *p);
    void *ud;
    /* Messages sent not forced are items of a batch: those due together
     * leave as one message, prefix item[,item...] suffix (up to 1 MiB of
     * items); NULL prefix: every message as it is. */
    const char *batch_prefix, *batch_suffix;
};

struct wspeer_stats {
    uint64_t sent, sent_bytes;  /* messages queued that were written, and bytes */
    uint64_t writes;            /* websocket messages written (batches count once) */
    uint64_t dropped_full;  /* over max_bytes */
    uint64_t dropped_down;  /* peer unreachable */
    size_t queued, queued_bytes;
    bool up;
    uint64_t connects;      /* successful connections */
};

/* Starts a link to cfg's peer on srv (connects at the first tick).
 * Returns NULL with err. */
struct wspeer *wspeer_new(struct wsserver *srv, const struct wspeer_cfg *cfg, char *err);
/* Closes and frees; NULL is a no-op. Call before wsserver_free. */
void wspeer_free(struct wspeer *p);

/* Queues msg (copied) for the peer; wire: the bytes it takes on the link
 * for the bandwidth (a P2P message's packed size; the JSON carried here is
 * larger). Forced messages ignore the byte bound and are never batched.
 * Returns 0 when queued, -1 when dropped (counted). */
int wspeer_send(struct wspeer *p, const char *msg, size_t len, size_t wire, bool forced,
                uint64_t now_ns);

/* Writes what is due, reconnects when down. Call every millisecond
 * while wspeer_busy. */
void wspeer_tick(struct wspeer *p, uint64_t now_ns);
/* True while messages wait or the link is down (needs ticks). */
bool wspeer_busy(const struct wspeer *p);

const struct wspeer_stats *wspeer_stats(const struct wspeer *p);
const char *wspeer_name(const struct wspeer *p); /* "HOST:PORT" */

#endif
