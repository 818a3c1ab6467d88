/* ws_echo_server.c - see ws_echo_server.h. Test code: it allocates per
 * message, which the client under test must not. */
#include "ws_echo_server.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libwebsockets.h>

#include "err.h"

#define WS_ECHO_CHUNK 65536
#define WS_ECHO_MAX_MSG ((size_t)64 << 20)

struct ws_echo_msg {
    struct ws_echo_msg *next;
    size_t len, off;
    unsigned char data[]; /* LWS_PRE + len */
};

struct ws_echo_pss {
    struct lws *wsi;
    char *rx;
    size_t rxlen, rxcap;
    struct ws_echo_msg *head, *tail;
    lws_sorted_usec_list_t sul_pause;
};

/* Shared with a child process when there is one. */
struct ws_echo_counters {
    atomic_uint_least64_t messages, bytes, accepted;
    atomic_int port; /* 0 until listening, -1 when the child failed */
};

struct ws_echo {
    struct lws_context *ctx;
    struct lws_protocols protocols[2];
    bool sink;
    pthread_t thread;
    pid_t child;
    atomic_bool stop;
    struct ws_echo_counters *n;
};

static void unpause_cb(lws_sorted_usec_list_t *sul)
{
    struct ws_echo_pss *p = lws_container_of(sul, struct ws_echo_pss, sul_pause);

    lws_rx_flow_control(p->wsi, 1);
}

static int queue_msg(struct lws *wsi, struct ws_echo_pss *p, const char *data, size_t len, char fill)
{
    struct ws_echo_msg *m = malloc(sizeof(*m) + LWS_PRE + len);

    if (!m)
        return -1;
    m->next = NULL;
    m->len = len;
    m->off = 0;
    if (data)
        memcpy(m->data + LWS_PRE, data, len);
    else
        memset(m->data + LWS_PRE, fill, len);
    if (p->tail)
        p->tail->next = m;
    else
        p->head = m;
    p->tail = m;
    lws_callback_on_writable(wsi);
    return 0;
}

/* Returns -1 to close the connection. */
static int handle_msg(struct ws_echo *s, struct lws *wsi, struct ws_echo_pss *p)
{
    const char *m = p->rx;
    size_t len = p->rxlen;
    unsigned long v = 0;

    if (len && m[0] == '!') {
        if (sscanf(m, "!close %lu", &v) == 1) {
            lws_close_reason(wsi, (enum lws_close_status)v, (unsigned char *)"test close", 10);
            return -1;
        }
        if (!strncmp(m, "!drop", 5)) {
            shutdown((int)lws_get_socket_fd(wsi), SHUT_RDWR);
            return -1;
        }
        if (sscanf(m, "!pause %lu", &v) == 1) {
            lws_rx_flow_control(wsi, 0);
            lws_sul_schedule(s->ctx, 0, &p->sul_pause, unpause_cb, (lws_usec_t)v * 1000);
            return 0;
        }
        if (sscanf(m, "!freeze %lu", &v) == 1) {
            struct timespec ts = {(time_t)(v / 1000), (long)(v % 1000) * 1000000};

            while (nanosleep(&ts, &ts) && errno == EINTR)
                ;
            return 0;
        }
        if (sscanf(m, "!big %lu", &v) == 1)
            return queue_msg(wsi, p, NULL, v, 'x');
        return -1;
    }
    atomic_fetch_add(&s->n->messages, 1);
    atomic_fetch_add(&s->n->bytes, len);
    if (s->sink)
        return 0;
    return queue_msg(wsi, p, m, len, 0);
}

static int write_some(struct lws *wsi, struct ws_echo_pss *p)
{
    while (p->head && !lws_send_pipe_choked(wsi)) {
        struct ws_echo_msg *m = p->head;
        size_t n = m->len - m->off;
        int flags = m->off ? LWS_WRITE_CONTINUATION : LWS_WRITE_TEXT;

        if (n > WS_ECHO_CHUNK) {
            n = WS_ECHO_CHUNK;
            flags |= LWS_WRITE_NO_FIN;
        }
        if (lws_write(wsi, m->data + LWS_PRE + m->off, n, (enum lws_write_protocol)flags) < 0)
            return -1;
        m->off += n;
        if (m->off == m->len) {
            p->head = m->next;
            if (!p->head)
                p->tail = NULL;
            free(m);
        }
    }
    if (p->head)
        lws_callback_on_writable(wsi);
    return 0;
}

static int ws_echo_cb(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                      size_t len)
{
    struct lws_context *ctx = lws_get_context(wsi);
    struct ws_echo *s = ctx ? lws_context_user(ctx) : NULL;
    struct ws_echo_pss *p = user;

    switch (reason) {
    case LWS_CALLBACK_ESTABLISHED:
        memset(p, 0, sizeof(*p));
        p->wsi = wsi;
        atomic_fetch_add(&s->n->accepted, 1);
        return 0;
    case LWS_CALLBACK_RECEIVE:
        if (p->rxlen + len + 1 > p->rxcap) {
            size_t cap = p->rxcap ? p->rxcap : 4096;
            char *r;

            while (cap < p->rxlen + len + 1)
                cap *= 2;
            if (cap > WS_ECHO_MAX_MSG || !(r = realloc(p->rx, cap)))
                return -1;
            p->rx = r;
            p->rxcap = cap;
        }
        memcpy(p->rx + p->rxlen, in, len);
        p->rxlen += len;
        if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi))
            return 0;
        p->rx[p->rxlen] = '\0';
        {
            int r = handle_msg(s, wsi, p);
            p->rxlen = 0;
            return r;
        }
    case LWS_CALLBACK_SERVER_WRITEABLE:
        return write_some(wsi, p);
    case LWS_CALLBACK_CLOSED:
        lws_sul_cancel(&p->sul_pause);
        while (p->head) {
            struct ws_echo_msg *m = p->head;
            p->head = m->next;
            free(m);
        }
        p->tail = NULL;
        free(p->rx);
        p->rx = NULL;
        return 0;
    default:
        return 0;
    }
}

