"""Scenario "dashboards" (only when named: BENCH_SCENARIOS=dashboards): the ecosystem dashboards on the billing
members (BENCH_BILLING_MEMBERS, 1,000,000) with twelve months of bills each (2025-12 … 2026-11: 12,000,000 bills).

Data (set-based, kept for later runs; each step checks what is already there, so a rerun only reads):
- the billing members (bench.dataset) get an ecosystem (30 % desa, 20 % pasar, 35 % ecommerce_umkm, 15 % pekerja
  rentan; agent-channel members are in pasar and belong to one of BENCH_DASHBOARD_AGENTS agents of their regency) and
  mixed statuses: 5 % lapsed (lapse month 2026-03 … 2026-11, after three open months), 0.5 % closed, the rest
  active or registered as created;
- one bill per member and month 2025-12 … 2026-11, one INSERT … SELECT per month, priced like the billing reference
  (JKK 1 %, JKM Rp 6,800, JHT 2 %, PP 50/2025 in its months unless APBN/APBD-funded); about 78 % paid (paid_at spread
  over the covered month, never after the load), the rest open; a lapsed or closed member's bills from the lapse or
  close month on are void. Lapsed members get no bill for 2026-11 that is open, so the reminders scenario (its
  "lapsed" notices look at 2026-11) is unchanged;
- an audited status change (core_auditevent, as member_status_transition writes it) per lapsed or closed member, on
  the 1st of the month (the lapse job's day);
- BENCH_DASHBOARD_CLAIMS (3,000) paid claims with their payouts (one bench branch and claimant), paid in the months.
BENCH_DASHBOARD_MEMBERS (default BENCH_BILLING_MEMBERS) sizes it; a smaller number on a fresh database is quick for
debugging (all billing members present are used). The first full load took about 25 minutes on 2 cores busy with
tests (members 4, the member UPDATE 5, bills about 1 a month); a rerun checks it in a few seconds. Bills for the
months before a member's billing_start exist too (the rollups do not read billing_start); the billing scenario's
2026-12 bills, when it has run, come on top.

Measured in the same run:
- rollups_rebuild() (a full rebuild, one transaction), BENCH_DASHBOARD_REBUILDS (3) runs: each run and the median,
  rows written per rollup table and the slowest of its statements (target table <- source table); the rollup tables
  are vacuumed after each run (not timed: autovacuum's job); then the national rollup rows are checked against the
  same figures counted from the source tables (members by status, one month's bills, lapses);
- the raw GROUP BY the rollups replace, 5 runs each: members by province × ecosystem × channel × status, and one
  month's payment rate by province × ecosystem (bills joined with members);
- each dashboard page in PAGES through the Django test client signed in as an admin (with TOTP): 2 warm-ups, then
  BENCH_DASHBOARD_RENDERS (20) renders, median and p95, and the SQL queries of one render; the ratio is the raw
  members GROUP BY median over the page median (how many times faster the page is than counting).
Targets (issue 7): every page < 200 ms median, the rebuild < 2 minutes.
"""

from __future__ import annotations

import datetime as dt
import shutil
import statistics
import time
from zoneinfo import ZoneInfo

from bench.common import Report, env_int, median, timed
from bench.dataset import BILLING_MARKER, _r

WIB = ZoneInfo("Asia/Jakarta")
FIRST_MONTH = dt.date(2025, 12, 1)
MONTHS = 12
RATE_MONTH = dt.date(2026, 10, 1)  # the month of the raw payment-rate GROUP BY
ADMIN = "bench-dash-admin"
AGENT_PREFIX = "bench-dash-agent"
CLAIM_PREFIX = "BD"  # claim numbers BD0000001…; payouts' transfer references BENCH-DASH-…
PAGE_TARGET_MS = 200
REBUILD_TARGET_S = 120

# The pages measured: label, URL (the national page, a province, a regency/city, an ecosystem filter, the exports).
PAGES = (
    ("national", "/staf/dasbor/"),
    ("province 16", "/staf/dasbor/16/"),
    ("regency 16.71", "/staf/dasbor/16.71/"),
    ("national, ecosystem pasar", "/staf/dasbor/?ecosystem=pasar"),
    ("national CSV", "/staf/dasbor/ekspor.csv"),
    ("national XLSX", "/staf/dasbor/ekspor.xlsx"),
)

