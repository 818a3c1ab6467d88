/* phase.c - one curve run on the beacons, and its aggregation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dash_feed.h"
#include "err.h"
#include "run_impl.h"
#include "timefmt.h"

#define PHASE_READY_TIMEOUT_NS (300ull * 1000000000u)
#define PHASE_START_DELAY_NS 1500000000ull
#define PHASE_GRACE_NS 3000000000ull
/* heartbeat.state values (PROTOCOL.md): a beacon still at work on a phase. */
#define PHASE_HB_IDLE 0
#define PHASE_HB_RUNNING 3
#define PHASE_HB_DRAINING 4
#define PHASE_HB_DONE 5

/* The length of a curve, ns. */
static uint64_t phase_curve_ns(const struct ratectl_curve *c)
{
    uint64_t ns = 0;

    if (c->unlimited)
        return c->unlimited_ns;
    for (size_t i = 0; i < c->nseg; i++)
        ns += c->seg[i].dur_ns;
    return ns;
}

/* The key file lines (accounts) in r->keys_text, as offsets into it. */
static size_t phase_key_lines(const struct run *r, size_t *start, size_t *len, size_t cap)
{
    size_t n = 0, off = 0;

    while (off < r->keys_len && n < cap) {
        const char *line = r->keys_text + off;
        const char *nl = memchr(line, '\n', r->keys_len - off);
        size_t l = nl != NULL ? (size_t)(nl - line) : r->keys_len - off;
        size_t k = 0;

        while (k < l && (line[k] == ' ' || line[k] == '\t' || line[k] == '\r'))
            k++;
        if (k < l && line[k] != '#') {
            start[n] = off;
            len[n++] = l;
        }
        off += l + 1;
    }
    return n;
}

/* Beacon i's accounts: with at least two per beacon, each beacon gets its
 * own (every k-th line), so their transactions can never coincide and
 * their balances do not compete. Returns a new text (wiped and freed by the
 * caller), or NULL to send them all. */
static char *phase_keys_for(const struct run *r, unsigned i, size_t *out_len)
{
    enum { MAXL = 65536 };
    static size_t start[MAXL], len[MAXL];
    size_t n = phase_key_lines(r, start, len, MAXL), total = 0;
    char *text;

    if (r->nmembers < 2 || n < 2 * (size_t)r->nmembers)
        return NULL;
    for (size_t k = i; k < n; k += r->nmembers)
        total += len[k] + 1;
    text = malloc(total + 1);
    if (text == NULL)
        return NULL;
    *out_len = 0;
    for (size_t k = i; k < n; k += r->nmembers) {
        memcpy(text + *out_len, r->keys_text + start[k], len[k]);
        *out_len += len[k];
        text[(*out_len)++] = '\n';
    }
    text[*out_len] = '\0';
    return text;
}

static void phase_configure(struct run *r, const struct phase_spec *spec, unsigned i,
                            struct proto_msg *m)
{
    const struct scenario_phase *p = spec->p;
    struct proto_configure *c = &m->u.configure;

