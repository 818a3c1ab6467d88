/* dash_hub.c - the dashboard's state and its feed: the overseer's thread
 * copies values in under the lock; a worker renders queued messages into
 * the SSE buffer (dash_sse.h) and the whole-run history, so that no JSON
 * is built on the overseer's thread. */
#include <stdlib.h>
#include <string.h>

#include "dash_impl.h"
#include "err.h"
#include "timefmt.h"

#define DASH_INDEX_SLOTS 4096 /* > 2 * DASH_MAX_BEACONS: short probes */

static uint32_t dash_hash(const char *s)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 16777619u;
    return h;
}

static void dash_copy(char *dst, size_t cap, const char *src)
{
    size_t n = src != NULL ? strnlen(src, cap - 1) : 0;
    if (n > 0)
        memcpy(dst, src, n);
    dst[n] = '\0';
}

/* The beacon named id (added when new; NULL when the table is full). Under mu. */
static struct dash_beacon *dash_find(struct dash_hub *h, const char *id, const char *host)
{
    char key[DASH_ID_LEN];
    uint32_t k;

    dash_copy(key, sizeof key, id);
    for (k = dash_hash(key) % DASH_INDEX_SLOTS; h->index[k] != 0; k = (k + 1) % DASH_INDEX_SLOTS)
        if (strcmp(h->st->beacon[h->index[k] - 1].id, key) == 0)
            return &h->st->beacon[h->index[k] - 1];
    if (h->st->nbeacons == DASH_MAX_BEACONS)
        return NULL;
    struct dash_beacon *b = &h->st->beacon[h->st->nbeacons++];
    memset(b, 0, sizeof *b);
    memcpy(b->id, key, sizeof key);
    dash_copy(b->host, sizeof b->host, host);
    b->alive = true;
    h->index[k] = (uint16_t)h->st->nbeacons;
    return b;
}

/* Takes a free queue slot (the oldest message goes when it is full). Under mu. */
static struct dash_item *dash_slot(struct dash_hub *h, enum dash_item_kind kind, double t)
{
    struct dash_item *it;

    if (h->qlen == DASH_QUEUE) {
        h->qhead = (h->qhead + 1) % DASH_QUEUE;
        h->qlen--;
        h->dropped++;
    }
    it = &h->queue[(h->qhead + h->qlen++) % DASH_QUEUE];
    it->kind = kind;
    it->t = t;
    it->text[0] = '\0';
    return it;
}

void dash_nodes(struct dash *d, const char *const *urls, size_t n)
{
    struct dash_hub *h = &d->hub;

    pthread_mutex_lock(&h->mu);
    h->st->nnodes = n < DASH_MAX_NODES ? n : DASH_MAX_NODES;
    for (size_t i = 0; i < h->st->nnodes; i++)
        dash_copy(h->st->node[i].url, sizeof h->st->node[i].url, urls[i]);
    pthread_mutex_unlock(&h->mu);
}

void dash_log(struct dash *d, double t, const char *text)
{
    struct dash_hub *h = &d->hub;

    pthread_mutex_lock(&h->mu);
    dash_copy(dash_slot(h, DASH_I_LOG, t)->text, DASH_TEXT, text);
    pthread_cond_signal(&h->work);
    pthread_mutex_unlock(&h->mu);
}

void dash_beacon_event(struct dash *d, double t, const char *id, const char *host, bool alive,
                       const char *text)
{
    struct dash_hub *h = &d->hub;
    struct dash_beacon *b;

    pthread_mutex_lock(&h->mu);
    b = dash_find(h, id, host);
    if (b != NULL) {
        struct dash_item *it;
        b->alive = alive;
        if (host != NULL && host[0] != '\0')
            dash_copy(b->host, sizeof b->host, host);
        it = dash_slot(h, DASH_I_BEACON, t);
        it->u.beacon = *b;
        dash_copy(it->text, DASH_TEXT, text);
        pthread_cond_signal(&h->work);
    }
    pthread_mutex_unlock(&h->mu);
}

static void dash_add_counters(struct stats_counters *dst, const struct stats_counters *src)
{
    /* struct stats_counters is uint64_t fields only. */
    uint64_t *a = (uint64_t *)dst;
    const uint64_t *b = (const uint64_t *)src;
    for (size_t i = 0; i < sizeof *dst / sizeof(uint64_t); i++)
        a[i] += b[i];
}

