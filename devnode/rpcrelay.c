/* rpcrelay.c - a devnode network's relay (see rpc.h, rpc_set_relay):
 * the messages a node sends its peers (accepted transactions, produced
 * blocks) and what it does with theirs. The transport (links with
 * latency, bandwidth and bounded queues) is wspeer.c; the caller's relay
 * function hands each message to every link. */
#include "rpc_impl.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "hex.h"
#include "render.h"
#include "timefmt.h"
#include "txjson.h"

/* Packed size of a block header with its signature (graphene's
 * signed_block_header) and of the transaction count: bytes of a block
 * message around its transactions. */
#define BLOCK_OVERHEAD 128

void rpc_set_relay(struct rpc *r, rpc_relay_fn out, void *ud)
{
    r->relay_on = true;
    r->relay_out = out;
    r->relay_ud = ud;
}

const struct rpc_relay_stats *rpc_relay_stats(const struct rpc *r)
{
    return &r->relay;
}

void rpcrelay_tx(struct rpc *r, const struct validated *vd)
{
    if (r->relay_out == NULL)
        return;
    if (vd->signed_len > RPC_P2P_MAX_MESSAGE) {
        /* graphene's peers refuse a message over MAX_MESSAGE_SIZE: the
         * entry node keeps the transaction to itself. */
        r->relay.tx_too_big++;
        return;
    }
    sbuf_reset(&r->relay_msg);
    txjson_render(&r->relay_msg, vd->tx, true, chain_genesis(r->c)->prefix);
    if (r->relay_msg.overflow)
        return;
    r->relay.tx_out++;
    r->relay_out(r->relay_ud, r->relay_msg.buf, r->relay_msg.len, vd->signed_len, false);
}

/* The block message for b into r->relay_msg, its packed size into
 * *wire. Returns 0, -2 when it is over the P2P limit, -1 when it cannot be
 * rendered. */
static int block_msg(struct rpc *r, const struct chain_block *b, size_t *wire)
{
    size_t packed = BLOCK_OVERHEAD;

    for (uint32_t i = 0; i < b->ntx; i++)
        packed += b->txs[i]->signed_len + 1 + b->txs[i]->nops;
    *wire = packed;
    if (packed > RPC_P2P_MAX_MESSAGE)
        return -2;
    sbuf_reset(&r->relay_msg);
    sbuf_adds(&r->relay_msg, "{\"method\":\"devnode_relay_block\",\"params\":[{\"num\":");
    sbuf_add_u64(&r->relay_msg, b->num);
    sbuf_adds(&r->relay_msg, ",\"id\":\"");
    sbuf_add_hex(&r->relay_msg, b->id, CHAIN_ID_LEN);
    sbuf_adds(&r->relay_msg, "\",\"timestamp\":");
    sbuf_add_u64(&r->relay_msg, b->timestamp);
    sbuf_adds(&r->relay_msg, ",\"witness\":");
    sbuf_add_u64(&r->relay_msg, b->witness);
    sbuf_adds(&r->relay_msg, ",\"slot\":");
    sbuf_add_u64(&r->relay_msg, b->slot);
    sbuf_adds(&r->relay_msg, ",\"transactions\":[");
    for (uint32_t i = 0; i < b->ntx; i++) {
        if (i > 0)
            sbuf_addc(&r->relay_msg, ',');
        if (render_signed_tx(&r->relay_msg, r->c, b->txs[i], &r->scratch) < 0)
            sbuf_adds(&r->relay_msg, "null");
    }
    sbuf_adds(&r->relay_msg, "]}]}");
    return r->relay_msg.overflow ? -1 : 0;
}

void rpc_relay_block(struct rpc *r, const struct chain_block *b)
{
    int rc;
    size_t wire = 0;

    if (!r->relay_on || r->relay_out == NULL)
        return;
    rc = block_msg(r, b, &wire);
    if (rc == -2)
        r->relay.block_too_big++;
    if (rc < 0)
        return;
    r->relay.blocks_out++;
    r->relay_out(r->relay_ud, r->relay_msg.buf, r->relay_msg.len, wire, true);
}

