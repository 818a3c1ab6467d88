/* wsc_raw.c - the websocket protocol (RFC 6455, client side) over lws's
 * raw sockets, for ws:// connections: lws connects, moves bytes and runs
 * the event loop; the handshake and the frames are read here.
 *
 * Why: libwebsockets 4.1's client hands every received byte to its frame
 * state machine one call at a time (about 10 ns a byte here). A real
 * node's block of 6,878 transfers is 2.9 MB of JSON, so following blocks
 * cost the beacon ~5 us per confirmed transaction in that loop alone. Here
 * a frame's header is read and its payload copied in one memcpy.
 *
 * Strict where the RFC says a client must fail the connection: a masked
 * frame, reserved bits (no extension is ever offered), unknown opcodes,
 * fragmented or long control frames, continuation out of place, a wrong
 * Sec-WebSocket-Accept. Each names itself in the close reason. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "timefmt.h"
#include "wsc_impl.h"

#define WSC_HS_MAX 8192          /* the server's handshake answer, bytes */
#define WSC_HS_TIMEOUT_S 10      /* for that answer, once connected */

static const char ws_guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

void wsc_raw_reset(struct wsc_conn *c)
{
    c->hs_done = false;
    c->hs_ns = 0;
    c->fhlen = c->fhneed = 0;
    c->fremain = 0;
    c->in_msg = false;
    c->ctllen = 0;
}

/* Fails the connection whose reason is already set: a close frame with
 * code when there is one to send, and -1 for lws to close the socket. */
static int raw_close(struct wsc_conn *c, unsigned code)
{
    if (code && c->hs_done) {
        unsigned char p[2] = {(unsigned char)(code >> 8), (unsigned char)code};

        if (wsc_send_control(c, WSC_OP_CLOSE, p, 2) == 0)
            wsc_batch_flush(c);
    }
    return -1;
}

