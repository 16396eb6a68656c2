"""Scenario: the auto-debit run for BENCH_AUTODEBIT_MANDATES (1,000,000) mandates against the simulator, end to end,
with 2 worker processes.

Data (set-based, kept for later runs): members of their own (marker `bench-ad`, billed from 2028-01 so no other
scenario bills or pays them), one active mandate each with its simulated-bank side (1 % report their result twice:
`duplicate_callback`), all paid by one bench payer. The ledger is append-only, so a run cannot be undone: each run
takes the next month (2028-01, 2028-02, …) and first writes that month's bills with one INSERT … SELECT (not timed:
that is the billing run's job).

Timed: two child processes (`python -m bench.autodebit --child MONTH`) started together, each calling autodebit_run
as the beat task would, with production settings (receipt sweeps queued to Redis, at most one per second). They split
the attempt creation by ranges (advisory locks) and the charging by SKIP LOCKED batches. Reported: wall time from
start to both finished, charges per second, each process's peak RSS (VmHWM). Checked: one successful simulator charge
per mandate and month (zero duplicates), every mandate's attempt paid, one payment per attempt, and for every payment
received = allocations + credit.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import Report, database_url, env_int, median

ROOT = Path(__file__).resolve().parents[1]
MARKER = "bench-ad"
FIRST_MONTH = dt.date(2028, 1, 1)
DUPLICATE_SHARE = 0.01


def ensure_autodebit_members(target: int, chunk: int = 200_000) -> int:
    """Members, mandates and simulated-bank mandates for 1..target (resumable: ON CONFLICT DO NOTHING)."""
    from django.db import connection

    from bench.dataset import _member_insert_sql, _reference_params, bench_payer

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM contributions_debitmandate WHERE provider_reference LIKE 'BENCHAD%%'")
        have = cursor.fetchone()[0]
    if have >= target:
        return have
    print(f"  creating {target - have:,} auto-debit members and mandates set-based (kept for later runs)…", flush=True)
    start = time.perf_counter()
    params = _reference_params()
    payer = bench_payer()
    sql = _member_insert_sql(kpj_prefix="5", marker=MARKER, fixed_billing_start=FIRST_MONTH, active_share=0.7)
    lo = 1
    while lo <= target:
        hi = min(lo + chunk - 1, target)
        with connection.cursor() as cursor:  # autocommit: one transaction per chunk
            cursor.execute(sql, {**params, "lo": lo, "hi": hi})
        lo = hi + 1
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO contributions_simulatormandate (reference, account, max_amount_idr, script, revoked, "
            "created_at) "
            "SELECT 'BENCHAD' || m.id, '4000' || lpad(m.id::text, 8, '0'), 5000000, "
            "CASE WHEN (hashint8extended(m.id, 77) & 1023) < %s THEN '[\"duplicate_callback\"]'::jsonb "
            "ELSE '[]'::jsonb END, false, now() FROM enrollment_member m WHERE m.consent_version = %s "
            "ON CONFLICT DO NOTHING", [int(DUPLICATE_SHARE * 1024), MARKER])
        cursor.execute(
            "INSERT INTO contributions_debitmandate (payer_id, member_id, method, issuer, account_masked, provider, "
            "provider_reference, max_amount_idr, consent_version, consented_at, consent_ip, status, failed_months, "
            "created_at) SELECT %s, m.id, 'bank', 'BCA', '•••• ' || right(lpad(m.id::text, 8, '0'), 4), 'simulator', "
            "'BENCHAD' || m.id, 5000000, '2026-11', now(), '127.0.0.1', 'active', 0, now() "
            "FROM enrollment_member m WHERE m.consent_version = %s ON CONFLICT DO NOTHING", [payer.pk, MARKER])
        for table in ("enrollment_member", "contributions_simulatormandate", "contributions_debitmandate"):
            cursor.execute(f"VACUUM (ANALYZE) {table}")
        cursor.execute("SELECT count(*) FROM contributions_debitmandate WHERE provider_reference LIKE 'BENCHAD%%'")
        have = cursor.fetchone()[0]
    print(f"  {have:,} mandates in {time.perf_counter() - start:.1f} s", flush=True)
    return have


def _next_month() -> dt.date:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT max(b.month) FROM contributions_bill b JOIN enrollment_member m ON m.id = b.member_id "
                       "WHERE m.consent_version = %s", [MARKER])
        last = cursor.fetchone()[0]
    if last is None:
        return FIRST_MONTH
    from reference.duedates import add_months

    return add_months(last, 1)


def _bills_for(month: dt.date) -> int:
    """The month's bill for every bench-ad member: JKK 1 % and JHT 2 % of the income, JKM Rp 6,800, no discount."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO contributions_bill (member_id, month, due_date, income_base_idr, jkk_gross_idr, "
            "jkk_discount_idr, jkm_gross_idr, jkm_discount_idr, jht_gross_idr, jht_discount_idr, total_idr, status, "
            "created_at) SELECT m.id, %s, %s, m.income_base_idr, (m.income_base_idr + 50) / 100, 0, 6800, 0, "
            "CASE WHEN m.has_jht THEN (m.income_base_idr + 25) / 50 ELSE 0 END, 0, "
            "(m.income_base_idr + 50) / 100 + 6800 + CASE WHEN m.has_jht THEN (m.income_base_idr + 25) / 50 ELSE 0 END,"
            " 'open', now() FROM enrollment_member m WHERE m.consent_version = %s "
            "ON CONFLICT (member_id, month) DO NOTHING", [month, month + dt.timedelta(days=14), MARKER])
        created = cursor.rowcount
        cursor.execute("VACUUM (ANALYZE) contributions_bill")
        cursor.execute("VACUUM (ANALYZE) contributions_debitattempt")
        # Statistics autovacuum would have by now (after a run added millions of rows): without them the planner
        # guesses 0.5 % of the ledger per bill.
        for table in ("contributions_ledgerentry", "contributions_payment", "contributions_simulatorcharge",
                      "core_outboxmessage", "core_auditevent"):
            cursor.execute(f"ANALYZE {table}")
    return created


