/* scenario_phase.c - one phase of a scenario, with what it inherits from
 * the top-level `defaults`. */
#include "scenario_impl.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "err.h"

#define MS UINT64_C(1000000)
#define SEC UINT64_C(1000000000)
#define HOUR (3600 * SEC)

/* Keys a phase and `defaults` share; a phase adds name, find_limit and
 * p2p_limit. */
static const char *const common_keys[] = {
    "duration", "rate", "warmup", "cooldown", "mix", "ops_per_tx", "nodes",
    "connections_per_node", "beacons", "follow", "window", "threads", "expire", "drain",
    "ack_timeout", "drop_horizon", "late", "presign_ahead",
};
#define NCOMMON (sizeof(common_keys) / sizeof(common_keys[0]))

struct pctx {
    const struct scenario_ctx *cx;
    const struct scenario_ynode *pn, *defaults;
    size_t i;
    const struct scenario *s;
    struct scenario_phase *p;
    char base[32];                 /* "phases[3]" */
    char field[SCENARIO_FIELD_LEN]; /* the path of the value last looked up */
};

/* The value of key: the phase's own, else (when inherit) the default's.
 * Sets pc->field to where it came from. */
static const struct scenario_ynode *lookup(struct pctx *pc, const char *key, bool inherit)
{
    const struct scenario_ynode *v = scenario_get(pc->pn, key);

    scenario_path(pc->field, sizeof(pc->field), "%s.%s", pc->base, key);
    if (v == NULL && inherit && pc->defaults != NULL) {
        v = scenario_get(pc->defaults, key);
        if (v != NULL)
            scenario_path(pc->field, sizeof(pc->field), "defaults.%s", key);
    }
    return v;
}

static int missing(struct pctx *pc, const char *what)
{
    return scenario_fail(pc->cx, pc->pn, pc->base, "missing %s", what);
}

/* ---- rate ---- */

static int parse_steps(struct pctx *pc, const struct scenario_ynode *list, const char *field,
                       struct scenario_rate *r)
{
    char f[SCENARIO_FIELD_LEN + 16], buf[64];

    if (list == NULL || list->type != SCENARIO_Y_SEQ || list->n == 0)
        return scenario_fail(pc->cx, list, field,
                             "expected a list of [rate, seconds] pairs, got %s",
                             list && list->type == SCENARIO_Y_SEQ ? "an empty list" :
                                                                  scenario_describe(list, buf));
    if (list->n > RATECTL_MAX_SEGS)
        return scenario_fail(pc->cx, list, field, "%zu steps; at most %d", list->n,
                             RATECTL_MAX_SEGS);
    r->kind = SCENARIO_RATE_STEPS;
    r->nsteps = list->n;
    for (size_t k = 0; k < list->n; k++) {
        const struct scenario_ynode *it = list->kids[k];
        scenario_path(f, sizeof(f), "%s[%zu]", field, k);
        if (it->type != SCENARIO_Y_SEQ || it->n != 2)
            return scenario_fail(pc->cx, it, f, "expected [rate, seconds], got %s",
                                 it->type == SCENARIO_Y_SEQ ? "a list of another length" :
                                                            scenario_describe(it, buf));
        scenario_path(f, sizeof(f), "%s[%zu][0]", field, k);
        if (scenario_number(pc->cx, it->kids[0], f, 0, RATECTL_MAX_RATE, &r->steps[k].rate) < 0)
            return -1;
        scenario_path(f, sizeof(f), "%s[%zu][1]", field, k);
        if (scenario_duration(pc->cx, it->kids[1], f, MS, RATECTL_MAX_NS,
                              &r->steps[k].dur_ns) < 0)
            return -1;
    }
    return 0;
}

