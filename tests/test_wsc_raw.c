/* test_wsc_raw.c - wsc's own websocket reader (beacon/wsc_raw.c) against a
 * scripted server on 127.0.0.1 that writes exact bytes: frames cut at every
 * byte boundary, the handshake answer and frames in one write, PING/PONG,
 * fragmented messages, close codes, and each failure the RFC tells a
 * client to fail on. Every wait is bounded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "err.h"
#include "timefmt.h"
#include "wsc.h"

#define MS 1000000ull

/* ---- the scripted server: one connection ---- */

enum answer { ANS_OK, ANS_404, ANS_BAD_ACCEPT };

struct srv {
    int lfd, port;
    pthread_t th;
    enum answer answer;
    unsigned char *script; /* bytes written after the handshake answer */
    size_t script_len;
    size_t chunk_upto;     /* the first chunk_upto bytes go out 1-3 at a time */
    bool with_answer;      /* the script goes in the same write as the answer */
    /* what the client sent after the handshake, unmasked */
    unsigned char got_op[16];
    unsigned char got_payload[16][128];
    size_t got_len[16];
    int ngot;
    bool all_masked;
};

static void put(unsigned char **p, size_t *n, unsigned op, bool fin, bool mask, const void *d,
                size_t len)
{
    unsigned char *b = realloc(*p, *n + 14 + len);
    size_t o = *n;

    assert_non_null(b);
    b[o++] = (unsigned char)((fin ? 0x80 : 0) | op);
    if (len < 126) {
        b[o++] = (unsigned char)((mask ? 0x80 : 0) | len);
    } else if (len < 65536) {
        b[o++] = (unsigned char)((mask ? 0x80 : 0) | 126);
        b[o++] = (unsigned char)(len >> 8);
        b[o++] = (unsigned char)len;
    } else {
        b[o++] = (unsigned char)((mask ? 0x80 : 0) | 127);
        for (int s = 56; s >= 0; s -= 8)
            b[o++] = (unsigned char)((uint64_t)len >> s);
    }
    if (mask) {
        memcpy(b + o, "\1\2\3\4", 4);
        o += 4;
    }
    for (size_t i = 0; i < len; i++)
        b[o + i] = ((const unsigned char *)d)[i] ^ (mask ? (unsigned char)(1 + (i & 3)) : 0);
    *p = b;
    *n = o + len;
}

static void write_all(int fd, const void *p, size_t n)
{
    const char *c = p;

    while (n) {
        ssize_t w = send(fd, c, n, MSG_NOSIGNAL);

        if (w <= 0)
            return;
        c += w;
        n -= (size_t)w;
    }
}

/* Reads the client's frames until it closes or 3 s pass. */
static void read_client(struct srv *s, int fd)
{
    unsigned char buf[4096];
    size_t have = 0;
    uint64_t end = timefmt_mono_ns() + 3000 * MS;

    s->all_masked = true;
    while (timefmt_mono_ns() < end) {
        struct pollfd pf = {.fd = fd, .events = POLLIN};
        ssize_t r;

        if (poll(&pf, 1, 50) <= 0)
            continue;
        r = recv(fd, buf + have, sizeof(buf) - have, 0);
        if (r <= 0)
            return;
        have += (size_t)r;
        while (have >= 6) {
            size_t len = buf[1] & 0x7f, hl = 2;

            if (len == 126) {
                len = (size_t)buf[2] << 8 | buf[3];
                hl = 4;
            }
            if (!(buf[1] & 0x80))
                s->all_masked = false;
            if (have < hl + 4 + len)
                break;
            if (s->ngot < 16) {
                s->got_op[s->ngot] = buf[0] & 0x0f;
                s->got_len[s->ngot] = len;
                for (size_t i = 0; i < len && i < 128; i++)
                    s->got_payload[s->ngot][i] = buf[hl + 4 + i] ^ buf[hl + (i & 3)];
                s->ngot++;
            }
            memmove(buf, buf + hl + 4 + len, have - (hl + 4 + len));
            have -= hl + 4 + len;
        }
    }
}

