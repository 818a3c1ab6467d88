/* agent.c - see agent.h.
 *
 * Two threads: the agent thread owns the bus (heartbeats, lease, commands,
 * sending and resending stats); each phase's engine runs on a thread of its
 * own, so that setup, pre-signing or a busy send loop never delay a
 * heartbeat. The engine thread hands messages over through a small locked
 * outbox. */
#include "agent.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "agent_impl.h"
#include "err.h"
#include "timefmt.h"
#include "version.h"

static volatile sig_atomic_t agent_stopping;

void agent_log(const char *fmt, ...)
{
    char stamp[TIMEFMT_LEN];
    va_list ap;

    timefmt_format(stamp, timefmt_wall_secs());
    fprintf(stderr, "%s beacon: ", stamp);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void agent_stop(void)
{
    agent_stopping = 1;
}

/* ---- outbox (engine thread -> agent thread) ---- */

void agent_post(struct agent *a, struct proto_msg *m)
{
    pthread_mutex_lock(&a->out_lock);
    if (a->nout == a->capout) {
        size_t cap = a->capout ? a->capout * 2 : 16;
        struct proto_msg **p = realloc(a->out, cap * sizeof *p);
        if (p == NULL) {
            pthread_mutex_unlock(&a->out_lock);
            proto_free(m);
            free(m);
            return;
        }
        a->out = p;
        a->capout = cap;
    }
    a->out[a->nout++] = m;
    pthread_mutex_unlock(&a->out_lock);
}

struct proto_msg *agent_msg(enum proto_type t)
{
    struct proto_msg *m = malloc(sizeof *m);
    if (m != NULL)
        proto_init(m, t);
    return m;
}

/* ---- agent thread ---- */

/* Encodes and sends m. STATS are kept until acknowledged. */
static void agent_send(struct agent *a, const struct proto_msg *m)
{
    uint8_t *buf;
    size_t len;
    char err[ERR_LEN];

    if (proto_encode(m, &buf, &len, err) < 0) {
        agent_log("cannot encode %s: %s", proto_type_name(m->type), err);
        return;
    }
    if (a->welcomed || m->type == PROTO_HELLO)
        (void)bus_send(a->bus, NULL, buf, len, NULL);
    if (m->type == PROTO_STATS) {
        if (a->nunacked == a->capunacked) {
            size_t cap = a->capunacked ? a->capunacked * 2 : 64;
            struct unacked *p = realloc(a->unacked, cap * sizeof *p);
            if (p == NULL) {
                free(buf);
                return;
            }
            a->unacked = p;
            a->capunacked = cap;
        }
        a->unacked[a->nunacked++] = (struct unacked){m->u.stats.s.seq, timefmt_mono_ns(), buf, len};
        return;
    }
    free(buf);
}

static void agent_send_simple(struct agent *a, enum proto_type t, const char *text)
{
    struct proto_msg *m = agent_msg(t);

    if (m == NULL)
        return;
    if (t == PROTO_ERROR || t == PROTO_BYE)
        snprintf(m->u.error.text, sizeof m->u.error.text, "%s", text);
    agent_send(a, m);
    proto_free(m);
    free(m);
}

static void agent_hello(struct agent *a)
{
    struct proto_msg *m = agent_msg(PROTO_HELLO);

    if (m == NULL)
        return;
    snprintf(m->u.hello.beacon_id, sizeof m->u.hello.beacon_id, "%s", a->beacon_id);
    snprintf(m->u.hello.version, sizeof m->u.hello.version, "%s", BSS_VERSION);
    snprintf(m->u.hello.host, sizeof m->u.hello.host, "%s", a->host);
    m->u.hello.cores = a->cores;
    m->u.hello.acked_seq = a->acked;
    m->u.hello.session = a->session;
    agent_send(a, m);
    proto_free(m);
    free(m);
}

static void agent_heartbeat(struct agent *a, uint64_t now)
{
    struct proto_msg *m = agent_msg(PROTO_HEARTBEAT);
    struct procstat_snap ps;
    struct procstat_rates pr;

    if (m == NULL)
        return;
    if (procstat_read(&ps, NULL) == 0) {
        if (a->ps.mono_ns != 0 && procstat_rates(&pr, &a->ps, &ps, NULL) == 0)
            a->cpu_pct = pr.proc_core_pct;
        a->ps = ps;
    }
    m->u.heartbeat.t_ns = now;
    m->u.heartbeat.echo_ns = a->peer_t;
    m->u.heartbeat.echo_delay_ns = a->peer_t != 0 ? now - a->peer_t_rx : 0;
    m->u.heartbeat.state = a->job != NULL ? (uint32_t)atomic_load(&a->job->state) : ST_IDLE;
    m->u.heartbeat.cpu_pct = a->cpu_pct;
    agent_send(a, m);
    proto_free(m);
    free(m);
}

/* After a reconnect, everything not yet acknowledged goes again; the
 * overseer drops what it already has by sequence number. */
static void agent_resend(struct agent *a)
{
    for (size_t i = 0; i < a->nunacked; i++)
        (void)bus_send(a->bus, NULL, a->unacked[i].buf, a->unacked[i].len, NULL);
    a->last_resend = timefmt_mono_ns();
}

static void agent_acked(struct agent *a, uint64_t seq)
{
    size_t k = 0;

    for (size_t i = 0; i < a->nunacked; i++) {
        if (a->unacked[i].seq <= seq)
            free(a->unacked[i].buf);
        else
            a->unacked[k++] = a->unacked[i];
    }
    a->nunacked = k;
    if (seq > a->acked)
        a->acked = seq;
}

static void agent_stop_job(struct agent *a, bool abort)
{
    struct phase_job *j = a->job;
    struct engine *e;

    if (j == NULL)
        return;
    pthread_mutex_lock(&j->lock);
    if (j->go == 0)
        j->go = -1; /* never started: cancel */
    pthread_cond_signal(&j->cv);
    pthread_mutex_unlock(&j->lock);
    atomic_fetch_add(&j->stop_requests, abort ? 2 : 1);
    e = atomic_load(&j->engine);
    if (e != NULL && atomic_load(&j->state) == ST_RUNNING) {
        engine_stop(e);
        if (abort)
            engine_stop(e);
    }
}

static void agent_reap_job(struct agent *a, bool wait)
{
    if (a->job == NULL || (!wait && atomic_load(&a->job->state) != ST_DONE))
        return;
    if (wait)
        agent_stop_job(a, true);
    pthread_join(a->job->tid, NULL);
    a->next_k += a->job->signed_count;
    job_wipe_keys(&a->job->conf);
    pthread_cond_destroy(&a->job->cv);
    pthread_mutex_destroy(&a->job->lock);
    free(a->job);
    a->job = NULL;
}

static void agent_prepare(struct agent *a, const struct proto_prepare *p)
{
    struct phase_job *j;

    agent_reap_job(a, false);
    /* A job that posted its DONE is only freeing its engine: wait for it. */
    if (a->job != NULL && atomic_load(&a->job->finished))
        agent_reap_job(a, true);
    if (a->job != NULL) {
        agent_send_simple(a, PROTO_ERROR, "PREPARE while a phase is still running");
        return;
    }
    if (a->conf == NULL || a->conf->phase != p->phase) {
        agent_send_simple(a, PROTO_ERROR, "PREPARE for a phase that was not configured");
        return;
    }
    j = calloc(1, sizeof *j);
    if (j == NULL)
        return;
    j->a = a;
    j->conf = *a->conf; /* takes over keys_text */
    free(a->conf);
    a->conf = NULL;
    j->items = p->items;
    j->k_base = a->next_k;
    pthread_mutex_init(&j->lock, NULL);
    pthread_cond_init(&j->cv, NULL);
    atomic_init(&j->state, ST_PREPARING);
    atomic_init(&j->finished, false);
    a->job = j;
    if (pthread_create(&j->tid, NULL, job_main, j) != 0) {
        a->job = NULL;
        job_wipe_keys(&j->conf);
        free(j);
        agent_send_simple(a, PROTO_ERROR, "cannot start a thread for the phase");
    }
}

static void agent_handle(struct agent *a, struct proto_msg *m, uint64_t now)
{
    switch (m->type) {
    case PROTO_WELCOME:
        if (!a->welcomed)
            agent_log("connected to the overseer (run %s, overseer %s)", m->u.welcome.run_id,
                      m->u.welcome.version);
        a->welcomed = true;
        a->hb_ms = m->u.welcome.heartbeat_ms ? m->u.welcome.heartbeat_ms : 1000;
        a->lease_ms = m->u.welcome.lease_ms ? m->u.welcome.lease_ms : 5000;
        agent_resend(a);
        break;
    case PROTO_CONFIGURE:
        if (a->conf != NULL) {
            job_wipe_keys(a->conf);
            free(a->conf);
        }
        a->conf = malloc(sizeof *a->conf);
        if (a->conf != NULL) {
            *a->conf = m->u.configure; /* takes over keys_text */
            m->u.configure.keys_text = NULL;
            m->u.configure.keys_len = 0;
        }
        break;
    case PROTO_PREPARE:
        agent_prepare(a, &m->u.prepare);
        break;
    case PROTO_START:
        if (a->job == NULL || a->job->conf.phase != m->u.start.phase) {
            agent_send_simple(a, PROTO_ERROR, "START for a phase that is not prepared");
            break;
        }
        pthread_mutex_lock(&a->job->lock);
        a->job->start_at = now + m->u.start.start_in_ns;
        a->job->go = 1;
        pthread_cond_signal(&a->job->cv);
        pthread_mutex_unlock(&a->job->lock);
        break;
    case PROTO_STOP:
        agent_stop_job(a, m->u.stop.abort);
        break;
    case PROTO_STATS_ACK:
        agent_acked(a, m->u.stats_ack.seq);
        break;
    case PROTO_HEARTBEAT:
        a->peer_t = m->u.heartbeat.t_ns;
        a->peer_t_rx = now;
        break;
    case PROTO_BYE:
        agent_log("the overseer said goodbye: %s", m->u.bye.text);
        agent_stopping = 1;
        break;
    case PROTO_ERROR:
        agent_log("the overseer reports an error: %s", m->u.error.text);
        break;
    default:
        agent_send_simple(a, PROTO_ERROR, "unexpected message type for a beacon");
        break;
    }
}

/* Sends what the engine thread posted; numbers STATS. */
static void agent_flush_outbox(struct agent *a)
{
    struct proto_msg **out;
    size_t n;

    pthread_mutex_lock(&a->out_lock);
    out = a->out;
    n = a->nout;
    a->out = NULL;
    a->nout = a->capout = 0;
    pthread_mutex_unlock(&a->out_lock);
    for (size_t i = 0; i < n; i++) {
        if (out[i]->type == PROTO_STATS)
            out[i]->u.stats.s.seq = ++a->seq;
        agent_send(a, out[i]);
        proto_free(out[i]);
        free(out[i]);
    }
    free(out);
}

int agent_run(const struct agent_config *cfg, char *err)
{
    struct bus_client_config bc = {cfg->endpoint, cfg->insecure, cfg->overseer_key,
                                   cfg->public_key, cfg->secret_key};
    struct agent *a = calloc(1, sizeof *a);
    struct proto_msg *m = malloc(sizeof *m);
    char text[256];
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    int rc = -1;

    if (a == NULL || m == NULL) {
        err_set(err, "out of memory");
        goto cleanup;
    }
    a->cfg = cfg;
    pthread_mutex_init(&a->out_lock, NULL);
    gethostname(a->host, sizeof a->host - 1);
    if (cfg->beacon_id != NULL)
        snprintf(a->beacon_id, sizeof a->beacon_id, "%s", cfg->beacon_id);
    else
        snprintf(a->beacon_id, sizeof a->beacon_id, "%.100s/%ld", a->host, (long)getpid());
    a->cores = ncpu > 0 ? (uint32_t)ncpu : 1;
    /* The session tells the overseer that a beacon with a known id is a new
     * process (its stats seq starts again at 1), not the same one back. */
    if (getrandom(&a->session, sizeof a->session, 0) != (ssize_t)sizeof a->session)
        a->session = timefmt_mono_ns() ^ ((uint64_t)getpid() << 32) ^ timefmt_wall_secs();
    if (a->session == 0)
        a->session = 1;
    a->hb_ms = 1000;
    a->lease_ms = 5000;
    a->bus = bus_client_new(&bc, err);
    if (a->bus == NULL)
        goto cleanup;
    agent_log("%s dialing %s%s", a->beacon_id, cfg->endpoint, cfg->insecure ? " (insecure)" : "");
    a->last_rx = timefmt_mono_ns();
    while (!agent_stopping) {
        uint64_t now = timefmt_mono_ns();
        uint8_t *buf = NULL;
        size_t len;
        int got = bus_recv(a->bus, NULL, &buf, &len, 20, text);

        if (got < 0) {
            agent_log("bus: %s", text);
        } else if (got == 1) {
            int d = proto_decode(m, buf, len, text);
            proto_buf_free(buf, len); /* a CONFIGURE frame carries account keys */
            a->last_rx = now = timefmt_mono_ns();
            if (d == 0) {
                agent_handle(a, m, now);
            } else {
                agent_log("bad message from the overseer: %s", text);
                agent_send_simple(a, PROTO_ERROR, text);
            }
            proto_free(m);
        }
        while (bus_event(a->bus, text, sizeof text) == 1)
            agent_log("bus: %s", text);
        agent_flush_outbox(a);
        agent_reap_job(a, false);
        /* Lease: without the overseer, stop broadcasting and wait for it. */
        if (a->welcomed && now - a->last_rx > (uint64_t)a->lease_ms * 1000000u) {
            agent_log("no word from the overseer for %u ms: stopping the phase, waiting to reconnect",
                      a->lease_ms);
            a->welcomed = false;
            agent_stop_job(a, false);
        }
        if (!a->welcomed && now >= a->next_hello) {
            agent_hello(a);
            a->next_hello = now + 1000000000u;
        }
        /* A frame can vanish without a visible disconnect (ZeroMQ drops for a
         * peer it is reconnecting): what stays unacknowledged for 3 s goes
         * again, at most every 3 s. */
        if (a->welcomed && a->nunacked > 0 && now - a->unacked[0].sent_ns > 3000000000u &&
            now - a->last_resend > 3000000000u)
            agent_resend(a);
        if (a->welcomed && now >= a->next_hb) {
            agent_heartbeat(a, now);
            a->next_hb = now + (uint64_t)a->hb_ms * 1000000u;
        }
    }
    agent_reap_job(a, true);
    agent_flush_outbox(a);
    agent_send_simple(a, PROTO_BYE, "beacon stopping");
    rc = 0;
cleanup:
    if (a != NULL) {
        agent_reap_job(a, true);
        if (a->conf != NULL) {
            job_wipe_keys(a->conf);
            free(a->conf);
        }
        for (size_t i = 0; i < a->nunacked; i++)
            free(a->unacked[i].buf);
        free(a->unacked);
        for (size_t i = 0; i < a->nout; i++) {
            proto_free(a->out[i]);
            free(a->out[i]);
        }
        free(a->out);
        bus_free(a->bus);
        pthread_mutex_destroy(&a->out_lock);
        free(a);
    }
    free(m);
    return rc;
}
