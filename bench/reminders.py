"""Reminder selection for the billing members (1,000,000 by default): half of December's bills due on the 15th
(due soon on the 13th), half due on the 5th (overdue by then), one member in ten in English, one in five on
WhatsApp, 20,000 of them paid for by 2,000 sponsors. Each run starts from no reminders and is timed in a child
process (its peak memory is its own); a rerun must create nothing. The reference is a plain count of the bills a
run must remind about, with the same rules written directly in SQL."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time

from bench.billing import ROOT
from bench.common import Report, database_url, env_int, median

MONTH = dt.date(2026, 12, 1)
NOW = dt.datetime(2026, 12, 13, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=7)))
DUE_SOON, OVERDUE = dt.date(2026, 12, 15), dt.date(2026, 12, 5)
SPONSORS, PER_SPONSOR = 2_000, 10
SPONSOR_MARKER = "bench-rem-sponsor"


def _prepare(cursor) -> None:
    """December's bills exist for every billing member, with the mixed due dates and preferences."""
    from contributions.services.billing import bill_generate_for_period

    created = bill_generate_for_period(month=MONTH).created
    if created:
        print(f"  created {created:,} December bills", flush=True)
    due = "CASE WHEN member_id %% 2 = 0 THEN %s ELSE %s END"
    cursor.execute(f"UPDATE contributions_bill SET due_date = {due} WHERE month = %s AND status = 'open' "  # noqa: S608
                   f"AND due_date <> {due}", [OVERDUE, DUE_SOON, MONTH, OVERDUE, DUE_SOON])
    language, channel = ("CASE WHEN id %% 10 = 0 THEN 'en' ELSE 'id' END",
                         "CASE WHEN id %% 5 = 1 THEN 'whatsapp' ELSE 'sms' END")
    cursor.execute(f"UPDATE enrollment_member SET language = {language}, notify_channel = {channel} "  # noqa: S608
                   f"WHERE consent_version = 'bench-1m' AND (language <> {language} OR notify_channel <> {channel})",
                   [])
    cursor.execute("SELECT count(*) FROM enrollment_sponsor s JOIN core_user u ON u.id = s.user_id "
                   "WHERE u.username LIKE %s", [SPONSOR_MARKER + "%"])
    if cursor.fetchone()[0] < SPONSORS:
        cursor.execute(
            "INSERT INTO core_user (password, is_superuser, username, first_name, last_name, email, is_staff, "
            "is_active, date_joined, role, language) SELECT '!', false, %s || g, '', '', "
            "'sponsor' || g || '@example.com', false, true, now(), 'sponsor', 'id' FROM generate_series(1, %s) g "
            "ON CONFLICT DO NOTHING", [SPONSOR_MARKER, SPONSORS])
        cursor.execute(
            "INSERT INTO enrollment_sponsor (user_id, kind, name, funding_source, notify_channel, "
            "reminders_opt_out, created_at) SELECT u.id, 'citizen', 'Penyantun ' || u.id, 'donor', 'email', false, "
            "now() FROM core_user u WHERE u.username LIKE %s AND NOT EXISTS "
            "(SELECT 1 FROM enrollment_sponsor s WHERE s.user_id = u.id)", [SPONSOR_MARKER + "%"])
        cursor.execute(
            "INSERT INTO enrollment_sponsorship (sponsor_id, member_id, relationship, created_at, confirmed_at) "
            "SELECT s.id, m.id, 'household_helper', now(), now() FROM (SELECT s.id, row_number() OVER (ORDER BY s.id) "
            "AS n FROM enrollment_sponsor s JOIN core_user u ON u.id = s.user_id WHERE u.username LIKE %s) s "
            "JOIN (SELECT id, row_number() OVER (ORDER BY id) AS n FROM enrollment_member "
            "WHERE consent_version = 'bench-1m' AND id %% 50 = 7 LIMIT %s) m ON (m.n - 1) / %s + 1 = s.n",
            [SPONSOR_MARKER + "%", SPONSORS * PER_SPONSOR, PER_SPONSOR])
    # Fresh statistics, as autovacuum would have them after such changes: with the sponsorships unanalysed the
    # planner probes them through the (sponsor, member) index, ten times the cost of the whole run.
    for table in ("contributions_bill", "enrollment_member", "enrollment_sponsorship", "enrollment_sponsor",
                  "contributions_debitmandate", "contributions_debitattempt"):
        cursor.execute(f"VACUUM (ANALYZE) {table}")


