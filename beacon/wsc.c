/* wsc.c - the websocket client's libwebsockets context: creation, the
 * event loop with its timer and wake-up, and the lws callback entry. One
 * connection's life is in wsc_conn.c.
 *
 * Every user callback runs inside wsc_service (from the lws callback or
 * from the timer check), so a connection closed by the user while we are
 * dispatching is only marked dead there and freed when wsc_service is
 * about to return. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/ssl.h>

#include "err.h"
#include "timefmt.h"
#include "wsc_impl.h"

#define WSC_DEFAULT_MAX_FRAME ((size_t)32 << 20)

/* lws 4.1 hands CLIENT_CONNECTION_ERROR a generic text ("connect SSL err
 * 1: ...") and logs the useful part (the X509 verdict) as an error line
 * just before, on the same thread. So lws's log lines are caught here: the
 * last one is kept per thread for the reason, TLS verdicts are not printed
 * (they reach the main layer through on_close), nor those during wsc_new
 * (they reach err); anything else goes to stderr as lws would print it. */
_Thread_local char wsc_lws_last[WSC_REASON_LEN];
static _Thread_local bool wsc_lws_quiet;

static void wsc_lws_log(int level, const char *line)
{
    const char *p = strstr(line, "] E: ");
    size_t n;

    p = p ? p + 5 : line;
    snprintf(wsc_lws_last, sizeof(wsc_lws_last), "%s", p);
    n = strlen(wsc_lws_last);
    while (n && (wsc_lws_last[n - 1] == '\n' || wsc_lws_last[n - 1] == ' '))
        wsc_lws_last[--n] = '\0';
    if (!wsc_lws_quiet && strncmp(p, "SSL error: ", 11))
        lwsl_emit_stderr(level, line);
}

static int wsc_lws_cb(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                      size_t len)
{
    struct lws_context *ctx = lws_get_context(wsi);
    struct wsc *w = ctx ? lws_context_user(ctx) : NULL;
    int r;

    (void)user;
    if (!w || w->freeing)
        return 0;
    /* lws also cancels its own waits (once at start-up): only a wake that
     * wsc_wake asked for ends wsc_service. */
    if (reason == LWS_CALLBACK_EVENT_WAIT_CANCELLED && atomic_exchange(&w->wake, false))
        w->events++;
    r = wsc_conn_dispatch(w, wsi, reason, in, len);
    wsc_end_burst(w);
    return r;
}

/* The client TLS context, made here rather than by lws: lws 4.1 finds the
 * SSL_CTX it made through a process-global ex_data index that each context
 * creation re-allocates, so with two wsc alive at once (the beacon's sender
 * and tracker) one SSL_CTX and its CA store (~700 KB) were never freed. One
 * given to lws is ours to free. Verification stays lws's, per connection
 * (host name, the tls_insecure allowances). */
static SSL_CTX *client_tls_new(const struct wsc_config *cfg, char *err)
{
    SSL_CTX *tls = SSL_CTX_new(TLS_client_method());

    if (!tls) {
        err_set(err, "wsc_new: cannot create the TLS context");
        return NULL;
    }
    SSL_CTX_set_min_proto_version(tls, TLS1_2_VERSION);
    /* The system's CA store is loaded by the first wss:// connection
     * (wsc_tls_load_cas): parsing its ~150 PEM certificates took 0.1 s of
     * CPU per context, 10 % of a 10 s run's network-thread CPU at
     * 1,000 tx/s, for plain ws:// nodes that never use it. */
    if (cfg && cfg->ca_file && SSL_CTX_load_verify_locations(tls, cfg->ca_file, NULL) != 1) {
        err_set(err, "wsc_new: ca_file %.200s: no PEM certificate could be loaded", cfg->ca_file);
        SSL_CTX_free(tls);
        return NULL;
    }
    return tls;
}

void wsc_tls_load_cas(struct wsc *w)
{
    if (w->tls_cas)
        return;
    w->tls_cas = true;
    /* A system without a CA store can still use ca_file or tls_insecure. */
    SSL_CTX_set_default_verify_paths(w->tls);
}

