#!/usr/bin/env bash
# Makes sure a Docker engine answers `docker info`. These machines have no
# systemd, so when no engine runs this starts dockerd by hand (installing
# docker.io and runc from apt first if dockerd is missing), waits until it
# answers and prints how to stop it. Idempotent: an engine that already
# answers is left alone.
#
# usage: scripts/docker-engine.sh [--pidfile FILE]
#   --pidfile FILE  write the pid of the dockerd this started to FILE (the file
#                   is not written when an engine was already running)
# environment:
#   DOCKERD_LOG   dockerd's log (default /tmp/dockerd.log)
#   DOCKERD_ARGS  extra dockerd arguments. By default the engine started here
#                 has no default bridge and leaves iptables alone
#                 (--bridge=none --iptables=false): the project's containers
#                 and builds use host networking only.
set -euo pipefail

pidfile=""
while [ $# -gt 0 ]; do
  case $1 in
    --pidfile) pidfile=${2:?--pidfile needs a file}; shift 2 ;;
    -h|--help) sed -n '2,17s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) echo "docker-engine: unknown argument $1" >&2; exit 2 ;;
  esac
done
log=${DOCKERD_LOG:-/tmp/dockerd.log}

answers() { command -v docker >/dev/null && timeout 20 docker info >/dev/null 2>&1; }

if answers; then
  echo "docker-engine: an engine is already running ($(docker info --format '{{.ServerVersion}}' 2>/dev/null))"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "docker-engine: no engine answers and starting one needs root" >&2
  exit 1
fi

if ! command -v dockerd >/dev/null || ! command -v runc >/dev/null; then
  echo "docker-engine: installing docker.io and runc"
  export DEBIAN_FRONTEND=noninteractive
  timeout 300 apt-get update -qq
  timeout 600 apt-get install -y -qq --no-install-recommends docker.io runc >/dev/null
fi

# A dockerd whose pid file names a live process is starting (or hung):
# wait for it rather than start a second one on the same data root.
if [ -s /var/run/docker.pid ] && kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then
  pid=$(cat /var/run/docker.pid)
  echo "docker-engine: dockerd $pid is running but does not answer yet; waiting"
  started=0
else
  # setsid: the engine outlives the shell that started it (a terminal that
  # closes, a test's process group) until it is stopped by its pid.
  # shellcheck disable=SC2086
  setsid dockerd --data-root /var/lib/docker ${DOCKERD_ARGS:---bridge=none --iptables=false} \
    </dev/null >"$log" 2>&1 &
  pid=$!
  started=1
fi

for _ in $(seq 120); do
  if answers; then
    [ -n "$pidfile" ] && [ $started -eq 1 ] && echo "$pid" >"$pidfile"
    echo "docker-engine: dockerd $(docker info --format '{{.ServerVersion}}') answers (pid $pid, log $log)"
    echo "docker-engine: stop it with: kill $pid"
    exit 0
  fi
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "docker-engine: dockerd exited; the end of $log:" >&2
    tail -n 20 "$log" >&2
    exit 1
  fi
  sleep 0.5
done
echo "docker-engine: dockerd (pid $pid) did not answer within 60 s; the end of $log:" >&2
tail -n 20 "$log" >&2
[ $started -eq 1 ] && kill "$pid" 2>/dev/null
exit 1
