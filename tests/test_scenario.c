/* test_scenario.c - scenario files: every shipped scenario loads (and what
 * it promises), bad files give the exact error with line, column and field,
 * an edge-case file loads with the right values, numbers and durations.
 * test_scenario_more.c has the inline error table, YAML features, scaling
 * and curves. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <math.h>

#include "err.h"
#include "ratectl.h"
#include "scenario.h"
#include "testutil.h"

#define MS UINT64_C(1000000)
#define SEC UINT64_C(1000000000)

static const char *env_dir(const char *var, const char *fallback)
{
    const char *d = getenv(var);
    return d != NULL ? d : fallback;
}

/* A static path buffer per use site would be easy to clobber: the caller
 * passes one. */
static const char *path_in(char *buf, size_t cap, const char *var, const char *fallback,
                           const char *name)
{
    snprintf(buf, cap, "%s/%s", env_dir(var, fallback), name);
    return buf;
}

#define SHIPPED(buf, name) path_in(buf, sizeof(buf), "SCENARIO_DIR", "scenarios", name)
#define DATA(buf, name) path_in(buf, sizeof(buf), "SCENARIO_DATA", "tests/data/scenarios", name)

static void load_ok(const char *path, struct scenario *s)
{
    char err[ERR_LEN] = "";

    if (scenario_load(path, s, err) != 0)
        fail_msg("%s", err);
}

static void parse_ok(const char *text, struct scenario *s)
{
    char err[ERR_LEN] = "";

    if (scenario_parse(text, strlen(text), "t.yaml", s, err) != 0)
        fail_msg("%s", err);
}

/* Every phase's schedule builds a rate controller, as a beacon would. */
static void check_curves(const struct scenario *s)
{
    char err[ERR_LEN] = "";

    for (size_t i = 0; i < s->nphases; i++) {
        const struct scenario_phase *p = &s->phases[i];
        struct ratectl_opts o = {.window = 64, .share_index = 1, .share_count = 2};
        struct ratectl_curve c;
        struct ratectl *rc;

        if (p->kind == SCENARIO_PHASE_FIND_LIMIT) {
            assert_int_equal(scenario_find_limit_curve(p, scenario_find_limit_rate(p, 0), &c, err), 0);
        } else if (p->kind == SCENARIO_PHASE_P2P_LIMIT && p->duration_ns == 0) {
            assert_int_equal(scenario_p2p_probe_curve(p, &c, err), 0);
        } else if (scenario_phase_curve(p, &c, err) != 0) {
            fail_msg("%s phase %s: %s", s->path, p->name, err);
        }
        rc = ratectl_new(&c, &o, err);
        if (rc == NULL)
            fail_msg("%s phase %s: %s", s->path, p->name, err);
        ratectl_free(rc);
    }
}

/* ---- shipped scenarios ---- */

static void test_shipped_all_load(void **state)
{
    static const char *const names[] = {"local-demo.yaml", "real-user.yaml",
                                        "max-throughput.yaml", "p2p-limit.yaml",
                                        "find-limit.yaml"};
    (void)state;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        struct scenario s;
        char path[1024], err[ERR_LEN];
        size_t len;
        char *raw;

        load_ok(SHIPPED(path, names[i]), &s);
        assert_true(s.nphases >= 1);
        assert_true(s.local.present); /* every shipped one runs with --local */
        assert_true(s.description[0] != '\0');
        raw = tu_read_file(path, &len);
        assert_int_equal(s.text_len, len);
        assert_memory_equal(s.text, raw, len); /* kept verbatim for the manifest */
        free(raw);
        check_curves(&s);
        /* Scaled by 0.1 for the tests, a run takes a few minutes at most. */
        assert_int_equal(scenario_scale(&s, 0.1, err), 0);
        assert_true(scenario_total_ns(&s) <= 330 * SEC);
        check_curves(&s);
        scenario_free(&s);
    }
}

static void test_shipped_local_demo(void **state)
{
    struct scenario s;
    char path[1024];

    (void)state;
    load_ok(SHIPPED(path, "local-demo.yaml"), &s);
    assert_int_equal(s.beacons, 2);
    assert_int_equal(s.local.devnodes, 1);
    assert_true(scenario_total_ns(&s) >= 15 * SEC && scenario_total_ns(&s) <= 25 * SEC);
    scenario_free(&s);
}