# What the rollups replace: counting the members table, and one month's payment rate over bills × members.
RAW_MEMBERS_SQL = ("SELECT substr(village_id, 1, 2), ecosystem_id, channel, status, count(*) FROM enrollment_member "
                   "GROUP BY 1, 2, 3, 4")
RAW_BILLS_SQL = ("SELECT substr(m.village_id, 1, 2), m.ecosystem_id, count(*), "
                 "count(*) FILTER (WHERE b.status = 'paid'), sum(b.total_idr), "
                 "sum(b.total_idr) FILTER (WHERE b.status = 'paid') "
                 "FROM contributions_bill b JOIN enrollment_member m ON m.id = b.member_id "
                 "WHERE b.month = %s AND b.status <> 'void' GROUP BY 1, 2")

# Lapse month 2026-03 … 2026-11 (three open months before it fit in the bill months), close month 2026-01 … 2026-11.
_LAPSE_MONTH = f"(DATE '2026-03-01' + floor({_r(13, 'm.id')} * 9)::int * INTERVAL '1 month')::date"
_CLOSE_MONTH = f"(DATE '2026-01-01' + floor({_r(13, 'm.id')} * 11)::int * INTERVAL '1 month')::date"

# Ecosystem and status of a billing member, from its id (deterministic: a rerun finds nothing to change). Agent
# channel members are in pasar; the other shares are scaled so the totals are 30/20/35/15 %.
MEMBERS_SQL = f"""
UPDATE enrollment_member AS u SET ecosystem_id = t.eco, status = t.status, updated_at = now()
FROM (SELECT m.id,
             CASE WHEN m.channel = 'agent' THEN 'pasar'
                  WHEN {_r(11, 'm.id')} < 0.30 / 0.95 THEN 'desa'
                  WHEN {_r(11, 'm.id')} < 0.45 / 0.95 THEN 'pasar'
                  WHEN {_r(11, 'm.id')} < 0.80 / 0.95 THEN 'ecommerce_umkm'
                  ELSE 'pekerja_rentan' END AS eco,
             CASE WHEN {_r(12, 'm.id')} < 0.005 THEN 'closed'
                  WHEN {_r(12, 'm.id')} < 0.055 THEN 'lapsed'
                  WHEN m.status IN ('lapsed', 'closed') THEN 'active'
                  ELSE m.status END AS status
      FROM enrollment_member m WHERE m.consent_version = %(marker)s) AS t
WHERE u.id = t.id AND (u.ecosystem_id, u.status) IS DISTINCT FROM (t.eco, t.status)
"""  # noqa: S608 - constants of this module

AGENTS_SQL = """
UPDATE enrollment_member AS m SET agent_id = a.id
FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM enrollment_agent WHERE market LIKE %(prefix)s) AS a
WHERE m.consent_version = %(marker)s AND m.channel = 'agent'
  AND a.n = 1 + mod(abs(hashtext(substr(m.village_id, 1, 5))) + (m.id %% 2), %(agents)s)
  AND m.agent_id IS DISTINCT FROM a.id
"""  # noqa: S608

