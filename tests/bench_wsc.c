/* bench_wsc.c - one websocket client connection sending 450-byte text
 * frames as fast as it can to a counting server on 127.0.0.1 for ~3 s;
 * prints frames/s and the client thread's CPU per frame (getrusage).
 * Usage: bench_wsc [CERT KEY]  (with a certificate: a wss:// run too). */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "err.h"
#include "timefmt.h"
#include "ws_echo_server.h"
#include "wsc.h"

#define FRAME_LEN 450
#define NFRAMES 1024 /* distinct pre-rendered frames, sent round-robin */
#define RUN_NS 3000000000ull
#define BURST 256 /* frames per on_writable before letting replies in */

struct bench {
    struct wsc *w;
    struct wsc_conn *c;
    char (*frames)[FRAME_LEN];
    bool open, done;
    uint64_t sent, full, writables, end_ns;
    char reason[200];
};

static void on_open(void *u, struct wsc_conn *c)
{
    struct bench *b = u;

    b->open = true;
    wsc_want_write(c);
}

static void on_message(void *u, struct wsc_conn *c, const char *msg, size_t len)
{
    (void)u, (void)c, (void)msg, (void)len;
}

static void on_close(void *u, struct wsc_conn *c, const char *reason)
{
    struct bench *b = u;

    (void)c;
    b->open = false;
    snprintf(b->reason, sizeof(b->reason), "%s", reason);
}

/* The send path as the beacon drives it: pre-rendered frames, as many as
 * the socket takes. */
static void on_writable(void *u, struct wsc_conn *c)
{
    struct bench *b = u;

    b->writables++;
    if (timefmt_mono_ns() >= b->end_ns) {
        b->done = true;
        return;
    }
    for (int k = 0; k < BURST; k++) {
        int r = wsc_send(c, b->frames[b->sent % NFRAMES], FRAME_LEN);

        if (r == WSC_FULL) {
            b->full++;
            return;
        }
        if (r != WSC_OK)
            return;
        b->sent++;
    }
    wsc_want_write(c);
}

/* CPU time of the calling thread, user and system, in µs. */
static void thread_cpu_us(double *user, double *sys)
{
    struct rusage ru;

    getrusage(RUSAGE_THREAD, &ru);
    *user = (double)ru.ru_utime.tv_sec * 1e6 + (double)ru.ru_utime.tv_usec;
    *sys = (double)ru.ru_stime.tv_sec * 1e6 + (double)ru.ru_stime.tv_usec;
}

static int run(const char *scheme, const char *cert, const char *key)
{
    struct ws_echo_config scfg = {.sink = true, .cert_file = cert, .key_file = key};
    struct wsc_config ccfg = {.tls_insecure = true};
    struct wsc_callbacks cb = {on_open, on_message, on_close, on_writable, NULL};
    struct bench b = {0};
    struct ws_echo *s;
    char err[ERR_LEN], url[64];
    uint64_t t0, t1, deadline, got;
    double u0, s0, u1, s1, per;
    int rc = 1;

    b.frames = malloc(sizeof(*b.frames) * NFRAMES);
    if (!b.frames)
        return 1;
    for (int i = 0; i < NFRAMES; i++) {
        int n = snprintf(b.frames[i], FRAME_LEN,
                         "{\"id\":%d,\"method\":\"call\",\"params\":[2,\"broadcast_transaction\",[{"
                         "\"ref_block_num\":1234,\"signatures\":[\"",
                         1000000 + i);

        memset(b.frames[i] + n, 'a' + i % 26, FRAME_LEN - (size_t)n);
        memcpy(b.frames[i] + FRAME_LEN - 6, "\"]}]]}", 6);
    }
    s = ws_echo_start(&scfg, err);
    if (!s) {
        fprintf(stderr, "bench_wsc: %s\n", err);
        goto out;
    }
    b.w = wsc_new(&ccfg, &cb, &b, err);
    if (!b.w) {
        fprintf(stderr, "bench_wsc: %s\n", err);
        goto out;
    }
    snprintf(url, sizeof(url), "%s://127.0.0.1:%d/", scheme, ws_echo_port(s));
    b.c = wsc_connect(b.w, url, NULL, err);
    if (!b.c) {
        fprintf(stderr, "bench_wsc: %s\n", err);
        goto out;
    }
    deadline = timefmt_mono_ns() + 5000000000ull;
    b.end_ns = UINT64_MAX;
    while (!b.open && timefmt_mono_ns() < deadline)
        wsc_service(b.w, 50);
    if (!b.open) {
        fprintf(stderr, "bench_wsc: %s: no connection (%s)\n", url, b.reason);
        goto out;
    }
    thread_cpu_us(&u0, &s0);
    t0 = timefmt_mono_ns();
    b.end_ns = t0 + RUN_NS;
    while (!b.done && b.open && timefmt_mono_ns() < b.end_ns + 1000000000ull)
        wsc_service(b.w, 100);
    t1 = timefmt_mono_ns();
    thread_cpu_us(&u1, &s1);
    /* The sink must count every frame: nothing lost on the way. */
    deadline = t1 + 10000000000ull;
    while ((got = ws_echo_messages(s)) < b.sent && timefmt_mono_ns() < deadline)
        wsc_service(b.w, 10);
    printf("wsc %-4s 1 connection, %d-byte frames for %.2f s: %.0f frames/s sent, "
           "%.1f MB/s; sink counted %llu of %llu\n",
           scheme, FRAME_LEN, (double)(t1 - t0) / 1e9, (double)b.sent * 1e9 / (double)(t1 - t0),
           (double)b.sent * FRAME_LEN / ((double)(t1 - t0) / 1e3) , (unsigned long long)got,
           (unsigned long long)b.sent);
    per = b.sent ? (double)b.sent : 1;
    printf("wsc %-4s client thread CPU %.2f us/frame (user %.2f + system %.2f); "
           "%llu on_writable, %llu WSC_FULL\n",
           scheme, (u1 - u0 + s1 - s0) / per, (u1 - u0) / per, (s1 - s0) / per,
           (unsigned long long)b.writables, (unsigned long long)b.full);
    rc = got == b.sent && b.sent > 0 ? 0 : 1;
    if (rc)
        fprintf(stderr, "bench_wsc: the sink counted %llu of %llu frames (%s)\n",
                (unsigned long long)got, (unsigned long long)b.sent, b.reason);
out:
    wsc_free(b.w);
    ws_echo_stop(s);
    free(b.frames);
    return rc;
}

int main(int argc, char **argv)
{
    int rc;

    /* The TLS server forks: start it first, while there is one thread. */
    rc = argc == 3 ? run("wss", argv[1], argv[2]) : 0;
    rc |= run("ws", NULL, NULL);
    return rc;
}
