"""Scenario 4: a local government's spreadsheet, from upload to the per-row report.

Files come from bench/bulkfile.py (BOM, semicolons, about 9 % of rows with the errors such lists have, 1 % of them
workers who are already members). Each app run is a fresh child process (`python -m bench.bulkimport --child`)
that does what the upload page and the worker do: bulk_import_start (the file is stored, the check is queued; the
bench's settings run the task in the same process, as a worker would), bulk_import_validate over the whole file,
then writes the downloadable report. Its figure is the wall time of all three, and its peak RSS (VmHWM).

Reference: a plain COPY of the same file into an unlogged table of text columns on the same database (what loading
the rows costs with no checking at all). Sizes: 34,782 rows (the Bontang file; median of BENCH_BULK_RUNS runs,
target under 5 s) and BENCH_BULK_BIG rows (1,000,000; one run, target under 90 s and 300 MB). Set BENCH_BULK_BIG=0 to
skip the big file.
"""

from __future__ import annotations

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
SMALL = 34_782
EXISTING_MARKER = "bench-bulk-ex75"


def _reference_data() -> dict:
    from members.models import Occupation
    from reference.models import Region
    from reference.tariffs import income_bases

    villages = list(Region.objects.filter(level=4, code__startswith="64.74").order_by("code")
                    .values_list("code", flat=True))  # Bontang's villages
    occupations = list(Occupation.objects.filter(active=True).order_by("code").values_list("code", flat=True))
    return {"villages": villages, "occupations": occupations, "incomes": sorted(income_bases())}


def _existing_members(count: int = 400) -> list[tuple[str, dt.date, str]]:
    """Real members with known NIKs (district 647401, born 1975), so files can list people already registered."""
    from django.utils import timezone

    from bench.bulkfile import nik_for
    from core.nik import nik_blind_index, nik_encrypt
    from members.models import Member, Occupation

    people = [(nik_for("647401", dt.date(1975, 1, 1) + dt.timedelta(days=k), "L", 9000 + k % 999),
               dt.date(1975, 1, 1) + dt.timedelta(days=k), "L") for k in range(count)]
    if Member.objects.filter(consent_version=EXISTING_MARKER).count() < count:
        occupation = Occupation.objects.filter(active=True).order_by("pk").first()
        now = timezone.now()
        Member.objects.bulk_create([
            Member(kpj=f"51{k:09d}", nik_ciphertext=nik_encrypt(nik), nik_index=nik_blind_index(nik),
                   full_name=f"ANGGOTA LAMA {k}", birth_place="Bontang", birth_date=born, gender=gender,
                   phone=f"+62814{k:08d}", village_id="64.74.01.1001", address_line="Jl. Lama", occupation=occupation,
                   income_base_idr=1_000_000, consent_version=EXISTING_MARKER, consented_at=now, card_token=f"bb75-{k}",
                   billing_start=dt.date(2025, 1, 1))
            for k, (nik, born, gender) in enumerate(people)], ignore_conflicts=True)
    return people


def _rows_so_far() -> int:
    """Rows checked so far in this database; twice this is past every identity an earlier file used (at most 1 %
    of a file's lines are empty)."""
    from sponsors.models import BulkImportRow

    return BulkImportRow.objects.count()


def _copy_reference(path: Path) -> float:
    """Seconds for COPY of the file's rows into a fresh unlogged table of text columns."""
    from django.db import connection

    from bench.bulkfile import HEADER

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_bulk_copy")
        cursor.execute(f"CREATE UNLOGGED TABLE bench_bulk_copy ({', '.join(f'{c} text' for c in HEADER)})")
        start = time.perf_counter()
        with open(path, "rb") as source, cursor.cursor.copy(
                "COPY bench_bulk_copy FROM STDIN (FORMAT csv, DELIMITER ';', HEADER true, ENCODING 'UTF8')") as copy:
            source.read(3)  # the BOM
            while chunk := source.read(1 << 20):
                copy.write(chunk)
        seconds = time.perf_counter() - start
        cursor.execute("SELECT count(*) FROM bench_bulk_copy")
        rows = cursor.fetchone()[0]
        cursor.execute("DROP TABLE bench_bulk_copy")
    assert rows > 0
    return seconds


