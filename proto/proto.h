/* proto.h - the messages between beacons and the overseer, encoded as
 * msgpack maps (msgpack-c; this is the only module that includes it).
 * Documented for humans in proto/PROTOCOL.md.
 *
 * Every message is a map with at least "v" (protocol version [major,
 * minor]) and "t" (type name). Decoding is fully bounds-checked; unknown
 * map keys are ignored; an unknown type or an incompatible major version is
 * an error whose text names what was received and what is spoken here.
 * Pure: no I/O, no logging. */
#ifndef BSS_PROTO_H
#define BSS_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ratectl.h"
#include "stats.h"

#define PROTO_MAJOR 1
#define PROTO_MINOR 3 /* 1.1: per-node breakdown in intervals; 1.2: the ledger's
                       * held / held_dropped / pending terms, reply and stale
                       * counts, 128-bit ack sums, hello.session; 1.3: target-node
                       * telemetry in the per-node breakdown (nodes[].head_block ...) */

#define PROTO_STR 128        /* bounded strings (ids, hosts, versions, reasons) */
#define PROTO_TEXT 1024      /* event texts */
#define PROTO_MAX_NODES 64
#define PROTO_MAX_KEYS_TEXT (1u << 20) /* key file text sent to a beacon */
/* Largest encoded message either side produces or accepts (a CONFIGURE with
 * the largest key text fits; a STATS with three full histograms is ~170 KB). */
#define PROTO_MAX_MSG (2u << 20)

enum proto_type {
    PROTO_HELLO = 1,     /* beacon -> overseer: who I am */
    PROTO_WELCOME,       /* overseer -> beacon: accepted, timing parameters */
    PROTO_CONFIGURE,     /* overseer -> beacon: a phase's setup */
    PROTO_PREPARE,       /* overseer -> beacon: set up and pre-sign */
    PROTO_READY,         /* beacon -> overseer: prepared (or failed) */
    PROTO_START,         /* overseer -> beacon: start the phase in N ns */
    PROTO_STOP,          /* overseer -> beacon: end the phase (drain) or abort */
    PROTO_STATS,         /* beacon -> overseer: one interval, sequence-numbered */
    PROTO_STATS_ACK,     /* overseer -> beacon: every STATS up to seq received */
    PROTO_EVENT,         /* beacon -> overseer: a log-worthy event */
    PROTO_DONE,          /* beacon -> overseer: phase finished, totals */
    PROTO_HEARTBEAT,     /* both ways, every second */
    PROTO_BYE,           /* both ways: leaving */
    PROTO_ERROR,         /* both ways: the last message could not be handled */
};

/* Name of a type ("hello", ...), or "unknown". */
const char *proto_type_name(enum proto_type t);

struct proto_hello {
    char beacon_id[PROTO_STR];   /* stable per host/process, e.g. "host-a/1234" */
    char version[PROTO_STR];     /* program version */
    char host[PROTO_STR];
    uint32_t cores;
    uint64_t acked_seq;          /* last STATS seq the overseer acknowledged (0: none) */
    uint64_t session;            /* random, fixed for the beacon process's life (1.2, optional:
                                  * 0 when the peer sent none) */
};

struct proto_welcome {
    char run_id[PROTO_STR];
    char version[PROTO_STR];     /* overseer version */
    uint32_t heartbeat_ms;
    uint32_t lease_ms;           /* stop broadcasting after this long without the overseer */
};

enum proto_spread { PROTO_SPREAD_ROUND_ROBIN, PROTO_SPREAD_SINGLE, PROTO_SPREAD_WEIGHTS };

struct proto_configure {
    uint32_t phase;
    char phase_name[PROTO_STR];
    uint32_t nnodes;
    char nodes[PROTO_MAX_NODES][PROTO_STR]; /* ws:// or wss:// URLs */
    uint32_t weights[PROTO_MAX_NODES];
    enum proto_spread spread;
    uint32_t conns_per_node;
    bool follow_all;
    bool tls_insecure;
    /* Account keys as key file text ("ACCOUNT WIF" lines), or NULL/0 to use
     * the beacon's local key file. Owned by the message (proto_free); wiped
     * by proto_free. */
    char *keys_text;
    size_t keys_len;
    struct ratectl_curve curve;
    uint32_t share_index, share_count; /* this beacon's share of the curve */
    uint32_t weight_transfer, weight_limit_order, ops_per_tx;
    uint64_t seed, k_offset;
    uint32_t window;
    uint32_t threads;            /* 0: the beacon decides */
    double presign_ahead_s;
    uint32_t expire_s;
    uint64_t late_ns, drop_horizon_ns, ack_timeout_ns, drain_ns;
};

