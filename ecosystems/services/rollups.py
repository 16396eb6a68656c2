"""Dashboard rollups: the figures the dashboards read, kept per day × region × ecosystem × channel.

Every statement is set-based (INSERT … SELECT … GROUP BY). The source queries are written with the ORM and
compiled, so dates are cut in the portal's time zone on PostgreSQL and SQLite alike; regency rows come from the
source tables and the province and national rows from the regency rows.

- `rollups_refresh` (Celery, every few minutes): the days since the last run (at least yesterday), the days and
  bill months that rows written since then touch (found by id after the high-water marks of the runs before),
  today's snapshot and the leaderboards. After a refresh every table equals a recount (tests/ecosystems).
- `rollups_rebuild` (nightly and `manage.py rollups_rebuild`): everything from scratch in one transaction, so
  readers see the old figures until the new ones are complete.

Snapshots (members by status) cannot be recounted for past days: each run writes the day's, and the history is what
the runs wrote (daily for SNAPSHOT_DAILY_DAYS, then the last one of each month).
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import BigIntegerField, Count, Exists, F, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Cast, Substr, TruncDate, TruncMonth
from django.utils import timezone

from contributions.duedates import add_months
from ecosystems.models import BillMonth, FlowDay, FlowMonth, Leader, LeaderKind, RollupState, Snapshot

FLOW_METRICS = ("registrations", "lapses", "bills_paid", "collected_idr", "claims_paid", "claims_paid_idr")
BILL_METRICS = ("billed", "billed_idr", "paid", "paid_idr")
SNAPSHOT_METRICS = ("registered", "active", "lapsed", "closed", "in_arrears")
LEADER_METRICS = ("members", "active", "paid_idr")
DIMS = ("ecosystem", "channel")
SNAPSHOT_DAILY_DAYS = 62


@dataclass(frozen=True)
class Window:
    """Which part of the rollups to recompute; None means all of it."""

    days: tuple[dt.date, ...] | None = None
    bill_months: tuple[dt.date, ...] | None = None

    @property
    def full(self) -> bool:
        return self.days is None

    @property
    def months(self) -> tuple[dt.date, ...]:
        return tuple(sorted({day.replace(day=1) for day in self.days or ()}))


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _adapt(value):
    return connection.ops.adapt_datefield_value(value) if isinstance(value, dt.date) else value


def _execute(sql: str, params=()) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, [_adapt(p) for p in params])
        return cursor.rowcount


def _insert_select(model, columns: list[str], select_sql: str, params, *, update: list[str]) -> None:
    """INSERT … SELECT with an upsert on the model's unique key: each source fills only its own metrics."""
    key = [c for c in columns if c not in update]
    table = _q(model._meta.db_table)
    # `WHERE 1=1`: SQLite needs a WHERE before ON CONFLICT in an INSERT … SELECT.
    updates = ", ".join(f"{_q(c)} = excluded.{_q(c)}" for c in update)
    sql = (f"INSERT INTO {table} ({', '.join(_q(c) for c in columns)}) SELECT * FROM ({select_sql}) AS src "  # noqa: S608
           f"WHERE 1=1 ON CONFLICT ({', '.join(_q(c) for c in key)}) DO UPDATE SET {updates}")
    _execute(sql, params)


def _regency_rows(model, time_col: str | None, qs: QuerySet, metrics: dict[str, str], const: dict | None = None):
    """Writes the regency-level rows of an aggregated queryset whose keys are annotated k_time, k_reg, k_eco, k_ch
    (or k_ref for leaders) and whose metrics are named in `metrics` (queryset alias -> model column)."""
    inner, params = qs.query.sql_with_params()
    const = const or {}
    cols, exprs = [], []
    if time_col:
        cols.append(time_col)
        exprs.append("s.k_time")
    for name, value in const.items():
        cols.append(name)
        exprs.append(f"'{value}'")
    cols += ["level", "region_code"]
    exprs += ["2", "s.k_reg"]
    keys = ("k_ref",) if model is Leader else ("k_eco", "k_ch")
    cols += ["ref_id"] if model is Leader else list(DIMS)
    exprs += [f"s.{k}" for k in keys]
    cols += list(metrics.values())
    exprs += [f"COALESCE(s.{alias}, 0)" for alias in metrics]
    select = f"SELECT {', '.join(exprs)} FROM ({inner}) AS s"  # noqa: S608 - names are this module's constants
    _insert_select(model, cols, select, params, update=list(metrics.values()))


