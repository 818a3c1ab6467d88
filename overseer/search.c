/* search.c - see search.h. */
#include "search.h"

#include <stdio.h>
#include <string.h>

#include "err.h"
#include "hist.h"

#define SEARCH_TEXT 1400 /* a step's explanation: may quote a beacon's setup error */
/* Share of a step's rate the beacons must have sent for the step to count
 * despite a beacon-bound verdict. */
#define SEARCH_DELIVERED 0.97

/* A search step's verdict on its steady window. */
struct search_step {
    double offered_tps, sent_tps, accepted_tps, confirmed_tps;
    bool pass;
    bool beacon_bound;
    char why[160];
};

static double search_secs(const struct phase_result *res)
{
    double s = res->window_end_s - res->window_start_s;
    return s > 0 ? s : 1;
}

/* The stop rules, node side first: the node taking less than was offered
 * (accepted, confirmed) or answering ever later (ack p99) is the network's
 * limit, whatever the beacons' own verdict says - a node that holds sends
 * back leaves due transactions waiting on the beacon, and that must not read
 * as the beacon's limit. */
static void search_judge(const struct scenario_find_limit *fl, const struct phase_result *res,
                         struct search_step *st)
{
    const struct stats_counters *c = &res->window.c;
    double secs = search_secs(res), offered = (double)c->offered;
    uint64_t failures = c->timeouts + c->dropped + c->held_dropped + stats_rejected_total(c);
    uint64_t ack99 = hist_percentile(&res->window.ack, 99.0);
    bool node_evidence;

    st->offered_tps = offered / secs;
    st->sent_tps = (double)c->sent / secs;
    st->accepted_tps = (double)c->accepted / secs;
    st->confirmed_tps = (double)c->confirmed / secs;
    st->pass = true;
    st->why[0] = '\0';
    /* Node-side evidence: slow answers, or what was sent not accepted. */
    node_evidence = (fl->check_ack && ack99 > fl->ack_p99_above_ns) ||
                    (c->sent > 0 && (double)c->accepted < fl->accepted_below * (double)c->sent);
    st->beacon_bound = res->verdict == STATS_BEACON_BOUND && !node_evidence;
    if (offered <= 0) {
        st->pass = false;
        snprintf(st->why, sizeof st->why, "nothing was offered in the window");
        return;
    }
    if (fl->check_accepted && (double)c->accepted / offered < fl->accepted_below) {
        st->pass = false;
        snprintf(st->why, sizeof st->why, "accepted %.1f%% of offered (bound %.0f%%)",
                 100.0 * (double)c->accepted / offered, 100.0 * fl->accepted_below);
    } else if (fl->check_confirmed && (double)c->confirmed / offered < fl->confirmed_below) {
        st->pass = false;
        snprintf(st->why, sizeof st->why, "confirmed %.1f%% of offered (bound %.0f%%)",
                 100.0 * (double)c->confirmed / offered, 100.0 * fl->confirmed_below);
    } else if (fl->check_ack && ack99 > fl->ack_p99_above_ns) {
        st->pass = false;
        snprintf(st->why, sizeof st->why, "ack p99 %.1f ms (bound %.1f ms)", (double)ack99 / 1e6,
                 (double)fl->ack_p99_above_ns / 1e6);
    } else if (fl->check_inclusion &&
               hist_percentile(&res->window.inclusion, 99.0) > fl->inclusion_p99_above_ns) {
        st->pass = false;
        snprintf(st->why, sizeof st->why, "inclusion p99 %.2f s (bound %.2f s)",
                 (double)hist_percentile(&res->window.inclusion, 99.0) / 1e9,
                 (double)fl->inclusion_p99_above_ns / 1e9);
    } else if (fl->check_failures && (double)failures / offered > fl->failures_above) {
        st->pass = false;
        snprintf(st->why, sizeof st->why, "failures %.1f%% of offered (bound %.1f%%)",
                 100.0 * (double)failures / offered, 100.0 * fl->failures_above);
    }
}

