"""The status fields of contributions (bill, payment order, debit mandate, debit attempt): each one's allowed moves,
written once, and the only statements that change them (core.transitions).

Each field has a row function (`<thing>_status_transition`) and a set-based one (`<things>_status_transition_where`,
its WHERE status IN (…) from the same table). The payment webhook and the auto-debit run keep their own pinned
statements, written here with their status lists and audit rows taken from the gate.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.db.models import QuerySet

from contributions.models import (
    AttemptStatus,
    Bill,
    BillStatus,
    DebitAttempt,
    DebitMandate,
    MandateStatus,
    OrderStatus,
    PaymentOrder,
)
from core.models import User
from core.sql import chunks, in_list, placeholders
from core.transitions import Gate, transition_locked, transition_row, transition_where

BILL_TRANSITIONS: dict[str, frozenset[str]] = {
    BillStatus.OPEN: frozenset({BillStatus.PAID, BillStatus.VOID}),  # void: cancelled when a lapsed member returns
    BillStatus.PAID: frozenset(),  # a month refunded with a claim stays paid: the refund is a ledger entry
    BillStatus.VOID: frozenset(),
}
ORDER_TRANSITIONS: dict[str, frozenset[str]] = {
    OrderStatus.PENDING: frozenset({OrderStatus.PAID, OrderStatus.EXPIRED}),
    # marked expired by the sweep, yet paid before its expiry time (the provider's confirmation came late)
    OrderStatus.EXPIRED: frozenset({OrderStatus.PAID}),
    OrderStatus.PAID: frozenset(),
}
MANDATE_TRANSITIONS: dict[str, frozenset[str]] = {
    MandateStatus.ACTIVE: frozenset({MandateStatus.SUSPENDED, MandateStatus.REVOKED}),
    MandateStatus.SUSPENDED: frozenset({MandateStatus.REVOKED}),
    MandateStatus.REVOKED: frozenset(),
}
ATTEMPT_TRANSITIONS: dict[str, frozenset[str]] = {
    AttemptStatus.SCHEDULED: frozenset({AttemptStatus.PROCESSING, AttemptStatus.SKIPPED, AttemptStatus.SUCCEEDED}),
    # processing -> processing: a try left by a dead run, sent again with the same key; -> skipped: repriced to
    # nothing due, or above the mandate's maximum, before it was sent
    AttemptStatus.PROCESSING: frozenset({AttemptStatus.PROCESSING, AttemptStatus.SUCCEEDED, AttemptStatus.SCHEDULED,
                                         AttemptStatus.FAILED, AttemptStatus.SKIPPED}),
    AttemptStatus.FAILED: frozenset({AttemptStatus.SUCCEEDED}),  # the money was taken after all (a late callback)
    AttemptStatus.SKIPPED: frozenset(),
    AttemptStatus.SUCCEEDED: frozenset(),
}
# The run's own try cycle writes no audit event: a million rows a run, and the attempt keeps it (tries, claimed_at,
# last_outcome, next_try_at). Its outcomes (succeeded, failed, skipped) are audited.
ATTEMPT_TRY_CYCLE = frozenset({(AttemptStatus.SCHEDULED, AttemptStatus.PROCESSING),
                               (AttemptStatus.PROCESSING, AttemptStatus.PROCESSING),
                               (AttemptStatus.PROCESSING, AttemptStatus.SCHEDULED)})

BILL = Gate(Bill, BILL_TRANSITIONS, action="bill.{to}")
ORDER = Gate(PaymentOrder, ORDER_TRANSITIONS, action="payment_order.{to}")
MANDATE = Gate(DebitMandate, MANDATE_TRANSITIONS, action="debit_mandate.{to}")
ATTEMPT = Gate(DebitAttempt, ATTEMPT_TRANSITIONS, action="debit_attempt.{to}", quiet=ATTEMPT_TRY_CYCLE)

# For docs/states.md (scripts/states_doc.py): every gate of this app.
TRANSITION_TABLES = {gate.label: gate.table for gate in (BILL, ORDER, MANDATE, ATTEMPT)}

_ORDER, _ATTEMPT = PaymentOrder._meta.db_table, DebitAttempt._meta.db_table


def _actor_id(actor: User | None) -> int | None:
    return actor.pk if actor is not None else None


# Bills.

def bill_status_transition(*, bill_id: int, to: str, actor: User | None, reason: str = "", **fields: Any
                           ) -> str | None:
    return transition_row(BILL, pk=bill_id, to=to, actor=actor, reason=reason, **fields)


def bills_status_transition_where(*, rows: QuerySet | Sequence[int], to: str, actor: User | None, reason: str = "",
                                  audit_into: list | None = None, **fields: Any) -> list[tuple[int, str]]:
    return transition_where(BILL, rows=rows, to=to, actor_id=_actor_id(actor), reason=reason,
                            audit_into=audit_into, **fields)


def bills_pay_locked(*, ids: Sequence[int], paid_at: dt.datetime, audit_into: list) -> list[int]:
    """Open bills the payment holds locked, paid in full (the webhook's and the auto-debit's hot path)."""
    return transition_locked(BILL, ids=ids, before=BillStatus.OPEN, to=BillStatus.PAID, actor_id=None,
                             audit_into=audit_into, paid_at=paid_at)


# Payment orders.

def payment_order_status_transition(*, order_id: int, to: str, actor: User | None, reason: str = "",
                                    **fields: Any) -> str | None:
    return transition_row(ORDER, pk=order_id, to=to, actor=actor, reason=reason, **fields)


def payment_orders_status_transition_where(*, rows: QuerySet | Sequence[int], to: str, actor: User | None,
                                           reason: str = "", audit_into: list | None = None, **fields: Any
                                           ) -> list[tuple[int, str]]:
    return transition_where(ORDER, rows=rows, to=to, actor_id=_actor_id(actor), reason=reason,
                            audit_into=audit_into, **fields)


def payment_order_pay(cursor, *, before: str, va_number: str, provider: str, amount_idr: int,
                      paid_at: dt.datetime) -> tuple[int, int | None, int] | None:
    """The webhook's one statement: locks the order and marks it paid if it is in `before`, unexpired at paid_at and
    of this amount. Returns (order, member, payer), or None when it is not payable so. A confirmation committing
    meanwhile makes PostgreSQL re-check the row after the wait: it is paid by then. Its audit event:
    ORDER.events([(order, before)], to=OrderStatus.PAID)."""
    ORDER.check(before, OrderStatus.PAID)
    at = connection.ops.adapt_datetimefield_value(paid_at)
    cursor.execute(f"UPDATE {_ORDER} SET status = %s, paid_at = %s WHERE va_number = %s AND provider = %s "  # noqa: S608
                   f"AND status = %s AND expires_at >= %s AND amount_idr = %s RETURNING id, member_id, payer_id",
                   [OrderStatus.PAID, at, va_number, provider, before, at, amount_idr])
    return cursor.fetchone()


# Debit mandates.

def debit_mandate_status_transition(*, mandate_id: int, to: str, actor: User | None, reason: str = "",
                                    **fields: Any) -> str | None:
    return transition_row(MANDATE, pk=mandate_id, to=to, actor=actor, reason=reason, **fields)


def debit_mandates_status_transition_where(*, rows: QuerySet | Sequence[int], to: str, actor: User | None,
                                           reason: str = "", audit_into: list | None = None, audit: bool = True,
                                           **fields: Any) -> list[tuple[int, str]]:
    return transition_where(MANDATE, rows=rows, to=to, actor_id=_actor_id(actor), reason=reason,
                            audit_into=audit_into, audit=audit, **fields)


# Debit attempts.

def debit_attempt_status_transition(*, attempt_id: int, to: str, actor: User | None, reason: str = "",
                                    **fields: Any) -> str | None:
    return transition_row(ATTEMPT, pk=attempt_id, to=to, actor=actor, reason=reason, **fields)


def debit_attempts_status_transition_where(*, rows: QuerySet | Sequence[int], to: str, actor: User | None,
                                           reason: str = "", audit_into: list | None = None, **fields: Any
                                           ) -> list[tuple[int, str]]:
    return transition_where(ATTEMPT, rows=rows, to=to, actor_id=_actor_id(actor), reason=reason,
                            audit_into=audit_into, **fields)


def debit_attempts_status_transition_locked(*, ids: Sequence[int], before: str, to: str, reason: str = "",
                                            **fields: Any) -> list[int]:
    """Attempts the run holds locked in `before` (a batch's answers), by the system."""
    return transition_locked(ATTEMPT, ids=ids, before=before, to=to, actor_id=None, reason=reason, **fields)


def debit_attempts_send(cursor, *, claimed: Sequence[tuple[int, str, int, Any, int]], at: Any, locked: bool,
                        resend_outcome: str) -> set[int]:
    """The run's claim: attempts marked processing (sent), with the try number they go out with. `claimed` holds
    (id, status read, tries read, updated_at read, tries to send); `at` is adapted already. Rows the caller
    `locked` (PostgreSQL, SKIP LOCKED) change in one statement per chunk (a fresh try gets tries + 1; a resend, in
    processing or scheduled after `resend_outcome`, keeps its number); otherwise each row changes only if it is
    still as read (another process may have taken it).
    Returns the ids taken. Part of the try cycle: no audit event."""
    sources = ATTEMPT.sources(AttemptStatus.PROCESSING)
    if locked:
        for some in chunks(list(claimed)):
            ids_sql, ids = in_list("id", [c[0] for c in some])
            cursor.execute(
                f"UPDATE {_ATTEMPT} SET tries = CASE WHEN status = %s AND last_outcome <> %s THEN tries + 1 "  # noqa: S608
                f"ELSE tries END, status = %s, claimed_at = %s, updated_at = %s WHERE {ids_sql} "
                f"AND status IN ({placeholders(len(sources))})",
                [AttemptStatus.SCHEDULED, resend_outcome, AttemptStatus.PROCESSING, at, at, *ids, *sources])
        return {c[0] for c in claimed}
    taken = set()
    for pk, status, tries_read, updated_at, tries in claimed:
        if status not in sources:
            continue
        cursor.execute(f"UPDATE {_ATTEMPT} SET tries = %s, status = %s, claimed_at = %s, updated_at = %s "  # noqa: S608
                       f"WHERE id = %s AND status = %s AND tries = %s AND updated_at = %s",
                       [tries, AttemptStatus.PROCESSING, at, at, pk, status, tries_read, updated_at])
        if cursor.rowcount:
            taken.add(pk)
    return taken


def debit_attempts_succeed(cursor, *, done: Sequence[tuple[int, str, str, int]], at: Any) -> None:
    """Charged attempts the run holds locked, marked paid with their charge and payment: `done` holds (id, status
    before, provider reference, payment id); `at` is adapted already. Their audit events:
    ATTEMPT.events(…, to=AttemptStatus.SUCCEEDED), written by the caller with the payments'."""
    for _pk, before, _ref, _pay in done:
        ATTEMPT.check(before, AttemptStatus.SUCCEEDED)
    if connection.vendor == "postgresql":
        cursor.execute(
            f"UPDATE {_ATTEMPT} a SET status = %s, last_outcome = 'success', next_try_at = NULL, "  # noqa: S608
            f"updated_at = %s, provider_reference = v.ref, payment_id = v.pay FROM (SELECT unnest(%s::bigint[]) "
            f"AS id, unnest(%s::text[]) AS ref, unnest(%s::bigint[]) AS pay, unnest(%s::text[]) AS before) v "
            f"WHERE a.id = v.id AND a.status = v.before",
            [AttemptStatus.SUCCEEDED, at, [d[0] for d in done], [d[2] for d in done], [d[3] for d in done],
             [d[1] for d in done]])
    else:
        cursor.executemany(
            f"UPDATE {_ATTEMPT} SET status = %s, last_outcome = 'success', next_try_at = NULL, "  # noqa: S608
            f"updated_at = %s, provider_reference = %s, payment_id = %s WHERE id = %s AND status = %s",
            [(AttemptStatus.SUCCEEDED, at, ref, pay, pk, before) for pk, before, ref, pay in done])
