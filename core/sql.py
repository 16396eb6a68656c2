"""Hand-written statements for hot paths (the payment webhook), portable between SQLite and PostgreSQL.

The ORM spends more time compiling a small query than the database spends running it; where a request makes a
dozen of them hundreds of times a second, these helpers write the SQL once and still adapt values exactly as the
ORM would (each field's own get_db_prep_save), so dates, JSON and time zones are stored the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import connection
from django.db.models import Model
from django.utils import timezone


def lock_clause(of: str | None = None, skip_locked: bool = False) -> str:
    """ "FOR UPDATE" (of one table alias where the database can; SKIP LOCKED if asked), or nothing where it cannot
    lock rows (SQLite, whose transactions take the whole database)."""
    features = connection.features
    if not features.has_select_for_update:
        return ""
    return connection.ops.for_update_sql(of=(of,) if of and features.has_select_for_update_of else (),
                                         skip_locked=skip_locked and features.has_select_for_update_skip_locked)


def no_jit(cursor) -> None:
    """PostgreSQL JIT off for the rest of the transaction: batch statements over stale statistics look costly
    enough to be compiled, which took longer than running them (100 s a batch in reminders, 0.2 s in auto-debit)."""
    if connection.vendor == "postgresql" and not connection.get_autocommit():
        cursor.execute("SET LOCAL jit = off")


def placeholders(count: int) -> str:
    return ", ".join(["%s"] * count)


def in_list(column: str, values: Sequence) -> tuple[str, list]:
    """`column IN (%s, …)`, or on PostgreSQL `column = ANY(%s)` with one array: the driver parses each placeholder
    of a statement in Python, which a few thousand ids turn into the larger part of a batch's cost."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [list(values)]
    return f"{column} IN ({placeholders(len(values))})", list(values)


@dataclass(frozen=True)
class InsertSpec:
    """Rows for one table, as insert_rows takes them; insert_together writes several in one round trip."""

    model: type[Model]
    fields: Sequence[str]
    rows: Sequence[Sequence]
    prepared: Sequence[str] = ()
    as_arrays: bool = False


def insert_rows(model: type[Model], fields: Sequence[str], rows: Sequence[Sequence], *,
                returning_pk: bool = False, prepared: Sequence[str] = (), on_conflict_skip: bool = False,
                as_arrays: bool = False) -> list[int]:
    """INSERT of many rows (a statement per few thousand); with returning_pk, the new primary keys in row order.
    Columns not in `fields` get the model's default, computed per row when it is a callable (a card token), as
    Model.save would give them. Fields named in `prepared` already hold their database value (a phone number in
    E.164 that was checked when the file was read: re-validating it costs more than the insert). With
    on_conflict_skip, rows clashing with a unique constraint are left out (and so are their keys). With as_arrays, on
    PostgreSQL each column travels as one array (INSERT … SELECT FROM unnest): thousands of rows cost a handful of
    parameters instead of tens of thousands, which the driver would otherwise parse one by one (auto-debit)."""
    pks: list[int] = []
    with connection.cursor() as cursor:
        for sql, values in _insert_statements(model, fields, rows, prepared, on_conflict_skip, returning_pk,
                                              as_arrays):
            cursor.execute(sql, values)
            if returning_pk:
                pks += [row[0] for row in cursor.fetchall()]
    return pks


def insert_together(*specs: InsertSpec) -> None:
    """Several INSERTs (no keys returned) in one statement where the database allows data-modifying WITH
    (PostgreSQL): the payment webhook writes its ledger, audit and outbox rows in one round trip. Elsewhere, or
    when a spec needs more than one statement, one after the other."""
    statements = [list(_insert_statements(s.model, s.fields, s.rows, s.prepared, False, False, s.as_arrays))
                  for s in specs]
    statements = [group for group in statements if group]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and len(statements) > 1 and all(len(g) == 1 for g in statements):
            *first, last = [group[0] for group in statements]
            sql = "WITH " + ", ".join(f"w{n} AS ({stmt})" for n, (stmt, _v) in enumerate(first)) + " " + last[0]
            cursor.execute(sql, [value for _stmt, values in (*first, last) for value in values])
            return
        for group in statements:
            for sql, values in group:
                cursor.execute(sql, values)


