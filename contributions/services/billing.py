"""Monthly bills, created set-based: one INSERT … SELECT per batch of members, safe to run twice or twice at once.

The SQL mirrors `contributions.tariffs.tariff_quote` exactly (integer arithmetic for the one rounding rule:
halves up), and tests compare the two on many members.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import cast

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max, Min
from django.utils import timezone

from contributions.locks import bills_lock, member_lock
from contributions.models import Bill, BillStatus, OrderStatus, PaymentOrder, PaymentOrderLine
from core.models import User
from core.services import audit_event_record
from members.models import Member, MemberStatus
from reference.duedates import due_date_for
from reference.models import Discount, TariffRate
from reference.tariffs import TariffError, discounts_in_force, tariff_quote

BILLABLE = (MemberStatus.REGISTERED, MemberStatus.ACTIVE)


Fragment = tuple[str, list]


def _rate(program: str, month: dt.date) -> TariffRate:
    rate = TariffRate.objects.filter(program=program, effective_from__lte=month).order_by("-effective_from").first()
    if rate is None:
        raise TariffError(f"no rate for {program} in {month:%Y-%m}")
    return rate


def _gross(program: str, month: dt.date) -> Fragment:
    rate = _rate(program, month)
    if rate.percent is not None:
        # round half up of income × percent / 100, with percent in thousandths: (income × p + 50 000) / 100 000
        sql, params = "((m.income_base_idr * %s + 50000) / 100000)", [int(rate.percent * 1000)]
    else:
        # no percent: a flat amount (tariff_rate_percent_xor_flat)
        sql, params = "(%s)", [int(cast(int, rate.flat_idr))]
    if program == "JHT":
        sql = f"(CASE WHEN m.has_jht THEN {sql} ELSE 0 END)"
    return sql, params


def _first_discount(program: str, discounts: list[Discount], value: str) -> Fragment:
    """CASE giving, for this member, the first matching discount's percent (in hundredths) or its id."""
    default = "0" if value == "percent" else "NULL"
    sql, params = [], []
    for d in discounts:
        if program not in d.programs:
            continue
        conditions = []
        if d.sectors:
            conditions.append(f"o.sector IN ({', '.join(['%s'] * len(d.sectors))})")
            params.extend(d.sectors)
        if d.excluded_funding:
            conditions.append(f"m.funding_source NOT IN ({', '.join(['%s'] * len(d.excluded_funding))})")
            params.extend(d.excluded_funding)
        sql.append(f"WHEN {' AND '.join(conditions) or '1=1'} THEN %s")
        params.append(int(d.percent * 100) if value == "percent" else d.pk)
    if not sql:
        return default, []
    return f"(CASE {' '.join(sql)} ELSE {default} END)", params


@dataclass
class BillingResult:
    month: dt.date
    created: int
    batches: int


def _insert_sql(month: dt.date, *, due_date: dt.date | None = None) -> Fragment:
    discounts = discounts_in_force(month=month)
    select: list[Fragment] = [("m.id", []), ("%s", [month]), ("%s", [due_date or due_date_for(month)]),
                              ("m.income_base_idr", [])]
    totals: list[Fragment] = []
    for program in ("JKK", "JKM", "JHT"):
        gross_sql, gross_params = _gross(program, month)
        pct_sql, pct_params = _first_discount(program, discounts, "percent")
        cut = (f"(({gross_sql} * {pct_sql} + 5000) / 10000)", gross_params + pct_params)
        select += [(gross_sql, gross_params), cut]
        totals.append((f"{gross_sql} - {cut[0]}", gross_params + cut[1]))
    select.append((" + ".join(sql for sql, _p in totals), [p for _s, ps in totals for p in ps]))
    jht_sql, jht_params = _first_discount("JHT", discounts, "id")
    select += [_first_discount("JKK", discounts, "id"), _first_discount("JKM", discounts, "id"),
               (f"CAST(CASE WHEN m.has_jht THEN {jht_sql} END AS BIGINT)", jht_params),  # no JHT line: none
               ("%s", [BillStatus.OPEN]), ("%s", [timezone.now()])]
    columns = ", ".join(sql for sql, _p in select)  # fragments are ours; every value is a parameter
    sql = (
        "INSERT INTO contributions_bill (member_id, month, due_date, income_base_idr, jkk_gross_idr, "  # noqa: S608
        "jkk_discount_idr, jkm_gross_idr, jkm_discount_idr, jht_gross_idr, jht_discount_idr, total_idr, "
        "discount_id, jkm_discount_id, jht_discount_id, status, created_at) "
        f"SELECT {columns} "
        "FROM enrollment_member m JOIN enrollment_occupation o ON o.id = m.occupation_id "
        "WHERE m.status IN (%s, %s) AND m.billing_start <= %s AND {members} "
        # Skipping existing bills up front keeps a rerun cheap; ON CONFLICT still settles two runs at once.
        "AND NOT EXISTS (SELECT 1 FROM contributions_bill b WHERE b.member_id = m.id AND b.month = %s{bills}) "
        "ON CONFLICT (member_id, month) DO NOTHING"
    )
    return sql, [p for _s, ps in select for p in ps]


