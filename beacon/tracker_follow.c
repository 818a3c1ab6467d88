/* tracker_follow.c - see tracker.h: block following.
 *
 * Every block from the first one seen is fetched, a few requests at a
 * time, however far behind the tracker falls; a block the node cannot
 * return is reported as an event. A chain that restarts (a head below the
 * last irreversible block, a different block at a known irreversible
 * height, or a new chain id) is reported, and followed from its new blocks
 * on; tracker_restarts tells the engine to discard the pre-signed
 * transactions of the old chain. Blocks read are handed to the ledger
 * (tracker.c, tracker_on_block). */
#include "tracker_impl.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"
#include "jv.h"
#include "reply.h"
#include "timefmt.h"

/* Records the last problem as "URL: what" (truncated to fit). */
static void tracker_set_status(struct tracker *t, const char *url, const char *what)
{
    char text[ERR_LEN];
    size_t n = strlen(url);

    if (n > ERR_LEN / 2)
        n = ERR_LEN / 2;
    memcpy(text, url, n);
    text[n] = '\0';
    strncat(text, ": ", ERR_LEN - strlen(text) - 1);
    strncat(text, what, ERR_LEN - strlen(text) - 1);
    pthread_mutex_lock(&t->lock);
    memcpy(t->status, text, ERR_LEN);
    pthread_mutex_unlock(&t->lock);
}

/* Queues a request; it is written when the connection is writable. */
static void tracker_request(struct tracker_link *t, enum tracker_req kind, uint32_t num,
                            const char *method, const char *params)
{
    uint64_t id = ++t->next_id;
    char *msg;
    size_t n;

    if (t->out_n == TRACKER_OUTBOX)
        return; /* cannot happen with bounded catch-up; dropping is safe */
    n = (size_t)snprintf(NULL, 0, "{\"id\":%llu,\"method\":\"call\",\"params\":[\"database\","
                         "\"%s\",%s]}", (unsigned long long)id, method, params);
    msg = malloc(n + 1);
    if (msg == NULL)
        return;
    snprintf(msg, n + 1, "{\"id\":%llu,\"method\":\"call\",\"params\":[\"database\",\"%s\",%s]}",
             (unsigned long long)id, method, params);
    t->pend[id % TRACKER_PENDING].id = id;
    t->pend[id % TRACKER_PENDING].kind = kind;
    t->pend[id % TRACKER_PENDING].num = num;
    t->outbox[(t->out_head + t->out_n++) % TRACKER_OUTBOX] = msg;
    wsc_want_write(t->conn);
}

static void tracker_drop_outbox(struct tracker_link *t)
{
    while (t->out_n > 0) {
        free(t->outbox[t->out_head]);
        t->out_head = (t->out_head + 1) % TRACKER_OUTBOX;
        t->out_n--;
    }
}

/* Queues an event for the engine ("URL: what"); the oldest is dropped,
 * counted, when the engine does not collect them. */
static void tracker_event(struct tracker_link *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void tracker_event(struct tracker_link *l, const char *fmt, ...)
{
    struct tracker *t = l->t;
    char text[ERR_LEN];
    int n = snprintf(text, sizeof text, "%s: ", wsc_conn_url(l->conn));
    va_list ap;

    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < sizeof text)
        vsnprintf(text + n, sizeof text - (size_t)n, fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&t->lock);
    if (t->ev_n == TRACKER_EVENTS) {
        t->ev_head = (t->ev_head + 1) % TRACKER_EVENTS;
        t->ev_n--;
        t->ev_lost++;
    }
    memcpy(t->events[(t->ev_head + t->ev_n++) % TRACKER_EVENTS], text, ERR_LEN);
    pthread_mutex_unlock(&t->lock);
}