static int parse_rate(struct pctx *pc, const struct scenario_ynode *n, struct scenario_rate *r)
{
    static const char *const keys[] = {"ramp", "steps"};
    static const char expected[] =
        "expected a number, \"unlimited\", {ramp: [a, b]} or {steps: [[rate, seconds], ...]}";
    char field[SCENARIO_FIELD_LEN], f[SCENARIO_FIELD_LEN + 8], buf[64];
    const struct scenario_ynode *v;

    memcpy(field, pc->field, sizeof(field));
    memset(r, 0, sizeof(*r));
    if (scenario_is_word(n, "unlimited")) {
        r->kind = SCENARIO_RATE_UNLIMITED;
        return 0;
    }
    if (n->type == SCENARIO_Y_SCALAR) {
        /* A number, or else the general message. */
        if (scenario_number(pc->cx, n, field, -INFINITY, INFINITY, &r->rate) < 0)
            return scenario_fail(pc->cx, n, field, "%s, got %s", expected,
                                 scenario_describe(n, buf));
        if (!(r->rate > 0 && r->rate <= RATECTL_MAX_RATE))
            return scenario_fail(pc->cx, n, field,
                                 "a constant rate must be > 0 and <= %g tx/s, got %s "
                                 "(a pause is a step of rate 0)",
                                 RATECTL_MAX_RATE, n->text);
        r->kind = SCENARIO_RATE_CONSTANT;
        return 0;
    }
    if (n->type != SCENARIO_Y_MAP || n->n == 0)
        return scenario_fail(pc->cx, n, field, "%s, got %s", expected,
                             n->type == SCENARIO_Y_MAP ? "an empty mapping" :
                                                       scenario_describe(n, buf));
    if (scenario_check_keys(pc->cx, n, field, keys, 2) < 0)
        return -1;
    if (n->n > 1)
        return scenario_fail(pc->cx, n->kids[2], field, "give either ramp or steps, not both");
    v = n->kids[1];
    if (strcmp(n->kids[0]->text, "steps") == 0) {
        scenario_path(f, sizeof(f), "%s.steps", field);
        return parse_steps(pc, v, f, r);
    }
    scenario_path(f, sizeof(f), "%s.ramp", field);
    if (v->type != SCENARIO_Y_SEQ || v->n != 2)
        return scenario_fail(pc->cx, v, f, "expected [from, to] (tx/s over the phase), got %s",
                             v->type == SCENARIO_Y_SEQ ? "a list of another length" :
                                                       scenario_describe(v, buf));
    scenario_path(f, sizeof(f), "%s.ramp[0]", field);
    if (scenario_number(pc->cx, v->kids[0], f, 0, RATECTL_MAX_RATE, &r->from) < 0)
        return -1;
    scenario_path(f, sizeof(f), "%s.ramp[1]", field);
    if (scenario_number(pc->cx, v->kids[1], f, 0, RATECTL_MAX_RATE, &r->to) < 0)
        return -1;
    if (r->from == 0 && r->to == 0)
        return scenario_fail(pc->cx, v, field, "a ramp from 0 to 0 sends nothing");
    r->kind = SCENARIO_RATE_RAMP;
    return 0;
}

/* rate, duration, warmup and cooldown (LOAD, and P2P_LIMIT's hold, which
 * takes nothing from defaults). */
