"""Confirmations from the provider: money paid into an order's virtual account or QRIS, recorded once, or refused."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import cast

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from contributions.locks import members_for_update, order_for_update
from contributions.models import OrderStatus, Payment
from contributions.services.payments.ledger import (
    _LINE,
    _MEMBER,
    _ORDER,
    _PAYMENT,
    _book,
    _Line,
    _open_bills,
    _receipt_number,
    _Received,
)
from contributions.transitions import ORDER, payment_order_pay
from core.services import notifications_deliver_after_commit
from core.sql import insert_rows


class PaymentRefused(Exception):
    """A confirmation the portal will not credit. `code` goes into the API error."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class Confirmation:
    payment: Payment
    replay: bool


def payment_confirm(
    *, provider: str, reference: str, va_number: str, amount_idr: int, channel: str, paid_at: dt.datetime
) -> Confirmation:
    """Records money the provider says was paid into an order's virtual account or QRIS, once.

    A replay of the same provider reference returns the first payment. A wrong amount, an unknown or expired
    order, or an order already paid under another reference is refused and credits nothing.

    The gateway calls this hundreds of times a second, so it talks to the database in a few hand-written statements
    (core.sql) instead of the ORM: ORM query compilation cost more than the database work.
    """
    try:
        with transaction.atomic():
            return _confirm_locked(provider=provider, reference=reference, va_number=va_number,
                                   amount_idr=amount_idr, channel=channel, paid_at=paid_at)
    except _AlreadyRecorded as recorded:
        return _replay(recorded.payment_id)
    except IntegrityError:
        # The same reference committed a moment ago in another request: this one is a replay.
        existing = _payment_id(provider, reference)
        if existing is None:
            raise
        return _replay(existing)


class _AlreadyRecorded(Exception):
    def __init__(self, payment_id: int):
        super().__init__(payment_id)
        self.payment_id = payment_id


def _payment_id(provider: str, reference: str) -> int | None:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM {_PAYMENT} WHERE provider = %s AND provider_reference = %s",  # noqa: S608
                       [provider, reference])
        row = cursor.fetchone()
    return row[0] if row else None


def _replay(payment_id: int) -> Confirmation:
    return Confirmation(Payment.objects.get(pk=payment_id), replay=True)


def _confirm_locked(*, provider: str, reference: str, va_number: str, amount_idr: int, channel: str,
                    paid_at: dt.datetime) -> Confirmation:
    with connection.cursor() as cursor:
        # The usual case in one statement: lock the pending order and mark it paid if it is payable as confirmed.
        before: str = OrderStatus.PENDING
        row = payment_order_pay(cursor, before=before, va_number=va_number, provider=provider,
                                amount_idr=amount_idr, paid_at=paid_at)
        if row is None:
            found = _not_payable(cursor, provider=provider, reference=reference, va_number=va_number,
                                 amount_idr=amount_idr, paid_at=paid_at)
            if isinstance(found, Confirmation):
                return found
            before = found  # locked now, in another status that may become paid (expired by the sweep, paid in time)
            row = payment_order_pay(cursor, before=before, va_number=va_number, provider=provider,
                                    amount_idr=amount_idr, paid_at=paid_at)
        # locked in `before`, a status it may be paid from: the second statement finds it
        order_id, order_member_id, payer_id = cast(tuple[int, int | None, int], row)
        # Lock the members after the order and in pk order: the lapse job and order creation take them the same way.
        cursor.execute(f"SELECT l.member_id, l.months, l.amount_idr, m.status, m.kpj, m.phone FROM {_LINE} l "  # noqa: S608
                       f"INNER JOIN {_MEMBER} m ON m.id = l.member_id WHERE l.order_id = %s "
                       f"{members_for_update('m')}", [order_id])
        lines = [_Line(member_id, json.loads(months) if isinstance(months, str) else months, amount, status, kpj,
                       phone) for member_id, months, amount, status, kpj, phone in cursor.fetchall()]
        bills = _open_bills(cursor, lines)
        now = timezone.now()
        for _attempt in range(5):
            receipt = _receipt_number()
            # DO NOTHING on a clash, so that a clash costs no savepoint on every payment: a drawn receipt number
            # already used is drawn again; this reference already used for another order is a replay.
            inserted = insert_rows(Payment, ("order", "member", "provider", "provider_reference", "channel",
                                             "amount_idr", "paid_at", "received_at", "receipt_number"),
                                   [(order_id, order_member_id, provider, reference, channel, amount_idr, paid_at,
                                     now, receipt)], returning_pk=True, on_conflict_skip=True)
            if inserted:
                break
            existing = _payment_id(provider, reference)
            if existing is not None:
                raise _AlreadyRecorded(existing)  # rolls back the order marked paid above
        else:
            raise RuntimeError("no free receipt number in 5 draws")
        payment_id = inserted[0]
        payment = Payment(id=payment_id, order_id=order_id, member_id=order_member_id, provider=provider,
                          provider_reference=reference, channel=channel, amount_idr=amount_idr, paid_at=paid_at,
                          received_at=now, receipt_number=receipt)
        payment._state.adding, payment._state.db = False, connection.alias
        _book(cursor, received=[_Received(payment_id, receipt, amount_idr, order_member_id, paid_at, lines, {
            "members": [line.kpj for line in lines], "amount_idr": amount_idr, "order": order_id,
            "payer": payer_id})], bills=bills, transition_reason=f"first payment {receipt}",
              audit=ORDER.events([(order_id, before)], to=OrderStatus.PAID))
    notifications_deliver_after_commit(urgent=True)  # the receipt: the payer is waiting for it
    return Confirmation(payment, replay=False)


def _not_payable(cursor, *, provider: str, reference: str, va_number: str, amount_idr: int,
                 paid_at: dt.datetime) -> Confirmation | str:
    """Why the order was not marked paid: a replay (returned), or a refusal (raised); or, for an order in another
    status its gate lets become paid, that status (the row is locked now)."""
    # The reference is the key, whatever else a replay says. A twin that committed while the UPDATE waited for the
    # order's lock is visible to this later statement.
    cursor.execute(f"SELECT o.amount_idr, o.status, o.expires_at < %s, (SELECT p.id FROM {_PAYMENT} p "  # noqa: S608
                   f"WHERE p.provider = %s AND p.provider_reference = %s) FROM {_ORDER} o "
                   f"WHERE o.va_number = %s AND o.provider = %s {order_for_update()}",
                   [connection.ops.adapt_datetimefield_value(paid_at), provider, reference, va_number, provider])
    row = cursor.fetchone()
    if row is None:
        existing = _payment_id(provider, reference)
        if existing is not None:
            return _replay(existing)
        raise PaymentRefused("unknown_account", "no order has this virtual account")
    order_amount, order_status, expired, replayed = row
    if replayed is not None:
        return _replay(replayed)
    if order_status == OrderStatus.PAID:
        raise PaymentRefused("already_paid", "this order was paid under another reference")
    if expired:
        raise PaymentRefused("expired", "the order expired before it was paid")
    if order_amount == amount_idr and ORDER.allows(order_status, OrderStatus.PAID):
        return order_status
    raise PaymentRefused("wrong_amount", f"expected {order_amount}, got {amount_idr}")
