/* sess.h - the overseer's view of its beacons: who dialed in (by beacon id
 * and Curve key), heartbeats both ways with round-trip times, lost
 * detection (3 missed heartbeats), and STATS intake with duplicate drop and
 * cumulative acknowledgement, so that a resend after a reconnect never
 * counts twice and never leaves a gap. A beacon is known by its id and key;
 * a HELLO with a new session under them is a restarted process: its
 * sequence window starts again (its seq restarts at 1) and the restart is
 * logged. */
#ifndef BSS_SESS_H
#define BSS_SESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bus.h"
#include "proto.h"

enum sess_state { SESS_IDLE, SESS_PREPARING, SESS_READY, SESS_RUNNING, SESS_DONE, SESS_LOST };

#define SESS_SEEN_WINDOW 256 /* out-of-order STATS tracked beyond the contiguous prefix */

struct sess_beacon {
    struct bus_peer peer;
    char id[PROTO_STR], host[PROTO_STR], version[PROTO_STR];
    uint32_t cores;
    unsigned index;            /* order of first arrival: 0, 1, ... */
    enum sess_state state;
    bool alive;                /* heartbeats arriving */
    uint64_t last_rx_ns;
    uint64_t peer_t;           /* its last heartbeat time, echoed back */
    uint64_t rtt_ns;           /* last measured round trip */
    double cpu_pct;
    uint32_t hb_state;
    uint64_t contig;           /* every STATS seq <= contig received */
    uint8_t seen[SESS_SEEN_WINDOW]; /* seq contig+1+i received (ring by seq) */
    struct proto_ready ready;  /* last READY */
    bool have_ready;
    struct proto_done done;    /* last DONE */
    bool have_done;
    uint32_t phase;            /* phase of the last READY/DONE/STATS */
    uint64_t session;          /* the beacon process's hello.session (0: a 1.1 beacon) */
    unsigned restarts;         /* times a new session came with this id and key */
    unsigned losses;           /* times it was marked lost (or said bye) */
    uint64_t refused_session;  /* the last second process refused under this id */
    uint64_t welcome_ns;       /* when the last hello was welcomed */
};

struct sess_callbacks {
    /* A new STATS interval (never a duplicate). */
    void (*on_stats)(void *user, struct sess_beacon *b, const struct proto_stats *st);
    /* A human-readable event: arrivals, losses, beacon EVENT/ERROR texts. */
    void (*on_event)(void *user, struct sess_beacon *b, const char *text);
};

struct sess;

/* Takes over nothing: bus is borrowed. Returns NULL when out of memory. */
struct sess *sess_new(struct bus *bus, const char *run_id, const struct sess_callbacks *cb,
                      void *user);
void sess_free(struct sess *s);

/* Receives and handles messages for up to timeout_ms, sends heartbeats,
 * marks beacons lost after 3 missed heartbeats. Returns 0 or -1 with err. */
int sess_poll(struct sess *s, int timeout_ms, char *err);

/* Sends m to b. Returns 0, or -1 when it could not be sent. */
int sess_send(struct sess *s, struct sess_beacon *b, const struct proto_msg *m);

size_t sess_count(const struct sess *s);
struct sess_beacon *sess_at(struct sess *s, size_t i);
/* Beacons with heartbeats arriving. */
size_t sess_alive(const struct sess *s);

#endif