int search_find_limit(struct run *r, const struct scenario_phase *p, struct phase_result *res,
                      char *err)
{
    const struct scenario_find_limit *fl = &p->find_limit;
    struct phase_result step_res;
    struct search_step st;
    char name[SCENARIO_NAME_LEN + 32], note[SEARCH_TEXT];
    double last_pass = 0, first_fail = 0, best = 0, best_at = 0, best_acc = 0, most = 0,
           most_at = 0;
    char fail_why[sizeof st.why] = "", lost[200] = "";
    uint32_t i = 0, refined = 0;
    int rc = 0;

    memset(res, 0, sizeof *res);
    stats_init(&res->total);
    stats_init(&res->window);
    run_log(r, "find_limit \"%s\": %g tx/s upward in steps of %g, %.1f s each", p->name,
            fl->start, fl->step, (double)fl->step_ns / 1e9);
    for (;;) {
        double rate;
        struct phase_spec spec = {.p = p, .name = name, .ops_per_tx = p->ops_per_tx,
                                  .warmup_ns = fl->settle_ns, .cooldown_ns = 0};

        if (first_fail == 0) {
            if (i >= fl->nsteps)
                break;
            rate = scenario_find_limit_rate(p, i++);
        } else {
            /* Refinement: bisect between the last pass and the first failure. */
            if (refined >= fl->refine || first_fail - last_pass < 1)
                break;
            rate = (last_pass + first_fail) / 2;
            refined++;
        }
        snprintf(name, sizeof name, "%s@%.0f", p->name, rate);
        if (scenario_find_limit_curve(p, rate, &spec.curve, err) < 0)
            return -1;
        rc = phase_run(r, &spec, &step_res, NULL, err);
        if (rc != 0)
            break;
        search_judge(fl, &step_res, &st);
        stats_merge(&res->total, &step_res.total);
        if (res->start_s == 0)
            res->start_s = step_res.start_s;
        res->end_s = step_res.end_s;
        res->beacons = step_res.beacons;
        if (step_res.cpu_max_pct > res->cpu_max_pct)
            res->cpu_max_pct = step_res.cpu_max_pct;
        run_log(r, "  %.0f tx/s offered: %.1f tx/s accepted, %.1f tx/s confirmed over the "
                "window - %s%s%s", rate, st.accepted_tps, st.confirmed_tps,
                st.pass ? "keeps up" : "does not keep up", st.pass ? "" : ": ", st.why);
        if (step_res.lost > 0) {
            /* Its offered rate lacks a beacon's share: the step proves nothing. */
            size_t n = strlen(lost);
            snprintf(lost + n, sizeof lost - n, "%s%.0f", n ? ", " : "", rate);
            run_log(r, "  (a beacon was lost in this step: it is not counted)");
            continue;
        }
        if (st.beacon_bound && st.pass && st.sent_tps >= SEARCH_DELIVERED * rate) {
            /* The beacons' per-second rules saw trouble (lateness, a
             * dropped transaction), yet they delivered the rate and the
             * network took all of it: the step is a pass for the network. */
            run_log(r, "  (beacon-bound by the per-second rules, but %.1f tx/s were sent and the "
                    "network took them: counted as a pass)", st.sent_tps);
            st.beacon_bound = false;
        }
        if (st.beacon_bound) {
            /* The beacons, not the network, stopped keeping up: the step says
             * nothing about the network. Before the network has failed a
             * step, the search cannot go on; after, the limit is already
             * measured and only the refinement stops. */
            if (first_fail != 0) {
                run_log(r, "  (the beacons were the bottleneck at %.0f tx/s: refinement ends)",
                        rate);
                break;
            }
            snprintf(res->reason, sizeof res->reason,
                     "beacon-bound at %.0f tx/s offered: add beacons to go higher", rate);
            res->verdict = STATS_BEACON_BOUND;
            break;
        }
        if (st.confirmed_tps > most) {
            most = st.confirmed_tps;
            most_at = rate;
        }
        /* The limit is what a passing step sustained (accepted and confirmed
         * close to offered over its window); a failing step's confirmed rate
         * is only what the node managed while falling behind. */
        if (st.pass && st.confirmed_tps > best) {
            best = st.confirmed_tps;
            best_at = rate;
            best_acc = st.accepted_tps;
            res->window = step_res.window;
            res->window_start_s = step_res.window_start_s;
            res->window_end_s = step_res.window_end_s;
        }
        if (st.pass) {
            if (rate > last_pass)
                last_pass = rate;
        } else if (first_fail == 0 || rate < first_fail) {
            first_fail = rate;
            snprintf(fail_why, sizeof fail_why, "%s", st.why);
            res->verdict = STATS_NODE_BOUND;
        }
    }
    if (rc != 0)
        return rc;
    if (first_fail == 0 && res->verdict != STATS_BEACON_BOUND)
        snprintf(note, sizeof note, "find_limit: no limit up to %.0f tx/s offered (highest "
                 "sustained %.1f tx/s confirmed); raise max", last_pass, best);
    else if (res->verdict == STATS_BEACON_BOUND)
        snprintf(note, sizeof note, "find_limit: %s; highest sustained so far %.1f tx/s",
                 res->reason, best);
    else if (best == 0)
        snprintf(note, sizeof note, "find_limit: no step kept up: not even %.0f tx/s (%s); lower "
                 "start", first_fail, fail_why);
    else
        snprintf(note, sizeof note, "find_limit: limit %.1f tx/s (the highest rate sustained: "
                 "%.0f tx/s offered, %.1f accepted, %.1f confirmed); keeps up at %.0f tx/s, not at "
                 "%.0f tx/s (%s); most confirmed in one step %.1f tx/s, at %.0f offered", best,
                 best_at, best_acc, best, last_pass, first_fail, fail_why, most, most_at);
    if (lost[0] != '\0') {
        size_t n = strlen(note);
        snprintf(note + n, sizeof note - n, "; steps not counted (a beacon was lost): %s tx/s",
                 lost);
    }
    if (res->verdict != STATS_BEACON_BOUND) {
        /* The finding without its "find_limit: " label; truncation is harmless. */
        size_t n = strlen(note + 12);
        if (n >= sizeof res->reason)
            n = sizeof res->reason - 1;
        memcpy(res->reason, note + 12, n);
        res->reason[n] = '\0';
    }
    run_log(r, "%s", note);
    {
        struct csvout_summary sx = {
            .phase = p->name, .kind = "find_limit", .phase_start_s = res->start_s,
            .phase_end_s = res->end_s, .window_start_s = res->window_start_s,
            .window_end_s = res->window_end_s, .beacons = res->beacons,
            .ops_per_tx = p->ops_per_tx, .beacon_cpu_max_pct = res->cpu_max_pct,
            .verdict = stats_verdict_name(res->verdict), .reason = res->reason, .note = note,
        };
        if (csvout_summary(r->sum, &res->window, &sx, err) < 0)
            run_log(r, "%s", err);
    }
    return 0;
}