def _roll_up(model, keys: list[str], metrics: tuple[str, ...], where: str = "", params=()) -> None:
    """Province rows (level 1) and the national row (level 0) summed from the regency rows."""
    table = _q(model._meta.db_table)
    for level, region in ((1, "substr(region_code, 1, 2)"), (0, "''")):
        group = [_q(k) for k in keys] + ([region] if level == 1 else [])
        cols = [*keys, "level", "region_code", *metrics]
        select = (f"SELECT {', '.join(_q(k) for k in keys)}, {level}, {region}, "  # noqa: S608
                  f"{', '.join(f'SUM({_q(m)})' for m in metrics)} FROM {table} "
                  f"WHERE level = 2{' AND ' + where if where else ''} GROUP BY {', '.join(group)}")
        _insert_select(model, cols, select, params, update=list(metrics))


def _day_range(window: Window, field: str) -> Q:
    if window.full:
        return Q()
    tz = timezone.get_current_timezone()
    q = Q(pk__in=[])
    for day in window.days:
        start = dt.datetime.combine(day, dt.time.min, tzinfo=tz)
        q |= Q(**{f"{field}__gte": start, f"{field}__lt": start + dt.timedelta(days=1)})
    return q


def _in(column: str, values) -> tuple[str, tuple]:
    return f"{column} IN ({', '.join(['%s'] * len(values))})", tuple(values)


def _member_keys(prefix: str = "") -> dict:
    return {"k_reg": Substr(f"{prefix}village", 1, 5), "k_eco": F(f"{prefix}ecosystem"), "k_ch": F(f"{prefix}channel")}


def _flows(window: Window) -> None:
    from claims.models import ClaimPayout
    from contributions.models import Bill, BillStatus
    from core.models import AuditEvent
    from enrollment.models import Member, MemberStatus

    keys = ("k_time", "k_reg", "k_eco", "k_ch")
    registrations = (Member.objects.filter(_day_range(window, "created_at"))
                     .annotate(k_time=TruncDate("created_at"), **_member_keys()).values(*keys)
                     .annotate(m_n=Count("id")).order_by())
    _regency_rows(FlowDay, "day", registrations, {"m_n": "registrations"})

    bills = (Bill.objects.filter(_day_range(window, "paid_at"), status=BillStatus.PAID, paid_at__isnull=False)
             .annotate(k_time=TruncDate("paid_at"), **_member_keys("member__")).values(*keys)
             .annotate(m_n=Count("id"), m_idr=Sum("total_idr")).order_by())
    _regency_rows(FlowDay, "day", bills, {"m_n": "bills_paid", "m_idr": "collected_idr"})

    payouts = (ClaimPayout.objects.filter(_day_range(window, "paid_at"))
               .annotate(k_time=TruncDate("paid_at"), **_member_keys("claim__member__")).values(*keys)
               .annotate(m_n=Count("id"), m_idr=Sum("amount_idr")).order_by())
    _regency_rows(FlowDay, "day", payouts, {"m_n": "claims_paid", "m_idr": "claims_paid_idr"})

    # A lapse is an audited status change; the event names the member by id.
    events = (AuditEvent.objects.filter(_day_range(window, "created_at"), action="member.status_changed",
                                        object_type=Member._meta.label_lower, changes__status__1=MemberStatus.LAPSED)
              .annotate(k_time=TruncDate("created_at"), k_member=Cast("object_id", BigIntegerField()))
              .values("k_time", "k_member").order_by())
    inner, params = events.query.sql_with_params()
    member = _q(Member._meta.db_table)
    select = (f"SELECT e.k_time, 2, substr(m.village_id, 1, 5), m.ecosystem_id, m.channel, COUNT(*) "  # noqa: S608
              f"FROM ({inner}) AS e JOIN {member} AS m ON m.id = e.k_member "
              f"GROUP BY e.k_time, substr(m.village_id, 1, 5), m.ecosystem_id, m.channel")
    _insert_select(FlowDay, ["day", "level", "region_code", *DIMS, "lapses"], select, params, update=["lapses"])

    where, params = ("", ()) if window.full else _in("day", window.days)
    _roll_up(FlowDay, ["day", *DIMS], FLOW_METRICS, where, params)

    months = FlowDay.objects.all()
    if not window.full:
        months = months.filter(_month_ranges(window.months))
    monthly = (months.annotate(k_month=TruncMonth("day")).values("k_month", "level", "region_code", *DIMS)
               .annotate(**{f"m_{m}": Sum(m) for m in FLOW_METRICS}).order_by())
    inner, params = monthly.query.sql_with_params()
    cols = ["month", "level", "region_code", *DIMS, *FLOW_METRICS]
    select = (f"SELECT s.k_month, s.level, s.region_code, s.ecosystem, s.channel, "  # noqa: S608
              f"{', '.join(f's.m_{m}' for m in FLOW_METRICS)} FROM ({inner}) AS s")
    _insert_select(FlowMonth, cols, select, params, update=list(FLOW_METRICS))