static int parse_schedule(struct pctx *pc, bool inherit)
{
    struct scenario_phase *p = pc->p;
    const struct scenario_ynode *rn = lookup(pc, "rate", inherit), *dn, *n, *blame;
    char rate_field[SCENARIO_FIELD_LEN], blame_field[SCENARIO_FIELD_LEN], a[32], b[32];
    struct ratectl_curve curve;
    uint64_t sum = 0;

    memcpy(rate_field, pc->field, sizeof(rate_field));
    if (rn == NULL)
        return missing(pc, "rate (a number, \"unlimited\", {ramp: [a, b]} or {steps: ...})");
    if (parse_rate(pc, rn, &p->rate) < 0)
        return -1;
    /* Steps carry their own length: a default duration does not apply. */
    dn = lookup(pc, "duration", inherit && p->rate.kind != SCENARIO_RATE_STEPS);
    if (p->rate.kind == SCENARIO_RATE_STEPS) {
        for (size_t k = 0; k < p->rate.nsteps; k++)
            sum += p->rate.steps[k].dur_ns; /* each <= 30 days: no overflow */
        if (sum > RATECTL_MAX_NS)
            return scenario_fail(pc->cx, rn, rate_field, "the steps last more than 30 days");
        if (dn != NULL) {
            if (scenario_duration(pc->cx, dn, pc->field, MS, RATECTL_MAX_NS, &p->duration_ns) < 0)
                return -1;
            if (p->duration_ns != sum)
                return scenario_fail(pc->cx, dn, pc->field,
                                     "%s s, but the steps add up to %s s (leave duration out "
                                     "to use the steps' total)",
                                     scenario_secs(a, p->duration_ns), scenario_secs(b, sum));
        }
        p->duration_ns = sum;
    } else {
        if (dn == NULL)
            return missing(pc, "duration");
        if (scenario_duration(pc->cx, dn, pc->field, MS, RATECTL_MAX_NS, &p->duration_ns) < 0)
            return -1;
    }
    if (scenario_phase_curve(p, &curve, pc->cx->err) < 0)
        return err_prefix(pc->cx->err, "%s:%d:%d: %s", pc->cx->file, rn->line, rn->col,
                          rate_field);
    /* The steady-state window: 10 % each side unless given. An error
     * points at the last of the two that was given. */
    p->warmup_ns = p->duration_ns / 10;
    p->cooldown_ns = p->duration_ns / 10;
    blame = pc->pn;
    memcpy(blame_field, pc->base, sizeof(pc->base));
    if ((n = lookup(pc, "warmup", inherit)) != NULL) {
        if (scenario_duration(pc->cx, n, pc->field, 0, RATECTL_MAX_NS, &p->warmup_ns) < 0)
            return -1;
        blame = n;
        memcpy(blame_field, pc->field, sizeof(blame_field));
    }
    if ((n = lookup(pc, "cooldown", inherit)) != NULL) {
        if (scenario_duration(pc->cx, n, pc->field, 0, RATECTL_MAX_NS, &p->cooldown_ns) < 0)
            return -1;
        blame = n;
        memcpy(blame_field, pc->field, sizeof(blame_field));
    }
    if (p->warmup_ns >= p->duration_ns || p->cooldown_ns >= p->duration_ns - p->warmup_ns)
        return scenario_fail(pc->cx, blame, blame_field,
                             "warmup + cooldown (%s s) leave no steady-state window in the "
                             "%s s phase", scenario_secs(a, p->warmup_ns + p->cooldown_ns),
                             scenario_secs(b, p->duration_ns));
    return 0;
}

/* ---- where the load goes and with what ---- */

static int parse_mix(struct pctx *pc)
{
    static const char *const keys[] = {"transfer", "limit_order"};
    const struct scenario_ynode *n = lookup(pc, "mix", true), *v;
    char field[SCENARIO_FIELD_LEN], f[SCENARIO_FIELD_LEN + 16], buf[64];
    uint32_t *w[2] = {&pc->p->mix_transfer, &pc->p->mix_limit_order};

    pc->p->mix_transfer = 100;
    pc->p->mix_limit_order = 0;
    if (n == NULL)
        return 0;
    memcpy(field, pc->field, sizeof(field));
    if (n->type != SCENARIO_Y_MAP)
        return scenario_fail(pc->cx, n, field,
                             "expected a mapping of weights, e.g. {transfer: 70, limit_order: "
                             "30}, got %s", scenario_describe(n, buf));
    if (scenario_check_keys(pc->cx, n, field, keys, 2) < 0)
        return -1;
    for (size_t k = 0; k < 2; k++) {
        *w[k] = 0;
        scenario_path(f, sizeof(f), "%s.%s", field, keys[k]);
        if ((v = scenario_get(n, keys[k])) != NULL &&
            scenario_u32(pc->cx, v, f, 0, 1000000, w[k]) < 0)
            return -1;
    }
    if (pc->p->mix_transfer + pc->p->mix_limit_order == 0)
        return scenario_fail(pc->cx, n, field, "every weight is 0: nothing to send");
    return 0;
}

