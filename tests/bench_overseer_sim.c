/* bench_overseer_sim.c - see bench_overseer_sim.h. What a beacon does at
 * the protocol level follows beacon/agent.c (the agent thread) and
 * beacon/agent_job.c (a phase), minus the engine. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench_overseer_sim.h"
#include "err.h"
#include "hist.h"
#include "stats.h"
#include "timefmt.h"

#define SIM_RESEND_NS (3 * SIM_SEC) /* as beacon/agent.c */
#define SIM_RX_PER_ROUND 64         /* messages taken from one beacon per call */

/* ---- synthetic latencies ---- */

static uint64_t rng_next(uint64_t *s)
{
    /* xorshift64*: plenty for shaping a histogram */
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545F4914F6CDD1Dull;
}

static double rng_unit(uint64_t *s) /* (0, 1) */
{
    return ((double)(rng_next(s) >> 11) + 0.5) / 9007199254740992.0;
}

/* Log-normal around median_ns (sigma in natural-log units). */
static uint64_t rng_lognormal(uint64_t *s, double median_ns, double sigma)
{
    double g = sqrt(-2.0 * log(rng_unit(s))) * cos(6.283185307179586 * rng_unit(s));
    return (uint64_t)(median_ns * exp(sigma * g));
}

/* Draws from the two log-normal shapes, made once: drawing from a table
 * keeps the simulator's CPU (it shares the machine with the overseer) to
 * a fraction of what libm would cost per sample. */
#define SIM_TABLE 65536
static uint64_t sim_ack_ns[SIM_TABLE], sim_late_ns[SIM_TABLE];

void sim_tables(void)
{
    uint64_t s = 0x853C49E6748FEA9Bull;

    for (size_t i = 0; i < SIM_TABLE; i++) {
        sim_ack_ns[i] = rng_lognormal(&s, 2.5e6, 0.5);  /* a node answering in a few ms */
        sim_late_ns[i] = rng_lognormal(&s, 3e4, 0.7);   /* a beacon keeping up */
    }
}

/* Records n transactions' latencies as at most cap distinct values with
 * weights, so a beacon at any rate costs the simulator a bounded amount. */
static void sim_record(struct sim *b, unsigned cap, uint64_t n, struct stats_interval *s)
{
    uint64_t distinct = n < cap ? n : cap;

    for (uint64_t i = 0; i < distinct; i++) {
        uint64_t w = n / distinct + (i < n % distinct), x = rng_next(&b->rng);
        uint64_t ack = sim_ack_ns[x % SIM_TABLE];
        /* inclusion: due -> the next block (1 s blocks), after the ack */
        uint64_t incl = 50000000u + (x >> 34) % 1000000000u + ack;
        hist_record_n(&s->ack, ack, w);
        hist_record_n(&s->inclusion, incl, w);
        hist_record_n(&s->lateness, sim_late_ns[(x >> 16) % SIM_TABLE], w);
    }
}

/* ---- the curve: transactions due ---- */

/* This beacon's transactions due in [0, t): its interleaved share of the
 * curve, counted by the beacon's own rate controller. */
static uint64_t sim_due(const struct sim *b, unsigned samples, uint64_t t)
{
    if (ratectl_is_unlimited(b->rc)) /* no schedule: "as fast as the window allows" */
        return (uint64_t)samples * (t / SIM_SEC);
    return t == 0 ? 0 : ratectl_count_due(b->rc, t - 1);
}

/* ---- sending ---- */

/* Encodes and sends m (only HELLO before a WELCOME); STATS are kept until
 * acknowledged, as the agent does. */
static void sim_send(struct simrun *r, struct sim *b, const struct proto_msg *m, uint64_t now)
{
    uint8_t *buf;
    size_t len;
    char err[ERR_LEN];

    if (b->gone)
        return;
    if (proto_encode(m, &buf, &len, err) < 0) {
        fprintf(stderr, "sim: cannot encode %s: %s\n", proto_type_name(m->type), err);
        exit(1);
    }
    if ((b->welcomed || m->type == PROTO_HELLO) && bus_send(b->bus, NULL, buf, len, NULL) != 0)
        r->k.send_failed++;
    if (m->type != PROTO_STATS) {
        free(buf);
        return;
    }
    if (b->nun == b->capun) {
        size_t cap = b->capun ? b->capun * 2 : 16;
        struct unacked *p = realloc(b->un, cap * sizeof *p);
        if (p == NULL) {
            fprintf(stderr, "sim: out of memory\n");
            exit(1);
        }
        b->un = p;
        b->capun = cap;
    }
    b->un[b->nun++] = (struct unacked){m->u.stats.s.seq, now, buf, len};
    r->k.stats++;
    r->k.stats_bytes += len;
}