struct proto_prepare {
    uint32_t phase;
    uint64_t items;              /* pre-sign at least this many before READY */
};

struct proto_chain {
    char chain_id[65];
    uint32_t max_tx_size, max_block_size, block_interval, max_expiration;
    int64_t transfer_fee, order_fee;
    uint32_t tx_size;            /* unsigned size of the largest shape sent */
};

struct proto_ready {
    uint32_t phase;
    bool ok;
    char error[PROTO_TEXT];      /* when !ok: why (setup error naming node/account) */
    uint64_t pool_level;
    struct proto_chain chain;
};

struct proto_start {
    uint32_t phase;
    uint64_t start_in_ns;        /* start this long after receiving the message */
};

struct proto_stop {
    uint32_t phase;
    bool abort;                  /* true: stop at once, no drain */
};

struct proto_stats {
    uint32_t phase;
    uint32_t second;             /* the interval's number within the phase: 1, 2, ... */
    uint32_t verdict;            /* enum stats_verdict */
    char reason[PROTO_STR];
    struct stats_interval s;     /* s.seq is the sequence number; histograms travel sparse */
};

struct proto_stats_ack {
    uint64_t seq;
};

enum proto_level { PROTO_INFO, PROTO_WARN, PROTO_ERR };

struct proto_event {
    uint32_t phase;
    enum proto_level level;
    char text[PROTO_TEXT];
};

struct proto_done {
    uint32_t phase;
    uint32_t verdict;
    char reason[PROTO_STR];
    struct stats_interval total;
    uint64_t sign_cpu_ns, signed_count, send_cpu_ns, sent_count;
};

struct proto_heartbeat {
    uint64_t t_ns;               /* sender's monotonic clock */
    uint64_t echo_ns;            /* the peer's last t_ns seen (0: none) */
    uint64_t echo_delay_ns;      /* time from receiving that t_ns to sending this:
                                  * RTT = now - echo_ns - echo_delay_ns (the peer's
                                  * heartbeat may wait up to a heartbeat period) */
    uint32_t state;              /* beacon: 0 idle, 1 preparing, 2 ready, 3 running, 4 draining */
    double cpu_pct;              /* beacon: process CPU, % of one core */
};

struct proto_text {              /* BYE and ERROR */
    char text[PROTO_TEXT];
};

struct proto_msg {
    enum proto_type type;
    uint32_t vmajor, vminor;     /* as received (decode) */
    union {
        struct proto_hello hello;
        struct proto_welcome welcome;
        struct proto_configure configure;
        struct proto_prepare prepare;
        struct proto_ready ready;
        struct proto_start start;
        struct proto_stop stop;
        struct proto_stats stats;
        struct proto_stats_ack stats_ack;
        struct proto_event event;
        struct proto_done done;
        struct proto_heartbeat heartbeat;
        struct proto_text bye;
        struct proto_text error;
    } u;
};

/* Initialises m as an empty message of type t (all fields of m->u's member
 * for t zero, histograms empty; the other members are not meaningful). The
 * struct is large (histograms): allocate it, don't put it on a small
 * stack. */
void proto_init(struct proto_msg *m, enum proto_type t);
/* Frees what m owns (configure.keys_text, wiped first); m stays valid and empty. */
void proto_free(struct proto_msg *m);

/* Encodes m. On success *out is a malloc'd buffer of *len bytes (free()).
 * Returns 0, or -1 with err. */
int proto_encode(const struct proto_msg *m, uint8_t **out, size_t *len, char *err);

/* Wipes and frees an encoded buffer (NULL is a no-op). Use it instead of
 * free() for anything that may hold a CONFIGURE with keys_text: the bytes
 * of an encoding, and received frames. */
void proto_buf_free(uint8_t *buf, size_t len);

/* Decodes len bytes into m (proto_init'ed by the call; free with
 * proto_free). m's previous contents are not freed: proto_free a decoded
 * message before decoding into it again. Key text is copied, so buf may be
 * wiped (proto_buf_free) as soon as the call returns. Returns 0; -1 with
 * err for malformed input (naming the field, e.g. "stats.s.c.sent:
 * missing"); -2 with err for an unknown type or an incompatible major
 * version ("protocol 2.0 from peer, this side speaks 1.0"), which the
 * receiver answers with PROTO_ERROR. One exception: an ERROR decodes
 * whatever its major version (its shape is frozen), so check m->vmajor;
 * never answer an ERROR. Never reads outside [buf, buf+len);
 * memory used is bounded by a small multiple of len whatever sizes the
 * input declares (PROTOCOL.md, "Limits"). */
int proto_decode(struct proto_msg *m, const uint8_t *buf, size_t len, char *err);

#endif