static int parse_nodes(struct pctx *pc)
{
    const struct scenario_ynode *n = lookup(pc, "nodes", true), *w;
    const struct scenario *s = pc->s;
    char field[SCENARIO_FIELD_LEN], f[SCENARIO_FIELD_LEN + 16], buf[64];
    uint64_t sum = 0;

    pc->p->spread = SCENARIO_SPREAD_ALL;
    if (n == NULL || scenario_is_word(n, "all"))
        return 0;
    if (scenario_is_word(n, "one")) {
        pc->p->spread = SCENARIO_SPREAD_ONE;
        return 0;
    }
    memcpy(field, pc->field, sizeof(field));
    if (n->type != SCENARIO_Y_MAP || n->n != 1 || strcmp(n->kids[0]->text, "weights") != 0) {
        static const char *const keys[] = {"weights"};
        if (n->type == SCENARIO_Y_MAP && n->n > 0 &&
            scenario_check_keys(pc->cx, n, field, keys, 1) < 0)
            return -1;
        return scenario_fail(pc->cx, n, field,
                             "expected all, one or {weights: [w1, w2, ...]}, got %s",
                             scenario_describe(n, buf));
    }
    w = n->kids[1];
    scenario_path(f, sizeof(f), "%s.weights", field);
    if (w->type != SCENARIO_Y_SEQ || w->n == 0 || w->n > SCENARIO_MAX_NODES)
        return scenario_fail(pc->cx, w, f, "expected a list of 1..%d weights, got %s",
                             SCENARIO_MAX_NODES, scenario_describe(w, buf));
    /* Weights are per node: their count must match every target the
     * scenario names (its node list and the local devnodes). */
    if (s->nnodes > 0 && w->n != s->nnodes)
        return scenario_fail(pc->cx, w, f, "%zu weights for %u nodes", w->n, s->nnodes);
    if (s->local.present && w->n != s->local.devnodes)
        return scenario_fail(pc->cx, w, f, "%zu weights, but local.devnodes is %u", w->n,
                             s->local.devnodes);
    pc->p->spread = SCENARIO_SPREAD_WEIGHTS;
    pc->p->nweights = (uint32_t)w->n;
    for (size_t k = 0; k < w->n; k++) {
        scenario_path(f, sizeof(f), "%s.weights[%zu]", field, k);
        if (scenario_u32(pc->cx, w->kids[k], f, 0, 1000000, &pc->p->weights[k]) < 0)
            return -1;
        sum += pc->p->weights[k];
    }
    if (sum == 0)
        return scenario_fail(pc->cx, w, field, "every weight is 0: no node gets load");
    return 0;
}

static int parse_beacons(struct pctx *pc)
{
    const struct scenario_ynode *n = lookup(pc, "beacons", true);
    char buf[64];
    uint64_t v;

    pc->p->beacons = 0;
    if (n == NULL || scenario_is_word(n, "all"))
        return 0;
    if (n->type != SCENARIO_Y_SCALAR)
        return scenario_fail(pc->cx, n, pc->field, "expected all or a number of beacons, got %s",
                             scenario_describe(n, buf));
    if (scenario_uint(pc->cx, n, pc->field, 1, SCENARIO_MAX_BEACONS, &v) < 0)
        return -1;
    if (v > pc->s->beacons)
        return scenario_fail(pc->cx, n, pc->field,
                             "%llu beacons, but the scenario has beacons: %u",
                             (unsigned long long)v, pc->s->beacons);
    pc->p->beacons = (uint32_t)v;
    return 0;
}

