/* engine_pool.c - the engine's pre-sign pool policy: how much the signers
 * keep ready (sign only what will be sent), and what a chain restart does
 * to what is already signed. See engine_impl.h. */
#include <stdio.h>

#include "engine_impl.h"
#include "err.h"

#define ENGINE_TARGET_NS 50000000u /* pool target updates: 20 a second */

/* What the signers keep ready at schedule time t: sign only what will be
 * sent. Scheduled: the transactions due within the pre-sign horizon that
 * are not sent or dropped yet. Unlimited: the horizon at the highest rate
 * actually sent in a second (at least two windows in flight, so the start
 * and a node that speeds up are not held back by signing). Never more than
 * the rest of the schedule needs, and never more than the memory bound. */
size_t engine_pool_want(struct engine *e, uint64_t t)
{
    uint64_t ahead = (uint64_t)(e->cfg.presign_ahead_s * 1e9);
    struct ratectl_counters rc;
    uint64_t want;

    ratectl_counters(e->rc, &rc);
    if (!ratectl_is_unlimited(e->rc)) {
        uint64_t due = ratectl_count_due(e->rc, t + ahead), done = rc.sent + rc.dropped;
        want = due > done ? due - done : 0;
    } else {
        uint64_t end = ratectl_end_ns(e->rc), peak = e->pool_peak_sent;
        want = 2 * (uint64_t)e->cfg.window * e->cfg.nnodes * e->cfg.conns_per_node;
        if (peak * ahead / 1000000000u > want)
            want = peak * ahead / 1000000000u;
        if (peak > 0 && end != RATECTL_FOREVER) {
            /* A quarter second more than the rest of the schedule: the
             * target follows at ENGINE_TARGET_NS steps. */
            uint64_t left = end > t ? end - t : 0, need = peak * (left + 250000000u) / 1000000000u;
            if (need < want)
                want = need;
        }
    }
    return want < e->pool_target ? (size_t)want : e->pool_target;
}

/* Sets the signers' target, every ENGINE_TARGET_NS: often enough that the
 * last seconds of a schedule are not signed again as they are sent. */
void engine_pool_tick(struct engine *e, uint64_t now)
{
    if (now < e->pool_next_ns)
        return;
    e->pool_next_ns = now + ENGINE_TARGET_NS;
    /* Before the schedule: its start; after it: nothing more to sign. */
    signer_set_target(e->signer, e->running ? engine_pool_want(e, now - e->t0)
                                 : e->t0 == 0 ? engine_pool_want(e, 0) : 0);
}

/* Drops every pre-signed transaction (the chain they were signed for is
 * gone); the network thread's own chunk included. Returns how many. */
static size_t engine_discard_pool(struct engine *e)
{
    size_t n = pool_discard(e->pool);

    if (e->chunk != NULL) {
        size_t before = pool_level(e->pool);
        pool_recycle(e->pool, e->chunk);
        n += before - pool_level(e->pool);
        e->chunk = NULL;
    }
    e->held = NULL;
    signer_kick(e->signer);
    return n;
}

/* Passes the tracker's events on; after a chain restart, discards the pool
 * and waits for the new chain's TaPoS. Sets the signers' target. */
void engine_follow_chain(struct engine *e, uint64_t now)
{
    char text[ERR_LEN + 64];
    uint64_t restarts = tracker_restarts(e->tracker);

    while (tracker_next_event(e->tracker, text))
        if (e->cfg.on_event != NULL)
            e->cfg.on_event(e->cfg.user, text);
    if (restarts != e->restarts_seen) {
        size_t n = engine_discard_pool(e);
        e->restarts_seen = restarts;
        e->tapos_void = true;
        if (e->cfg.on_event != NULL) {
            snprintf(text, sizeof text, "%zu pre-signed transactions of the old chain discarded", n);
            e->cfg.on_event(e->cfg.user, text);
        }
    }
    if (e->cur.c.sent > e->pool_peak_sent)
        e->pool_peak_sent = e->cur.c.sent;
    engine_pool_tick(e, now);
}

void engine_tapos_renewed(struct engine *e)
{
    if (e->tapos_void) {
        /* What was signed since the restart still named the old chain. */
        engine_discard_pool(e);
        e->tapos_void = false;
    }
}
