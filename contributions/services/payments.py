"""Payment orders, confirmations from the provider, and the append-only ledger."""

from __future__ import annotations

import datetime as dt
import json
import logging
import secrets
from dataclasses import dataclass, replace
from typing import cast

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Field, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from contributions.locks import bills_for_update, members_for_update, members_lock, order_for_update, payment_lock
from contributions.models import (
    Bill,
    BillStatus,
    EntryKind,
    LedgerEntry,
    OrderStatus,
    Payment,
    PaymentOrder,
    PaymentOrderLine,
)
from contributions.providers import get_provider
from contributions.services.billing import bill_for_month, bills_create_for_members, first_bill_due_date
from contributions.transitions import ORDER, bills_pay_locked, payment_order_pay, payment_orders_status_transition_where
from core.models import Channel as MessageChannel
from core.models import User
from core.money import format_idr
from core.services import (
    audit_event_record,
    audit_events_spec,
    audit_type,
    notifications_deliver_after_commit,
    notifications_spec,
)
from core.sql import InsertSpec, chunks, insert_rows, insert_together, placeholders
from members.models import Member, MemberStatus
from members.transitions import member_statuses_transition_locked
from reference.duedates import add_months

logger = logging.getLogger(__name__)


class PaymentRefused(Exception):
    """A confirmation the portal will not credit. `code` goes into the API error."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def months_to_pay(*, member: Member, count: int, today: dt.date | None = None) -> list[dt.date]:
    """Unpaid months first, oldest first (at most ARREARS_MONTHS back), then the current month, then ahead."""
    today = today or timezone.localdate()
    current = today.replace(day=1)
    earliest = max(add_months(current, -settings.ARREARS_MONTHS), member.billing_start or current)
    unpaid = list(
        Bill.objects.filter(member=member, status=BillStatus.OPEN, month__gte=earliest, month__lte=current)
        .order_by("month").values_list("month", flat=True)
    )
    paid_or_void = set(
        Bill.objects.filter(member=member, month__gte=current).exclude(status=BillStatus.OPEN)
        .values_list("month", flat=True)
    )
    months = list(unpaid)
    month = current
    while len(months) < count:
        if month not in months and month not in paid_or_void:
            months.append(month)
        month = add_months(month, 1)
    return months[:count]


def payment_order_create(
    *, member: Member, months_count: int, payer: User, today: dt.date | None = None
) -> PaymentOrder:
    """An order for one member (the member paying, or anyone paying for them)."""
    return payment_order_create_for_many(items=[(member, months_count)], payer=payer, today=today)


def payment_order_create_for_many(
    *, items: list[tuple[Member, int]], payer: User, today: dt.date | None = None, provider_name: str = "simulator"
) -> PaymentOrder:
    """One checkout for one or many members, each for 1, 3, 6 or 12 months. Prices come from the bills (created
    now for months not billed yet), so the order's amount is exactly the bills' total; the provider issues one
    virtual account and one QRIS code for it."""
    if not items or len({m.pk for m, _n in items}) != len(items):
        raise ValueError("one line per member, at least one")
    for member, months_count in items:
        if months_count not in settings.PAYMENT_MONTH_CHOICES:
            raise ValueError("months_count must be one of PAYMENT_MONTH_CHOICES")
        if member.status in (MemberStatus.LAPSED, MemberStatus.CLOSED):
            raise PaymentRefused("member_not_payable",
                                 _("This membership is not active; it must be reactivated first.") + f" ({member.kpj})")
    provider = get_provider(provider_name)
    with transaction.atomic():
        members_lock(member_ids=[m.pk for m, _n in items])
        lines = []
        for member, months_count in items:
            months = months_to_pay(member=member, count=months_count, today=today)
            bills = [bill_for_month(member=member, month=m, today=today) for m in months]
            lines.append(PaymentOrderLine(member=member, months=[f"{m:%Y-%m}" for m in months],
                                          amount_idr=sum(b.total_idr for b in bills)))
        amount = sum(line.amount_idr for line in lines)
        reference = secrets.token_hex(6).upper()
        for _attempt in range(5):
            issued = provider.issue(amount_idr=amount, reference=reference)
            if not PaymentOrder.objects.filter(va_number=issued.va_number).exists():
                break
        single = items[0][0] if len(items) == 1 else None
        order = PaymentOrder.objects.create(
            member=single, payer=payer, months=lines[0].months if single else [], amount_idr=amount,
            provider=provider.name, va_number=issued.va_number, qris_payload=issued.qris_payload,
            expires_at=timezone.now() + dt.timedelta(hours=settings.PAYMENT_ORDER_TTL_HOURS),
        )
        for line in lines:
            line.order = order
        PaymentOrderLine.objects.bulk_create(lines)
        audit_event_record(actor=payer, action="payment_order.created", obj=order, changes={
            "lines": [{"member": line.member.kpj, "months": line.months, "amount_idr": line.amount_idr}
                      for line in lines],
            "amount_idr": amount,
        })
    return order


def payment_order_create_from_set(
    *, items: tuple[str, list], payer: User, today: dt.date, changes: dict | None = None,
    provider_name: str = "simulator",
) -> PaymentOrder:
    """payment_order_create_for_many for a set given in SQL, as large as a city's list of workers: `items` is a
    SELECT of (member_id, months), one row per member, months in PAYMENT_MONTH_CHOICES. The members are new (no
    bills yet, as after a bulk registration): each is billed from this month for its months (set-based, one statement
    per month, the first month due on first_bill_due_date), then one order with a line per member whose amount is
    the sum of that member's bills. Runs in the caller's transaction. Its audit event counts the lines instead of
    listing them. Agreement with payment_order_create_for_many: tests/contributions/test_payments_from_set.py."""
    items_sql, items_params = items
    start = today.replace(day=1)
    bill_table, line_table = Bill._meta.db_table, PaymentOrderLine._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT DISTINCT s.months FROM ({items_sql}) s", items_params)  # noqa: S608
        groups = sorted(months for (months,) in cursor.fetchall())
    if not groups:
        raise ValueError("an order needs at least one member")
    for k in range(max(groups)):
        month = add_months(start, k)
        bills_create_for_members(
            month=month, due_date=first_bill_due_date(month, today) if k == 0 else None,
            members=(f"m.id IN (SELECT s.member_id FROM ({items_sql}) s WHERE s.months > %s)",  # noqa: S608
                     [*items_params, k]))
    adapt = connection.ops.adapt_datefield_value
    totals = []
    with connection.cursor() as cursor:
        for months in groups:
            wanted = [add_months(start, k) for k in range(months)]
            cursor.execute(
                f"SELECT COALESCE(SUM(b.total_idr), 0), COUNT(DISTINCT r.member_id) FROM ({items_sql}) r "  # noqa: S608
                f"JOIN {bill_table} b ON b.member_id = r.member_id WHERE r.months = %s "
                f"AND b.month IN ({placeholders(months)})", [*items_params, months, *(adapt(m) for m in wanted)])
            total, count = cursor.fetchone()
            totals.append((months, wanted, int(total), count))  # PostgreSQL's SUM of bigint is numeric
    amount = sum(total for _m, _w, total, _n in totals)
    provider = get_provider(provider_name)
    issued = provider.issue(amount_idr=amount, reference=secrets.token_hex(6).upper())
    order = PaymentOrder.objects.create(
        member=None, payer=payer, months=[], amount_idr=amount, provider=provider.name, va_number=issued.va_number,
        qris_payload=issued.qris_payload,
        expires_at=timezone.now() + dt.timedelta(hours=settings.PAYMENT_ORDER_TTL_HOURS))
    months_field = PaymentOrderLine._meta.get_field("months")
    with connection.cursor() as cursor:
        for months, wanted, _total, _n in totals:
            cursor.execute(
                f"INSERT INTO {line_table} (order_id, member_id, months, amount_idr) "  # noqa: S608
                f"SELECT %s, r.member_id, %s, SUM(b.total_idr) FROM ({items_sql}) r JOIN {bill_table} b "
                f"ON b.member_id = r.member_id WHERE r.months = %s AND b.month IN ({placeholders(months)}) "
                "GROUP BY r.member_id",
                [order.pk, months_field.get_db_prep_save([f"{m:%Y-%m}" for m in wanted], connection),
                 *items_params, months, *(adapt(m) for m in wanted)])
        lines = order.lines.aggregate(n=Count("id"), total=Sum("amount_idr"))
        if lines["total"] == amount:
            cursor.execute(f"SELECT COUNT(*) FROM ({items_sql}) s", items_params)  # noqa: S608
            expected = cursor.fetchone()[0]
    if lines["total"] != amount or lines["n"] != expected:
        raise RuntimeError(f"order {order.pk} from a set: lines {lines} do not make the order's {amount}")
    audit_event_record(actor=payer, action="payment_order.created", obj=order, changes={
        **(changes or {}), "members": lines["n"], "amount_idr": amount})
    return order


@dataclass
class Confirmation:
    payment: Payment
    replay: bool


_RECEIPT_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: people read receipts out on the phone


def _receipt_number() -> str:
    """BPU, the day, ten random characters (50 bits): a million payments a day collide once in about 2,000 days,
    and the insert draws again when they do."""
    # 32 letters: each random byte's low five bits pick one without bias (auto-debit draws a million at a time).
    return "BPU" + timezone.localdate().strftime("%y%m%d") + "".join(
        _RECEIPT_ALPHABET[b & 31] for b in secrets.token_bytes(10))


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


# Table names for the statements below: constants, never input.
_ORDER, _LINE, _MEMBER = PaymentOrder._meta.db_table, PaymentOrderLine._meta.db_table, Member._meta.db_table
_BILL, _LEDGER, _PAYMENT = Bill._meta.db_table, LedgerEntry._meta.db_table, Payment._meta.db_table


def _payment_id(provider: str, reference: str) -> int | None:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM {_PAYMENT} WHERE provider = %s AND provider_reference = %s",  # noqa: S608
                       [provider, reference])
        row = cursor.fetchone()
    return row[0] if row else None


def _replay(payment_id: int) -> Confirmation:
    return Confirmation(Payment.objects.get(pk=payment_id), replay=True)


@dataclass
class _Line:
    member_id: int
    months: list[str]
    amount_idr: int
    member_status: str
    kpj: str
    phone: str


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


@dataclass
class _Received:
    """A payment just inserted, to be booked: its ledger rows, its bills paid, its audit event and receipt SMS."""

    payment_id: int
    receipt: str
    amount_idr: int
    member_id: int | None  # on the `received` entry; None for a group payment
    paid_at: dt.datetime
    lines: list[_Line]
    audit: dict


def _book(cursor, *, received: list[_Received], bills: dict[int, list[tuple[int, dt.date, int, int]]],
          transition_reason: str, as_arrays: bool = False, audit: list[tuple] | None = None) -> None:
    """Allocates each payment to its lines' open bills (from _open_bills, locked), marks paid bills, moves first
    payers to active, and writes ledger, audit and receipt SMS rows together. Bills of a member paid by two
    payments in one call are shared: the second sees what the first allocated. `audit` holds the caller's own
    events (its order or attempts paid), written with these."""
    entries: list[tuple] = []
    paid_bills: dict[dt.datetime, list[int]] = {}
    audit = list(audit or [])
    transitions: dict[int, str] = {}
    messages: list[tuple] = []
    for item in received:
        entries.append((EntryKind.RECEIVED, item.member_id, None, item.amount_idr, "", item.payment_id))
        for line in item.lines:
            member_bills = bills.get(line.member_id, [])
            line_entries, line_paid = _allocate(line=line, bills=member_bills)
            entries += [(*entry, item.payment_id) for entry in line_entries]
            paid_bills.setdefault(item.paid_at, []).extend(line_paid)
            if len(received) > 1 and line_entries:
                taken = {e[2]: e[3] for e in line_entries if e[0] == EntryKind.ALLOCATION}
                bills[line.member_id] = [(b, m, total, done + taken.get(b, 0)) for b, m, total, done in member_bills]
            if line.member_status == MemberStatus.REGISTERED:
                transitions[line.member_id] = line.member_status
            messages.append((MessageChannel.SMS, str(line.phone), _(
                "We received %(amount)s for KPJ %(kpj)s. Receipt %(receipt)s. Thank you.") % {
                "amount": format_idr(line.amount_idr), "kpj": line.kpj, "receipt": item.receipt}, "receipt"))
        audit.append(("payment.received", audit_type(Payment), item.payment_id, item.audit, ""))
    for paid_at, ids in paid_bills.items():
        bills_pay_locked(ids=ids, paid_at=paid_at, audit_into=audit)
    member_statuses_transition_locked(members=list(transitions.items()), to=MemberStatus.ACTIVE, actor=None,
                                      reason=transition_reason, audit_into=audit)
    specs = [InsertSpec(LedgerEntry, ("kind", "member", "bill", "amount_idr", "note", "payment"), entries),
             audit_events_spec(actor_id=None, events=audit), notifications_spec(messages=messages)]
    if as_arrays:  # thousands of payments at once (auto-debit): one array per column, see core.sql
        specs = [replace(spec, as_arrays=True, prepared=[  # plain values: only JSON needs adapting
            name for name in spec.fields
            if cast(Field, spec.model._meta.get_field(name)).get_internal_type() != "JSONField"])
            for spec in specs]
    insert_together(*specs)  # ledger, audit and receipt SMS: one round trip on PostgreSQL


_PAYMENT_FIELDS = ("order", "member", "provider", "provider_reference", "channel", "amount_idr", "paid_at",
                   "received_at", "receipt_number")


def _payments_insert_many(*, provider: str, channel: str, rows: list[tuple[int, str, int, dt.datetime]]
                          ) -> list[tuple[int, str] | None]:
    """Payments of one member each (member, provider reference, amount, paid at), with fresh receipt numbers, in
    one INSERT per few thousand; returns (pk, receipt) per row, or None where the provider reference was already
    recorded (a replay). A drawn receipt number already used is drawn again, as in payment_confirm."""
    now = timezone.now()
    result: list[tuple[int, str] | None] = [None] * len(rows)
    pending = list(range(len(rows)))
    for _attempt in range(5):
        receipts = {i: _receipt_number() for i in pending}
        pks = insert_rows(Payment, _PAYMENT_FIELDS, [
            (None, rows[i][0], provider, rows[i][1], channel, rows[i][2], rows[i][3], now, receipts[i])
            for i in pending], returning_pk=True, on_conflict_skip=True, as_arrays=True,
            prepared=_PAYMENT_FIELDS if connection.vendor == "postgresql" else ())  # SQLite stores times as UTC text
        if len(pks) == len(pending):
            for i, pk in zip(pending, pks, strict=True):
                result[i] = (pk, receipts[i])
            return result
        found = {}
        with connection.cursor() as cursor:
            for some in chunks(pending):
                cursor.execute(f"SELECT provider_reference, id, receipt_number FROM {_PAYMENT} "  # noqa: S608
                               f"WHERE provider = %s AND provider_reference IN ({placeholders(len(some))})",
                               [provider, *(rows[i][1] for i in some)])
                found.update({ref: (pk, receipt) for ref, pk, receipt in cursor.fetchall()})
        again = []
        for i in pending:
            hit = found.get(rows[i][1])
            if hit is None:
                again.append(i)  # its receipt number clashed: draw again
            elif hit[1] == receipts[i]:
                result[i] = hit
        pending = again
        if not pending:
            return result
    raise RuntimeError("no free receipt number in 5 draws")


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


def _open_bills(cursor, lines: list[_Line]) -> dict[int, list[tuple[int, dt.date, int, int]]]:
    """The open bills of the order's months, locked, with what is already allocated to each:
    {member pk: [(bill pk, month, total, allocated)]}. Only payment_confirm allocates, under the member lock this
    transaction holds, so the sums are current. By member id, a few thousand at a time (a local government's
    invoice can hold a hundred thousand members): the (member, status, month) index finds them directly, whatever
    the number of open bills of the month elsewhere."""
    payable = [line for line in lines if line.member_status in (MemberStatus.REGISTERED, MemberStatus.ACTIVE)]
    wanted = {(line.member_id, dt.date(int(m[:4]), int(m[5:7]), 1)) for line in payable for m in line.months}
    if not wanted:
        return {}
    months = sorted({month for _id, month in wanted})
    bills: dict[int, list] = {}
    head = (f"SELECT b.id, b.member_id, b.month, b.total_idr, COALESCE((SELECT SUM(e.amount_idr) FROM {_LEDGER} e "  # noqa: S608
            f"WHERE e.bill_id = b.id AND e.kind = %s), 0) FROM {_BILL} b ")
    for member_ids in chunks(sorted({member_id for member_id, _m in wanted})):
        if connection.vendor == "postgresql":
            # Joined to the ids, not `member_id = ANY(…)`: with consecutive ids (a batch of auto-debits) PostgreSQL
            # walked the whole bill primary key for ORDER BY id and filtered it, 15 times slower than by member.
            cursor.execute(f"{head}INNER JOIN unnest(%s::bigint[]) AS w(member_id) ON b.member_id = w.member_id "
                           f"WHERE b.month = ANY(%s::date[]) AND b.status = %s {bills_for_update('b')}",
                           [EntryKind.ALLOCATION, list(member_ids), months, BillStatus.OPEN])
        else:
            cursor.execute(
                f"{head}WHERE b.member_id IN ({placeholders(len(member_ids))}) "
                f"AND b.month IN ({placeholders(len(months))}) AND b.status = %s {bills_for_update('b')}",
                [EntryKind.ALLOCATION, *member_ids, *(connection.ops.adapt_datefield_value(m) for m in months),
                 BillStatus.OPEN])
        for bill_id, member_id, month, total, allocated in cursor.fetchall():
            if isinstance(month, str):
                month = dt.date.fromisoformat(month)
            if (member_id, month) in wanted:
                bills.setdefault(member_id, []).append((bill_id, month, total, int(allocated)))
    return bills


def _allocate(*, line: _Line, bills: list[tuple[int, dt.date, int, int]]) -> tuple[list[tuple], list[int]]:
    """Oldest month first; what a month no longer needs (paid meanwhile, or the member lapsed) becomes credit.

    Returns the line's ledger rows (kind, member, bill, amount, note) and the bills it pays in full."""
    remaining = line.amount_idr
    entries: list[tuple] = []
    paid: list[int] = []
    for bill_id, _month, total, already in sorted(bills, key=lambda b: b[1]):
        amount = min(remaining, total - already)
        if amount <= 0:
            continue
        entries.append((EntryKind.ALLOCATION, line.member_id, bill_id, amount, ""))
        remaining -= amount
        if already + amount == total:
            paid.append(bill_id)
    if remaining > 0:
        entries.append((EntryKind.CREDIT, line.member_id, None, remaining,
                        "not needed by the order's months; held for the member"))
    return entries, paid