BILLS_SQL = f"""
INSERT INTO contributions_bill (member_id, month, due_date, income_base_idr, jkk_gross_idr, jkk_discount_idr,
                                jkm_gross_idr, jkm_discount_idr, jht_gross_idr, jht_discount_idr, total_idr,
                                discount_id, status, paid_at, created_at)
SELECT id, %(month)s, %(due)s, income,
       jkk, CASE WHEN cut THEN (jkk + 1) / 2 ELSE 0 END,
       6800, CASE WHEN cut THEN 3400 ELSE 0 END,
       jht, 0,
       jkk - CASE WHEN cut THEN (jkk + 1) / 2 ELSE 0 END + 6800 - CASE WHEN cut THEN 3400 ELSE 0 END + jht,
       CASE WHEN NOT cut THEN NULL WHEN transport THEN %(transport_discount)s ELSE %(general_discount)s END,
       status,
       CASE WHEN status = 'paid' THEN %(start)s + paid_r * %(span)s * INTERVAL '1 second' END,
       %(created)s
FROM (SELECT m.id, m.income_base_idr AS income,
             (m.income_base_idr + 50) / 100 AS jkk,
             CASE WHEN m.has_jht THEN (m.income_base_idr + 25) / 50 ELSE 0 END AS jht,
             o.sector = 'transport' AS transport,
             m.funding_source NOT IN ('apbn', 'apbd')
                 AND CASE WHEN o.sector = 'transport' THEN %(transport_cut)s ELSE %(general_cut)s END AS cut,
             CASE WHEN m.status = 'lapsed' AND %(month)s >= {_LAPSE_MONTH} THEN 'void'
                  WHEN m.status = 'lapsed' AND %(month)s >= {_LAPSE_MONTH} - INTERVAL '3 months' THEN 'open'
                  WHEN m.status = 'closed' AND %(month)s >= {_CLOSE_MONTH} THEN 'void'
                  WHEN (hashint8extended(m.id, %(seed)s) & 2147483647) < 0.78 * 2147483648.0 THEN 'paid'
                  ELSE 'open' END AS status,
             (hashint8extended(m.id, %(seed)s + 1000) & 2147483647)::float8 / 2147483648.0 AS paid_r
      FROM enrollment_member m JOIN enrollment_occupation o ON o.id = m.occupation_id
      WHERE m.consent_version = %(marker)s) AS s
ORDER BY id
"""  # noqa: S608 - ON CONFLICT is added when the month already has bills (a plain INSERT is faster)

# One audited status change per lapsed or closed member, on the 1st of its month between 00:00 and 06:00 WIB.
EVENTS_SQL = f"""
INSERT INTO core_auditevent (created_at, actor_id, action, object_type, object_id, changes, reason, ip_address)
SELECT (CASE WHEN m.status = 'lapsed' THEN {_LAPSE_MONTH} ELSE {_CLOSE_MONTH} END)::timestamp AT TIME ZONE
           'Asia/Jakarta' + floor({_r(14, 'm.id')} * 21600) * INTERVAL '1 second',
       NULL, 'member.status_changed', 'enrollment.member', m.id::text,
       jsonb_build_object('status', jsonb_build_array('active', m.status)),
       CASE WHEN m.status = 'lapsed'
            THEN '3 consecutive unpaid months up to ' || to_char({_LAPSE_MONTH} - INTERVAL '1 month', 'YYYY-MM')
            ELSE 'closed at the member''s request' END,
       NULL
FROM enrollment_member m
WHERE m.consent_version = %(marker)s AND m.status IN ('lapsed', 'closed')
  AND NOT EXISTS (SELECT 1 FROM core_auditevent e WHERE e.object_type = 'enrollment.member'
                  AND e.object_id = m.id::text AND e.action = 'member.status_changed')
ORDER BY 1
"""  # noqa: S608

# Paid claims (medical, incapacity, old age: no death claims, so no one-per-member constraint to mind) of members
# picked by id, paid on a day of the bill months, with their payouts.
CLAIMS_SQL = f"""
INSERT INTO claims_claim (number, claim_type, member_id, claimant_id, branch_id, status, status_changed_at,
    heir_name, heir_nik_ciphertext, heir_relationship, heir_phone, event_date, event_place, event_description,
    reported_late, details, bank_name, account_holder, account_number_ciphertext, account_number_masked,
    rejection_reason, benefit_idr, refund_idr, breakdown, created_at, updated_at)
SELECT %(prefix)s || lpad(g.n::text, 7, '0'),
       (ARRAY['jkk_medical', 'jkk_incapacity', 'jht_age'])[(1 + g.n %% 3)::int],
       g.member_id, %(claimant)s, %(branch)s, 'paid', g.paid_at,
       '', '', '', '', (g.paid_at - INTERVAL '20 days')::date, 'Bandung', 'bench', false, '{{}}'::jsonb,
       'BRI', 'PESERTA BENCH', '', '•••• ' || lpad((g.n %% 10000)::text, 4, '0'), '',
       g.amount, 0, '{{}}'::jsonb, g.paid_at - INTERVAL '14 days', g.paid_at
FROM (SELECT n, member_id, paid_at, 500000 + (n * 7919) %% 20000000 AS amount
      FROM (SELECT row_number() OVER (ORDER BY m.id) AS n, m.id AS member_id,
                   %(first)s::timestamptz + {_r(15, 'm.id')} * %(span)s * INTERVAL '1 second' AS paid_at
            FROM enrollment_member m
            WHERE m.consent_version = %(marker)s AND m.status = 'active' AND m.id %% 97 = 13
            ORDER BY m.id LIMIT %(claims)s) AS p) AS g
ON CONFLICT (number) DO NOTHING
"""  # noqa: S608