/* sul_wait only bounds lws's poll wait. lws runs ripe events BEFORE it
 * polls, so if the deadline passed before lws looked, this runs and the
 * poll must not block: wake it. */
static void wait_cb(lws_sorted_usec_list_t *sul)
{
    lws_cancel_service(lws_container_of(sul, struct wsc, sul_wait)->ctx);
}

struct wsc *wsc_new(const struct wsc_config *cfg, const struct wsc_callbacks *cb, void *user,
                    char *err)
{
    struct lws_context_creation_info info;
    struct wsc *w = NULL;

    if (!cb) {
        err_set(err, "wsc_new: callbacks are required");
        goto fail;
    }
    w = calloc(1, sizeof(*w));
    if (!w) {
        err_set(err, "wsc_new: out of memory");
        goto fail;
    }
    w->cb = *cb;
    w->user = user;
    w->max_frame = cfg && cfg->max_frame ? cfg->max_frame : WSC_DEFAULT_MAX_FRAME;
    w->max_rx = cfg && cfg->max_rx && cfg->max_rx < w->max_frame ? cfg->max_rx : w->max_frame;
    w->max_rx_per_sent = cfg ? cfg->max_rx_per_sent : 0;
    w->backoff_min_ms = cfg && cfg->backoff_min_ms ? cfg->backoff_min_ms : 100;
    w->backoff_max_ms = cfg && cfg->backoff_max_ms ? cfg->backoff_max_ms : 5000;
    if (w->backoff_max_ms < w->backoff_min_ms)
        w->backoff_max_ms = w->backoff_min_ms;
    w->tls_insecure = cfg && cfg->tls_insecure;
    w->lws_frames = cfg && cfg->lws_frames;
    if (!cfg || cfg->ping_interval_ms != WSC_PING_OFF) {
        w->ping_interval_ns =
            (uint64_t)(cfg && cfg->ping_interval_ms ? cfg->ping_interval_ms : 2000) * 1000000u;
        w->ping_timeout_ns =
            (uint64_t)(cfg && cfg->ping_timeout_ms ? cfg->ping_timeout_ms : 5000) * 1000000u;
    }
    w->mask_pos = sizeof(w->mask_rnd); /* filled at the first frame */
    w->rng = timefmt_mono_ns() ^ (uint64_t)(uintptr_t)w ^ 0x9E3779B97F4A7C15ull;
    if (!w->rng)
        w->rng = 1; /* xorshift stays at 0 */
    if (w->max_frame > (size_t)1 << 31) {
        err_set(err, "wsc_new: max_frame %zu is over the 2 GiB lws can frame", w->max_frame);
        goto fail;
    }
    if (cfg && cfg->ca_file) {
        FILE *f = fopen(cfg->ca_file, "r");

        if (!f) {
            err_set(err, "wsc_new: ca_file %.200s: %s", cfg->ca_file, strerror(errno));
            goto fail;
        }
        fclose(f);
    }
    w->tls = client_tls_new(cfg, err);
    if (!w->tls)
        goto fail;

    w->protocols[0].name = "wsc";
    w->protocols[0].callback = wsc_lws_cb;
    w->protocols[0].rx_buffer_size = WSC_IO_CHUNK;
    w->protocols[0].tx_packet_size = WSC_IO_CHUNK;
    /* The program's main layer logs; lws only speaks up for real errors. */
    lws_set_log_level(LLL_ERR, wsc_lws_log);
    memset(&info, 0, sizeof(info));
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = w->protocols;
    info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.provided_client_ssl_ctx = w->tls;
    info.user = w;
    info.count_threads = 1;
    info.timeout_secs = 10; /* connect and handshake */
    info.pt_serv_buf_size = WSC_IO_CHUNK;
    wsc_lws_last[0] = '\0';
    wsc_lws_quiet = true;
    w->ctx = lws_create_context(&info);
    wsc_lws_quiet = false;
    if (!w->ctx) {
        err_set(err, "wsc_new: cannot create the libwebsockets context%s%.200s",
                wsc_lws_last[0] ? ": " : "", wsc_lws_last);
        goto fail;
    }
    return w;
fail:
    if (w && w->ctx)
        lws_context_destroy(w->ctx);
    if (w && w->tls)
        SSL_CTX_free(w->tls);
    free(w);
    return NULL;
}

