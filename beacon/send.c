/* send.c - the network thread's send path and acknowledgements.
 *
 * Per transaction this does: take the next pool item, write the request id
 * into its frame, hand the frame to the connection, fill a slot, count.
 * No allocation, no formatting, no lock (the pool's lock is taken once per
 * chunk). */
#include <stdio.h>
#include <string.h>

#include "engine_impl.h"
#include "presign.h"
#include "jv.h"
#include "reply.h"
#include "timefmt.h"

/* Picks the node that gets the next due transaction. */
static unsigned send_pick_node(struct engine *e)
{
    int64_t total = 0;
    unsigned best = 0;

    if (e->cfg.spread == ENGINE_SPREAD_SINGLE || e->cfg.nnodes == 1)
        return 0;
    /* Smooth weighted round robin (as nginx): exact shares, well spread. */
    for (unsigned i = 0; i < e->cfg.nnodes; i++) {
        e->nodes[i].swrr += e->nodes[i].weight;
        total += e->nodes[i].weight;
        if (e->nodes[i].swrr > e->nodes[best].swrr)
            best = i;
    }
    e->nodes[best].swrr -= total;
    return best;
}

/* True when node n can take a request now: one of its connections is open,
 * registered, not backed up (a node that stops reading holds sends back
 * as surely as one whose windows are full), below its window, with the
 * next slot of its ring free. */
static bool send_node_room(const struct engine *e, unsigned n)
{
    size_t per = e->cfg.conns_per_node;

    for (size_t i = (size_t)n * per; i < ((size_t)n + 1) * per && i < e->nconns; i++) {
        const struct send_conn *c = &e->conns[i];
        if (c->open && c->ready && !c->full && c->in_flight < e->cfg.window &&
            c->slots[(c->next_id + 1) % e->cfg.window].id == 0)
            return true;
    }
    return false;
}

/* A node that owes due transactions and cannot take any holds them back:
 * remembered so that their wait is counted as the node's (held), not the
 * beacon's. */
static void send_note_hold(struct engine *e, unsigned n, uint64_t now)
{
    if (e->nodes[n].owed > 0 && !send_node_room(e, n))
        e->nodes[n].hold_ns = now;
}

/* Classifies the drops not yet seen: they leave the most-behind node first,
 * and are the node's doing (held_dropped) when it held back at some time
 * at or after `since` (absolute ns), else the beacon's (dropped, counted by
 * the engine as the rest). */
static void send_classify_drops(struct engine *e, uint64_t since)
{
    struct ratectl_counters rcnt;

    ratectl_counters(e->rc, &rcnt);
    for (; e->dropped_seen < rcnt.dropped; e->dropped_seen++) {
        unsigned worst = 0;
        for (unsigned i = 1; i < e->cfg.nnodes; i++)
            if (e->nodes[i].owed > e->nodes[worst].owed)
                worst = i;
        if (e->nodes[worst].owed > 0)
            e->nodes[worst].owed--;
        if (e->nodes[worst].hold_ns != 0 && e->nodes[worst].hold_ns >= since)
            e->cur.c.held_dropped++;
    }
}

/* Drops past the horizon were due a horizon ago: held when the node held
 * back at any time since. */
static uint64_t send_horizon_start(const struct engine *e, uint64_t now)
{
    return now > e->cfg.drop_horizon_ns ? now - e->cfg.drop_horizon_ns : 0;
}

void send_settle(struct engine *e, uint64_t now)
{
    if (!ratectl_is_unlimited(e->rc))
        send_classify_drops(e, send_horizon_start(e, now));
}

uint64_t send_held_pending(struct engine *e, uint64_t now)
{
    uint64_t oldest = ratectl_next_due(e->rc), n = 0;

    if (ratectl_is_unlimited(e->rc) || oldest == RATECTL_FOREVER)
        return 0;
    for (unsigned i = 0; i < e->cfg.nnodes; i++) {
        send_note_hold(e, i, now);
        if (e->nodes[i].owed > 0 && e->nodes[i].hold_ns != 0 &&
            e->nodes[i].hold_ns >= e->t0 + oldest)
            n += e->nodes[i].owed;
    }
    return n;
}