/* One p2p_limit probe with ops operations per transaction. *pass: every
 * transaction sent was accepted. *size: the unsigned transaction size the
 * beacons reported. */
static int search_probe(struct run *r, const struct scenario_phase *p, uint32_t ops, bool *pass,
                        uint32_t *size, char *why, size_t whycap, struct phase_result *acc,
                        char *err)
{
    struct phase_spec spec = {.p = p, .ops_per_tx = ops, .warmup_ns = 0, .cooldown_ns = 0};
    struct phase_result res;
    char name[SCENARIO_NAME_LEN + 32];
    int rc;

    snprintf(name, sizeof name, "%s@%uops", p->name, ops);
    spec.name = name;
    if (scenario_p2p_probe_curve(p, &spec.curve, err) < 0)
        return -1;
    r->have_chain = false; /* the READY of this probe says the size */
    rc = phase_run(r, &spec, &res, NULL, err);
    *size = r->have_chain ? r->chain.tx_size : 0;
    if (rc < 0 && res.ready_failed) {
        /* A beacon refused the shape (over the chain's maximum size): that
         * is where rejection starts, in the chain's own terms. */
        *pass = false;
        snprintf(why, whycap, "refused before sending: %s", res.reason);
        return 0;
    }
    if (rc != 0)
        return rc;
    stats_merge(&acc->total, &res.total);
    if (acc->start_s == 0)
        acc->start_s = res.start_s;
    acc->end_s = res.end_s;
    acc->beacons = res.beacons;
    const struct stats_counters *c = &res.total.c;
    uint64_t rejected = 0;
    int worst = -1;
    for (int k = 0; k < STATS_REJ_COUNT; k++) {
        rejected += c->rejected[k];
        if (c->rejected[k] > 0 && (worst < 0 || c->rejected[k] > c->rejected[worst]))
            worst = k;
    }
    *pass = c->sent > 0 && c->accepted == c->sent && rejected == 0 && c->timeouts == 0;
    if (*pass)
        snprintf(why, whycap, "%llu of %llu accepted", (unsigned long long)c->accepted,
                 (unsigned long long)c->sent);
    else if (worst >= 0)
        snprintf(why, whycap, "%llu of %llu rejected, mostly \"%s\" (see events.log for the "
                 "node's words)", (unsigned long long)rejected, (unsigned long long)c->sent,
                 stats_reject_name((enum stats_reject)worst));
    else
        snprintf(why, whycap, "%llu sent, %llu accepted, %llu timeouts, %llu connection errors",
                 (unsigned long long)c->sent, (unsigned long long)c->accepted,
                 (unsigned long long)c->timeouts, (unsigned long long)c->conn_errors);
    return 0;
}

