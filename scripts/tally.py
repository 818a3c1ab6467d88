#!/usr/bin/env python3
"""Counts passed, failed and skipped test cases in a meson testlog.json.

A TAP test (its stdout has a plan line "1..N") counts each of its cases:
"ok N" passes, "not ok N" fails, "ok N # SKIP why" is skipped (a skip is
never a pass). A TAP test that failed as a whole (crash, timeout, bad plan)
with no failing case counts one extra failure, so a crash is never hidden.
Any other test counts once; meson's SKIP (exit status 77) counts as skipped.

Under CI=true a skip in the slow suite on a machine where that suite can run
(root, apt-get present: scripts/deps.sh or the test itself could install
what it lacks) counts as a failure, unless its reason starts with
"cannot run here:" -- what the tests say when the kernel forbids the test
(no network namespaces, no nested containers), which no install can fix.
Each such failure is named on stderr.

Prints "PASSED FAILED SKIPPED"; with --names also prints, on stderr, every
skipped case and its reason."""
import json
import os
import re
import shutil
import sys

PLAN = re.compile(r"^1\.\.\d+", re.M)
# TAP 13: a directive is "# SKIP" (any case) followed by an optional reason.
CASE = re.compile(r"^(not ok|ok)\b(.*)$", re.M | re.I)
DIRECTIVE = re.compile(r"#\s*(SKIP|TODO)\S*\s*(.*)$", re.I)
FORBIDDEN = "cannot run here:"


def slow_can_run():
    """The slow suite can run here: root, and apt-get to install what it needs."""
    return os.geteuid() == 0 and shutil.which("apt-get") is not None


def is_slow(t):
    return any(s.split(":")[-1] == "slow" for s in t.get("suite") or [])


def directive(case):
    """("SKIP" | "TODO" | "", reason) of a TAP case line."""
    m = DIRECTIVE.search(case.group(2))
    return (m.group(1).upper(), m.group(2)) if m else ("", "")


def tally(lines, ci, can_run, out=sys.stderr, names=False):
    """Returns (passed, failed, skipped) for the testlog lines."""
    passed = failed = skipped = 0

    def skip(t, why):
        nonlocal failed, skipped
        why = why.strip() or "no reason given"
        if ci and can_run and is_slow(t) and not why.lower().startswith(FORBIDDEN):
            failed += 1
            print(f"tally: {t.get('name')}: skipped under CI=true on a machine where it can "
                  f"run (root, apt-get present): {why}", file=out)
        else:
            skipped += 1
            if names:
                print(f"tally: skipped {t.get('name')}: {why}", file=out)

    for line in lines:
        if not line.strip():
            continue
        t = json.loads(line)
        result = t.get("result")
        good = result in ("OK", "EXPECTEDFAIL")
        stdout = t.get("stdout") or ""
        if result == "SKIP":
            # Meson's exit status 77; a TAP test that skips all says why in its output.
            m = [d for d in map(directive, CASE.finditer(stdout)) if d[0] == "SKIP"]
            skip(t, m[0][1] if m else "exit status 77")
            continue
        if PLAN.search(stdout):
            n_bad = 0
            for c in CASE.finditer(stdout):
                kind, why = directive(c)
                if c.group(1).lower() == "not ok":
                    if kind == "TODO":
                        continue  # an expected failure, neither passed nor failed
                    n_bad += 1
                elif kind == "SKIP":
                    skip(t, why)
                else:
                    passed += 1
            failed += n_bad
            if not good and n_bad == 0:
                failed += 1
        elif good:
            passed += 1
        else:
            failed += 1
    return passed, failed, skipped


def main():
    args = [a for a in sys.argv[1:] if a != "--names"]
    if len(args) != 1:
        print("usage: tally.py [--names] TESTLOG.json", file=sys.stderr)
        return 2
    try:
        with open(args[0]) as f:
            lines = f.readlines()
    except OSError as e:
        print(f"tally: {e}", file=sys.stderr)
        return 1
    ci = os.environ.get("CI", "").lower() in ("true", "1", "yes")
    p, f, s = tally(lines, ci, slow_can_run(), names="--names" in sys.argv[1:])
    print(p, f, s)
    return 0


if __name__ == "__main__":
    sys.exit(main())