def _month_ranges(months) -> Q:
    q = Q(pk__in=[])
    for month in months:
        q |= Q(day__gte=month, day__lt=add_months(month, 1))
    return q


def _bill_months(window: Window) -> None:
    from contributions.models import Bill, BillStatus

    bills = Bill.objects.exclude(status=BillStatus.VOID)
    if window.bill_months is not None:
        bills = bills.filter(month__in=window.bill_months)
    paid = Q(status=BillStatus.PAID)
    grouped = (bills.annotate(k_time=F("month"), **_member_keys("member__"))
               .values("k_time", "k_reg", "k_eco", "k_ch")
               .annotate(m_n=Count("id"), m_idr=Sum("total_idr"), m_paid=Count("id", filter=paid),
                         m_paid_idr=Sum("total_idr", filter=paid)).order_by())
    _regency_rows(BillMonth, "month", grouped,
                  {"m_n": "billed", "m_idr": "billed_idr", "m_paid": "paid", "m_paid_idr": "paid_idr"})
    if window.bill_months is None:
        _roll_up(BillMonth, ["month", *DIMS], BILL_METRICS)
    elif window.bill_months:
        _roll_up(BillMonth, ["month", *DIMS], BILL_METRICS, *_in("month", window.bill_months))


def _snapshot(day: dt.date) -> None:
    from contributions.models import Bill, BillStatus
    from enrollment.models import Member, MemberStatus

    overdue = Bill.objects.filter(member=OuterRef("pk"), status=BillStatus.OPEN, due_date__lt=day)
    counting = Q(status__in=(MemberStatus.REGISTERED, MemberStatus.ACTIVE))
    grouped = (Member.objects.annotate(k_time=_const_date(day), **_member_keys())
               .values("k_time", "k_reg", "k_eco", "k_ch")
               .annotate(m_registered=Count("id", filter=Q(status=MemberStatus.REGISTERED)),
                         m_active=Count("id", filter=Q(status=MemberStatus.ACTIVE)),
                         m_lapsed=Count("id", filter=Q(status=MemberStatus.LAPSED)),
                         m_closed=Count("id", filter=Q(status=MemberStatus.CLOSED)),
                         m_arrears=Count("id", filter=counting & Q(Exists(overdue))))
               .order_by())
    _regency_rows(Snapshot, "day", grouped, {"m_registered": "registered", "m_active": "active",
                                            "m_lapsed": "lapsed", "m_closed": "closed", "m_arrears": "in_arrears"})
    _roll_up(Snapshot, ["day", *DIMS], SNAPSHOT_METRICS, "day = %s", (day,))


def _const_date(day: dt.date):
    from django.db.models import DateField, Value

    return Value(day, output_field=DateField())