/* bitshares-core refuses a signed transaction of 1 MiB or more at push
 * time, before any chain parameter (db_block.cpp push_transaction:
 * fc::raw::pack_size( trx ) < (1024 * 1024)): for one transaction it binds
 * below the 2 MiB P2P message limit. Sizes here are unsigned (what
 * maximum_transaction_size counts); one signature adds 66 bytes. */
#define SEARCH_PUSH_LIMIT (1024u * 1024u - 66u)

/* Names the limit the search met: the one between the largest accepted
 * and the first refused size, else says none was met. */
static void search_p2p_binds(const struct run *r, uint64_t msg_limit, uint32_t best_size,
                             uint32_t fail_ops, uint32_t fail_size, char *out, size_t cap)
{
    if (fail_ops == 0)
        snprintf(out, cap, "no limit met up to %u bytes", best_size);
    else if (fail_size == 0) /* refused before sending: the beacon's own size check */
        snprintf(out, cap, "the chain's maximum_transaction_size (%u bytes) binds (the beacon "
                 "refused the larger shape)", r->chain.max_tx_size);
    else if (best_size <= r->chain.max_tx_size && fail_size > r->chain.max_tx_size)
        snprintf(out, cap, "the chain's maximum_transaction_size (%u bytes) binds",
                 r->chain.max_tx_size);
    else if (best_size < SEARCH_PUSH_LIMIT && fail_size >= SEARCH_PUSH_LIMIT)
        snprintf(out, cap, "the node's 1 MiB push limit binds (a signed transaction must be "
                 "under 1048576 bytes; the P2P message limit is %llu)",
                 (unsigned long long)msg_limit);
    else if (best_size < msg_limit && fail_size >= msg_limit)
        snprintf(out, cap, "the %llu-byte P2P message limit binds", (unsigned long long)msg_limit);
    else
        snprintf(out, cap, "rejection starts at %u bytes, at none of the known limits "
                 "(maximum_transaction_size %u, push limit 1048576, P2P %llu): see the node's "
                 "words", fail_size, r->chain.max_tx_size, (unsigned long long)msg_limit);
}

