/* wsc_impl.h - the inside of struct wsc and struct wsc_conn, shared by
 * wsc.c (the context: event loop, timer, wake, lws callback entry),
 * wsc_conn.c (one connection: connect, backoff, reasons, reassembly),
 * wsc_send.c (framing and batching what is sent) and wsc_raw.c (the
 * websocket protocol read over raw sockets, for ws://). Not for other
 * modules. */
#ifndef BSS_WSC_IMPL_H
#define BSS_WSC_IMPL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libwebsockets.h>

#include "wsc.h"
#include "wsurl.h"

#define WSC_REASON_LEN 192

/* DROPPING: wsc_reconnect detached the wsi; on_close is due (sul_live). */
enum wsc_state { WSC_S_WAIT, WSC_S_CONNECTING, WSC_S_OPEN, WSC_S_DROPPING };

struct wsc_conn {
    struct wsc *w;
    struct wsc_conn *prev, *next;
    struct lws *wsi; /* NULL unless CONNECTING or OPEN */
    lws_sorted_usec_list_t sul_retry;
    lws_sorted_usec_list_t sul_live; /* liveness check, or the due on_close of DROPPING */
    enum wsc_state state;
    bool dead;          /* wsc_close()d; freed at the end of wsc_service */
    bool send_failed;   /* lws_write failed: the wsi is being killed */
    bool raw;           /* ws:// with frames parsed by wsc_raw.c, lws only moving
                           bytes (the handshake, too); wss:// uses lws's ws role */
    bool hs_done;       /* raw: the server's 101 answer was read */
    uint64_t hs_ns;     /* raw: when the handshake request went out */
    char hs_accept[32]; /* raw: the Sec-WebSocket-Accept the server must send */
    unsigned char fh[14]; /* raw: the current frame header, fhlen of fhneed bytes */
    unsigned fhlen, fhneed;
    uint64_t fremain;   /* raw: payload bytes of the current frame still to come */
    unsigned char fop;  /* raw: the current frame's opcode; ffin its FIN bit */
    bool ffin;
    bool in_msg;        /* raw: a fragmented message is being reassembled */
    unsigned char ctl[125]; /* raw: a control frame's payload, ctllen bytes */
    size_t ctllen;
    bool batched;       /* has frames in the batch, counted in w->nbatched */
    bool ping_out;      /* PING sent (or waiting for room), nothing heard since */
    bool ping_want;     /* PING waiting for on_writable: the socket was choked */
    uint64_t ping_ns;   /* when ping_out was set (timefmt_mono_ns) */
    uint64_t last_rx_ns;  /* last frame of any kind received */
    uint64_t last_msg_ns; /* last complete message received (or the open time) */
    unsigned attempts;  /* failures since the last successful open */
    void *tag;
    char *url;
    struct wsurl u;
    unsigned char *tx;  /* LWS_PRE headroom + txcap bytes: the batch of framed,
                           masked frames not yet handed to lws (wsc_send.c) */
    size_t txcap;
    size_t txlen;       /* bytes in the batch */
    size_t unchecked;   /* bytes handed to lws since the socket was last polled */
    size_t max_sent;    /* largest frame sent on this connection (for max_rx_per_sent) */
    char *rx;           /* reassembled message, rxcap bytes (NUL included) */
    size_t rxlen, rxcap;
    char reason[WSC_REASON_LEN]; /* why the current wsi is going away */
};

struct wsc {
    struct lws_context *ctx;
    SSL_CTX *tls;             /* client TLS context, ours (see wsc.c) */
    bool tls_cas;             /* the system's CA store is loaded into tls */
    struct lws_protocols protocols[2];
    struct wsc_callbacks cb;
    void *user;
    bool tls_insecure;
    bool lws_frames;          /* see wsc_config */
    size_t max_frame;
    size_t max_rx;            /* see wsc_config */
    unsigned max_rx_per_sent;
    unsigned backoff_min_ms, backoff_max_ms;
    uint64_t ping_interval_ns; /* 0: no liveness check */
    uint64_t ping_timeout_ns;
    uint64_t rng;             /* backoff jitter */
    struct wsc_conn *conns;
    unsigned ndead;           /* dead connections not yet freed */
    int in_service;
    bool freeing;
    lws_sorted_usec_list_t sul_wait;
    bool timer_armed;
    uint64_t timer_due_ns;
    unsigned events;          /* callbacks delivered in this wsc_service */
    unsigned nbatched;        /* connections with frames in their batch */
    unsigned char mask_rnd[256]; /* frame masks, from getrandom (wsc_send.c) */
    unsigned mask_pos;        /* next unused byte of mask_rnd */
    atomic_bool wake;         /* set by wsc_wake, from any thread */
};