static void tracker_on_open(void *user, struct wsc_conn *c)
{
    struct tracker_link *t = wsc_conn_tag(c);
    char params[16];
    (void)user;

    tracker_drop_outbox(t);
    snprintf(params, sizeof params, "[%d]", TRACKER_CB);
    tracker_request(t, REQ_CHAIN_ID, 0, "get_chain_id", "[]");
    tracker_request(t, REQ_SUBSCRIBE, 0, "set_block_applied_callback", params);
    tracker_request(t, REQ_DYNPROPS, 0, "get_dynamic_global_properties", "[]");
}

static void tracker_on_close(void *user, struct wsc_conn *c, const char *reason)
{
    struct tracker_link *l = wsc_conn_tag(c);
    (void)user;

    /* Blocks requested and not answered are asked for again. */
    for (size_t i = 0; i < TRACKER_PENDING; i++) {
        if (l->pend[i].kind == REQ_BLOCK && l->pend[i].num < l->next_fetch)
            l->next_fetch = l->pend[i].num;
        l->pend[i].kind = REQ_NONE;
    }
    l->fetching = 0;
    tracker_drop_outbox(l);
    tracker_set_status(l->t, wsc_conn_url(c), reason);
}

static void tracker_on_writable(void *user, struct wsc_conn *c)
{
    struct tracker_link *t = wsc_conn_tag(c);
    (void)user;

    while (t->out_n > 0) {
        char *msg = t->outbox[t->out_head];
        int rc = wsc_send(c, msg, strlen(msg));
        if (rc == WSC_FULL) {
            wsc_want_write(c);
            return;
        }
        free(msg);
        t->out_head = (t->out_head + 1) % TRACKER_OUTBOX;
        t->out_n--;
        if (rc != WSC_OK)
            return;
    }
}

static void tracker_on_timer(void *user)
{
    (void)user;
}

/* Requests the next blocks, a few at a time: catching up never floods the
 * node or the outbox, and never skips a block. */
static void tracker_fetch(struct tracker_link *l)
{
    char params[24];

    while (l->next_fetch != 0 && l->next_fetch <= l->fetch_to && l->fetching < TRACKER_FETCHING &&
           l->out_n < TRACKER_OUTBOX) {
        snprintf(params, sizeof params, "[%u]", l->next_fetch);
        tracker_request(l, REQ_BLOCK, l->next_fetch, "get_block", params);
        l->next_fetch++;
        l->fetching++;
    }
}

/* The node's chain is not the one followed so far: follow the new one from
 * a little before block num, forget the old one's blocks (TaPoS must not
 * name them) and tell the engine. */
static void tracker_restart(struct tracker_link *l, uint32_t num, const char *why)
{
    struct tracker *t = l->t;

    for (size_t i = 0; i < TRACKER_PENDING; i++)
        l->pend[i].kind = l->pend[i].kind == REQ_BLOCK ? REQ_NONE : l->pend[i].kind;
    l->fetching = 0;
    l->next_fetch = num > TRACKER_RESTART_BACK ? num - TRACKER_RESTART_BACK : 1;
    l->fetch_to = num;
    l->lib = 0;
    tracker_event(l, "the chain restarted (%s): following it from block %u; transactions "
                  "signed for the old chain are discarded", why, l->next_fetch);
    if (l->index == 0) {
        pthread_mutex_lock(&t->lock);
        memset(t->ring, 0, sizeof t->ring);
        t->head_num = num;
        t->lib_num = 0;
        t->have_block = false;
        t->restarts++;
        pthread_mutex_unlock(&t->lock);
    }
}

/* True when block num with this id cannot belong to the chain followed so
 * far: irreversible blocks never change, and the head never goes below them
 * (a fork switch only replaces reversible blocks). */