static void test_shipped_real_user(void **state)
{
    struct scenario s;
    char path[1024];

    (void)state;
    load_ok(SHIPPED(path, "real-user.yaml"), &s);
    assert_true(s.nnodes >= 2);
    for (size_t i = 0; i < s.nphases; i++) {
        const struct scenario_phase *p = &s.phases[i];
        assert_int_equal(p->kind, SCENARIO_PHASE_LOAD);
        assert_int_equal(p->ops_per_tx, 1);
        assert_int_equal(p->spread, SCENARIO_SPREAD_ALL);
        assert_true(p->mix_transfer > 0 && p->mix_limit_order > 0);
        assert_true(p->rate.kind == SCENARIO_RATE_CONSTANT || p->rate.kind == SCENARIO_RATE_RAMP);
    }
    scenario_free(&s);
}

static void test_shipped_max_throughput(void **state)
{
    struct scenario s;
    char path[1024];
    const struct scenario_phase *p;

    (void)state;
    load_ok(SHIPPED(path, "max-throughput.yaml"), &s);
    assert_int_equal(s.nphases, 4);
    assert_true(s.nnodes >= 2 && s.local.devnodes >= 2);
    p = s.phases; /* single transfer per tx, many nodes */
    assert_true(p[0].mix_transfer > 0 && p[0].mix_limit_order == 0 && p[0].ops_per_tx == 1);
    assert_int_equal(p[0].spread, SCENARIO_SPREAD_ALL);
    /* single limit order per tx, many nodes */
    assert_true(p[1].mix_transfer == 0 && p[1].mix_limit_order > 0 && p[1].ops_per_tx == 1);
    assert_int_equal(p[1].spread, SCENARIO_SPREAD_ALL);
    /* single transfer per tx, one node */
    assert_true(p[2].mix_transfer > 0 && p[2].mix_limit_order == 0 && p[2].ops_per_tx == 1);
    assert_int_equal(p[2].spread, SCENARIO_SPREAD_ONE);
    /* many transfers per tx, many nodes */
    assert_true(p[3].mix_transfer > 0 && p[3].mix_limit_order == 0 && p[3].ops_per_tx > 1);
    assert_int_equal(p[3].spread, SCENARIO_SPREAD_ALL);
    scenario_free(&s);
}

static void test_shipped_p2p_and_find_limit(void **state)
{
    struct scenario s;
    char path[1024];
    const struct scenario_phase *p;

    (void)state;
    load_ok(SHIPPED(path, "p2p-limit.yaml"), &s);
    assert_int_equal(s.nphases, 1);
    p = &s.phases[0];
    assert_int_equal(p->kind, SCENARIO_PHASE_P2P_LIMIT);
    assert_int_equal(p->p2p_limit.max_message_bytes, 2097152);
    assert_int_equal(p->p2p_limit.search, SCENARIO_SEARCH_BINARY);
    assert_int_equal(p->p2p_limit.max_ops, 0); /* auto: from the size cap */
    assert_int_equal(p->ops_per_tx, 0);
    assert_int_equal(p->spread, SCENARIO_SPREAD_ALL);
    assert_true(s.nnodes >= 2 && s.local.devnodes >= 2);
    scenario_free(&s);

    load_ok(SHIPPED(path, "find-limit.yaml"), &s);
    p = &s.phases[0];
    assert_int_equal(p->kind, SCENARIO_PHASE_FIND_LIMIT);
    assert_true(p->find_limit.check_confirmed && p->find_limit.confirmed_below == 0.9);
    assert_true(p->find_limit.check_inclusion && p->find_limit.check_failures);
    /* The local devnode's capacity is inside the search range. */
    assert_true(s.local.capacity > p->find_limit.start && s.local.capacity < p->find_limit.max);
    scenario_free(&s);
}

/* The complete examples in scenarios/README.md (yaml blocks that start
 * with a name) load: the documentation cannot drift from the parser. */
static void test_readme_examples(void **state)
{
    char path[1024];
    size_t len, found = 0;
    char *text = tu_read_file(SHIPPED(path, "README.md"), &len);
    const char *p = text;
    (void)state;

    while ((p = strstr(p, "```yaml\nname:")) != NULL) {
        const char *start = p + 8, *end = strstr(start, "```");
        struct scenario s;
        char err[ERR_LEN] = "";

        assert_non_null(end);
        if (scenario_parse(start, (size_t)(end - start), "README.md", &s, err) != 0)
            fail_msg("README example %zu: %s", found + 1, err);
        check_curves(&s);
        scenario_free(&s);
        found++;
        p = end;
    }
    assert_true(found >= 1);
    free(text);
}

/* ---- bad files ---- */

