"""Hand-written statements for hot paths (the payment webhook), portable between SQLite and PostgreSQL.

The ORM spends more time compiling a small query than the database spends running it; where a request makes a
dozen of them hundreds of times a second, these helpers write the SQL once and still adapt values exactly as the
ORM would (each field's own get_db_prep_save), so dates, JSON and time zones are stored the same way.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection
from django.db.models import Model


def lock_clause(of: str | None = None) -> str:
    """ "FOR UPDATE" (of one table alias where the database can), or nothing where it cannot lock rows (SQLite,
    whose transactions take the whole database)."""
    features = connection.features
    if not features.has_select_for_update:
        return ""
    return connection.ops.for_update_sql(of=(of,) if of and features.has_select_for_update_of else ())


def placeholders(count: int) -> str:
    return ", ".join(["%s"] * count)


def insert_rows(model: type[Model], fields: Sequence[str], rows: Sequence[Sequence], *,
                returning_pk: bool = False) -> list[int]:
    """One INSERT of many rows; with returning_pk, the new primary keys in row order."""
    if not rows:
        return []
    opts = model._meta
    columns = [opts.get_field(name) for name in fields]
    values: list = []
    for row in rows:
        if len(row) != len(columns):
            raise ValueError(f"{opts.label}: expected {len(columns)} values, got {len(row)}")
        values += [field.get_db_prep_save(value, connection) for field, value in zip(columns, row, strict=True)]
    one = f"({placeholders(len(columns))})"
    sql = (f"INSERT INTO {connection.ops.quote_name(opts.db_table)} "  # noqa: S608 - names from the model
           f"({', '.join(connection.ops.quote_name(f.column) for f in columns)}) VALUES {', '.join([one] * len(rows))}")
    if returning_pk:
        sql += f" RETURNING {connection.ops.quote_name(opts.pk.column)}"
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        return [row[0] for row in cursor.fetchall()] if returning_pk else []