void rpc_relay_blocks_since(struct rpc *r, uint32_t from, rpc_relay_fn out, void *ud)
{
    for (uint32_t n = from ? from : 1; n <= chain_head_num(r->c); n++) {
        const struct chain_block *b = chain_block(r->c, n);
        size_t wire = 0;
        if (b == NULL || block_msg(r, b, &wire) < 0)
            continue;
        out(ud, r->relay_msg.buf, r->relay_msg.len, wire, true);
    }
}

/* A peer's block: its new transactions are validated and pushed (spending
 * the node's capacity), then the block is applied from the pending queue
 * in the producer's order with its timestamp. A block ahead of the head
 * (the one before it not here yet) is not applied: *ahead is set to its
 * number. */
static int apply_block(struct rpc *r, const struct jv *blk, uint32_t *ahead, struct fcerr *e)
{
    const struct jv *txs = jv_get(blk, "transactions");
    uint64_t num, ts, wit = 1, slotnum = 0;
    size_t n = jv_len(txs), k = 0, skipped = 0;
    struct chain_slot slot;
    uint8_t (*ids)[CHAIN_ID_LEN];
    const struct chain_block *b;
    uint8_t want[CHAIN_ID_LEN];
    const char *idhex = jv_str(jv_get(blk, "id"), NULL);
    char err[ERR_LEN];

    if (jv_uint64(jv_get(blk, "num"), UINT32_MAX, &num, NULL) < 0 ||
        jv_uint64(jv_get(blk, "timestamp"), UINT32_MAX, &ts, NULL) < 0 || idhex == NULL ||
        hex_decode_exact(want, CHAIN_ID_LEN, idhex, strlen(idhex), NULL) < 0 ||
        (txs != NULL && jv_type(txs) != JV_ARRAY) ||
        (jv_get(blk, "witness") != NULL &&
         jv_uint64(jv_get(blk, "witness"), chain_witnesses(r->c), &wit, NULL) < 0) ||
        (jv_get(blk, "slot") != NULL && jv_uint64(jv_get(blk, "slot"), UINT64_MAX, &slotnum, NULL) < 0))
        return rpc_err_cast(e, "devnode block", blk);
    if (num > r->relay.last_block_seen)
        r->relay.last_block_seen = (uint32_t)num;
    if (num <= chain_head_num(r->c)) {
        /* Already have one of that number: another witness's block for
         * it (produced before this one arrived) is a fork devnode does not
         * resolve; it is counted with the id mismatches. */
        const struct chain_block *have = chain_block(r->c, (uint32_t)num);
        if (have != NULL && (memcmp(have->id, want, CHAIN_ID_LEN) != 0 ||
                             (jv_get(blk, "slot") != NULL && have->slot != slotnum)))
            r->relay.block_id_mismatch++; /* a fork (--shared-block-ids hides it from the id) */
        return 0;
    }
    if (num > (uint64_t)chain_head_num(r->c) + 1) {
        *ahead = (uint32_t)num;
        return 0;
    }
    ids = malloc((n ? n : 1) * sizeof *ids);
    if (ids == NULL) {
        fcerr_assert(e, FCERR_API, "push_block", FCERR_HERE, "false: out of memory",
                     "false: out of memory");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        struct validated vd;
        struct fcerr te;
        memset(&vd, 0, sizeof vd);
        /* Pending here already (relayed before the block): only its id. */
        if (validator_parse(r->v, jv_at(txs, i), &vd, &te) == 0 &&
            chain_txid_known(r->c, vd.txid)) {
            memcpy(ids[k++], vd.txid, CHAIN_ID_LEN);
            continue;
        }
        if (validator_check(r->v, jv_at(txs, i), true, &vd, &te) == 0) {
            if (r->svc != NULL)
                svcq_charge(r->svc, (uint32_t)vd.tx->nops);
        } else if (te.reason != FCERR_DUP_TX) {
            skipped++;
            continue;
        }
        memcpy(ids[k++], vd.txid, CHAIN_ID_LEN);
    }
    slot.witness = wit > 0 ? (uint32_t)wit : 1;
    slot.slot = slotnum;
    b = chain_apply_block(r->c, (uint32_t)ts, (const uint8_t(*)[CHAIN_ID_LEN])ids, k,
                          slotnum > 0 ? &slot : NULL, &n, err);
    free(ids);
    if (b == NULL) {
        fcerr_assert(e, FCERR_API, "push_block", FCERR_HERE, "false: block not applied",
                     "false: block not applied: %s", err);
        return -1;
    }
    r->relay.block_tx_skipped += skipped + n;
    r->relay.blocks_in++;
    if (memcmp(b->id, want, CHAIN_ID_LEN) != 0)
        r->relay.block_id_mismatch++;
    rpc_block_produced(r, b);
    return 0;
}

