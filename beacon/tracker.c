/* tracker.c - see tracker.h: the confirmation ledger.
 *
 * Blocks are read on the tracker's own thread (tracker_follow.c), so that
 * their size (megabytes of JSON at saturation) never delays the send path.
 * They are not parsed into a tree: blockscan finds each transaction's first
 * signature in the text, and the key taken from it is what the send path
 * noted (pool_item.key), so a block costs one pass over its text and one
 * map lookup per transaction. */
#include "tracker_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "timefmt.h"

/* Counts one of our transactions seen in a block, also for the node it was
 * sent to. */
static void tracker_confirmed(struct stats_interval *s, uint32_t nops, uint32_t node)
{
    s->c.confirmed++;
    s->c.confirmed_ops += nops;
    if (node < STATS_MAX_NODES) {
        s->node[node].confirmed++;
        if (node >= s->nnodes)
            s->nnodes = node + 1;
    }
}

/* blockscan's callback: collects the keys of the block being read. */
void tracker_on_tx(void *user, uint32_t index, const uint8_t *key)
{
    struct tracker *t = user;
    (void)index;

    if (key == NULL)
        return;
    if (t->nkeys == t->keys_cap) {
        size_t cap = t->keys_cap ? t->keys_cap * 2 : 8192;
        void *p = realloc(t->keys, cap * sizeof *t->keys);
        if (p == NULL) {
            t->keys_short = true;
            return;
        }
        t->keys = p;
        t->keys_cap = cap;
    }
    memcpy(t->keys[t->nkeys++], key, BLOCKSCAN_KEY_LEN);
}

void tracker_on_block(struct tracker_link *l, const struct blockscan *b, uint32_t num)
{
    struct tracker *t = l->t;
    uint64_t now = timefmt_mono_ns();
    uint32_t btime = b->timestamp;

    /* Everything sent so far must be in the map before a block is matched. */
    tracker_apply_notes(t);
    stats_init(&t->local);
    t->local.c.blocks = 1;
    t->local.c.block_txs = b->ntx;
    t->local.c.block_bytes = b->est_bytes;
    for (size_t i = 0; i < t->nkeys; i++) {
        const uint8_t *id = t->keys[i];
        uint64_t due;
        uint32_t aux; /* nops | node << 16 */

        /* Remembered for a few seconds, in case its note is still on its way. */
        txmap_put(t->seen, id, timefmt_wall_secs() + TRACKER_SEEN_S, now, 0);
        if (txmap_get(t->map, id, &due, &aux)) {
            txmap_remove(t->map, id);
            tracker_confirmed(&t->local, aux & 0xffff, aux >> 16);
            hist_record(&t->local.inclusion, now > due ? now - due : 0);
        }
    }
    /* Expiration is judged against head block time, as the node does. */
    if (btime != 0)
        t->local.c.lost = txmap_expire(t->map, btime);
    atomic_store(&t->unconfirmed, txmap_size(t->map));
    pthread_mutex_lock(&t->lock);
    stats_merge(&t->acc, &t->local);
    t->lblk[l->index].blocks++;
    t->lblk[l->index].txs += b->ntx;
    t->lblk[l->index].bytes += b->est_bytes;
    if (btime != 0 && l->index == 0 && num >= t->head_num) {
        t->head_time = btime;
        t->head_seen_ns = now;
        t->have_block = true;
    }
    pthread_mutex_unlock(&t->lock);
}

/* Applies the notes the network thread handed over (accepted transactions;
 * rejected and timed-out ones never enter the map, so they can never be
 * confirmed or lost). A transaction whose block was already seen (its note
 * came late) is confirmed at once.
 *
 * Publication: the ledger (stats.h, I3) is read by tracker_take while this
 * thread works, so counts and the map size are published together, here,
 * where no block is half-counted (on_block applies notes first and merges
 * its counts into acc last): acc moves into ready, and open_pub becomes the
 * map's size, under one lock. */
void tracker_apply_notes(struct tracker *t)
{
    size_t n;
    uint64_t seen_at;

    pthread_mutex_lock(&t->lock);
    /* Swap buffers: the producer keeps appending into ours, emptied. */
    struct tracker_note *mine = t->shared;
    size_t mycap = t->scap;
    n = t->sn;
    t->shared = t->nbuf;
    t->scap = t->ncap;
    t->sn = 0;
    t->applying = n;
    t->nbuf = mine;
    t->ncap = mycap;
    pthread_mutex_unlock(&t->lock);
    bool late = false;
    for (size_t i = 0; i < n; i++) {
        const struct tracker_note *note = &t->nbuf[i];
        if (txmap_get(t->seen, note->txid, &seen_at, NULL)) {
            if (!late) { /* rare: the scratch interval is only cleared when needed */
                stats_init(&t->local);
                late = true;
            }
            tracker_confirmed(&t->local, note->nops, note->node);
            hist_record(&t->local.inclusion, seen_at > note->due_ns ? seen_at - note->due_ns : 0);
        } else {
            txmap_put(t->map, note->txid, note->expiration, note->due_ns,
                      note->nops | (uint32_t)note->node << 16);
        }
    }
    atomic_store(&t->unconfirmed, txmap_size(t->map));
    pthread_mutex_lock(&t->lock);
    t->applying = 0;
    if (late)
        stats_merge(&t->acc, &t->local);
    if (t->acc.c.blocks > 0 || t->acc.c.confirmed > 0 || t->acc.c.lost > 0 ||
        hist_count(&t->acc.inclusion) > 0) {
        stats_merge(&t->ready, &t->acc);
        stats_init(&t->acc);
    }
    t->open_pub = txmap_size(t->map);
    pthread_mutex_unlock(&t->lock);
}

