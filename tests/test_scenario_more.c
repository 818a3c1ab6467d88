/* test_scenario_more.c - scenario files, continued: a table of inline bad
 * texts and their exact errors, YAML features (anchors, flow style, CRLF,
 * documents, tags), scaling, and the rate curves each phase produces. */
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

#define MS UINT64_C(1000000)
#define SEC UINT64_C(1000000000)
#define HEAD "name: t\nnodes: [ws://h:1]\n"

static void parse_ok(const char *text, struct scenario *s)
{
    char err[ERR_LEN] = "";

    if (scenario_parse(text, strlen(text), "t.yaml", s, err) != 0)
        fail_msg("%s\n%s", err, text);
}

/* ---- inline bad texts ---- */

static void test_inline_errors(void **state)
{
    static const struct { const char *text, *err; } cases[] = {
        /* top level */
        {"- a\n- b\n", "t.yaml:1:1: (top level): expected a mapping (name, nodes, phases, ...), "
                       "got a list"},
        {"nodes: [ws://h:1]\nphases: [{duration: 1, rate: 1}]\n",
         "t.yaml:1:1: (top level): missing name"},
        {"name: \"\"\n", "t.yaml:1:7: name: cannot be empty"},
        /* issue 13: text that is not UTF-8, junk, and deep flow nesting are
         * refused precisely, before the YAML parser spends on them */
        {"name: \"ab\xff\xfe\"\n", "t.yaml:1:10: not UTF-8 text (byte 0xff); a scenario is a "
                                   "UTF-8 YAML file"},
        {"name: \xed\xa0\x80\n", "t.yaml:1:7: not UTF-8 text (byte 0xed); a scenario is a "
                               "UTF-8 YAML file"},
        {"name: t\nnodes: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\n",
         "t.yaml:2:40: nesting deeper than 32 levels"},
        {"name: \"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\" # {{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{\n",
         "t.yaml:1:1: (top level): give nodes (ws:// URLs of the network), or a local section "
         "for --local runs, or both"},
        {"# only a comment\n\n", "t.yaml: empty scenario"},
        {"...\n", "t.yaml: no YAML content in a file that is not blank (is it a YAML file?)"},
        {"name: [a]\n", "t.yaml:1:7: name: expected a string, got a list"},
        {"name: \"a\\tb\"\n", "t.yaml:1:7: name: control character at offset 1"},
        {"name: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
         "t.yaml:1:7: name: longer than 63 characters"},
        {HEAD "phases: {a: 1}\n", "t.yaml:3:9: phases: expected a list of 1..64 phases, got a mapping"},
        {HEAD "phases: []\n", "t.yaml:3:9: phases: expected a list of 1..64 phases, got an empty list"},
        {HEAD "phases:\n  - 5\n", "t.yaml:4:5: phases[0]: expected a mapping (name, duration, "
                                  "rate, ...), got \"5\""},
        {HEAD "beacons: 0\nphases: [{duration: 1, rate: 1}]\n",
         "t.yaml:3:10: beacons: 0 is out of range (1 .. 10000)"},
        {HEAD "on_beacon_lost: stop\nphases: [{duration: 1, rate: 1}]\n",
         "t.yaml:3:17: on_beacon_lost: expected one of continue, abort, got \"stop\""},
        {HEAD "tls_insecure: yes\nphases: [{duration: 1, rate: 1}]\n",
         "t.yaml:3:15: tls_insecure: expected one of false, true, got \"yes\""},
        {HEAD "seed: -1\nphases: [{duration: 1, rate: 1}]\n",
         "t.yaml:3:7: seed: -1 is out of range (0 .. 18446744073709551615)"},
        {HEAD "seed: 18446744073709551616\nphases: [{duration: 1, rate: 1}]\n",
         "t.yaml:3:7: seed: 18446744073709551616 is out of range (0 .. 18446744073709551615)"},
        {HEAD "accounts: \"\"\nphases: [{duration: 1, rate: 1}]\n",
         "t.yaml:3:11: accounts: an empty path"},
        {"name: t\nnodes: [ws://h:1, ws://h:1]\nphases: [{duration: 1, rate: 1}]\n",
         "t.yaml:2:19: nodes[1]: the same node as nodes[0] (to load a node more, use a phase's "
         "nodes: {weights: [...]})"},
        {"name: t\nnodes: [ws://]\nphases: [{duration: 1, rate: 1}]\n",
         "t.yaml:2:9: nodes[0]: expected a ws://HOST:PORT or wss://HOST:PORT URL, got \"ws://\""},
        {"name: t\nnodes: []\nphases: [{duration: 1, rate: 1}]\n",
         "t.yaml:2:8: nodes: expected a list of 1..64 ws:// or wss:// URLs, got an empty or "
         "longer list"},
        /* local */
        {"name: t\nlocal: {devnodes: 17}\nphases: [{duration: 1, rate: 1}]\n",
         "t.yaml:2:19: local.devnodes: 17 is out of range (1 .. 16)"},
        {"name: t\nlocal: {block_interval: 5ms}\nphases: [{duration: 1, rate: 1}]\n",
         "t.yaml:2:25: local.block_interval: 5ms is out of range (0.01 .. 60 seconds)"},
        {"name: t\nlocal: {capacty: 5}\nphases: [{duration: 1, rate: 1}]\n",
         "t.yaml:2:9: local: unknown key \"capacty\" (did you mean \"capacity\"?)"},
        {"name: t\nlocal: {max_tx_size: 100}\nphases: [{duration: 1, rate: 1}]\n",
         "t.yaml:2:22: local.max_tx_size: 100 is out of range (1024 .. 4294967295)"},
        {"name: t\nlocal: {relay_latency: 11}\nphases: [{duration: 1, rate: 1}]\n",
         "t.yaml:2:24: local.relay_latency: 11 is out of range (0 .. 10 seconds)"},
        {"name: t\nlocal: {relay_bandwidth: 0}\nphases: [{duration: 1, rate: 1}]\n",
         "t.yaml:2:26: local.relay_bandwidth: 0 is out of range (0.001 .. 1e+06)"},
        {"name: t\nlocal: {network: maybe}\nphases: [{duration: 1, rate: 1}]\n",
         "t.yaml:2:18: local.network: expected one of false, true, got \"maybe\""},
        {"name: t\nlocal: 3\nphases: [{duration: 1, rate: 1}]\n",
         "t.yaml:2:8: local: expected a mapping (devnodes, capacity, block_interval, ...), got \"3\""},
        {"name: t\nlocal: {devnodes: 3}\nphases: [{duration: 1, rate: 1, nodes: {weights: [1, 1]}}]\n",
         "t.yaml:3:50: phases[0].nodes.weights: 2 weights, but local.devnodes is 3"},
        /* rates */
        {HEAD "phases: [{duration: 1, rate: 0}]\n",
         "t.yaml:3:30: phases[0].rate: a constant rate must be > 0 and <= 1e+08 tx/s, got 0 (a "
         "pause is a step of rate 0)"},
        {HEAD "phases: [{duration: 1, rate: -5}]\n",
         "t.yaml:3:30: phases[0].rate: a constant rate must be > 0 and <= 1e+08 tx/s, got -5 (a "
         "pause is a step of rate 0)"},
        {HEAD "phases: [{duration: 1, rate: 2e8}]\n",
         "t.yaml:3:30: phases[0].rate: a constant rate must be > 0 and <= 1e+08 tx/s, got 2e8 (a "
         "pause is a step of rate 0)"},
        {HEAD "phases: [{duration: 1, rate: [1, 2]}]\n",
         "t.yaml:3:30: phases[0].rate: expected a number, \"unlimited\", {ramp: [a, b]} or "
         "{steps: [[rate, seconds], ...]}, got a list"},
        {HEAD "phases: [{duration: 1, rate: {}}]\n",
         "t.yaml:3:30: phases[0].rate: expected a number, \"unlimited\", {ramp: [a, b]} or "
         "{steps: [[rate, seconds], ...]}, got an empty mapping"},
        {HEAD "phases: [{duration: 1, rate: {rmap: [1, 2]}}]\n",
         "t.yaml:3:31: phases[0].rate: unknown key \"rmap\" (did you mean \"ramp\"?)"},
        {HEAD "phases: [{duration: 1, rate: {ramp: [1, 2], steps: [[1, 1]]}}]\n",
         "t.yaml:3:45: phases[0].rate: give either ramp or steps, not both"},
        {HEAD "phases: [{duration: 1, rate: {ramp: [0, 0]}}]\n",
         "t.yaml:3:37: phases[0].rate: a ramp from 0 to 0 sends nothing"},
        {HEAD "phases: [{duration: 1, rate: {ramp: [1, x]}}]\n",
         "t.yaml:3:41: phases[0].rate.ramp[1]: expected a number, got \"x\""},
        {HEAD "phases: [{rate: {steps: []}}]\n",
         "t.yaml:3:25: phases[0].rate.steps: expected a list of [rate, seconds] pairs, got an "
         "empty list"},
        {HEAD "phases: [{rate: {steps: [100, 10]}}]\n",
         "t.yaml:3:26: phases[0].rate.steps[0]: expected [rate, seconds], got \"100\""},
        {HEAD "phases: [{rate: {steps: [[100, 10, 5]]}}]\n",
         "t.yaml:3:26: phases[0].rate.steps[0]: expected [rate, seconds], got a list of another "
         "length"},
        {HEAD "phases: [{rate: {steps: [[-1, 10]]}}]\n",
         "t.yaml:3:27: phases[0].rate.steps[0][0]: -1 is out of range (0 .. 1e+08)"},
        {HEAD "phases: [{rate: {steps: [[1, 0]]}}]\n",
         "t.yaml:3:30: phases[0].rate.steps[0][1]: 0 is out of range (0.001 .. 2592000 seconds)"},
        {HEAD "phases: [{rate: 5}]\n", "t.yaml:3:10: phases[0]: missing duration"},
        {HEAD "phases: [{duration: 5}]\n",
         "t.yaml:3:10: phases[0]: missing rate (a number, \"unlimited\", {ramp: [a, b]} or "
         "{steps: ...})"},
        {HEAD "phases: [{duration: -5, rate: 1}]\n",
         "t.yaml:3:21: phases[0].duration: a duration cannot be negative, got \"-5\""},
        {HEAD "phases: [{duration: 31d, rate: 1}]\n",
         "t.yaml:3:21: phases[0].duration: expected a duration (seconds, or e.g. \"500ms\", "
         "\"90s\", \"5m\", \"1h\"), got \"31d\""},
        {HEAD "phases: [{duration: 2592001, rate: 1}]\n",
         "t.yaml:3:21: phases[0].duration: 2592001 is out of range (0.001 .. 2592000 seconds)"},
        {HEAD "phases: [{duration: \"\", rate: 1}]\n",
         "t.yaml:3:21: phases[0].duration: expected a duration (seconds, or e.g. \"500ms\", "
         "\"90s\", \"5m\", \"1h\"), got \"\""},
        {HEAD "phases:\n  - duration:\n    rate: 1\n",
         "t.yaml:4:5: phases[0].duration: expected a duration (seconds, or e.g. \"90s\", "
         "\"5m\"), got nothing"},
        /* the rest of a phase */
        {HEAD "phases: [{duration: 1, rate: 1, ops_per_tx: 1.5}]\n",
         "t.yaml:3:45: phases[0].ops_per_tx: expected a whole number, got \"1.5\""},
        {HEAD "phases: [{duration: 1, rate: 1, ops_per_tx: 0}]\n",
         "t.yaml:3:45: phases[0].ops_per_tx: 0 is out of range (1 .. 100000)"},
        {HEAD "phases: [{duration: 1, rate: 1, mix: {transfer: 1, swap: 1}}]\n",
         "t.yaml:3:52: phases[0].mix: unknown key \"swap\""},
        {HEAD "phases: [{duration: 1, rate: 1, mix: transfer}]\n",
         "t.yaml:3:38: phases[0].mix: expected a mapping of weights, e.g. {transfer: 70, "
         "limit_order: 30}, got \"transfer\""},
        {HEAD "phases: [{duration: 1, rate: 1, nodes: two}]\n",
         "t.yaml:3:40: phases[0].nodes: expected all, one or {weights: [w1, w2, ...]}, got \"two\""},
        {HEAD "phases: [{duration: 1, rate: 1, nodes: {wieghts: [1]}}]\n",
         "t.yaml:3:41: phases[0].nodes: unknown key \"wieghts\" (did you mean \"weights\"?)"},
        {HEAD "phases: [{duration: 1, rate: 1, nodes: {weights: [0]}}]\n",
         "t.yaml:3:50: phases[0].nodes: every weight is 0: no node gets load"},
        {HEAD "phases: [{duration: 1, rate: 1, beacons: some}]\n",
         "t.yaml:3:42: phases[0].beacons: expected a whole number, got \"some\""},
        {HEAD "phases: [{duration: 1, rate: 1, follow: every}]\n",
         "t.yaml:3:41: phases[0].follow: expected one of auto, first, all, got \"every\""},
        {HEAD "phases: [{duration: 1, rate: 1, expire: 1.5}]\n",
         "t.yaml:3:41: phases[0].expire: expected whole seconds, got 1.5"},
        {HEAD "phases: [{duration: 1, rate: 1, late: 0}]\n",
         "t.yaml:3:39: phases[0].late: 0 is out of range (0.000001 .. 3600 seconds)"},
        {HEAD "phases: [{duration: 10, rate: 1, warmup: 10}]\n",
         "t.yaml:3:42: phases[0].warmup: warmup + cooldown (11 s) leave no steady-state window "
         "in the 10 s phase"},
        {HEAD "phases: [{name: a}, {name: b, duration: 1, rate: 1}]\n",
         "t.yaml:3:10: phases[0]: missing rate (a number, \"unlimited\", {ramp: [a, b]} or "
         "{steps: ...})"},
        {HEAD "phases: [{name: \"\", duration: 1, rate: 1}]\n",
         "t.yaml:3:17: phases[0].name: a phase name cannot be empty"},
        {HEAD "defaults: [1]\nphases: [{duration: 1, rate: 1}]\n",
         "t.yaml:3:11: defaults: expected a mapping of phase settings, got a list"},
        {HEAD "defaults: {rate: x}\nphases: [{duration: 1}]\n",
         "t.yaml:3:18: defaults.rate: expected a number, \"unlimited\", {ramp: [a, b]} or "
         "{steps: [[rate, seconds], ...]}, got \"x\""},
        /* find_limit */
        {HEAD "phases: [{find_limit: 5}]\n",
         "t.yaml:3:23: phases[0].find_limit: expected a mapping (start, step, max, step_seconds, "
         "stop_when), got \"5\""},
        {HEAD "phases: [{find_limit: {start: 100, step: 10, max: 50, step_seconds: 1}}]\n",
         "t.yaml:3:51: phases[0].find_limit.max: 50 is out of range (100 .. 1e+08)"},
        {HEAD "phases: [{find_limit: {start: 0, step: 10, max: 50, step_seconds: 1}}]\n",
         "t.yaml:3:31: phases[0].find_limit.start: must be > 0"},
        {HEAD "phases: [{find_limit: {start: 1, step: 1, max: 20000, step_seconds: 1}}]\n",
         "t.yaml:3:48: phases[0].find_limit.max: 20000 steps from start to max; at most 10000 (take "
         "a larger step)"},
        {HEAD "phases: [{find_limit: {start: 1, step: 1, max: 2, step_seconds: 4, settle_seconds: 4}}]\n",
         "t.yaml:3:84: phases[0].find_limit.settle_seconds: must be shorter than step_seconds"},
        {HEAD "phases: [{find_limit: {start: 1, step: 1, max: 2, step_seconds: 4, stop_when: {}}}]\n",
         "t.yaml:3:79: phases[0].find_limit.stop_when: give at least one condition "
         "(accepted_below, confirmed_below, inclusion_p99_above_s, ack_p99_above_s or "
         "failures_above)"},
        {HEAD "phases: [{find_limit: {start: 1, step: 1, max: 2, step_seconds: 4, stop_when: "
              "{confirmed_below: 0}}}]\n",
         "t.yaml:3:97: phases[0].find_limit.stop_when.confirmed_below: 0 never triggers; give a "
         "share in (0, 1]"},
        {HEAD "phases: [{find_limit: {start: 1, step: 1, max: 2, step_seconds: 4, stop_when: "
              "{failures_above: 1}}}]\n",
         "t.yaml:3:96: phases[0].find_limit.stop_when.failures_above: 1 never triggers; give a "
         "share in [0, 1)"},
        {HEAD "phases: [{warmup: 1, find_limit: {start: 1, step: 1, max: 2, step_seconds: 4}}]\n",
         "t.yaml:3:11: phases[0].warmup: not used by a find_limit phase (use "
         "find_limit.settle_seconds)"},
        /* p2p_limit */
        {HEAD "phases: [{p2p_limit: {min_ops: 10, max_ops: 5}}]\n",
         "t.yaml:3:45: phases[0].p2p_limit.max_ops: 5 is below min_ops (10)"},
        {HEAD "phases: [{p2p_limit: {step_ops: 5}}]\n",
         "t.yaml:3:33: phases[0].p2p_limit.step_ops: only used with search: linear"},
        {HEAD "phases: [{p2p_limit: {search: ternary}}]\n",
         "t.yaml:3:31: phases[0].p2p_limit.search: expected one of binary, linear, got \"ternary\""},
        {HEAD "phases: [{p2p_limit: {max_message_bytes: 100}}]\n",
         "t.yaml:3:42: phases[0].p2p_limit.max_message_bytes: 100 is out of range (1024 .. "
         "1073741824)"},
        {HEAD "phases: [{p2p_limit: {probe_rate: 0}}]\n",
         "t.yaml:3:35: phases[0].p2p_limit.probe_rate: must be > 0"},
        {HEAD "phases: [{rate: 5, p2p_limit: {}}]\n",
         "t.yaml:3:11: phases[0].rate: not used by a p2p_limit phase (give a duration too, for a "
         "hold at the largest size)"},
        {HEAD "phases: [{duration: 10, p2p_limit: {}}]\n",
         "t.yaml:3:10: phases[0]: missing rate (a number, \"unlimited\", {ramp: [a, b]} or "
         "{steps: ...})"},
        /* YAML itself */
        {"name: t\n---\nname: u\n", "t.yaml:2:1: a scenario file holds one YAML document"},
        {"name: !!str t\n", "t.yaml:1:13: YAML tags (!!str, !x, ...) are not supported"},
        {"name: t\n? [a]\n: 1\n", "t.yaml:2:3: a mapping key must be a name, not a list"},
        {"name: \"t\n", "t.yaml:1:8: double-quoted scalar without closing quote"},
        {"name: t\n  bad: indent\n", "t.yaml:1:7: invalid multiline plain key"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct scenario s;
        char err[ERR_LEN] = "";

        if (scenario_parse(cases[i].text, strlen(cases[i].text), "t.yaml", &s, err) == 0) {
            scenario_free(&s);
            fail_msg("case %zu accepted, expected: %s\n%s", i, cases[i].err, cases[i].text);
        }
        if (strcmp(err, cases[i].err) != 0)
            fail_msg("case %zu\n%s  got:      %s\n  expected: %s", i, cases[i].text, err,
                     cases[i].err);
        assert_null(s.phases);
        assert_null(s.text);
    }
}

static void test_file_limits(void **state)
{
    struct scenario s;
    char err[ERR_LEN] = "";
    size_t big = SCENARIO_MAX_BYTES + 1;
    char *text = malloc(big);

    (void)state;
    assert_non_null(text);
    assert_int_equal(scenario_parse("name: t\0x", 9, "t.yaml", &s, err), -1);
    assert_string_equal(err, "t.yaml: contains a NUL byte (not a text file?)");
    memset(text, '#', big);
    assert_int_equal(scenario_parse(text, big, "t.yaml", &s, err), -1);
    assert_string_equal(err, "t.yaml: larger than 1048576 bytes");
    free(text);
    assert_int_equal(scenario_parse("", 0, "t.yaml", &s, err), -1);
    assert_string_equal(err, "t.yaml: empty scenario");
    assert_int_equal(scenario_parse("# only a comment\n", 17, "t.yaml", &s, err), -1);
    assert_string_equal(err, "t.yaml: empty scenario");
}

/* ---- YAML features ---- */

static void test_yaml_forms(void **state)
{
    static const char block[] =
        "name: forms\n"
        "nodes:\n"
        "  - ws://a:1\n"
        "  - ws://b:2\n"
        "phases:\n"
        "  - name: p\n"
        "    duration: 30\n"
        "    rate:\n"
        "      steps:\n"
        "        - [10, 10]\n"
        "        - [20, 20]\n"
        "    mix:\n"
        "      transfer: 3\n"
        "      limit_order: 1\n"
        "    nodes:\n"
        "      weights: [2, 1]\n";
    static const char flow[] =
        "{name: forms, nodes: [ws://a:1, ws://b:2], phases: [{name: p, duration: 30, rate: "
        "{steps: [[10, 10], [20, 20]]}, mix: {transfer: 3, limit_order: 1}, nodes: {weights: "
        "[2, 1]}}]}";
    static const char crlf[] =
        "name: forms\r\nnodes: [ws://a:1, ws://b:2]\r\nphases:\r\n  - name: p\r\n"
        "    duration: 30\r\n    rate: {steps: [[10, 10], [20, 20]]}\r\n"
        "    mix: {transfer: 3, limit_order: 1}\r\n    nodes: {weights: [2, 1]}\r\n";
    const char *texts[] = {block, flow, crlf};
    struct scenario ref, s;
    char err[ERR_LEN];
    static const char whole[] = "name: a\nnodes: [ws://a:1]\nphases:\n"
                                "  - &p {name: one, duration: 7, rate: 10}\n  - *p\n";
    (void)state;

    parse_ok(block, &ref);
    for (size_t i = 1; i < 3; i++) {
        parse_ok(texts[i], &s);
        /* The same scenario whatever the YAML style (but where it starts). */
        s.phases[0].line = ref.phases[0].line;
        assert_int_equal(memcmp(s.phases, ref.phases, sizeof(*s.phases)), 0);
        assert_int_equal(memcmp(s.nodes, ref.nodes, sizeof(s.nodes)), 0);
        scenario_free(&s);
    }
    assert_int_equal(ref.phases[0].rate.nsteps, 2);
    assert_int_equal(ref.phases[0].duration_ns, 30 * SEC);
    scenario_free(&ref);

    /* Aliases share a node; the latest anchor of a name wins. */
    parse_ok("name: a\nnodes: [ws://a:1]\n"
             "defaults: {mix: &m {transfer: 1}}\n"
             "phases:\n"
             "  - &p {name: one, duration: &d 7, rate: 10}\n"
             "  - {name: two, duration: *d, rate: 20, mix: *m}\n"
             "  - {name: three, duration: &d 9, rate: 30}\n"
             "  - {name: four, duration: *d, rate: 40}\n", &s);
    assert_int_equal(s.phases[1].duration_ns, 7 * SEC);
    assert_int_equal(s.phases[3].duration_ns, 9 * SEC);
    scenario_free(&s);
    /* An alias to a whole phase is that phase again: duplicate names. */
    assert_int_equal(scenario_parse(whole, strlen(whole), "t.yaml", &s, err), -1);
    /* (an alias shares its node, position included) */
    assert_string_equal(err, "t.yaml:4:15: phases[1].name: \"one\" is also the name of phases[0]");
    /* No self-reference: an anchor is usable after its node. */
    assert_int_equal(scenario_parse("name: &n [*n]\n", 14, "t.yaml", &s, err), -1);
    assert_string_equal(err, "t.yaml:1:11: alias *n has no anchor before it");
    /* Null spellings are no value; quoted they are text. */
    parse_ok(HEAD "description: ~\naccounts: null\nphases: [{name: \"null\", duration: 1, rate: 1}]\n",
             &s);
    assert_string_equal(s.description, "");
    assert_null(s.accounts);
    assert_string_equal(s.phases[0].name, "null");
    scenario_free(&s);
}

/* Relative paths are relative to the scenario file, absolute ones kept. */
static void test_paths(void **state)
{
    static const char text[] = "name: p\naccounts: k.keys\nlocal: {genesis: /abs/g.json}\n"
                               "phases: [{duration: 1, rate: 1}]\n";
    struct scenario s;
    char err[ERR_LEN];
    (void)state;

    assert_int_equal(scenario_parse(text, strlen(text), "dir/sub/x.yaml", &s, err), 0);
    assert_string_equal(s.accounts, "dir/sub/k.keys");
    assert_string_equal(s.local.genesis, "/abs/g.json");
    assert_string_equal(s.path, "dir/sub/x.yaml");
    assert_int_equal(s.nnodes, 0);
    assert_true(s.local.present);
    scenario_free(&s);
    assert_int_equal(scenario_parse(text, strlen(text), "x.yaml", &s, err), 0);
    assert_string_equal(s.accounts, "k.keys");
    scenario_free(&s);
}

/* local: a network by default; network: false, relay options (issue 16). */
static void test_local_network(void **state)
{
    struct scenario s;
    (void)state;

    parse_ok("name: n\nlocal: {devnodes: 3}\nphases: [{duration: 1, rate: 1}]\n", &s);
    assert_false(s.local.independent);
    assert_false(s.local.has_relay_latency);
    assert_true(s.local.relay_bandwidth == 0);
    scenario_free(&s);
    parse_ok("name: n\nlocal: {devnodes: 3, network: false, relay_latency: 0, "
             "relay_bandwidth: 2.5}\nphases: [{duration: 1, rate: 1}]\n", &s);
    assert_true(s.local.independent);
    assert_true(s.local.has_relay_latency);
    assert_int_equal(s.local.relay_latency_ns, 0);
    assert_true(s.local.relay_bandwidth == 2.5);
    scenario_free(&s);
    parse_ok("name: n\nlocal: {network: true, relay_latency: 120ms}\n"
             "phases: [{duration: 1, rate: 1}]\n", &s);
    assert_false(s.local.independent);
    assert_int_equal(s.local.relay_latency_ns, 120 * SEC / 1000);
    scenario_free(&s);
}

/* ---- scaling ---- */

static void test_scale(void **state)
{
    static const char text[] =
        "name: s\nnodes: [ws://a:1]\nphases:\n"
        "  - {name: c, duration: 100, rate: 10, warmup: 10, cooldown: 0, drain: 5, ack_timeout: 7}\n"
        "  - {name: st, rate: {steps: [[1, 10], [2, 0.005]]}}\n"
        "  - {name: f, find_limit: {start: 1, step: 1, max: 3, step_seconds: 20, refine: 2}}\n"
        "  - {name: p, p2p_limit: {probe_seconds: 10}, duration: 50, rate: 1}\n"
        "  - {name: q, p2p_limit: {probe_seconds: 10}}\n";
    struct scenario s;
    struct scenario_phase before[5];
    char err[ERR_LEN] = "";
    const struct scenario_phase *p;
    (void)state;

    parse_ok(text, &s);
    assert_true(s.scale == 1);
    assert_int_equal(s.phases[2].duration_ns, 5 * 20 * SEC); /* (3 steps + 2 refine) * 20 s */
    assert_int_equal(scenario_scale(&s, 0.1, err), 0);
    assert_true(fabs(s.scale - 0.1) < 1e-15);
    p = s.phases;
    assert_int_equal(p[0].duration_ns, 10 * SEC);
    assert_int_equal(p[0].warmup_ns, 1 * SEC);
    assert_int_equal(p[0].cooldown_ns, 0);
    assert_int_equal(p[0].drain_ns, 5 * SEC);       /* network time: kept */
    assert_int_equal(p[0].ack_timeout_ns, 7 * SEC); /* kept */
    assert_true(p[0].rate.rate == 10);              /* rates kept */
    assert_int_equal(p[1].rate.steps[0].dur_ns, 1 * SEC);
    assert_int_equal(p[1].rate.steps[1].dur_ns, 1 * MS); /* 0.5 ms: at least 1 ms */
    assert_int_equal(p[1].duration_ns, 1 * SEC + 1 * MS);
    assert_int_equal(p[2].find_limit.step_ns, 2 * SEC);
    assert_int_equal(p[2].find_limit.settle_ns, 500 * MS);
    assert_int_equal(p[2].duration_ns, 10 * SEC);
    assert_int_equal(p[3].p2p_limit.probe_ns, 1 * SEC);
    assert_int_equal(p[3].duration_ns, 5 * SEC);
    assert_int_equal(p[3].warmup_ns, 500 * MS);
    assert_int_equal(p[4].p2p_limit.probe_ns, 1 * SEC);
    assert_int_equal(p[4].duration_ns, 0);
    assert_int_equal(scenario_total_ns(&s), 10 * SEC + (SEC + MS) + 10 * SEC + 5 * SEC);

    /* Bad factors, and factors that break a phase, change nothing. */
    memcpy(before, s.phases, sizeof(before));
    assert_int_equal(scenario_scale(&s, 0, err), -1);
    assert_string_equal(err, "scale factor 0 is out of range (0 .. 1000]");
    assert_int_equal(scenario_scale(&s, NAN, err), -1);
    assert_int_equal(scenario_scale(&s, -1, err), -1);
    assert_int_equal(scenario_scale(&s, 1001, err), -1);
    /* 1e-6: every duration becomes 1 ms, so phase c has no window left. */
    assert_int_equal(scenario_scale(&s, 1e-6, err), -1);
    assert_string_equal(err, "phase c: scaled, warmup and cooldown would leave no steady-state "
                             "window");
    assert_int_equal(memcmp(before, s.phases, sizeof(before)), 0);
    assert_true(fabs(s.scale - 0.1) < 1e-15);
    scenario_free(&s);

    parse_ok(HEAD "phases: [{duration: 3600, rate: 1}]\n", &s);
    assert_int_equal(scenario_scale(&s, 1000, err), -1);
    assert_string_equal(err, "phase phase-1: scaled, it would last more than 30 days");
    assert_int_equal(s.phases[0].duration_ns, 3600 * SEC);
    assert_int_equal(scenario_scale(&s, 2, err), 0);
    assert_int_equal(s.phases[0].duration_ns, 7200 * SEC);
    scenario_free(&s);
}

/* ---- curves ---- */

/* Transactions a curve schedules in total. */
static uint64_t total_of(const struct ratectl_curve *c)
{
    struct ratectl_opts o = {.window = 8};
    char err[ERR_LEN] = "";
    struct ratectl *rc = ratectl_new(c, &o, err);
    uint64_t n;

    if (rc == NULL)
        fail_msg("%s", err);
    n = ratectl_total(rc);
    ratectl_free(rc);
    return n;
}

static void test_curves(void **state)
{
    static const char text[] =
        "name: c\nnodes: [ws://a:1]\nphases:\n"
        "  - {duration: 10, rate: 300}\n"
        "  - {duration: 5, rate: {ramp: [50, 300]}}\n"
        "  - {rate: {steps: [[100, 2], [0, 1], [50, 4]]}}\n"
        "  - {duration: 3, rate: unlimited}\n"
        "  - {find_limit: {start: 100, step: 150, max: 500, step_seconds: 2}}\n"
        "  - {p2p_limit: {probe_rate: 3, probe_seconds: 4}, duration: 6, rate: 2}\n"
        "  - {p2p_limit: {}}\n";
    struct scenario s;
    struct ratectl_curve c;
    char err[ERR_LEN] = "";
    const struct scenario_phase *p;
    (void)state;

    parse_ok(text, &s);
    p = s.phases;
    assert_int_equal(scenario_phase_curve(&p[0], &c, err), 0);
    assert_false(c.unlimited);
    assert_int_equal(c.nseg, 1);
    assert_true(c.seg[0].from == 300 && c.seg[0].to == 300 && c.seg[0].dur_ns == 10 * SEC);
    assert_int_equal(total_of(&c), 3000);

    assert_int_equal(scenario_phase_curve(&p[1], &c, err), 0);
    assert_true(c.nseg == 1 && c.seg[0].from == 50 && c.seg[0].to == 300);
    /* The integral of the ramp, 875, within one. */
    assert_true(total_of(&c) >= 874 && total_of(&c) <= 876);

    assert_int_equal(scenario_phase_curve(&p[2], &c, err), 0);
    assert_int_equal(c.nseg, 3);
    assert_true(c.seg[1].from == 0 && c.seg[1].to == 0 && c.seg[1].dur_ns == 1 * SEC);
    assert_true(total_of(&c) >= 399 && total_of(&c) <= 401);

    assert_int_equal(scenario_phase_curve(&p[3], &c, err), 0);
    assert_true(c.unlimited && c.unlimited_ns == 3 * SEC && c.nseg == 0);

    /* find_limit: 100, 250, 400, then max; one curve per step. */
    assert_int_equal(p[4].find_limit.nsteps, 3);
    assert_true(scenario_find_limit_rate(&p[4], 0) == 100);
    assert_true(scenario_find_limit_rate(&p[4], 2) == 400);
    assert_true(scenario_find_limit_rate(&p[4], 3) == 500);
    assert_true(scenario_find_limit_rate(&p[4], 1000) == 500);
    assert_int_equal(scenario_find_limit_curve(&p[4], 425.5, &c, err), 0);
    assert_true(c.nseg == 1 && c.seg[0].from == 425.5 && c.seg[0].dur_ns == 2 * SEC);
    assert_int_equal(scenario_phase_curve(&p[4], &c, err), -1);
    assert_string_equal(err, "phase phase-5: a find_limit phase has one curve per step "
                             "(scenario_find_limit_curve)");
    assert_int_equal(scenario_find_limit_curve(&p[4], 0, &c, err), -1);
    assert_int_equal(scenario_find_limit_curve(&p[0], 100, &c, err), -1);
    assert_string_equal(err, "phase phase-1 is not a find_limit phase");

    /* p2p_limit: probes, and the hold. */
    assert_int_equal(scenario_p2p_probe_curve(&p[5], &c, err), 0);
    assert_true(c.nseg == 1 && c.seg[0].from == 3 && c.seg[0].dur_ns == 4 * SEC);
    assert_int_equal(total_of(&c), 12);
    assert_int_equal(scenario_phase_curve(&p[5], &c, err), 0);
    assert_true(c.nseg == 1 && c.seg[0].from == 2 && c.seg[0].dur_ns == 6 * SEC);
    assert_int_equal(scenario_phase_curve(&p[6], &c, err), -1);
    assert_string_equal(err, "phase phase-7: no duration, so no schedule");
    assert_int_equal(scenario_p2p_probe_curve(&p[0], &c, err), -1);
    scenario_free(&s);
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(scenario_phase_kind_name(SCENARIO_PHASE_P2P_LIMIT), "p2p_limit");
    assert_string_equal(scenario_phase_kind_name((enum scenario_phase_kind)9), "unknown");
    assert_string_equal(scenario_rate_kind_name(SCENARIO_RATE_STEPS), "steps");
    assert_string_equal(scenario_spread_name(SCENARIO_SPREAD_WEIGHTS), "weights");
    assert_string_equal(scenario_follow_name(SCENARIO_FOLLOW_FIRST), "first");
    assert_string_equal(scenario_on_lost_name(SCENARIO_LOST_ABORT), "abort");
    assert_string_equal(scenario_search_name(SCENARIO_SEARCH_LINEAR), "linear");
    assert_string_equal(scenario_search_name((enum scenario_search)-1), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_inline_errors),
        cmocka_unit_test(test_file_limits),
        cmocka_unit_test(test_yaml_forms),
        cmocka_unit_test(test_paths),
        cmocka_unit_test(test_local_network),
        cmocka_unit_test(test_scale),
        cmocka_unit_test(test_curves),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
