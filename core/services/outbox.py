"""The notification outbox: messages are written in the caller's transaction and a delivery sweep is queued once it
commits."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

from django.conf import settings
from django.db import connection, transaction

from core.models import OutboxMessage, OutboxStatus
from core.publish import task_publish
from core.sql import InsertSpec, insert_rows


def notification_enqueue(
    *, channel: str, recipient: str, body: str, subject: str = "", purpose: str = ""
) -> OutboxMessage:
    """Writes the message in the caller's transaction; delivery is queued only once that commits."""
    message = OutboxMessage.objects.create(
        channel=channel, recipient=recipient, body=body, subject=subject, purpose=purpose
    )
    _deliver_on_commit([message.pk], urgent=purpose in settings.NOTIFICATION_URGENT_PURPOSES)
    return message


NOTIFICATION_MORE_FIELDS = frozenset({"created_at", "subject", "next_attempt_at", "fallback_channel",
                                      "fallback_recipient", "key"})


def _message_fields(more_fields: Sequence[str]) -> tuple[str, ...]:
    if set(more_fields) - NOTIFICATION_MORE_FIELDS:
        raise ValueError(f"not a message field: {sorted(set(more_fields) - NOTIFICATION_MORE_FIELDS)}")
    return ("channel", "recipient", "body", "purpose", *more_fields)


def notifications_enqueue_many(*, messages: Sequence[Sequence], more_fields: Sequence[str] = ()) -> list[int]:
    """notification_enqueue for hot paths and sets: messages are (channel, recipient, body, purpose, *values of
    more_fields), written in one INSERT; returns their ids. more_fields: what a set of messages says beyond the
    single one (reminders: their time, held until morning, a fallback channel), from NOTIFICATION_MORE_FIELDS."""
    ids = insert_rows(OutboxMessage, _message_fields(more_fields), messages, returning_pk=True)
    _deliver_on_commit(ids, urgent=any(m[3] in settings.NOTIFICATION_URGENT_PURPOSES for m in messages))
    return ids


SqlPart = tuple[str, list]


def notification_ids_sql() -> str:
    """An expression giving each row of a SELECT a fresh outbox id, for callers that must know a message's id in the
    statement that writes it (a reminder row points to its message): the id sequence on PostgreSQL; on SQLite, which
    holds the database's write lock for the whole transaction, the ids after the largest."""
    table = OutboxMessage._meta.db_table
    if connection.vendor == "postgresql":
        return f"nextval(pg_get_serial_sequence('{table}', 'id'))"
    return (f"(SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = '{table}'), 0), "  # noqa: S608
            f"COALESCE((SELECT MAX(id) FROM {table}), 0))) + ROW_NUMBER() OVER ()")


def notifications_insert_select_sql(
    *, id_sql: SqlPart, created_at: SqlPart, channel: SqlPart, recipient: SqlPart, body: SqlPart, purpose: SqlPart,
    next_attempt_at: SqlPart, fallback_channel: SqlPart, fallback_recipient: SqlPart, from_sql: SqlPart,
) -> SqlPart:
    """notifications_enqueue_many for a set the caller selects in SQL (reminders: a message per bill, written in
    the statement that records the reminders): the outbox's INSERT … SELECT, each column an expression with its
    parameters over `from_sql` (the FROM … WHERE …). The outbox's own columns (status, attempts, …) are filled
    here. Delivery: the caller calls notifications_deliver_after_commit()."""
    table = OutboxMessage._meta.db_table
    parts = [id_sql, created_at, channel, recipient, ("''", []), body, purpose, ("%s", [OutboxStatus.PENDING]),
             ("0", []), ("''", []), ("''", []), next_attempt_at, ("NULL", []), fallback_channel, fallback_recipient]
    columns = ("id, created_at, channel, recipient, subject, body, purpose, status, attempts, last_error, "
               "provider_reference, next_attempt_at, key, fallback_channel, fallback_recipient")
    sql = (f"INSERT INTO {table} ({columns}) SELECT {', '.join(s for s, _p in parts)} "  # noqa: S608
           f"{from_sql[0]}")
    return sql, [p for _s, params in parts for p in params] + list(from_sql[1])


def notifications_spec(*, messages: Sequence[Sequence], more_fields: Sequence[str] = ()) -> InsertSpec:
    """Outbox rows for insert_together, as notifications_enqueue_many takes them; the caller then calls
    notifications_deliver_after_commit()."""
    return InsertSpec(OutboxMessage, _message_fields(more_fields), messages)


def notifications_deliver_after_commit(*, urgent: bool = False) -> None:
    """urgent: the messages include NOTIFICATION_URGENT_PURPOSES (receipts), swept on the urgent queue too."""
    _deliver_on_commit([], urgent=urgent)


_sweep_lock = threading.Lock()
_sweep_at = float("-inf")  # monotonic time the last queued delivery sweep starts at, in this process
_urgent_sweep_at = float("-inf")  # the same for the urgent sweep


def _deliver_on_commit(ids: list[int], *, urgent: bool = False) -> None:
    """Once the messages are committed, make sure a delivery sweep starts after that moment.

    A busy process (the payment webhook: hundreds of receipts a second) would spend more on publishing one task per
    message than on the payment itself, so it queues at most one sweep per NOTIFICATION_SWEEP_SECONDS: the first
    message after a quiet spell is swept at once, later ones by a sweep due at the end of the interval. A commit
    that finds a sweep still due after it needs nothing more. The minute sweep catches anything a lost task left.

    Codes and receipts (urgent) also get a sweep of their own on the `urgent` queue, which only sends those: a
    bulk import's thousands of welcome messages on the default queue cannot hold up a sign-in code."""
    from core.tasks import notifications_deliver_fresh, notifications_deliver_urgent

    def queue_sweep(kind: bool) -> None:
        global _sweep_at, _urgent_sweep_at
        with _sweep_lock:
            now = time.monotonic()
            due = _urgent_sweep_at if kind else _sweep_at
            if now < due:
                return
            due = max(now, due + settings.NOTIFICATION_SWEEP_SECONDS)
            if kind:
                _urgent_sweep_at = due
            else:
                _sweep_at = due
            countdown = due - now
        # With the broker down nothing is lost: the minute sweep (beat) delivers later.
        task_publish(notifications_deliver_urgent if kind else notifications_deliver_fresh,
                     countdown=countdown or None)

    def queue_sweeps() -> None:
        for kind in (True, False) if urgent else (False,):
            queue_sweep(kind)

    transaction.on_commit(queue_sweeps, robust=True)