static void *srv_main(void *arg)
{
    struct srv *s = arg;
    char req[4096], ans[512], cat[128], acc[64];
    unsigned char sha[SHA_DIGEST_LENGTH];
    size_t have = 0;
    int fd = accept(s->lfd, NULL, NULL), one = 1, n;
    const char *k, *e;

    if (fd < 0)
        return NULL;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    while (have < sizeof(req) - 1) {
        ssize_t r = recv(fd, req + have, sizeof(req) - 1 - have, 0);

        if (r <= 0)
            goto out;
        have += (size_t)r;
        req[have] = '\0';
        if (strstr(req, "\r\n\r\n"))
            break;
    }
    k = strstr(req, "Sec-WebSocket-Key: ");
    if (!k)
        goto out;
    k += 19;
    e = strstr(k, "\r\n");
    n = snprintf(cat, sizeof(cat), "%.*s258EAFA5-E914-47DA-95CA-C5AB0DC85B11", (int)(e - k), k);
    SHA1((unsigned char *)cat, (size_t)n, sha);
    EVP_EncodeBlock((unsigned char *)acc, sha, sizeof(sha));
    if (s->answer == ANS_BAD_ACCEPT)
        acc[0] = acc[0] == 'A' ? 'B' : 'A';
    if (s->answer == ANS_404)
        n = snprintf(ans, sizeof(ans), "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
    else
        n = snprintf(ans, sizeof(ans),
                     "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nsec-websocket-accept:  %s \r\n\r\n", acc);
    if (s->with_answer) {
        unsigned char *all = malloc((size_t)n + s->script_len);

        assert_non_null(all);
        memcpy(all, ans, (size_t)n);
        memcpy(all + n, s->script, s->script_len);
        write_all(fd, all, (size_t)n + s->script_len);
        free(all);
    } else {
        size_t i = 0;

        write_all(fd, ans, (size_t)n);
        usleep(20000);
        /* Cut at every place: 1 to 3 bytes per write, each read apart. */
        while (i < s->chunk_upto && i < s->script_len) {
            size_t c = 1 + i % 3;

            if (c > s->chunk_upto - i)
                c = s->chunk_upto - i;
            write_all(fd, s->script + i, c);
            i += c;
            usleep(300);
        }
        if (i < s->script_len)
            write_all(fd, s->script + i, s->script_len - i);
    }
    read_client(s, fd);
out:
    close(fd);
    return NULL;
}

static void srv_start(struct srv *s)
{
    struct sockaddr_in sa = {.sin_family = AF_INET};
    socklen_t sl = sizeof(sa);

    s->lfd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(s->lfd >= 0);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(s->lfd, 4), 0);
    assert_int_equal(getsockname(s->lfd, (struct sockaddr *)&sa, &sl), 0);
    s->port = ntohs(sa.sin_port);
    assert_int_equal(pthread_create(&s->th, NULL, srv_main, s), 0);
}

static void srv_stop(struct srv *s)
{
    shutdown(s->lfd, SHUT_RDWR);
    pthread_join(s->th, NULL);
    close(s->lfd);
    free(s->script);
}

/* ---- the client ---- */

struct cl {
    int opens, msgs, closes;
    char msg[8][80000];
    size_t len[8];
    char reason[200];
};

static void on_open(void *u, struct wsc_conn *c)
{
    (void)c;
    ((struct cl *)u)->opens++;
}

static void on_message(void *u, struct wsc_conn *c, const char *m, size_t len)
{
    struct cl *t = u;

    (void)c;
    if (t->msgs < 8 && len < sizeof(t->msg[0])) {
        memcpy(t->msg[t->msgs], m, len + 1);
        t->len[t->msgs] = len;
    }
    t->msgs++;
}

static void on_close(void *u, struct wsc_conn *c, const char *reason)
{
    struct cl *t = u;

    if (!t->closes++)
        snprintf(t->reason, sizeof(t->reason), "%s", reason);
    wsc_close(c); /* no reconnect: the server takes one connection */
}

static const struct wsc_callbacks cbs = {on_open, on_message, on_close, NULL, NULL};