    proto_init(m, PROTO_CONFIGURE);
    c->phase = r->phase_id;
    snprintf(c->phase_name, sizeof c->phase_name, "%s", spec->name);
    c->nnodes = (uint32_t)r->nnodes;
    for (size_t k = 0; k < r->nnodes; k++) {
        snprintf(c->nodes[k], sizeof c->nodes[k], "%s", r->nodes[k]);
        c->weights[k] = k < p->nweights ? p->weights[k] : 1;
    }
    c->spread = p->spread == SCENARIO_SPREAD_ONE       ? PROTO_SPREAD_SINGLE
                : p->spread == SCENARIO_SPREAD_WEIGHTS ? PROTO_SPREAD_WEIGHTS
                                                       : PROTO_SPREAD_ROUND_ROBIN;
    c->conns_per_node = p->conns_per_node;
    c->follow_all = p->follow == SCENARIO_FOLLOW_ALL ||
                    (p->follow == SCENARIO_FOLLOW_AUTO && r->follow_all);
    c->tls_insecure = r->sc->tls_insecure;
    /* Owned by the message (wiped when it is freed), or borrowed from the
     * run when every beacon gets every account (then cleared before free). */
    c->keys_text = phase_keys_for(r, i, &c->keys_len);
    if (c->keys_text == NULL) {
        c->keys_text = r->keys_text;
        c->keys_len = r->keys_len;
    }
    c->curve = spec->curve;
    c->share_index = i;
    c->share_count = r->nmembers;
    c->weight_transfer = p->mix_transfer;
    c->weight_limit_order = p->mix_limit_order;
    c->ops_per_tx = spec->ops_per_tx;
    c->seed = r->sc->seed * 1000003u + r->phase_id * 1009u + i;
    /* Beacons that share accounts get disjoint index ranges (2^28 each);
     * with their own accounts none is needed. A beacon's indices also keep
     * growing across phases (the beacon adds what it signed before). */
    c->k_offset = c->keys_text == r->keys_text ? (uint64_t)i << 28 : 0;
    c->window = p->window;
    c->threads = p->threads;
    c->presign_ahead_s = (double)p->presign_ahead_ns / 1e9;
    c->expire_s = p->expire_s;
    c->late_ns = p->late_ns;
    c->drop_horizon_ns = p->drop_horizon_ns;
    c->ack_timeout_ns = p->ack_timeout_ns;
    c->drain_ns = p->drain_ns;
}

/* Sends m to every member; keys_text of a CONFIGURE is borrowed. */
static void phase_send_all(struct run *r, struct proto_msg *m)
{
    for (unsigned i = 0; i < r->nmembers; i++)
        if (r->alive[i])
            sess_send(r->sess, r->members[i], m);
}

static void phase_stop(struct run *r, bool abort)
{
    proto_init(r->msg, PROTO_STOP);
    r->msg->u.stop.phase = r->phase_id;
    r->msg->u.stop.abort = abort;
    phase_send_all(r, r->msg);
    proto_free(r->msg);
}

/* Waits until every live member answered READY for this phase. */
static int phase_wait_ready(struct run *r, struct phase_result *res, char *err)
{
    uint64_t deadline = timefmt_mono_ns() + PHASE_READY_TIMEOUT_NS, next_note = 0;

    for (;;) {
        unsigned ready = 0, alive = 0;
        uint64_t now = timefmt_mono_ns();

        if (sess_poll(r->sess, 50, err) < 0)
            return -1;
        for (unsigned i = 0; i < r->nmembers; i++) {
            struct sess_beacon *b = r->members[i];
            struct phase_member *m = &r->mstate[i];
            /* Restarted, or back idle after a loss: its configuration is
             * gone, it will never be ready. Idle until the next phase. */
            bool lost_work = b->restarts != m->restarts0 ||
                             (b->losses != m->losses0 && (b->hb_state == PHASE_HB_IDLE ||
                                                          b->hb_state == PHASE_HB_DONE));
            if (b->alive && lost_work && !m->gone) {
                m->gone = true;
                run_log(r, "beacon %s is back without its configuration for phase \"%s\": idle "
                        "until the next phase", b->id, r->phase_name);
            }
            r->alive[i] = b->alive && !m->gone;
            alive += r->alive[i];
            if (!r->alive[i])
                continue;
            if (b->have_ready && b->ready.phase == r->phase_id) {
                if (!b->ready.ok) {
                    res->ready_failed = true;
                    snprintf(res->reason, sizeof res->reason, "%s", b->ready.error);
                    return err_set(err, "beacon %s could not prepare phase \"%s\": %s", b->id,
                                   r->phase_name, b->ready.error);
                }
                ready++;
                if (!r->have_chain) {
                    r->chain = b->ready.chain;
                    r->have_chain = true;
                }
            }
        }
        if (alive > 0 && ready == alive)
            return 0;
        if (alive == 0)
            return err_set(err, "every beacon was lost while preparing phase \"%s\"", r->phase_name);
        if (run_interrupted)
            return 1;
        if (now > deadline)
            return err_set(err, "phase \"%s\": only %u of %u beacons ready after %llu s",
                           r->phase_name, ready, alive, PHASE_READY_TIMEOUT_NS / 1000000000u);
        if (now >= next_note) {
            run_progress(r, "phase \"%s\": pre-signing, %u/%u beacons ready", r->phase_name, ready,
                         alive);
            next_note = now + 1000000000u;
        }
    }
}

