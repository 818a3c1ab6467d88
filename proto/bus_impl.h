/* bus_impl.h - what bus.c (sockets), bus_watch.c (ZAP handler, monitor,
 * events) and bus_key.c (keys) share. Private to the bus module; the one
 * place of ours that includes zmq.h. */
#ifndef BSS_BUS_IMPL_H
#define BSS_BUS_IMPL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <zmq.h>

#include "bus.h"

#define BUS_KEY_BIN 32          /* a Curve key in binary */
#define BUS_ENDPOINT_LEN 256
#define BUS_EVENT_LEN 256       /* one event text with its NUL */
#define BUS_ADDR_LEN 56         /* "[IPv6]:port" with its NUL */
#define BUS_ZAP_DOMAIN "bitshares-stress"
#define BUS_SEEN 64             /* recent failure causes remembered */

/* A failure cause (hash of peer and reason) and how often it recurred. */
struct bus_seen {
    uint64_t hash;
    int64_t since_ms;
    unsigned count;
};

struct bus {
    void *ctx, *sock;
    bool server, insecure;
    char endpoint[BUS_ENDPOINT_LEN];    /* server: as bound (port resolved) */
    char server_key[BUS_KEY_LEN + 1];   /* client: the pinned key, "" when insecure */
    char own_key[BUS_KEY_LEN + 1];      /* client: ours, named when refused */

    /* Server allowlist (binary keys); read by the watcher only. */
    uint8_t (*allow)[BUS_KEY_BIN];
    size_t nallow;

    /* The watcher thread and what only it touches. */
    pthread_t thread;
    bool thread_started;
    void *zap, *mon;                    /* REP on the ZAP endpoint; PAIR of the monitor */
    char (*fd_addr)[BUS_ADDR_LEN];      /* server: peer of each accepted fd */
    size_t nfd;
    uint16_t pending;                   /* server: a handshake failure awaiting its fd */
    uint32_t pending_value;
    bool up;                            /* client: handshake done, not disconnected */
    struct bus_seen seen[BUS_SEEN];     /* failure causes recently reported */

    /* Client: the watcher saw the server refuse our key; the owner's
     * thread reconnects a while later (bus.c). */
    atomic_bool refused;
    int64_t refused_at;

    /* Event queue: the watcher pushes, the owner's thread pops. */
    pthread_mutex_t mu;
    bool mu_ready;
    char (*ev)[BUS_EVENT_LEN];
    size_t ev_cap, ev_head, ev_count;
    unsigned long ev_dropped;
};

/* bus_key.c: Z85 text to binary, checking length and alphabet; what names
 * the key in messages (the key itself is never quoted). Returns 0 or -1. */
int bus_key_decode(uint8_t out[BUS_KEY_BIN], const char *z85, const char *what, char *err);
/* Both halves of a keypair, and that they belong together. */
int bus_keypair_decode(uint8_t pub[BUS_KEY_BIN], uint8_t sec[BUS_KEY_BIN], const char *pub_z85,
                       const char *sec_z85, const char *what, char *err);

/* bus.c: monotonic milliseconds. */
int64_t bus_now_ms(void);

/* bus_watch.c */
int bus_events_init(struct bus *b, size_t cap);
void bus_events_free(struct bus *b);
int bus_allow_init(struct bus *b, const char *const *allow, size_t nallow, char *err);
/* Binds the ZAP handler (secure server), starts monitoring b->sock and
 * the watcher thread. Call before bind/connect. */
int bus_watch_start(struct bus *b, char *err);
/* After zmq_ctx_shutdown: joins the thread, closes its sockets. */
void bus_watch_stop(struct bus *b);

#endif