void dash_beacon_stats(struct dash *d, const char *id, const char *host,
                       const struct stats_interval *s)
{
    struct dash_hub *h = &d->hub;
    struct dash_beacon *b;

    pthread_mutex_lock(&h->mu);
    b = dash_find(h, id, host);
    if (b != NULL) {
        if (b->host[0] == '\0')
            dash_copy(b->host, sizeof b->host, host);
        dash_add_counters(&b->c, &s->c);
        b->cpu_pct = s->g.cpu_proc_pct;
        b->cpu_all_pct = s->g.cpu_proc_all_pct;
        b->pool = s->g.pool_level;
        b->in_flight = s->g.in_flight;
        b->unconfirmed = s->g.unconfirmed;
        b->rss_bytes = s->g.rss_bytes;
        b->cores = s->g.cores;
        b->last_sent = s->c.sent;
        b->last_confirmed = s->c.confirmed;
    }
    for (uint32_t k = 0; k < s->nnodes && k < DASH_MAX_NODES; k++) {
        struct stats_node *n = &h->st->node[k].total;
        const struct stats_node *p = &s->node[k];
        n->sent += p->sent;
        n->accepted += p->accepted;
        n->rejected += p->rejected;
        n->timeouts += p->timeouts;
        n->conn_errors += p->conn_errors;
        n->confirmed += p->confirmed;
        n->ack_sum_ns += p->ack_sum_ns;
        if (p->ack_max_ns > n->ack_max_ns)
            n->ack_max_ns = p->ack_max_ns;
        if (p->tel_answers > 0 || p->max_block_size > 0 || p->stalled > 0) {
            h->st->node[k].tel = *p;
            h->st->node[k].has_tel = true;
        }
    }
    pthread_mutex_unlock(&h->mu);
}

void dash_phase(struct dash *d, const struct dash_phase *p)
{
    struct dash_hub *h = &d->hub;

    pthread_mutex_lock(&h->mu);
    if (p->no >= 1 && p->no <= DASH_MAX_PHASES) {
        h->st->phase[p->no - 1] = *p;
        if (p->no > h->st->nphases)
            h->st->nphases = p->no;
    }
    dash_slot(h, DASH_I_PHASE, p->ended ? p->end_s : p->start_s)->u.phase = *p;
    pthread_cond_signal(&h->work);
    pthread_mutex_unlock(&h->mu);
}

void dash_second(struct dash *d, const struct dash_second *head, const struct stats_interval *s)
{
    struct dash_hub *h = &d->hub;
    struct dash_hist ack = {0}, incl = {0};
    struct dash_item *it;
    struct dash_second *x;

    /* Percentiles and buckets are taken here, outside the lock. */
    dash_hist_fold(&ack, &s->ack);
    dash_hist_fold(&incl, &s->inclusion);
    uint64_t a50 = hist_percentile(&s->ack, 50), a99 = hist_percentile(&s->ack, 99);
    uint64_t i50 = hist_percentile(&s->inclusion, 50), i99 = hist_percentile(&s->inclusion, 99);

    pthread_mutex_lock(&h->mu);
    it = dash_slot(h, DASH_I_SECOND, head->t_s);
    x = &it->u.second;
    *x = *head;
    x->c = s->c;
    x->pool = s->g.pool_level;
    x->in_flight = s->g.in_flight;
    x->unconfirmed = s->g.unconfirmed;
    x->target_rate = s->g.target_rate;
    x->ack_n = hist_count(&s->ack);
    x->incl_n = hist_count(&s->inclusion);
    x->ack_p50_ns = a50;
    x->ack_p99_ns = a99;
    x->incl_p50_ns = i50;
    x->incl_p99_ns = i99;
    x->nnodes = s->nnodes < DASH_MAX_NODES ? s->nnodes : DASH_MAX_NODES;
    memcpy(x->node, s->node, x->nnodes * sizeof x->node[0]);
    h->st->last = *x;
    h->st->have_second = true;
    for (int i = 0; i <= DASH_LE_COUNT; i++) {
        h->st->ack.bucket[i] += ack.bucket[i];
        h->st->incl.bucket[i] += incl.bucket[i];
    }
    h->st->ack.count += ack.count;
    h->st->ack.sum_s += ack.sum_s;
    h->st->incl.count += incl.count;
    h->st->incl.sum_s += incl.sum_s;
    pthread_cond_signal(&h->work);
    pthread_mutex_unlock(&h->mu);
}

