# tap.sh - the TAP helpers the shell tests share. Source it after making
# the test's scratch directory $tmp (py writes its output there):
#   tmp=$(mktemp -d); . "$SRC/tests/tap.sh"
# A failed case prints its diagnostics (the last lines of the files named)
# as TAP comments on stdout AND on stderr: meson shows a failing test's
# stderr (--print-errorlogs), so a CI log says why a case failed, not only
# that it did.
n=0 bad=0
TAP_TAIL=${TAP_TAIL:-30}

# ok DESC: a passing case.
ok() { n=$((n + 1)); echo "ok $n - $1"; }

# notok DESC [FILE...]: a failing case, with the last $TAP_TAIL lines of
# each FILE (missing files are skipped).
notok() {
  local f text
  n=$((n + 1)); bad=$((bad + 1))
  text="not ok $n - $1"
  for f in "${@:2}"; do
    [ -f "$f" ] || continue
    text+=$'\n'"# --- $(basename "$f")"$'\n'"$(tail -n "$TAP_TAIL" "$f" | sed 's/^/# /')"
  done
  printf '%s\n' "$text"
  printf '%s\n' "$text" >&2
}

# skip DESC REASON: a case that cannot run here (counted apart by
# scripts/tally.py, never as a pass).
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }

# todo DESC REASON [FILE...]: a known gap, reported as a TAP TODO while it fails.
todo() { n=$((n + 1)); echo "not ok $n - $1 # TODO $2"; local f
  for f in "${@:3}"; do [ -f "$f" ] && tail -n 5 "$f" | sed 's/^/# /'; done; }

# freeport: a free TCP port on 127.0.0.1 (the kernel's choice).
freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# py DESC CODE [FILE...]: a case decided by a python check (an assert that
# fails, or any exception, fails it); on failure the check's output and the
# FILEs are shown.
py() {
  local desc=$1 code=$2; shift 2
  if python3 -c "$code" >"$tmp/py.out" 2>&1; then ok "$desc"; else notok "$desc" "$tmp/py.out" "$@"; fi
}

# tap_status: the exit status for the cases so far (1 if any failed).
tap_status() { [ "$bad" -eq 0 ]; }
