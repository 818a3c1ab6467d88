/* nodetel_model.c - see nodetel_model.h.
 *
 * A node is compared with the primary by the ids of the heads they
 * reported: the primary's last NODETEL_RING (height, id) pairs are kept,
 * and a node whose head differs from the primary's block at that height
 * (its answer against the primary's earlier one, or the primary's answer
 * against its current head) is on another fork. Heads are sampled once a
 * second, so with blocks faster than that some heights are never compared;
 * a fork that lasts is still seen at the next height both report.
 *
 * Stalled is judged on the monotonic clock from the last time the node's
 * head was seen to change, so a node that stops answering (stopped,
 * overloaded) counts as stalled too, while its head and irreversible
 * block are absent, not zero. */
#include "nodetel_model.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "hex.h"
#include "timefmt.h"

#define NODETEL_RING 128
#define NODETEL_STALL_INTERVALS 3
/* An answer this recent counts for an interval that got none of its own:
 * polls (every second on the telemetry thread's clock) and intervals (the
 * engine's) drift against each other, so now and then an interval falls
 * between two answers of a healthy node. */
#define NODETEL_FRESH_NS UINT64_C(1500000000)

struct nodetel_seen {
    uint32_t num;
    uint8_t id[TX_BLOCK_ID_LEN];
};

struct nodetel_node {
    bool seen;     /* answered at least once */
    bool answered; /* during this interval */
    uint64_t answer_ns; /* when it last answered */
    bool forked;   /* during this interval */
    struct nodetel_sample last;
    struct nodetel_seen ring[NODETEL_RING]; /* heads it answered with, by height
                                             * (read for the primary only) */
    uint32_t change_head, change_time; /* head and its time at its last change */
    uint64_t change_ns;                /* when that change was seen */
    double interval_s;                 /* measured at the last advance (0: none yet) */
};

struct nodetel_model {
    size_t n;
    uint32_t block_interval_s;
    uint32_t max_block_size;
    struct nodetel_node node[];
};

int nodetel_participation(const char *dec, size_t len, double *pct, char *err)
{
    uint32_t limb[4] = {0, 0, 0, 0}; /* little-endian 32-bit limbs of the number */
    int bits = 0;

    if (len == 0 || len > 39)
        return err_set(err, "recent_slots_filled: expected a decimal number below 2^128");
    for (size_t i = 0; i < len; i++) {
        uint64_t carry;
        if (dec[i] < '0' || dec[i] > '9')
            return err_set(err, "recent_slots_filled: expected a decimal number below 2^128");
        carry = (uint64_t)(dec[i] - '0');
        for (int k = 0; k < 4; k++) {
            uint64_t v = (uint64_t)limb[k] * 10 + carry;
            limb[k] = (uint32_t)v;
            carry = v >> 32;
        }
        if (carry != 0)
            return err_set(err, "recent_slots_filled: expected a decimal number below 2^128");
    }
    for (int k = 0; k < 4; k++)
        for (uint32_t v = limb[k]; v != 0; v &= v - 1)
            bits++;
    *pct = 100.0 * bits / 128.0;
    return 0;
}

static int nodetel_u32(const struct jv *res, const char *key, uint32_t *out, char *err)
{
    uint64_t v;

    if (jv_uint64(jv_get(res, key), UINT32_MAX, &v, err) < 0)
        return err_prefix(err, "%s", key);
    *out = (uint32_t)v;
    return 0;
}

int nodetel_parse(const struct jv *res, struct nodetel_sample *s, char *err)
{
    size_t n;
    const char *str;

    memset(s, 0, sizeof *s);
    if (jv_type(res) != JV_OBJECT)
        return err_set(err, "dynamic global properties: expected an object");
    if (nodetel_u32(res, "head_block_number", &s->head, err) < 0 ||
        nodetel_u32(res, "last_irreversible_block_num", &s->lib, err) < 0 ||
        nodetel_u32(res, "recently_missed_count", &s->missed, err) < 0)
        return -1;
    str = jv_str(jv_get(res, "head_block_id"), &n);
    if (str == NULL || hex_decode_exact(s->head_id, TX_BLOCK_ID_LEN, str, n, NULL) < 0)
        return err_set(err, "head_block_id: expected %d hex digits", 2 * TX_BLOCK_ID_LEN);
    str = jv_str(jv_get(res, "time"), &n);
    if (str == NULL || timefmt_parse(&s->time, str, n, err) < 0)
        return err_set(err, "time: expected YYYY-MM-DDTHH:MM:SS");
    str = jv_str(jv_get(res, "recent_slots_filled"), &n);
    if (str == NULL)
        return err_set(err, "recent_slots_filled: expected a decimal string");
    if (nodetel_participation(str, n, &s->participation_pct, err) < 0)
        return -1;
    if (s->lib > s->head)
        return err_set(err, "last_irreversible_block_num %u is above head_block_number %u",
                       s->lib, s->head);
    return 0;
}

