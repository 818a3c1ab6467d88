/* wsc_send.c - sending: text frames are framed and masked here and
 * batched per connection; each batch goes to the socket in one write when
 * the current callback (a send burst) ends.
 *
 * Why not lws_write(LWS_WRITE_TEXT) per frame: libwebsockets 4.1 reads 4
 * bytes of /dev/urandom for every frame's mask (a read(2) each), masks byte
 * by byte, and writes each frame with its own send(2); with the poll(2) of
 * lws_send_pipe_choked before it that was four syscalls per transaction on
 * the beacon's hot path. Here a burst of N frames costs one send(2), the
 * masks come from a getrandom(2) every 64 frames, and the socket is polled
 * for room only once per WSC_IO_CHUNK bytes. The batch goes through
 * lws_write(LWS_WRITE_RAW), so TLS, partial writes (lws buffers the rest and
 * reports it through lws_partial_buffered) and ordering with the PINGs and
 * close frames lws writes itself stay lws's. */
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "wsc_impl.h"

/* Largest frame header: 2 bytes, 8 of length, 4 of mask. */
#define WSC_HDR_MAX 14

/* Four bytes of mask. RFC 6455 wants them unpredictable to the peer's
 * intermediaries; getrandom gives that, 64 frames at a time. */
static uint32_t next_mask(struct wsc *w)
{
    uint32_t m;

    if (w->mask_pos + 4 > sizeof(w->mask_rnd)) {
        if (getrandom(w->mask_rnd, sizeof(w->mask_rnd), 0) != (ssize_t)sizeof(w->mask_rnd)) {
            /* No entropy call (very old kernel): a per-context generator
             * still varies the masks, which is all a client needs. */
            for (size_t i = 0; i < sizeof(w->mask_rnd); i += 8) {
                w->rng ^= w->rng >> 12;
                w->rng ^= w->rng << 25;
                w->rng ^= w->rng >> 27;
                uint64_t r = w->rng * 0x2545F4914F6CDD1Dull;
                memcpy(w->mask_rnd + i, &r, 8);
            }
        }
        w->mask_pos = 0;
    }
    memcpy(&m, w->mask_rnd + w->mask_pos, 4);
    w->mask_pos += 4;
    return m;
}

/* Writes one masked frame (FIN, opcode op) of len bytes at out; returns its
 * size. The payload is masked 8 bytes at a time (the mask repeats every 4). */
static size_t frame(struct wsc *w, unsigned char *out, unsigned op, const char *text, size_t len)
{
    uint32_t m = next_mask(w);
    uint64_t m8 = (uint64_t)m << 32 | m, v;
    unsigned char *p = out;
    size_t i = 0;

    *p++ = (unsigned char)(0x80 | op);
    if (len < 126) {
        *p++ = (unsigned char)(0x80 | len);
    } else if (len < 65536) {
        *p++ = 0x80 | 126;
        *p++ = (unsigned char)(len >> 8);
        *p++ = (unsigned char)len;
    } else {
        *p++ = 0x80 | 127;
        for (int s = 56; s >= 0; s -= 8)
            *p++ = (unsigned char)((uint64_t)len >> s);
    }
    memcpy(p, &m, 4);
    p += 4;
    for (; i + 8 <= len; i += 8) {
        memcpy(&v, text + i, 8);
        v ^= m8;
        memcpy(p + i, &v, 8);
    }
    for (; i < len; i++)
        p[i] = (unsigned char)text[i] ^ ((const unsigned char *)&m)[i & 3];
    return (size_t)(p - out) + len;
}

/* The connection failed to send: lws closes the wsi, CLIENT_CLOSED then
 * reports c->reason. */
static void conn_broken(struct wsc_conn *c, const char *why)
{
    snprintf(c->reason, sizeof(c->reason), "%s", why);
    c->send_failed = true;
    wsc_batch_drop(c);
    if (c->wsi)
        lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

int wsc_batch_flush(struct wsc_conn *c)
{
    size_t n = c->txlen;

    wsc_batch_drop(c);
    if (!n || !wsc_conn_is_open(c) || !c->wsi)
        return 0;
    if (lws_write(c->wsi, c->tx + LWS_PRE, n, LWS_WRITE_RAW) < 0) {
        conn_broken(c, "send failed");
        return -1;
    }
    c->unchecked += n;
    return 0;
}

void wsc_batch_drop(struct wsc_conn *c)
{
    c->txlen = 0;
    if (c->batched) {
        c->batched = false;
        c->w->nbatched--;
    }
}

void wsc_end_burst(struct wsc *w)
{
    for (struct wsc_conn *c = w->conns; c && w->nbatched; c = c->next)
        if (c->batched)
            wsc_batch_flush(c);
}

/* Makes room for need bytes in c's batch; -1 (connection broken) when out
 * of memory. */
static int batch_room(struct wsc_conn *c, size_t need, size_t len)
{
    unsigned char *tx;
    char why[64];

    if (need <= c->txcap && c->tx)
        return 0;
    tx = wsc_grow(c->tx, &c->txcap, need, LWS_PRE);
    if (tx) {
        c->tx = tx;
        return 0;
    }
    snprintf(why, sizeof(why), "out of memory for a %zu-byte frame", len);
    conn_broken(c, why);
    return -1;
}

static void batch_mark(struct wsc_conn *c)
{
    if (!c->batched) {
        c->batched = true;
        c->w->nbatched++;
    }
}

int wsc_send_control(struct wsc_conn *c, unsigned op, const unsigned char *p, size_t len)
{
    if (!wsc_conn_is_open(c) || len > 125 ||
        batch_room(c, c->txlen + WSC_HDR_MAX + len, len) < 0)
        return -1;
    c->txlen += frame(c->w, c->tx + LWS_PRE + c->txlen, op, (const char *)p, len);
    batch_mark(c);
    return 0;
}

/* Whether the socket has no room for more: lws holds part of an earlier
 * write (no syscall to know), or, once WSC_IO_CHUNK bytes went out since
 * the last look, the kernel's send buffer is full (a poll). Polling per
 * frame cost a syscall per transaction; per chunk it still stops a sender
 * within 64 KiB of a peer that stopped reading. */
static bool conn_choked(struct wsc_conn *c)
{
    if (lws_partial_buffered(c->wsi))
        return true;
    if (c->unchecked < WSC_IO_CHUNK)
        return false;
    c->unchecked = 0;
    return lws_send_pipe_choked(c->wsi) != 0;
}

int wsc_send(struct wsc_conn *c, const char *text, size_t len)
{
    struct wsc *w = c ? c->w : NULL;
    size_t need;

    if (!wsc_conn_is_open(c))
        return WSC_CLOSED;
    if (len > w->max_frame)
        return WSC_TOOBIG;
    /* A frame that would take the batch past a chunk sends the batch
     * first, so that one write never exceeds what lws sends per syscall. */
    if (c->txlen && c->txlen + WSC_HDR_MAX + len > WSC_IO_CHUNK && wsc_batch_flush(c) < 0)
        return WSC_CLOSED;
    /* Checked before framing so that nothing is ever half-queued here. */
    if (!c->txlen && conn_choked(c)) {
        lws_callback_on_writable(c->wsi);
        return WSC_FULL;
    }
    need = c->txlen + WSC_HDR_MAX + len;
    if (batch_room(c, need, len) < 0)
        return WSC_CLOSED;
    c->txlen += frame(w, c->tx + LWS_PRE + c->txlen, 0x1, text, len);
    if (len > c->max_sent)
        c->max_sent = len;
    batch_mark(c);
    return WSC_OK;
}
