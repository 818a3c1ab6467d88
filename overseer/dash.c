/* dash.c - the dashboard's HTTP server (the only user of libmicrohttpd):
 * binding, the token, and the endpoints. The state and the feed are in
 * dash_hub.c; what is rendered is in dash_json.c, dash_metrics.c,
 * dash_sse.c and the page (dash_page.html, built into dash_page.c).
 *
 * libmicrohttpd runs one thread per connection (bounded): an event stream
 * waits on the hub's condition variable between frames, so a slow or
 * stalled client only ever holds its own thread. */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "dash_impl.h"
#include "dash_metrics.h"
#include "dash_page.h"
#include "err.h"
#include "report_impl.h"

#define DASH_KEEPALIVE_S 4 /* well under DASH_CLIENT_TIMEOUT_S: an idle stream stays open */
#define DASH_SSE_CHUNK (64u << 10)

/* One event stream. */
struct dash_client {
    struct dash *d;
    uint64_t next;      /* the last id sent */
    struct sbuf out;    /* frames not yet handed to MHD */
    size_t off;
};

/* ---- responses ---- */

static enum MHD_Result dash_send(struct MHD_Connection *c, unsigned status, const char *type,
                                 struct sbuf *body)
{
    struct MHD_Response *r;
    enum MHD_Result ok;

    if (body->overflow) {
        sbuf_free(body);
        status = MHD_HTTP_INTERNAL_SERVER_ERROR;
        sbuf_adds(body, "out of memory\n");
        type = "text/plain; charset=utf-8";
    }
    /* The sbuf's storage is handed to MHD, which frees it. */
    r = MHD_create_response_from_buffer(body->len, body->len ? body->buf : (void *)"",
                                        body->len ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (r == NULL) {
        sbuf_free(body);
        return MHD_NO;
    }
    body->buf = NULL;
    body->len = body->cap = 0;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    /* The page may talk to this server only: no external request at all. */
    MHD_add_response_header(r, "Content-Security-Policy",
                            "default-src 'none'; script-src 'unsafe-inline'; style-src "
                            "'unsafe-inline'; connect-src 'self'; img-src 'self' data:; "
                            "base-uri 'none'; form-action 'none'");
    ok = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ok;
}

static enum MHD_Result dash_text(struct MHD_Connection *c, unsigned status, const char *text)
{
    struct sbuf b;

    sbuf_init(&b);
    sbuf_adds(&b, text);
    return dash_send(c, status, "text/plain; charset=utf-8", &b);
}

/* ---- the event stream ---- */

static ssize_t dash_sse_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct dash_client *cl = cls;
    struct dash_hub *h = &cl->d->hub;
    size_t n;

    (void)pos;
    if (cl->off == cl->out.len) {
        struct timespec until;
        long got = 0;

        sbuf_reset(&cl->out);
        cl->off = 0;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += DASH_KEEPALIVE_S;
        bool closing;

        pthread_mutex_lock(&h->mu);
        while (!h->closing && dash_sse_last_id(h->ring) <= cl->next)
            if (pthread_cond_timedwait(&h->news, &h->mu, &until) == ETIMEDOUT)
                break;
        got = dash_sse_read(h->ring, cl->next, DASH_SSE_CHUNK, &cl->out, &cl->next);
        closing = h->closing;
        pthread_mutex_unlock(&h->mu);
        if (got < 0)
            return MHD_CONTENT_READER_END_WITH_ERROR; /* fell behind the buffer: dropped */
        if (got == 0 && closing)
            return MHD_CONTENT_READER_END_OF_STREAM; /* everything was sent */
        if (got == 0)
            sbuf_adds(&cl->out, ": keep-alive\n\n");
        if (cl->out.overflow)
            return MHD_CONTENT_READER_END_WITH_ERROR;
    }
    n = cl->out.len - cl->off;
    if (n > max)
        n = max;
    memcpy(buf, cl->out.buf + cl->off, n);
    cl->off += n;
    return (ssize_t)n;
}

static void dash_sse_done(void *cls)
{
    struct dash_client *cl = cls;

    pthread_mutex_lock(&cl->d->hub.mu);
    cl->d->sse_clients--;
    pthread_mutex_unlock(&cl->d->hub.mu);
    sbuf_free(&cl->out);
    free(cl);
}

