"""Each rollup fact, set-based: flows by day and month, bills by month, the day's snapshot of members by status, the
leaderboards, and pruning old snapshots."""

from __future__ import annotations

import datetime as dt

from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    DateField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Substr, TruncDate

from claims.models import ClaimPayout
from contributions.models import Bill, BillStatus, CashCollection, OrderStatus, PaymentOrderLine
from core.models import AuditEvent
from core.services import audit_type
from ecosystems.models import BillMonth, FlowDay, FlowMonth, Leader, LeaderKind, Snapshot
from ecosystems.services.rollups.sql import (
    DIMS,
    FLOW_METRICS,
    SNAPSHOT_DAILY_DAYS,
    Window,
    _day_range,
    _execute,
    _in,
    _member_keys,
    _month_of,
    _part,
    _q,
    _regency_rows,
    _roll_up,
    _table,
)
from members.models import Member, MemberStatus, Sponsorship
from reference.duedates import add_months


def _flows(window: Window, bills_by_day: str | None = None) -> None:
    keys = ("k_time", "k_reg", "k_eco", "k_ch")
    registrations = (Member.objects.filter(_day_range(window, "created_at"))
                     .annotate(k_time=TruncDate("created_at"), **_member_keys()).values(*keys)
                     .annotate(m_n=Count("id")).order_by())
    bills = (Bill.objects.filter(_day_range(window, "paid_at"), status=BillStatus.PAID, paid_at__isnull=False)
             .annotate(k_time=TruncDate("paid_at"), **_member_keys("member__")).values(*keys)
             .annotate(m_n=Count("id"), m_idr=Sum("total_idr")).order_by())
    payouts = (ClaimPayout.objects.filter(_day_range(window, "paid_at"))
               .annotate(k_time=TruncDate("paid_at"), **_member_keys("claim__member__")).values(*keys)
               .annotate(m_n=Count("id"), m_idr=Sum("amount_idr")).order_by())
    # A lapse is an audited status change; the event names the member by id.
    events = (AuditEvent.objects.filter(_day_range(window, "created_at"), action="member.status_changed",
                                        object_type=audit_type(Member), changes__status__1=MemberStatus.LAPSED)
              .annotate(k_time=TruncDate("created_at"), k_member=Cast("object_id", BigIntegerField()))
              .values("k_time", "k_member").order_by())
    inner, params = events.query.sql_with_params()
    lapses = (f"SELECT e.k_time, substr(m.village_id, 1, 5) AS k_reg, m.ecosystem_id AS k_eco, "  # noqa: S608
              f"m.channel AS k_ch, COUNT(*) AS m_n FROM ({inner}) AS e "
              f"JOIN {_q(Member._meta.db_table)} AS m ON m.id = e.k_member "
              f"GROUP BY e.k_time, substr(m.village_id, 1, 5), m.ecosystem_id, m.channel")
    _regency_rows(FlowDay, "day", [
        _part(registrations, {"m_n": "registrations"}),
        _part(bills, {"m_n": "bills_paid", "m_idr": "collected_idr"}) if bills_by_day is None else (
            f"SELECT k_day AS k_time, k_reg, k_eco, k_ch, SUM(m_n) AS m_n, SUM(m_idr) AS m_idr "  # noqa: S608
            f"FROM {_q(bills_by_day)} WHERE k_paid = 1 AND k_day IS NOT NULL GROUP BY k_day, k_reg, k_eco, k_ch", [],
            {"m_n": "bills_paid", "m_idr": "collected_idr"}),
        _part(payouts, {"m_n": "claims_paid", "m_idr": "claims_paid_idr"}),
        (lapses, list(params), {"m_n": "lapses"}),
    ])
    where, params = ("", ()) if window.full else _in("day", window.days)
    _roll_up(FlowDay, ["day", *DIMS], where, params)

    # The months of the window, whole, from the day rows (all three levels at once).
    where, params = "", ()
    if not window.full:
        where = "WHERE " + " OR ".join(["(day >= %s AND day < %s)"] * len(window.months))
        params = tuple(d for month in window.months for d in (month, add_months(month, 1)))
    month = _month_of("day")
    cols = ["month", "level", "region_code", *DIMS, *FLOW_METRICS]
    _execute(f"INSERT INTO {_table(FlowMonth)} ({', '.join(_q(c) for c in cols)}) "  # noqa: S608
             f"SELECT {month}, level, region_code, ecosystem, channel, "
             f"{', '.join(f'SUM({_q(m)})' for m in FLOW_METRICS)} FROM {_table(FlowDay)} {where} "
             f"GROUP BY {month}, level, region_code, ecosystem, channel", params)