PAYOUTS_SQL = """
INSERT INTO claims_claimpayout (claim_id, amount_idr, bank_name, account_holder, account_number_masked,
                                transfer_reference, paid_at, recorded_by_id, created_at)
SELECT c.id, c.benefit_idr, c.bank_name, c.account_holder, c.account_number_masked, 'BENCH-DASH-' || c.number,
       c.status_changed_at, %(claimant)s, c.status_changed_at
FROM claims_claim c WHERE c.number LIKE %(like)s AND NOT EXISTS (SELECT 1 FROM claims_claimpayout p
                                                                WHERE p.claim_id = c.id)
"""


def _month(i: int) -> dt.date:
    from reference.duedates import add_months

    return add_months(FIRST_MONTH, i)


def _month_start(month: dt.date) -> dt.datetime:
    return dt.datetime(month.year, month.month, 1, tzinfo=WIB)


def _disk() -> str:
    free = shutil.disk_usage("/").free / 1e9
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        size = cursor.fetchone()[0]
    return f"{free:.0f} GB free on /, database {size}"


def _members_step(cursor, agents: int) -> int:
    """Ecosystems, statuses and agents of the billing members; returns the rows changed."""
    cursor.execute(MEMBERS_SQL, {"marker": BILLING_MARKER})
    changed = cursor.rowcount
    cursor.execute("SELECT count(*) FROM enrollment_agent WHERE market LIKE %s", [AGENT_PREFIX + "%"])
    if cursor.fetchone()[0] < agents:
        cursor.execute("INSERT INTO enrollment_agentbody (name, kind) VALUES ('Koperasi Bench Dasbor', 'cooperative') "
                       "ON CONFLICT (name) DO NOTHING")
        cursor.execute(
            "INSERT INTO core_user (password, is_superuser, username, first_name, last_name, email, is_staff, "
            "is_active, date_joined, role, language) SELECT '!', false, %s || '-' || g, 'Agen', 'Bench ' || g, '', "
            "false, true, now(), 'agent', 'id' FROM generate_series(1, %s) g ON CONFLICT DO NOTHING",
            [AGENT_PREFIX, agents])
        cursor.execute(
            "INSERT INTO enrollment_agent (user_id, body_id, status, market, village_id, created_at) "
            "SELECT u.id, b.id, 'active', %s || ' ' || u.username, NULL, now() FROM core_user u "
            "JOIN enrollment_agentbody b ON b.name = 'Koperasi Bench Dasbor' WHERE u.username LIKE %s "
            "AND NOT EXISTS (SELECT 1 FROM enrollment_agent a WHERE a.user_id = u.id)",
            [AGENT_PREFIX, AGENT_PREFIX + "-%"])
    cursor.execute("SELECT count(*) FROM enrollment_agent WHERE market LIKE %s", [AGENT_PREFIX + "%"])
    have = cursor.fetchone()[0]
    cursor.execute(AGENTS_SQL, {"marker": BILLING_MARKER, "prefix": AGENT_PREFIX + "%", "agents": have})
    return changed + cursor.rowcount


