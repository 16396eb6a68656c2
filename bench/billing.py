"""Scenario 1: the monthly billing run for the billing members (1,000,000 by default), month 2026-12.

Reference: the hand-written single INSERT … SELECT below, with that month's rates and PP 50/2025 discount written as
literal numbers (as a reviewer would write it from DOMAIN.md), into the same table on the same database.

Each app run is a fresh child process (`python -m bench.billing --child`) that calls bill_generate_for_period with
its default batch size and reports its wall time and its peak RSS. The peak is VmHWM from /proc/self/status: Linux
carries ru_maxrss over execve(), so a child's ru_maxrss starts at the bench process's own peak (printed as well). Before
every run (app or reference) the month's bills are deleted (only bills no ledger entry points at: the ledger is
append-only), the table is vacuumed and a checkpoint is forced, so every run starts from the same state.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from bench.common import Report, database_url, env_int, median

MONTH = dt.date(2026, 12, 1)
ROOT = Path(__file__).resolve().parents[1]

# What a reviewer writes by hand for 2026-12 (PP 44/2015 rates, PP 50/2025: 50 % off JKK and JKM unless the member is
# funded by APBN/APBD; the transport discount row for transport occupations, the general one for every other
# sector). JKK 1 % and JHT 2 % of the income, JKM Rp 6,800 flat, every amount rounded half up once.
REFERENCE_SQL = """
INSERT INTO contributions_bill (member_id, month, due_date, income_base_idr, jkk_gross_idr, jkk_discount_idr,
                                jkm_gross_idr, jkm_discount_idr, jht_gross_idr, jht_discount_idr, total_idr,
                                discount_id, jkm_discount_id, jht_discount_id, status, created_at)
SELECT id, DATE '2026-12-01', DATE '2026-12-15', income,
       jkk, CASE WHEN cut THEN (jkk + 1) / 2 ELSE 0 END,
       6800, CASE WHEN cut THEN 3400 ELSE 0 END,
       jht, 0,
       jkk - CASE WHEN cut THEN (jkk + 1) / 2 ELSE 0 END + 6800 - CASE WHEN cut THEN 3400 ELSE 0 END + jht,
       CASE WHEN NOT cut THEN NULL WHEN transport THEN {transport_discount} ELSE {general_discount} END,
       CASE WHEN NOT cut THEN NULL WHEN transport THEN {transport_discount} ELSE {general_discount} END, NULL,
       'open', now()
FROM (SELECT m.id, m.income_base_idr AS income,
             (m.income_base_idr + 50) / 100 AS jkk,
             CASE WHEN m.has_jht THEN (m.income_base_idr + 25) / 50 ELSE 0 END AS jht,
             m.funding_source NOT IN ('apbn', 'apbd') AS cut,
             o.sector = 'transport' AS transport
      FROM enrollment_member m JOIN enrollment_occupation o ON o.id = m.occupation_id
      WHERE m.status IN ('registered', 'active') AND m.billing_start <= DATE '2026-12-01') AS s
ON CONFLICT (member_id, month) DO NOTHING
"""

# Order-independent fingerprint of the month's bills over every column the two statements both decide
# (created_at is "now" in both and id is the sequence's).
CHECKSUM_SQL = """
SELECT count(*), coalesce(sum(total_idr), 0), coalesce(sum(jkk_discount_idr + jkm_discount_idr + jht_discount_idr), 0),
       count(discount_id),
       coalesce(sum(hashtextextended(concat_ws('|', member_id, month, due_date, income_base_idr, jkk_gross_idr,
                jkk_discount_idr, jkm_gross_idr, jkm_discount_idr, jht_gross_idr, jht_discount_idr, total_idr,
                discount_id, jkm_discount_id, jht_discount_id, status, paid_at), 0)::numeric), 0)
