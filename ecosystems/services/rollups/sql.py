"""The rollups' SQL building blocks: metric lists, the recompute window, regency rows from ORM-compiled sources,
province and national rows from the regency rows, and which table a write goes to (live or a rebuild's shadow)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import connection
from django.db.models import (
    F,
    Model,
    Q,
    QuerySet,
)
from django.db.models.functions import Substr
from django.utils import timezone

from ecosystems.models import BillMonth, FlowDay, FlowMonth, Leader, Snapshot

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