static void test_bad_files(void **state)
{
    static const struct { const char *file, *err; } cases[] = {
        {"unknown-key.yaml", ":6:5: phases[0]: unknown key \"durration\" (did you mean \"duration\"?)"},
        {"unknown-top.yaml", ":3:1: (top level): unknown key \"phase\" (did you mean \"phases\"?)"},
        {"stop-when-typo.yaml", ":11:9: phases[0].find_limit.stop_when: unknown key "
                                "\"confirmed_bellow\" (did you mean \"confirmed_below\"?)"},
        {"bad-rate.yaml", ":9:11: phases[1].rate: expected a number, \"unlimited\", {ramp: [a, b]} "
                          "or {steps: [[rate, seconds], ...]}, got \"fast\""},
        {"bad-ramp.yaml", ":5:18: phases[0].rate.ramp: expected [from, to] (tx/s over the "
                          "phase), got a list of another length"},
        {"bad-steps.yaml", ":8:17: phases[0].rate.steps[2][1]: expected a duration (seconds, or "
                           "e.g. \"500ms\", \"90s\", \"5m\", \"1h\"), got \"ten\""},
        {"steps-duration.yaml", ":4:15: phases[0].duration: 60 s, but the steps add up to 50 s "
                                "(leave duration out to use the steps' total)"},
        {"missing-duration.yaml", ":4:5: phases[0]: missing duration"},
        {"missing-phases.yaml", ":1:1: (top level): missing phases"},
        {"no-nodes.yaml", ":1:1: (top level): give nodes (ws:// URLs of the network), or a "
                          "local section for --local runs, or both"},
        {"bad-url.yaml", ":4:5: nodes[1]: expected a ws://HOST:PORT or wss://HOST:PORT URL, got "
                         "\"http://127.0.0.1:8091\""},
        {"weights-count.yaml", ":6:22: phases[0].nodes.weights: 2 weights for 3 nodes"},
        {"beacons-too-many.yaml", ":7:14: phases[0].beacons: 5 beacons, but the scenario has "
                                  "beacons: 2"},
        {"no-window.yaml", ":7:15: phases[0].cooldown: warmup + cooldown (10 s) leave no "
                           "steady-state window in the 10 s phase"},
        {"duplicate-key.yaml", ":6:5: phases[0]: duplicate key \"rate\" (first at line 5)"},
        {"duplicate-phase.yaml", ":7:11: phases[1].name: \"same\" is also the name of phases[0]"},
        {"yaml-syntax.yaml", ":4:3: did not find expected node content"},
        {"find-limit-rate.yaml", ":5:5: phases[0].rate: not used by a find_limit phase (its "
                                 "rates come from find_limit)"},
        {"find-limit-missing.yaml", ":6:7: phases[0].find_limit: missing step"},
        {"p2p-linear.yaml", ":6:15: phases[0].p2p_limit: search: linear needs step_ops"},
        {"p2p-ops-per-tx.yaml", ":5:5: phases[0].ops_per_tx: not used by a p2p_limit phase (it "
                                "searches the operations per transaction)"},
        {"bad-mix.yaml", ":6:10: phases[0].mix: every weight is 0: nothing to send"},
        {"bad-duration.yaml", ":4:15: phases[0].duration: expected a duration (seconds, or e.g. "
                              "\"500ms\", \"90s\", \"5m\", \"1h\"), got \"10 sec\""},
        {"alias-unknown.yaml", ":6:10: alias *mix has no anchor before it"},
        {"both-kinds.yaml", ":6:5: phases[0].p2p_limit: a phase is either find_limit or "
                            "p2p_limit, not both"},
        {"bad-defaults.yaml", ":5:3: defaults: name is given per phase, not in defaults"},
        {"bad-default-value.yaml", ":5:25: defaults.connections_per_node: 0 is out of range "
                                   "(1 .. 1024)"},
        {"empty.yaml", ": empty scenario"},
        {"does-not-exist.yaml", ": cannot open: No such file or directory"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct scenario s;
        char path[1024], want[1536], err[ERR_LEN] = "";

        DATA(path, cases[i].file);
        snprintf(want, sizeof(want), "%s%s", path, cases[i].err);
        if (scenario_load(path, &s, err) == 0) {
            scenario_free(&s);
            fail_msg("%s: accepted", cases[i].file);
        }
        if (strcmp(err, want) != 0)
            fail_msg("%s\n  got:      %s\n  expected: %s", cases[i].file, err, want);
        assert_null(s.phases);
    }
}

/* ---- edge cases that load ---- */

static void test_edge_file(void **state)
{
    struct scenario s;
    char path[1024], want[1100];
    const struct scenario_phase *p;

    (void)state;
    load_ok(DATA(path, "edge-ok.yaml"), &s);
    assert_string_equal(s.name, "edge: ok");
    assert_string_equal(s.description, "Line one, with a comma.\nLine \"two\".\n");
    assert_int_equal(s.nnodes, 2);
    assert_string_equal(s.nodes[1], "wss://node.example:443/ws");
    snprintf(want, sizeof(want), "%s/keys/test.keys", env_dir("SCENARIO_DATA", "tests/data/scenarios"));
    assert_string_equal(s.accounts, want);
    snprintf(want, sizeof(want), "%s/../genesis.json", env_dir("SCENARIO_DATA", "tests/data/scenarios"));
    assert_string_equal(s.local.genesis, want);
    assert_int_equal(s.beacons, 3);
    assert_int_equal(s.on_beacon_lost, SCENARIO_LOST_ABORT);
    assert_true(s.seed == UINT64_MAX);
    assert_true(s.tls_insecure);
    assert_true(s.local.present);
    assert_int_equal(s.local.devnodes, 2);
    assert_true(s.local.capacity == 1000 && s.local.capacity_ops == 20000);
    assert_int_equal(s.local.block_interval_ns, 500 * MS);
    assert_int_equal(s.local.max_pending, 5000);
    assert_int_equal(s.local.max_tx_size, 0);
    assert_int_equal(s.nphases, 5);

    p = &s.phases[0]; /* everything from defaults */
    assert_string_equal(p->name, "ramp");
    assert_int_equal(p->rate.kind, SCENARIO_RATE_RAMP);
    assert_true(p->rate.from == 10 && p->rate.to == 1500);
    assert_int_equal(p->duration_ns, 60 * SEC);
    assert_int_equal(p->warmup_ns, 6 * SEC);
    assert_int_equal(p->cooldown_ns, 6 * SEC);
    assert_true(p->mix_transfer == 70 && p->mix_limit_order == 30);
    assert_int_equal(p->conns_per_node, 2);
    assert_int_equal(p->window, 1024);
    assert_int_equal(p->late_ns, 2 * MS);
    assert_int_equal(p->drain_ns, 1); /* drain: 0 means none; 0 would be "the default" */
    assert_int_equal(p->ops_per_tx, 1);
    assert_int_equal(p->beacons, 0);
    assert_int_equal(p->follow, SCENARIO_FOLLOW_AUTO);

    p = &s.phases[1]; /* steps: their own length, not the default duration */
    assert_int_equal(p->rate.kind, SCENARIO_RATE_STEPS);
    assert_int_equal(p->rate.nsteps, 3);
    assert_true(p->rate.steps[0].rate == 100 && p->rate.steps[0].dur_ns == 10 * SEC);
    assert_true(p->rate.steps[1].rate == 0 && p->rate.steps[1].dur_ns == 500 * MS);
    assert_true(p->rate.steps[2].rate == 2000 && p->rate.steps[2].dur_ns == 500 * MS);
    assert_int_equal(p->duration_ns, 11 * SEC);
    assert_true(p->mix_transfer == 0 && p->mix_limit_order == 1); /* a mix replaces, not merges */
    assert_int_equal(p->spread, SCENARIO_SPREAD_WEIGHTS);
    assert_int_equal(p->nweights, 2);
    assert_true(p->weights[0] == 0 && p->weights[1] == 1);
    assert_int_equal(p->beacons, 2);
    assert_int_equal(p->follow, SCENARIO_FOLLOW_ALL);

    p = &s.phases[2];
    assert_int_equal(p->rate.kind, SCENARIO_RATE_UNLIMITED);
    assert_int_equal(p->duration_ns, 90 * SEC);
    assert_int_equal(p->warmup_ns, 0);
    assert_int_equal(p->cooldown_ns, 30 * SEC);
    assert_int_equal(p->spread, SCENARIO_SPREAD_ONE);
    assert_int_equal(p->ops_per_tx, 7);
    assert_true(p->mix_transfer == 70 && p->mix_limit_order == 30); /* *mix alias */
    assert_int_equal(p->expire_s, 120);
    assert_int_equal(p->ack_timeout_ns, 15 * SEC);
    assert_int_equal(p->drop_horizon_ns, 2500 * MS);
    assert_int_equal(p->presign_ahead_ns, 10 * SEC);
    assert_int_equal(p->threads, 3);

    p = &s.phases[3]; /* find_limit: default duration and rate do not apply */
    assert_int_equal(p->kind, SCENARIO_PHASE_FIND_LIMIT);
    assert_true(p->find_limit.start == 0.5 && p->find_limit.max == 1.0);
    assert_int_equal(p->find_limit.nsteps, 6); /* 0.5, 0.6, ... 1.0 despite binary fractions */
    assert_int_equal(p->find_limit.step_ns, 4 * SEC);
    assert_int_equal(p->find_limit.settle_ns, 1 * SEC);
    assert_int_equal(p->find_limit.refine, 0);
    assert_int_equal(p->duration_ns, 24 * SEC);
    assert_true(p->find_limit.check_confirmed && p->find_limit.confirmed_below == 0.9);
    /* issue 11: what the node accepts and how long it takes to answer are
     * always stop rules (a node at its limit slows its acks, rejects nothing) */
    assert_true(p->find_limit.check_accepted && p->find_limit.accepted_below == 0.9);
    assert_true(p->find_limit.check_ack && p->find_limit.ack_p99_above_ns == 2 * SEC);
    assert_false(p->find_limit.check_inclusion || p->find_limit.check_failures);
    assert_int_equal(p->beacons, 0);

    p = &s.phases[4]; /* p2p_limit with every default, no hold */
    assert_int_equal(p->kind, SCENARIO_PHASE_P2P_LIMIT);
    assert_int_equal(p->p2p_limit.max_message_bytes, SCENARIO_P2P_MESSAGE_BYTES);
    assert_int_equal(p->p2p_limit.search, SCENARIO_SEARCH_BINARY);
    assert_int_equal(p->p2p_limit.min_ops, 1);
    assert_int_equal(p->p2p_limit.max_ops, 0);
    assert_int_equal(p->p2p_limit.probe_ns, 10 * SEC);
    assert_true(p->p2p_limit.probe_rate == 2);
    assert_int_equal(p->duration_ns, 0);
    assert_int_equal(scenario_total_ns(&s), (60 + 11 + 90 + 24) * SEC);
    scenario_free(&s);
    scenario_free(&s); /* a freed (zeroed) scenario frees again harmlessly */
}

/* Numbers and durations: separators, exponents, quoting, units, exactness. */
static void test_values(void **state)
{
    static const struct { const char *dur; uint64_t ns; } durs[] = {
        {"1", SEC}, {"0.1", 100 * MS}, {"\"2.5\"", 2500 * MS}, {"500ms", 500 * MS},
        {"90s", 90 * SEC}, {"5m", 300 * SEC}, {"1h", 3600 * SEC}, {"1.5m", 90 * SEC},
        {"1_000ms", SEC}, {"2e1", 20 * SEC}, {"0.000000001", 1}, {"0.0000000004", 0},
        {"0.0000000005", 1}, {"1.0000000005", SEC + 1}, {"1.0000000004999", SEC},
        {"7 s", 7 * SEC}, {"+3", 3 * SEC},
    };
    char text[512];
    (void)state;

    for (size_t i = 0; i < sizeof(durs) / sizeof(durs[0]); i++) {
        struct scenario s;
        /* Durations below 1 ms are refused for a phase; warmup takes them. */
        snprintf(text, sizeof(text),
                 "name: v\nnodes: [ws://h:1]\nphases:\n"
                 "  - {duration: 2h, warmup: %s, cooldown: 0, rate: 1}\n",
                 durs[i].dur);
        parse_ok(text, &s);
        assert_int_equal(s.phases[0].warmup_ns, durs[i].ns);
        scenario_free(&s);
    }
    {
        struct scenario s;
        parse_ok("name: v\nnodes: [ws://h:1]\nseed: 0\nphases:\n"
                 "  - {duration: 1, rate: 20_000.5, ops_per_tx: 1e2}\n"
                 "  - {duration: 1, rate: 1E8}\n  - {duration: 1, rate: .5}\n", &s);
        assert_true(s.phases[0].rate.rate == 20000.5);
        assert_int_equal(s.phases[0].ops_per_tx, 100);
        assert_true(s.phases[1].rate.rate == 1e8);
        assert_true(s.phases[2].rate.rate == 0.5);
        assert_int_equal(s.seed, 0);
        scenario_free(&s);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shipped_all_load),
        cmocka_unit_test(test_shipped_local_demo),
        cmocka_unit_test(test_shipped_real_user),
        cmocka_unit_test(test_shipped_max_throughput),
        cmocka_unit_test(test_shipped_p2p_and_find_limit),
        cmocka_unit_test(test_readme_examples),
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_edge_file),
        cmocka_unit_test(test_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