void tracker_note_accepted(struct tracker *t, const uint8_t txid[TX_ID_LEN], uint32_t expiration,
                           uint16_t nops, uint64_t due_ns, unsigned node)
{
    if (t->pn == t->pcap) {
        size_t cap = t->pcap ? t->pcap * 2 : 4096;
        struct tracker_note *p = realloc(t->pbuf, cap * sizeof *p);
        if (p == NULL) {
            t->note_lost++; /* out of memory: it cannot be followed */
            return;
        }
        t->pbuf = p;
        t->pcap = cap;
    }
    struct tracker_note *n = &t->pbuf[t->pn++];
    memcpy(n->txid, txid, TX_ID_LEN);
    n->expiration = expiration;
    n->nops = nops;
    n->node = (uint8_t)node;
    n->due_ns = due_ns;
}

void tracker_flush(struct tracker *t)
{
    if (t->pn == 0)
        return;
    pthread_mutex_lock(&t->lock);
    if (t->sn == 0) {
        /* The common case: swap our full buffer for the tracker's empty one. */
        struct tracker_note *b = t->shared;
        size_t cap = t->scap;
        t->shared = t->pbuf;
        t->scap = t->pcap;
        t->sn = t->pn;
        t->pbuf = b;
        t->pcap = cap;
        t->pn = 0;
    } else if (t->sn + t->pn <= t->scap) {
        memcpy(t->shared + t->sn, t->pbuf, t->pn * sizeof *t->pbuf);
        t->sn += t->pn;
        t->pn = 0;
    }
    /* else: the tracker is behind; keep buffering and try next time. */
    pthread_mutex_unlock(&t->lock);
}

void tracker_take(struct tracker *t, struct stats_interval *dst)
{
    pthread_mutex_lock(&t->lock);
    stats_merge(dst, &t->ready);
    dst->g.head_block = t->head_num;
    dst->g.irreversible_block = t->lib_num;
    stats_init(&t->ready);
    /* Accepted and unresolved: in the map as published with ready, or on
     * the way to it (a note lost to memory counts as lost, not as
     * unconfirmed for ever). */
    dst->g.unconfirmed = t->open_pub + t->sn + t->applying + t->pn;
    for (size_t i = 0; i < t->cfg.ntel && i < STATS_MAX_NODES; i++) {
        size_t from = i < t->nlinks ? i : 0; /* not followed: the primary's chain */
        dst->node[i].tel_blocks = t->lblk[from].blocks;
        dst->node[i].tel_block_txs = t->lblk[from].txs;
        dst->node[i].tel_block_bytes = t->lblk[from].bytes;
    }
    memset(t->lblk, 0, sizeof t->lblk);
    pthread_mutex_unlock(&t->lock);
    if (t->tel != NULL)
        nodetel_take(t->tel, dst);
    dst->c.lost += t->note_lost;
    t->note_lost = 0;
}

bool tracker_tapos(struct tracker *t, uint8_t block_id[TX_BLOCK_ID_LEN], uint32_t *head_time)
{
    int irr = -1, any = -1;
    bool ok = false;

    /* The newest irreversible block survives any fork switch; without one
     * in the ring, the newest block at all. */
    pthread_mutex_lock(&t->lock);
    for (int i = 0; i < TRACKER_RING; i++) {
        uint32_t n = t->ring[i].num;
        if (n == 0)
            continue;
        if (n <= t->lib_num && (irr < 0 || n > t->ring[irr].num))
            irr = i;
        if (any < 0 || n > t->ring[any].num)
            any = i;
    }
    if (any >= 0 && t->have_block) {
        memcpy(block_id, t->ring[irr >= 0 ? irr : any].id, TX_BLOCK_ID_LEN);
        *head_time = t->head_time +
                     (uint32_t)((timefmt_mono_ns() - t->head_seen_ns) / 1000000000u);
        ok = true;
    }
    pthread_mutex_unlock(&t->lock);
    return ok;
}

uint64_t tracker_unconfirmed(struct tracker *t)
{
    uint64_t n;

    /* Notes still buffered or handed over but not yet applied are
     * unconfirmed too: without them a drain could end just before the
     * last transactions reach the map. The published count goes to 0 only
     * once the counts of the last block are ready for tracker_take. */
    pthread_mutex_lock(&t->lock);
    n = t->open_pub + t->sn + t->applying + t->pn;
    pthread_mutex_unlock(&t->lock);
    return n;
}

int tracker_status(struct tracker *t, char *err)
{
    int rc = 0;

    pthread_mutex_lock(&t->lock);
    if (t->status[0] != '\0') {
        memcpy(err, t->status, ERR_LEN);
        rc = -1;
    }
    pthread_mutex_unlock(&t->lock);
    return rc;
}

uint64_t tracker_restarts(struct tracker *t)
{
    uint64_t n;

    pthread_mutex_lock(&t->lock);
    n = t->restarts;
    pthread_mutex_unlock(&t->lock);
    return n;
}

bool tracker_next_event(struct tracker *t, char *text)
{
    bool got = false;

    pthread_mutex_lock(&t->lock);
    if (t->ev_lost > 0) {
        snprintf(text, ERR_LEN, "%s: %llu more tracker events were dropped", t->url,
                 (unsigned long long)t->ev_lost);
        t->ev_lost = 0;
        got = true;
    } else if (t->ev_n > 0) {
        memcpy(text, t->events[t->ev_head], ERR_LEN);
        t->ev_head = (t->ev_head + 1) % TRACKER_EVENTS;
        t->ev_n--;
        got = true;
    }
    pthread_mutex_unlock(&t->lock);
    return got;
}
