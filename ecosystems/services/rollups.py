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
from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    Model,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Substr, TruncDate
from django.utils import timezone

from claims.models import ClaimPayout
from contributions.models import Bill, BillStatus, CashCollection, OrderStatus, Payment, PaymentOrderLine
from core.models import AuditEvent
from core.services import audit_type
from core.sql import no_jit
from ecosystems.models import BillMonth, FlowDay, FlowMonth, Leader, LeaderKind, RollupState, Snapshot
from members.models import Member, MemberStatus, Sponsorship
from reference.duedates import add_months

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


# Table names the writes go to: the live tables, or on PostgreSQL a full rebuild's shadow copies (see _Shadows).
_tables: dict[type[Model], str] = {}


def _table(model) -> str:
    return _q(_tables.get(model, model._meta.db_table))


def _metrics(model) -> tuple[str, ...]:
    return {FlowDay: FLOW_METRICS, FlowMonth: FLOW_METRICS, BillMonth: BILL_METRICS, Snapshot: SNAPSHOT_METRICS,
            Leader: LEADER_METRICS}[model]


Part = tuple[str, list, dict[str, str]]  # a source's SQL, its params, and its metric aliases -> model columns


def _part(qs: QuerySet, metrics: dict[str, str]) -> Part:
    sql, params = qs.query.sql_with_params()
    return sql, list(params), metrics


def _regency_rows(model, time_col: str | None, parts: list[Part], const: dict | None = None) -> None:
    """One plain INSERT of the regency rows: the sources (their keys annotated k_time, k_reg and k_eco, k_ch, or
    k_ref for leaders) each fill their own metrics with 0 for the others, and are summed per key. The rows of the
    window were deleted before, so no key is there yet: no upsert, which costs more than the insert itself."""
    metrics = _metrics(model)
    keys = (["k_time"] if time_col else []) + (["k_ref", "k_reg"] if model is Leader else ["k_reg", "k_eco", "k_ch"])
    selects, params = [], []
    for sql, part_params, names in parts:
        by_column = {column: alias for alias, column in names.items()}
        values = [f"COALESCE(s.{by_column[m]}, 0) AS {m}" if m in by_column else f"0 AS {m}" for m in metrics]
        columns = ", ".join([f"s.{k}" for k in keys] + values)
        selects.append(f"SELECT {columns} FROM ({sql}) AS s")  # noqa: S608 - module constants
        params += part_params
    const = const or {}
    cols = ([time_col] if time_col else []) + list(const) + ["level", "region_code"] + (
        ["ref_id"] if model is Leader else list(DIMS)) + list(metrics)
    exprs = (["u.k_time"] if time_col else []) + [f"'{v}'" for v in const.values()] + ["2", "u.k_reg"] + (
        ["u.k_ref"] if model is Leader else ["u.k_eco", "u.k_ch"]) + [f"SUM(u.{m})" for m in metrics]
    sql = (f"INSERT INTO {_table(model)} ({', '.join(_q(c) for c in cols)}) "  # noqa: S608 - module constants
           f"SELECT {', '.join(exprs)} FROM ({' UNION ALL '.join(selects)}) AS u "
           f"GROUP BY {', '.join(f'u.{k}' for k in keys)}")
    _execute(sql, params)


def _roll_up(model, keys: list[str], where: str = "", params=()) -> None:
    """Province rows (level 1) and the national row (level 0) summed from the regency rows."""
    table, metrics = _table(model), _metrics(model)
    # The nation from the provinces: a fourteenth of the regency rows.
    for level, region in ((1, "substr(region_code, 1, 2)"), (0, "''")):
        group = [_q(k) for k in keys] + ([region] if level == 1 else [])
        cols = [*keys, "level", "region_code", *metrics]
        _execute(f"INSERT INTO {table} ({', '.join(_q(c) for c in cols)}) "  # noqa: S608
                 f"SELECT {', '.join(_q(k) for k in keys)}, {level}, {region}, "
                 f"{', '.join(f'SUM({_q(m)})' for m in metrics)} FROM {table} "
                 f"WHERE level = {level + 1}{' AND ' + where if where else ''} GROUP BY {', '.join(group)}",
                 params)


def _month_of(column: str) -> str:
    if connection.vendor == "postgresql":
        return f"CAST(date_trunc('month', {column}) AS date)"
    return f"date({column}, 'start of month')"


def _day_range(window: Window, field: str) -> Q:
    if window.full:
        return Q()
    tz = timezone.get_current_timezone()
    q = Q(pk__in=[])
    for day in window.days or ():
        start = dt.datetime.combine(day, dt.time.min, tzinfo=tz)
        q |= Q(**{f"{field}__gte": start, f"{field}__lt": start + dt.timedelta(days=1)})
    return q


def _in(column: str, values) -> tuple[str, tuple]:
    return f"{column} IN ({', '.join(['%s'] * len(values))})", tuple(values)


