"""Dashboard rollups: the figures the dashboards read, kept per day × region × ecosystem × channel.

Every statement is set-based (INSERT … SELECT … GROUP BY). The source queries are written with the ORM and
compiled, so dates are cut in the portal's time zone on PostgreSQL and SQLite alike; regency rows come from the
source tables and the province and national rows from the regency rows.

- `rollups_refresh` (Celery, every few minutes): today and yesterday, their months, the bill months touched since
  the last refresh, today's snapshot and the leaderboards.
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
    """Which part of the rollups to recompute; None everywhere means all of it."""

    first_day: dt.date | None = None
    last_day: dt.date | None = None
    bill_months: tuple[dt.date, ...] | None = None

    @property
    def full(self) -> bool:
        return self.first_day is None


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
    start = dt.datetime.combine(window.first_day, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(window.last_day + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return Q(**{f"{field}__gte": start, f"{field}__lt": end})


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

    where, params = ("", ()) if window.full else ("day >= %s AND day <= %s", (window.first_day, window.last_day))
    _roll_up(FlowDay, ["day", *DIMS], FLOW_METRICS, where, params)

    months = FlowDay.objects.all() if window.full else FlowDay.objects.filter(
        day__gte=window.first_day.replace(day=1), day__lte=_month_end(window.last_day))
    monthly = (months.annotate(k_month=TruncMonth("day")).values("k_month", "level", "region_code", *DIMS)
               .annotate(**{f"m_{m}": Sum(m) for m in FLOW_METRICS}).order_by())
    inner, params = monthly.query.sql_with_params()
    cols = ["month", "level", "region_code", *DIMS, *FLOW_METRICS]
    select = (f"SELECT s.k_month, s.level, s.region_code, s.ecosystem, s.channel, "  # noqa: S608
              f"{', '.join(f's.m_{m}' for m in FLOW_METRICS)} FROM ({inner}) AS s")
    _insert_select(FlowMonth, cols, select, params, update=list(FLOW_METRICS))


def _month_end(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)


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
        marks = ", ".join(["%s"] * len(window.bill_months))
        _roll_up(BillMonth, ["month", *DIMS], BILL_METRICS, f"month IN ({marks})", window.bill_months)


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


def rollups_rebuild(*, today: dt.date | None = None) -> RollupResult:
    """Everything again from the source tables, in one transaction."""
    today = today or timezone.localdate()
    started = time.monotonic()
    with transaction.atomic():
        state = _lock()
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
        RollupState.objects.filter(pk=state.pk).update(rebuilt_at=now, refreshed_at=now, rebuild_seconds=seconds,
                                                       snapshot_day=today)
    return RollupResult(seconds=seconds, flow_rows=FlowDay.objects.count(), snapshot_day=today)


def rollups_refresh(*, today: dt.date | None = None) -> RollupResult:
    """The recent part again: yesterday and today (events arrive around midnight), their months, the bill months
    with bills settled since the last refresh plus the previous, current and next month, today's snapshot."""
    from contributions.models import Bill

    today = today or timezone.localdate()
    started = time.monotonic()
    with transaction.atomic():
        state = _lock()
        first = today - dt.timedelta(days=1)
        since = (state.refreshed_at or timezone.now()) - dt.timedelta(hours=1)
        current = today.replace(day=1)
        months = {add_months(current, -1), current, add_months(current, 1), *(
            Bill.objects.filter(paid_at__gte=since).values_list("month", flat=True).distinct())}
        window = Window(first_day=first, last_day=today, bill_months=tuple(sorted(months)))
        FlowDay.objects.filter(day__gte=first, day__lte=today).delete()
        FlowMonth.objects.filter(month__gte=first.replace(day=1), month__lte=current).delete()
        BillMonth.objects.filter(month__in=window.bill_months).delete()
        Snapshot.objects.filter(day=today).delete()
        _flows(window)
        _bill_months(window)
        _snapshot(today)
        _leaders()
        _snapshots_prune(today)
        RollupState.objects.filter(pk=state.pk).update(refreshed_at=timezone.now(), snapshot_day=today)
    return RollupResult(seconds=time.monotonic() - started, flow_rows=0, snapshot_day=today)


def rollups_ensure(*, today: dt.date | None = None) -> RollupResult:
    """The refresh, or a rebuild when the rollups were never built."""
    state = RollupState.objects.filter(pk=1).first()
    if state is None or state.rebuilt_at is None:
        return rollups_rebuild(today=today)
    return rollups_refresh(today=today)