static void *ws_echo_thread(void *arg)
{
    struct ws_echo *s = arg;

    while (!atomic_load(&s->stop))
        if (lws_service(s->ctx, 0) < 0)
            break;
    return NULL;
}

static struct lws_context *create_context(struct ws_echo *s, const struct ws_echo_config *cfg)
{
    struct lws_context_creation_info info;

    lws_set_log_level(LLL_ERR, NULL);
    memset(&info, 0, sizeof(info));
    info.port = 0; /* ephemeral */
    info.iface = "127.0.0.1";
    info.protocols = s->protocols;
    info.user = s;
    info.count_threads = 1;
    info.pt_serv_buf_size = WS_ECHO_CHUNK;
    if (cfg && cfg->cert_file) {
        info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
        info.ssl_cert_filepath = cfg->cert_file;
        info.ssl_private_key_filepath = cfg->key_file;
    }
    return lws_create_context(&info);
}

/* libwebsockets 4.1.6 never frees the client SSL_CTX (and CA store, ~700 KB)
 * of a TLS context if another TLS context was created after it in the same
 * process (a process-global ex_data index; wsc avoids it by giving lws its
 * own SSL_CTX, this server does not). So a TLS server runs in a child
 * process, and the process under test stays leak-free. The child dies with
 * its parent. */
static void run_child(struct ws_echo *s, const struct ws_echo_config *cfg, pid_t parent)
{
    int port;

    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(1);
    s->ctx = create_context(s, cfg);
    port = s->ctx ? lws_get_vhost_listen_port(lws_get_vhost_by_name(s->ctx, "default")) : -1;
    atomic_store(&s->n->port, port > 0 ? port : -1);
    if (port <= 0)
        _exit(1);
    for (;;)
        lws_service(s->ctx, 0);
}

struct ws_echo *ws_echo_start(const struct ws_echo_config *cfg, char *err)
{
    struct ws_echo *s = calloc(1, sizeof(*s));

    if (!s) {
        err_set(err, "ws_echo_start: out of memory");
        return NULL;
    }
    s->n = mmap(NULL, sizeof(*s->n), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (s->n == MAP_FAILED) {
        free(s);
        err_set(err, "ws_echo_start: mmap: %s", strerror(errno));
        return NULL;
    }
    s->sink = cfg && cfg->sink;
    s->protocols[0].name = "ws-echo";
    s->protocols[0].callback = ws_echo_cb;
    s->protocols[0].per_session_data_size = sizeof(struct ws_echo_pss);
    s->protocols[0].rx_buffer_size = WS_ECHO_CHUNK;
    s->protocols[0].tx_packet_size = WS_ECHO_CHUNK;

    if (cfg && cfg->cert_file) {
        pid_t parent = getpid();

        s->child = fork();
        if (s->child < 0) {
            err_set(err, "ws_echo_start: fork: %s", strerror(errno));
            goto fail;
        }
        if (s->child == 0)
            run_child(s, cfg, parent);
        for (int i = 0; i < 5000 && !atomic_load(&s->n->port); i++)
            usleep(1000);
        if (atomic_load(&s->n->port) <= 0) {
            err_set(err, "ws_echo_start: the TLS server did not start (check %s)", cfg->cert_file);
            goto fail;
        }
        return s;
    }
    s->ctx = create_context(s, cfg);
    if (!s->ctx) {
        err_set(err, "ws_echo_start: cannot create the server context");
        goto fail;
    }
    atomic_store(&s->n->port, lws_get_vhost_listen_port(lws_get_vhost_by_name(s->ctx, "default")));
    if (atomic_load(&s->n->port) <= 0) {
        err_set(err, "ws_echo_start: no listening port");
        goto fail;
    }
    if (pthread_create(&s->thread, NULL, ws_echo_thread, s)) {
        err_set(err, "ws_echo_start: cannot start the thread");
        goto fail;
    }
    return s;
fail:
    if (s->child > 0) {
        kill(s->child, SIGKILL);
        waitpid(s->child, NULL, 0);
    }
    if (s->ctx)
        lws_context_destroy(s->ctx);
    munmap(s->n, sizeof(*s->n));
    free(s);
    return NULL;
}

void ws_echo_stop(struct ws_echo *s)
{
    if (!s)
        return;
    if (s->child > 0) {
        kill(s->child, SIGKILL);
        waitpid(s->child, NULL, 0);
    } else {
        atomic_store(&s->stop, true);
        lws_cancel_service(s->ctx);
        pthread_join(s->thread, NULL);
        lws_context_destroy(s->ctx);
    }
    munmap(s->n, sizeof(*s->n));
    free(s);
}

int ws_echo_port(const struct ws_echo *s)
{
    return atomic_load(&s->n->port);
}

uint64_t ws_echo_messages(const struct ws_echo *s)
{
    return atomic_load(&s->n->messages);
}

uint64_t ws_echo_bytes(const struct ws_echo *s)
{
    return atomic_load(&s->n->bytes);
}

uint64_t ws_echo_accepted(const struct ws_echo *s)
{
    return atomic_load(&s->n->accepted);
}