/* The last error line lws logged on this thread (see wsc.c). */
extern _Thread_local char wsc_lws_last[WSC_REASON_LEN];

/* Handles one lws callback for a connection (wsc_conn.c); returns what the
 * lws callback returns. */
int wsc_conn_dispatch(struct wsc *w, struct lws *wsi, enum lws_callback_reasons reason, void *in,
                      size_t len);
/* Frees a connection and unlinks it from its wsc. */
void wsc_conn_free(struct wsc_conn *c);
/* Loads the system's CA store into w's TLS context, once: called for the
 * first wss:// connection (ws:// ones never need it). */
void wsc_tls_load_cas(struct wsc *w);
/* The connection is open (lws's CLIENT_ESTABLISHED, or wsc_raw.c's
 * handshake done): state, liveness timer, on_open. */
void wsc_conn_opened(struct wsc_conn *c, struct lws *wsi);
/* Something arrived: the link is alive (the liveness timer). */
void wsc_conn_heard(struct wsc_conn *c);
/* A whole message is in c->rx (rxlen bytes, room for a NUL): passes it to
 * on_message and starts the next one. */
void wsc_conn_deliver(struct wsc_conn *c);
/* Sets c->reason from a close frame's payload (code, text). */
void wsc_conn_peer_close(struct wsc_conn *c, const unsigned char *in, size_t len);
/* The largest message c may receive: its role's max_rx, raised to
 * max_rx_per_sent times its largest frame sent, never over max_frame. */
size_t wsc_conn_rx_limit(const struct wsc *w, const struct wsc_conn *c);
/* Checks that the message being read, with more bytes still to come (what
 * the current frame announces), fits c's receive limit, and grows c->rx to
 * hold it and a NUL. Returns 0; -1 over the limit, -2 out of memory, with
 * c->reason naming which. The caller closes the connection. */
int wsc_conn_reserve(struct wsc_conn *c, uint64_t more);

/* wsc_raw.c: the websocket protocol over lws's raw sockets. */
/* The TCP connection is up: sends the handshake request. Returns what
 * the lws callback returns (-1 closes). */
int wsc_raw_connected(struct wsc_conn *c, struct lws *wsi);
/* Bytes from the socket: the handshake answer, then frames (messages to
 * on_message, PINGs answered, a close frame's reason kept). Returns -1 to
 * close the connection, with c->reason set. */
int wsc_raw_rx(struct wsc_conn *c, const unsigned char *in, size_t len);
/* Why a raw connection closed (c->reason, or what the state says). */
const char *wsc_raw_close_reason(struct wsc_conn *c);
/* Forgets the handshake and frame parsing state (the connection is gone). */
void wsc_raw_reset(struct wsc_conn *c);

/* Opcodes of the control frames wsc_send_control sends. */
enum { WSC_OP_CLOSE = 0x8, WSC_OP_PING = 0x9, WSC_OP_PONG = 0xA };
/* Queues a control frame (len <= 125) into c's batch, ahead of any room
 * check: PONGs, PINGs and close frames must not wait for a full socket.
 * Returns 0, or -1 if the connection is not open or out of memory. */
int wsc_send_control(struct wsc_conn *c, unsigned op, const unsigned char *p, size_t len);
/* Hands c's batch to lws now. Returns -1 if the send failed. */
int wsc_batch_flush(struct wsc_conn *c);

/* Ends the current send burst: hands every connection's batch of frames
 * to lws, one write each (wsc_send.c). */
void wsc_end_burst(struct wsc *w);
/* Grows p to at least need (+ headroom) bytes by doubling from 4 KiB;
 * NULL (p kept, *cap unchanged) when out of memory. */
void *wsc_grow(void *p, size_t *cap, size_t need, size_t headroom);
/* Drops a connection's unsent batch (the connection is going away). */
void wsc_batch_drop(struct wsc_conn *c);
/* Bytes lws reads or writes per syscall (the protocol's buffer sizes); a
 * batch is handed over when it would grow past this. */
#define WSC_IO_CHUNK 65536

#endif