def _leaders() -> None:
    from contributions.models import CashCollection, OrderStatus, PaymentOrderLine
    from enrollment.models import Member, MemberStatus, Sponsorship

    Leader.objects.all().delete()
    active = Q(status=MemberStatus.ACTIVE)
    agents = (Member.objects.filter(agent__isnull=False).annotate(k_ref=F("agent"), k_reg=Substr("village", 1, 5))
              .values("k_ref", "k_reg").annotate(m_n=Count("id"), m_active=Count("id", filter=active)).order_by())
    _regency_rows(Leader, None, agents, {"m_n": "members", "m_active": "active"}, {"kind": LeaderKind.AGENT})
    cash = (CashCollection.objects.filter(payment__member__isnull=False)
            .annotate(k_ref=F("agent"), k_reg=Substr("payment__member__village", 1, 5))
            .values("k_ref", "k_reg").annotate(m_idr=Sum("amount_idr")).order_by())
    _regency_rows(Leader, None, cash, {"m_idr": "paid_idr"}, {"kind": LeaderKind.AGENT})

    sponsored = (Sponsorship.objects.filter(confirmed_at__isnull=False, ended_at__isnull=True)
                 .annotate(k_ref=F("sponsor"), k_reg=Substr("member__village", 1, 5)).values("k_ref", "k_reg")
                 .annotate(m_n=Count("id"), m_active=Count("id", filter=Q(member__status=MemberStatus.ACTIVE)))
                 .order_by())
    _regency_rows(Leader, None, sponsored, {"m_n": "members", "m_active": "active"}, {"kind": LeaderKind.SPONSOR})
    paid = (PaymentOrderLine.objects.filter(order__status=OrderStatus.PAID, order__payer__sponsor__isnull=False)
            .annotate(k_ref=F("order__payer__sponsor"), k_reg=Substr("member__village", 1, 5))
            .values("k_ref", "k_reg").annotate(m_idr=Sum("amount_idr")).order_by())
    _regency_rows(Leader, None, paid, {"m_idr": "paid_idr"}, {"kind": LeaderKind.SPONSOR})
    _roll_up(Leader, ["kind", "ref_id"], LEADER_METRICS)


def _snapshots_prune(today: dt.date) -> int:
    """Daily snapshots for SNAPSHOT_DAILY_DAYS, then only the last one written in each month."""
    cutoff = today - dt.timedelta(days=SNAPSHOT_DAILY_DAYS)
    old = sorted(set(Snapshot.objects.filter(day__lt=cutoff).values_list("day", flat=True).distinct()))
    last_of_month: dict[tuple[int, int], dt.date] = {}
    for day in old:
        last_of_month[(day.year, day.month)] = day
    drop = [day for day in old if last_of_month[(day.year, day.month)] != day]
    return Snapshot.objects.filter(day__in=drop).delete()[0] if drop else 0


def _lock() -> RollupState:
    RollupState.objects.get_or_create(pk=1)
    return RollupState.objects.select_for_update().get(pk=1)


@dataclass
class RollupResult:
    seconds: float
    flow_rows: int
    snapshot_day: dt.date


def _high_water() -> dict[str, int]:
    """The newest bill, payment and claim payout."""
    from django.db.models import Max

    from claims.models import ClaimPayout
    from contributions.models import Bill, Payment

    return {name: model.objects.aggregate(m=Max("pk"))["m"] or 0
            for name, model in (("bill", Bill), ("payment", Payment), ("payout", ClaimPayout))}


def _since(state: RollupState, name: str) -> int:
    """Rows after the mark of the run before the last: one run of overlap for transactions in flight."""
    return (state.high_water.get(name) or [0, 0])[0]


def rollups_rebuild(*, today: dt.date | None = None) -> RollupResult:
    """Everything again from the source tables, in one transaction."""
    today = today or timezone.localdate()
    started = time.monotonic()
    with transaction.atomic():
        state = _lock()
        marks = _high_water()
        for model in (FlowDay, FlowMonth, BillMonth):
            model.objects.all()._raw_delete(model.objects.db)
        Snapshot.objects.filter(day=today).delete()
        window = Window()
        _flows(window)
        _bill_months(window)
        _snapshot(today)
        _leaders()
        _snapshots_prune(today)
        now = timezone.now()
        seconds = time.monotonic() - started
        RollupState.objects.filter(pk=state.pk).update(
            rebuilt_at=now, refreshed_at=now, rebuild_seconds=seconds, snapshot_day=today,
            high_water={name: [mark, mark] for name, mark in marks.items()})
    return RollupResult(seconds=seconds, flow_rows=FlowDay.objects.count(), snapshot_day=today)