def _run_child(path: Path, commit: bool) -> dict:
    from django.db import connection

    media = tempfile.mkdtemp(prefix="bpu-bench-media-")
    env = {**os.environ, "DATABASE_URL": database_url(connection.settings_dict), "VAR_DIR": media,
           "DJANGO_SETTINGS_MODULE": "config.settings.test", "PYTHONPATH": str(ROOT)}
    try:
        proc = subprocess.run([sys.executable, "-m", "bench.bulkimport", "--child", str(path),
                               *(["--commit"] if commit else [])], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=1800, check=False)
    finally:
        subprocess.run(["rm", "-rf", media], check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"bulk child failed ({proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _child(path: str, commit: bool) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()
    from django.core.files import File
    from django.db.models import Count

    from bench.billing import _status_kb
    from core import tasks
    from core.models import User
    from members.models import Sponsor
    from sponsors.bulk import bulk_import_start, report_rows
    from sponsors.models import BulkImport

    # As in production, SMS written to the outbox are delivered by a worker elsewhere, not inside this job (the
    # bench settings would otherwise run every delivery sweep here, eagerly).
    tasks.notifications_deliver_fresh.apply_async = lambda *args, **kwargs: None
    user, _new = User.objects.get_or_create(username="bench-bontang", defaults={"phone": "+6281399999999"})
    sponsor, _new = Sponsor.objects.get_or_create(user=user, defaults={"name": "Pemkot Bontang (bench)",
                                                                        "kind": "government",
                                                                        "funding_source": "apbd"})
    start = time.perf_counter()
    with open(path, "rb") as handle:
        bulk = bulk_import_start(sponsor=sponsor, uploaded=File(handle, name="pekerja-bontang.csv"), actor=user)
    bulk = BulkImport.objects.get(pk=bulk.pk)  # the eager task has run on commit
    checked = time.perf_counter()
    report_lines = 0
    with open(os.devnull, "w", encoding="utf-8") as sink:
        import csv

        writer = csv.writer(sink)
        for line in report_rows(bulk):
            writer.writerow(line)
            report_lines += 1
    done = time.perf_counter()
    counts = dict(bulk.rows.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    result = {"seconds": done - start, "check_seconds": checked - start, "report_seconds": done - checked,
              "status": bulk.status, "rows": bulk.total_rows, "report_lines": report_lines, "counts": counts,
              "peak_kb": _status_kb("VmHWM")}
    if commit:
        result.update(_commit_and_pay(bulk, user))
    print(json.dumps(result))


def _commit_and_pay(bulk, user) -> dict:
    """The sponsor confirms (the registration job) and the bank pays the one invoice (the signed webhook's service):
    every accepted worker must end up active with the file's months paid, and the book must balance."""
    from django.utils import timezone

    from bench.billing import _status_kb
    from contributions.models import Bill, BillStatus
    from contributions.selectors import reconciliation
    from contributions.services.payments import payment_confirm
    from members.models import MemberStatus
    from sponsors.bulk import bulk_import_commit

    start = time.perf_counter()
    bulk = bulk_import_commit(import_id=bulk.pk, actor=user)
    committed = time.perf_counter()
    order = bulk.order
    payment_confirm(provider="simulator", reference=f"bench-bulk-{order.pk}", va_number=order.va_number,
                    amount_idr=order.amount_idr, channel="va", paid_at=timezone.now())
    paid = time.perf_counter()
    members = bulk.rows.filter(status="accepted").values("member_id")
    open_bills = Bill.objects.filter(member_id__in=members, status=BillStatus.OPEN).count()
    not_active = bulk.rows.filter(status="accepted").exclude(member__status=MemberStatus.ACTIVE).count()
    return {"commit_seconds": committed - start, "pay_seconds": paid - committed, "lines": order.lines.count(),
            "open_bills_after": open_bills, "not_active_after": not_active, "balanced": reconciliation().balanced,
            "peak_kb": _status_kb("VmHWM")}


def scenario(report: Report) -> None:
    from bench.bulkfile import write

    runs = env_int("BENCH_BULK_RUNS", 3)
    big = env_int("BENCH_BULK_BIG", 1_000_000)
    ref = _reference_data()
    existing = _existing_members()
    workdir = Path(tempfile.mkdtemp(prefix="bpu-bench-bulk-"))
    try:
        for size, n_runs, limit in ((SMALL, runs, 5.0), (big, 1, 90.0)):
            if not size:
                continue
            app, copy, peaks, commits, pays = [], [], [], [], []
            commit = size == SMALL
            for n in range(n_runs):
                # New people in every file: an earlier run registered the last file's workers.
                path = workdir / f"pekerja-{size}.csv"
                planted = write(path, size, existing=existing, phone_base=20_000_000, offset=2 * _rows_so_far(), **ref)
                if n == 0:
                    print(f"bulk import: {size:,} rows ({path.stat().st_size / 1e6:.1f} MB), planted {planted}",
                          flush=True)
                copy.append(_copy_reference(path))
                child = _run_child(path, commit)
                if commit:
                    commits.append(child["commit_seconds"])
                    pays.append(child["pay_seconds"])
                    print(f"  run {n + 1}: confirmation (registration job) {child['commit_seconds']:.1f} s for "
                          f"{child['lines']:,} workers; paying the invoice {child['pay_seconds']:.1f} s; after "
                          f"payment: {child['not_active_after']} not active, {child['open_bills_after']} bills open, "
                          f"ledger balanced {child['balanced']}", flush=True)
                    if child["not_active_after"] or child["open_bills_after"] or not child["balanced"] \
                            or child["lines"] != child["counts"].get("accepted"):
                        report.add(f"bulk import {size:,} rows: confirmed and paid", "NO", target="all active, paid",
                                   ok=False, correctness=True)
                app.append(child["seconds"])
                peaks.append(child["peak_kb"] / 1024)
                print(f"  run {n + 1}: upload to report {child['seconds']:.1f} s (check {child['check_seconds']:.1f} s,"
                      f" report {child['report_seconds']:.1f} s), peak {peaks[-1]:.0f} MB, {child['status']}, "
                      f"{child['rows']:,} rows: {child['counts']}; plain COPY {copy[-1]:.2f} s", flush=True)
                expected_rows = size - planted["empty"]
                if child["status"] != "validated" or child["rows"] != expected_rows \
                        or child["report_lines"] != expected_rows + 1 \
                        or child["counts"].get("existing", 0) != min(planted["existing"], len(existing)):
                    report.add(f"bulk import {size:,} rows: report complete",
                               f"NO ({child['status']}, {child['rows']:,} rows, {child['report_lines']:,} report "
                               f"lines, {child['counts'].get('existing', 0)} existing)", target="every row reported",
                               ok=False, correctness=True)
            label = f"bulk import {size:,} rows, upload to report" + (f" (median of {n_runs})" if n_runs > 1 else "")
            report.add(label, f"{median(app):.1f} s", f"plain COPY {median(copy):.2f} s",
                       f"{median(app) / median(copy):.0f}x", f"< {limit:.0f} s", median(app) < limit)
            report.add(f"bulk import {size:,} rows: worker peak RSS", f"{max(peaks):.0f} MB", target="< 300 MB",
                       ok=max(peaks) < 300)
            if commits:
                report.add(f"bulk confirmation {size:,} rows (registration job)", f"{median(commits):.1f} s")
                report.add(f"paying the bulk invoice ({size:,} rows' workers)", f"{median(pays):.1f} s")
    finally:
        subprocess.run(["rm", "-rf", str(workdir)], check=False)


if __name__ == "__main__" and sys.argv[1:2] == ["--child"]:
    _child(sys.argv[2], sys.argv[3:4] == ["--commit"])