FROM contributions_bill WHERE month = %s
"""


def _clear_month() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM contributions_reminder r USING contributions_bill b WHERE b.id = r.bill_id "
                       "AND b.month = %s", [MONTH])  # left by an interrupted reminders scenario
        cursor.execute("DELETE FROM contributions_bill b WHERE b.month = %s AND NOT EXISTS "
                       "(SELECT 1 FROM contributions_ledgerentry l WHERE l.bill_id = b.id)", [MONTH])
        deleted = cursor.rowcount
        cursor.execute("VACUUM (ANALYZE) contributions_bill")
        try:
            cursor.execute("CHECKPOINT")
        except Exception as exc:  # not a superuser: the runs are still comparable, only noisier
            print(f"  (no CHECKPOINT: {type(exc).__name__})")
    return deleted


def _checksum() -> tuple:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(CHECKSUM_SQL, [MONTH])
        return tuple(cursor.fetchone())


def _reference_sql() -> str:
    from reference.models import Discount

    ids = dict(Discount.objects.values_list("name", "pk"))
    return REFERENCE_SQL.format(transport_discount=int(ids["PP 50/2025 – transport"]),
                                general_discount=int(ids["PP 50/2025"]))


def _run_reference(sql: str) -> tuple[float, int]:
    from django.db import connection

    with connection.cursor() as cursor:  # autocommit: the statement is its own transaction, like one app batch
        start = time.perf_counter()
        cursor.execute(sql)
        elapsed = time.perf_counter() - start
        return elapsed, cursor.rowcount


def _run_app_child() -> dict:
    from django.db import connection

    env = {**os.environ, "DATABASE_URL": database_url(connection.settings_dict),
           "DJANGO_SETTINGS_MODULE": "config.settings.test", "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "bench.billing", "--child", MONTH.isoformat()], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=900, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"billing child failed ({proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _spot_check(sample: int = 300) -> tuple[int, int]:
    """Compares `sample` random bills of the month with tariff_quote (the Python pricing); returns (checked, bad)."""
    from django.db import connection

    from contributions.models import Bill
    from reference.tariffs import tariff_quote

    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM contributions_bill WHERE month = %s ORDER BY random() LIMIT %s", [MONTH, sample])
        ids = [row[0] for row in cursor.fetchall()]
    bad = 0
    bills = list(Bill.objects.filter(pk__in=ids).select_related("member__occupation", "discount"))
    for bill in bills:
        m = bill.member
        quote = tariff_quote(income_idr=m.income_base_idr, programs=m.programs, month=MONTH,
                             sector=m.occupation.sector, funding=m.funding_source)
        lines = {line.program: line for line in quote.lines}
        jht = lines.get("JHT")
        expected = (lines["JKK"].gross_idr, lines["JKK"].discount_idr, lines["JKM"].gross_idr,
                    lines["JKM"].discount_idr, jht.gross_idr if jht else 0, jht.discount_idr if jht else 0,
                    quote.total_idr, lines["JKK"].discount_name)
        got = (bill.jkk_gross_idr, bill.jkk_discount_idr, bill.jkm_gross_idr, bill.jkm_discount_idr,
               bill.jht_gross_idr, bill.jht_discount_idr, bill.total_idr, bill.discount.name if bill.discount else "")
        bad += expected != got
    return len(bills), bad


def scenario(report: Report) -> None:
    from django.db import connection

    from bench.dataset import ensure_billing_members
    from reference.duedates import due_date_for

    members = ensure_billing_members(env_int("BENCH_BILLING_MEMBERS", 1_000_000))
    runs = env_int("BENCH_BILLING_RUNS", 3)
    assert due_date_for(MONTH) == dt.date(2026, 12, 15), "the reference SQL's literal due date is stale"
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*), count(*) FILTER (WHERE m.has_jht), "
                       "count(*) FILTER (WHERE m.funding_source IN ('apbn', 'apbd')), "
                       "count(*) FILTER (WHERE o.sector = 'transport') "
                       "FROM enrollment_member m JOIN enrollment_occupation o ON o.id = m.occupation_id "
                       "WHERE m.status IN ('registered', 'active') AND m.billing_start <= %s", [MONTH])
        billable, jht, no_discount, transport = cursor.fetchone()
    print(f"billing {MONTH:%Y-%m}: {members:,} bench members, {billable:,} billable ({jht:,} with JHT, "
          f"{transport:,} in transport, {no_discount:,} funded by APBN/APBD: no discount); {runs} runs each",
          flush=True)

    reference_sql = _reference_sql()
    app_times, ref_times, app_sums, ref_sums, rss, batch_size = [], [], set(), set(), [], None
    for run in range(runs):
        _clear_month()
        seconds, created = _run_reference(reference_sql)
        ref_times.append(seconds)
        ref_sums.add(_checksum())
        print(f"  run {run + 1}: reference INSERT … SELECT {seconds:6.1f} s ({created:,} rows)", flush=True)
        _clear_month()
        child = _run_app_child()
        app_times.append(child["seconds"])
        rss.append(child["peak_kb"] / 1024)
        batch_size = child["batch_size"]
        app_sums.add(_checksum())
        print(f"  run {run + 1}: bill_generate_for_period {child['seconds']:6.1f} s ({child['created']:,} bills, "
              f"{child['batches']} batches of {batch_size:,}; peak RSS {child['peak_kb'] / 1024:.0f} MB, "
              f"{child['rss_before_kb'] / 1024:.0f} MB before the call; its ru_maxrss, "
              f"{child['ru_maxrss_kb'] / 1024:.0f} MB, is the bench process's, inherited across exec)", flush=True)

    reruns = [_run_app_child() for _ in range(runs)]
    rerun = {"seconds": median([r["seconds"] for r in reruns]), "created": max(r["created"] for r in reruns)}
    times = ", ".join(f"{r['seconds']:.2f}" for r in reruns)
    print(f"  rerun, nothing to create: {times} s ({rerun['created']} bills created)", flush=True)
    checked, bad = _spot_check()
    same = len(app_sums) == 1 and app_sums == ref_sums
    count, total, discount, discounted, _hash = next(iter(app_sums))
    print(f"  check: app rows == reference rows: {'yes' if same else 'NO'} (count {count:,}, SUM(total_idr) "
          f"{total:,}, discounts {discount:,} on {discounted:,} bills, checksum {_hash}); "
          f"spot check vs tariff_quote: {checked - bad}/{checked} equal", flush=True)
    if not same:
        print(f"    app checksums {sorted(app_sums)}\n    reference checksums {sorted(ref_sums)}")

    app, ref = median(app_times), median(ref_times)
    report.add(f"billing {count:,} bills {MONTH:%Y-%m} (median of {runs})", f"{app:.1f} s",
               f"{ref:.1f} s hand-written INSERT…SELECT", f"{app / ref:.2f}x", "<= 1.5x", app / ref <= 1.5)
    report.add(f"billing peak RSS (batch {batch_size:,})", f"{max(rss):.0f} MB", target="< 300 MB",
               ok=max(rss) < 300)
    report.add(f"billing rerun, nothing to create (median of {runs})",
               f"{rerun['seconds']:.2f} s ({rerun['created']} new)",
               target="< 3 s", ok=rerun["seconds"] < 3 and rerun["created"] == 0)
    report.add("billing rows app == reference", f"{'equal' if same else 'DIFFERENT'}: {count:,} rows, "
               f"SUM {total:,}", target="equal", ok=same and bad == 0, correctness=True)


def _child(month: str) -> None:
    import resource

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()
    from django.conf import settings

    from contributions.services.billing import bill_generate_for_period

    before = _status_kb("VmRSS")
    start = time.perf_counter()
    result = bill_generate_for_period(month=dt.date.fromisoformat(month))
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "created": result.created, "batches": result.batches,
                      "batch_size": settings.BILLING_BATCH_SIZE, "peak_kb": _status_kb("VmHWM"),
                      "rss_before_kb": before, "ru_maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))


def _status_kb(field: str) -> int:
    """VmHWM (peak) or VmRSS (now) of this process's own address space, in kB. Linux carries ru_maxrss over
    execve(), so in a child of the bench process it would report the bench process's peak, not the billing run's."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


if __name__ == "__main__" and sys.argv[1:2] == ["--child"]:
    _child(sys.argv[2])