static void sim_resend(struct simrun *r, struct sim *b, uint64_t now)
{
    for (size_t i = 0; i < b->nun; i++) {
        if (bus_send(b->bus, NULL, b->un[i].buf, b->un[i].len, NULL) != 0)
            r->k.send_failed++;
        r->k.resent++;
    }
    b->last_resend = now;
}

static void sim_simple(struct simrun *r, struct sim *b, enum proto_type t, const char *text,
                       uint64_t now)
{
    proto_init(r->out, t);
    snprintf(r->out->u.error.text, sizeof r->out->u.error.text, "%s", text);
    sim_send(r, b, r->out, now);
    proto_free(r->out);
}

static void sim_hello(struct simrun *r, struct sim *b, uint64_t now)
{
    struct proto_hello *h = &r->out->u.hello;

    proto_init(r->out, PROTO_HELLO);
    snprintf(h->beacon_id, sizeof h->beacon_id, "%s", b->id);
    snprintf(h->version, sizeof h->version, "bench-sim");
    if (gethostname(h->host, sizeof h->host - 1) != 0)
        snprintf(h->host, sizeof h->host, "localhost");
    h->cores = 2;
    h->acked_seq = b->acked;
    sim_send(r, b, r->out, now);
    proto_free(r->out);
    r->k.hellos++;
}

static void sim_heartbeat(struct simrun *r, struct sim *b, uint64_t now)
{
    struct proto_heartbeat *h = &r->out->u.heartbeat;

    proto_init(r->out, PROTO_HEARTBEAT);
    h->t_ns = now;
    h->echo_ns = b->peer_t;
    h->echo_delay_ns = b->peer_t != 0 ? now - b->peer_t_rx : 0;
    h->state = b->state;
    h->cpu_pct = b->state == ST_RUNNING ? 12.5 : 0.5;
    sim_send(r, b, r->out, now);
    proto_free(r->out);
    r->k.heartbeats++;
}

/* READY: ok with the chain's parameters, or why not (error != NULL). */
static void sim_ready(struct simrun *r, struct sim *b, const char *error, uint64_t now)
{
    struct proto_ready *y = &r->out->u.ready;

    proto_init(r->out, PROTO_READY);
    y->phase = b->phase;
    y->ok = error == NULL;
    if (error != NULL) {
        snprintf(y->error, sizeof y->error, "%s", error);
        sim_send(r, b, r->out, now);
        proto_free(r->out);
        return;
    }
    y->pool_level = 60000;
    memset(y->chain.chain_id, 'c', 64);
    y->chain.max_tx_size = 2048;
    y->chain.max_block_size = 2000000;
    y->chain.block_interval = 1;
    y->chain.max_expiration = 86400;
    y->chain.transfer_fee = 20;
    y->chain.order_fee = 5;
    y->chain.tx_size = 120;
    sim_send(r, b, r->out, now);
    proto_free(r->out);
    r->k.ready++;
}

/* Back to idle: the phase's controller and total go. */
static void sim_end_phase(struct sim *b)
{
    ratectl_free(b->rc);
    b->rc = NULL;
    free(b->total);
    b->total = NULL;
    b->state = ST_IDLE;
    b->started = b->stopping = b->have_conf = false;
}

/* The phase ends: DONE with the merged total (dropped, as the agent's, when
 * the overseer is gone). */
static void sim_done(struct simrun *r, struct sim *b, uint64_t now)
{
    struct proto_done *d = &r->out->u.done;

    proto_init(r->out, PROTO_DONE);
    d->phase = b->phase;
    snprintf(d->reason, sizeof d->reason, "keeping up");
    if (b->total != NULL) {
        d->total = *b->total;
        d->signed_count = d->sent_count = b->total->c.sent;
    }
    sim_send(r, b, r->out, now);
    proto_free(r->out);
    sim_end_phase(b);
    b->phases_done++;
    r->k.done++;
}