def bill_generate_for_period(*, month: dt.date, batch_size: int | None = None) -> BillingResult:
    """Creates the month's bill for every billable member that has none. Idempotent and resumable: each batch of
    member ids is one statement in its own transaction, and the unique (member, month) index drops duplicates."""
    month = month.replace(day=1)
    batch_size = batch_size or settings.BILLING_BATCH_SIZE
    sql, params = _insert_sql(month)
    # The batch's range on both sides: with statistics not yet refreshed after a run (a rerun right after), the
    # planner may hash every bill of the month for each batch; bounded, it hashes only the batch's.
    sql = sql.replace("{members}", "m.id >= %s AND m.id < %s").replace(
        "{bills}", " AND b.member_id >= %s AND b.member_id < %s")
    bounds = Member.objects.aggregate(lo=Min("id"), hi=Max("id"))
    created = batches = 0
    if bounds["lo"] is None:
        return BillingResult(month, 0, 0)
    start = bounds["lo"]
    while start <= bounds["hi"]:
        with transaction.atomic(durable=True), connection.cursor() as cursor:  # each batch commits
            end = start + batch_size
            cursor.execute(sql, [*params, *BILLABLE, month, start, end, month, start, end])
            created += max(cursor.rowcount, 0)
        batches += 1
        start += batch_size
    return BillingResult(month, created, batches)


def bills_create_for_members(*, month: dt.date, members: Fragment, due_date: dt.date | None = None) -> int:
    """The month's bill for the billable members the SQL condition `members` (on alias m) selects, set-based, in the
    caller's transaction (a bulk registration's first months). Existing bills are kept."""
    month = month.replace(day=1)
    sql, params = _insert_sql(month, due_date=due_date)
    members_sql, members_params = members
    with connection.cursor() as cursor:
        cursor.execute(sql.replace("{members}", f"({members_sql})").replace("{bills}", ""),
                       [*params, *BILLABLE, month, *members_params, month])
        return max(cursor.rowcount, 0)


def first_bill_due_date(month: dt.date, today: dt.date | None = None) -> dt.date:
    """Someone who joins (or rejoins) after this month's due date is not overdue on day one."""
    return max(due_date_for(month), (today or timezone.localdate()) + dt.timedelta(days=settings.FIRST_BILL_GRACE_DAYS))


def bill_for_month(*, member: Member, month: dt.date, today: dt.date | None = None) -> Bill:
    """The member's bill for a month, created from the tariff if it does not exist yet (prepayment, registration).

    Runs inside the caller's transaction; a concurrent creator is absorbed by the unique index."""
    month = month.replace(day=1)
    existing = Bill.objects.filter(member=member, month=month).first()
    if existing:
        return existing
    due = first_bill_due_date(month, today) if month == member.billing_start else due_date_for(month)
    values = dict(due_date=due, income_base_idr=member.income_base_idr, **_priced(member=member, month=month))
    with transaction.atomic():
        Bill.objects.bulk_create([Bill(member=member, month=month, **values)], ignore_conflicts=True)
    return Bill.objects.get(member=member, month=month)


def _priced(*, member: Member, month: dt.date) -> dict:
    """A month's lines for the member as the tariff prices them today (income, programs, sector, who pays)."""
    quote = tariff_quote(income_idr=member.income_base_idr, programs=member.programs, month=month,
                         sector=member.occupation.sector, funding=member.funding_source)
    lines = {line.program: line for line in quote.lines}
    return dict(
        jkk_gross_idr=lines["JKK"].gross_idr, jkk_discount_idr=lines["JKK"].discount_idr,
        jkm_gross_idr=lines["JKM"].gross_idr, jkm_discount_idr=lines["JKM"].discount_idr,
        jht_gross_idr=lines["JHT"].gross_idr if "JHT" in lines else 0,
        jht_discount_idr=lines["JHT"].discount_idr if "JHT" in lines else 0,
        total_idr=quote.total_idr,
        discount_id=lines["JKK"].discount_id, jkm_discount_id=lines["JKM"].discount_id,
        jht_discount_id=lines["JHT"].discount_id if "JHT" in lines else None,
    )


def bills_reprice_for_payer(*, member_id: int, actor: User | None, reason: str) -> list[int]:
    """Open bills priced again after the member's payer changed (member.funding_source): a month paid from the state
    or regional budget has no PP 50/2025 discount, a month paid by the member or a donor has it. The income base and
    programs of each bill stay as billed; only who pays changes. A bill in a pending checkout keeps the price its
    payer was shown (the provider holds that amount). Returns the ids of the bills whose price changed, each with an
    audit event."""
    with transaction.atomic():
        member = member_lock(member_id=member_id)
        held = {month for months in PaymentOrder.objects.filter(member=member, status=OrderStatus.PENDING)
                .values_list("months", flat=True) for month in months}
        held |= {month for months in PaymentOrderLine.objects.filter(member=member, order__status=OrderStatus.PENDING)
                 .values_list("months", flat=True) for month in months}
        changed = []
        for bill in bills_lock(member_id=member.pk, status=BillStatus.OPEN):
            if f"{bill.month:%Y-%m}" in held or bill.income_base_idr != member.income_base_idr:
                continue  # in a checkout, or billed on another base: left as it is
            values = _priced(member=member, month=bill.month)
            if all(getattr(bill, field) == value for field, value in values.items()):
                continue
            before = bill.total_idr
            Bill.objects.filter(pk=bill.pk).update(**values)
            audit_event_record(actor=actor, action="bill.repriced", obj=bill, reason=reason,
                               changes={"total_idr": [before, values["total_idr"]],
                                        "funding_source": member.funding_source})
            changed.append(bill.pk)
        return changed