def payment_refund(
    *, payment: Payment, amount_idr: int, actor: User, reason: str, member: Member | None = None
) -> LedgerEntry:
    """Pays back credit a member holds from this payment (money still unallocated)."""
    member = member or payment.member
    if member is None:
        raise ValueError("a group payment's refund names the member whose credit is refunded")
    with transaction.atomic():
        payment_lock(payment_id=payment.pk)
        held = credit_held(payment=payment, member=member)
        if amount_idr <= 0 or amount_idr > held:
            raise ValueError(f"refund {amount_idr} exceeds the credit held ({held})")
        entry = LedgerEntry.objects.create(kind=EntryKind.REFUND, payment=payment, member=member,
                                           amount_idr=amount_idr, from_credit=True, note=reason[:200])
        audit_event_record(actor=actor, action="payment.refunded", obj=payment,
                           changes={"amount_idr": amount_idr, "member": member.kpj}, reason=reason)
        return entry


def credit_held(*, payment: Payment, member: Member | None = None) -> int:
    entries = payment.entries.all() if member is None else payment.entries.filter(member=member)
    sums = {
        (row["kind"], row["from_credit"]): row["total"]
        for row in entries.values("kind", "from_credit").annotate(total=Sum("amount_idr"))
    }
    credit = sums.get((EntryKind.CREDIT, False), 0)
    used = sums.get((EntryKind.ALLOCATION, True), 0) + sums.get((EntryKind.REFUND, True), 0)
    return credit - used


def payment_orders_expire(*, now: dt.datetime | None = None) -> int:
    """Pending orders past their expiry become expired, set-based, with an audit event each."""
    now = now or timezone.now()
    return len(payment_orders_status_transition_where(rows=PaymentOrder.objects.filter(expires_at__lt=now),
                                                      to=OrderStatus.EXPIRED, actor=None))
