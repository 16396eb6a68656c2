"""Payment orders, confirmations from the provider, and the append-only ledger."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from contributions.duedates import add_months
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
from contributions.services.billing import bill_for_month
from core.models import Channel as MessageChannel
from core.models import User
from core.money import format_idr
from core.services import audit_event_record, notification_enqueue
from enrollment.models import Member, MemberStatus
from enrollment.services import member_status_transition_locked

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
        list(Member.objects.select_for_update().filter(pk__in=[m.pk for m, _n in items]).order_by("pk"))
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


@dataclass
class Confirmation:
    payment: Payment
    replay: bool


def _receipt_number() -> str:
    return "BPU" + timezone.localdate().strftime("%y%m%d") + secrets.token_hex(4).upper()


def payment_confirm(
    *, provider: str, reference: str, va_number: str, amount_idr: int, channel: str, paid_at: dt.datetime
) -> Confirmation:
    """Records money the provider says was paid into an order's virtual account or QRIS, once.

    A replay of the same provider reference returns the first payment. A wrong amount, an unknown or expired
    order, or an order already paid under another reference is refused and credits nothing.
    """
    existing = Payment.objects.filter(provider=provider, provider_reference=reference).first()
    if existing:
        return Confirmation(existing, replay=True)
    try:
        with transaction.atomic():
            order = PaymentOrder.objects.select_for_update().filter(va_number=va_number, provider=provider).first()
            if order is None:
                raise PaymentRefused("unknown_account", "no order has this virtual account")
            lines = list(order.lines.order_by("member_id"))
            # Lock the members before their bills, in pk order: the lapse job takes them the same way.
            members = {m.pk: m for m in Member.objects.select_for_update().filter(
                pk__in=[line.member_id for line in lines]).order_by("pk")}
            existing = Payment.objects.filter(provider=provider, provider_reference=reference).first()
            if existing:
                return Confirmation(existing, replay=True)
            if order.status == OrderStatus.PAID:
                raise PaymentRefused("already_paid", "this order was paid under another reference")
            if paid_at > order.expires_at:
                raise PaymentRefused("expired", "the order expired before it was paid")
            if amount_idr != order.amount_idr:
                raise PaymentRefused("wrong_amount", f"expected {order.amount_idr}, got {amount_idr}")
            payment = Payment.objects.create(
                order=order, member_id=order.member_id, provider=provider, provider_reference=reference,
                channel=channel, amount_idr=amount_idr, paid_at=paid_at, receipt_number=_receipt_number(),
            )
            order.status = OrderStatus.PAID
            order.paid_at = paid_at
            order.save(update_fields=["status", "paid_at"])
            entries = [LedgerEntry(kind=EntryKind.RECEIVED, payment=payment, member_id=order.member_id,
                                   amount_idr=amount_idr)]
            for line in lines:
                member = members[line.member_id]
                entries += _allocate(payment=payment, member=member, months=line.months, amount_idr=line.amount_idr)
                if member.status == MemberStatus.REGISTERED:
                    member_status_transition_locked(member=member, to=MemberStatus.ACTIVE, actor=None,
                                                    reason=f"first payment {payment.receipt_number}")
                notification_enqueue(
                    channel=MessageChannel.SMS, recipient=str(member.phone), purpose="receipt",
                    body=_("We received %(amount)s for KPJ %(kpj)s. Receipt %(receipt)s. Thank you.") % {
                        "amount": format_idr(line.amount_idr), "kpj": member.kpj,
                        "receipt": payment.receipt_number},
                )
            LedgerEntry.objects.bulk_create(entries)  # one statement for the whole payment
            audit_event_record(actor=None, action="payment.received", obj=payment, changes={
                "members": [members[line.member_id].kpj for line in lines], "amount_idr": amount_idr,
                "order": order.pk, "payer": order.payer_id})
            return Confirmation(payment, replay=False)
    except IntegrityError:
        # The same reference committed a moment ago in another request: this one is a replay.
        existing = Payment.objects.filter(provider=provider, provider_reference=reference).first()
        if existing is None:
            raise
        return Confirmation(existing, replay=True)


def _allocate(*, payment: Payment, member: Member, months: list[str], amount_idr: int) -> list[LedgerEntry]:
    """Oldest month first; what a month no longer needs (paid meanwhile, or the member lapsed) becomes credit.

    Returns the ledger rows for the caller to insert together; bills fully covered are marked paid here."""
    remaining = amount_idr
    entries: list[LedgerEntry] = []
    if member.status in (MemberStatus.REGISTERED, MemberStatus.ACTIVE):
        wanted = [dt.date(int(m[:4]), int(m[5:7]), 1) for m in months]
        bills = list(Bill.objects.select_for_update().filter(member=member, month__in=wanted,
                                                             status=BillStatus.OPEN).order_by("pk"))
        allocated = dict(
            LedgerEntry.objects.filter(bill__in=bills, kind=EntryKind.ALLOCATION).values_list("bill_id")
            .annotate(s=Sum("amount_idr")).values_list("bill_id", "s")
        ) if bills else {}
        paid = []
        for bill in sorted(bills, key=lambda b: b.month):
            already = allocated.get(bill.pk, 0)
            amount = min(remaining, bill.total_idr - already)
            if amount <= 0:
                continue
            entries.append(LedgerEntry(kind=EntryKind.ALLOCATION, payment=payment, member=member, bill=bill,
                                       amount_idr=amount))
            remaining -= amount
            if already + amount == bill.total_idr:
                paid.append(bill.pk)
        if paid:
            Bill.objects.filter(pk__in=paid).update(status=BillStatus.PAID, paid_at=payment.paid_at)
    if remaining > 0:
        entries.append(LedgerEntry(kind=EntryKind.CREDIT, payment=payment, member=member, amount_idr=remaining,
                                   note="not needed by the order's months; held for the member"))
    return entries


def payment_refund(
    *, payment: Payment, amount_idr: int, actor: User, reason: str, member: Member | None = None
) -> LedgerEntry:
    """Pays back credit a member holds from this payment (money still unallocated)."""
    member = member or payment.member
    if member is None:
        raise ValueError("a group payment's refund names the member whose credit is refunded")
    with transaction.atomic():
        Payment.objects.select_for_update().filter(pk=payment.pk).first()
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
    now = now or timezone.now()
    return PaymentOrder.objects.filter(status=OrderStatus.PENDING, expires_at__lt=now).update(
        status=OrderStatus.EXPIRED
    )
