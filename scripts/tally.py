#!/usr/bin/env python3
"""Counts passed and failed test cases in a meson testlog.json.

A TAP test (its stdout has a plan line "1..N") counts each of its cases
("ok N", "not ok N"); any other test counts once. A TAP test that failed as
a whole (crash, timeout, bad plan) with no failing case counts one extra
failure, so a crash is never hidden. Prints "PASSED FAILED"."""
import json
import re
import sys

PLAN = re.compile(r"^1\.\.\d+", re.M)
OK = re.compile(r"^ok \d+", re.M)
NOT_OK = re.compile(r"^not ok \d+", re.M)


def main():
    passed = failed = 0
    try:
        with open(sys.argv[1]) as f:
            lines = f.readlines()
    except OSError as e:
        print(f"tally: {e}", file=sys.stderr)
        return 1
    for line in lines:
        t = json.loads(line)
        result = t.get("result")
        if result == "SKIP":
            continue
        good = result in ("OK", "EXPECTEDFAIL")
        out = t.get("stdout") or ""
        if PLAN.search(out):
            n_ok, n_bad = len(OK.findall(out)), len(NOT_OK.findall(out))
            passed += n_ok
            failed += n_bad
            if not good and n_bad == 0:
                failed += 1
        elif good:
            passed += 1
        else:
            failed += 1
    print(passed, failed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
