"""Benchmarks on realistic data: `make bench` (PostgreSQL: the Makefile defaults DATABASE_URL to
postgres://postgres@127.0.0.1:5432/bpu_bench; the data lives in its keepdb test database, test_bpu_bench, and is
reused by later runs).

Scenarios (BENCH_SCENARIOS, comma-separated, default "billing,webhooks,bulk,registration,reminders"):
- billing (bench/billing.py): bill_generate_for_period for 1,000,000 members, month 2026-12, vs a hand-written
  INSERT … SELECT; peak RSS; rerun with nothing to create; app rows == reference rows;
- webhooks (bench/webhooks.py): signed payment webhooks over HTTP to gunicorn (2 workers), with replays;
  confirmations per second vs a trivial endpoint; zero double credits, ledger reconciled;
- bulk (bench/bulkimport.py): a spreadsheet of 34,782 rows and one of 1,000,000 (BENCH_BULK_BIG; 0 skips it) from
  upload to the per-row report, vs a plain COPY of the same file; peak RSS of the worker;
- registration (bench/pages.py): member_register and the member pages (the original bench);
- reminders (bench/reminders.py): the daily reminder job for the billing members (due soon and overdue mixed,
  20,000 through sponsors); reminders == the bills a plain SQL count says; a rerun creates nothing.
- autodebit (bench/autodebit.py, only when named: BENCH_SCENARIOS=autodebit): the auto-debit run for
  BENCH_AUTODEBIT_MANDATES (1,000,000) mandates with 2 worker processes against the simulator, a new month per run
  (BENCH_AUTODEBIT_RUNS, 1); zero duplicate charges, every payment balanced; peak RSS per process.
- dashboards (bench/dashboards.py, only when named: BENCH_SCENARIOS=dashboards): the billing members with ecosystems
  and mixed statuses, 12 months of bills each (12,000,000), lapse events and claim payouts (kept for later runs);
  rollups_rebuild (BENCH_DASHBOARD_REBUILDS, 3), the raw GROUP BY it replaces, each dashboard page and export as an
  admin (BENCH_DASHBOARD_RENDERS, 20): median, p95, SQL queries, raw GROUP BY ÷ page.
billing, webhooks and bulk need PostgreSQL and are skipped on SQLite.

Knobs (environment): BENCH_BILLING_MEMBERS (1,000,000), BENCH_BILLING_RUNS (3), BENCH_WEBHOOK_ORDERS (3,000 per round),
BENCH_WEBHOOK_ROUNDS (3), BENCH_WEBHOOK_CONCURRENCY (24), BENCH_WEBHOOK_TIME_LIMIT (120 s per batch of requests),
BENCH_GUNICORN_WORKERS (2), BENCH_WEBHOOK_EAGER (default 0: receipts queued to Redis
as in production; 1: delivered inside the request),
BENCH_MEMBERS and BENCH_RUNS (registration and pages).

A first run creates the data (about a minute for the 1,000,000 members); later runs reuse it. Each run adds about
9,000 paid webhook members (billed from 2027-01, so never in the billing month) and 200 registrations; start over
with `dropdb -h 127.0.0.1 -U postgres test_bpu_bench`. The whole run takes 8 to 10 minutes on 2 cores. It exits with
1 when a scenario crashes or a correctness check fails (app bills differ from the reference, a double credit, an
unbalanced ledger); a missed performance target only prints MISSED. The load average is printed at the start and
after each scenario: other work on the machine slows every figure.
"""

from __future__ import annotations

import os
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
# The webhook scenario's gunicorn gets the same secret, so the bench's signatures verify.
os.environ.setdefault("PAYMENT_SIMULATOR_SECRET", "bench-simulator-secret")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import get_runner, setup_test_environment, teardown_test_environment  # noqa: E402

from bench.common import Report  # noqa: E402

SCENARIOS = ("billing", "webhooks", "bulk", "registration", "reminders", "autodebit", "dashboards")
# Not in the default list: the auto-debit scenario takes about as long as all the others together; the dashboards
# scenario adds 12,000,000 bills to the database (about 10 minutes the first time).
DEFAULT_SCENARIOS = ("billing", "webhooks", "bulk", "registration", "reminders")


def _load() -> str:
    """Other work on the machine skews every figure: say how busy it was."""
    one, five, _fifteen = os.getloadavg()
    return f"load average {one:.1f} (1 min) {five:.1f} (5 min)"


def main(report: Report) -> None:
    from bench import autodebit, billing, bulkimport, dashboards, pages, reminders, webhooks
    from bench.dataset import ensure_regions

    chosen = [s.strip() for s in os.environ.get("BENCH_SCENARIOS", ",".join(DEFAULT_SCENARIOS)).split(",") if s.strip()]
    unknown = set(chosen) - set(SCENARIOS)
    if unknown:
        raise SystemExit(f"unknown BENCH_SCENARIOS {sorted(unknown)}; choose from {SCENARIOS}")
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}, scenarios: {', '.join(chosen)}; "
          f"{os.cpu_count()} CPUs, {_load()}", flush=True)
    if os.getloadavg()[0] > 0.5:
        print("  WARNING: the machine is already busy; the figures below share its CPUs with that load", flush=True)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT name, current_setting(name) FROM pg_settings WHERE name IN ('shared_buffers', "
                           "'max_wal_size', 'work_mem', 'autovacuum', 'jit', 'synchronous_commit') ORDER BY name")
            server = dict(cursor.fetchall())
        print(f"  PostgreSQL: {', '.join(f'{k} {v}' for k, v in server.items())}", flush=True)
        if server.get("autovacuum") == "off":
            print("  NOTE: autovacuum is off on this server (production runs it): scenarios VACUUM/ANALYZE what they "
                  "grew themselves", flush=True)
    ensure_regions()
    for name, module in (("billing", billing), ("webhooks", webhooks), ("bulk", bulkimport), ("registration", pages),
                         ("reminders", reminders), ("autodebit", autodebit), ("dashboards", dashboards)):
        if name not in chosen:
            continue
        if name != "registration" and connection.vendor != "postgresql":
            print(f"{name}: skipped, needs PostgreSQL (set DATABASE_URL)")
            continue
        start = time.perf_counter()
        try:
            module.scenario(report)
        except Exception as exc:  # the other scenarios still run; make bench exits with 1
            traceback.print_exception(exc, limit=-6, chain=False)
            report.add(name, f"crashed: {type(exc).__name__}: {str(exc)[:80]}", ok=False, correctness=True)
        print(f"  ({name}: {time.perf_counter() - start:.0f} s; {_load()})", flush=True)


def _terminate(signum, _frame):
    raise SystemExit(128 + signum)  # runs the finally blocks: gunicorn is stopped, the table printed


if __name__ == "__main__":
    import logging
    import signal

    signal.signal(signal.SIGTERM, _terminate)

    logging.disable(logging.INFO)
    settings.DEBUG = False
    settings.NOTIFICATION_BACKEND = "bench.quiet.QuietBackend"
    setup_test_environment()
    started = time.perf_counter()
    runner = get_runner(settings)(verbosity=0, keepdb=True)
    # No serialized copy of the database: the test runner would otherwise read every row into memory.
    old = runner.setup_databases(serialized_aliases=set())
    report = Report()
    try:
        main(report)
    finally:
        report.print_table()
        print(f"\ntotal {time.perf_counter() - started:.0f} s; {_load()}")
        runner.teardown_databases(old)
        teardown_test_environment()
    sys.exit(1 if report.failed else 0)