/* Runs a client against s until cond or 5 s. */
#define RUN(cl_, s_, cond)                                                                         \
    do {                                                                                           \
        char err_[ERR_LEN], url_[64];                                                              \
        struct wsc *w_ = wsc_new(NULL, &cbs, &(cl_), err_);                                        \
        uint64_t end_ = timefmt_mono_ns() + 5000 * MS;                                             \
        assert_non_null(w_);                                                                       \
        snprintf(url_, sizeof url_, "ws://127.0.0.1:%d/", (s_).port);                              \
        assert_non_null(wsc_connect(w_, url_, NULL, err_));                                        \
        while (!(cond) && timefmt_mono_ns() < end_)                                                \
            assert_int_equal(wsc_service(w_, 20), 0);                                              \
        if (!(cond))                                                                               \
            fail_msg("timed out waiting for %s (reason: %s)", #cond, (cl_).reason);                \
        wsc_free(w_);                                                                              \
    } while (0)

static void test_frames_cut_everywhere(void **state)
{
    static struct srv s;
    static struct cl t;
    char *big = malloc(70000), mid[300];

    (void)state;
    memset(&s, 0, sizeof(s));
    memset(&t, 0, sizeof(t));
    assert_non_null(big);
    memset(big, 'b', 70000);
    memset(mid, 'm', sizeof(mid));
    put(&s.script, &s.script_len, 0x1, true, false, "hello", 5);
    put(&s.script, &s.script_len, 0x1, true, false, mid, sizeof(mid));
    put(&s.script, &s.script_len, 0x1, false, false, "fra", 3);
    put(&s.script, &s.script_len, 0x9, true, false, "pp", 2); /* a PING between fragments */
    put(&s.script, &s.script_len, 0x0, false, false, "", 0);
    put(&s.script, &s.script_len, 0x0, true, false, "gment", 5);
    put(&s.script, &s.script_len, 0x1, true, false, "", 0);
    put(&s.script, &s.script_len, 0x1, true, false, big, 70000);
    put(&s.script, &s.script_len, 0x8, true, false, "\x03\xe9" "bye", 5);
    s.chunk_upto = 400;
    srv_start(&s);
    RUN(t, s, t.closes == 1);
    srv_stop(&s);
    assert_int_equal(t.opens, 1);
    assert_int_equal(t.msgs, 5);
    assert_string_equal(t.msg[0], "hello");
    assert_int_equal(t.len[1], 300);
    assert_memory_equal(t.msg[1], mid, 300);
    assert_string_equal(t.msg[2], "fragment");
    assert_int_equal(t.len[3], 0);
    assert_int_equal(t.len[4], 70000);
    assert_memory_equal(t.msg[4], big, 70000);
    assert_string_equal(t.reason, "closed by peer (code 1001: bye)");
    /* The server heard a PONG with the PING's payload, then the close
     * echoed with its code; every client frame masked. */
    assert_int_equal(s.ngot, 2);
    assert_int_equal(s.got_op[0], 0xA);
    assert_int_equal(s.got_len[0], 2);
    assert_memory_equal(s.got_payload[0], "pp", 2);
    assert_int_equal(s.got_op[1], 0x8);
    assert_int_equal(s.got_len[1], 2);
    assert_memory_equal(s.got_payload[1], "\x03\xe9", 2);
    assert_true(s.all_masked);
    free(big);
}

static void test_frames_with_answer(void **state)
{
    static struct srv s;
    static struct cl t;

    (void)state;
    memset(&s, 0, sizeof(s));
    memset(&t, 0, sizeof(t));
    put(&s.script, &s.script_len, 0x1, true, false, "first", 5);
    put(&s.script, &s.script_len, 0x1, true, false, "second", 6);
    s.with_answer = true;
    srv_start(&s);
    RUN(t, s, t.msgs == 2);
    srv_stop(&s);
    assert_string_equal(t.msg[0], "first");
    assert_string_equal(t.msg[1], "second");
}

/* Each failure a client must fail on, by the reason it gives. */
static void failure(enum answer a, unsigned op, bool fin, bool mask, size_t len, const char *want)
{
    static struct srv s;
    static struct cl t;
    char pay[200];

    memset(&s, 0, sizeof(s));
    memset(&t, 0, sizeof(t));
    memset(pay, 'p', sizeof(pay));
    s.answer = a;
    if (op != 0xff)
        put(&s.script, &s.script_len, op, fin, mask, pay, len);
    srv_start(&s);
    RUN(t, s, t.closes == 1);
    srv_stop(&s);
    assert_int_equal(t.msgs, 0);
    if (!strstr(t.reason, want))
        fail_msg("reason \"%s\" lacks \"%s\"", t.reason, want);
}

static void test_failures(void **state)
{
    (void)state;
    failure(ANS_404, 0xff, true, false, 0, "websocket handshake refused: HTTP/1.1 404 Not Found");
    failure(ANS_BAD_ACCEPT, 0xff, true, false, 0,
            "websocket handshake failed: wrong Sec-WebSocket-Accept");
    failure(ANS_OK, 0x1, true, true, 5, "protocol error: masked frame from the server");
    failure(ANS_OK, 0x9, false, false, 2, "fragmented or long control frame");
    failure(ANS_OK, 0x9, true, false, 126, "fragmented or long control frame");
    failure(ANS_OK, 0x0, true, false, 3, "continuation without a message");
    failure(ANS_OK, 0x3, true, false, 3, "protocol error: opcode 3");
    failure(ANS_OK, 0x41, true, false, 3, "reserved bits set");
}

/* A frame that announces more than the limit fails the connection before
 * anything is buffered (the 64 MiB it announces never follow), with close
 * code 1009 sent to the server. */
static void test_over_limit(void **state)
{
    static struct srv s;
    static struct cl t;
    static const unsigned char hdr[] = {0x81, 127, 0, 0, 0, 0, 0x04, 0, 0, 0, 'x', 'y'};

    (void)state;
    memset(&s, 0, sizeof(s));
    memset(&t, 0, sizeof(t));
    s.script = malloc(sizeof(hdr));
    assert_non_null(s.script);
    memcpy(s.script, hdr, sizeof(hdr));
    s.script_len = sizeof(hdr);
    srv_start(&s);
    RUN(t, s, t.closes == 1);
    srv_stop(&s);
    assert_int_equal(t.msgs, 0);
    if (!strstr(t.reason, "received message over max_frame (at least 67108864 bytes > "))
        fail_msg("reason \"%s\"", t.reason);
    assert_int_equal(s.ngot, 1);
    assert_int_equal(s.got_op[0], 0x8);
    assert_int_equal(s.got_len[0], 2);
    assert_memory_equal(s.got_payload[0], "\x03\xf1", 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frames_cut_everywhere),
        cmocka_unit_test(test_frames_with_answer),
        cmocka_unit_test(test_failures),
        cmocka_unit_test(test_over_limit),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