void send_drop_pending(struct engine *e, uint64_t now)
{
    uint64_t oldest = ratectl_next_due(e->rc);

    if (ratectl_is_unlimited(e->rc) || oldest == RATECTL_FOREVER) {
        ratectl_drop_pending(e->rc);
        return;
    }
    send_settle(e, now);
    for (unsigned i = 0; i < e->cfg.nnodes; i++)
        send_note_hold(e, i, now);
    ratectl_drop_pending(e->rc);
    send_classify_drops(e, e->t0 + oldest);
}

/* The wakeup for a transaction due at offset due: the end of its tick, so
 * that one wakeup sends everything that falls due within a tick (the
 * kernel's timer wakeups and task switches were 30 % of the beacon's CPU
 * when it woke for every transaction). Lateness grows by at most a tick. */
static uint64_t send_tick_up(const struct engine *e, uint64_t due)
{
    uint64_t tick = e->cfg.send_tick_ns;

    if (tick == UINT64_MAX || tick <= 1 || due > UINT64_MAX - tick)
        return due;
    return (due + tick - 1) / tick * tick;
}

/* Counts due transactions [from, from + n) that found room on a connection
 * (room slots) and no pre-signed one: each once, however often it is
 * retried (beacon-side evidence for the verdict). */
static void send_count_pool_empty(struct engine *e, uint64_t from, uint64_t n, uint64_t room)
{
    uint64_t upto = from + (n < room ? n : room);

    if (from < e->pool_empty_next)
        from = e->pool_empty_next;
    if (upto > from) {
        e->cur.c.pool_empty += upto - from;
        e->pool_empty_next = upto;
    }
}

/* At an unlimited rate the windows are the load: an empty pool limits the
 * run only when the node has (almost) nothing of ours left to work on. A
 * node with thousands of our transactions queued, answering slower and
 * slower, is what limits it then, not the few the signers have not made
 * yet (the window is larger than what a saturated node answers in its ack
 * time). So an unlimited beacon counts pool_empty only while its usable
 * connections have at most one request each in flight and the node
 * refused and lost nothing this second or the one before (refusals that
 * came back at once are what emptied the windows and the pool). */
static bool send_unlimited_hungry(const struct engine *e)
{
    uint64_t in_flight = 0, usable = 0;

    for (size_t i = 0; i < e->nconns; i++) {
        const struct send_conn *c = &e->conns[i];
        if (c->open && c->ready &&
            (e->cfg.spread != ENGINE_SPREAD_SINGLE || c->node == 0)) {
            in_flight += c->in_flight;
            usable++;
        }
    }
    return usable > 0 && in_flight <= usable && stats_rejected_total(&e->cur.c) == 0 &&
           stats_rejected_total(&e->prev.c) == 0 && e->cur.c.timeouts == 0 &&
           e->prev.c.timeouts == 0;
}

/* The pump does not wake the connections while the pool is empty (that
 * spun through writable callbacks and took the signers' CPU), so it counts
 * here what they would have found: due transactions with room and nothing
 * signed. */
static void send_count_starved(struct engine *e, uint64_t first, uint64_t n)
{
    uint64_t room = 0;

    for (size_t i = 0; i < e->nconns; i++) {
        const struct send_conn *c = &e->conns[i];
        /* At a set rate a connection would send what its node is owed; at
         * an unlimited rate every connection that may send fills its window. */
        bool wants = ratectl_is_unlimited(e->rc)
                         ? e->cfg.spread != ENGINE_SPREAD_SINGLE || c->node == 0
                         : e->nodes[c->node].owed > 0;
        if (c->open && c->ready && wants && c->in_flight < e->cfg.window)
            room += e->cfg.window - c->in_flight;
    }
    send_count_pool_empty(e, first, n, room);
    signer_kick(e->signer);
}

static void send_on_writable(void *user, struct wsc_conn *wc);