def _expected(cursor) -> tuple[int, int, int]:
    """Bills a run must remind about (member audience, sponsor audience) and the sponsors to write to."""
    cursor.execute(
        "SELECT count(*) FILTER (WHERE sp.sponsor_id IS NULL), count(*) FILTER (WHERE sp.sponsor_id IS NOT NULL), "
        "count(DISTINCT sp.sponsor_id) FROM contributions_bill b JOIN enrollment_member m ON m.id = b.member_id "
        "LEFT JOIN enrollment_sponsorship sp ON sp.member_id = m.id AND sp.confirmed_at IS NOT NULL "
        "AND sp.ended_at IS NULL WHERE b.status = 'open' AND m.status IN ('registered', 'active') "
        "AND NOT m.reminders_opt_out AND b.due_date IN (%s, %s)", [DUE_SOON, OVERDUE])
    return cursor.fetchone()


def _clear(cursor) -> None:
    cursor.execute("DELETE FROM contributions_reminder")
    cursor.execute("DELETE FROM core_outboxmessage WHERE purpose LIKE 'reminder.%%'", [])
    cursor.execute("VACUUM (ANALYZE) contributions_reminder")
    cursor.execute("VACUUM (ANALYZE) core_outboxmessage")


def _run_child() -> dict:
    from django.db import connection

    env = {**os.environ, "DATABASE_URL": database_url(connection.settings_dict),
           "DJANGO_SETTINGS_MODULE": "config.settings.test", "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "bench.reminders", "--child"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=900, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"reminders child failed ({proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def scenario(report: Report) -> None:
    from django.db import connection

    from bench.dataset import ensure_billing_members

    members = ensure_billing_members(env_int("BENCH_BILLING_MEMBERS", 1_000_000))
    runs = env_int("BENCH_REMINDER_RUNS", 3)
    with connection.cursor() as cursor:
        _prepare(cursor)
        to_members, to_sponsors, sponsors = _expected(cursor)
    print(f"reminders on {NOW:%Y-%m-%d %H:%M} WIB: {members:,} members; {to_members:,} bills to remind members of, "
          f"{to_sponsors:,} through {sponsors:,} sponsors; {runs} runs", flush=True)
    times, rss, results = [], [], []
    try:
        for run in range(runs):
            with connection.cursor() as cursor:
                _clear(cursor)
            child = _run_child()
            times.append(child["seconds"])
            rss.append(child["peak_kb"] / 1024)
            results.append(child)
            print(f"  run {run + 1}: {child['seconds']:.1f} s, {child['handled']:,} messages, "
                  f"{child['reminders']:,} reminders ({child['sponsor_messages']:,} sponsor messages); "
                  f"peak RSS {child['peak_kb'] / 1024:.0f} MB", flush=True)
        rerun = _run_child()
        print(f"  rerun: {rerun['seconds']:.1f} s, {rerun['handled']} new messages", flush=True)
    finally:
        with connection.cursor() as cursor:
            _clear(cursor)
            cursor.execute("UPDATE contributions_bill SET due_date = %s WHERE month = %s", [DUE_SOON, MONTH])
    last = results[-1]
    correct = all(r["reminders"] == to_members + to_sponsors and r["handled"] == to_members + sponsors
                  and r["sponsor_messages"] == sponsors for r in results) and rerun["handled"] == 0
    seconds = median(times)
    report.add(f"reminders for {members:,} members (median of {runs})", f"{seconds:.1f} s "
               f"({last['handled']:,} messages)", target="< 30 s", ok=seconds < 30)
    report.add("reminders peak RSS", f"{max(rss):.0f} MB", target="< 300 MB", ok=max(rss) < 300)
    report.add("reminders rerun, nothing new", f"{rerun['seconds']:.1f} s ({rerun['handled']} new)", ok=rerun[
        "handled"] == 0)
    report.add("reminders == expected bills, once each", f"{'equal' if correct else 'DIFFERENT'}: "
               f"{last['reminders']:,} reminders", target=f"{to_members + to_sponsors:,}", ok=correct,
               correctness=True)


def _child() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()
    from django.db import connection

    from bench.billing import _status_kb
    from config.celery import app

    app.conf.task_always_eager = False  # the job queues one delivery sweep, as in production; no worker here
    from contributions.services.reminders import reminders_send

    start = time.perf_counter()
    counts = reminders_send(now=NOW)
    seconds = time.perf_counter() - start
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*), count(DISTINCT message_id) FILTER (WHERE audience = 'sponsor') "
                       "FROM contributions_reminder")
        reminders, sponsor_messages = cursor.fetchone()
    print(json.dumps({"seconds": seconds, "handled": counts["handled"], "reminders": reminders,
                      "sponsor_messages": sponsor_messages, "peak_kb": _status_kb("VmHWM")}))


if __name__ == "__main__" and sys.argv[1:2] == ["--child"]:
    _child()