/* The phase's interval number b->second + 1, ending at t1 (phase time). */
static void sim_stats(struct simrun *r, struct sim *b, uint64_t t1, uint64_t now)
{
    struct proto_stats *st = &r->out->u.stats;
    struct stats_interval *s = &st->s;
    uint64_t t0 = (uint64_t)b->second * SIM_SEC, due = sim_due(b, r->samples, t1);
    uint64_t n = due - b->due_before;
    struct timespec wall;
    struct hist_head head;

    proto_init(r->out, PROTO_STATS);
    b->due_before = due;
    st->phase = b->phase;
    st->second = ++b->second;
    snprintf(st->reason, sizeof st->reason, n > 0 ? "keeping up" : "idle");
    s->seq = ++b->seq;
    s->t0_ns = b->start_at + t0;
    s->t1_ns = b->start_at + t1;
    clock_gettime(CLOCK_REALTIME, &wall);
    s->wall_ms = (uint64_t)wall.tv_sec * 1000 + (uint64_t)wall.tv_nsec / 1000000;
    s->c.offered = s->c.sent = s->c.accepted = s->c.confirmed = n;
    s->c.sent_ops = s->c.accepted_ops = s->c.confirmed_ops = n * b->ops_per_tx;
    s->c.blocks = 1;
    s->c.block_txs = n * (b->share_count ? b->share_count : 1); /* everyone's, in the block */
    s->c.block_bytes = s->c.block_txs * 150;
    s->g.head_block = 1000 + b->second;
    s->g.irreversible_block = 985 + b->second;
    s->g.pool_level = 60000;
    s->g.in_flight = n / 200;
    s->g.unconfirmed = n;
    s->g.target_rate = ratectl_rate_at(b->rc, t1 - 1);
    s->g.cpu_proc_pct = 12.5;
    s->g.cpu_proc_all_pct = 6.25;
    s->g.cpu_host_pct = 30;
    s->g.rss_bytes = 100u << 20;
    s->g.cores = 2;
    /* Round-robin over the nodes, as a real beacon reports it. */
    s->nnodes = b->nnodes;
    for (uint32_t k = 0; k < b->nnodes; k++) {
        uint64_t part = n / b->nnodes + (k < n % b->nnodes);
        s->node[k] = (struct stats_node){.sent = part, .accepted = part, .confirmed = part,
                                         .ack_sum_ns = part * 2000000u, .ack_max_ns = 6000000};
    }
    sim_record(b, r->samples, n, s);
    r->k.buckets[0] += hist_export(&s->ack, &head, NULL, 0);
    r->k.buckets[1] += hist_export(&s->inclusion, &head, NULL, 0);
    r->k.buckets[2] += hist_export(&s->lateness, &head, NULL, 0);
    if (b->total != NULL)
        stats_merge(b->total, s);
    sim_send(r, b, r->out, now);
    proto_free(r->out);
}

/* ---- receiving ---- */

static void sim_acked(struct simrun *r, struct sim *b, uint64_t seq)
{
    size_t k = 0;

    for (size_t i = 0; i < b->nun; i++) {
        if (b->un[i].seq <= seq) {
            free(b->un[i].buf);
            r->k.acked++;
        } else {
            b->un[k++] = b->un[i];
        }
    }
    b->nun = k;
    if (seq > b->acked)
        b->acked = seq;
}

/* STOP, or the lease ran out. A started phase ends with DONE: at once when
 * aborted (or when its loop had not begun: the agent's engine then ends at
 * once), else after the interval in progress. One never started is
 * cancelled silently, as the agent does. */
static void sim_stop_phase(struct simrun *r, struct sim *b, bool abort, uint64_t now)
{
    if ((b->state == ST_RUNNING && abort) || (b->state == ST_READY && b->started))
        sim_done(r, b, now);
    else if (b->state == ST_RUNNING)
        b->stopping = true;
    else if (b->state == ST_READY)
        sim_end_phase(b);
}

/* PREPARE: the curve is checked as the beacon's engine would (ratectl_new)
 * and the controller kept for the phase; READY at once (nothing to sign). */
static void sim_prepare(struct simrun *r, struct sim *b, uint64_t now)
{
    struct ratectl_opts o = {.window = b->window ? b->window : 1000,
                             .share_index = b->share_index, .share_count = b->share_count};
    char err[ERR_LEN];

    b->rc = ratectl_new(&b->curve, &o, err);
    if (b->rc == NULL) {
        sim_ready(r, b, err, now);
        b->have_conf = false;
        return;
    }
    b->state = ST_READY;
    sim_ready(r, b, NULL, now);
}