static void phase_progress(struct run *r, const struct agg_row *row, unsigned alive)
{
    const struct stats_counters *c = &row->s.c;
    uint64_t err = c->timeouts + c->conn_errors + c->dropped + c->held_dropped +
                   stats_rejected_total(c);

    run_progress(r, "%s %3us | beacons %u/%u | offered %llu/s sent %llu acc %llu "
            "conf %llu err %llu | cpu max %.0f%% | %s",
            r->phase_name, row->second, alive, r->nmembers,
            (unsigned long long)c->offered, (unsigned long long)c->sent,
            (unsigned long long)c->accepted, (unsigned long long)c->confirmed,
            (unsigned long long)err, row->cpu_max_all_pct, stats_verdict_name(row->verdict));
}

/* The phase's verdict: a bound counts when the beacons reported it in at
 * least 2 steady seconds and a quarter of them (one noisy second does not
 * condemn a phase), beacon-bound first. (The rules are not applied again to
 * the merged window: it sums every beacon's view of the same blocks.) */
static void phase_verdict(struct phase_result *res)
{
    static const enum stats_verdict order[] = {STATS_BEACON_BOUND, STATS_NODE_BOUND};

    for (int i = 0; i < 2; i++) {
        unsigned n = res->bound[order[i]];
        if (n >= 2 && 4 * n >= res->seconds) {
            res->verdict = order[i];
            snprintf(res->reason, sizeof res->reason, "%u of %u steady seconds, first %s", n,
                     res->seconds, res->first_reason[order[i]]);
            return;
        }
    }
    res->verdict = STATS_OK;
    snprintf(res->reason, sizeof res->reason, res->seconds > 0 ? "keeping up" : "idle");
}

/* Writes the rows that are complete (all with flush). */
static void phase_rows(struct run *r, const struct phase_spec *spec, struct phase_result *res,
                       bool flush)
{
    struct agg_row *row = malloc(sizeof *row);
    uint64_t now = timefmt_mono_ns();
    double dur_s = (double)phase_curve_ns(&spec->curve) / 1e9;
    double w0 = (double)spec->warmup_ns / 1e9, w1 = dur_s - (double)spec->cooldown_ns / 1e9;
    unsigned alive = 0;
    char err[ERR_LEN];

    if (row == NULL)
        return;
    for (unsigned i = 0; i < r->nmembers; i++)
        alive += r->alive[i];
    while (agg_next(r->agg, r->alive, now, flush, row)) {
        struct csvout_row cr = {
            .t_s = r->phase_t0_s + row->second, .interval_s = 1, .phase = spec->name,
            .verdict = stats_verdict_name(row->verdict), .reason = row->reason,
            .beacons_alive = alive, .pool_min = row->pool_min,
        };
        if (csvout_timeseries(r->ts, &row->s, &cr, err) < 0)
            run_log(r, "%s", err);
        cr.beacons = row->beacons;
        for (uint32_t k = 0; k < row->s.nnodes && k < r->nnodes; k++) {
            cr.node_url = r->nodes[k];
            if (csvout_node(r->nodes_csv, &row->s, k, &cr, err) < 0)
                run_log(r, "%s", err);
        }
        /* The steady-state window: whole seconds inside [warmup, end - cooldown]. */
        if (row->second > w0 && row->second <= w1 + 1e-9) {
            struct stats_interval part = row->s;
            part.seq = res->window.seq + 1;
            stats_merge(&res->window, &part);
            if (res->window_start_s == 0)
                res->window_start_s = r->phase_t0_s + row->second - 1;
            res->window_end_s = r->phase_t0_s + row->second;
            if (row->cpu_max_all_pct > res->cpu_max_pct)
                res->cpu_max_pct = row->cpu_max_all_pct;
            res->seconds++;
            if (row->verdict != STATS_OK && res->bound[row->verdict]++ == 0)
                snprintf(res->first_reason[row->verdict], sizeof res->first_reason[0],
                         "second %u: %s", row->second, row->reason);
        }
        phase_progress(r, row, alive);
        dash_feed_second(r, row, alive);
    }
    free(row);
}

/* sess callback context is the run; STATS of the current phase go to the
 * aggregation and to beacons.csv at once. */