/* Fails the connection with the reason given. */
static int raw_fail(struct wsc_conn *c, unsigned code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int raw_fail(struct wsc_conn *c, unsigned code, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(c->reason, sizeof(c->reason), fmt, ap);
    va_end(ap);
    return raw_close(c, code);
}

int wsc_raw_connected(struct wsc_conn *c, struct lws *wsi)
{
    unsigned char nonce[16], sha[SHA_DIGEST_LENGTH], buf[LWS_PRE + 1024];
    char key[32], cat[64];
    int n;

    c->wsi = wsi;
    wsc_raw_reset(c);
    if (getrandom(nonce, sizeof(nonce), 0) != (ssize_t)sizeof(nonce)) {
        uint64_t t = timefmt_mono_ns() ^ (uint64_t)(uintptr_t)c;

        memcpy(nonce, &t, 8);
        memcpy(nonce + 8, &t, 8);
    }
    EVP_EncodeBlock((unsigned char *)key, nonce, sizeof(nonce));
    n = snprintf(cat, sizeof(cat), "%s%s", key, ws_guid);
    SHA1((const unsigned char *)cat, (size_t)n, sha);
    EVP_EncodeBlock((unsigned char *)c->hs_accept, sha, sizeof(sha));
    n = snprintf((char *)buf + LWS_PRE, sizeof(buf) - LWS_PRE,
                 "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\nOrigin: %s\r\n\r\n",
                 c->u.path, c->u.hostport, key, c->u.hostport);
    if (n < 0 || (size_t)n >= sizeof(buf) - LWS_PRE)
        return raw_fail(c, 0, "connect failed: URL too long for the handshake");
    c->hs_ns = timefmt_mono_ns();
    lws_set_timeout(wsi, PENDING_TIMEOUT_AWAITING_SERVER_RESPONSE, WSC_HS_TIMEOUT_S);
    if (lws_write(wsi, buf + LWS_PRE, (size_t)n, LWS_WRITE_RAW) < 0)
        return raw_fail(c, 0, "connect failed: cannot send the websocket handshake");
    return 0;
}

/* The value of header name in the header block hdr (NUL-terminated), its
 * length in *len; NULL when absent. */
static const char *header(const char *hdr, const char *name, size_t *len)
{
    size_t nl = strlen(name);

    for (const char *l = strstr(hdr, "\r\n"); l && l[2]; l = strstr(l + 2, "\r\n")) {
        const char *p = l + 2, *e;

        if (strncasecmp(p, name, nl) || p[nl] != ':')
            continue;
        p += nl + 1;
        while (*p == ' ' || *p == '\t')
            p++;
        e = strstr(p, "\r\n");
        while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        *len = (size_t)(e - p);
        return p;
    }
    return NULL;
}

static int raw_frames(struct wsc_conn *c, const unsigned char *in, size_t len);

/* The handshake answer, collected in c->rx until its blank line. */
static int raw_handshake(struct wsc_conn *c, const unsigned char *in, size_t len)
{
    char *end, line[120];
    const char *acc;
    size_t n, ncopy, past, alen = 0, hlen;

    n = len < WSC_HS_MAX - c->rxlen ? len : WSC_HS_MAX - c->rxlen;
    if (c->rxcap < WSC_HS_MAX + 1) {
        char *rx = wsc_grow(c->rx, &c->rxcap, WSC_HS_MAX + 1, 0);

        if (!rx)
            return raw_fail(c, 0, "out of memory for the handshake");
        c->rx = rx;
    }
    memcpy(c->rx + c->rxlen, in, n);
    c->rxlen += n;
    ncopy = n;
    c->rx[c->rxlen] = '\0';
    end = strstr(c->rx, "\r\n\r\n");
    if (!end) {
        if (c->rxlen >= WSC_HS_MAX)
            return raw_fail(c, 0, "websocket handshake failed: answer over %d bytes", WSC_HS_MAX);
        return 0;
    }
    hlen = (size_t)(end - c->rx) + 4;
    end[2] = '\0'; /* keep the last header's CRLF for header() */
    /* The status line, printable, for the reason. */
    for (n = 0; n < sizeof(line) - 1 && c->rx[n] && c->rx[n] != '\r'; n++)
        line[n] = c->rx[n] >= 0x20 && c->rx[n] < 0x7f ? c->rx[n] : '?';
    line[n] = '\0';
    if (strncmp(c->rx, "HTTP/1.1 101", 12))
        return raw_fail(c, 0, "websocket handshake refused: %s", line);
    acc = header(c->rx, "Sec-WebSocket-Accept", &alen);
    if (!acc || alen != strlen(c->hs_accept) || memcmp(acc, c->hs_accept, alen))
        return raw_fail(c, 0, "websocket handshake failed: %s Sec-WebSocket-Accept",
                        acc ? "wrong" : "no");
    if (header(c->rx, "Sec-WebSocket-Extensions", &alen))
        return raw_fail(c, 0, "websocket handshake failed: the server chose an extension");
    c->hs_done = true;
    if (c->wsi)
        lws_set_timeout(c->wsi, NO_PENDING_TIMEOUT, 0);
    /* Frames that came with the answer follow it in the same read: the
     * last `past` bytes copied, and whatever did not fit the copy. */
    past = c->rxlen - hlen;
    c->rxlen = 0;
    wsc_conn_opened(c, c->wsi);
    if (c->dead || c->state != WSC_S_OPEN)
        return 0;
    n = past + (len - ncopy);
    return n ? raw_frames(c, in + ncopy - past, n) : 0;
}

/* A whole frame header is in c->fh: check it and set up its payload. */
static int raw_header(struct wsc_conn *c)
{
    const unsigned char *h = c->fh;
    unsigned op = h[0] & 0x0f, l7 = h[1] & 0x7f;
    uint64_t flen = l7;

    if (h[1] & 0x80)
        return raw_fail(c, 1002, "protocol error: masked frame from the server");
    if (h[0] & 0x70)
        return raw_fail(c, 1002, "protocol error: reserved bits set (no extension was agreed)");
    if (l7 == 126)
        flen = (uint64_t)h[2] << 8 | h[3];
    else if (l7 == 127)
        for (int i = 0; i < 8; i++)
            flen = flen << 8 | h[2 + i];
    c->fop = (unsigned char)op;
    c->ffin = (h[0] & 0x80) != 0;
    c->fremain = flen;
    c->fhlen = c->fhneed = 0;
    if (op >= 0x8) {
        if (op > WSC_OP_PONG)
            return raw_fail(c, 1002, "protocol error: opcode %u", op);
        if (!c->ffin || flen > 125)
            return raw_fail(c, 1002, "protocol error: fragmented or long control frame");
        c->ctllen = 0;
        return 0;
    }
    if (op > 0x2)
        return raw_fail(c, 1002, "protocol error: opcode %u", op);
    if ((op == 0) != c->in_msg)
        return raw_fail(c, 1002, "protocol error: %s", op ? "new message inside a fragmented one"
                                                          : "continuation without a message");
    c->in_msg = !c->ffin;
    /* Checked before anything is buffered: a hostile node cannot make this
     * connection hold more than its role needs. */
    if (wsc_conn_reserve(c, flen) < 0)
        return raw_close(c, 1009); /* the reason is set */
    return 0;
}

/* The current frame's payload is complete. */
static int raw_frame_done(struct wsc_conn *c)
{
    switch (c->fop) {
    case WSC_OP_PING:
        if (wsc_send_control(c, WSC_OP_PONG, c->ctl, c->ctllen) == 0)
            return 0;
        return c->reason[0] ? -1 : raw_fail(c, 0, "cannot answer a PING");
    case WSC_OP_PONG:
        return 0; /* wsc_conn_heard already ran for these bytes */
    case WSC_OP_CLOSE:
        wsc_conn_peer_close(c, c->ctl, c->ctllen);
        /* Echo the code, as the RFC asks, then close the socket. */
        if (wsc_send_control(c, WSC_OP_CLOSE, c->ctl, c->ctllen >= 2 ? 2 : 0) == 0)
            wsc_batch_flush(c);
        return -1;
    default:
        if (c->ffin)
            wsc_conn_deliver(c);
        return 0;
    }
}

static int raw_frames(struct wsc_conn *c, const unsigned char *in, size_t len)
{
    while (len) {
        size_t n;

        if (c->fremain == 0) { /* a frame header */
            if (c->fhneed == 0)
                c->fhneed = 2;
            n = c->fhneed - c->fhlen < len ? c->fhneed - c->fhlen : len;
            memcpy(c->fh + c->fhlen, in, n);
            c->fhlen += (unsigned)n;
            in += n;
            len -= n;
            if (c->fhlen == 2 && c->fhneed == 2) {
                unsigned l7 = c->fh[1] & 0x7f;

                c->fhneed = 2 + (l7 == 126 ? 2 : l7 == 127 ? 8 : 0) + (c->fh[1] & 0x80 ? 4 : 0);
            }
            if (c->fhlen < c->fhneed)
                continue;
            if (raw_header(c) < 0)
                return -1;
            if (c->fremain)
                continue;
        } else {
            n = c->fremain < len ? (size_t)c->fremain : len;
            if (c->fop >= 0x8) {
                memcpy(c->ctl + c->ctllen, in, n);
                c->ctllen += n;
            } else {
                memcpy(c->rx + c->rxlen, in, n);
                c->rxlen += n;
            }
            c->fremain -= n;
            in += n;
            len -= n;
            if (c->fremain)
                continue;
        }
        if (raw_frame_done(c) < 0)
            return -1;
        /* on_message may have closed or dropped this connection. */
        if (c->dead || c->state != WSC_S_OPEN)
            return 0;
    }
    return c->send_failed ? -1 : 0;
}

int wsc_raw_rx(struct wsc_conn *c, const unsigned char *in, size_t len)
{
    if (!c->hs_done) {
        if (c->state != WSC_S_CONNECTING)
            return 0;
        return raw_handshake(c, in, len);
    }
    if (c->state != WSC_S_OPEN)
        return 0;
    wsc_conn_heard(c);
    return raw_frames(c, in, len);
}

const char *wsc_raw_close_reason(struct wsc_conn *c)
{
    if (c->reason[0])
        return c->reason;
    if (!c->hs_done && c->hs_ns) {
        if (timefmt_mono_ns() - c->hs_ns >= (uint64_t)WSC_HS_TIMEOUT_S * 1000000000u)
            snprintf(c->reason, sizeof(c->reason),
                     "websocket handshake failed: no answer within %d s", WSC_HS_TIMEOUT_S);
        else
            snprintf(c->reason, sizeof(c->reason),
                     "websocket handshake failed: connection closed by the server");
        return c->reason;
    }
    return "connection lost (closed without a close frame)";
}