/* Beacon tuning: each 0 (absent) leaves the beacon's default. */
static int parse_tuning(struct pctx *pc)
{
    static const char *const follow[] = {"auto", "first", "all"};
    struct scenario_phase *p = pc->p;
    const struct scenario_ynode *n;
    uint64_t ns;
    int v;

    p->ops_per_tx = 1;
    p->conns_per_node = 1;
    if ((n = lookup(pc, "connections_per_node", true)) != NULL &&
        scenario_u32(pc->cx, n, pc->field, 1, 1024, &p->conns_per_node) < 0)
        return -1;
    if ((n = lookup(pc, "follow", true)) != NULL) {
        if (scenario_choice(pc->cx, n, pc->field, follow, 3, &v) < 0)
            return -1;
        p->follow = (enum scenario_follow)v;
    }
    if ((n = lookup(pc, "window", true)) != NULL &&
        scenario_u32(pc->cx, n, pc->field, 1, 1000000, &p->window) < 0)
        return -1;
    if ((n = lookup(pc, "threads", true)) != NULL &&
        scenario_u32(pc->cx, n, pc->field, 1, 1024, &p->threads) < 0)
        return -1;
    if ((n = lookup(pc, "expire", true)) != NULL) {
        if (scenario_duration(pc->cx, n, pc->field, SEC, 86400 * SEC, &ns) < 0)
            return -1;
        if (ns % SEC != 0)
            return scenario_fail(pc->cx, n, pc->field, "expected whole seconds, got %s", n->text);
        p->expire_s = (uint32_t)(ns / SEC);
    }
    /* `drain: 0` means no drain; the beacon reads 0 as "its default", so
     * that is 1 ns, as `beacon run --drain 0` does. */
    if ((n = lookup(pc, "drain", true)) != NULL) {
        if (scenario_duration(pc->cx, n, pc->field, 0, HOUR, &p->drain_ns) < 0)
            return -1;
        if (p->drain_ns == 0)
            p->drain_ns = 1;
    }
    if ((n = lookup(pc, "ack_timeout", true)) != NULL &&
        scenario_duration(pc->cx, n, pc->field, MS, HOUR, &p->ack_timeout_ns) < 0)
        return -1;
    if ((n = lookup(pc, "drop_horizon", true)) != NULL &&
        scenario_duration(pc->cx, n, pc->field, MS, HOUR, &p->drop_horizon_ns) < 0)
        return -1;
    if ((n = lookup(pc, "late", true)) != NULL &&
        scenario_duration(pc->cx, n, pc->field, 1000, HOUR, &p->late_ns) < 0)
        return -1;
    if ((n = lookup(pc, "presign_ahead", true)) != NULL &&
        scenario_duration(pc->cx, n, pc->field, 100 * MS, 600 * SEC, &p->presign_ahead_ns) < 0)
        return -1;
    return 0;
}

/* ---- the phase ---- */

/* Keys that a searching phase takes from its search, given explicitly in
 * the phase: an error (from defaults they are simply not used). */
static int refuse(struct pctx *pc, const char *key, const char *why)
{
    const struct scenario_ynode *k = scenario_get_key(pc->pn, key);

    if (k == NULL)
        return 0;
    scenario_path(pc->field, sizeof(pc->field), "%s.%s", pc->base, key);
    return scenario_fail(pc->cx, k, pc->field, "not used by a %s phase (%s)",
                         scenario_phase_kind_name(pc->p->kind), why);
}

