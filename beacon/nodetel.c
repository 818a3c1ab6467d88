/* nodetel.c - see nodetel.h.
 *
 * Its own thread and client, so that a stopped or slow node (whose answer
 * never comes) delays nothing but its own telemetry, and the tracker's
 * block reading never delays a poll. At most one request is outstanding per
 * node: a node that does not answer is not flooded, and its figures are
 * simply absent for those seconds. */
#include "nodetel.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "jv.h"
#include "nodetel_model.h"
#include "reply.h"
#include "timefmt.h"
#include "wsc.h"

#define NODETEL_PERIOD_NS UINT64_C(1000000000)
#define NODETEL_MAX_RX (256u << 10) /* the properties are under 1 KB; errors small */

struct nodetel_link {
    struct nodetel *nt;
    struct wsc_conn *conn;
    unsigned index;
    uint64_t next_id;
    uint64_t pending_id; /* the request awaiting its answer (0: none) */
    bool want;           /* a request is due: send it when writable */
};

struct nodetel {
    pthread_t tid;
    atomic_bool stop;
    struct wsc *w;
    struct nodetel_link *links;
    size_t nlinks;
    pthread_mutex_t lock; /* guards model */
    struct nodetel_model *model;
};

static void nodetel_on_open(void *user, struct wsc_conn *c)
{
    struct nodetel_link *l = wsc_conn_tag(c);
    (void)user;

    l->pending_id = 0;
    l->want = true;
    wsc_want_write(c);
}

static void nodetel_on_close(void *user, struct wsc_conn *c, const char *reason)
{
    struct nodetel_link *l = wsc_conn_tag(c);
    (void)user;
    (void)reason; /* the send path reports connection problems; absence says it here */

    l->pending_id = 0;
    l->want = false;
}

static void nodetel_on_writable(void *user, struct wsc_conn *c)
{
    struct nodetel_link *l = wsc_conn_tag(c);
    char msg[128];
    int n;
    (void)user;

    if (!l->want || l->pending_id != 0)
        return;
    n = snprintf(msg, sizeof msg, "{\"id\":%llu,\"method\":\"call\",\"params\":[\"database\","
                 "\"get_dynamic_global_properties\",[]]}", (unsigned long long)(l->next_id + 1));
    switch (wsc_send(c, msg, (size_t)n)) {
    case WSC_OK:
        l->pending_id = ++l->next_id;
        l->want = false;
        break;
    case WSC_FULL:
        wsc_want_write(c);
        break;
    default:
        l->want = false;
        break;
    }
}

static void nodetel_on_message(void *user, struct wsc_conn *c, const char *msg, size_t len)
{
    struct nodetel_link *l = wsc_conn_tag(c);
    struct nodetel *nt = l->nt;
    struct nodetel_sample s;
    struct reply rep;
    struct jv *root;
    char err[ERR_LEN];
    (void)user;

    if (reply_parse(&rep, msg, len, err) < 0 || !rep.has_id || rep.id != l->pending_id)
        return;
    l->pending_id = 0;
    if (rep.kind != REPLY_RESULT)
        return; /* an error answer: no figures this time */
    root = jv_parse(msg, len, JV_MAX_DEPTH, err);
    if (root == NULL)
        return;
    if (nodetel_parse(jv_get(root, "result"), &s, err) == 0) {
        uint64_t now = timefmt_mono_ns();
        pthread_mutex_lock(&nt->lock);
        nodetel_model_add(nt->model, l->index, &s, now);
        pthread_mutex_unlock(&nt->lock);
    }
    jv_free(root);
}

static void nodetel_on_timer(void *user)
{
    (void)user;
}

static const struct wsc_callbacks nodetel_cb = {
    nodetel_on_open, nodetel_on_message, nodetel_on_close, nodetel_on_writable, nodetel_on_timer,
};

static void *nodetel_main(void *arg)
{
    struct nodetel *nt = arg;
    uint64_t next = 0;

    while (!atomic_load(&nt->stop)) {
        uint64_t now;

        /* Answers and stop wake it; otherwise it sleeps to the next poll
         * (a wakeup costs 40-80 us of CPU on the VMs here: at a 50 ms
         * timeout this thread alone spent ~2 ms a second on them). */
        wsc_timer_at(nt->w, next);
        wsc_service(nt->w, 1000);
        now = timefmt_mono_ns();
        if (now < next)
            continue;
        next = now + NODETEL_PERIOD_NS;
        for (size_t i = 0; i < nt->nlinks; i++) {
            struct nodetel_link *l = &nt->links[i];
            if (wsc_conn_is_open(l->conn) && l->pending_id == 0) {
                l->want = true;
                wsc_want_write(l->conn);
            }
        }
    }
    return NULL;
}

struct nodetel *nodetel_new(const struct nodetel_config *cfg, char *err)
{
    struct wsc_config wcfg = {.tls_insecure = cfg->tls_insecure, .ca_file = cfg->ca_file,
                              .max_rx = NODETEL_MAX_RX};
    struct nodetel *nt;

    if (cfg->nurls == 0 || cfg->nurls > STATS_MAX_NODES) {
        err_set(err, "node telemetry: 1..%d nodes", STATS_MAX_NODES);
        return NULL;
    }
    nt = calloc(1, sizeof *nt);
    if (nt == NULL) {
        err_set(err, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&nt->lock, NULL);
    if ((nt->links = calloc(cfg->nurls, sizeof *nt->links)) == NULL ||
        (nt->model = nodetel_model_new(cfg->nurls, cfg->block_interval_s,
                                       cfg->max_block_size)) == NULL) {
        err_set(err, "out of memory");
        goto fail;
    }
    nt->w = wsc_new(&wcfg, &nodetel_cb, nt, err);
    if (nt->w == NULL)
        goto fail;
    for (; nt->nlinks < cfg->nurls; nt->nlinks++) {
        struct nodetel_link *l = &nt->links[nt->nlinks];
        l->nt = nt;
        l->index = (unsigned)nt->nlinks;
        l->conn = wsc_connect(nt->w, cfg->urls[nt->nlinks], l, err);
        if (l->conn == NULL)
            goto fail;
    }
    if (pthread_create(&nt->tid, NULL, nodetel_main, nt) != 0) {
        err_set(err, "cannot start the node telemetry thread");
        goto fail;
    }
    return nt;
fail:
    wsc_free(nt->w);
    pthread_mutex_destroy(&nt->lock);
    nodetel_model_free(nt->model);
    free(nt->links);
    free(nt);
    return NULL;
}

void nodetel_free(struct nodetel *nt)
{
    if (nt == NULL)
        return;
    atomic_store(&nt->stop, true);
    wsc_wake(nt->w);
    pthread_join(nt->tid, NULL);
    wsc_free(nt->w);
    pthread_mutex_destroy(&nt->lock);
    nodetel_model_free(nt->model);
    free(nt->links);
    free(nt);
}

void nodetel_take(struct nodetel *nt, struct stats_interval *dst)
{
    uint64_t now = timefmt_mono_ns();

    pthread_mutex_lock(&nt->lock);
    nodetel_model_take(nt->model, now, dst);
    pthread_mutex_unlock(&nt->lock);
}