void phase_on_stats(struct run *r, struct sess_beacon *b, const struct proto_stats *st)
{
    struct csvout_row cr = {0};
    char err[ERR_LEN];
    unsigned i;

    if (st->phase != r->phase_id || r->agg == NULL)
        return;
    for (i = 0; i < r->nmembers && r->members[i] != b; i++)
        ;
    if (i == r->nmembers)
        return;
    cr.t_s = r->phase_t0_s + st->second;
    cr.interval_s = 1;
    cr.phase = r->phase_name;
    cr.verdict = stats_verdict_name((enum stats_verdict)st->verdict);
    cr.reason = st->reason;
    cr.beacon_id = b->id;
    cr.host = b->host;
    cr.beacons_alive = 1;
    cr.pool_min = st->s.g.pool_level;
    if (csvout_beacon(r->bc, &st->s, &cr, err) < 0)
        run_log(r, "%s", err);
    dash_feed_stats(r, b, &st->s);
    agg_add(r->agg, i, st->second, &st->s, (enum stats_verdict)st->verdict, st->reason,
            timefmt_mono_ns());
}

/* Every transaction counted once (stats.h, the ledger): each beacon's phase
 * totals (its DONE) must balance; a beacon whose do not is named. */
static void phase_check_ledger(struct run *r)
{
    unsigned checked = 0, bad = 0;
    char err[ERR_LEN];

    for (unsigned i = 0; i < r->nmembers; i++) {
        const struct sess_beacon *b = r->members[i];
        if (!b->have_done || b->done.phase != r->phase_id)
            continue;
        checked++;
        if (stats_invariant_check(&b->done.total, err) < 0) {
            bad++;
            run_log(r, "beacon %s: phase \"%s\": %s", b->id, r->phase_name, err);
        }
    }
    if (checked > 0 && bad == 0)
        run_log(r, "phase \"%s\": ledger balanced for %u beacon(s)", r->phase_name, checked);
}

/* One line per target node with the phase's totals: where the load went
 * and what each node made of it (nodes.csv has them per second). */
static void phase_log_nodes(struct run *r, const struct stats_interval *t)
{
    for (uint32_t k = 0; k < t->nnodes && k < r->nnodes; k++) {
        const struct stats_node *n = &t->node[k];
        uint64_t mean;
        char ack[48] = "ack mean - (no answers)";
        if (stats_node_ack_mean(n, &mean))
            snprintf(ack, sizeof ack, "ack mean %.3f ms", (double)mean / 1e6);
        run_log(r, "  node %u %s: sent %llu (%.1f%%), accepted %llu, rejected %llu, "
                "timeouts %llu, connection errors %llu, confirmed %llu, %s",
                (unsigned)k + 1, r->nodes[k], (unsigned long long)n->sent,
                t->c.sent ? 100.0 * (double)n->sent / (double)t->c.sent : 0.0,
                (unsigned long long)n->accepted, (unsigned long long)n->rejected,
                (unsigned long long)n->timeouts, (unsigned long long)n->conn_errors,
                (unsigned long long)n->confirmed, ack);
    }
}

/* Who is working on the phase. A member that was lost or restarted is
 * flagged (the phase ran short of its offered rate); one that comes back
 * without its work - a new process, or idle after its lease ran out (its
 * DONE was never delivered) - is idle until the next phase, so the end of
 * the phase never waits for it. One that comes back still running counts
 * again. Returns the working members; *done: those of them done. */
