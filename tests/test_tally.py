#!/usr/bin/env python3
"""scripts/tally.py (TAP): skips are counted as skipped, never as passed;
meson's SKIP counts; crashes count; under CI a preventable skip of the slow
suite fails where the suite can run. Args: SRCDIR"""
import io
import json
import os
import sys

sys.path.insert(0, os.path.join(sys.argv[1], "scripts"))
import tally  # noqa: E402

cases = []


def check(desc, got, want):
    cases.append((desc, got == want, f"got {got}, want {want}"))


def log(*tests):
    return [json.dumps(t) + "\n" for t in tests]


def t(name, result, stdout="", suite="unit"):
    return {"name": name, "result": result, "stdout": stdout, "suite": [f"bitshares-stress:{suite}"]}


tap = "1..4\nok 1 - issue #5 fixed\nok 2 - b # SKIP no chromium\nnot ok 3 - c\nok 4 - d # skip lower case\n"
check("TAP: ok, skip (any case) and not ok counted apart",
      tally.tally(log(t("x", "FAIL", tap)), False, True, io.StringIO()), (1, 1, 2))
check("meson SKIP (exit 77) counts as skipped, a plain test once",
      tally.tally(log(t("a", "SKIP"), t("b", "OK"), t("c", "FAIL")), False, True, io.StringIO()),
      (1, 1, 1))
check("a TAP test that crashed with no failing case counts one failure",
      tally.tally(log(t("x", "TIMEOUT", "1..3\nok 1 - a\n")), False, True, io.StringIO()), (1, 1, 0))
check("a not-ok TODO case is neither passed nor failed",
      tally.tally(log(t("x", "OK", "1..2\nok 1\nnot ok 2 # TODO later\n")), False, True,
                  io.StringIO()), (1, 0, 0))
slow_skip = t("docker", "OK", "1..1\nok 1 # SKIP no docker CLI and no apt-get\n", "slow")
kernel_skip = t("netns", "OK", "1..1\nok 1 # SKIP cannot run here: no network namespaces\n", "slow")
unit_skip = t("report", "OK", "1..2\nok 1\nok 2 # SKIP chromium absent\n", "integration")
err = io.StringIO()
check("CI, slow suite can run: a preventable slow skip fails, a kernel one and others stay skips",
      tally.tally(log(slow_skip, kernel_skip, unit_skip), True, True, err), (1, 1, 2))
cases.append(("the CI failure names the test and its reason",
              "docker" in err.getvalue() and "no apt-get" in err.getvalue(), err.getvalue()))
check("CI on a machine where the slow suite cannot run (not root): skips stay skips",
      tally.tally(log(slow_skip, kernel_skip), True, False, io.StringIO()), (0, 0, 2))
check("not CI: skips stay skips",
      tally.tally(log(slow_skip), False, True, io.StringIO()), (0, 0, 1))
check("a meson SKIP of the slow suite under CI where it can run fails",
      tally.tally(log(t("s", "SKIP", "", "slow")), True, True, io.StringIO()), (0, 1, 0))

print(f"1..{len(cases)}")
for i, (desc, good, why) in enumerate(cases, 1):
    print(f"{'ok' if good else 'not ok'} {i} - {desc}")
    if not good:
        print(f"# {why}")
sys.exit(0 if all(c[1] for c in cases) else 1)