REFRESH_MAX_DAYS = 31  # the refresh rebuilds instead when the last run is older


def _refresh_window(state: RollupState, today: dt.date) -> Window:
    """The days since the last run (at least yesterday and today), plus every day and bill month that rows written
    since the last refresh touch: payments and claim payouts dated earlier (a bank's late report), bills issued for
    months ahead (prepayment), months voided by a reactivation."""
    from claims.models import ClaimPayout
    from contributions.models import Bill, Payment
    from core.models import AuditEvent

    current = today.replace(day=1)
    # Every day since the last run (a stopped beat leaves no gap), and yesterday for events around midnight.
    last = timezone.localtime(state.refreshed_at).date()
    first = min(last, today - dt.timedelta(days=1))
    days = {first + dt.timedelta(days=n) for n in range((today - first).days + 1)}
    months = {add_months(current, -1), current, add_months(current, 1)}
    payments = Payment.objects.filter(pk__gt=_since(state, "payment"))
    payouts = ClaimPayout.objects.filter(pk__gt=_since(state, "payout"))
    for rows in (payments, payouts):
        days.update(d for d in rows.annotate(d=TruncDate("paid_at")).values_list("d", flat=True).distinct() if d)
    # Bills a payment settled carry the payment's paid_at; their months change their paid figures.
    months.update(Bill.objects.filter(allocations__payment__in=payments.values("pk"))
                  .values_list("month", flat=True).distinct())
    months.update(Bill.objects.filter(pk__gt=_since(state, "bill")).values_list("month", flat=True).distinct())
    since = (state.refreshed_at or timezone.now()) - dt.timedelta(hours=1)
    for changes in AuditEvent.objects.filter(created_at__gte=since, action="member.reactivated").values_list(
            "changes", flat=True):
        months.update(dt.date(int(m[:4]), int(m[5:7]), 1) for m in (changes or {}).get("cancelled_months", []))
    # A bill paid with an older paid_at lands on that day; its month is among the payments' bills above.
    return Window(days=tuple(sorted(days)), bill_months=tuple(sorted(months)))


def rollups_refresh(*, today: dt.date | None = None) -> RollupResult:
    """The recent part again (see _refresh_window), today's snapshot and the leaderboards; a rebuild instead when
    the rollups were never built or not refreshed for REFRESH_MAX_DAYS."""
    today = today or timezone.localdate()
    started = time.monotonic()
    state = RollupState.objects.filter(pk=1).first()
    if state is None or state.rebuilt_at is None or state.refreshed_at is None or (
            today - timezone.localtime(state.refreshed_at).date()).days > REFRESH_MAX_DAYS:
        return rollups_rebuild(today=today)  # never built, or not refreshed for a month: a window would be all
    with transaction.atomic():
        state = _lock()
        marks = _high_water()
        window = _refresh_window(state, today)
        FlowDay.objects.filter(day__in=window.days).delete()
        FlowMonth.objects.filter(month__in=window.months).delete()
        BillMonth.objects.filter(month__in=window.bill_months).delete()
        Snapshot.objects.filter(day=today).delete()
        _flows(window)
        _bill_months(window)
        _snapshot(today)
        _leaders()
        _snapshots_prune(today)
        newer = {name: (state.high_water.get(name) or [0, 0])[1] for name in marks}
        RollupState.objects.filter(pk=state.pk).update(
            refreshed_at=timezone.now(), snapshot_day=today,
            high_water={name: [newer[name], mark] for name, mark in marks.items()})
    return RollupResult(seconds=time.monotonic() - started, flow_rows=0, snapshot_day=today)


def rollups_ensure(*, today: dt.date | None = None) -> RollupResult:
    """What the periodic task runs: the refresh (which rebuilds when it has to)."""
    return rollups_refresh(today=today)
