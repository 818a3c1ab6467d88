/* scenario_search.c - the two searching phase kinds: find_limit (the rate
 * the network sustains) and p2p_limit (the largest transaction it takes). */
#include "scenario_impl.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "err.h"

#define MS UINT64_C(1000000)
#define SEC UINT64_C(1000000000)
#define HOUR (3600 * SEC)

static int need_map(const struct scenario_ctx *cx, const struct scenario_ynode *n,
                    const char *field, const char *example)
{
    char buf[64];

    if (n->type == SCENARIO_Y_MAP)
        return 0;
    return scenario_fail(cx, n, field, "expected a mapping (%s), got %s", example,
                         scenario_describe(n, buf));
}

/* A required key's value, or an error at the mapping. */
static const struct scenario_ynode *need(const struct scenario_ctx *cx,
                                         const struct scenario_ynode *map, const char *field,
                                         const char *key, char *f, size_t cap)
{
    const struct scenario_ynode *v = scenario_get(map, key);

    scenario_path(f, cap, "%s.%s", field, key);
    if (v == NULL)
        scenario_fail(cx, map, field, "missing %s", key);
    return v;
}

static const struct scenario_ynode *opt(const struct scenario_ynode *map, const char *field,
                                        const char *key, char *f, size_t cap)
{
    scenario_path(f, cap, "%s.%s", field, key);
    return scenario_get(map, key);
}

static int parse_stop_when(const struct scenario_ctx *cx, const struct scenario_ynode *n,
                           const char *field, struct scenario_find_limit *fl)
{
    static const char *const keys[] = {"confirmed_below", "inclusion_p99_above_s",
                                       "ack_p99_above_s", "failures_above", "accepted_below"};
    const struct scenario_ynode *v;
    char f[SCENARIO_FIELD_LEN + 32];

    if (need_map(cx, n, field, "e.g. {confirmed_below: 0.9, inclusion_p99_above_s: 10}") < 0 ||
        scenario_check_keys(cx, n, field, keys, 5) < 0)
        return -1;
    if (n->n == 0)
        return scenario_fail(cx, n, field, "give at least one condition (%s, %s, %s, %s or "
                             "%s)", keys[4], keys[0], keys[1], keys[2], keys[3]);
    if ((v = opt(n, field, keys[4], f, sizeof(f))) != NULL) {
        if (scenario_number(cx, v, f, 0, 1, &fl->accepted_below) < 0)
            return -1;
        if (fl->accepted_below == 0)
            return scenario_fail(cx, v, f, "0 never triggers; give a share in (0, 1]");
    }
    if ((v = opt(n, field, keys[0], f, sizeof(f))) != NULL) {
        if (scenario_number(cx, v, f, 0, 1, &fl->confirmed_below) < 0)
            return -1;
        if (fl->confirmed_below == 0)
            return scenario_fail(cx, v, f, "0 never triggers; give a share in (0, 1]");
        fl->check_confirmed = true;
    }
    if ((v = opt(n, field, keys[1], f, sizeof(f))) != NULL) {
        if (scenario_duration(cx, v, f, MS, HOUR, &fl->inclusion_p99_above_ns) < 0)
            return -1;
        fl->check_inclusion = true;
    }
    if ((v = opt(n, field, keys[2], f, sizeof(f))) != NULL) {
        if (scenario_duration(cx, v, f, MS, HOUR, &fl->ack_p99_above_ns) < 0)
            return -1;
        fl->check_ack = true;
    }
    if ((v = opt(n, field, keys[3], f, sizeof(f))) != NULL) {
        if (scenario_number(cx, v, f, 0, 1, &fl->failures_above) < 0)
            return -1;
        if (fl->failures_above >= 1)
            return scenario_fail(cx, v, f, "1 never triggers; give a share in [0, 1)");
        fl->check_failures = true;
    }
    return 0;
}