void send_pump(struct engine *e, uint64_t now)
{
    struct ratectl_counters rcnt;
    uint64_t first, n;

    if (!e->running)
        return;
    n = ratectl_poll(e->rc, now - e->t0, &first);
    /* Nothing signed to send: wait for the signers (the loop looks again
     * every millisecond) instead of spinning through writable callbacks, which
     * took the CPU the signers needed once the pool follows the sent rate. */
    bool starved = e->held == NULL && e->chunk == NULL && pool_level(e->pool) == 0;
    if (ratectl_is_unlimited(e->rc)) {
        /* Room in the windows and nothing signed: the signers are what
         * limits this beacon now, which the verdict must hear (pool_empty),
         * and they must be woken. */
        if (starved) {
            if (n > 0 && send_unlimited_hungry(e))
                send_count_starved(e, first, n);
            else
                signer_kick(e->signer);
            return;
        }
        /* Unlimited: the window paces; every node with room sends. */
        if (n > 0)
            for (size_t i = 0; i < e->nconns; i++)
                if (e->conns[i].open && (e->cfg.spread != ENGINE_SPREAD_SINGLE ||
                                         e->conns[i].node == 0))
                    wsc_want_write(e->conns[i].wc);
        return;
    }
    ratectl_counters(e->rc, &rcnt);
    for (; e->offered_seen < rcnt.offered; e->offered_seen++)
        e->nodes[send_pick_node(e)].owed++;
    send_classify_drops(e, send_horizon_start(e, now));
    for (unsigned i = 0; i < e->cfg.nnodes; i++)
        send_note_hold(e, i, now);
    if (starved && n > 0)
        send_count_starved(e, first, n);
    /* A ready connection that did not find its socket full sends at once
     * (the sends batch into one write when this callback returns); asking
     * for a writable callback first would cost a poll(2) per tick. */
    for (size_t i = 0; i < e->nconns && !starved; i++) {
        struct send_conn *c = &e->conns[i];

        if (!c->open || e->nodes[c->node].owed == 0 || c->in_flight >= e->cfg.window)
            continue;
        if (c->ready && !c->full)
            send_on_writable(e, c->wc);
        else
            wsc_want_write(c->wc);
    }
    /* The loop sleeps until this timer (or an answer): the next due
     * transaction's tick, or, with due ones that could not go (no room,
     * nothing signed), a millisecond to look again. */
    uint64_t at = now + 1000000u;
    if (n == 0) {
        uint64_t due = ratectl_next_due(e->rc);
        at = due == RATECTL_FOREVER ? e->next_second : e->t0 + send_tick_up(e, due);
    }
    wsc_timer_at(e->w, at < e->next_second ? at : e->next_second);
}

/* The next pool item that is not too close to its expiration, or NULL. */
static const struct pool_item *send_next_item(struct engine *e)
{
    for (;;) {
        const struct pool_item *it = NULL;

        if (e->chunk != NULL && (it = pool_chunk_next(e->pool, e->chunk)) == NULL) {
            pool_recycle(e->pool, e->chunk);
            e->chunk = NULL;
            signer_kick(e->signer);
        }
        if (it == NULL) {
            e->chunk = pool_take(e->pool);
            if (e->chunk == NULL)
                return NULL;
            signer_kick(e->signer); /* the level fell: the signers may be below target */
            continue;
        }
        /* A transaction must reach the node with a margin before it
         * expires; older ones are discarded here, not sent to fail. */
        if (it->expiration > e->head_time_est + 5)
            return it;
        e->cur.c.stale++;
    }
}

/* fc registers apis per connection: the broadcast api id that frames carry
 * is only valid once this connection has asked for it, so that is the
 * first request on every (re)connection. */
static void send_register(struct engine *e, struct send_conn *c)
{
    char req[96];
    int n, rc;

    if (c->reg_id != 0)
        return; /* sent, waiting for the answer */
    n = snprintf(req, sizeof req,
                 "{\"id\":%llu,\"method\":\"call\",\"params\":[1,\"network_broadcast\",[]]}",
                 (unsigned long long)(c->next_id + 1));
    rc = wsc_send(c->wc, req, (size_t)n);
    if (rc == WSC_FULL)
        wsc_want_write(c->wc);
    else if (rc == WSC_OK)
        c->reg_id = ++c->next_id;
    (void)e;
}

