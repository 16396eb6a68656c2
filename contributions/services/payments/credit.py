"""Credit a payment left with a member (money its bills did not need): paying it back, and paying the member's
next open months with it."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from contributions.locks import bills_lock, member_lock, payment_lock, payments_lock
from contributions.models import BillStatus, EntryKind, LedgerEntry, Payment
from contributions.transitions import bills_pay_locked
from core.models import Channel, User
from core.money import format_idr
from core.services import audit_event_record, audit_events_record_many, audit_type, notification_enqueue
from members.models import Member, MemberStatus
from members.transitions import member_statuses_transition_locked


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


def _held_by_payment(*, member_id: int) -> list[tuple[int, int]]:
    """(payment pk, credit this member still holds from it), oldest payment first, only those above zero."""
    rows = (LedgerEntry.objects.filter(member_id=member_id).filter(Q(kind=EntryKind.CREDIT) | Q(from_credit=True))
            .values("payment_id", "kind", "from_credit").annotate(total=Sum("amount_idr")))
    held: dict[int, int] = {}
    for row in rows:
        sign = 1 if row["kind"] == EntryKind.CREDIT and not row["from_credit"] else -1
        held[row["payment_id"]] = held.get(row["payment_id"], 0) + sign * row["total"]
    return [(payment_id, amount) for payment_id, amount in sorted(held.items()) if amount > 0]


def credit_apply(*, member_id: int, paid_at: dt.datetime | None = None) -> list[int]:
    """Credit the member holds pays their open bills, oldest month first, each only when the credit covers all that
    is left of it: a month is never left part-paid by credit, and a later month is not paid before an earlier one.
    The money comes from the payments that hold the credit, oldest first (allocations `from_credit`); the bills
    become paid and a registered member active, audited, and the member is told. Returns the bills paid."""
    paid_at = paid_at or timezone.now()
    with transaction.atomic():
        member = member_lock(member_id=member_id)
        if member.status not in (MemberStatus.REGISTERED, MemberStatus.ACTIVE):
            return []
        bills = sorted(bills_lock(member_id=member.pk, status=BillStatus.OPEN), key=lambda bill: bill.month)
        held = _held_by_payment(member_id=member.pk)
        if not bills or not held:
            return []
        payments_lock(payment_ids=[payment_id for payment_id, _amount in held])
        held = _held_by_payment(member_id=member.pk)  # what the locked payments hold now
        allocated = dict(LedgerEntry.objects.filter(bill__in=bills, kind=EntryKind.ALLOCATION).values("bill_id")
                         .annotate(total=Sum("amount_idr")).values_list("bill_id", "total"))
        entries, paid = [], []
        for bill in bills:
            need = bill.total_idr - allocated.get(bill.pk, 0)
            if need > sum(amount for _payment, amount in held):
                break
            for index, (payment_id, amount) in enumerate(held):
                take = min(need, amount)
                if take <= 0:
                    continue
                entries.append(LedgerEntry(kind=EntryKind.ALLOCATION, payment_id=payment_id, member_id=member.pk,
                                           bill_id=bill.pk, amount_idr=take, from_credit=True,
                                           note="paid from credit the member held"))
                held[index] = (payment_id, amount - take)
                need -= take
            paid.append(bill)
        if not paid:
            return []
        LedgerEntry.objects.bulk_create(entries)
        audit: list = []
        bills_pay_locked(ids=[bill.pk for bill in paid], paid_at=paid_at, audit_into=audit)
        if member.status == MemberStatus.REGISTERED:
            member_statuses_transition_locked(members=[(member.pk, member.status)], to=MemberStatus.ACTIVE,
                                              actor=None, reason="a month paid from credit", audit_into=audit)
        amount = sum(entry.amount_idr for entry in entries)
        months = [f"{bill.month:%Y-%m}" for bill in paid]
        audit.append(("credit.applied", audit_type(Member), member.pk, {"months": months, "amount_idr": amount}, ""))
        audit_events_record_many(actor_id=None, events=audit)
        if member.phone:
            with translation.override(member.user.language if member.user else "id"):
                body = _("Your credit of %(amount)s paid %(months)s for KPJ %(kpj)s. You do not need to pay it.") % {
                    "amount": format_idr(amount), "months": ", ".join(months), "kpj": member.kpj}
            notification_enqueue(channel=Channel.SMS, recipient=str(member.phone), body=body, purpose="receipt")
        return [bill.pk for bill in paid]


def credits_apply_due() -> int:
    """credit_apply for every billable member who holds credit and has an open bill (after the monthly billing, so
    nobody is reminded of a month their credit pays). Those members are few: found from the ledger's credit rows."""
    holders = (LedgerEntry.objects.filter(kind=EntryKind.CREDIT, member__status__in=(MemberStatus.REGISTERED,
                                                                                      MemberStatus.ACTIVE))
               .filter(member__bills__status=BillStatus.OPEN).values_list("member_id", flat=True).distinct())
    return sum(len(credit_apply(member_id=member_id)) for member_id in sorted(set(holders)))
