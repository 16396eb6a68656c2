#!/usr/bin/env bash
# Starts web, two Celery workers (the `urgent` queue: sign-in codes and receipts; `default` and `bulk`: the rest)
# and Celery beat. Ctrl-C, or TERM to this script or to its process group, stops every one of them: TERM first
# (Celery finishes the task in hand), QUIT after RUN_STOP_SECONDS (Celery's cold shutdown), KILL as a last resort.
# A job cut short is found again by its sweep (bulk imports, the outbox), so stopping never loses work.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
export DJANGO_SETTINGS_MODULE=${DJANGO_SETTINGS_MODULE:-config.settings.local}
VAR_DIR=${VAR_DIR:-var}
STOP_SECONDS=${RUN_STOP_SECONDS:-10}
mkdir -p "$VAR_DIR"
# The portal's own address: links in messages, and (with DEBUG) the SMS gateway simulator the workers send to.
export SITE_URL=${SITE_URL:-http://127.0.0.1:${PORT:-8000}}

pids=()
stopping=""

alive() {
  local pid
  for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && return 0; done
  return 1
}

wait_gone() {  # up to $1 seconds, in tenths
  local i
  for ((i = 0; i < $1 * 10; i++)); do alive || return 0; sleep 0.1; done
  return 1
}

stop() {
  [ -n "$stopping" ] && return
  stopping=1
  trap '' INT TERM  # a second Ctrl-C or TERM must not cut the shutdown short
  kill -TERM "${pids[@]}" 2>/dev/null
  wait_gone "$STOP_SECONDS" || { kill -QUIT "${pids[@]}" 2>/dev/null; wait_gone 5; } \
    || { echo "run.sh: killing what is left" >&2; kill -KILL "${pids[@]}" 2>/dev/null; }
  wait 2>/dev/null
}

trap 'stop; exit 143' TERM
trap 'stop; exit 130' INT
trap 'stop' EXIT

# Thread pools: one process per worker, so a TERM to the process group reaches everything there is and no pool
# child is left behind; SQLite and the filesystem broker work the same from threads.
celery_worker() {
  $BIN/celery -A config worker --loglevel=INFO --pool=threads --without-gossip --without-mingle "$@" &
  pids+=($!)
}
celery_worker -Q urgent --concurrency=2 -n "urgent@%h"
celery_worker -Q default,bulk --concurrency=2 -n "default@%h"
$BIN/celery -A config beat --loglevel=INFO --pidfile="$VAR_DIR/celerybeat.pid" &
pids+=($!)

$BIN/python manage.py demo_accounts || echo "run.sh: no demo accounts to show (make run seeds them)" >&2
echo "Portal: http://127.0.0.1:${PORT:-8000}  (sign-in codes arrive in the SMS simulator: /simulator/sms/)"
$BIN/python manage.py runserver "127.0.0.1:${PORT:-8000}" --noreload &
pids+=($!)
wait -n "${pids[@]}"
status=$?
echo "run.sh: a process stopped (exit $status); stopping the others" >&2
stop
exit "$status"
