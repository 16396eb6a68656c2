"""Status gates (DESIGN rule 5): one table of allowed moves per status field, and the writes that follow it.

An app's transitions.py declares a Gate per status field and writes every status change of its tables through it:
a row at a time (transition_row), a set (transition_where: its WHERE status IN (…) comes from the table), rows
the caller holds locked in a known status (transition_locked), or a hot path's own statement whose status list
and audit rows come from the gate (sources, events).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import Field, Model, QuerySet

from core.models import User
from core.services import audit_events_record_many, audit_type
from core.sql import chunks, in_list, lock_clause


class TransitionNotAllowed(Exception):
    pass


@dataclass(frozen=True)
class Gate:
    """The allowed moves of one status field. `quiet` moves write no audit event (each module says why)."""

    model: type[Model]
    table: Mapping[str, frozenset[str]]
    action: str = "{model}.{to}"  # the audit action; {model} is the model's name in lower case
    quiet: frozenset[tuple[str, str]] = field(default_factory=frozenset)
    column: str = "status"

    @property
    def label(self) -> str:
        return f"{self.model._meta.label}.{self.column}"

    def allows(self, before: str, to: str) -> bool:
        return to in self.table.get(before, ())

    def check(self, before: str, to: str, pk: Any = None) -> None:
        if not self.allows(before, to):
            raise TransitionNotAllowed(f"{self.model._meta.label_lower} {pk}: {before} -> {to}")

    def sources(self, to: str) -> list[str]:
        """The statuses allowed to move to `to`, in the table's order: a set-based change's WHERE status IN (…)."""
        return [before for before, after in self.table.items() if to in after]

    def change(self, before: str, to: str) -> dict:
        return {self.column: [before, to]}

    def events(self, rows: Iterable[tuple[Any, str]], *, to: str, reason: str = "",
               changes: Mapping | None = None) -> list[tuple[str, str, Any, dict, str]]:
        """Audit events (as audit_events_spec takes them) for rows moved from their status to `to`."""
        action = self.action.format(model=self.model._meta.model_name, to=to)
        label = audit_type(self.model)
        return [(action, label, pk, {**self.change(before, to), **(changes or {})}, reason[:255])
                for pk, before in rows if (before, to) not in self.quiet]


def _record(gate: Gate, rows: Sequence[tuple[Any, str]], *, to: str, actor_id: int | None, reason: str,
            changes: Mapping | None, audit_into: list | None) -> None:
    events = gate.events(rows, to=to, reason=reason, changes=changes)
    if audit_into is not None:
        audit_into += events
    elif events:
        audit_events_record_many(actor_id=actor_id, events=events)


def _assignments(gate: Gate, to: str, fields: Mapping[str, Any]) -> tuple[str, list]:
    """`status = %s, col = %s, …` with each value adapted as the ORM would (get_db_prep_save)."""
    opts = gate.model._meta
    quote = connection.ops.quote_name
    sql = [f"{quote(gate.column)} = %s"]
    params: list = [to]
    for name, value in fields.items():
        model_field = opts.get_field(name)
        if not isinstance(model_field, Field):
            raise TypeError(f"{opts.label}.{name} is not a column")
        sql.append(f"{quote(model_field.column)} = %s")
        params.append(model_field.get_db_prep_save(value, connection))
    return ", ".join(sql), params


def transition_row(gate: Gate, *, pk: Any, to: str, actor: User | None, reason: str = "",
                   changes: Mapping | None = None, audit_into: list | None = None, **fields: Any) -> str | None:
    """Moves one row to `to`: locked, checked against the table, updated WHERE status = before, audited. Returns the
    status it had, or None when it was `to` already and the table has no such move (nothing to do)."""
    with transaction.atomic():
        before = (gate.model._default_manager.select_for_update().filter(pk=pk)
                  .values_list(gate.column, flat=True).get())
        if before == to and not gate.allows(before, to):
            return None
        gate.check(before, to, pk)
        gate.model._default_manager.filter(pk=pk, **{gate.column: before}).update(**{gate.column: to}, **fields)
        _record(gate, [(pk, before)], to=to, actor_id=actor.pk if actor is not None else None, reason=reason,
                changes=changes, audit_into=audit_into)
    return before


def transition_locked(gate: Gate, *, ids: Sequence[Any], before: str, to: str, actor_id: int | None,
                      reason: str = "", changes: Mapping | None = None, audit_into: list | None = None,
                      **fields: Any) -> list[Any]:
    """For rows the caller holds locked and read in status `before` (a hot path): one UPDATE per few thousand,
    WHERE status = before, and their audit events. Returns the ids changed."""
    gate.check(before, to)
    if not ids:
        return []
    assignments, params = _assignments(gate, to, fields)
    table, quote = gate.model._meta.db_table, connection.ops.quote_name
    pk_column = quote(gate.model._meta.pk.column)
    changed: list = []
    with connection.cursor() as cursor:
        for some in chunks(list(ids)):
            ids_sql, ids_params = in_list(pk_column, some)
            cursor.execute(f"UPDATE {quote(table)} SET {assignments} WHERE {ids_sql} "  # noqa: S608
                           f"AND {quote(gate.column)} = %s RETURNING {pk_column}", [*params, *ids_params, before])
            changed += [row[0] for row in cursor.fetchall()]
    _record(gate, [(pk, before) for pk in changed], to=to, actor_id=actor_id, reason=reason, changes=changes,
            audit_into=audit_into)
    return changed


def transition_where(gate: Gate, *, rows: QuerySet | Sequence[Any], to: str, actor_id: int | None,
                     reason: str = "", changes: Mapping | None = None, audit_into: list | None = None,
                     audit: bool = True, **fields: Any) -> list[tuple[Any, str]]:
    """The set-based twin of transition_row: every row of `rows` (a queryset of the gate's model, or ids) whose
    status may move to `to` moves, locked in pk order; rows in other statuses are left alone. One statement on
    PostgreSQL (UPDATE … FROM the locked rows … RETURNING their old status), and one bulk audit INSERT.
    Returns (pk, status before) of the rows changed."""
    sources = gate.sources(to)
    if not sources:
        return []
    model = gate.model
    quote = connection.ops.quote_name
    table, column = quote(model._meta.db_table), quote(gate.column)
    pk_column = quote(model._meta.pk.column)
    if isinstance(rows, QuerySet):
        try:
            inner, inner_params = rows.order_by().values("pk").query.sql_with_params()
        except EmptyResultSet:  # e.g. `phone__in=[]`: Django knows no row can match
            return []
        selections = [(f"{pk_column} IN ({inner})", list(inner_params))]
    else:
        selections = [in_list(pk_column, some) for some in chunks(list(rows))]
    assignments, params = _assignments(gate, to, fields)
    status_in = f"{column} IN ({', '.join(['%s'] * len(sources))})"
    changed: list[tuple[Any, str]] = []
    with transaction.atomic(), connection.cursor() as cursor:
        for where, where_params in selections:
            if connection.vendor == "postgresql":
                cursor.execute(
                    f"UPDATE {table} SET {assignments} FROM (SELECT {pk_column} AS pk, {column} AS was "  # noqa: S608
                    f"FROM {table} WHERE {where} AND {status_in} ORDER BY {pk_column} {lock_clause()}) prior "
                    f"WHERE {table}.{pk_column} = prior.pk RETURNING prior.pk, prior.was",
                    [*params, *where_params, *sources])
                changed += cursor.fetchall()
                continue
            # SQLite: RETURNING cannot name the FROM rows; read them, then one UPDATE per old status.
            cursor.execute(f"SELECT {pk_column}, {column} FROM {table} WHERE {where} AND {status_in} "  # noqa: S608
                           f"ORDER BY {pk_column}", [*where_params, *sources])
            by_before: dict[str, list] = defaultdict(list)
            for pk, before in cursor.fetchall():
                by_before[before].append(pk)
            for before, ids in by_before.items():
                for some in chunks(ids):
                    ids_sql, ids_params = in_list(pk_column, some)
                    cursor.execute(f"UPDATE {table} SET {assignments} WHERE {ids_sql} AND {column} = %s "  # noqa: S608
                                   f"RETURNING {pk_column}", [*params, *ids_params, before])
                    changed += [(row[0], before) for row in cursor.fetchall()]
        changed.sort()
        if audit:
            _record(gate, changed, to=to, actor_id=actor_id, reason=reason, changes=changes, audit_into=audit_into)
    return changed