void rpcrelay_clear(struct rpc *r)
{
    for (size_t i = 0; i < RPC_HOLD; i++) {
        jv_free(r->held[i]);
        r->held[i] = NULL;
    }
}

/* The blocks missing before the held ones: from the head to the lowest
 * held block (a node that cannot link them is stuck there). */
static void update_missed(struct rpc *r)
{
    uint32_t head = chain_head_num(r->c), low = 0;

    for (size_t i = 0; i < RPC_HOLD; i++) {
        if (r->held[i] != NULL && r->held_num[i] <= head) { /* came another way */
            jv_free(r->held[i]);
            r->held[i] = NULL;
        }
        if (r->held[i] != NULL && (low == 0 || r->held_num[i] < low))
            low = r->held_num[i];
    }
    r->relay.blocks_missed = r->relay_lost + (low > head + 1 ? low - head - 1 : 0);
}

/* A relayed block message: applied if it is the next block; held if it
 * is ahead (with a witness schedule, blocks of different witnesses come
 * over different links, and one may overtake the block it follows, as
 * graphene's fork database holds blocks that do not link yet); then the
 * held blocks that now link are applied in order. */
static int relay_block(struct rpc_call *call, const struct jv *blk, struct fcerr *e)
{
    struct rpc *r = call->s->r;
    uint32_t ahead = 0, head;
    int rc = apply_block(r, blk, &ahead, e);

    if (rc == 0 && ahead > 0) {
        size_t k = ahead % RPC_HOLD;
        if (ahead - chain_head_num(r->c) > RPC_HOLD) {
            r->relay_lost++; /* too far ahead: as a node that cannot sync */
        } else if (r->held[k] == NULL || r->held_num[k] != ahead) {
            jv_free(r->held[k]);
            r->held[k] = call->root;
            r->held_num[k] = ahead;
            call->root_taken = true;
        }
    }
    while ((head = chain_head_num(r->c), r->held[(head + 1) % RPC_HOLD] != NULL)) {
        size_t k = (head + 1) % RPC_HOLD;
        struct jv *root = r->held[k];
        struct fcerr he;
        r->held[k] = NULL;
        if (r->held_num[k] == head + 1)
            (void)apply_block(r, jv_at(jv_get(root, "params"), 0), &ahead, &he);
        jv_free(root);
        if (chain_head_num(r->c) == head)
            break; /* it did not apply: leave the rest held */
    }
    update_missed(r);
    return rc;
}

int rpcrelay_dispatch(struct rpc_call *call, struct fcerr *e)
{
    struct rpc *r = call->s->r;
    const struct jv *a0 = jv_at(call->args, 0);
    struct svcq_item *last = NULL;
    int rc;

    if (strcmp(call->method, "devnode_relay_block") == 0)
        return relay_block(call, a0, e);
    if (strcmp(call->method, "devnode_relay_trx") != 0 || a0 == NULL)
        return rpc_err_args(e, call->method);
    /* A batch of transactions: each goes through the service queue on its
     * own; the last one queued keeps the parsed message alive. */
    for (size_t i = 0; i < jv_len(call->args); i++) {
        const struct jv *txj = jv_at(call->args, i);
        struct fcerr te;
        r->relay.tx_in++;
        call->queued = NULL;
        rc = r->svc != NULL ? rpcapi_admit(r, call, SVCQ_PLAIN, txj, NULL, true, &te) : 0;
        if (rc == 0)
            (void)rpcapi_apply_broadcast(r, call, call->s->conn, SVCQ_PLAIN, txj, NULL, true,
                                         &te);
        else if (rc > 0)
            last = call->queued;
    }
    if (last != NULL) {
        last->root = call->root;
        call->root_taken = true;
    }
    return 0;
}