def _insert_statements(model, fields, rows, prepared, on_conflict_skip, returning_pk, as_arrays=False):
    if not rows:
        return
    if as_arrays and connection.vendor == "postgresql":
        yield from _insert_arrays(model, fields, rows, prepared, on_conflict_skip, returning_pk)
        return
    opts = model._meta
    given = [opts.get_field(name) for name in fields]
    now = timezone.now()
    missing = [f for f in opts.concrete_fields if f not in given and not f.primary_key]
    per_row = [f for f in missing if f.has_default() and callable(f.default)]
    fixed_fields = [f for f in missing if f not in per_row]
    fixed = [f.get_db_prep_save(now if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
                                else f.get_default(), connection) for f in fixed_fields]
    columns = given + per_row + fixed_fields
    raw = {i for i, f in enumerate(given) if f.name in prepared}
    one = f"({placeholders(len(columns))})"
    quote = connection.ops.quote_name
    head = (f"INSERT INTO {quote(opts.db_table)} "  # noqa: S608 - names from the model
            f"({', '.join(quote(f.column) for f in columns)}) VALUES ")
    tail = (" ON CONFLICT DO NOTHING" if on_conflict_skip else "") + (
        f" RETURNING {quote(opts.pk.column)}" if returning_pk else "")
    # SQLite allows 32,766 parameters in a statement; big group payments write more rows than that.
    per_statement = max(1, min(5000, 30000 // len(columns)))
    for first in range(0, len(rows), per_statement):
        chunk = rows[first:first + per_statement]
        values: list = []
        for row in chunk:
            if len(row) != len(given):
                raise ValueError(f"{opts.label}: expected {len(given)} values, got {len(row)}")
            values += [value if i in raw else field.get_db_prep_save(value, connection)
                       for i, (field, value) in enumerate(zip(given, row, strict=True))]
            values += [f.get_db_prep_save(f.get_default(), connection) for f in per_row]
            values += fixed
        yield head + ", ".join([one] * len(chunk)) + tail, values


def _insert_arrays(model, fields, rows, prepared, on_conflict_skip, returning_pk):
    """INSERT … SELECT * FROM unnest(%s::type[], …): one array per column, rows in the given order."""
    opts = model._meta
    given = [opts.get_field(name) for name in fields]
    now = timezone.now()
    missing = [f for f in opts.concrete_fields if f not in given and not f.primary_key]
    quote = connection.ops.quote_name
    for first in range(0, len(rows), 5000):
        chunk = rows[first:first + 5000]
        columns, arrays = [], []
        for i, field in enumerate(given):
            raw = field.name in prepared
            columns.append(field)
            arrays.append([row[i] if raw else field.get_db_prep_save(row[i], connection) for row in chunk])
        for field in missing:
            columns.append(field)
            if field.has_default() and callable(field.default):
                arrays.append([field.get_db_prep_save(field.get_default(), connection) for _row in chunk])
            else:
                value = now if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False) \
                    else field.get_default()
                arrays.append([field.get_db_prep_save(value, connection)] * len(chunk))
        casts = ", ".join(f"%s::{_array_type(f)}" for f in columns)
        sql = (f"INSERT INTO {quote(opts.db_table)} ({', '.join(quote(f.column) for f in columns)}) "  # noqa: S608
               f"SELECT * FROM unnest({casts})"
               + (" ON CONFLICT DO NOTHING" if on_conflict_skip else "")
               + (f" RETURNING {quote(opts.pk.column)}" if returning_pk else ""))
        yield sql, arrays


def _array_type(field) -> str:
    return field.db_type(connection) + "[]"  # a foreign key's is its target's column type


def chunks(items: Sequence, size: int = 5000):
    """Slices for IN (...) lists that stay under every database's parameter limit."""
    for first in range(0, len(items), size):
        yield items[first:first + size]
