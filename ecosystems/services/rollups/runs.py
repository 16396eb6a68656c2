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
import re
import time
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import (
    Max,
    Model,
)
from django.db.models.functions import TruncDate
from django.utils import timezone

from claims.models import ClaimPayout
from contributions.models import Bill, Payment
from core.models import AuditEvent
from core.sql import no_jit
from ecosystems.models import BillMonth, FlowDay, FlowMonth, RollupState, Snapshot
from ecosystems.services.rollups.facts import _bill_months, _bills_by_day, _flows, _leaders, _snapshot, _snapshots_prune
from ecosystems.services.rollups.sql import Window, _execute, _q, _tables
from reference.duedates import add_months


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
BILL_CHANGES = ("bill.void", "bill.repriced")  # audit actions of open bills changed after they were issued


def _refresh_window(state: RollupState, today: dt.date) -> Window:
    """The days since the last run (at least yesterday and today), plus every day and bill month that rows written
    since the last refresh touch: payments and claim payouts dated earlier (a bank's late report), bills issued for
    months ahead (prepayment), months voided by a reactivation or a closing claim, months priced again for a new
    payer."""
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
    # Open bills voided (a claim that ends the membership) or priced again for a new payer change billed figures.
    changed = AuditEvent.objects.filter(created_at__gte=since, action__in=BILL_CHANGES).values_list("object_id",
                                                                                                    flat=True)
    months.update(Bill.objects.filter(pk__in=[int(pk) for pk in changed if pk.isdigit()])
                  .values_list("month", flat=True).distinct())
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
