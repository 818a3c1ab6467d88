/* scenario_sched.c - see scenario.h: what a parsed scenario becomes when it
 * runs: its durations scaled (--scale) and each phase's rate curve. */
#include "scenario_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

#define MS UINT64_C(1000000)
#define SEC UINT64_C(1000000000)

/* ---- scaling ---- */

/* ns * factor, rounded, at least 1 ms unless 0; false when too long. */
static bool scale_ns(uint64_t *ns, double factor)
{
    double v;

    if (*ns == 0)
        return true;
    v = nearbyint((double)*ns * factor);
    if (v < (double)MS)
        v = (double)MS;
    if (!(v <= (double)RATECTL_MAX_NS))
        return false;
    *ns = (uint64_t)v;
    return true;
}

/* The schedule of a LOAD phase or of a P2P_LIMIT hold. */
static int scale_schedule(struct scenario_phase *p, double factor, char *err)
{
    bool ok = true;

    if (p->rate.kind == SCENARIO_RATE_STEPS) {
        uint64_t sum = 0;
        for (size_t k = 0; k < p->rate.nsteps && ok; k++) {
            ok = scale_ns(&p->rate.steps[k].dur_ns, factor);
            sum += p->rate.steps[k].dur_ns;
        }
        ok = ok && sum <= RATECTL_MAX_NS;
        p->duration_ns = sum;
    } else {
        ok = scale_ns(&p->duration_ns, factor);
    }
    ok = ok && scale_ns(&p->warmup_ns, factor) && scale_ns(&p->cooldown_ns, factor);
    if (!ok)
        return err_set(err, "phase %s: scaled, it would last more than 30 days", p->name);
    if (p->warmup_ns >= p->duration_ns || p->cooldown_ns >= p->duration_ns - p->warmup_ns)
        return err_set(err, "phase %s: scaled, warmup and cooldown would leave no "
                       "steady-state window", p->name);
    return 0;
}

static int scale_phase(struct scenario_phase *p, double factor, char *err)
{
    struct scenario_find_limit *fl = &p->find_limit;

    switch (p->kind) {
    case SCENARIO_PHASE_FIND_LIMIT:
        if (!scale_ns(&fl->step_ns, factor) || !scale_ns(&fl->settle_ns, factor) ||
            (double)fl->step_ns * (fl->nsteps + fl->refine) > (double)RATECTL_MAX_NS)
            return err_set(err, "phase %s: scaled, it would last more than 30 days", p->name);
        if (fl->settle_ns >= fl->step_ns)
            return err_set(err, "phase %s: scaled, its steps would leave nothing after settling",
                           p->name);
        p->duration_ns = fl->step_ns * (fl->nsteps + fl->refine);
        return 0;
    case SCENARIO_PHASE_P2P_LIMIT:
        if (!scale_ns(&p->p2p_limit.probe_ns, factor))
            return err_set(err, "phase %s: scaled, a probe would last more than 30 days",
                           p->name);
        return p->duration_ns > 0 ? scale_schedule(p, factor, err) : 0;
    case SCENARIO_PHASE_LOAD:
        return scale_schedule(p, factor, err);
    }
    return err_set(err, "phase %s: unknown kind %d", p->name, (int)p->kind);
}

int scenario_scale(struct scenario *s, double factor, char *err)
{
    struct scenario_phase *copy;

    if (!(factor > 0 && factor <= 1000))
        return err_set(err, "scale factor %g is out of range (0 .. 1000]", factor);
    /* All or nothing: scale a copy, then take it. */
    copy = malloc(s->nphases * sizeof(*copy) + 1);
    if (copy == NULL)
        return err_set(err, "out of memory");
    memcpy(copy, s->phases, s->nphases * sizeof(*copy));
    for (size_t i = 0; i < s->nphases; i++)
        if (scale_phase(&copy[i], factor, err) < 0) {
            free(copy);
            return -1;
        }
    free(s->phases);
    s->phases = copy;
    s->scale *= factor;
    return 0;
}

/* ---- curves ---- */

int scenario_phase_curve(const struct scenario_phase *p, struct ratectl_curve *c, char *err)
{
    const struct scenario_rate *r = &p->rate;

    ratectl_curve_init(c);
    if (p->kind == SCENARIO_PHASE_FIND_LIMIT)
        return err_set(err, "phase %s: a find_limit phase has one curve per step "
                       "(scenario_find_limit_curve)", p->name);
    if (p->duration_ns == 0)
        return err_set(err, "phase %s: no duration, so no schedule", p->name);
    switch (r->kind) {
    case SCENARIO_RATE_UNLIMITED:
        c->unlimited = true;
        c->unlimited_ns = p->duration_ns;
        return 0;
    case SCENARIO_RATE_CONSTANT:
        return ratectl_curve_add(c, r->rate, r->rate, p->duration_ns, err);
    case SCENARIO_RATE_RAMP:
        return ratectl_curve_add(c, r->from, r->to, p->duration_ns, err);
    case SCENARIO_RATE_STEPS:
        for (size_t k = 0; k < r->nsteps; k++)
            if (ratectl_curve_add(c, r->steps[k].rate, r->steps[k].rate, r->steps[k].dur_ns,
                                  err) < 0)
                return err_prefix(err, "steps[%zu]", k);
        return 0;
    }
    return err_set(err, "phase %s: unknown rate kind %d", p->name, (int)r->kind);
}

double scenario_find_limit_rate(const struct scenario_phase *p, uint32_t i)
{
    double r = p->find_limit.start + (double)i * p->find_limit.step;

    return r < p->find_limit.max ? r : p->find_limit.max;
}

int scenario_find_limit_curve(const struct scenario_phase *p, double rate,
                              struct ratectl_curve *c, char *err)
{
    ratectl_curve_init(c);
    if (p->kind != SCENARIO_PHASE_FIND_LIMIT)
        return err_set(err, "phase %s is not a find_limit phase", p->name);
    if (!(rate > 0))
        return err_set(err, "phase %s: a step's rate must be > 0", p->name);
    return ratectl_curve_add(c, rate, rate, p->find_limit.step_ns, err);
}

int scenario_p2p_probe_curve(const struct scenario_phase *p, struct ratectl_curve *c,
                             char *err)
{
    ratectl_curve_init(c);
    if (p->kind != SCENARIO_PHASE_P2P_LIMIT)
        return err_set(err, "phase %s is not a p2p_limit phase", p->name);
    return ratectl_curve_add(c, p->p2p_limit.probe_rate, p->p2p_limit.probe_rate,
                             p->p2p_limit.probe_ns, err);
}

uint64_t scenario_total_ns(const struct scenario *s)
{
    uint64_t sum = 0;

    for (size_t i = 0; i < s->nphases; i++)
        sum += s->phases[i].duration_ns; /* each <= 30 days, phases <= 64: no overflow */
    return sum;
}