def _bills_by_day() -> str:
    """The full rebuild reads the bills once: non-void bills with their member's region, ecosystem and channel,
    summed per covered month, paid day and paid or not. FlowDay and BillMonth are both sums of this table, so the
    12 million bills are joined to their members once instead of twice."""
    name = "rollup_bills_by_day"
    paid = Q(status=BillStatus.PAID)
    grouped = (Bill.objects.exclude(status=BillStatus.VOID)
               .annotate(k_month=F("month"), k_day=TruncDate("paid_at"),
                         k_paid=Case(When(paid, then=Value(1)), default=Value(0), output_field=IntegerField()),
                         **_member_keys("member__"))
               # the plugin loses annotations passed as **kwargs (_member_keys)
               .values("k_month", "k_day", "k_paid", "k_reg", "k_eco", "k_ch")  # type: ignore[misc]
               .annotate(m_n=Count("id"), m_idr=Sum("total_idr")).order_by())
    sql, params = grouped.query.sql_with_params()
    _execute(f"DROP TABLE IF EXISTS {_q(name)}")
    _execute(f"CREATE TEMPORARY TABLE {_q(name)} AS {sql}", params)  # noqa: S608 - compiled by the ORM
    return name


def _bill_months(window: Window, bills_by_day: str | None = None) -> None:
    if bills_by_day is not None:
        _regency_rows(BillMonth, "month", [(
            f"SELECT k_month AS k_time, k_reg, k_eco, k_ch, SUM(m_n) AS m_n, SUM(m_idr) AS m_idr, "  # noqa: S608
            f"SUM(m_n * k_paid) AS m_paid, SUM(m_idr * k_paid) AS m_paid_idr FROM {_q(bills_by_day)} "
            f"GROUP BY k_month, k_reg, k_eco, k_ch", [],
            {"m_n": "billed", "m_idr": "billed_idr", "m_paid": "paid", "m_paid_idr": "paid_idr"})])
        _roll_up(BillMonth, ["month", *DIMS])
        return
    bills = Bill.objects.exclude(status=BillStatus.VOID)
    if window.bill_months is not None:
        bills = bills.filter(month__in=window.bill_months)
    paid = Q(status=BillStatus.PAID)
    grouped = (bills.annotate(k_time=F("month"), **_member_keys("member__"))
               .values("k_time", "k_reg", "k_eco", "k_ch")  # type: ignore[misc]  # **kwargs annotations: see _bills_by_day
               .annotate(m_n=Count("id"), m_idr=Sum("total_idr"), m_paid=Count("id", filter=paid),
                         m_paid_idr=Sum("total_idr", filter=paid)).order_by())
    _regency_rows(BillMonth, "month", [_part(grouped, {"m_n": "billed", "m_idr": "billed_idr", "m_paid": "paid",
                                                       "m_paid_idr": "paid_idr"})])
    if window.bill_months is None:
        _roll_up(BillMonth, ["month", *DIMS])
    elif window.bill_months:
        _roll_up(BillMonth, ["month", *DIMS], *_in("month", window.bill_months))