static enum MHD_Result dash_events(struct dash *d, struct MHD_Connection *c)
{
    const char *last = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Last-Event-ID");
    struct MHD_Response *r;
    struct dash_client *cl;
    uint64_t id = 0;
    bool have = false, full;
    enum MHD_Result ok;

    if (last == NULL)
        last = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "last_id");
    if (last != NULL && !(have = dash_sse_parse_id(last, &id)))
        return dash_text(c, MHD_HTTP_BAD_REQUEST, "Last-Event-ID: not a number\n");
    pthread_mutex_lock(&d->hub.mu);
    full = d->sse_clients >= DASH_MAX_SSE;
    if (!full)
        d->sse_clients++;
    {
        /* Without an id, with one the buffer no longer reaches back to, or
         * with one from another run (ahead of ours), the stream starts at
         * the oldest frame held. */
        uint64_t first = dash_sse_first_id(d->hub.ring);
        if (!have || id > dash_sse_last_id(d->hub.ring) || (first > 0 && id + 1 < first))
            id = first > 0 ? first - 1 : dash_sse_last_id(d->hub.ring);
    }
    pthread_mutex_unlock(&d->hub.mu);
    if (full)
        return dash_text(c, MHD_HTTP_SERVICE_UNAVAILABLE, "too many event streams\n");
    cl = calloc(1, sizeof *cl);
    if (cl == NULL) {
        pthread_mutex_lock(&d->hub.mu);
        d->sse_clients--; /* gives the place back */
        pthread_mutex_unlock(&d->hub.mu);
        return MHD_NO;
    }
    cl->d = d;
    cl->next = id;
    sbuf_init(&cl->out);
    r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384, dash_sse_reader, cl,
                                          dash_sse_done);
    if (r == NULL) {
        dash_sse_done(cl);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream; charset=utf-8");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    ok = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ok;
}

/* ---- the other endpoints ---- */

static enum MHD_Result dash_metrics(struct dash *d, struct MHD_Connection *c)
{
    struct dash_state *st = dash_hub_state(&d->hub);
    struct sbuf b;

    sbuf_init(&b);
    if (st == NULL)
        b.overflow = true;
    else
        dash_metrics_render(&b, st);
    free(st);
    return dash_send(c, MHD_HTTP_OK, DASH_METRICS_CONTENT_TYPE, &b);
}

/* summary.csv as [{column: value, ...}, ...] (the file is flushed row by row). */
static enum MHD_Result dash_summary(struct dash *d, struct MHD_Connection *c)
{
    char path[4200], err[ERR_LEN];
    struct rcsv csv;
    struct sbuf b;

    snprintf(path, sizeof path, "%s/summary.csv", d->out_dir);
    sbuf_init(&b);
    if (rcsv_load(&csv, path, err) < 0) {
        rcsv_free(&csv);
        sbuf_adds(&b, "{\"error\":");
        sbuf_add_json_str(&b, err, strlen(err));
        sbuf_adds(&b, "}");
        return dash_send(c, MHD_HTTP_SERVICE_UNAVAILABLE, "application/json", &b);
    }
    sbuf_addc(&b, '[');
    for (size_t row = 0; row < csv.nrows; row++) {
        sbuf_adds(&b, row ? ",\n{" : "{");
        for (size_t col = 0; col < csv.ncols; col++) {
            const char *name = rcsv_name(&csv, col);
            if (col)
                sbuf_addc(&b, ',');
            sbuf_add_json_str(&b, name, strlen(name));
            sbuf_addc(&b, ':');
            dash_json_cell(&b, rcsv_cell(&csv, row, (int)col));
        }
        sbuf_addc(&b, '}');
    }
    sbuf_adds(&b, "]\n");
    rcsv_free(&csv);
    return dash_send(c, MHD_HTTP_OK, "application/json", &b);
}

static enum MHD_Result dash_report(struct dash *d, struct MHD_Connection *c)
{
    char path[4200], chunk[65536];
    struct sbuf b;
    FILE *f;
    size_t n;

