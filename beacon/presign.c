/* presign.c - see presign.h. */
#include "presign.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "hex.h"
#include "txjson.h"

/* Key prefix for memo keys in rendered JSON. Generated transactions carry no
 * memo, so this never reaches the output; it only satisfies the renderer. */
#define PRESIGN_MEMO_PREFIX "BTS"

void presign_scratch_init(struct presign_scratch *s)
{
    tx_init(&s->tx);
    s->packed = NULL;
    s->packed_cap = 0;
}

void presign_scratch_clear(struct presign_scratch *s)
{
    tx_clear(&s->tx);
    free(s->packed);
    s->packed = NULL;
    s->packed_cap = 0;
}

int presign_sign(const struct presign_job *job, uint64_t k, struct presign_scratch *s,
                 struct presign_result *res, char *err)
{
    uint8_t digest[32];
    size_t need;
    long n;

    if (txgen_build(&job->gen, k, &s->tx, err) < 0)
        return -1;
    /* Room for the signed form: unsigned + varint(1) + 65. Grown rarely
     * (only when a bigger shape appears), so steady state does not allocate. */
    need = tx_packed_size(&s->tx, false) + 1 + TX_SIG_LEN;
    if (need > s->packed_cap) {
        uint8_t *p = realloc(s->packed, need);
        if (p == NULL)
            return err_set(err, "out of memory for a %zu-byte transaction", need);
        s->packed = p;
        s->packed_cap = need;
    }
    n = tx_pack(&s->tx, false, s->packed, s->packed_cap, err);
    if (n < 0)
        return -1;
    res->unsigned_len = (size_t)n;
    tx_digest(digest, job->chain_id, s->packed, (size_t)n);
    tx_id(res->txid, s->packed, (size_t)n);
    if (sign_compact_fc(job->sctx, job->key, digest, res->sig, &res->attempts, err) < 0)
        return -1;
    if (tx_add_sig(&s->tx, res->sig, err) < 0)
        return -1;
    /* The signed form is the unsigned bytes followed by varint(1) and the
     * signature: append instead of packing again. */
    s->packed[n] = 1;
    memcpy(s->packed + n + 1, res->sig, TX_SIG_LEN);
    res->packed = s->packed;
    res->packed_len = (size_t)n + 1 + TX_SIG_LEN;
    return 0;
}

void presign_render_frame(struct sbuf *out, const struct presign_job *job,
                          const struct presign_scratch *s)
{
    sbuf_adds(out, "{\"id\":");
    sbuf_add(out, "                    ", PRESIGN_ID_WIDTH);
    sbuf_adds(out, ",\"method\":\"call\",\"params\":[");
    sbuf_add_u64(out, job->broadcast_api);
    sbuf_adds(out, ",\"broadcast_transaction\",[");
    txjson_render(out, &s->tx, true, PRESIGN_MEMO_PREFIX);
    sbuf_adds(out, "]]}");
}

void presign_set_frame_id(char *frame, uint64_t id)
{
    char *p = frame + PRESIGN_ID_OFFSET + PRESIGN_ID_WIDTH;

    do {
        *--p = (char)('0' + id % 10);
        id /= 10;
    } while (id != 0 && p > frame + PRESIGN_ID_OFFSET);
    while (p > frame + PRESIGN_ID_OFFSET)
        *--p = ' ';
}

void presign_render_line(struct sbuf *out, const struct presign_scratch *s,
                         const struct presign_result *res)
{
    sbuf_adds(out, "{\"txid\":\"");
    sbuf_add_hex(out, res->txid, TX_ID_LEN);
    sbuf_adds(out, "\",\"hex\":\"");
    sbuf_add_hex(out, res->packed, res->packed_len);
    sbuf_adds(out, "\",\"tx\":");
    txjson_render(out, &s->tx, true, PRESIGN_MEMO_PREFIX);
    sbuf_adds(out, "}\n");
}