void dash_end(struct dash *d, double t, const char *result, bool report)
{
    struct dash_hub *h = &d->hub;
    struct dash_item *it;

    pthread_mutex_lock(&h->mu);
    h->st->ended = true;
    for (size_t i = 0; i < h->st->nbeacons; i++)
        h->st->beacon[i].alive = false; /* the run has let them go */
    dash_copy(h->st->result, sizeof h->st->result, result);
    it = dash_slot(h, DASH_I_END, t);
    dash_copy(it->text, DASH_TEXT, result);
    it->report = report;
    pthread_cond_signal(&h->work);
    pthread_mutex_unlock(&h->mu);
}

uint64_t dash_dropped(struct dash *d)
{
    uint64_t n;

    pthread_mutex_lock(&d->hub.mu);
    n = d->hub.dropped;
    pthread_mutex_unlock(&d->hub.mu);
    return n;
}

/* ---- the worker ---- */

/* Renders the worker's copy of one message into out (and a verdict change into extra). */
static void dash_render(struct dash_hub *h, struct dash_item *it, size_t nb, size_t nn,
                        struct sbuf *out, struct sbuf *extra)
{
    switch (it->kind) {
    case DASH_I_SECOND: {
        const struct dash_second *s = &it->u.second;
        uint32_t ops = 1;
        if (s->phase_no >= 1 && s->phase_no <= DASH_MAX_PHASES)
            ops = h->ops_per_tx[s->phase_no];
        /* it->text: the phase's name, copied with the state */
        dash_json_second(out, s, it->text, ops, h->beacons, nb, h->nodes, nn);
        if (h->have_verdict && s->verdict != h->last_verdict)
            dash_json_verdict(extra, s, h->last_verdict);
        h->last_verdict = s->verdict;
        h->have_verdict = true;
        break;
    }
    case DASH_I_LOG: dash_json_log(out, it->t, it->text); break;
    case DASH_I_BEACON: dash_json_beacon(out, it->t, &it->u.beacon, it->text); break;
    case DASH_I_PHASE:
        if (it->u.phase.no >= 1 && it->u.phase.no <= DASH_MAX_PHASES)
            h->ops_per_tx[it->u.phase.no] = it->u.phase.ops_per_tx;
        dash_json_phase(out, &it->u.phase);
        break;
    case DASH_I_END:
        dash_json_end(out, it->t, it->text, it->report ? "report.html" : NULL);
        break;
    }
}

static void *dash_worker(void *arg)
{
    struct dash_hub *h = arg;
    struct sbuf out, extra;

    sbuf_init(&out);
    sbuf_init(&extra);
    pthread_mutex_lock(&h->mu);
    for (;;) {
        size_t nb = 0, nn = 0;
        while (!h->stop && h->qlen == 0)
            pthread_cond_wait(&h->work, &h->mu);
        if (h->qlen == 0)
            break; /* stopping, and everything queued is out */
        struct dash_item *it = &h->scratch;
        *it = h->queue[h->qhead];
        h->qhead = (h->qhead + 1) % DASH_QUEUE;
        h->qlen--;
        if (it->kind == DASH_I_SECOND) {
            const struct dash_second *s = &it->u.second;
            nb = h->st->nbeacons < DASH_JSON_MAX_BEACONS ? h->st->nbeacons : DASH_JSON_MAX_BEACONS;
            memcpy(h->beacons, h->st->beacon, nb * sizeof *h->beacons);
            nn = h->st->nnodes;
            memcpy(h->nodes, h->st->node, nn * sizeof *h->nodes);
            it->text[0] = '\0';
            if (s->phase_no >= 1 && s->phase_no <= h->st->nphases)
                dash_copy(it->text, DASH_TEXT, h->st->phase[s->phase_no - 1].name);
        }
        pthread_mutex_unlock(&h->mu);

        sbuf_reset(&out);
        sbuf_reset(&extra);
        dash_render(h, it, nb, nn, &out, &extra);
        struct dash_point pt;
        if (it->kind == DASH_I_SECOND)
            dash_json_point(&pt, &it->u.second);

        pthread_mutex_lock(&h->mu);
        if (!out.overflow)
            dash_sse_push(h->ring, out.buf, out.len);
        if (extra.len > 0 && !extra.overflow)
            dash_sse_push(h->ring, extra.buf, extra.len);
        if (it->kind == DASH_I_SECOND && h->npts < DASH_MAX_POINTS) {
            if (h->npts == h->cappts) {
                size_t cap = h->cappts ? 2 * h->cappts : 1024;
                struct dash_point *p = realloc(h->pts, cap * sizeof *p);
                if (p != NULL) {
                    h->pts = p;
                    h->cappts = cap;
                }
            }
            if (h->npts < h->cappts)
                h->pts[h->npts++] = pt;
        }
        pthread_cond_broadcast(&h->news);
    }
    pthread_mutex_unlock(&h->mu);
    sbuf_free(&out);
    sbuf_free(&extra);
    return NULL;
}