static int parse_kind(struct pctx *pc)
{
    struct scenario_phase *p = pc->p;
    const struct scenario_ynode *fk = scenario_get_key(pc->pn, "find_limit");
    const struct scenario_ynode *pk = scenario_get_key(pc->pn, "p2p_limit");
    const struct scenario_ynode *n;

    if (fk != NULL && pk != NULL) {
        const struct scenario_ynode *second = fk->line > pk->line ? fk : pk;
        scenario_path(pc->field, sizeof(pc->field), "%s.%s", pc->base, second->text);
        return scenario_fail(pc->cx, second, pc->field,
                             "a phase is either find_limit or p2p_limit, not both");
    }
    if (pk == NULL && (n = lookup(pc, "ops_per_tx", true)) != NULL &&
        scenario_u32(pc->cx, n, pc->field, 1, SCENARIO_MAX_OPS, &p->ops_per_tx) < 0)
        return -1;
    if (fk != NULL) {
        p->kind = SCENARIO_PHASE_FIND_LIMIT;
        if (refuse(pc, "duration", "its length comes from find_limit") < 0 ||
            refuse(pc, "rate", "its rates come from find_limit") < 0 ||
            refuse(pc, "warmup", "use find_limit.settle_seconds") < 0 ||
            refuse(pc, "cooldown", "use find_limit.settle_seconds") < 0)
            return -1;
        n = lookup(pc, "find_limit", false);
        return scenario_find_limit_parse(pc->cx, n, pc->field, p);
    }
    if (pk != NULL) {
        p->kind = SCENARIO_PHASE_P2P_LIMIT;
        if (refuse(pc, "ops_per_tx", "it searches the operations per transaction") < 0)
            return -1;
        n = lookup(pc, "p2p_limit", false);
        if (scenario_p2p_limit_parse(pc->cx, n, pc->field, p) < 0)
            return -1;
        /* The hold at the largest size that passed: only with the phase's
         * own duration, never a default's. */
        if (scenario_get(pc->pn, "duration") != NULL)
            return parse_schedule(pc, false);
        if (refuse(pc, "rate", "give a duration too, for a hold at the largest size") < 0 ||
            refuse(pc, "warmup", "there is no hold without a duration") < 0 ||
            refuse(pc, "cooldown", "there is no hold without a duration") < 0)
            return -1;
        return 0;
    }
    p->kind = SCENARIO_PHASE_LOAD;
    return parse_schedule(pc, true);
}

int scenario_phase_parse(const struct scenario_ctx *cx, const struct scenario_ynode *pn,
                         const struct scenario_ynode *defaults, size_t i,
                         const struct scenario *s, struct scenario_phase *p)
{
    static const char *const own[] = {"name", "find_limit", "p2p_limit"};
    const char *keys[NCOMMON + 3];
    struct pctx pc = {.cx = cx, .pn = pn, .defaults = defaults, .i = i, .s = s, .p = p};
    const struct scenario_ynode *n;
    char buf[64];

    memset(p, 0, sizeof(*p));
    scenario_path(pc.base, sizeof(pc.base), "phases[%zu]", i);
    if (pn->type != SCENARIO_Y_MAP)
        return scenario_fail(cx, pn, pc.base, "expected a mapping (name, duration, rate, ...), "
                             "got %s", scenario_describe(pn, buf));
    p->line = pn->line;
    memcpy(keys, common_keys, sizeof(common_keys));
    memcpy(keys + NCOMMON, own, sizeof(own));
    if (scenario_check_keys(cx, pn, pc.base, keys, NCOMMON + 3) < 0)
        return -1;
    scenario_path(p->name, sizeof(p->name), "phase-%zu", i + 1);
    if ((n = lookup(&pc, "name", false)) != NULL &&
        scenario_string(cx, n, pc.field, p->name, sizeof(p->name)) < 0)
        return -1;
    if (p->name[0] == '\0')
        return scenario_fail(cx, n, pc.field, "a phase name cannot be empty");
    /* Tuning first: parse_kind may refuse ops_per_tx after the default. */
    if (parse_tuning(&pc) < 0 || parse_kind(&pc) < 0 || parse_mix(&pc) < 0 ||
        parse_nodes(&pc) < 0 || parse_beacons(&pc) < 0)
        return -1;
    if (p->kind == SCENARIO_PHASE_P2P_LIMIT)
        p->ops_per_tx = 0;
    return 0;
}

int scenario_defaults_check(const struct scenario_ctx *cx, const struct scenario_ynode *d)
{
    static const char *const own[] = {"name", "find_limit", "p2p_limit"};
    char buf[64];

    if (d->type != SCENARIO_Y_MAP)
        return scenario_fail(cx, d, "defaults", "expected a mapping of phase settings, got %s",
                             scenario_describe(d, buf));
    for (size_t k = 0; k < 3; k++) {
        const struct scenario_ynode *key = scenario_get_key(d, own[k]);
        if (key != NULL)
            return scenario_fail(cx, key, "defaults", "%s is given per phase, not in defaults",
                                 own[k]);
    }
    return scenario_check_keys(cx, d, "defaults", common_keys, NCOMMON);
}