def _member_keys(prefix: str = "") -> dict:
    return {"k_reg": Substr(f"{prefix}village", 1, 5), "k_eco": F(f"{prefix}ecosystem"), "k_ch": F(f"{prefix}channel")}


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
    from django.db.models import DateField, Value

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

    return {name: model.objects.aggregate(m=Max("pk"))["m"] or 0
            for name, model in (("bill", Bill), ("payment", Payment), ("payout", ClaimPayout))}


def _since(state: RollupState, name: str) -> int:
    """Rows after the mark of the run before the last: one run of overlap for transactions in flight."""
    return (state.high_water.get(name) or [0, 0])[0]


def _tune() -> None:
    """PostgreSQL: room for the big hash joins and aggregates, and no JIT (see core.sql.no_jit)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            no_jit(cursor)
            cursor.execute("SET LOCAL work_mem = '64MB'")
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")


SHADOWED = (FlowDay, FlowMonth, BillMonth)


def _shadows_create() -> dict[type[Model], str]:
    """PostgreSQL: empty copies of the big rollup tables without their indexes. Filling a table and then indexing
    it is several times faster than inserting millions of rows through its indexes, and pages keep reading the
    live tables until the swap."""
    shadows: dict[type[Model], str] = {}
    for model in SHADOWED:
        live = model._meta.db_table
        shadow = f"{live}__new"
        _execute(f"DROP TABLE IF EXISTS {_q(shadow)}")
        _execute(f"CREATE TABLE {_q(shadow)} (LIKE {_q(live)} INCLUDING DEFAULTS INCLUDING IDENTITY "
                 f"INCLUDING CONSTRAINTS)")
        shadows[model] = shadow
    return shadows


def _shadow_swap(model, shadow: str) -> None:
    """The shadow gets the live table's indexes and constraints (read from the catalog, so a migration that adds
    one is followed), then takes its place: the exclusive lock is held only from here to the commit."""
    import re

    live = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid), c.conname, c.contype "
                       "FROM pg_index i LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid "
                       "AND c.conrelid = i.indrelid WHERE i.indrelid = %s::regclass", [live])
        indexes = cursor.fetchall()
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id'), pg_get_serial_sequence(%s, 'id')", [live, shadow])
        live_sequence, shadow_sequence = cursor.fetchone()
    renames = []
    for name, definition, constraint, kind in indexes:
        temporary = f"{name}__new"

        def renamed(m: re.Match[str], t: str = temporary) -> str:
            return f"CREATE {m.group(1) or ''}INDEX {_q(t)} ON {_q(shadow)} "

        definition = re.sub(r"^CREATE (UNIQUE )?INDEX \S+ ON (ONLY )?(\S+\.)?\S+ ", renamed, definition)
        _execute(definition)
        if kind in ("p", "u"):
            _execute(f"ALTER TABLE {_q(shadow)} ADD CONSTRAINT {_q(constraint + '__new')} "
                     f"{'PRIMARY KEY' if kind == 'p' else 'UNIQUE'} USING INDEX {_q(temporary)}")
            renames.append(f"ALTER TABLE {_q(live)} RENAME CONSTRAINT {_q(constraint + '__new')} TO {_q(constraint)}")
        else:
            renames.append(f"ALTER INDEX {_q(temporary)} RENAME TO {_q(name)}")
    _execute(f"DROP TABLE {_q(live)}")
    _execute(f"ALTER TABLE {_q(shadow)} RENAME TO {_q(live)}")
    for statement in renames:
        _execute(statement)
    if live_sequence and shadow_sequence:
        _execute(f"ALTER SEQUENCE {shadow_sequence} RENAME TO {_q(live_sequence.split('.')[-1].strip(chr(34)))}")
    _execute(f"ANALYZE {_q(live)}")


def rollups_rebuild(*, today: dt.date | None = None) -> RollupResult:
    """Everything again from the source tables, in one transaction (readers see the old figures until it ends)."""
    today = today or timezone.localdate()
    started = time.monotonic()
    with transaction.atomic():
        state = _lock()
        _tune()
        marks = _high_water()
        shadows = _shadows_create() if connection.vendor == "postgresql" else {}
        if not shadows:
            for model in SHADOWED:
                model.objects.all()._raw_delete(model.objects.db)
        Snapshot.objects.filter(day=today).delete()
        _tables.update(shadows)
        try:
            window = Window()
            bills_by_day = _bills_by_day()
            _flows(window, bills_by_day)
            _bill_months(window, bills_by_day)
            _execute(f"DROP TABLE {_q(bills_by_day)}")
        finally:
            _tables.clear()
        for shadowed, shadow in shadows.items():
            _shadow_swap(shadowed, shadow)
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
        _tune()
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
    # The day rows of the window: what the job list shows as handled.
    return RollupResult(seconds=time.monotonic() - started, snapshot_day=today,
                        flow_rows=FlowDay.objects.filter(day__in=window.days).count())


def rollups_ensure(*, today: dt.date | None = None) -> RollupResult:
    """What the periodic task runs: the refresh (which rebuilds when it has to)."""
    return rollups_refresh(today=today)