static bool tracker_is_restart(struct tracker_link *l, uint32_t num, const uint8_t id[TX_BLOCK_ID_LEN])
{
    struct tracker *t = l->t;
    bool other = false;

    if (l->fetch_to == 0 || l->lib == 0 || num > l->lib)
        return false;
    if (num < l->lib && num < l->fetch_to)
        return true; /* the head went below the irreversible block */
    if (l->index == 0 && id != NULL) {
        pthread_mutex_lock(&t->lock);
        other = t->ring[num % TRACKER_RING].num == num &&
                memcmp(t->ring[num % TRACKER_RING].id, id, TX_BLOCK_ID_LEN) != 0;
        pthread_mutex_unlock(&t->lock);
    }
    return other;
}

/* A block id arrived (a notice, or the head in the dynamic properties):
 * remember it and fetch what we have not read. */
static void tracker_on_block_id(struct tracker_link *l, const uint8_t id[TX_BLOCK_ID_LEN])
{
    struct tracker *t = l->t;
    uint32_t num = tx_block_num(id);

    if (num == 0)
        return; /* no block yet */
    if (tracker_is_restart(l, num, id)) {
        char why[96];
        snprintf(why, sizeof why, "block %u announced after block %u, irreversible %u", num,
                 l->fetch_to, l->lib);
        tracker_restart(l, num, why);
    }
    if (l->index == 0) {
        pthread_mutex_lock(&t->lock);
        t->ring[num % TRACKER_RING].num = num;
        memcpy(t->ring[num % TRACKER_RING].id, id, TX_BLOCK_ID_LEN);
        if (num > t->head_num)
            t->head_num = num;
        pthread_mutex_unlock(&t->lock);
    }
    if (l->next_fetch == 0)
        l->next_fetch = num; /* earlier blocks hold nothing we sent */
    if (num > l->fetch_to)
        l->fetch_to = num;
    tracker_fetch(l);
}

static void tracker_on_dynprops(struct tracker_link *l, const struct jv *res)
{
    struct tracker *t = l->t;
    uint64_t lib = 0, head = 0;
    uint32_t time = 0;
    const char *ts = jv_str(jv_get(res, "time"), NULL);
    const char *hid = jv_str(jv_get(res, "head_block_id"), NULL);
    uint8_t id[TX_BLOCK_ID_LEN];

    jv_uint64(jv_get(res, "last_irreversible_block_num"), UINT32_MAX, &lib, NULL);
    jv_uint64(jv_get(res, "head_block_number"), UINT32_MAX, &head, NULL);
    if (ts != NULL)
        timefmt_parse(&time, ts, strlen(ts), NULL);
    if (l->lib != 0 && head < l->lib) {
        /* Also a chain with no block yet (head 0), which no notice shows. */
        char why[96];
        snprintf(why, sizeof why, "head block %llu, irreversible block was %u",
                 (unsigned long long)head, l->lib);
        tracker_restart(l, (uint32_t)head, why);
    }
    if (hid != NULL && hex_decode_exact(id, TX_BLOCK_ID_LEN, hid, strlen(hid), NULL) == 0)
        tracker_on_block_id(l, id);
    if (lib <= head)
        l->lib = (uint32_t)lib;
    if (l->index != 0)
        return;
    pthread_mutex_lock(&t->lock);
    t->lib_num = (uint32_t)lib;
    if (time != 0 && head >= t->head_num) {
        t->head_time = time;
        t->head_seen_ns = timefmt_mono_ns();
        t->have_block = true;
    }
    pthread_mutex_unlock(&t->lock);
}

static void tracker_on_chain_id(struct tracker_link *l, const struct jv *res)
{
    size_t n;
    const char *s = jv_str(res, &n);
    uint8_t id[32];

    if (s == NULL || hex_decode_exact(id, sizeof id, s, n, NULL) < 0)
        return;
    if (l->have_chain_id && memcmp(id, l->chain_id, sizeof id) != 0)
        tracker_restart(l, l->fetch_to, "its chain id changed; this beacon signs for the old one: "
                        "restart it");
    memcpy(l->chain_id, id, sizeof id);
    l->have_chain_id = true;
}

