"""The append-only ledger: a payment received gets its receipt number and is allocated to its open bills, oldest
month first (what they do not need is credit), with its audit event and receipt SMS. The provider's confirmation and
auto-debit book payments the same way."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, replace
from typing import cast

from django.db import connection
from django.db.models import Field
from django.utils import timezone
from django.utils.translation import gettext as _

from contributions.locks import bills_for_update
from contributions.models import Bill, BillStatus, EntryKind, LedgerEntry, Payment, PaymentOrder, PaymentOrderLine
from contributions.transitions import bills_pay_locked
from core.models import Channel as MessageChannel
from core.money import format_idr
from core.services import audit_events_spec, audit_type, notifications_spec
from core.sql import InsertSpec, chunks, insert_rows, insert_together, placeholders
from members.models import Member, MemberStatus
from members.transitions import member_statuses_transition_locked

_RECEIPT_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: people read receipts out on the phone


def _receipt_number() -> str:
    """BPU, the day, ten random characters (50 bits): a million payments a day collide once in about 2,000 days,
    and the insert draws again when they do."""
    # 32 letters: each random byte's low five bits pick one without bias (auto-debit draws a million at a time).
    return "BPU" + timezone.localdate().strftime("%y%m%d") + "".join(
        _RECEIPT_ALPHABET[b & 31] for b in secrets.token_bytes(10))


# Table names for this package's statements and auto-debit's: constants, never input.
_ORDER, _LINE, _MEMBER = PaymentOrder._meta.db_table, PaymentOrderLine._meta.db_table, Member._meta.db_table
_BILL, _LEDGER, _PAYMENT = Bill._meta.db_table, LedgerEntry._meta.db_table, Payment._meta.db_table


@dataclass
class _Line:
    member_id: int
    months: list[str]
    amount_idr: int
    member_status: str
    kpj: str
    phone: str


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