static unsigned phase_members(struct run *r, struct phase_result *res, unsigned *done)
{
    unsigned working = 0;

    *done = 0;
    for (unsigned i = 0; i < r->nmembers; i++) {
        struct sess_beacon *b = r->members[i];
        struct phase_member *m = &r->mstate[i];
        bool restarted = b->restarts != m->restarts0, lost = b->losses != m->losses0;
        bool is_done = b->have_done && b->done.phase == r->phase_id;

        if ((restarted || lost) && !m->flagged) {
            m->flagged = true;
            res->lost++;
            size_t n = strlen(res->lost_note);
            /* Lost: since it was last heard from; restarted: now. */
            double at = restarted || b->last_rx_ns < r->t0 ? run_time(r)
                                                           : (double)(b->last_rx_ns - r->t0) / 1e9;
            if (at >= r->phase_t0_s)
                snprintf(res->lost_note + n, sizeof res->lost_note - n, "%sbeacon %s %s at %.1f s",
                         n ? ", " : "", b->id, restarted ? "restarted" : "lost",
                         at - r->phase_t0_s);
            else
                snprintf(res->lost_note + n, sizeof res->lost_note - n, "%sbeacon %s %s while "
                         "preparing", n ? ", " : "", b->id, restarted ? "restarted" : "lost");
        }
        if (!m->gone && b->alive && !is_done &&
            (restarted || (lost && b->hb_state != PHASE_HB_RUNNING &&
                           b->hb_state != PHASE_HB_DRAINING))) {
            m->gone = true;
            run_log(r, "beacon %s is back without its share of phase \"%s\" (%s): idle until "
                    "the next phase", b->id, r->phase_name,
                    restarted ? "a new process" : "it stopped while away");
        }
        r->alive[i] = b->alive && !m->gone;
        working += r->alive[i];
        *done += r->alive[i] && is_done;
    }
    return working;
}