    snprintf(path, sizeof path, "%s/report.html", d->out_dir);
    f = fopen(path, "rb");
    if (f == NULL)
        return dash_text(c, MHD_HTTP_NOT_FOUND, "the report is written when the run ends\n");
    sbuf_init(&b);
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        sbuf_add(&b, chunk, n);
    fclose(f);
    return dash_send(c, MHD_HTTP_OK, "text/html; charset=utf-8", &b);
}

/* The token, compared in constant time. */
static bool dash_token_ok(const struct dash *d, const char *given)
{
    size_t n = strlen(d->token), m = given != NULL ? strlen(given) : 0;
    unsigned char diff = (unsigned char)(n != m);

    if (given == NULL)
        return false;
    for (size_t i = 0; i < n; i++)
        diff |= (unsigned char)(d->token[i] ^ given[i < m ? i : 0]);
    return diff == 0;
}

static bool dash_authorized(const struct dash *d, struct MHD_Connection *c)
{
    const char *auth, *q;

    if (d->token[0] == '\0')
        return true;
    auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    if (auth != NULL && strncasecmp(auth, "Bearer ", 7) == 0 && dash_token_ok(d, auth + 7))
        return true;
    q = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "token");
    return dash_token_ok(d, q);
}

static enum MHD_Result dash_handle(void *cls, struct MHD_Connection *c, const char *url,
                                   const char *method, const char *version,
                                   const char *upload, size_t *upload_size, void **con_cls)
{
    struct dash *d = cls;

    (void)version;
    (void)upload;
    (void)con_cls;
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
        *upload_size = 0;
        return dash_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "read-only: GET only\n");
    }
    if (!dash_authorized(d, c)) {
        struct sbuf b;
        sbuf_init(&b);
        sbuf_adds(&b, "a token is needed: Authorization: Bearer TOKEN, or ?token=TOKEN\n");
        return dash_send(c, MHD_HTTP_UNAUTHORIZED, "text/plain; charset=utf-8", &b);
    }
    if (strcmp(url, "/") == 0 || strcmp(url, "/index.html") == 0) {
        struct sbuf b;
        sbuf_init(&b);
        sbuf_add(&b, dash_page_html, dash_page_len);
        return dash_send(c, MHD_HTTP_OK, "text/html; charset=utf-8", &b);
    }
    if (strcmp(url, "/events") == 0)
        return dash_events(d, c);
    if (strcmp(url, "/metrics") == 0)
        return dash_metrics(d, c);
    if (strcmp(url, "/api/summary") == 0)
        return dash_summary(d, c);
    if (strcmp(url, "/api/history") == 0) {
        struct sbuf b;
        sbuf_init(&b);
        dash_hub_history(&d->hub, &b);
        return dash_send(c, MHD_HTTP_OK, "application/json", &b);
    }
    if (strcmp(url, "/report.html") == 0)
        return dash_report(d, c);
    return dash_text(c, MHD_HTTP_NOT_FOUND, "not found\n");
}

/* ---- binding ---- */

static bool dash_loopback(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
    if (sa->sa_family == AF_INET6)
        return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)sa)->sin6_addr);
    return false;
}

/* "[ADDR:]PORT" -> a bound, listening socket; *loop: whether it is loopback. */
static int dash_listen(const char *spec, bool *loop, bool *busy, char *url, size_t urlcap,
                       char *err)
{
    char host[256] = "127.0.0.1", port[16];
    const char *colon = strrchr(spec, ':');
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE}, *ai = NULL;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    int fd = -1, one = 1, rc;

    if (colon != NULL) {
        size_t n = (size_t)(colon - spec);
        if (n >= 2 && spec[0] == '[' && spec[n - 1] == ']') {
            spec++;
            n -= 2;
        }
        if (n == 0 || n >= sizeof host)
            return err_set(err, "--dashboard %s: bad address (want [ADDR:]PORT)", spec);
        memcpy(host, spec, n);
        host[n] = '\0';
        spec = colon + 1;
    }
    if (strlen(spec) == 0 || strlen(spec) >= sizeof port || strspn(spec, "0123456789") != strlen(spec) ||
        atol(spec) > 65535)
        return err_set(err, "--dashboard: bad port \"%s\"", spec);
    snprintf(port, sizeof port, "%s", spec);
    if (strcmp(host, "localhost") != 0)
        hints.ai_flags |= AI_NUMERICHOST;
    if ((rc = getaddrinfo(host, port, &hints, &ai)) != 0)
        return err_set(err, "--dashboard %s:%s: %s", host, port, gai_strerror(rc));
    *loop = dash_loopback(ai->ai_addr);
    fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        err_set(err, "dashboard: socket: %s", strerror(errno));
        goto fail;
    }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 64) < 0) {
        if (busy != NULL)
            *busy = errno == EADDRINUSE;
        err_set(err, "dashboard: cannot listen on %s:%s: %s", host, port, strerror(errno));
        goto fail;
    }
    getsockname(fd, (struct sockaddr *)&ss, &sl);
    {
        char a[INET6_ADDRSTRLEN] = "?";
        unsigned p;
        if (ss.ss_family == AF_INET6) {
            inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, a, sizeof a);
            p = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
            snprintf(url, urlcap, "http://[%s]:%u/", a, p);
        } else {
            inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, a, sizeof a);
            p = ntohs(((struct sockaddr_in *)&ss)->sin_port);
            snprintf(url, urlcap, "http://%s:%u/", a, p);
        }
    }
    freeaddrinfo(ai);
    return fd;
