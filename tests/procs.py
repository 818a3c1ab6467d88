#!/usr/bin/env python3
"""Processes a test started, from /proc (no procps): never a process outside
the tree of the pid given, so a test can only touch what it started.

usage: procs.py PID [REGEX]
Prints the pids of PID's descendants (children first) whose command line
(arguments joined by spaces) matches REGEX (every descendant without one)."""
import os
import re
import sys


def parents():
    """{pid: ppid} of every process still there."""
    out = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        # Field 4 (ppid) follows the name, which is in parentheses and may hold any byte.
        out[int(d)] = int(stat[stat.rindex(")") + 2:].split()[1])
    return out


def cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().rstrip(b"\0").replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def descendants(root):
    pp = parents()
    found, todo = [], [root]
    while todo:
        p = todo.pop(0)
        kids = sorted(c for c, parent in pp.items() if parent == p)
        found += kids
        todo += kids
    return found


def main():
    if len(sys.argv) not in (2, 3):
        print(__doc__, file=sys.stderr)
        return 2
    pat = re.compile(sys.argv[2]) if len(sys.argv) == 3 else None
    for p in descendants(int(sys.argv[1])):
        if p == os.getpid():
            continue  # this script (a descendant when the test runs it)
        if pat is None or pat.search(cmdline(p)):
            print(p)
    return 0


if __name__ == "__main__":
    sys.exit(main())