struct nodetel_model *nodetel_model_new(size_t nnodes, uint32_t block_interval_s,
                                        uint32_t max_block_size)
{
    struct nodetel_model *m;

    if (nnodes == 0 || nnodes > STATS_MAX_NODES)
        return NULL;
    m = calloc(1, sizeof *m + nnodes * sizeof m->node[0]);
    if (m == NULL)
        return NULL;
    m->n = nnodes;
    m->block_interval_s = block_interval_s;
    m->max_block_size = max_block_size;
    return m;
}

void nodetel_model_free(struct nodetel_model *m)
{
    free(m);
}

/* True when node d reported a different block at height num than id. */
static bool nodetel_differs(const struct nodetel_node *d, uint32_t num, const uint8_t *id)
{
    const struct nodetel_seen *r = &d->ring[num % NODETEL_RING];

    return num != 0 && r->num == num && memcmp(r->id, id, TX_BLOCK_ID_LEN) != 0;
}

void nodetel_model_add(struct nodetel_model *m, unsigned node, const struct nodetel_sample *s,
                       uint64_t now_ns)
{
    struct nodetel_node *d;

    if (node >= m->n)
        return;
    d = &m->node[node];
    if (!d->seen || s->head < d->change_head) {
        /* First answer, or a chain that went back (a restart): start over. */
        d->change_head = s->head;
        d->change_time = s->time;
        d->change_ns = now_ns;
        d->seen = true;
    } else if (s->head > d->change_head) {
        if (s->time >= d->change_time && d->change_time != 0)
            d->interval_s = (double)(s->time - d->change_time) / (double)(s->head - d->change_head);
        d->change_head = s->head;
        d->change_time = s->time;
        d->change_ns = now_ns;
    }
    d->ring[s->head % NODETEL_RING].num = s->head;
    memcpy(d->ring[s->head % NODETEL_RING].id, s->head_id, TX_BLOCK_ID_LEN);
    d->last = *s;
    d->answered = true;
    d->answer_ns = now_ns;
    if (node != 0) {
        if (nodetel_differs(&m->node[0], s->head, s->head_id))
            d->forked = true;
    } else {
        /* Against the others' current heads only: an old answer of theirs
         * at this height may be of a fork they have since left. */
        for (size_t i = 1; i < m->n; i++) {
            const struct nodetel_node *o = &m->node[i];
            if (o->seen && o->last.head == s->head &&
                memcmp(o->last.head_id, s->head_id, TX_BLOCK_ID_LEN) != 0)
                m->node[i].forked = true;
        }
    }
}

void nodetel_model_take(struct nodetel_model *m, uint64_t now_ns, struct stats_interval *dst)
{
    for (size_t i = 0; i < m->n; i++) {
        struct nodetel_node *d = &m->node[i];
        struct stats_node *o = &dst->node[i];
        double expect_s = m->block_interval_s > 0 ? m->block_interval_s
                          : d->interval_s > 0     ? d->interval_s
                                                  : 1.0;

        bool fresh = d->answered || (d->seen && now_ns - d->answer_ns <= NODETEL_FRESH_NS);

        o->tel_answers = fresh ? 1 : 0;
        if (fresh) {
            o->head_block = d->last.head;
            o->lib_block = d->last.lib;
            o->participation_pct = d->last.participation_pct;
            o->missed_blocks = d->last.missed;
            o->block_interval_s = d->interval_s;
        }
        o->forked = d->forked ? 1 : 0;
        o->stalled = d->seen && now_ns > d->change_ns &&
                     (double)(now_ns - d->change_ns) > NODETEL_STALL_INTERVALS * expect_s * 1e9;
        o->max_block_size = m->max_block_size;
        d->answered = false;
        d->forked = false;
    }
    if (dst->nnodes < m->n)
        dst->nnodes = (uint32_t)m->n;
}
