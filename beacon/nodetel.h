/* nodetel.h - target-node telemetry on its own thread and connections (one
 * per target node, none of them the send path's): once a second each node
 * is asked for its dynamic global properties (one small request; a node
 * that has not answered the last one is not asked again until it does or
 * its connection drops), and the answers feed nodetel_model.h, which turns
 * them into per-node figures for each interval. The tracker owns it. */
#ifndef BSS_NODETEL_H
#define BSS_NODETEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stats.h"

struct nodetel;

struct nodetel_config {
    const char *const *urls;   /* the target nodes, borrowed; urls[0] is the primary */
    size_t nurls;              /* 1..STATS_MAX_NODES */
    bool tls_insecure;
    const char *ca_file;
    uint32_t block_interval_s; /* the chain's, for stall detection (0: measured) */
    uint32_t max_block_size;   /* the chain's, for fullness (0: unknown) */
};

/* Starts the thread and the connections (which connect, and reconnect,
 * asynchronously). Returns NULL with err (a malformed URL, out of memory). */
struct nodetel *nodetel_new(const struct nodetel_config *cfg, char *err);
/* Stops, joins, frees; NULL is a no-op. */
void nodetel_free(struct nodetel *nt);
/* Ends the interval: every node's telemetry since the last call into
 * dst->node[i] (see nodetel_model_take). Thread-safe. */
void nodetel_take(struct nodetel *nt, struct stats_interval *dst);

#endif