static void sim_handle(struct simrun *r, struct sim *b, const struct proto_msg *m, uint64_t now)
{
    switch (m->type) {
    case PROTO_WELCOME:
        b->welcomed = true;
        b->hb_ms = m->u.welcome.heartbeat_ms ? m->u.welcome.heartbeat_ms : 1000;
        b->lease_ms = m->u.welcome.lease_ms ? m->u.welcome.lease_ms : 5000;
        r->k.welcomes++;
        sim_resend(r, b, now);
        break;
    case PROTO_CONFIGURE:
        b->have_conf = true;
        b->phase = m->u.configure.phase;
        b->curve = m->u.configure.curve;
        b->share_index = m->u.configure.share_index;
        b->share_count = m->u.configure.share_count;
        b->window = m->u.configure.window;
        b->ops_per_tx = m->u.configure.ops_per_tx ? m->u.configure.ops_per_tx : 1;
        b->nnodes = m->u.configure.nnodes < STATS_MAX_NODES ? m->u.configure.nnodes : STATS_MAX_NODES;
        break;
    case PROTO_PREPARE:
        if (b->state != ST_IDLE)
            sim_simple(r, b, PROTO_ERROR, "PREPARE while a phase is still running", now);
        else if (!b->have_conf || b->phase != m->u.prepare.phase)
            sim_simple(r, b, PROTO_ERROR, "PREPARE for a phase that was not configured", now);
        else
            sim_prepare(r, b, now);
        break;
    case PROTO_START:
        if (b->state != ST_READY || b->started || b->phase != m->u.start.phase) {
            sim_simple(r, b, PROTO_ERROR, "START for a phase that is not prepared", now);
            break;
        }
        b->started = true;
        b->start_at = now + m->u.start.start_in_ns;
        b->dur_ns = b->curve.unlimited ? b->curve.unlimited_ns : ratectl_end_ns(b->rc);
        b->second = 0;
        b->due_before = 0;
        b->total = malloc(sizeof *b->total);
        if (b->total != NULL)
            stats_init(b->total);
        break;
    case PROTO_STOP:
        sim_stop_phase(r, b, m->u.stop.abort, now);
        break;
    case PROTO_STATS_ACK:
        sim_acked(r, b, m->u.stats_ack.seq);
        break;
    case PROTO_HEARTBEAT:
        b->peer_t = m->u.heartbeat.t_ns;
        b->peer_t_rx = now;
        r->k.hb_rx++;
        break;
    case PROTO_BYE:
        b->gone = true;
        break;
    case PROTO_ERROR:
        r->k.errors_rx++;
        if (r->errors_shown++ < 5)
            fprintf(stderr, "sim: %s: the overseer reports an error: %s\n", b->id,
                    m->u.error.text);
        break;
    default:
        sim_simple(r, b, PROTO_ERROR, "unexpected message type for a beacon", now);
        break;
    }
}

void sim_poll(struct simrun *r, struct sim *b)
{
    char err[ERR_LEN];

    for (int i = 0; i < SIM_RX_PER_ROUND && !b->gone; i++) {
        uint8_t *buf = NULL;
        size_t len;
        int got = bus_recv(b->bus, NULL, &buf, &len, 0, err);
        uint64_t now = timefmt_mono_ns();

        if (got < 0) {
            fprintf(stderr, "sim: %s: bus: %s\n", b->id, err);
            return;
        }
        if (got == 0)
            return;
        b->last_rx = now;
        if (proto_decode(r->in, buf, len, err) == 0) {
            sim_handle(r, b, r->in, now);
        } else {
            r->k.bad_rx++;
            fprintf(stderr, "sim: %s: bad message from the overseer: %s\n", b->id, err);
            sim_simple(r, b, PROTO_ERROR, err, now);
        }
        proto_buf_free(buf, len);
        proto_free(r->in);
    }
}

void sim_tick(struct simrun *r, struct sim *b, uint64_t now)
{
    if (b->gone)
        return;
    if (b->welcomed && now - b->last_rx > (uint64_t)b->lease_ms * 1000000u) {
        b->welcomed = false;
        r->k.lease_lost++;
        fprintf(stderr, "sim: %s: no word from the overseer for %u ms\n", b->id, b->lease_ms);
        sim_stop_phase(r, b, false, now);
    }
    if (!b->welcomed && now >= b->next_hello) {
        sim_hello(r, b, now);
        b->next_hello = now + SIM_SEC;
    }
    if (b->state == ST_READY && b->started && now >= b->start_at)
        b->state = ST_RUNNING;
    while (b->state == ST_RUNNING) {
        uint64_t t1 = ((uint64_t)b->second + 1) * SIM_SEC;
        if (b->dur_ns < t1)
            t1 = b->dur_ns;
        if (now < b->start_at + t1)
            break;
        sim_stats(r, b, t1, now);
        if (t1 >= b->dur_ns || b->stopping)
            sim_done(r, b, now);
    }
    if (b->welcomed && b->nun > 0 && now - b->un[0].sent_ns > SIM_RESEND_NS &&
        now - b->last_resend > SIM_RESEND_NS)
        sim_resend(r, b, now);
    if (b->welcomed && now >= b->next_hb) {
        sim_heartbeat(r, b, now);
        b->next_hb = now + (uint64_t)b->hb_ms * 1000000u;
    }
}
