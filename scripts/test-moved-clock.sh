#!/usr/bin/env bash
# Runs the test suite with the system clock moved to another day (libfaketime from Debian), to prove that no test
# depends on the day it runs. Usage: scripts/test-moved-clock.sh "2028-02-29 10:00:00" [pytest arguments…]
# The time is UTC and keeps ticking from there; child processes (Chromium, servers the tests start) inherit it.
# Servers already running (PostgreSQL, Redis) keep the real clock, as they would on a machine whose web and
# worker processes run in another time zone: nothing in the portal reads the database's clock.
set -euo pipefail
cd "$(dirname "$0")/.."
moment=${1:?"usage: $0 'YYYY-MM-DD hh:mm:ss' [pytest args]"}
shift
lib=$(ls /usr/lib/*/faketime/libfaketimeMT.so.1 2>/dev/null | head -n1 || true)
if [ -z "$lib" ]; then
  echo "libfaketime is not installed: apt-get install libfaketime" >&2
  exit 2
fi
echo "moved clock: $moment UTC (real: $(date -u '+%Y-%m-%d %H:%M:%S'))"
# DONT_FAKE_MONOTONIC keeps timeouts and schedulers on the real monotonic clock (faked, timed waits hang);
# scripts/faketime/sitecustomize.py makes time.sleep work with it.
TZ=UTC FAKETIME="@$moment" FAKETIME_DONT_FAKE_MONOTONIC=1 FAKETIME_DONT_RESET=1 LD_PRELOAD="$lib" \
  PYTHONPATH="$PWD/scripts/faketime${PYTHONPATH:+:$PYTHONPATH}" \
  .venv/bin/pytest -n "${PYTEST_WORKERS:-2}" --dist loadgroup -p no:cacheprovider "$@"