def _bills_step(cursor, members: int) -> int:
    """The twelve months' bills, a statement per month (each all or nothing); returns the bills created."""
    from django.utils import timezone

    from reference.duedates import due_date_for
    from reference.models import Discount

    discounts = {d.name: d for d in Discount.objects.filter(name__in=("PP 50/2025 – transport", "PP 50/2025"))}
    transport, general = discounts["PP 50/2025 – transport"], discounts["PP 50/2025"]
    now = timezone.now()
    created = 0
    for i in range(MONTHS):
        month = _month(i)
        cursor.execute("SELECT count(*) FROM contributions_bill WHERE month = %s", [month])
        have = cursor.fetchone()[0]
        if have >= members:
            continue
        start = _month_start(month)
        end = _month_start(_month(i + 1))
        span = max((min(end, now) - start).total_seconds() - 1, 1)
        began = time.perf_counter()
        cursor.execute(BILLS_SQL + (" ON CONFLICT (member_id, month) DO NOTHING" if have else ""), {
            "month": month, "due": due_date_for(month), "marker": BILLING_MARKER, "seed": 100 + i,
            "transport_cut": transport.first_month <= month <= transport.last_month,
            "general_cut": general.first_month <= month <= general.last_month,
            "transport_discount": transport.pk, "general_discount": general.pk,
            "start": start, "span": span, "created": start + dt.timedelta(hours=1),
        })
        created += cursor.rowcount
        print(f"    bills {month:%Y-%m}: {cursor.rowcount:,} in {time.perf_counter() - began:.1f} s", flush=True)
    return created


def _claims_step(cursor, claims: int) -> int:
    from bench.dataset import bench_payer
    from reference.models import Branch

    if claims <= 0:
        return 0
    cursor.execute("SELECT count(*) FROM claims_claimpayout WHERE transfer_reference LIKE %s", ["BENCH-DASH-%"])
    if cursor.fetchone()[0] >= claims:
        return 0
    branch = Branch.objects.filter(is_default=True).first() or Branch.objects.get_or_create(
        code="BENCHD", defaults={"name": "Cabang Bench Dasbor"})[0]
    claimant = bench_payer()
    first = _month_start(FIRST_MONTH)
    span = (_month_start(_month(MONTHS - 1)) + dt.timedelta(days=20) - first).total_seconds()
    cursor.execute(CLAIMS_SQL, {"prefix": CLAIM_PREFIX, "claimant": claimant.pk, "branch": branch.pk,
                                "first": first, "span": span, "marker": BILLING_MARKER, "claims": claims})
    cursor.execute(PAYOUTS_SQL, {"claimant": claimant.pk, "like": CLAIM_PREFIX + "%"})
    return cursor.rowcount


def ensure_dashboard_data(members_target: int) -> dict:
    """The scenario's data on top of the billing members; returns counts for the summary line."""
    from django.db import connection

    from bench.dataset import ensure_billing_members

    start = time.perf_counter()
    members = ensure_billing_members(members_target)
    with connection.cursor() as cursor:  # autocommit: each statement is its own transaction
        t = time.perf_counter()
        changed = _members_step(cursor, env_int("BENCH_DASHBOARD_AGENTS", 1000))
        if changed:
            print(f"    members: ecosystems, statuses and agents on {changed:,} rows in "
                  f"{time.perf_counter() - t:.1f} s", flush=True)
            # Most rows were rewritten at once (not what a year of status changes does): compact the table, or the
            # raw GROUP BY the pages are compared with would scan the dead half as well.
            cursor.execute("VACUUM (FULL, ANALYZE) enrollment_member" if changed > members // 10
                           else "VACUUM (ANALYZE) enrollment_member")
        created = _bills_step(cursor, members)
        t = time.perf_counter()
        cursor.execute(EVENTS_SQL, {"marker": BILLING_MARKER})
        events = cursor.rowcount
        payouts = _claims_step(cursor, env_int("BENCH_DASHBOARD_CLAIMS", 3000))
        if events or payouts:
            print(f"    {events:,} status-change events, {payouts:,} claim payouts in {time.perf_counter() - t:.1f} s",
                  flush=True)
        if created or changed or events or payouts:
            t = time.perf_counter()
            for table in ("contributions_bill", "enrollment_member", "core_auditevent", "claims_claim",
                          "claims_claimpayout", "enrollment_agent", "core_user"):
                cursor.execute(f"VACUUM (ANALYZE) {table}")
            print(f"    VACUUM (ANALYZE) in {time.perf_counter() - t:.1f} s", flush=True)
        cursor.execute(
            "SELECT count(*), count(*) FILTER (WHERE status = 'lapsed'), count(*) FILTER (WHERE status = 'closed'), "
            "count(*) FILTER (WHERE agent_id IS NOT NULL) FROM enrollment_member")
        total, lapsed, closed, with_agent = cursor.fetchone()
        cursor.execute("SELECT ecosystem_id, count(*) FROM enrollment_member GROUP BY 1 ORDER BY 1")
        ecosystems = cursor.fetchall()
        cursor.execute("SELECT count(*), count(*) FILTER (WHERE status = 'paid'), count(*) FILTER (WHERE status = "
                       "'void') FROM contributions_bill")
        bills, paid, void = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM core_auditevent WHERE action = 'member.status_changed' "
                       "AND changes -> 'status' ->> 1 = 'lapsed'")
        lapse_events = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM claims_claimpayout")
        all_payouts = cursor.fetchone()[0]
    seconds = time.perf_counter() - start
    shares = ", ".join(f"{code} {n / total:.0%}" for code, n in ecosystems)
    print(f"  data: {total:,} members ({shares}; {lapsed:,} lapsed, {closed:,} closed, {with_agent:,} with an agent), "
          f"{bills:,} bills ({paid / bills:.0%} paid, {void:,} void), {lapse_events:,} lapse events, "
          f"{all_payouts:,} claim payouts; {created:,} bills created in this run; data step "
          f"{seconds:.0f} s", flush=True)
    return {"members": total, "bills": bills, "seconds": seconds, "created": created}