def _checks(month: dt.date) -> dict:
    from django.db import connection

    like = f"AD%-{month:%Y%m}-%"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM (SELECT c.mandate_reference FROM contributions_simulatorcharge c "
            "WHERE c.idempotency_key LIKE %s AND c.outcome IN ('success', 'timeout', 'duplicate_callback') "
            "GROUP BY c.mandate_reference HAVING count(*) > 1) d", [like])
        duplicates = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM contributions_simulatorcharge WHERE idempotency_key LIKE %s", [like])
        charges = cursor.fetchone()[0]
        cursor.execute(
            "SELECT count(*), count(*) FILTER (WHERE a.status = 'succeeded'), count(a.payment_id), "
            "count(DISTINCT a.payment_id) FROM contributions_debitattempt a JOIN contributions_debitmandate d "
            "ON d.id = a.mandate_id WHERE a.month = %s AND d.provider_reference LIKE 'BENCHAD%%'", [month])
        attempts, succeeded, with_payment, distinct_payments = cursor.fetchone()
        cursor.execute(
            "SELECT count(*) FROM (SELECT p.id, p.amount_idr, "
            "sum(e.amount_idr) FILTER (WHERE e.kind = 'received') AS received, "
            "sum(e.amount_idr) FILTER (WHERE e.kind IN ('allocation', 'credit') AND NOT e.from_credit) AS used "
            "FROM contributions_debitattempt a JOIN contributions_payment p ON p.id = a.payment_id "
            "JOIN contributions_ledgerentry e ON e.payment_id = p.id WHERE a.month = %s GROUP BY p.id, p.amount_idr) s "
            "WHERE s.received IS DISTINCT FROM s.amount_idr OR s.used IS DISTINCT FROM s.amount_idr", [month])
        unbalanced = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM contributions_bill b JOIN enrollment_member m ON m.id = b.member_id "
                       "WHERE m.consent_version = %s AND b.month = %s AND b.status = 'open'", [MARKER, month])
        still_open = cursor.fetchone()[0]
    return {"duplicates": duplicates, "charges": charges, "attempts": attempts, "succeeded": succeeded,
            "with_payment": with_payment, "distinct_payments": distinct_payments, "unbalanced": unbalanced,
            "still_open": still_open}