fail:
    if (fd >= 0)
        close(fd);
    freeaddrinfo(ai);
    return -1;
}

static int dash_read_token(struct dash *d, const char *path, char *err)
{
    FILE *f = fopen(path, "r");
    size_t n;

    if (f == NULL)
        return err_set(err, "--dashboard-token %s: %s", path, strerror(errno));
    if (fgets(d->token, sizeof d->token, f) == NULL)
        d->token[0] = '\0';
    fclose(f);
    n = strcspn(d->token, "\r\n");
    d->token[n] = '\0';
    while (n > 0 && (d->token[n - 1] == ' ' || d->token[n - 1] == '\t'))
        d->token[--n] = '\0';
    if (n < 8)
        return err_set(err, "--dashboard-token %s: the first line must hold a token of at least "
                       "8 characters", path);
    return 0;
}

struct dash *dash_new(const struct dash_config *cfg, bool *busy, char *err)
{
    struct dash *d = calloc(1, sizeof *d);
    bool loop = false;

    if (busy != NULL)
        *busy = false;
    if (d == NULL) {
        err_set(err, "dashboard: out of memory");
        return NULL;
    }
    d->fd = -1;
    snprintf(d->out_dir, sizeof d->out_dir, "%s", cfg->out_dir);
    if (cfg->token_file != NULL && dash_read_token(d, cfg->token_file, err) < 0)
        goto fail;
    d->fd = dash_listen(cfg->listen, &loop, busy, d->url, sizeof d->url, err);
    if (d->fd < 0)
        goto fail;
    if (!loop && d->token[0] == '\0') {
        err_set(err, "--dashboard %s is not a loopback address: it needs --dashboard-token FILE",
                cfg->listen);
        goto fail;
    }
    if (dash_hub_start(&d->hub, cfg->t0_ns, err) < 0)
        goto fail;
    d->mhd = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
                                  MHD_USE_POLL,
                              0, NULL, NULL, dash_handle, d, MHD_OPTION_LISTEN_SOCKET, d->fd,
                              MHD_OPTION_CONNECTION_LIMIT, (unsigned)DASH_MAX_CONN,
                              MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)DASH_CLIENT_TIMEOUT_S,
                              MHD_OPTION_THREAD_STACK_SIZE, (size_t)(256u << 10),
                              MHD_OPTION_END);
    if (d->mhd == NULL) {
        err_set(err, "dashboard: the HTTP server did not start on %s", d->url);
        goto fail;
    }
    d->fd = -1; /* MHD closes the listening socket when it stops */
    return d;
fail:
    dash_free(d);
    return NULL;
}

void dash_free(struct dash *d)
{
    if (d == NULL)
        return;
    dash_hub_stop(&d->hub); /* streams end, so their threads can be joined */
    if (d->mhd != NULL)
        MHD_stop_daemon(d->mhd);
    if (d->fd >= 0)
        close(d->fd);
    dash_hub_free(&d->hub);
    explicit_bzero(d->token, sizeof d->token);
    free(d);
}

const char *dash_url(const struct dash *d)
{
    return d->url;
}