static void send_on_writable(void *user, struct wsc_conn *wc)
{
    struct send_conn *c = wsc_conn_tag(wc);
    struct engine *e = user;
    uint64_t now = timefmt_mono_ns(), first, n;
    bool unlimited = ratectl_is_unlimited(e->rc);
    struct send_node *node = &e->nodes[c->node];

    if (!c->ready) {
        send_register(e, c);
        return;
    }
    c->full = false;
    if (!e->running)
        return;
    n = ratectl_poll(e->rc, now - e->t0, &first);
    for (uint64_t i = 0; i < n && c->in_flight < e->cfg.window; i++) {
        const struct pool_item *it;
        struct send_slot *slot;
        uint64_t id, due;
        int rc;

        if (!unlimited && node->owed == 0)
            break;
        it = e->held != NULL ? e->held : send_next_item(e);
        if (it == NULL) {
            if (!unlimited || send_unlimited_hungry(e))
                send_count_pool_empty(e, first + i, n - i, e->cfg.window - c->in_flight);
            signer_kick(e->signer);
            wsc_timer_at(e->w, now + 200000); /* retry soon */
            break;
        }
        e->held = it;
        id = c->next_id + 1;
        slot = &c->slots[id % e->cfg.window];
        if (slot->id != 0)
            break; /* the oldest request in this ring is still out */
        presign_set_frame_id((char *)it->frame, id);
        rc = wsc_send(wc, it->frame, it->frame_len);
        if (rc == WSC_FULL) {
            c->full = true;
            wsc_want_write(wc);
            break;
        }
        if (rc != WSC_OK)
            break;
        e->held = NULL;
        c->next_id = id;
        due = unlimited ? now : e->t0 + ratectl_due(e->rc, first + i);
        slot->id = id;
        slot->sent_ns = now;
        slot->due_ns = due;
        memcpy(slot->key, it->key, TX_ID_LEN);
        slot->expiration = it->expiration;
        slot->nops = it->nops;
        c->in_flight++;
        if (!unlimited)
            node->owed--;
        /* Held: its node could not take it at some time since it was due. */
        ratectl_on_sent_held(e->rc, first + i, now - e->t0,
                             !unlimited && node->hold_ns != 0 && node->hold_ns >= due);
        e->cur.c.sent++;
        e->cur.c.sent_ops += it->nops;
        e->cur.node[c->node].sent++;
    }
    if (!unlimited)
        send_note_hold(e, c->node, now);
}

enum send_reply send_reply_match(const struct send_conn *c, uint32_t window, uint64_t id)
{
    /* Ids start at 1 and grow per connection: 0 or one never sent answers
     * nothing (a phantom accept would underflow in_flight and stall the
     * connection for good). */
    if (id == 0 || id > c->next_id)
        return SEND_REPLY_UNKNOWN;
    return c->slots[id % window].id == id ? SEND_REPLY_OK : SEND_REPLY_LATE;
}

/* Ends a request: counts its outcome and frees its slot. */
static void send_done(struct engine *e, struct send_conn *c, struct send_slot *slot)
{
    slot->id = 0;
    c->in_flight--;
    ratectl_on_done(e->rc);
}

static void send_registered(struct engine *e, struct send_conn *c, const char *msg, size_t len,
                            const struct reply *r)
{
    struct jv *root = NULL;
    uint64_t api = UINT64_MAX;
    char text[512];

    if (r->kind == REPLY_RESULT && (root = jv_parse(msg, len, JV_MAX_DEPTH, NULL)) != NULL)
        jv_uint64(jv_get(root, "result"), UINT32_MAX, &api, NULL);
    jv_free(root);
    if (api == e->chain.broadcast_api) {
        c->ready = true;
        wsc_want_write(c->wc);
        return;
    }
    /* Frames carry the api id learned at setup; a node that numbers its
     * apis differently on this connection cannot take them. */
    if (e->cfg.on_event != NULL) {
        snprintf(text, sizeof text, "%s: network_broadcast is api %lld on this connection, "
                 "expected %u; not sending on it", wsc_conn_url(c->wc),
                 api == UINT64_MAX ? -1LL : (long long)api, e->chain.broadcast_api);
        e->cfg.on_event(e->cfg.user, text);
    }
}