def _run_children(month: dt.date, workers: int) -> tuple[float, list[dict]]:
    from django.db import connection

    from bench.webhooks import _gunicorn_env

    with tempfile.TemporaryDirectory(prefix="bench-ad-") as var_dir:
        env = _gunicorn_env(database_url(connection.settings_dict), var_dir)
        env["LOG_LEVEL"] = "ERROR"
        start = time.perf_counter()
        procs = [subprocess.Popen([sys.executable, "-m", "bench.autodebit", "--child", month.isoformat()], cwd=ROOT,
                                  env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(workers)]
        outputs = [p.communicate(timeout=1800) for p in procs]
        seconds = time.perf_counter() - start
    results = []
    for proc, (out, err) in zip(procs, outputs, strict=True):
        if proc.returncode != 0:
            raise RuntimeError(f"auto-debit child failed ({proc.returncode}):\n{out[-2000:]}\n{err[-4000:]}")
        results.append(json.loads(out.strip().splitlines()[-1]))
    return seconds, results


def _print_statements(children: list[dict]) -> None:
    merged: dict[str, list] = {}
    for child in children:
        for shape, (calls, seconds) in child.get("statements", {}).items():
            entry = merged.setdefault(shape, [0, 0.0])
            entry[0] += calls
            entry[1] += seconds
    for shape, (calls, seconds) in sorted(merged.items(), key=lambda kv: -kv[1][1])[:20]:
        print(f"    {seconds:8.1f} s {calls:7,} × {shape}", flush=True)


def scenario(report: Report) -> None:
    target = env_int("BENCH_AUTODEBIT_MANDATES", 1_000_000)
    runs = env_int("BENCH_AUTODEBIT_RUNS", 1)
    workers = env_int("BENCH_AUTODEBIT_WORKERS", 2)
    mandates = ensure_autodebit_members(target)
    print(f"auto-debit: {mandates:,} mandates ({DUPLICATE_SHARE:.0%} report twice), {workers} worker processes, "
          f"{runs} run(s), a new month each", flush=True)
    totals, rates, peaks, failures = [], [], [], []
    for run in range(runs):
        month = _next_month()
        start = time.perf_counter()
        bills = _bills_for(month)
        print(f"  run {run + 1}: {month:%Y-%m}: {bills:,} bills written in {time.perf_counter() - start:.1f} s "
              f"(setup, not timed)", flush=True)
        seconds, children = _run_children(month, workers)
        checks = _checks(month)
        totals.append(seconds)
        rates.append(checks["succeeded"] / seconds)
        peaks += [c["peak_kb"] / 1024 for c in children]
        per = "; ".join(f"worker {n + 1}: {c['seconds']:.0f} s, created {c['created']:,}, paid {c['handled']:,}, "
                        f"replays {c['replays']:,}, {c['batches']} batches, peak {c['peak_kb'] / 1024:.0f} MB"
                        for n, c in enumerate(children))
        print(f"  run {run + 1}: {seconds:.1f} s end to end, {checks['succeeded'] / seconds:,.0f} charges/s; {per}",
              flush=True)
        print(f"  run {run + 1}: checks {checks}", flush=True)
        _print_statements(children)
        ok = (checks["duplicates"] == 0 and checks["succeeded"] == checks["attempts"] == mandates
              and checks["with_payment"] == checks["distinct_payments"] == checks["succeeded"]
              and checks["unbalanced"] == 0 and checks["still_open"] == 0 and checks["charges"] == mandates)
        if not ok:
            failures.append(f"{month:%Y-%m}: {checks}")
    report.add(f"auto-debit {mandates:,} mandates, {workers} processes (median of {runs})",
               f"{median(totals):.0f} s, {median(rates):,.0f} charges/s", target="< 300 s",
               ok=median(totals) < 300)
    report.add("auto-debit peak RSS per process", f"{max(peaks):.0f} MB", target="< 300 MB", ok=max(peaks) < 300)
    report.add("auto-debit charged once, paid, ledger balanced",
               "ok" if not failures else f"FAILED {failures[0][:120]}", target="0 duplicates",
               ok=not failures, correctness=True)


def _child(month: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
    import django

    django.setup()
    from django.utils import timezone

    from bench.billing import _status_kb
    from contributions.services.autodebit import autodebit_run

    # The bench's months lie ahead (the ledger is append-only, each run takes a new one): run as on the 5th of it.
    first = dt.date.fromisoformat(month)
    start = time.perf_counter()
    with _statement_times() as statements:
        result = autodebit_run(month=first, now=timezone.make_aware(dt.datetime(first.year, first.month, 5, 6)))
    print(json.dumps({"seconds": time.perf_counter() - start, "peak_kb": _status_kb("VmHWM"), **result,
                      "statements": statements}))


@contextlib.contextmanager
def _statement_times():
    """BENCH_AUTODEBIT_PROFILE=1: wall time per statement shape (its first words), to see where a run goes."""
    totals: dict[str, list] = {}
    if not os.environ.get("BENCH_AUTODEBIT_PROFILE"):
        yield totals
        return
    from django.db import connection

    def timed(execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            shape = " ".join(sql.split())[:90]
            entry = totals.setdefault(shape, [0, 0.0])
            entry[0] += 1
            entry[1] += time.perf_counter() - start

    with connection.execute_wrapper(timed):
        yield totals


if __name__ == "__main__" and sys.argv[1:2] == ["--child"]:
    _child(sys.argv[2])