int search_p2p_limit(struct run *r, const struct scenario_phase *p, struct phase_result *res,
                     char *err)
{
    const struct scenario_p2p_limit *pl = &p->p2p_limit;
    uint32_t lo = pl->min_ops ? pl->min_ops : 1, hi, best = 0, best_size = 0, fail_ops = 0,
             fail_size = 0, size;
    uint64_t cap;
    char why[SEARCH_TEXT], fail_why[SEARCH_TEXT] = "", note[2 * SEARCH_TEXT + 700], capnote[300],
        binds[300];
    bool pass;
    int rc;

    memset(res, 0, sizeof *res);
    stats_init(&res->total);
    stats_init(&res->window);
    /* The first probe (the smallest size) also tells the chain's limits. */
    rc = search_probe(r, p, lo, &pass, &size, why, sizeof why, res, err);
    if (rc != 0)
        return rc;
    if (!pass)
        return err_set(err, "p2p_limit \"%s\": even %u operation(s) per transaction failed: %s",
                       p->name, lo, why);
    best = lo;
    best_size = size;
    cap = pl->max_message_bytes;
    capnote[0] = '\0';
    if (SEARCH_PUSH_LIMIT < cap) {
        snprintf(capnote, sizeof capnote, "the node refuses a transaction of 1 MiB or more at "
                 "push time, below the %llu-byte P2P message limit: testing up to that push "
                 "limit", (unsigned long long)cap);
        cap = SEARCH_PUSH_LIMIT;
    }
    if (r->chain.max_tx_size < cap) {
        snprintf(capnote, sizeof capnote, "the chain caps transactions at %u bytes "
                 "(maximum_transaction_size), below the %llu-byte P2P message limit: testing at "
                 "the chain's cap", r->chain.max_tx_size, (unsigned long long)cap);
        cap = r->chain.max_tx_size;
    }
    if (r->chain.max_block_size < cap) {
        snprintf(capnote, sizeof capnote, "the chain's maximum_block_size (%u bytes) is below "
                 "the P2P limit: testing at the block size", r->chain.max_block_size);
        cap = r->chain.max_block_size;
    }
    if (capnote[0] != '\0')
        run_log(r, "p2p_limit: %s", capnote);
    /* Sizes grow linearly with operations: aim a little past the cap so the
     * search also sees where rejection starts. */
    hi = pl->max_ops ? pl->max_ops
                     : (uint32_t)((cap + cap / 8) * lo / (size > 0 ? size : 25)) + 1;
    if (hi > SCENARIO_MAX_OPS)
        hi = SCENARIO_MAX_OPS;
    run_log(r, "p2p_limit \"%s\": %u op(s) = %u bytes accepted; searching up to %u ops (%s)",
            p->name, lo, size, hi, scenario_search_name(pl->search));
    while (best < hi && !r->aborted) {
        uint32_t ops = pl->search == SCENARIO_SEARCH_LINEAR ? best + pl->step_ops
                                                            : best + (hi - best + 1) / 2;
        if (fail_ops != 0 && ops >= fail_ops)
            ops = fail_ops - 1;
        if (ops <= best)
            break;
        rc = search_probe(r, p, ops, &pass, &size, why, sizeof why, res, err);
        if (rc != 0)
            return rc;
        run_log(r, "  %u ops/tx (%u bytes): %s", ops, size, why);
        if (pass) {
            best = ops;
            best_size = size;
            /* The first estimate came from one small transaction, whose
             * header weighs more per operation: while nothing failed, aim
             * again from the larger size so the search reaches the cap. */
            if (fail_ops == 0 && pl->max_ops == 0 && size > 0) {
                uint64_t again = (cap + cap / 8) * (uint64_t)best / size + 1;
                if (again > SCENARIO_MAX_OPS)
                    again = SCENARIO_MAX_OPS;
                if (again > hi) {
                    run_log(r, "p2p_limit \"%s\": %u ops/tx passed; searching up to %u ops",
                            p->name, best, (uint32_t)again);
                    hi = (uint32_t)again;
                }
            }
        } else {
            fail_ops = ops;
            fail_size = size;
            snprintf(fail_why, sizeof fail_why, "%s", why);
            hi = ops - 1;
            if (pl->search == SCENARIO_SEARCH_LINEAR)
                break;
        }
    }
    search_p2p_binds(r, pl->max_message_bytes, best_size, fail_ops, fail_size, binds,
                     sizeof binds);
    if (fail_ops != 0)
        snprintf(note, sizeof note, "p2p_limit: largest accepted %u ops/tx = %u bytes; rejection "
                 "starts at %u ops/tx (%u bytes): %s; %s%s%s", best, best_size, fail_ops,
                 fail_size, fail_why, binds, capnote[0] ? "; " : "", capnote);
    else
        snprintf(note, sizeof note, "p2p_limit: every size up to %u ops/tx (%u bytes) was "
                 "accepted; %s%s%s", best, best_size, binds, capnote[0] ? "; " : "", capnote);
    run_log(r, "%s", note);
    snprintf(res->reason, sizeof res->reason, "largest accepted: %u ops/tx, %u bytes (%s)", best,
             best_size, fail_ops != 0 ? binds : "no limit met");
    {
        struct csvout_summary sx = {
            .phase = p->name, .kind = "p2p_limit", .phase_start_s = res->start_s,
            .phase_end_s = res->end_s, .beacons = res->beacons, .ops_per_tx = best,
            .verdict = stats_verdict_name(res->verdict), .reason = res->reason, .note = note,
        };
        if (csvout_summary(r->sum, &res->window, &sx, err) < 0)
            run_log(r, "%s", err);
    }
    /* The hold: the largest accepted size at the phase's rate. */
    if (p->duration_ns > 0 && !r->aborted) {
        struct phase_spec spec = {.p = p, .name = p->name, .ops_per_tx = best,
                                  .warmup_ns = p->warmup_ns, .cooldown_ns = p->cooldown_ns};
        struct phase_result hold;
        if (scenario_phase_curve(p, &spec.curve, err) < 0)
            return -1;
        rc = phase_run(r, &spec, &hold, note, err);
        if (rc != 0)
            return rc;
        res->window = hold.window;
        res->verdict = hold.verdict;
        res->end_s = hold.end_s;
    }
    return 0;
}
