/* tracker.h - confirmation tracking on its own thread and connection:
 * subscribes to block notices, fetches every new block, recognises our
 * transactions by their signatures (blockscan.h), and measures inclusion (due time -> seen in a
 * block), confirmed tx/s and ops/s, block sizes, head and irreversible
 * block; accepted transactions that expire without inclusion are lost.
 * It is also where the engine gets TaPoS references and head time from.
 *
 * The network thread reports what it sent and what was rejected through
 * tracker_note_*; notes are buffered and handed over in batches by
 * tracker_flush, so the send path takes no lock per transaction. */
#ifndef BSS_TRACKER_H
#define BSS_TRACKER_H

#include <stdbool.h>
#include <stdint.h>

#include "stats.h"
#include "tx.h"

struct tracker;

struct tracker_config {
    /* Nodes to follow (borrowed). The first is the primary: TaPoS, head and
     * irreversible block come from it. Following more than one counts a
     * transaction at its first sighting in any of them: for devnodes, which
     * do not relay to each other; a real network's nodes all show the same
     * blocks, so following the first is enough there. */
    const char *const *urls;
    size_t nurls;
    bool tls_insecure;
    const char *ca_file;
    uint32_t max_block_size; /* for fullness */
    /* Target-node telemetry (nodetel.h) for urls[0..ntel), every node the
     * beacon sends to (ntel >= nurls; 0: none), on its own connections;
     * tracker_take fills dst->node[i]'s telemetry and block counts. */
    size_t ntel;
    uint32_t block_interval_s; /* the chain's, for stall detection */
};

/* Starts the thread and connects. Returns NULL with err. */
struct tracker *tracker_new(const struct tracker_config *cfg, char *err);
/* Stops, joins, frees; NULL is a no-op. */
void tracker_free(struct tracker *t);

/* The txid arguments below are a transaction's tracking key
 * (pool_item.key: from its first signature, see blockscan_key), which is
 * what blocks show of it.
 *
 * Network thread: the node accepted a transaction (due at due_ns,
 * monotonic, sent to node number node < STATS_MAX_NODES; confirmations are
 * counted per node in the interval's node[] as well). Only accepted
 * transactions are followed: each becomes confirmed (seen in a block) or
 * lost (expired unseen) exactly once; rejected and timed-out ones are never
 * noted, so they are never confirmed nor lost (the ledger, stats.h). */
void tracker_note_accepted(struct tracker *t, const uint8_t txid[TX_ID_LEN], uint32_t expiration,
                           uint16_t nops, uint64_t due_ns, unsigned node);
/* Network thread: hands buffered notes to the tracker thread (call often,
 * e.g. every loop turn; takes the lock once). */
void tracker_flush(struct tracker *t);

/* Moves the tracker's counters and inclusion histogram gathered since the
 * last call into dst (merged), fills the target nodes' telemetry (ntel:
 * dst->node[i]: nodetel_take, and tel_blocks .. tel_block_bytes from the
 * blocks read from node i when it is followed, else from the primary), and
 * sets dst's block gauges and
 * g.unconfirmed (accepted transactions noted and not yet confirmed or
 * lost, consistent with the counters: I3 of the ledger holds over the
 * merged intervals). Call it from the network thread. */
void tracker_take(struct tracker *t, struct stats_interval *dst);

/* The TaPoS reference to use now: the newest block known to be
 * irreversible (else the head), its id into block_id, and the head block
 * time advanced by the monotonic time since it was seen. Returns false
 * while no block has been seen yet. Thread-safe. */
bool tracker_tapos(struct tracker *t, uint8_t block_id[TX_BLOCK_ID_LEN], uint32_t *head_time);

/* Accepted transactions not yet confirmed or lost (counting notes not yet
 * applied). Call it from the network thread. */
uint64_t tracker_unconfirmed(struct tracker *t);
/* How many times the primary node's chain restarted (a head below its
 * irreversible block, a different irreversible block, a new chain id).
 * When it grows, transactions signed for the old chain are void: TaPoS
 * from tracker_tapos is of the new chain once it has a block. Thread-safe. */
uint64_t tracker_restarts(struct tracker *t);
/* Copies the oldest event not yet collected into text (ERR_LEN bytes,
 * "URL: what": a restart, a block the node could not return) and returns
 * true, or returns false. Thread-safe. */
bool tracker_next_event(struct tracker *t, char *text);

/* Copies the last connection problem into err and returns -1, or 0. */
int tracker_status(struct tracker *t, char *err);

#endif
