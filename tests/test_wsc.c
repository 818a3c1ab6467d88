/* test_wsc.c - the websocket client against the in-process test server
 * (tests/ws_echo_server.c) on 127.0.0.1. Every wait is bounded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "testutil.h"
#include "timefmt.h"
#include "ws_echo_server.h"
#include "wsc.h"
#include "wsurl.h"

#define MS 1000000ull
#define MAXC 8

/* The suite runs twice (meson: test_wsc and test_wsc_lws_frames): ws://
 * read by wsc's own frame reader, and by lws's ws role as wss:// is. */
static struct wsc *wsc_new_mode(const struct wsc_config *cfg, const struct wsc_callbacks *cb,
                                void *user, char *err)
{
    struct wsc_config c = cfg ? *cfg : (struct wsc_config){0};

    c.lws_frames = getenv("WSC_LWS_FRAMES") != NULL;
    return wsc_new(&c, cb, user, err);
}
#define wsc_new wsc_new_mode

/* Drives w until cond holds; fails the test after ms milliseconds. */
#define RUN_UNTIL(w, cond, ms)                                                                     \
    do {                                                                                           \
        uint64_t end_ = timefmt_mono_ns() + (uint64_t)(ms)*MS;                                     \
        while (!(cond)) {                                                                          \
            if (timefmt_mono_ns() > end_)                                                          \
                fail_msg("timed out after %d ms waiting for %s", (int)(ms), #cond);                \
            assert_int_equal(wsc_service((w), 20), 0);                                             \
        }                                                                                          \
    } while (0)

/* The same for two clients driven by one loop. */
#define RUN2_UNTIL(w1, w2, cond, ms)                                                               \
    do {                                                                                           \
        uint64_t end_ = timefmt_mono_ns() + (uint64_t)(ms)*MS;                                     \
        while (!(cond)) {                                                                          \
            if (timefmt_mono_ns() > end_)                                                          \
                fail_msg("timed out after %d ms waiting for %s", (int)(ms), #cond);                \
            assert_int_equal(wsc_service((w1), 5), 0);                                             \
            assert_int_equal(wsc_service((w2), 5), 0);                                             \
        }                                                                                          \
    } while (0)

static void run_for(struct wsc *w, unsigned ms)
{
    uint64_t end = timefmt_mono_ns() + ms * MS;

    while (timefmt_mono_ns() < end)
        assert_int_equal(wsc_service(w, 10), 0);
}

/* One state struct for every test; each test uses the part it needs. */
struct t {
    struct wsc *w;
    struct wsc_conn *c[MAXC];
    int nconn;
    int opens, closes, msgs, timers;
    int opens_of[MAXC];
    char reasons[32][200];
    uint64_t close_ns[32];
    /* pipelined echo */
    unsigned per_conn, sent[MAXC], recv[MAXC];
    bool order_ok;
    /* large messages */
    char *big;
    size_t big_len;
    bool big_ok, xs_ok;
    /* flow control */
    unsigned target, full, cb_sends;
    uint64_t bytes;
    /* scripted replies: messages to send at each open */
    const char *on_open_send[4];
    size_t last_len;
    /* timers */
    uint64_t due[32], fired[32];
    int chain;
    /* closing from callbacks */
    bool close_on_msg, close_on_close, after_close_cb;
    struct wsc_conn *closed;
    /* liveness */
    uint64_t msg_ns;           /* when the last message arrived */
    bool reconnect_on_msg;
};

static int idx(struct wsc_conn *c)
{
    return (int)(intptr_t)wsc_conn_tag(c);
}

static void note_close(struct t *t, struct wsc_conn *c, const char *reason)
{
    if (c == t->closed)
        t->after_close_cb = true;
    if (t->closes < 32) {
        snprintf(t->reasons[t->closes], sizeof(t->reasons[0]), "%s", reason);
        t->close_ns[t->closes] = timefmt_mono_ns();
    }
    t->closes++;
}

static int make_request(char *buf, size_t n, unsigned conn, unsigned id)
{
    return snprintf(buf, n,
                    "{\"id\":%u,\"method\":\"call\",\"params\":[0,\"get_objects\",[[\"1.2.%u\"]]]}",
                    id, conn * 100000 + id);
}

/* ---- callbacks ---- */

static void cb_open(void *u, struct wsc_conn *c)
{
    struct t *t = u;
    int n = t->opens_of[idx(c)]++;

    t->opens++;
    if (c == t->closed)
        t->after_close_cb = true;
    if (n < 4 && t->on_open_send[n])
        assert_int_equal(wsc_send(c, t->on_open_send[n], strlen(t->on_open_send[n])), WSC_OK);
    if (t->per_conn)
        wsc_want_write(c);
}

static void cb_message(void *u, struct wsc_conn *c, const char *msg, size_t len)
{
    struct t *t = u;
    int i = idx(c);

    t->msgs++;
    t->last_len = len;
    t->msg_ns = timefmt_mono_ns();
    if (c == t->closed)
        t->after_close_cb = true;
    assert_int_equal(msg[len], '\0');
    if (t->big && len == t->big_len)
        t->big_ok = memcmp(msg, t->big, len) == 0;
    if (len > 1000 && msg[0] == 'x') {
        t->xs_ok = true;
        for (size_t k = 0; k < len; k++)
            t->xs_ok &= msg[k] == 'x';
    }
    if (t->per_conn && len < 1000) {
        char want[200];
        const char *p = strstr(msg, "\"id\":");
        unsigned id = p ? (unsigned)strtoul(p + 5, NULL, 10) : ~0u;
        int n = make_request(want, sizeof(want), (unsigned)i, t->recv[i]);

        if (id != t->recv[i] || (size_t)n != len || memcmp(want, msg, len))
            t->order_ok = false;
        t->recv[i]++;
    }
    if (t->reconnect_on_msg) {
        t->reconnect_on_msg = false;
        wsc_reconnect(c, "asked from on_message");
        assert_false(wsc_conn_is_open(c));
        assert_int_equal(wsc_conn_last_message_ns(c), 0);
    }
    if (t->close_on_msg && i == 0) {
        wsc_close(c);
        t->closed = c;
        assert_false(wsc_conn_is_open(c));
    }
}

static void cb_close(void *u, struct wsc_conn *c, const char *reason)
{
    struct t *t = u;

    note_close(t, c, reason);
    assert_false(wsc_conn_is_open(c));
    assert_int_equal(wsc_send(c, "x", 1), WSC_CLOSED);
    if (t->close_on_close) {
        wsc_close(c);
        t->closed = c;
    }
}

static void cb_writable(void *u, struct wsc_conn *c)
{
    struct t *t = u;
    int i = idx(c);
    char buf[200];

    if (c == t->closed)
        t->after_close_cb = true;
    /* Pipelined requests: as many as the socket takes, 64 per callback so
     * that replies keep being read. */
    for (int k = 0; k < 64 && t->sent[i] < t->per_conn; k++) {
        int n = make_request(buf, sizeof(buf), (unsigned)i, t->sent[i]);
        int r = wsc_send(c, buf, (size_t)n);

        if (r == WSC_FULL)
            return; /* wsc asked lws for the next on_writable */
        assert_int_equal(r, WSC_OK);
        t->sent[i]++;
    }
    if (t->sent[i] < t->per_conn)
        wsc_want_write(c);
}

static const struct wsc_callbacks cbs = {cb_open, cb_message, cb_close, cb_writable, NULL};

static struct wsc *new_client(struct t *t, const struct wsc_config *cfg)
{
    char err[ERR_LEN];

    t->w = wsc_new(cfg, &cbs, t, err);
    if (!t->w)
        fail_msg("wsc_new: %s", err);
    return t->w;
}

static struct wsc_conn *connect_to(struct t *t, const char *scheme, int port)
{
    char url[80], err[ERR_LEN];
    struct wsc_conn *c;

    snprintf(url, sizeof(url), "%s://127.0.0.1:%d/", scheme, port);
    c = wsc_connect(t->w, url, (void *)(intptr_t)t->nconn, err);
    if (!c)
        fail_msg("wsc_connect %s: %s", url, err);
    assert_string_equal(wsc_conn_url(c), url);
    assert_false(wsc_conn_is_open(c));
    t->c[t->nconn++] = c;
    return c;
}

/* tls: 0 plain, 1 the test certificate (localhost, 127.0.0.1), 2 one for
 * "wrong.example". */
static struct ws_echo *start_server(bool sink, int tls)
{
    char err[ERR_LEN], cert[4096], key[4096];
    struct ws_echo_config cfg = {.sink = sink};
    struct ws_echo *s;
    const char *name = tls == 2 ? "wrongname" : "test";

    snprintf(err, sizeof(err), "../data/wsc_%s_cert.pem", name);
    snprintf(cert, sizeof(cert), "%s", tu_vector_path(err));
    snprintf(err, sizeof(err), "../data/wsc_%s_key.pem", name);
    snprintf(key, sizeof(key), "%s", tu_vector_path(err));
    if (tls) {
        cfg.cert_file = cert;
        cfg.key_file = key;
    }
    s = ws_echo_start(&cfg, err);
    if (!s)
        fail_msg("%s", err);
    return s;
}

/* ---- tests ---- */

static void test_url(void **state)
{
    (void)state;
    struct wsurl u;
    char err[ERR_LEN];
    static const char *bad[] = {
        "http://h/",   "ws://",      "ws://:80/",  "ws://h:0",      "ws://h:65536", "ws://h:12a",
        "ws://u@h/",   "ws://h/ a",  "ws://[::1",  "ws://h/#frag",  "ws://h:",      "ws://[::1]x/",
        "wss://h:1:2", "ws://h\x01", "WS://h/",    "ws://h:999999",
    };

    assert_int_equal(wsurl_parse(&u, "ws://127.0.0.1:8090", err), 0);
    assert_false(u.tls);
    assert_string_equal(u.host, "127.0.0.1");
    assert_int_equal(u.port, 8090);
    assert_string_equal(u.path, "/");
    assert_string_equal(u.hostport, "127.0.0.1:8090");
    assert_int_equal(wsurl_parse(&u, "wss://node.example.com/ws?x=1", err), 0);
    assert_true(u.tls);
    assert_int_equal(u.port, 443);
    assert_string_equal(u.path, "/ws?x=1");
    assert_string_equal(u.hostport, "node.example.com:443");
    assert_int_equal(wsurl_parse(&u, "ws://[::1]:9000/a", err), 0);
    assert_string_equal(u.host, "::1");
    assert_string_equal(u.hostport, "[::1]:9000");
    assert_int_equal(wsurl_parse(&u, "ws://h?q=1", err), 0);
    assert_string_equal(u.path, "/?q=1");
    assert_int_equal(u.port, 80);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        if (wsurl_parse(&u, bad[i], err) != -1)
            fail_msg("accepted bad url \"%s\"", bad[i]);
        assert_non_null(strstr(err, "url"));
    }

    struct t t = {0};
    new_client(&t, NULL);
    assert_null(wsc_connect(t.w, "tcp://127.0.0.1:1", NULL, err));
    assert_non_null(strstr(err, "scheme must be ws:// or wss://"));
    wsc_free(t.w);
    wsc_free(NULL);
}

static void pipelined_echo(const struct wsc_config *cfg)
{
    struct ws_echo *s = start_server(false, 0);
    struct t t = {.per_conn = 1500, .order_ok = true};
    const int k = 4;

    new_client(&t, cfg);
    for (int i = 0; i < k; i++)
        connect_to(&t, "ws", ws_echo_port(s));
    RUN_UNTIL(t.w, t.opens == k, 5000);
    for (int i = 0; i < k; i++)
        assert_true(wsc_conn_is_open(t.c[i]));
    RUN_UNTIL(t.w, t.msgs == k * 1500, 20000);
    assert_true(t.order_ok);
    for (int i = 0; i < k; i++)
        assert_int_equal(t.recv[i], 1500);
    assert_int_equal(t.closes, 0);
    assert_int_equal(ws_echo_accepted(s), k);
    assert_int_equal(ws_echo_messages(s), k * 1500);
    wsc_free(t.w);
    ws_echo_stop(s);
}

static void test_pipelined_echo(void **state)
{
    (void)state;
    pipelined_echo(NULL);
}

static void test_large_both_ways(void **state)
{
    (void)state;
    struct ws_echo *s = start_server(false, 0);
    struct t t = {0};
    const size_t n = 3u << 20;
    uint64_t x = 88172645463325252ull;

    t.big = malloc(n);
    assert_non_null(t.big);
    t.big_len = n;
    memcpy(t.big, "{\"id\":1,\"data\":\"", 16);
    for (size_t i = 16; i < n - 2; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        t.big[i] = (char)('a' + x % 26);
    }
    memcpy(t.big + n - 2, "\"}", 2);
    new_client(&t, NULL);
    connect_to(&t, "ws", ws_echo_port(s));
    RUN_UNTIL(t.w, t.opens == 1, 5000);
    /* One 3 MiB frame out; the echo comes back in 64 KiB continuation frames. */
    assert_int_equal(wsc_send(t.c[0], t.big, n), WSC_OK);
    RUN_UNTIL(t.w, t.msgs == 1, 20000);
    assert_int_equal(t.last_len, n);
    assert_true(t.big_ok);
    assert_int_equal(ws_echo_bytes(s), n);
    RUN_UNTIL(t.w, wsc_send(t.c[0], "!big 3000000", 12) == WSC_OK, 5000);
    RUN_UNTIL(t.w, t.msgs == 2, 20000);
    assert_int_equal(t.last_len, 3000000);
    assert_true(t.xs_ok);
    assert_int_equal(t.closes, 0);
    wsc_free(t.w);
    ws_echo_stop(s);
    free(t.big);
}

static void flood_writable(void *u, struct wsc_conn *c)
{
    struct t *t = u;
    char frame[450];

    memset(frame, 'f', sizeof(frame));
    /* Until the socket chokes: the server is not reading for a while. */
    for (int k = 0; k < 4096 && t->sent[0] < t->target; k++) {
        int r = wsc_send(c, frame, sizeof(frame));

        t->cb_sends++;
        if (r == WSC_FULL) {
            t->full++;
            return;
        }
        assert_int_equal(r, WSC_OK);
        t->sent[0]++;
        t->bytes += sizeof(frame);
    }
    if (t->sent[0] < t->target)
        wsc_want_write(c);
}

static void test_full_then_resume(void **state)
{
    (void)state;
    struct ws_echo *s = start_server(true, 0);
    struct t t = {.target = 60000, .on_open_send = {"!pause 1000"}};
    struct wsc_callbacks cb = cbs;
    char err[ERR_LEN];

    cb.on_writable = flood_writable;
    t.w = wsc_new(NULL, &cb, &t, err);
    assert_non_null(t.w);
    connect_to(&t, "ws", ws_echo_port(s));
    RUN_UNTIL(t.w, t.opens == 1, 5000);
    wsc_want_write(t.c[0]);
    RUN_UNTIL(t.w, t.sent[0] == t.target, 30000);
    RUN_UNTIL(t.w, ws_echo_messages(s) == t.target, 30000);
    assert_true(t.full >= 1);
    assert_int_equal(ws_echo_bytes(s), t.bytes);
    assert_int_equal(t.bytes, (uint64_t)t.target * 450);
    assert_int_equal(t.closes, 0);
    wsc_free(t.w);
    ws_echo_stop(s);
}

static void test_server_close_reconnect(void **state)
{
    (void)state;
    struct ws_echo *s = start_server(false, 0);
    struct t t = {.on_open_send = {"!close 1009", "!drop", "hello"}};
    struct wsc_config cfg = {.backoff_min_ms = 20, .backoff_max_ms = 100};

    new_client(&t, &cfg);
    connect_to(&t, "ws", ws_echo_port(s));
    RUN_UNTIL(t.w, t.opens == 3 && t.msgs == 1, 5000);
    assert_int_equal(t.closes, 2);
    assert_string_equal(t.reasons[0], "closed by peer (code 1009: test close)");
    assert_non_null(strstr(t.reasons[1], "connection lost"));
    assert_true(wsc_conn_is_open(t.c[0]));
    assert_int_equal(ws_echo_accepted(s), 3);
    wsc_free(t.w);
    ws_echo_stop(s);
}

static void test_refused_backoff(void **state)
{
    (void)state;
    struct t t = {0};
    struct wsc_config cfg = {.backoff_min_ms = 20, .backoff_max_ms = 160};
    struct sockaddr_in sa = {.sin_family = AF_INET};
    socklen_t sl = sizeof(sa);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    uint64_t t0;

    /* A bound socket that never listens: connections to it are refused,
     * and no other test can take the port meanwhile. */
    assert_true(fd >= 0);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
    new_client(&t, &cfg);
    t0 = timefmt_mono_ns();
    connect_to(&t, "ws", ntohs(sa.sin_port));
    run_for(t.w, 1000);
    assert_int_equal(t.opens, 0);
    /* Delays are d/2..d for d = 20, 40, 80, 160, 160...: within one second
     * at least 5 attempts and at most 16 can fail. */
    assert_in_range(t.closes, 5, 16);
    for (int i = 0; i < t.closes && i < 32; i++)
        assert_string_equal(t.reasons[i], "connection refused or unreachable");
    assert_true(t.close_ns[0] - t0 < 500 * MS);
    for (int i = 1; i < t.closes && i < 32; i++) {
        uint64_t d = 20u << (i - 1 < 3 ? i - 1 : 3);

        if (t.close_ns[i] - t.close_ns[i - 1] + MS < d / 2 * MS)
            fail_msg("retry %d after %.1f ms, backoff floor %.1f ms", i,
                     (double)(t.close_ns[i] - t.close_ns[i - 1]) / 1e6, (double)d / 2);
    }
    assert_false(wsc_conn_is_open(t.c[0]));
    wsc_free(t.w);
    close(fd);
}

static void test_max_frame(void **state)
{
    (void)state;
    struct ws_echo *s = start_server(false, 0);
    struct t t = {.on_open_send = {"!big 60000", "hello"}};
    struct wsc_config cfg = {.max_frame = 65536, .backoff_min_ms = 20};
    char *big = calloc(1, 70000);

    assert_non_null(big);
    new_client(&t, &cfg);
    connect_to(&t, "ws", ws_echo_port(s));
    RUN_UNTIL(t.w, t.msgs == 1, 5000);
    assert_int_equal(t.last_len, 60000);
    assert_int_equal(wsc_send(t.c[0], big, 70000), WSC_TOOBIG);
    assert_true(wsc_conn_is_open(t.c[0]));
    /* 100000 bytes arrive as 65536 + 34464: the second fragment is over. */
    assert_int_equal(wsc_send(t.c[0], "!big 100000", 11), WSC_OK);
    RUN_UNTIL(t.w, t.closes == 1, 5000);
    assert_non_null(strstr(t.reasons[0], "over max_frame"));
    RUN_UNTIL(t.w, t.opens == 2 && t.msgs == 2, 5000);
    assert_int_equal(t.last_len, 5);
    wsc_free(t.w);
    ws_echo_stop(s);
    free(big);
}

/* max_rx: a connection's role bounds what it receives (issue 14); it grows
 * to max_rx_per_sent times the largest frame the connection has sent. */
static void test_max_rx(void **state)
{
    (void)state;
    struct ws_echo *s = start_server(false, 0);
    struct t t = {.on_open_send = {"!big 9000", "hello"}};
    struct wsc_config cfg = {.max_rx = 10000, .max_rx_per_sent = 4, .backoff_min_ms = 20};
    char *big = malloc(6000);

    assert_non_null(big);
    memset(big, 'y', 6000);
    /* on_open_send: the first open asks for 9000 bytes, the second sends "hello". */
    new_client(&t, &cfg);
    connect_to(&t, "ws", ws_echo_port(s));
    RUN_UNTIL(t.w, t.msgs == 1, 5000);
    assert_int_equal(t.last_len, 9000);
    assert_int_equal(wsc_send(t.c[0], "!big 20000", 10), WSC_OK);
    RUN_UNTIL(t.w, t.closes == 1, 5000);
    assert_non_null(strstr(t.reasons[0], "over the receive limit (at least"));
    assert_non_null(strstr(t.reasons[0], "> 10000)"));
    /* Reconnected: a 6000-byte request raises the limit to 24000. */
    RUN_UNTIL(t.w, t.opens == 2 && t.msgs == 2, 5000);
    assert_int_equal(t.last_len, 5);
    assert_int_equal(wsc_send(t.c[0], big, 6000), WSC_OK);
    RUN_UNTIL(t.w, t.msgs == 3, 5000);
    assert_int_equal(t.last_len, 6000);
    assert_int_equal(wsc_send(t.c[0], "!big 20000", 10), WSC_OK);
    RUN_UNTIL(t.w, t.msgs == 4, 5000);
    assert_int_equal(t.last_len, 20000);
    assert_int_equal(t.closes, 1);
    wsc_free(t.w);
    ws_echo_stop(s);
    free(big);
}

static void chain_timer(void *u)
{
    struct t *t = u;

    t->fired[t->timers] = timefmt_mono_ns();
    t->timers++;
    if (t->chain && t->timers < t->chain) {
        t->due[t->timers] = t->due[t->timers - 1] + 2 * MS;
        wsc_timer_at(t->w, t->due[t->timers]);
    }
}

static void test_timers(void **state)
{
    (void)state;
    struct t t = {0};
    struct wsc_callbacks cb = {.on_timer = chain_timer};
    char err[ERR_LEN];
    uint64_t t0, el;

    t.w = wsc_new(NULL, &cb, &t, err);
    assert_non_null(t.w);
    /* Nothing to do: the service returns after its timeout, not before. */
    t0 = timefmt_mono_ns();
    assert_int_equal(wsc_service(t.w, 50), 0);
    assert_true(timefmt_mono_ns() - t0 >= 49 * MS);
    /* Re-arming replaces: only the earlier time fires, once. */
    t0 = timefmt_mono_ns();
    wsc_timer_at(t.w, t0 + 30 * MS);
    wsc_timer_at(t.w, t0 + 10 * MS);
    RUN_UNTIL(t.w, t.timers == 1, 2000);
    assert_true(t.fired[0] >= t0 + 10 * MS);
    run_for(t.w, 60);
    assert_int_equal(t.timers, 1);
    /* A chain 2 ms apart fires in order, never early. */
    t.timers = 0;
    t.chain = 20;
    t.due[0] = timefmt_mono_ns() + 5 * MS;
    wsc_timer_at(t.w, t.due[0]);
    RUN_UNTIL(t.w, t.timers == 20, 5000);
    for (int i = 0; i < 20; i++) {
        assert_true(t.fired[i] >= t.due[i]);
        if (i)
            assert_true(t.fired[i] > t.fired[i - 1]);
    }
    /* A time in the past fires at the next service, which then returns. */
    t.chain = 0;
    t.timers = 0;
    wsc_timer_at(t.w, 0);
    t0 = timefmt_mono_ns();
    assert_int_equal(wsc_service(t.w, 5000), 0);
    el = timefmt_mono_ns() - t0;
    assert_int_equal(t.timers, 1);
    assert_true(el < 1000 * MS);
    /* A far timer bounds nothing shorter: the timeout still applies. */
    wsc_timer_at(t.w, timefmt_mono_ns() + 3600000 * MS);
    t0 = timefmt_mono_ns();
    assert_int_equal(wsc_service(t.w, 30), 0);
    el = timefmt_mono_ns() - t0;
    assert_true(el >= 29 * MS && el < 2000 * MS);
    assert_int_equal(t.timers, 1);
    wsc_free(t.w);
}

struct waker {
    struct wsc *w;
    atomic_bool woken;
};

static void *wake_thread(void *arg)
{
    struct waker *k = arg;
    struct timespec ts = {0, 100 * 1000 * 1000};

    nanosleep(&ts, NULL);
    atomic_store(&k->woken, true);
    wsc_wake(k->w);
    return NULL;
}

static void test_wake(void **state)
{
    (void)state;
    struct t t = {0};
    struct waker k;
    pthread_t th;
    uint64_t t0, el;

    new_client(&t, NULL);
    k.w = t.w;
    atomic_init(&k.woken, false);
    assert_int_equal(pthread_create(&th, NULL, wake_thread, &k), 0);
    t0 = timefmt_mono_ns();
    /* Without the wake each call would sleep its full 5 s. */
    while (!atomic_load(&k.woken) && timefmt_mono_ns() - t0 < 4000 * MS)
        assert_int_equal(wsc_service(t.w, 5000), 0);
    el = timefmt_mono_ns() - t0;
    pthread_join(th, NULL);
    assert_true(atomic_load(&k.woken));
    assert_true(el < 3000 * MS);
    wsc_free(t.w);
}

static void test_tls(void **state)
{
    (void)state;
    /* TLS servers fork: start them while this process has one thread. */
    struct ws_echo *s = start_server(false, 1), *wrong = start_server(false, 2);
    struct ws_echo *plain = start_server(false, 0);
    struct t a = {.on_open_send = {"secure hello"}}, b = {0}, c = {.on_open_send = {"ca hello"}};
    struct t d = {0};
    struct wsc_config insecure = {.tls_insecure = true};
    struct wsc_config strict = {.backoff_min_ms = 20};
    struct wsc_config ca = {0}, ca_wrong = {.backoff_min_ms = 20};
    char cert[4096], wrong_cert[4096], err[ERR_LEN];
    const size_t n = 1u << 20;

    snprintf(cert, sizeof(cert), "%s", tu_vector_path("../data/wsc_test_cert.pem"));
    snprintf(wrong_cert, sizeof(wrong_cert), "%s",
             tu_vector_path("../data/wsc_wrongname_cert.pem"));
    ca.ca_file = cert;
    ca_wrong.ca_file = wrong_cert;
    /* Self-signed and tls_insecure: connects, and a 1 MiB message goes
     * both ways through TLS records. */
    a.big = malloc(n);
    assert_non_null(a.big);
    a.big_len = n;
    memset(a.big, 'q', n);
    new_client(&a, &insecure);
    connect_to(&a, "wss", ws_echo_port(s));
    RUN_UNTIL(a.w, a.msgs == 1, 5000);
    assert_int_equal(a.last_len, 12);
    assert_int_equal(wsc_send(a.c[0], a.big, n), WSC_OK);
    RUN_UNTIL(a.w, a.msgs == 2, 10000);
    assert_true(a.big_ok);
    wsc_free(a.w);
    free(a.big);
    /* Default checks: the self-signed certificate is refused, with its reason;
     * and a wss:// connection to a plain server fails its handshake. */
    new_client(&b, &strict);
    connect_to(&b, "wss", ws_echo_port(s));
    connect_to(&b, "wss", ws_echo_port(plain));
    RUN_UNTIL(b.w, b.closes >= 4, 5000);
    assert_int_equal(b.opens, 0);
    for (int i = 0; i < 4; i++)
        assert_non_null(strstr(b.reasons[i], "TLS handshake failed: "));
    assert_true(strstr(b.reasons[0], "self-signed certificate") ||
                strstr(b.reasons[1], "self-signed certificate"));
    wsc_free(b.w);
    /* The certificate as the CA: verified, host name (IP SAN) included. */
    new_client(&c, &ca);
    connect_to(&c, "wss", ws_echo_port(s));
    RUN_UNTIL(c.w, c.msgs == 1, 5000);
    assert_int_equal(c.closes, 0);
    wsc_free(c.w);
    /* A trusted certificate for another name: refused. */
    new_client(&d, &ca_wrong);
    connect_to(&d, "wss", ws_echo_port(wrong));
    RUN_UNTIL(d.w, d.closes >= 1, 5000);
    assert_int_equal(d.opens, 0);
    assert_string_equal(d.reasons[0], "TLS handshake failed: IP address mismatch");
    wsc_free(d.w);
    ca.ca_file = "/nonexistent/ca.pem";
    assert_null(wsc_new(&ca, &cbs, NULL, err));
    assert_non_null(strstr(err, "/nonexistent/ca.pem"));
    ca.ca_file = tu_vector_path("transfer.signed.json"); /* not PEM */
    assert_null(wsc_new(&ca, &cbs, NULL, err));
    assert_non_null(strstr(err, "no PEM certificate"));
    ws_echo_stop(s);
    ws_echo_stop(wrong);
    ws_echo_stop(plain);
}

static void test_close_from_callbacks(void **state)
{
    (void)state;
    struct ws_echo *s = start_server(false, 0);
    struct t t = {.on_open_send = {"first"}, .close_on_msg = true, .close_on_close = true};
    struct sockaddr_in sa = {.sin_family = AF_INET};
    socklen_t sl = sizeof(sa);
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    assert_true(fd >= 0);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
    new_client(&t, NULL);
    connect_to(&t, "ws", ws_echo_port(s)); /* closed by on_message */
    connect_to(&t, "ws", ws_echo_port(s)); /* stays */
    RUN_UNTIL(t.w, t.msgs == 2, 5000);
    assert_int_equal(wsc_send(t.c[1], "second", 6), WSC_OK);
    RUN_UNTIL(t.w, t.msgs == 3, 5000);
    assert_false(t.after_close_cb);
    /* A refused connection closed from its on_close: no retry follows. */
    t.closed = NULL;
    connect_to(&t, "ws", ntohs(sa.sin_port));
    RUN_UNTIL(t.w, t.closes == 1, 5000);
    run_for(t.w, 300);
    assert_int_equal(t.closes, 1);
    assert_false(t.after_close_cb);
    /* Closed while waiting to connect, outside any callback. */
    t.close_on_close = false;
    wsc_close(connect_to(&t, "ws", ntohs(sa.sin_port)));
    run_for(t.w, 100);
    assert_int_equal(t.closes, 1);
    assert_true(wsc_conn_is_open(t.c[1]));
    /* wsc_free with one open and one connecting connection. */
    connect_to(&t, "ws", ws_echo_port(s));
    wsc_free(t.w);
    ws_echo_stop(s);
    close(fd);
}

/* ---- liveness ---- */

/* PINGs between requests and replies (one after every 1 ms without a
 * frame) change nothing in either stream. */
static void test_ping_amid_echo(void **state)
{
    (void)state;
    struct wsc_config cfg = {.ping_interval_ms = 1, .ping_timeout_ms = 5000};

    pipelined_echo(&cfg);
}

/* A peer that never sends a message is kept only by its PONGs: pings go
 * out every 5 ms through a flood that chokes the socket (the server stops
 * reading for a while), nothing is lost or reordered, and an idle spell
 * several ping_interval + ping_timeout long closes nothing. */
static void test_ping_sink_flood_idle(void **state)
{
    (void)state;
    struct ws_echo *s = start_server(true, 0);
    struct t t = {.target = 40000, .on_open_send = {"!pause 300"}};
    struct wsc_config cfg = {.ping_interval_ms = 5, .ping_timeout_ms = 2000};
    struct wsc_config idle = {.ping_interval_ms = 50, .ping_timeout_ms = 150};
    struct wsc_callbacks cb = cbs;
    char err[ERR_LEN];

    cb.on_writable = flood_writable;
    t.w = wsc_new(&cfg, &cb, &t, err);
    assert_non_null(t.w);
    connect_to(&t, "ws", ws_echo_port(s));
    RUN_UNTIL(t.w, t.opens == 1, 5000);
    wsc_want_write(t.c[0]);
    RUN_UNTIL(t.w, t.sent[0] == t.target, 30000);
    RUN_UNTIL(t.w, ws_echo_messages(s) == t.target, 30000);
    assert_true(t.full >= 1);
    assert_int_equal(ws_echo_bytes(s), (uint64_t)t.target * 450);
    assert_int_equal(t.closes, 0);
    assert_true(wsc_conn_is_open(t.c[0]));
    wsc_free(t.w);

    /* Idle: 1.5 s is 7 times 50 + 150 ms without a message. */
    memset(&t, 0, sizeof(t));
    new_client(&t, &idle);
    connect_to(&t, "ws", ws_echo_port(s));
    RUN_UNTIL(t.w, t.opens == 1, 5000);
    assert_int_equal(wsc_send(t.c[0], "one", 3), WSC_OK);
    run_for(t.w, 1500);
    assert_int_equal(t.closes, 0);
    assert_int_equal(wsc_send(t.c[0], "two", 3), WSC_OK);
    RUN_UNTIL(t.w, ws_echo_messages(s) == 40000 + 2, 5000);
    assert_int_equal(t.closes, 0);
    assert_int_equal(t.msgs, 0);
    wsc_free(t.w);
    ws_echo_stop(s);
}

/* A server that stops answering altogether (as a SIGSTOPped node, or a
 * link gone dead: no FIN, no RST) is noticed within ping_interval +
 * ping_timeout of its last frame, and reconnected to when it resumes; a
 * client with the check off keeps its connection and gets its answer late. */
static void test_dead_peer(void **state)
{
    (void)state;
    struct ws_echo *s = start_server(false, 0);
    struct t a = {0}, b = {0};
    struct wsc_config ca = {.ping_interval_ms = 200, .ping_timeout_ms = 500,
                            .backoff_min_ms = 20, .backoff_max_ms = 100};
    struct wsc_config cb_off = {.ping_interval_ms = WSC_PING_OFF, .ping_timeout_ms = 100};
    uint64_t last, quiet, n = 0, t_freeze;

    new_client(&a, &ca);
    new_client(&b, &cb_off);
    connect_to(&a, "ws", ws_echo_port(s));
    connect_to(&b, "ws", ws_echo_port(s));
    RUN2_UNTIL(a.w, b.w, a.opens == 1 && b.opens == 1, 5000);
    assert_int_equal(wsc_send(a.c[0], "hello", 5), WSC_OK);
    assert_int_equal(wsc_send(b.c[0], "hello", 5), WSC_OK);
    RUN2_UNTIL(a.w, b.w, a.msgs == 1 && b.msgs == 1, 5000);
    assert_true(wsc_conn_last_message_ns(a.c[0]) <= a.msg_ns);
    assert_true(wsc_conn_last_message_ns(a.c[0]) + 100 * MS > a.msg_ns);
    /* The echo was the last frame a heard (a PONG after it could only
     * make the silence shorter, and the measure below uses a.msg_ns). */
    last = a.msg_ns;
    t_freeze = timefmt_mono_ns();
    assert_int_equal(wsc_send(a.c[0], "!freeze 2500", 12), WSC_OK);
    assert_int_equal(wsc_send(b.c[0], "late", 4), WSC_OK);
    RUN2_UNTIL(a.w, b.w, a.closes == 1, 2400);
    quiet = a.close_ns[0] - last;
    if (sscanf(a.reasons[0], "no answer for %" SCNu64 " ms (link dead?)", &n) != 1 ||
        !strstr(a.reasons[0], "(link dead?)"))
        fail_msg("reason \"%s\"", a.reasons[0]);
    /* 200 + 500 ms after the last frame, never before; the slack is for
     * slow (sanitized, loaded) runs. */
    if (quiet < 700 * MS || quiet > 1900 * MS || n < 700 || n > quiet / MS)
        fail_msg("closed %.1f ms after the last frame, reason \"%s\"", (double)quiet / 1e6,
                 a.reasons[0]);
    assert_true(a.close_ns[0] < t_freeze + 2500 * MS);
    assert_false(wsc_conn_is_open(a.c[0]));
    assert_int_equal(b.closes, 0);
    /* The server resumes: a is back (its attempt waited in the kernel's
     * backlog), b gets its late answer on the old connection. */
    RUN2_UNTIL(a.w, b.w, a.opens == 2 && b.msgs == 2, 8000);
    assert_true(timefmt_mono_ns() >= t_freeze + 2500 * MS);
    assert_int_equal(wsc_send(a.c[0], "again", 5), WSC_OK);
    RUN2_UNTIL(a.w, b.w, a.msgs == 2, 5000);
    assert_int_equal(a.last_len, 5);
    assert_int_equal(b.last_len, 4);
    assert_int_equal(a.closes, 1);
    assert_int_equal(b.closes, 0);
    assert_int_equal(b.opens, 1);
    assert_int_equal(ws_echo_accepted(s), 3);
    wsc_free(a.w);
    wsc_free(b.w);
    ws_echo_stop(s);
}

/* wsc_reconnect: closed at once, on_close with the reason from the service
 * loop, reconnected with backoff; from a callback too. */
static void test_reconnect(void **state)
{
    (void)state;
    struct ws_echo *s = start_server(false, 0);
    struct t t = {0};
    struct wsc_config cfg = {.backoff_min_ms = 20, .backoff_max_ms = 100};
    uint64_t t0, heard;

    new_client(&t, &cfg);
    connect_to(&t, "ws", ws_echo_port(s));
    connect_to(&t, "ws", ws_echo_port(s));
    wsc_reconnect(NULL, "x");
    wsc_reconnect(t.c[0], "not connecting yet"); /* waiting: left alone */
    assert_int_equal(wsc_conn_last_message_ns(t.c[0]), 0);
    RUN_UNTIL(t.w, t.opens == 2, 5000);
    assert_int_equal(t.closes, 0);
    heard = wsc_conn_last_message_ns(t.c[0]);
    assert_true(heard != 0 && heard <= timefmt_mono_ns());
    t0 = timefmt_mono_ns();
    assert_int_equal(wsc_send(t.c[0], "hello", 5), WSC_OK);
    RUN_UNTIL(t.w, t.msgs == 1, 5000);
    heard = wsc_conn_last_message_ns(t.c[0]);
    assert_true(heard >= t0 && heard <= t.msg_ns);

    wsc_reconnect(t.c[0], "acks stopped");
    assert_false(wsc_conn_is_open(t.c[0]));
    assert_int_equal(wsc_send(t.c[0], "x", 1), WSC_CLOSED);
    assert_int_equal(wsc_conn_last_message_ns(t.c[0]), 0);
    wsc_reconnect(t.c[0], "twice"); /* already dropping: no second on_close */
    assert_int_equal(t.closes, 0);
    RUN_UNTIL(t.w, t.closes == 1, 2000);
    assert_string_equal(t.reasons[0], "acks stopped");
    RUN_UNTIL(t.w, t.opens == 3, 5000);
    assert_true(wsc_conn_is_open(t.c[0]));
    assert_true(wsc_conn_is_open(t.c[1]));

    /* From on_message, with the default reason. */
    t.reconnect_on_msg = true;
    assert_int_equal(wsc_send(t.c[1], "x", 1), WSC_OK);
    RUN_UNTIL(t.w, t.closes == 2, 5000);
    assert_false(t.reconnect_on_msg);
    assert_string_equal(t.reasons[1], "asked from on_message");
    RUN_UNTIL(t.w, t.opens == 4, 5000);

    /* Dropped, then closed for good before the service loop ran: silence. */
    wsc_reconnect(t.c[1], NULL);
    wsc_close(t.c[1]);
    run_for(t.w, 200);
    assert_int_equal(t.closes, 2);
    assert_int_equal(t.opens, 4);
    assert_true(wsc_conn_is_open(t.c[0]));
    assert_int_equal(ws_echo_accepted(s), 4);
    /* Dropped, then the client freed with the on_close still due. */
    wsc_reconnect(t.c[0], NULL);
    wsc_free(t.w);
    ws_echo_stop(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_url),
        cmocka_unit_test(test_pipelined_echo),
        cmocka_unit_test(test_large_both_ways),
        cmocka_unit_test(test_full_then_resume),
        cmocka_unit_test(test_server_close_reconnect),
        cmocka_unit_test(test_refused_backoff),
        cmocka_unit_test(test_max_frame),
        cmocka_unit_test(test_max_rx),
        cmocka_unit_test(test_timers),
        cmocka_unit_test(test_wake),
        cmocka_unit_test(test_tls),
        cmocka_unit_test(test_close_from_callbacks),
        cmocka_unit_test(test_ping_amid_echo),
        cmocka_unit_test(test_ping_sink_flood_idle),
        cmocka_unit_test(test_dead_peer),
        cmocka_unit_test(test_reconnect),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
