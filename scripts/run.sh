#!/usr/bin/env bash
# Starts web, Celery worker and Celery beat together; Ctrl-C stops all three.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
export DJANGO_SETTINGS_MODULE=${DJANGO_SETTINGS_MODULE:-config.settings.local}
mkdir -p var/celery-broker var/celery-processed

pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

$BIN/celery -A config worker --loglevel=INFO --concurrency=2 --without-gossip --without-mingle &
pids+=($!)
$BIN/celery -A config beat --loglevel=INFO --pidfile=var/celerybeat.pid &
pids+=($!)

$BIN/python manage.py demo_accounts
echo "Portal: http://127.0.0.1:${PORT:-8000}  (sign-in codes are printed below and shown at /staf/kotak-keluar/)"
$BIN/python manage.py runserver "127.0.0.1:${PORT:-8000}" --noreload &
pids+=($!)
wait -n "${pids[@]}"
