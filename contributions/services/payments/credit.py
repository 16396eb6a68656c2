"""Credit a payment left with a member (money its bills did not need), and paying it back."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Sum

from contributions.locks import payment_lock
from contributions.models import EntryKind, LedgerEntry, Payment
from core.models import User
from core.services import audit_event_record
from members.models import Member


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