def _rollup_counts() -> dict[str, int]:
    from ecosystems.models import BillMonth, FlowDay, FlowMonth, Leader, Snapshot

    return {m.__name__: m.objects.count() for m in (FlowDay, FlowMonth, BillMonth, Snapshot, Leader)}


class _StatementTimes:
    """Wraps the rollups' statement runner: seconds per INSERT … SELECT, named by its target <- the tables it reads."""

    def __init__(self, execute):
        self.execute, self.times = execute, {}

    def __call__(self, sql: str, params=()):
        import re

        target = re.search(r'INSERT INTO "?(\w+)"?', sql)
        sources = dict.fromkeys(re.findall(r'(?:FROM|JOIN) "?(\w+)"?', sql[target.end():] if target else sql))
        name = re.sub(r"\b(ecosystems|contributions|enrollment|core|claims)_", "",
                      f"{target.group(1) if target else '?'} <- {'+'.join(sources) or '?'}")
        start = time.perf_counter()
        try:
            return self.execute(sql, params)
        finally:
            self.times[name] = self.times.get(name, 0.0) + time.perf_counter() - start


def _vacuum_rollups() -> None:
    from django.db import connection

    from ecosystems.models import BillMonth, FlowDay, FlowMonth, Leader, RollupState, Snapshot

    with connection.cursor() as cursor:
        for model in (FlowDay, FlowMonth, BillMonth, Snapshot, Leader, RollupState):
            cursor.execute(f"VACUUM (ANALYZE) {model._meta.db_table}")


def _rollups_match(snapshot_day: dt.date) -> tuple[bool, str]:
    """The national rollup rows against the same figures counted from the source tables."""
    from django.db import connection

    checks = (
        ("members by status",
         "SELECT sum(registered), sum(active), sum(lapsed), sum(closed) FROM ecosystems_snapshot "
         "WHERE level = 0 AND day = %s", [snapshot_day],
         "SELECT count(*) FILTER (WHERE status = 'registered'), count(*) FILTER (WHERE status = 'active'), "
         "count(*) FILTER (WHERE status = 'lapsed'), count(*) FILTER (WHERE status = 'closed') "
         "FROM enrollment_member", []),
        (f"bills {RATE_MONTH:%Y-%m}",
         "SELECT sum(billed), sum(billed_idr), sum(paid), sum(paid_idr) FROM ecosystems_billmonth "
         "WHERE level = 0 AND month = %s", [RATE_MONTH],
         "SELECT count(*), sum(total_idr), count(*) FILTER (WHERE status = 'paid'), "
         "sum(total_idr) FILTER (WHERE status = 'paid') FROM contributions_bill WHERE month = %s "
         "AND status <> 'void'", [RATE_MONTH]),
        ("lapses",
         "SELECT sum(lapses) FROM ecosystems_flowmonth WHERE level = 0", [],
         "SELECT count(*) FROM core_auditevent WHERE action = 'member.status_changed' "
         "AND object_type = 'enrollment.member' AND changes -> 'status' ->> 1 = 'lapsed'", []),
    )
    bad = []
    with connection.cursor() as cursor:
        for name, rollup_sql, rollup_params, raw_sql, raw_params in checks:
            cursor.execute(rollup_sql, rollup_params)
            rolled = tuple(int(v or 0) for v in cursor.fetchone())
            cursor.execute(raw_sql, raw_params)
            counted = tuple(int(v or 0) for v in cursor.fetchone())
            if rolled != counted:
                bad.append(f"{name}: rollups {rolled} != counted {counted}")
    return not bad, "; ".join(bad) or "members by status, one month's bills, lapses: equal"