static void send_on_message(void *user, struct wsc_conn *wc, const char *msg, size_t len)
{
    struct send_conn *c = wsc_conn_tag(wc);
    struct engine *e = user;
    struct send_slot *slot;
    struct stats_node *pn;
    struct reply r;
    uint64_t now, ack;

    if (reply_parse(&r, msg, len, NULL) < 0 || !r.has_id)
        return; /* notices are the tracker's business; junk is ignored */
    if (!c->ready) {
        if (r.id == c->reg_id)
            send_registered(e, c, msg, len, &r);
        return;
    }
    switch (send_reply_match(c, e->cfg.window, r.id)) {
    case SEND_REPLY_UNKNOWN:
        e->cur.c.unknown_replies++;
        return;
    case SEND_REPLY_LATE:
        e->cur.c.late_replies++; /* it timed out: it stays a timeout */
        return;
    case SEND_REPLY_OK:
        break;
    }
    slot = &c->slots[r.id % e->cfg.window];
    now = timefmt_mono_ns();
    ack = now > slot->due_ns ? now - slot->due_ns : 0;
    hist_record(&e->cur.ack, ack);
    pn = &e->cur.node[c->node];
    stats_node_ack(pn, ack);
    if (r.kind == REPLY_RESULT) {
        e->cur.c.accepted++;
        e->cur.c.accepted_ops += slot->nops;
        pn->accepted++;
        /* Only accepted transactions can be confirmed or lost. */
        tracker_note_accepted(e->tracker, slot->key, slot->expiration, slot->nops,
                              slot->due_ns, c->node);
    } else {
        enum stats_reject why = reply_classify(r.code, r.name, r.message);
        e->cur.c.rejected[why]++;
        pn->rejected++;
        /* The first rejection of each kind is worth a log line: it says
         * what the node objects to in its own words. */
        if (!(e->rejects_logged & (1u << why)) && e->cfg.on_event != NULL) {
            char text[512];
            e->rejects_logged |= 1u << why;
            snprintf(text, sizeof text, "%s rejected a transaction (%s): code %lld %s: %s",
                     wsc_conn_url(wc), stats_reject_name(why), (long long)r.code, r.name,
                     r.message);
            e->cfg.on_event(e->cfg.user, text);
        }
    }
    send_done(e, c, slot);
    if (c->in_flight + 1 == e->cfg.window)
        wsc_want_write(wc); /* the window had been full */
}

static void send_on_open(void *user, struct wsc_conn *wc)
{
    struct send_conn *c = wsc_conn_tag(wc);
    (void)user;
    c->open = true;
    c->ready = false;
    c->full = false;
    c->reg_id = 0;
    wsc_want_write(wc);
}

static void send_on_close(void *user, struct wsc_conn *wc, const char *reason)
{
    struct send_conn *c = wsc_conn_tag(wc);
    struct engine *e = user;
    char text[512];

    if (c->open && e->cfg.on_event != NULL) {
        snprintf(text, sizeof text, "%s: connection lost: %s (reconnecting)", wsc_conn_url(wc),
                 reason);
        e->cfg.on_event(e->cfg.user, text);
    }
    c->open = false;
    e->cur.c.conn_errors++;
    e->cur.node[c->node].conn_errors++;
    /* Whatever was in flight has no known outcome: count it as timed out. */
    for (uint32_t i = 0; i < e->cfg.window && c->in_flight > 0; i++)
        if (c->slots[i].id != 0) {
            e->cur.c.timeouts++;
            e->cur.node[c->node].timeouts++;
            send_done(e, c, &c->slots[i]);
        }
}

static void send_on_timer(void *user)
{
    send_pump(user, timefmt_mono_ns());
}

const struct wsc_callbacks send_callbacks = {
    send_on_open, send_on_message, send_on_close, send_on_writable, send_on_timer,
};

void send_expire(struct engine *e, uint64_t now)
{
    for (size_t k = 0; k < e->nconns; k++) {
        struct send_conn *c = &e->conns[k];
        uint64_t heard;
        bool expired = false;
        for (uint32_t i = 0; i < e->cfg.window && c->in_flight > 0; i++)
            if (c->slots[i].id != 0 && now - c->slots[i].sent_ns > e->cfg.ack_timeout_ns) {
                e->cur.c.timeouts++;
                e->cur.node[c->node].timeouts++;
                send_done(e, c, &c->slots[i]);
                expired = true;
            }
        /* Only timeouts and not one answer for longer than the ack timeout,
         * although the socket looks alive (pings answered): a new
         * connection finds out, and the loss counts as a connection error. */
        heard = expired && c->open ? wsc_conn_last_message_ns(c->wc) : 0;
        if (heard != 0 && now > heard + e->cfg.ack_timeout_ns) {
            char why[96];
            snprintf(why, sizeof why, "no answer to any request for %llu ms",
                     (unsigned long long)((now - heard) / 1000000u));
            wsc_reconnect(c->wc, why);
        }
    }
}

uint64_t send_conns_ready(const struct engine *e)
{
    uint64_t n = 0;
    for (size_t k = 0; k < e->nconns; k++)
        n += e->conns[k].open && e->conns[k].ready;
    return n;
}

uint64_t send_in_flight(const struct engine *e)
{
    uint64_t n = 0;
    for (size_t k = 0; k < e->nconns; k++)
        n += e->conns[k].in_flight;
    return n;
}
