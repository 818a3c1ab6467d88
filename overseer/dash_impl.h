/* dash_impl.h - the dashboard's inside, shared by dash_hub.c (state, feed,
 * worker, SSE buffer) and dash.c (the HTTP server). Not a public header. */
#ifndef BSS_DASH_IMPL_H
#define BSS_DASH_IMPL_H

#include <pthread.h>

#include "dash.h"
#include "dash_json.h"
#include "dash_sse.h"

#define DASH_QUEUE 64                 /* messages waiting for the worker */
#define DASH_TEXT 2048
#define DASH_MAX_POINTS (2u * 86400u) /* whole-run history: two days of seconds */

enum dash_item_kind { DASH_I_SECOND, DASH_I_LOG, DASH_I_BEACON, DASH_I_PHASE, DASH_I_END };

struct dash_item {
    enum dash_item_kind kind;
    double t;
    union {
        struct dash_second second;
        struct dash_phase phase;
        struct dash_beacon beacon;
    } u;
    char text[DASH_TEXT];
    bool report;
};

struct dash_hub {
    pthread_mutex_t mu;
    pthread_cond_t work;   /* the queue has items (or stop) */
    pthread_cond_t news;   /* the SSE buffer has new frames (or stop) */
    bool stop;             /* the worker renders what is queued, then ends */
    bool closing;          /* then: streams send what is left, then end */
    uint64_t t0_ns;
    struct dash_state *st; /* under mu */
    uint16_t *index;       /* beacon id hash -> 1 + index in st->beacon (0: free) */
    struct dash_item *queue;
    size_t qhead, qlen;
    uint64_t dropped;
    struct dash_sse *ring;
    struct dash_point *pts;
    size_t npts, cappts;
    uint32_t ops_per_tx[DASH_MAX_PHASES + 1]; /* by phase number (worker only) */
    enum stats_verdict last_verdict;          /* (worker only) */
    bool have_verdict;
    pthread_t worker;
    bool worker_started;
    struct dash_item scratch;                 /* the worker's copy */
    struct dash_beacon *beacons;              /* the worker's copy (DASH_JSON_MAX_BEACONS) */
    struct dash_node *nodes;                  /* the worker's copy */
};

struct MHD_Daemon;

struct dash {
    struct dash_hub hub;
    struct MHD_Daemon *mhd;
    int fd;                   /* the listening socket */
    char url[128];
    char out_dir[4096];
    char token[256];          /* empty: none needed */
    unsigned sse_clients;     /* under hub.mu */
};

/* Starts h (zeroed by the caller) and its worker. Returns 0, or -1 with err. */
int dash_hub_start(struct dash_hub *h, uint64_t t0_ns, char *err);
/* Stops the worker and wakes every stream (they end). */
void dash_hub_stop(struct dash_hub *h);
/* Frees what dash_hub_start made (also after it failed). */
void dash_hub_free(struct dash_hub *h);
/* A copy of the state for /metrics (NULL when out of memory; free()). */
struct dash_state *dash_hub_state(struct dash_hub *h);
/* /api/history into out. */
void dash_hub_history(struct dash_hub *h, struct sbuf *out);

#endif