int scenario_find_limit_parse(const struct scenario_ctx *cx, const struct scenario_ynode *n,
                              const char *field, struct scenario_phase *p)
{
    static const char *const keys[] = {"start", "step", "max", "step_seconds",
                                       "settle_seconds", "refine", "stop_when"};
    struct scenario_find_limit *fl = &p->find_limit;
    const struct scenario_ynode *v, *maxn;
    char f[SCENARIO_FIELD_LEN + 32], maxf[SCENARIO_FIELD_LEN + 32];
    double steps;

    memset(fl, 0, sizeof(*fl));
    if (need_map(cx, n, field, "start, step, max, step_seconds, stop_when") < 0 ||
        scenario_check_keys(cx, n, field, keys, 7) < 0)
        return -1;
    if ((v = need(cx, n, field, "start", f, sizeof(f))) == NULL ||
        scenario_number(cx, v, f, 0, RATECTL_MAX_RATE, &fl->start) < 0)
        return -1;
    if (fl->start <= 0)
        return scenario_fail(cx, v, f, "must be > 0");
    if ((v = need(cx, n, field, "step", f, sizeof(f))) == NULL ||
        scenario_number(cx, v, f, 0, RATECTL_MAX_RATE, &fl->step) < 0)
        return -1;
    if (fl->step <= 0)
        return scenario_fail(cx, v, f, "must be > 0");
    if ((maxn = need(cx, n, field, "max", maxf, sizeof(maxf))) == NULL ||
        scenario_number(cx, maxn, maxf, fl->start, RATECTL_MAX_RATE, &fl->max) < 0)
        return -1;
    if ((v = need(cx, n, field, "step_seconds", f, sizeof(f))) == NULL ||
        scenario_duration(cx, v, f, MS, 86400 * SEC, &fl->step_ns) < 0)
        return -1;
    fl->settle_ns = fl->step_ns / 4;
    if ((v = opt(n, field, "settle_seconds", f, sizeof(f))) != NULL) {
        if (scenario_duration(cx, v, f, 0, 86400 * SEC, &fl->settle_ns) < 0)
            return -1;
        if (fl->settle_ns >= fl->step_ns)
            return scenario_fail(cx, v, f, "must be shorter than step_seconds");
    }
    if ((v = opt(n, field, "refine", f, sizeof(f))) != NULL &&
        scenario_u32(cx, v, f, 0, 30, &fl->refine) < 0)
        return -1;
    /* A small epsilon so that max = start + k * step counts k + 1 steps
     * despite binary fractions (0.1 steps). */
    steps = floor((fl->max - fl->start) / fl->step * (1 + 1e-12) + 1e-9) + 1;
    if (steps > SCENARIO_MAX_FIND_STEPS)
        return scenario_fail(cx, maxn, maxf, "%.0f steps from start to max; at most %d "
                             "(take a larger step)", steps, SCENARIO_MAX_FIND_STEPS);
    fl->nsteps = (uint32_t)steps;
    if ((double)fl->step_ns * (fl->nsteps + fl->refine) > (double)RATECTL_MAX_NS)
        return scenario_fail(cx, n, field, "the search could last more than 30 days");
    p->duration_ns = fl->step_ns * (fl->nsteps + fl->refine);
    /* Always on, overridable in stop_when: what the node takes (accepted,
     * confirmed) against what was offered, and how long it takes to answer. */
    fl->check_accepted = fl->check_confirmed = fl->check_ack = true;
    fl->accepted_below = SCENARIO_FL_ACCEPTED_BELOW;
    fl->confirmed_below = SCENARIO_FL_CONFIRMED_BELOW;
    fl->ack_p99_above_ns = SCENARIO_FL_ACK_P99_NS;
    if ((v = opt(n, field, "stop_when", f, sizeof(f))) != NULL)
        return parse_stop_when(cx, v, f, fl);
    return 0;
}

int scenario_p2p_limit_parse(const struct scenario_ctx *cx, const struct scenario_ynode *n,
                             const char *field, struct scenario_phase *p)
{
    static const char *const keys[] = {"max_message_bytes", "search", "min_ops", "max_ops",
                                       "step_ops", "probe_seconds", "probe_rate"};
    static const char *const search[] = {"binary", "linear"};
    struct scenario_p2p_limit *pl = &p->p2p_limit;
    const struct scenario_ynode *v, *sn;
    char f[SCENARIO_FIELD_LEN + 32];
    int k;

    memset(pl, 0, sizeof(*pl));
    pl->max_message_bytes = SCENARIO_P2P_MESSAGE_BYTES;
    pl->min_ops = 1;
    pl->probe_ns = 10 * SEC;
    pl->probe_rate = 2;
    /* `p2p_limit: {}` (or nothing after the colon) takes every default. */
    if (n->type == SCENARIO_Y_NULL)
        return 0;
    if (need_map(cx, n, field, "max_message_bytes, search, min_ops, max_ops, ...") < 0 ||
        scenario_check_keys(cx, n, field, keys, 7) < 0)
        return -1;
    if ((v = opt(n, field, "max_message_bytes", f, sizeof(f))) != NULL &&
        scenario_uint(cx, v, f, 1024, 1u << 30, &pl->max_message_bytes) < 0)
        return -1;
    if ((sn = opt(n, field, "search", f, sizeof(f))) != NULL) {
        if (scenario_choice(cx, sn, f, search, 2, &k) < 0)
            return -1;
        pl->search = (enum scenario_search)k;
    }
    if ((v = opt(n, field, "min_ops", f, sizeof(f))) != NULL &&
        scenario_u32(cx, v, f, 1, SCENARIO_MAX_OPS, &pl->min_ops) < 0)
        return -1;
    if ((v = opt(n, field, "max_ops", f, sizeof(f))) != NULL && !scenario_is_word(v, "auto")) {
        if (scenario_u32(cx, v, f, 1, SCENARIO_MAX_OPS, &pl->max_ops) < 0)
            return -1;
        if (pl->max_ops < pl->min_ops)
            return scenario_fail(cx, v, f, "%u is below min_ops (%u)", pl->max_ops, pl->min_ops);
    }
    if ((v = opt(n, field, "step_ops", f, sizeof(f))) != NULL) {
        if (pl->search != SCENARIO_SEARCH_LINEAR)
            return scenario_fail(cx, v, f, "only used with search: linear");
        if (scenario_u32(cx, v, f, 1, SCENARIO_MAX_OPS, &pl->step_ops) < 0)
            return -1;
    } else if (pl->search == SCENARIO_SEARCH_LINEAR) {
        return scenario_fail(cx, sn, field, "search: linear needs step_ops");
    }
    if ((v = opt(n, field, "probe_seconds", f, sizeof(f))) != NULL &&
        scenario_duration(cx, v, f, MS, HOUR, &pl->probe_ns) < 0)
        return -1;
    if ((v = opt(n, field, "probe_rate", f, sizeof(f))) != NULL) {
        if (scenario_number(cx, v, f, 0, 100000, &pl->probe_rate) < 0)
            return -1;
        if (pl->probe_rate <= 0)
            return scenario_fail(cx, v, f, "must be > 0");
    }
    return 0;
}