int dash_hub_start(struct dash_hub *h, uint64_t t0_ns, char *err)
{
    pthread_condattr_t ca;

    h->t0_ns = t0_ns;
    h->st = calloc(1, sizeof *h->st);
    h->index = calloc(DASH_INDEX_SLOTS, sizeof *h->index);
    h->queue = calloc(DASH_QUEUE, sizeof *h->queue);
    h->beacons = calloc(DASH_JSON_MAX_BEACONS, sizeof *h->beacons);
    h->nodes = calloc(DASH_MAX_NODES, sizeof *h->nodes);
    h->ring = dash_sse_new(DASH_RING_FRAMES, DASH_RING_BYTES);
    if (h->st == NULL || h->index == NULL || h->queue == NULL || h->beacons == NULL ||
        h->nodes == NULL || h->ring == NULL)
        return err_set(err, "dashboard: out of memory");
    snprintf(h->st->result, sizeof h->st->result, "running");
    pthread_mutex_init(&h->mu, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* streams wait with timeouts */
    pthread_cond_init(&h->work, &ca);
    pthread_cond_init(&h->news, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&h->worker, NULL, dash_worker, h) != 0)
        return err_set(err, "dashboard: cannot start a thread");
    h->worker_started = true;
    return 0;
}

void dash_hub_stop(struct dash_hub *h)
{
    if (h->worker_started) {
        pthread_mutex_lock(&h->mu);
        h->stop = true;
        pthread_cond_broadcast(&h->work);
        pthread_mutex_unlock(&h->mu);
        pthread_join(h->worker, NULL);
        /* Every message is in the buffer now (the run's "end" too): the
         * streams send what they have not sent yet, then end. */
        pthread_mutex_lock(&h->mu);
        h->closing = true;
        pthread_cond_broadcast(&h->news);
        pthread_mutex_unlock(&h->mu);
    }
}

void dash_hub_free(struct dash_hub *h)
{
    if (h->worker_started) {
        pthread_cond_destroy(&h->work);
        pthread_cond_destroy(&h->news);
        pthread_mutex_destroy(&h->mu);
    }
    dash_sse_free(h->ring);
    free(h->st);
    free(h->index);
    free(h->queue);
    free(h->beacons);
    free(h->nodes);
    free(h->pts);
}

struct dash_state *dash_hub_state(struct dash_hub *h)
{
    struct dash_state *c = malloc(sizeof *c);

    if (c == NULL)
        return NULL;
    pthread_mutex_lock(&h->mu);
    /* Only the filled parts of the tables are copied. */
    memcpy(c, h->st, offsetof(struct dash_state, beacon));
    c->nbeacons = h->st->nbeacons;
    memcpy(c->beacon, h->st->beacon, c->nbeacons * sizeof c->beacon[0]);
    c->nnodes = h->st->nnodes;
    memcpy(c->node, h->st->node, c->nnodes * sizeof c->node[0]);
    c->nphases = h->st->nphases;
    memcpy(c->phase, h->st->phase, c->nphases * sizeof c->phase[0]);
    pthread_mutex_unlock(&h->mu);
    c->elapsed_s = (double)(timefmt_mono_ns() - h->t0_ns) / 1e9;
    return c;
}

void dash_hub_history(struct dash_hub *h, struct sbuf *out)
{
    struct dash_state *st = dash_hub_state(h);
    struct dash_point *pts = NULL;
    size_t n;
    uint64_t last;

    if (st == NULL) {
        out->overflow = true;
        return;
    }
    pthread_mutex_lock(&h->mu);
    n = h->npts;
    last = dash_sse_last_id(h->ring);
    if (n > 0 && (pts = malloc(n * sizeof *pts)) != NULL)
        memcpy(pts, h->pts, n * sizeof *pts);
    pthread_mutex_unlock(&h->mu);
    dash_json_history(out, last, st, pts, pts != NULL ? n : 0, 1800);
    free(pts);
    free(st);
}
