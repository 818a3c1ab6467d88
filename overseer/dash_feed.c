/* dash_feed.c - see dash_feed.h. */
#include "dash_feed.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dash.h"
#include "err.h"
#include "timefmt.h"

int dash_feed_start(struct run *r, char *err)
{
    const struct run_config *cfg = r->cfg;
    struct dash_config dc = {.listen = cfg->dashboard, .token_file = cfg->dashboard_token,
                             .out_dir = r->out, .t0_ns = r->t0};
    char derr[ERR_LEN];
    bool busy = false;

    if (cfg->dashboard == NULL)
        return 0;
    r->dash = dash_new(&dc, &busy, derr);
    if (r->dash == NULL) {
        if (cfg->dashboard_auto && busy) {
            fprintf(stderr, "dashboard: %s is busy: running without one (--dashboard PORT picks "
                    "another)\n", cfg->dashboard);
            return 0;
        }
        return err_set(err, "%s", derr);
    }
    fprintf(stderr, "dashboard: %s%s\n", dash_url(r->dash),
            cfg->dashboard_token != NULL ? "?token=... (the token in --dashboard-token)" : "");
    return 0;
}

void dash_feed_nodes(struct run *r)
{
    if (r->dash != NULL)
        dash_nodes(r->dash, r->nodes, r->nnodes);
}

void dash_feed_log(struct run *r, const char *text)
{
    if (r->dash != NULL)
        dash_log(r->dash, run_time(r), text);
}

void dash_feed_beacon(struct run *r, const struct sess_beacon *b, const char *text)
{
    bool alive;

    if (r->dash == NULL || b == NULL || b->id[0] == '\0')
        return;
    /* sess reports an arrival before it marks the beacon alive, and a
     * departure before it marks it gone: its words say which it is. */
    alive = b->alive;
    if (strstr(text, " joined ") != NULL || strstr(text, " is back") != NULL)
        alive = true;
    else if (strstr(text, " lost: ") != NULL || strstr(text, " left: ") != NULL)
        alive = false;
    dash_beacon_event(r->dash, run_time(r), b->id, b->host, alive, text);
}

void dash_feed_stats(struct run *r, const struct sess_beacon *b, const struct stats_interval *s)
{
    if (r->dash != NULL)
        dash_beacon_stats(r->dash, b->id, b->host, s);
}

static void dash_feed_fill(struct run *r, const struct phase_spec *spec, struct dash_phase *p)
{
    memset(p, 0, sizeof *p);
    p->no = r->phase_id;
    snprintf(p->name, sizeof p->name, "%.*s", (int)sizeof p->name - 1, spec->name);
    snprintf(p->kind, sizeof p->kind, "%s", scenario_phase_kind_name(spec->p->kind));
    p->start_s = r->phase_t0_s;
    p->ops_per_tx = spec->ops_per_tx;
}

void dash_feed_phase_start(struct run *r, const struct phase_spec *spec, double dur_s)
{
    struct dash_phase p;

    if (r->dash == NULL)
        return;
    dash_feed_fill(r, spec, &p);
    p.dur_s = dur_s;
    dash_phase(r->dash, &p);
}

void dash_feed_phase_end(struct run *r, const struct phase_spec *spec,
                         const struct phase_result *res)
{
    struct dash_phase p;

    if (r->dash == NULL)
        return;
    dash_feed_fill(r, spec, &p);
    p.dur_s = (double)(spec->curve.unlimited ? spec->curve.unlimited_ns : 0) / 1e9;
    for (size_t i = 0; !spec->curve.unlimited && i < spec->curve.nseg; i++)
        p.dur_s += (double)spec->curve.seg[i].dur_ns / 1e9;
    p.ended = true;
    p.end_s = res->end_s;
    p.verdict = res->verdict;
    snprintf(p.reason, sizeof p.reason, "%.*s", (int)sizeof p.reason - 1, res->reason);
    p.window_s = res->window_end_s - res->window_start_s;
    p.window_offered = res->window.c.offered;
    p.window_confirmed = res->window.c.confirmed;
    dash_phase(r->dash, &p);
}

void dash_feed_second(struct run *r, const struct agg_row *row, unsigned alive)
{
    struct dash_second h;

    if (r->dash == NULL)
        return;
    /* Only the head: dash_second copies the rest from the interval. */
    memset(&h, 0, sizeof h);
    h.second = row->second;
    h.t_s = r->phase_t0_s + row->second;
    h.phase_no = r->phase_id;
    h.beacons = row->beacons;
    h.alive = alive;
    h.pool_min = row->pool_min;
    h.cpu_max_pct = row->cpu_max_all_pct;
    h.verdict = row->verdict;
    snprintf(h.reason, sizeof h.reason, "%s", row->reason);
    dash_second(r->dash, &h, &row->s);
}

void dash_feed_end(struct run *r, const char *result, bool report)
{
    if (r->dash == NULL)
        return;
    dash_end(r->dash, run_time(r), result, report);
    if (r->cfg->dashboard_hold_s > 0) {
        int seen = run_interrupted;
        uint64_t end = timefmt_mono_ns() + (uint64_t)r->cfg->dashboard_hold_s * 1000000000u;
        fprintf(stderr, "dashboard: %s stays up for %u s (Ctrl-C ends it)\n", dash_url(r->dash),
                r->cfg->dashboard_hold_s);
        while (timefmt_mono_ns() < end && run_interrupted == seen)
            usleep(100000);
    }
    dash_free(r->dash);
    r->dash = NULL;
}