/* A get_block answer: the block read, or null when the node does not have
 * it (any more): that is said, since our transactions in it can no longer
 * be told from lost ones. */
static void tracker_block_reply(struct tracker_link *l, const struct blockscan *b, uint32_t num)
{
    if (l->fetching > 0)
        l->fetching--;
    if (b == NULL || b->result != BLOCKSCAN_OBJECT) {
        tracker_event(l, "block %u is not available: our transactions in it, if any, will "
                      "count as lost", num);
    } else if (b->has_previous && tx_block_num(b->previous) + 1 != num) {
        tracker_event(l, "get_block %u answered block %u: ignored", num,
                      tx_block_num(b->previous) + 1);
    } else {
        tracker_on_block(l, b, num);
    }
    tracker_fetch(l);
}

static void tracker_on_message(void *user, struct wsc_conn *c, const char *msg, size_t len)
{
    struct tracker_link *t = wsc_conn_tag(c);
    struct tracker *tr = t->t;
    struct blockscan b;
    struct reply rep;
    struct jv *root;
    const struct jv *res;
    char err[ERR_LEN];
    (void)user;

    /* Blocks, by far the biggest messages, are read by the scanner alone;
     * the rest (notices, properties, errors) is small. */
    tr->nkeys = 0;
    tr->keys_short = false;
    if (blockscan_reply(msg, len, &b, tracker_on_tx, tr, err) == 0 && b.has_id && !b.has_error &&
        !b.has_method && !tr->keys_short && t->pend[b.id % TRACKER_PENDING].id == b.id &&
        t->pend[b.id % TRACKER_PENDING].kind == REQ_BLOCK) {
        t->pend[b.id % TRACKER_PENDING].kind = REQ_NONE;
        tracker_block_reply(t, &b, t->pend[b.id % TRACKER_PENDING].num);
        return;
    }
    if (reply_parse(&rep, msg, len, err) < 0)
        return;
    if (rep.kind == REPLY_ERROR) {
        if (rep.has_id && t->pend[rep.id % TRACKER_PENDING].id == rep.id &&
            t->pend[rep.id % TRACKER_PENDING].kind == REQ_BLOCK) {
            t->pend[rep.id % TRACKER_PENDING].kind = REQ_NONE;
            tracker_block_reply(t, NULL, t->pend[rep.id % TRACKER_PENDING].num);
        }
        tracker_set_status(t->t, wsc_conn_url(c), rep.message);
        return;
    }
    if (rep.kind == REPLY_NOTICE && rep.notice_cb != TRACKER_CB)
        return;
    if (rep.kind == REPLY_RESULT && (!rep.has_id || t->pend[rep.id % TRACKER_PENDING].id != rep.id))
        return;
    root = jv_parse(msg, len, JV_MAX_DEPTH, err);
    if (root == NULL)
        return;
    if (rep.kind == REPLY_NOTICE) {
        size_t n;
        const char *s = jv_str(jv_at(jv_at(jv_get(root, "params"), 1), 0), &n);
        uint8_t id[TX_BLOCK_ID_LEN];
        if (s != NULL && hex_decode_exact(id, TX_BLOCK_ID_LEN, s, n, NULL) == 0)
            tracker_on_block_id(t, id);
    } else {
        res = jv_get(root, "result");
        switch (t->pend[rep.id % TRACKER_PENDING].kind) {
        case REQ_BLOCK: /* a block the scanner refused (or out of memory for its keys) */
            t->pend[rep.id % TRACKER_PENDING].kind = REQ_NONE;
            tracker_block_reply(t, NULL, t->pend[rep.id % TRACKER_PENDING].num);
            break;
        case REQ_DYNPROPS:
            tracker_on_dynprops(t, res);
            break;
        case REQ_CHAIN_ID:
            tracker_on_chain_id(t, res);
            break;
        default:
            break;
        }
        t->pend[rep.id % TRACKER_PENDING].kind = REQ_NONE;
    }
    jv_free(root);
}

