/* nodetel_model.h - target-node telemetry without I/O: what one node's
 * get_dynamic_global_properties says (nodetel_parse), and, from the answers
 * of every target node over time, each node's figures per interval: head,
 * irreversible block, participation, missed blocks, block interval, and
 * whether it forked (its head block differs from the primary's block at that
 * height) or stalled (its head not seen to advance for more than 3 block
 * intervals). nodetel.c feeds it from its connections; tests feed it
 * directly. Not thread-safe: one thread at a time. */
#ifndef BSS_NODETEL_MODEL_H
#define BSS_NODETEL_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jv.h"
#include "stats.h"
#include "tx.h"

/* One answer of get_dynamic_global_properties. */
struct nodetel_sample {
    uint32_t head;                       /* head_block_number */
    uint8_t head_id[TX_BLOCK_ID_LEN];    /* head_block_id */
    uint32_t time;                       /* time: the head block's, Unix s */
    uint32_t lib;                        /* last_irreversible_block_num */
    uint32_t missed;                     /* recently_missed_count */
    double participation_pct;            /* recent_slots_filled, see below */
};

/* Participation from recent_slots_filled, a 128-bit number in decimal
 * (len characters of dec): its set bits (slots of the last 128 that had
 * their block) as % of 128 into *pct. Returns 0, or -1 with err when dec is
 * not a decimal number below 2^128. */
int nodetel_participation(const char *dec, size_t len, double *pct, char *err);

/* Reads a get_dynamic_global_properties result (res, the "result" member)
 * into s. Returns 0, or -1 with err naming the missing or malformed field
 * (head_block_number, head_block_id, time, last_irreversible_block_num,
 * recently_missed_count, recent_slots_filled; an irreversible block above
 * the head is malformed too). */
int nodetel_parse(const struct jv *res, struct nodetel_sample *s, char *err);

struct nodetel_model;

/* For nnodes (1..STATS_MAX_NODES) nodes; node 0 is the primary, the one
 * the others' block ids are compared with. block_interval_s: the chain's
 * (get_global_properties), 0 when unknown: the measured one is used then,
 * else 1 s. max_block_size: the chain's (for fullness; 0: unknown). NULL
 * when out of memory or nnodes is out of range. */
struct nodetel_model *nodetel_model_new(size_t nnodes, uint32_t block_interval_s,
                                        uint32_t max_block_size);
/* NULL is a no-op. */
void nodetel_model_free(struct nodetel_model *m);

/* Node `node` answered s at now_ns (monotonic). */
void nodetel_model_add(struct nodetel_model *m, unsigned node, const struct nodetel_sample *s,
                       uint64_t now_ns);

/* Ends the interval at now_ns: writes every node's telemetry into
 * dst->node[i] (tel_answers 1 and the figures of its last answer when it
 * answered during the interval, else tel_answers 0 and the figures left
 * alone; an answer up to 1.5 s old counts, so that an interval falling
 * between two polls of a healthy node is not empty; forked and stalled 0
 * or 1; max_block_size), raises dst->nnodes to
 * the model's node count, and starts the next interval. Block counts
 * (tel_blocks ...) are not the model's: the tracker's. */
void nodetel_model_take(struct nodetel_model *m, uint64_t now_ns, struct stats_interval *dst);

#endif
