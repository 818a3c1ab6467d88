/* fuzz_wsc_raw.c - libFuzzer target: whatever a node sends on a ws://
 * connection goes through beacon/wsc_raw.c, the client's own websocket
 * reader. The first input byte picks the mode (handshake answer or frames)
 * and a chunk size; the rest is the byte stream. Besides "no crash, no UB,
 * no leak" it checks:
 *  - the reader gives the same messages and the same verdict whether the
 *    stream arrives whole or cut into chunks (a frame split across reads
 *    must not change anything);
 *  - every message is NUL-terminated and within the receive limit;
 *  - a failed connection always says why.
 * The connection is built without a socket (no lws wsi): what the reader
 * would send (PONGs, close frames) is batched and dropped. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wsc_impl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define LIMIT 4096

struct run {
    uint64_t hash; /* of every message, in order */
    unsigned msgs, opens;
    int rc;        /* first nonzero wsc_raw_rx result */
    char reason[WSC_REASON_LEN];
};

static void on_message(void *u, struct wsc_conn *c, const char *m, size_t len)
{
    struct run *r = u;

    (void)c;
    if (len > LIMIT || m[len] != '\0')
        abort();
    for (size_t i = 0; i < len; i++)
        r->hash = (r->hash ^ (unsigned char)m[i]) * 0x100000001b3ull;
    r->hash = (r->hash ^ len) * 0x100000001b3ull;
    r->msgs++;
}

static void on_open(void *u, struct wsc_conn *c)
{
    (void)c;
    ((struct run *)u)->opens++;
}

static void feed(const uint8_t *p, size_t n, size_t chunk, bool handshake, struct run *r)
{
    struct wsc w;
    struct wsc_conn c;

    memset(&w, 0, sizeof(w));
    memset(&c, 0, sizeof(c));
    memset(r, 0, sizeof(*r));
    w.max_frame = LIMIT;
    w.max_rx = LIMIT;
    w.cb.on_message = on_message;
    w.cb.on_open = on_open;
    w.user = r;
    w.mask_pos = sizeof(w.mask_rnd);
    c.w = &w;
    c.raw = true;
    w.conns = &c;
    if (handshake) {
        c.state = WSC_S_CONNECTING;
        /* The accept value for the key "dGhlIHNhbXBsZSBub25jZQ==" (RFC 6455 1.3). */
        strcpy(c.hs_accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
        c.hs_ns = 1;
    } else {
        c.state = WSC_S_OPEN;
        c.hs_done = true;
    }
    for (size_t off = 0; off < n && !r->rc; off += chunk) {
        size_t k = n - off < chunk ? n - off : chunk;

        r->rc = wsc_raw_rx(&c, p + off, k);
    }
    if (r->rc && !c.reason[0])
        abort(); /* a failure always names itself */
    memcpy(r->reason, c.reason, sizeof(r->reason));
    wsc_batch_drop(&c);
    free(c.rx);
    free(c.tx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct run whole, cut;
    bool handshake;
    size_t chunk;

    if (size < 1)
        return 0;
    handshake = data[0] & 1;
    chunk = (size_t)(data[0] >> 1) % 13 + 1;
    feed(data + 1, size - 1, size, handshake, &whole);
    feed(data + 1, size - 1, chunk, handshake, &cut);
    if (whole.hash != cut.hash || whole.msgs != cut.msgs || whole.opens != cut.opens ||
        (whole.rc != 0) != (cut.rc != 0) || strcmp(whole.reason, cut.reason))
        abort();
    return 0;
}