static const struct wsc_callbacks tracker_cb = {
    tracker_on_open, tracker_on_message, tracker_on_close, tracker_on_writable, tracker_on_timer,
};

static void *tracker_main(void *arg)
{
    struct tracker *t = arg;
    uint64_t next_props = 0;

    while (!atomic_load(&t->stop)) {
        uint64_t now;

        wsc_service(t->w, TRACKER_IDLE_MS);
        tracker_apply_notes(t);
        txmap_expire(t->seen, timefmt_wall_secs());
        now = timefmt_mono_ns();
        if (now >= next_props) {
            for (size_t i = 0; i < t->nlinks; i++)
                if (wsc_conn_is_open(t->links[i].conn))
                    tracker_request(&t->links[i], REQ_DYNPROPS, 0,
                                    "get_dynamic_global_properties", "[]");
            next_props = now + 1000000000u;
        }
    }
    return NULL;
}

struct tracker *tracker_new(const struct tracker_config *cfg, char *err)
{
    struct wsc_config wcfg = {.tls_insecure = cfg->tls_insecure, .ca_file = cfg->ca_file};
    struct tracker *t = calloc(1, sizeof *t);

    if (cfg->nurls == 0 || cfg->nurls > TRACKER_MAX_LINKS) {
        err_set(err, "the tracker follows 1..%d nodes", TRACKER_MAX_LINKS);
        free(t);
        return NULL;
    }
    if (t == NULL || (t->url = strdup(cfg->urls[0])) == NULL || (t->map = txmap_new()) == NULL ||
        (t->seen = txmap_new()) == NULL ||
        (t->links = calloc(cfg->nurls, sizeof *t->links)) == NULL) {
        err_set(err, "out of memory");
        goto fail;
    }
    t->cfg = *cfg;
    pthread_mutex_init(&t->lock, NULL);
    stats_init(&t->acc);
    stats_init(&t->ready);
    t->w = wsc_new(&wcfg, &tracker_cb, t, err);
    if (t->w == NULL)
        goto fail;
    for (; t->nlinks < cfg->nurls; t->nlinks++) {
        struct tracker_link *l = &t->links[t->nlinks];
        l->t = t;
        l->index = (unsigned)t->nlinks;
        l->conn = wsc_connect(t->w, cfg->urls[t->nlinks], l, err);
        if (l->conn == NULL)
            goto fail;
    }
    if (cfg->ntel > 0) {
        struct nodetel_config ncfg = {cfg->urls, cfg->ntel, cfg->tls_insecure, cfg->ca_file,
                                      cfg->block_interval_s, cfg->max_block_size};
        t->tel = nodetel_new(&ncfg, err);
        if (t->tel == NULL)
            goto fail;
    }
    if (pthread_create(&t->tid, NULL, tracker_main, t) != 0) {
        err_set(err, "cannot start the tracker thread");
        goto fail;
    }
    return t;
fail:
    if (t != NULL) {
        nodetel_free(t->tel);
        wsc_free(t->w);
        free(t->links);
        txmap_free(t->map);
        txmap_free(t->seen);
        free(t->url);
        free(t);
    }
    return NULL;
}

void tracker_free(struct tracker *t)
{
    if (t == NULL)
        return;
    atomic_store(&t->stop, true);
    wsc_wake(t->w);
    pthread_join(t->tid, NULL);
    nodetel_free(t->tel);
    for (size_t i = 0; i < t->nlinks; i++)
        tracker_drop_outbox(&t->links[i]);
    wsc_free(t->w);
    free(t->links);
    txmap_free(t->map);
    txmap_free(t->seen);
    free(t->nbuf);
    free(t->keys);
    free(t->pbuf);
    free(t->shared);
    pthread_mutex_destroy(&t->lock);
    free(t->url);
    free(t);
}