def _raw(sql: str, params, runs: int) -> tuple[float, list[float], int]:
    from django.db import connection

    samples, rows = [], 0
    with connection.cursor() as cursor:
        for _ in range(runs):
            start = time.perf_counter()
            cursor.execute(sql, params)
            rows = len(cursor.fetchall())
            samples.append((time.perf_counter() - start) * 1000)
    return median(samples), samples, rows


def _admin_client():
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django.test import Client

    from core.models import Role, User

    user, _created = User.objects.get_or_create(username=ADMIN, defaults={"role": Role.ADMIN})
    if user.role != Role.ADMIN:
        User.objects.filter(pk=user.pk).update(role=Role.ADMIN)
        user.refresh_from_db()
    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, generate_totp_secret())  # staff pages need TOTP set up (StaffMfaRequiredMiddleware)
    client = Client()
    client.force_login(user)
    return client


def _fetch(client, url: str) -> tuple[int, int, str]:
    """GET with the whole body produced (exports may stream); status, body bytes, content type."""
    response = client.get(url)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response.status_code, len(body), response.get("Content-Type", "")


def scenario(report: Report) -> None:
    from unittest import mock

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from ecosystems.services import rollups
    from ecosystems.services.rollups import runs, sql

    target = env_int("BENCH_DASHBOARD_MEMBERS", env_int("BENCH_BILLING_MEMBERS", 1_000_000))
    rebuilds = env_int("BENCH_DASHBOARD_REBUILDS", 3)
    renders = env_int("BENCH_DASHBOARD_RENDERS", 20)
    raw_runs = 5
    print(f"dashboards: {target:,} members × {MONTHS} months of bills; {_disk()}", flush=True)
    data = ensure_dashboard_data(target)
    print(f"  after the data step: {_disk()}", flush=True)

    # (a) the nightly full rebuild.
    times, counts, result = [], {}, None
    for run in range(rebuilds):
        statements = _StatementTimes(sql._execute)
        with mock.patch.object(sql, "_execute", statements), mock.patch.object(runs, "_execute", statements):
            result = rollups.rollups_rebuild()
        times.append(result.seconds)
        counts = _rollup_counts()
        print(f"  rollups_rebuild run {run + 1}: {result.seconds:.1f} s (snapshot day {result.snapshot_day}); rows "
              + ", ".join(f"{k} {v:,}" for k, v in counts.items()), flush=True)
        slowest = sorted(statements.times.items(), key=lambda kv: -kv[1])[:8]
        rest = result.seconds - sum(statements.times.values())
        print("    slowest statements: " + ", ".join(f"{name} {sec:.1f} s" for name, sec in slowest)
              + f"; outside them (deletes, ORM) {rest:.1f} s", flush=True)
        _vacuum_rollups()
    rebuild = median(times)
    matches, detail = _rollups_match(result.snapshot_day) if result else (False, "no rebuild")
    print(f"  check: national rollups == counts from the source tables: {'yes' if matches else 'NO'} ({detail})",
          flush=True)

    # (b) the raw GROUP BY the rollups replace.
    raw_members, members_samples, members_rows = _raw(RAW_MEMBERS_SQL, [], raw_runs)
    raw_bills, bills_samples, bills_rows = _raw(RAW_BILLS_SQL, [RATE_MONTH], raw_runs)
    print(f"  raw GROUP BY members (province × ecosystem × channel × status, {members_rows:,} groups): "
          + ", ".join(f"{s:.0f}" for s in members_samples) + " ms", flush=True)
    print(f"  raw payment rate {RATE_MONTH:%Y-%m} (bills × members by province × ecosystem, {bills_rows:,} groups): "
          + ", ".join(f"{s:.0f}" for s in bills_samples) + " ms", flush=True)

    # (c) the pages, as an admin.
    client = _admin_client()
    pages = []
    for label, url in PAGES:
        status, size, kind = _fetch(client, url)
        _fetch(client, url)  # two warm-ups (templates, the connection, the planner's caches)
        with CaptureQueriesContext(connection) as queries:
            _fetch(client, url)
        nq = len(queries)  # now: the list is read from the connection's log, which the next request clears
        if status != 200:
            print(f"  page {label} {url}: HTTP {status} ({kind})", flush=True)
            pages.append((label, url, status, float("nan"), float("nan"), nq, size))
            continue
        med, p95 = timed(lambda _i, url=url: _fetch(client, url), renders)
        pages.append((label, url, status, med, p95, nq, size))

    # (d) the table and the report.
    rows_written = ", ".join(f"{k} {v:,}" for k, v in counts.items())
    print(f"\n  dashboards on {data['members']:,} members, {data['bills']:,} bills (same run)")
    print(f"  {'':34} {'median':>9} {'p95':>9} {'queries':>8} {'bytes':>10} {'raw members ÷ page':>19}")
    print(f"  {'rollups_rebuild (s)':34} {rebuild:9.1f} {max(times):9.1f}   runs "
          + ", ".join(f"{t:.1f}" for t in times))
    print(f"  {'raw GROUP BY members (ms)':34} {raw_members:9.0f} {max(members_samples):9.0f}")
    print(f"  {'raw payment rate, 1 month (ms)':34} {raw_bills:9.0f} {max(bills_samples):9.0f}")
    for label, _url, status, med, p95, nq, size in pages:
        if status != 200:
            print(f"  {label + ' (ms)':34} {'HTTP ' + str(status):>9} {'':9} {nq:8}")
            continue
        print(f"  {label + ' (ms)':34} {med:9.1f} {p95:9.1f} {nq:8} {size:10,} {raw_members / med:18.1f}x")
    print(flush=True)

    report.add(f"rollups_rebuild, {data['members']:,} members, {data['bills']:,} bills (median of {rebuilds})",
               f"{rebuild:.1f} s (runs {', '.join(f'{t:.0f}' for t in times)} s)", target=f"< {REBUILD_TARGET_S} s",
               ok=rebuild < REBUILD_TARGET_S)
    report.add("rollup rows written", rows_written)
    report.add("national rollups == source counts", "equal" if matches else f"DIFFERENT: {detail[:100]}",
               target="equal", ok=matches, correctness=True)
    report.add(f"raw GROUP BY members (median of {raw_runs})", f"{raw_members:.0f} ms",
               reference=f"payment rate {RATE_MONTH:%Y-%m} over bills {raw_bills:.0f} ms")
    for label, url, status, med, p95, nq, _size in pages:
        if status != 200:
            report.add(f"dashboard {label} {url}", f"HTTP {status}", target="200", ok=False, correctness=True)
            continue
        report.add(f"dashboard {label} (median of {renders})", f"median {med:.1f} ms, p95 {p95:.1f} ms, {nq} queries",
                   reference=f"raw GROUP BY members {raw_members:.0f} ms", ratio=f"{raw_members / med:.1f}x",
                   target=f"< {PAGE_TARGET_MS} ms", ok=med < PAGE_TARGET_MS)
    if pages and all(p[2] == 200 for p in pages):
        slowest = max(pages, key=lambda p: p[3])
        report.add("dashboard pages, slowest median", f"{slowest[0]} {slowest[3]:.1f} ms "
                   f"(all medians {statistics.median([p[3] for p in pages]):.1f} ms)",
                   target=f"< {PAGE_TARGET_MS} ms", ok=slowest[3] < PAGE_TARGET_MS)
