/* tracker_impl.h - the tracker's parts, shared by tracker.c (the
 * confirmation ledger: notes from the send path, matching blocks' keys,
 * publication for tracker_take) and tracker_follow.c (block following:
 * connections, requests, block notices, fetching, chain restarts, the
 * tracker thread). Not a public header. */
#ifndef BSS_TRACKER_IMPL_H
#define BSS_TRACKER_IMPL_H

#include <pthread.h>
#include <stdatomic.h>

#include "blockscan.h"
#include "err.h"
#include "nodetel.h"
#include "tracker.h"
#include "txmap.h"
#include "wsc.h"

#define TRACKER_CB 1            /* our callback id for block notices */
#define TRACKER_RING 64         /* recent block ids kept for TaPoS */
#define TRACKER_PENDING 256     /* outstanding requests matched by id */
#define TRACKER_FETCHING 16     /* get_block requests outstanding per node */
#define TRACKER_RESTART_BACK 600 /* blocks of a restarted chain fetched before its head */
#define TRACKER_EVENTS 16       /* events kept for the engine */
#define TRACKER_OUTBOX 512
#define TRACKER_MAX_LINKS 64
#define TRACKER_SEEN_S 10     /* how long block txids are remembered for late notes */
/* The tracker thread's longest wait. Block notices, answers and stop wake
 * it; the timeout only paces the dynamic properties (once a second) and the
 * notes applied between blocks, which nothing reads before the next block
 * (tracker_unconfirmed counts them wherever they are). At 20 ms an idle
 * tracker spent ~4 ms of CPU a second waking up on the 2-core VMs here. */
#define TRACKER_IDLE_MS 250

enum tracker_req { REQ_NONE, REQ_SUBSCRIBE, REQ_BLOCK, REQ_DYNPROPS, REQ_CHAIN_ID };

/* An accepted transaction on its way from the network thread. */
struct tracker_note {
    uint8_t txid[TX_ID_LEN];
    uint32_t expiration;
    uint16_t nops;
    uint8_t node;      /* index of the node it was sent to */
    uint64_t due_ns;
};

/* One followed node: its connection and request bookkeeping. */
struct tracker_link {
    struct tracker *t;
    struct wsc_conn *conn;
    unsigned index; /* 0 is the primary: TaPoS and head come from it */
    uint64_t next_id;
    struct { uint64_t id; enum tracker_req kind; uint32_t num; } pend[TRACKER_PENDING];
    char *outbox[TRACKER_OUTBOX];
    size_t out_head, out_n;
    uint32_t next_fetch;  /* next block to request; 0 until a block is known */
    uint32_t fetch_to;    /* the newest block this node announced */
    uint32_t lib;         /* its last irreversible block */
    unsigned fetching;    /* get_block requests outstanding */
    bool have_chain_id;
    uint8_t chain_id[32];
};

struct tracker {
    struct tracker_config cfg;
    char *url; /* the primary's, for messages */
    pthread_t tid;
    atomic_bool stop;

    /* network thread side */
    struct tracker_note *pbuf;
    size_t pn, pcap;
    uint64_t note_lost; /* accepted notes lost to an allocation failure */

    pthread_mutex_t lock; /* guards everything below it */
    struct tracker_note *shared;
    size_t sn, scap;
    size_t applying; /* notes taken from shared, not yet in the map */
    struct stats_interval acc;   /* counted since the last publication */
    struct stats_interval ready; /* published, for tracker_take */
    uint64_t open_pub; /* map entries (accepted, unresolved) when ready was published */
    struct {
        uint32_t num;
        uint8_t id[TX_BLOCK_ID_LEN];
    } ring[TRACKER_RING];
    uint32_t head_num, lib_num, head_time;
    uint64_t head_seen_ns;
    bool have_block;
    char status[ERR_LEN];
    char events[TRACKER_EVENTS][ERR_LEN];
    size_t ev_head, ev_n;
    uint64_t ev_lost;  /* events dropped while the ring was full */
    uint64_t restarts;
    atomic_uint_fast64_t unconfirmed;
    struct { /* blocks read from each link since the last tracker_take */
        uint64_t blocks, txs, bytes;
    } lblk[TRACKER_MAX_LINKS];
    struct nodetel *tel; /* NULL when cfg.ntel is 0 */

    /* tracker thread only */
    struct wsc *w;
    struct tracker_link *links;
    size_t nlinks;
    struct txmap *map;
    struct txmap *seen;  /* txids of recent blocks: for notes that arrive after their block */
    uint64_t seen_ns_base;
    struct tracker_note *nbuf; /* the tracker thread's note buffer (swapped with shared) */
    size_t ncap;
    struct stats_interval local; /* per-block scratch, merged into acc */
    uint8_t (*keys)[BLOCKSCAN_KEY_LEN]; /* keys of the block being read (reused) */
    size_t nkeys, keys_cap;
    bool keys_short;   /* out of memory for keys: the block is read again */
};

/* tracker.c: applies the notes the network thread handed over and
 * publishes the counts (see there). Tracker thread. */
void tracker_apply_notes(struct tracker *t);
/* tracker.c: blockscan's callback collecting the keys of the block being
 * read into t->keys (user is the tracker). */
void tracker_on_tx(void *user, uint32_t index, const uint8_t *key);
/* tracker.c: counts block num, read from link l (its keys in t->keys),
 * and confirms ours. Tracker thread. */
void tracker_on_block(struct tracker_link *l, const struct blockscan *b, uint32_t num);

#endif
