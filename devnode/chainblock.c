/* chainblock.c - block production (database::_generate_block and the
 * re-push of pending transactions that follows it) and the store of recent
 * blocks. */
#include "chain_impl.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "hash.h"
#include "pack.h"
#include "sign.h"

/* graphene's config.hpp: GRAPHENE_RECENTLY_MISSED_COUNT_INCREMENT and
 * _DECREMENT, GRAPHENE_100_PERCENT and GRAPHENE_IRREVERSIBLE_THRESHOLD. */
#define MISSED_INCREMENT 4
#define MISSED_DECREMENT 3
#define PERCENT_100 10000
#define IRREVERSIBLE_THRESHOLD 7000
#define ORDER_RESULT_TAG 1 /* operation_result: object_id_type */

static size_t varint_len(uint64_t v)
{
    size_t n = 1;

    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

static size_t order_count(const struct chain_entry *en)
{
    size_t n = 0;

    for (uint32_t i = 0; i < en->nops; i++)
        n += en->ops[i].type == 1;
    return n;
}

/* Packed size of the processed_transaction: signed tx, then the operation
 * results (void_result = tag 0; object_id_type = tag 1 + uint64). */
static size_t processed_size(const struct chain_entry *en)
{
    return en->signed_len + varint_len(en->nops) + en->nops + 8 * order_count(en);
}

/* Writes the packed operation results of en (processed_size - signed_len
 * bytes) into w. */
static void pack_results(struct pack_writer *w, const struct chain_entry *en)
{
    uint64_t order = en->first_order_id;

    pack_varint(w, en->nops);
    for (uint32_t i = 0; i < en->nops; i++) {
        if (en->ops[i].type == 1) {
            pack_varint(w, ORDER_RESULT_TAG);
            pack_u64(w, (UINT64_C(1) << 56) | (UINT64_C(7) << 48) | order++);
        } else {
            pack_varint(w, 0);
        }
    }
}

/* signed_block::calculate_merkle_root: sha256 of each processed tx,
 * pairwise sha256 up the tree, ripemd160 of the root. */
static int merkle_root(struct chain_entry **txs, size_t n, uint8_t out[CHAIN_ID_LEN])
{
    uint8_t (*ids)[32];

    memset(out, 0, CHAIN_ID_LEN);
    if (n == 0)
        return 0;
    ids = malloc(n * sizeof *ids);
    if (ids == NULL)
        return -1;
    for (size_t i = 0; i < n; i++) {
        uint8_t small[256], *res = small;
        size_t rlen = processed_size(txs[i]) - txs[i]->signed_len;
        struct pack_writer w;
        if (rlen > sizeof small && (res = malloc(rlen)) == NULL) {
            free(ids);
            return -1;
        }
        pack_writer_init(&w, res, rlen);
        pack_results(&w, txs[i]);
        hash_sha256_2(ids[i], txs[i]->packed, txs[i]->signed_len, res, w.len);
        if (res != small)
            free(res);
    }
    for (size_t cur = n; cur > 1;) {
        size_t k = 0, imax = cur - (cur & 1);
        for (size_t i = 0; i < imax; i += 2)
            hash_sha256(ids[k++], ids[i], 64);
        if (cur & 1)
            memmove(ids[k++], ids[imax], 32);
        cur = k;
    }
    hash_ripemd160(out, ids[0], 32);
    free(ids);
    return 0;
}

/* Header digest, witness signature and block id (see README: devnode
 * uses sha256 where the node's id uses sha224). */
static int seal_block(struct chain *c, struct chain_block *b, char *err)
{
    uint8_t hdr[CHAIN_ID_LEN * 2 + 4 + 10 + 1 + 65], digest[32];
    struct pack_writer w;
    size_t unsigned_len;

    pack_writer_init(&w, hdr, sizeof hdr);
    pack_bytes(&w, b->previous, CHAIN_ID_LEN);
    pack_u32(&w, b->timestamp);
    pack_varint(&w, b->witness);
    pack_bytes(&w, b->merkle, CHAIN_ID_LEN);
    pack_varint(&w, 0); /* extensions */
    unsigned_len = w.len;
    hash_sha256(digest, hdr, unsigned_len);
    if (sign_compact_fc(c->sctx, c->witness_key, digest, b->sig, NULL, err) < 0)
        return -1;
    pack_bytes(&w, b->sig, sizeof b->sig);
    hash_sha256(digest, hdr, w.len);
    if (c->opts.shared_ids) {
        /* Devnodes started from one genesis stand in for the nodes of one
         * network, which agree on every block id; so that a transaction's
         * TaPoS reference taken from one devnode holds on the others, the
         * id then depends only on the chain and the block number. */
        uint8_t seed[CHAIN_ID_LEN + 4];
        memcpy(seed, c->g.chain_id, CHAIN_ID_LEN);
        seed[CHAIN_ID_LEN] = (uint8_t)(b->num >> 24);
        seed[CHAIN_ID_LEN + 1] = (uint8_t)(b->num >> 16);
        seed[CHAIN_ID_LEN + 2] = (uint8_t)(b->num >> 8);
        seed[CHAIN_ID_LEN + 3] = (uint8_t)b->num;
        hash_sha256(digest, seed, sizeof seed);
    }
    memcpy(b->id, digest, CHAIN_ID_LEN);
    b->id[0] = (uint8_t)(b->num >> 24);
    b->id[1] = (uint8_t)(b->num >> 16);
    b->id[2] = (uint8_t)(b->num >> 8);
    b->id[3] = (uint8_t)b->num;
    return 0;
}

static void evict(struct chain *c, struct chain_block *b)
{
    for (uint32_t t = 0; t < b->ntx; t++)
        chain_entry_free(b->txs[t]);
    free(b->txs);
    c->block_bytes -= b->bytes;
    memset(b, 0, sizeof *b);
}

static void store_block(struct chain *c, const struct chain_block *nb)
{
    size_t k = c->opts.keep_blocks;
    struct chain_block *slot = &c->blocks[nb->num % k];

    if (slot->num != 0)
        evict(c, slot);
    *slot = *nb;
    c->block_bytes += nb->bytes;
    if (c->oldest_block == 0)
        c->oldest_block = nb->num;
    if (nb->num >= k && c->oldest_block < nb->num - k + 1)
        c->oldest_block = nb->num - (uint32_t)k + 1;
    while (c->block_bytes > c->opts.keep_bytes && c->oldest_block < nb->num) {
        struct chain_block *old = &c->blocks[c->oldest_block % k];
        if (old->num == c->oldest_block)
            evict(c, old);
        c->oldest_block++;
    }
}

const struct chain_block *chain_block(const struct chain *c, uint32_t num)
{
    const struct chain_block *b;

    if (num == 0 || num > c->head_num || num < c->oldest_block)
        return NULL;
    b = &c->blocks[num % c->opts.keep_blocks];
    return b->num == num ? b : NULL;
}

static void drop(struct chain *c, struct chain_entry *en)
{
    txmap_remove(c->history, en->txid);
    chain_entry_free(en);
    c->stats.dropped++;
}

/* The capacity's share of one block: C * interval plus the fraction left
 * over from earlier blocks (unused whole transactions are not carried). */
static size_t allowance(double rate, double interval_s, double *carry)
{
    double credit;
    size_t n;

    if (rate <= 0)
        return SIZE_MAX;
    credit = rate * interval_s + *carry;
    n = (size_t)credit;
    *carry = credit - (double)n;
    return n;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

    return x < y ? -1 : x > y;
}

/* database::update_global_dynamic_data, update_signing_witness and
 * update_last_irreversible_block for block b: the slots between the head's
 * and b's were missed; the witness confirms b; the last irreversible block
 * is the one confirmed by the witness at offset 30 % of the sorted
 * confirmations (so with 3 witnesses all three must confirm it, with 4..6
 * all but one; one witness: the head). */
static void update_dgp(struct chain *c, const struct chain_block *b)
{
    struct chain_dgp *d = &c->dgp;
    uint64_t missed = c->head_num > 0 && b->slot > c->head_slot ? b->slot - c->head_slot - 1 : 0;
    uint32_t n = c->opts.witnesses, sorted[CHAIN_MAX_WITNESSES];
    size_t offset = (size_t)(PERCENT_100 - IRREVERSIBLE_THRESHOLD) * n / PERCENT_100;

    if (b->num == 1)
        d->recently_missed = 0;
    else if (missed > 0)
        d->recently_missed += (uint32_t)(missed > UINT32_MAX / 8 ? UINT32_MAX / 8 : missed) *
                              MISSED_INCREMENT;
    else if (d->recently_missed > MISSED_INCREMENT)
        d->recently_missed -= MISSED_DECREMENT;
    else if (d->recently_missed > 0)
        d->recently_missed--;
    /* recent_slots_filled = ((filled << 1) + 1) << missed, as a uint128. */
    d->filled_hi = (d->filled_hi << 1) | (d->filled_lo >> 63);
    d->filled_lo = (d->filled_lo << 1) | 1;
    if (missed >= 128) {
        d->filled_hi = d->filled_lo = 0;
    } else if (missed >= 64) {
        d->filled_hi = d->filled_lo << (missed - 64);
        d->filled_lo = 0;
    } else if (missed > 0) {
        d->filled_hi = (d->filled_hi << missed) | (d->filled_lo >> (64 - missed));
        d->filled_lo <<= missed;
    }
    d->current_aslot += missed + 1;
    d->missed_total += missed;
    d->current_witness = b->witness;
    c->head_slot = b->slot;
    c->last_confirmed[b->witness - 1] = b->num;
    memcpy(sorted, c->last_confirmed, n * sizeof *sorted);
    qsort(sorted, n, sizeof *sorted, cmp_u32);
    if (sorted[offset] > d->lib)
        d->lib = sorted[offset];
}

/* The slot a block fills: the one given, or the head's next by 1.6.1. */
static void set_slot(const struct chain *c, struct chain_block *nb, const struct chain_slot *slot)
{
    nb->witness = slot != NULL && slot->witness >= 1 && slot->witness <= c->opts.witnesses
                      ? slot->witness
                      : 1;
    nb->slot = slot != NULL && slot->slot > c->head_slot ? slot->slot : c->head_slot + 1;
}

/* Seals nb (its transactions already applied to the committed state),
 * makes it the head, and rebuilds the pending state from the nkeep
 * entries left in scratch. */
static const struct chain_block *finish_block(struct chain *c, struct chain_block *nbp,
                                              size_t nkeep, size_t nops, char *err)
{
    struct chain_block nb = *nbp;
    size_t na = c->g.nassets;
    struct fcerr e;

    if (merkle_root(nb.txs, nb.ntx, nb.merkle) < 0 ? err_set(err, "out of memory") < 0
                                                   : seal_block(c, &nb, err) < 0) {
        /* Put everything back as it was: undo the committed effects. */
        for (size_t i = nb.ntx; i-- > 0;) {
            chain_undo_ops(c, c->committed, nb.txs[i]->ops, nb.txs[i]->nops);
            c->next_order_id -= order_count(nb.txs[i]);
            nb.txs[i]->block_num = 0;
        }
        free(nb.txs); /* the queue itself was not changed yet */
        return NULL;
    }
    update_dgp(c, &nb);
    c->head_num = nb.num;
    c->head_time = nb.timestamp;
    memcpy(c->head_id, nb.id, CHAIN_ID_LEN);
    memcpy(c->summary[nb.num & 0xFFFF], nb.id, CHAIN_ID_LEN);
    c->stats.blocks++;
    c->stats.applied_tx += nb.ntx;
    c->stats.applied_ops += nops;

    /* Rebuild the pending state: committed plus the re-applied queue at the
     * new head time; what fails now is dropped. */
    memcpy(c->pending, c->committed, (c->g.naccounts ? c->g.naccounts : 1) * na * sizeof(int64_t));
    c->nqueue = 0;
    for (size_t i = 0; i < nkeep; i++) {
        struct chain_entry *en = c->scratch[i];
        if (!chain_entry_current(c, en) ||
            chain_eval_ops(c, c->pending, en->ops, en->nops, c->head_time, true, &e) < 0) {
            drop(c, en);
            continue;
        }
        c->queue[c->nqueue++] = en;
    }
    /* clear_expired_transactions: kept while head time <= expiration. */
    txmap_expire(c->history, c->head_time);
    store_block(c, &nb);
    return chain_block(c, nb.num);
}

const struct chain_block *chain_produce_block(struct chain *c, uint32_t now, char *err)
{
    return chain_produce_block_at(c, now, NULL, err);
}

const struct chain_block *chain_produce_block_at(struct chain *c, uint32_t now,
                                                 const struct chain_slot *slot, char *err)
{
    struct chain_block nb;
    double interval_s = c->g.params.block_interval_ms / 1000.0;
    size_t max_tx = allowance(c->opts.capacity_tps, interval_s, &c->carry_tx);
    size_t max_ops = allowance(c->opts.capacity_ops, interval_s, &c->carry_ops);
    size_t nops = 0, nkeep = 0;
    size_t size = CHAIN_ID_LEN * 2 + 4 + 3 + 1 + 65 + varint_len(CHAIN_MAX_WITNESSES) + 3;
    struct fcerr e;

    memset(&nb, 0, sizeof nb);
    nb.num = c->head_num + 1;
    set_slot(c, &nb, slot);
    nb.timestamp = now > c->head_time ? now : c->head_time;
    memcpy(nb.previous, c->head_id, CHAIN_ID_LEN);
    nb.txs = malloc((c->nqueue ? c->nqueue : 1) * sizeof *nb.txs);
    if (nb.txs == NULL) {
        err_set(err, "out of memory");
        return NULL;
    }
    /* Pending transactions are applied to the head state (the head time is
     * still the previous block's) in arrival order. */
    for (size_t i = 0; i < c->nqueue; i++) {
        struct chain_entry *en = c->queue[i];
        size_t psize;

        if (nb.ntx >= max_tx || nops + en->nops > max_ops || !chain_entry_current(c, en)) {
            if (nb.ntx >= max_tx || nops + en->nops > max_ops)
                c->stats.postponed++;
            c->scratch[nkeep++] = en;
            continue;
        }
        en->first_order_id = c->next_order_id;
        psize = processed_size(en);
        if (size + psize > c->g.params.max_block_size) {
            c->stats.postponed++;
            c->scratch[nkeep++] = en;
            continue;
        }
        if (chain_eval_ops(c, c->committed, en->ops, en->nops, c->head_time, true, &e) < 0) {
            c->scratch[nkeep++] = en; /* re-checked below, like the node's re-push */
            continue;
        }
        en->block_num = nb.num;
        en->trx_num = nb.ntx;
        c->next_order_id += order_count(en);
        size += psize;
        nops += en->nops;
        nb.bytes += psize + sizeof *en;
        nb.txs[nb.ntx++] = en;
    }
    return finish_block(c, &nb, nkeep, nops, err);
}

const struct chain_block *chain_apply_block(struct chain *c, uint32_t timestamp,
                                            const uint8_t (*ids)[CHAIN_ID_LEN], size_t n,
                                            const struct chain_slot *at, size_t *skipped,
                                            char *err)
{
    struct chain_block nb;
    struct chain_entry **slot = NULL;
    struct txmap *want = NULL;
    size_t nops = 0, nkeep = 0;
    struct fcerr e;
    const struct chain_block *out = NULL;

    *skipped = 0;
    memset(&nb, 0, sizeof nb);
    nb.num = c->head_num + 1;
    set_slot(c, &nb, at);
    nb.timestamp = timestamp > c->head_time ? timestamp : c->head_time;
    memcpy(nb.previous, c->head_id, CHAIN_ID_LEN);
    nb.txs = malloc((n ? n : 1) * sizeof *nb.txs);
    slot = calloc(n ? n : 1, sizeof *slot);
    want = txmap_new();
    if (nb.txs == NULL || slot == NULL || want == NULL)
        goto oom;
    for (size_t i = 0; i < n; i++)
        if (txmap_put(want, ids[i], UINT32_MAX, i, 0) < 0)
            goto oom;
    /* The block's transactions out of the pending queue, in block order;
     * the others stay pending in arrival order. */
    for (size_t i = 0; i < c->nqueue; i++) {
        uint64_t pos;
        if (txmap_get(want, c->queue[i]->txid, &pos, NULL) && slot[pos] == NULL)
            slot[pos] = c->queue[i];
        else
            c->scratch[nkeep++] = c->queue[i];
    }
    for (size_t i = 0; i < n; i++) {
        struct chain_entry *en = slot[i];
        if (en == NULL) { /* not valid here: the producer's state differs */
            (*skipped)++;
            continue;
        }
        en->first_order_id = c->next_order_id;
        if (chain_eval_ops(c, c->committed, en->ops, en->nops, c->head_time, true, &e) < 0) {
            (*skipped)++;
            c->scratch[nkeep++] = en; /* re-checked with the pending state */
            continue;
        }
        en->block_num = nb.num;
        en->trx_num = nb.ntx;
        c->next_order_id += order_count(en);
        nops += en->nops;
        nb.bytes += processed_size(en) + sizeof *en;
        nb.txs[nb.ntx++] = en;
    }
    free(slot);
    txmap_free(want);
    return finish_block(c, &nb, nkeep, nops, err);
oom:
    err_set(err, "out of memory");
    free(nb.txs);
    free(slot);
    txmap_free(want);
    return out;
}
