"""Month refunds: a month paid for after a claim's event is paid back with the claim (DOMAIN.md). Append-only:
each payment that paid into the month gets a refund entry naming the bill, for what it allocated there, so the
payment's equation (LedgerEntry) holds: the refund nets against that allocation."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Sum

from contributions.locks import bill_lock, payments_lock
from contributions.models import Bill, BillStatus, EntryKind, LedgerEntry
from core.models import User
from core.services import audit_event_record


class RefundRefused(ValueError):
    pass


def payment_refund_for_claim(*, bill: Bill, actor: User, reason: str) -> list[LedgerEntry]:
    """Refunds a paid month in full from the payments that paid it. Refuses a month refunded already (also a
    unique constraint per payment and bill) and a month whose ledger does not add up to its total."""
    with transaction.atomic():
        bill = bill_lock(bill_id=bill.pk)
        if bill.status != BillStatus.PAID:
            raise RefundRefused(f"bill {bill.pk} is not paid")
        if LedgerEntry.objects.filter(kind=EntryKind.REFUND, bill=bill).exists():
            raise RefundRefused(f"bill {bill.pk} was refunded already")
        allocated = dict(LedgerEntry.objects.filter(kind=EntryKind.ALLOCATION, bill=bill)
                         .values_list("payment").annotate(total=Sum("amount_idr")).values_list("payment", "total"))
        if sum(allocated.values()) != bill.total_idr:
            raise RefundRefused(f"bill {bill.pk}: the ledger holds {sum(allocated.values())} for a total of "
                                f"{bill.total_idr}")
        payments_lock(payment_ids=allocated)  # after the bill (contributions.locks)
        entries = LedgerEntry.objects.bulk_create([
            LedgerEntry(kind=EntryKind.REFUND, payment_id=payment_id, member_id=bill.member_id, bill=bill,
                        amount_idr=amount, from_credit=False, note=reason[:200])
            for payment_id, amount in sorted(allocated.items())])
        audit_event_record(actor=actor, action="bill.refunded", obj=bill, reason=reason[:255],
                           changes={"amount_idr": bill.total_idr, "month": f"{bill.month:%Y-%m}",
                                    "payments": sorted(allocated)})
        return entries