def _snapshot(day: dt.date) -> None:
    overdue = Bill.objects.filter(member=OuterRef("pk"), status=BillStatus.OPEN, due_date__lt=day)
    counting = Q(status__in=(MemberStatus.REGISTERED, MemberStatus.ACTIVE))
    grouped = (Member.objects.annotate(k_time=_const_date(day), **_member_keys())
               .values("k_time", "k_reg", "k_eco", "k_ch")  # type: ignore[misc]  # **kwargs annotations: see _bills_by_day
               .annotate(m_registered=Count("id", filter=Q(status=MemberStatus.REGISTERED)),
                         m_active=Count("id", filter=Q(status=MemberStatus.ACTIVE)),
                         m_lapsed=Count("id", filter=Q(status=MemberStatus.LAPSED)),
                         m_closed=Count("id", filter=Q(status=MemberStatus.CLOSED)),
                         m_arrears=Count("id", filter=counting & Q(Exists(overdue))))
               .order_by())
    _regency_rows(Snapshot, "day", [_part(grouped, {"m_registered": "registered", "m_active": "active",
                                                    "m_lapsed": "lapsed", "m_closed": "closed",
                                                    "m_arrears": "in_arrears"})])
    _roll_up(Snapshot, ["day", *DIMS], "day = %s", (day,))


def _const_date(day: dt.date):
    return Value(day, output_field=DateField())


def _leaders() -> None:
    Leader.objects.all().delete()
    active = Q(status=MemberStatus.ACTIVE)
    agents = (Member.objects.filter(agent__isnull=False).annotate(k_ref=F("agent"), k_reg=Substr("village", 1, 5))
              .values("k_ref", "k_reg").annotate(m_n=Count("id"), m_active=Count("id", filter=active)).order_by())
    cash = (CashCollection.objects.filter(payment__member__isnull=False)
            .annotate(k_ref=F("agent"), k_reg=Substr("payment__member__village", 1, 5))
            .values("k_ref", "k_reg").annotate(m_idr=Sum("amount_idr")).order_by())
    _regency_rows(Leader, None, [_part(agents, {"m_n": "members", "m_active": "active"}),
                                 _part(cash, {"m_idr": "paid_idr"})], {"kind": LeaderKind.AGENT})

    sponsored = (Sponsorship.objects.filter(confirmed_at__isnull=False, ended_at__isnull=True)
                 .annotate(k_ref=F("sponsor"), k_reg=Substr("member__village", 1, 5)).values("k_ref", "k_reg")
                 .annotate(m_n=Count("id"), m_active=Count("id", filter=Q(member__status=MemberStatus.ACTIVE)))
                 .order_by())
    paid = (PaymentOrderLine.objects.filter(order__status=OrderStatus.PAID, order__payer__sponsor__isnull=False)
            .annotate(k_ref=F("order__payer__sponsor"), k_reg=Substr("member__village", 1, 5))
            .values("k_ref", "k_reg").annotate(m_idr=Sum("amount_idr")).order_by())
    _regency_rows(Leader, None, [_part(sponsored, {"m_n": "members", "m_active": "active"}),
                                 _part(paid, {"m_idr": "paid_idr"})], {"kind": LeaderKind.SPONSOR})
    _roll_up(Leader, ["kind", "ref_id"])


def _snapshots_prune(today: dt.date) -> int:
    """Daily snapshots for SNAPSHOT_DAILY_DAYS, then only the last one written in each month."""
    cutoff = today - dt.timedelta(days=SNAPSHOT_DAILY_DAYS)
    old = sorted(set(Snapshot.objects.filter(day__lt=cutoff).values_list("day", flat=True).distinct()))
    last_of_month: dict[tuple[int, int], dt.date] = {}
    for day in old:
        last_of_month[(day.year, day.month)] = day
    drop = [day for day in old if last_of_month[(day.year, day.month)] != day]
    return Snapshot.objects.filter(day__in=drop).delete()[0] if drop else 0