int phase_run(struct run *r, const struct phase_spec *spec, struct phase_result *res,
              const char *note, char *err)
{
    uint64_t dur = phase_curve_ns(&spec->curve), start_at, deadline, now;
    unsigned want = spec->p->beacons ? spec->p->beacons : r->nbeacons, lost_seen = 0;
    struct csvout_summary sx = {0};
    char lost_note[1024];
    int rc = -1, interrupts = 0;

    memset(res, 0, sizeof *res);
    stats_init(&res->total);
    stats_init(&res->window);
    r->phase_id++;
    r->phase_name = spec->name;
    /* Members: the first `want` live beacons, in order of arrival. */
    r->nmembers = 0;
    for (size_t k = 0; k < sess_count(r->sess) && r->nmembers < want; k++) {
        struct sess_beacon *b = sess_at(r->sess, k);
        if (b->alive) {
            r->alive[r->nmembers] = true;
            r->mstate[r->nmembers] = (struct phase_member){b->restarts, b->losses, false, false};
            r->members[r->nmembers++] = b;
        }
    }
    if (r->nmembers == 0)
        return err_set(err, "phase \"%s\": no beacon is connected", spec->name);
    if (r->nmembers < want)
        run_log(r, "phase \"%s\" wants %u beacons, %u are connected: running with those",
                spec->name, want, r->nmembers);
    res->beacons = r->nmembers;
    r->agg = agg_new(r->nmembers, PHASE_GRACE_NS);
    if (r->agg == NULL)
        return err_set(err, "out of memory");
    run_log(r, "phase %u \"%s\": %u beacon(s), %.1f s, %u op(s) per transaction", r->phase_id,
            spec->name, r->nmembers, (double)dur / 1e9, spec->ops_per_tx);
    for (unsigned i = 0; i < r->nmembers; i++) {
        phase_configure(r, spec, i, r->msg);
        sess_send(r->sess, r->members[i], r->msg);
        if (r->msg->u.configure.keys_text == r->keys_text) {
            r->msg->u.configure.keys_text = NULL; /* borrowed */
            r->msg->u.configure.keys_len = 0;
        }
        proto_free(r->msg); /* wipes a beacon's own share of the keys */
        r->members[i]->have_ready = false;
        r->members[i]->have_done = false;
    }
    proto_init(r->msg, PROTO_PREPARE);
    r->msg->u.prepare.phase = r->phase_id;
    r->msg->u.prepare.items = UINT64_MAX; /* as far ahead as the beacon's pool goes */
    phase_send_all(r, r->msg);
    proto_free(r->msg);
    rc = phase_wait_ready(r, res, err);
    if (rc != 0)
        goto cleanup;
    /* Everyone starts at the same moment: the message takes about half a
     * round trip to arrive, so each beacon waits that much less. */
    now = timefmt_mono_ns();
    start_at = now + PHASE_START_DELAY_NS;
    for (unsigned i = 0; i < r->nmembers; i++) {
        uint64_t half = r->members[i]->rtt_ns / 2;
        if (!r->alive[i])
            continue; /* lost, or idle until the next phase */
        proto_init(r->msg, PROTO_START);
        r->msg->u.start.phase = r->phase_id;
        r->msg->u.start.start_in_ns = start_at - timefmt_mono_ns() - half;
        sess_send(r->sess, r->members[i], r->msg);
        proto_free(r->msg);
    }
    r->phase_t0_s = (double)(start_at - r->t0) / 1e9;
    res->start_s = r->phase_t0_s;
    dash_feed_phase_start(r, spec, (double)dur / 1e9);
    deadline = start_at + dur + (spec->p->drain_ns ? spec->p->drain_ns : 30000000000ull) +
               60000000000ull;
    for (;;) {
        unsigned done, alive;

        if (sess_poll(r->sess, 50, err) < 0) {
            rc = -1;
            goto cleanup;
        }
        now = timefmt_mono_ns();
        alive = phase_members(r, res, &done);
        if (res->lost > lost_seen) {
            lost_seen = res->lost;
            if (r->sc->on_beacon_lost == SCENARIO_LOST_ABORT) {
                run_log(r, "a beacon was lost and the scenario says abort: stopping the run");
                phase_stop(r, true);
                r->aborted = true;
                rc = 1;
                break;
            }
            run_log(r, "continuing with %u of %u beacons", alive, r->nmembers);
        }
        phase_rows(r, spec, res, false);
        if (alive == 0 || done == alive)
            break;
        if (run_interrupted > interrupts) {
            interrupts = run_interrupted;
            run_log(r, interrupts == 1 ? "interrupted: ending the phase (Ctrl-C again to stop at once)"
                                       : "interrupted again: stopping now");
            phase_stop(r, interrupts > 1);
            r->aborted = true;
            rc = 1;
        }
        if (now > deadline) {
            run_log(r, "phase \"%s\": beacons did not finish in time; stopping them", spec->name);
            phase_stop(r, true);
            break;
        }
    }
    if (rc != 1)
        rc = 0;
    /* Late rows still arrive for a moment after DONE from slower beacons. */
    for (uint64_t end = timefmt_mono_ns() + 500000000u; timefmt_mono_ns() < end;)
        if (sess_poll(r->sess, 50, NULL) < 0)
            break;
    phase_rows(r, spec, res, true);
    if (!r->cfg->quiet && isatty(STDERR_FILENO))
        fputc('\n', stderr);
    res->total = *agg_total(r->agg);
    res->end_s = run_time(r);
    phase_verdict(res);
    dash_feed_phase_end(r, spec, res);
    if (agg_late_intervals(r->agg) > 0)
        run_log(r, "%llu interval(s) arrived after their second was written; they are in the "
                "totals", (unsigned long long)agg_late_intervals(r->agg));
    phase_log_nodes(r, &res->total);
    phase_check_ledger(r);
    sx.phase = spec->name;
    sx.kind = scenario_phase_kind_name(spec->p->kind);
    sx.phase_start_s = res->start_s;
    sx.phase_end_s = res->end_s;
    sx.window_start_s = res->window_start_s;
    sx.window_end_s = res->window_end_s;
    sx.beacons = r->nmembers;
    sx.ops_per_tx = spec->ops_per_tx;
    sx.beacon_cpu_max_pct = res->cpu_max_pct;
    sx.verdict = stats_verdict_name(res->verdict);
    if (res->lost > 0) {
        /* Its share was not given to the others: the offered rate is short
         * of the scenario's, and a reader must not take it for it. */
        size_t n = strlen(res->reason);
        snprintf(res->reason + n, sizeof res->reason - n, "; %u of %u beacons lost mid-phase",
                 res->lost, r->nmembers);
        snprintf(lost_note, sizeof lost_note, "%s%sa beacon was lost mid-phase (%s): its share "
                 "of the offered rate was not redistributed, so offered is below the scenario's "
                 "rate", note ? note : "", note ? "; " : "", res->lost_note);
        run_log(r, "phase \"%s\" is marked: %s", spec->name, lost_note);
        note = lost_note;
    }
    sx.reason = res->reason;
    sx.note = note;
    if (csvout_summary(r->sum, &res->window, &sx, err) < 0)
        run_log(r, "%s", err);
cleanup:
    agg_free(r->agg);
    r->agg = NULL;
    return rc;
}
