/* agg.c - see agg.h. */
#include "agg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct agg_slot {
    bool used;
    uint64_t first_ns;         /* first report */
    uint8_t *got;              /* per beacon */
    struct agg_row row;
};

struct agg {
    size_t nb;
    uint64_t grace_ns;
    uint32_t next;             /* next row number to hand out */
    uint32_t newest;           /* highest second seen */
    struct agg_slot slots[AGG_RING];
    struct stats_interval total;
    uint64_t late;
};

struct agg *agg_new(size_t nbeacons, uint64_t grace_ns)
{
    struct agg *a;

    if (nbeacons == 0 || nbeacons > AGG_MAX_BEACONS)
        return NULL;
    a = calloc(1, sizeof *a);
    if (a == NULL)
        return NULL;
    a->nb = nbeacons;
    a->grace_ns = grace_ns;
    a->next = 1;
    stats_init(&a->total);
    for (int i = 0; i < AGG_RING; i++)
        if ((a->slots[i].got = calloc(nbeacons, 1)) == NULL) {
            agg_free(a);
            return NULL;
        }
    return a;
}

void agg_free(struct agg *a)
{
    if (a == NULL)
        return;
    for (int i = 0; i < AGG_RING; i++)
        free(a->slots[i].got);
    free(a);
}

static void agg_slot_init(struct agg *a, struct agg_slot *sl, uint32_t second, uint64_t now)
{
    sl->used = true;
    sl->first_ns = now;
    memset(sl->got, 0, a->nb);
    memset(&sl->row, 0, sizeof sl->row);
    stats_init(&sl->row.s);
    sl->row.second = second;
    sl->row.pool_min = UINT64_MAX;
}

static int agg_rank(enum stats_verdict v)
{
    return v == STATS_BEACON_BOUND ? 2 : v == STATS_NODE_BOUND ? 1 : 0;
}

void agg_add(struct agg *a, unsigned b, uint32_t second, const struct stats_interval *s,
             enum stats_verdict v, const char *reason, uint64_t now)
{
    struct agg_slot *sl;

    stats_merge(&a->total, s);
    if (b >= a->nb || second == 0)
        return;
    if (second < a->next || second >= a->next + AGG_RING) {
        /* Its row is out already, or it is too far ahead to hold: the total
         * has it, the time series cannot. */
        a->late++;
        return;
    }
    sl = &a->slots[second % AGG_RING];
    if (!sl->used || sl->row.second != second)
        agg_slot_init(a, sl, second, now);
    if (sl->got[b])
        return; /* sess already drops duplicates; this is a second line of defence */
    sl->got[b] = 1;
    if (second > a->newest)
        a->newest = second;
    /* Per-beacon gauges are merged as parts of one interval (same seq).
     * So is each target node's telemetry (stats_node_tel_merge), which
     * every beacon measures of the same node: the row keeps the highest
     * head any beacon saw, the lowest irreversible block and participation,
     * the highest missed count and block interval, and the larger of the
     * block counts and of the forked / stalled flags (not their sum: each
     * beacon reads the same blocks). A beacon whose node did not answer
     * leaves the others' figures alone. */
    struct stats_interval part = *s;
    part.seq = second;
    sl->row.s.seq = second;
    stats_merge(&sl->row.s, &part);
    sl->row.beacons++;
    if (s->g.cpu_proc_pct > sl->row.cpu_max_pct)
        sl->row.cpu_max_pct = s->g.cpu_proc_pct;
    if (s->g.cpu_proc_all_pct > sl->row.cpu_max_all_pct)
        sl->row.cpu_max_all_pct = s->g.cpu_proc_all_pct;
    if (s->g.pool_level < sl->row.pool_min)
        sl->row.pool_min = s->g.pool_level;
    if (sl->row.beacons == 1 || agg_rank(v) > agg_rank(sl->row.verdict)) {
        sl->row.verdict = v;
        snprintf(sl->row.reason, sizeof sl->row.reason, "%s", reason != NULL ? reason : "");
    }
}

bool agg_next(struct agg *a, const bool *alive, uint64_t now, bool flush, struct agg_row *row)
{
    struct agg_slot *sl = &a->slots[a->next % AGG_RING];
    bool complete = true;

    if (a->next > a->newest)
        return false; /* nothing reported for this row yet */
    if (!sl->used || sl->row.second != a->next) {
        /* Nobody reported this second but later ones exist: an empty row
         * keeps the series without gaps. */
        agg_slot_init(a, sl, a->next, now);
    }
    for (size_t b = 0; b < a->nb && complete; b++)
        if (alive[b] && !sl->got[b])
            complete = false;
    if (!complete && !flush && now - sl->first_ns < a->grace_ns &&
        a->newest < a->next + AGG_RING - 1)
        return false;
    *row = sl->row;
    if (row->pool_min == UINT64_MAX)
        row->pool_min = 0;
    sl->used = false;
    a->next++;
    return true;
}

const struct stats_interval *agg_total(const struct agg *a)
{
    return &a->total;
}

uint64_t agg_late_intervals(const struct agg *a)
{
    return a->late;
}