void wsc_free(struct wsc *w)
{
    if (!w)
        return;
    w->freeing = true;
    for (struct wsc_conn *c = w->conns; c; c = c->next) {
        lws_sul_cancel(&c->sul_retry);
        lws_sul_cancel(&c->sul_live);
        if (c->wsi)
            lws_set_opaque_user_data(c->wsi, NULL);
    }
    lws_sul_cancel(&w->sul_wait);
    lws_context_destroy(w->ctx);
    SSL_CTX_free(w->tls);
    while (w->conns)
        wsc_conn_free(w->conns);
    free(w);
}

static void fire_timer(struct wsc *w)
{
    if (!w->timer_armed || timefmt_mono_ns() < w->timer_due_ns)
        return;
    w->timer_armed = false;
    w->events++;
    if (w->cb.on_timer)
        w->cb.on_timer(w->user);
    wsc_end_burst(w);
}

static void sweep_dead(struct wsc *w)
{
    struct wsc_conn *c = w->conns, *next;

    for (; c && w->ndead; c = next) {
        next = c->next;
        if (c->dead) {
            wsc_conn_free(c);
            w->ndead--;
        }
    }
}

/* One wait of lws's, bounded by the timer and the caller's timeout. lws
 * polls with millisecond timeouts rounded down, so it wakes up to 1 ms
 * early: the caller's timeout is rounded up, and the last part of a wait
 * (where the timer must be kept to the microsecond) is a sleep on the
 * monotonic clock once lws has nothing to do. */
#define WSC_PRECISE_NS 2000000ull

static int service_once(struct wsc *w, uint64_t now, uint64_t end)
{
    uint64_t until = end;
    bool timer = false;
    int n;

    if (w->timer_armed && w->timer_due_ns <= end) {
        until = w->timer_due_ns;
        timer = true;
    }
    /* The last WSC_PRECISE_NS before a deadline are slept precisely:
     * lws's own wait has millisecond granularity and can wake a
     * millisecond or more late, which would show as send lateness. */
    if (w->events || until < now + WSC_PRECISE_NS) {
        n = lws_service(w->ctx, -1);
        if (!w->events && n >= 0 && until > now) {
            struct timespec ts = {(time_t)(until / 1000000000u), (long)(until % 1000000000u)};

            while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
                ;
        }
        return n;
    }
    /* lws 4.x waits for its next scheduled event and ignores lws_service's
     * timeout, so the deadline becomes one of those events. */
    lws_sul_schedule(w->ctx, 0, &w->sul_wait, wait_cb,
                     timer ? (lws_usec_t)((until - now - WSC_PRECISE_NS / 2) / 1000)
                           : (lws_usec_t)((until - now) / 1000 + 1000));
    n = lws_service(w->ctx, 0);
    lws_sul_cancel(&w->sul_wait);
    return n;
}

int wsc_service(struct wsc *w, int timeout_ms)
{
    uint64_t now, end;
    int n;

    if (!w)
        return -1;
    w->in_service++;
    w->events = 0;
    wsc_end_burst(w); /* frames sent since the last wsc_service */
    now = timefmt_mono_ns();
    end = now + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0) * 1000000u;
    fire_timer(w);
    for (;;) {
        n = service_once(w, now, end);
        fire_timer(w);
        now = timefmt_mono_ns();
        if (n < 0 || w->events || now >= end)
            break;
    }
    wsc_end_burst(w);
    w->in_service--;
    if (!w->in_service && w->ndead)
        sweep_dead(w);
    return n < 0 ? -1 : 0;
}

void wsc_timer_at(struct wsc *w, uint64_t mono_ns)
{
    if (!w)
        return;
    w->timer_armed = true;
    w->timer_due_ns = mono_ns;
}

void wsc_wake(struct wsc *w)
{
    if (!w)
        return;
    atomic_store(&w->wake, true);
    lws_cancel_service(w->ctx);
}
