"""A member's account: what is due, what was paid, the credit held, and what paying some months would cover and
cost."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from contributions.models import Bill, BillStatus, EntryKind, LedgerEntry, OrderStatus, Payment, PaymentOrder
from contributions.services.payments import months_to_pay
from members.models import Member
from reference.tariffs import QuoteLine, tariff_quote


@dataclass(frozen=True)
class Account:
    open_bills: list[Bill]
    next_due: Bill | None
    paid_through: dt.date | None
    payments: list[Payment]
    pending_order: PaymentOrder | None
    credit_idr: int


def member_account(*, member: Member, today: dt.date | None = None) -> Account:
    today = today or timezone.localdate()
    open_bills = list(Bill.objects.filter(member=member, status=BillStatus.OPEN).order_by("month"))
    last_paid = Bill.objects.filter(member=member, status=BillStatus.PAID).order_by("-month").first()
    pending = (PaymentOrder.objects.filter(member=member, status=OrderStatus.PENDING, expires_at__gt=timezone.now())
               .order_by("-created_at").first())
    return Account(
        open_bills=open_bills,
        next_due=open_bills[0] if open_bills else None,
        paid_through=last_paid.month if last_paid else None,
        payments=list(Payment.objects.filter(entries__member=member).distinct().select_related("order")
                      .order_by("-paid_at")[:50]),
        pending_order=pending,
        credit_idr=credit_balance(member=member),
    )


def credit_balance(*, member: Member) -> int:
    sums = dict(
        LedgerEntry.objects.filter(member=member).filter(Q(kind=EntryKind.CREDIT) | Q(from_credit=True))
        .values_list("kind").annotate(total=Sum("amount_idr")).values_list("kind", "total")
    )
    return sums.get(EntryKind.CREDIT, 0) - sums.get(EntryKind.ALLOCATION, 0) - sums.get(EntryKind.REFUND, 0)


def bills_for(*, member: Member) -> QuerySet[Bill]:
    return Bill.objects.filter(member=member).order_by("-month")


@dataclass(frozen=True)
class MonthPrice:
    month: dt.date
    total_idr: int
    lines: list  # QuoteLine-like: program, gross_idr, discount_idr, amount_idr
    overdue: bool


def payment_preview(*, member: Member, count: int, today: dt.date | None = None) -> list[MonthPrice]:
    """What paying `count` months would cover and cost, month by month, before anything is created."""
    today = today or timezone.localdate()
    bills = {b.month: b for b in Bill.objects.filter(member=member)}
    out = []
    for month in months_to_pay(member=member, count=count, today=today):
        bill = bills.get(month)
        if bill:
            out.append(MonthPrice(month, bill.total_idr, bill_lines(bill=bill), bill.due_date < today))
        else:
            quote = tariff_quote(income_idr=member.income_base_idr, programs=member.programs, month=month,
                                 sector=member.occupation.sector, funding=member.funding_source)
            out.append(MonthPrice(month, quote.total_idr, quote.lines, False))
    return out


def bill_lines(*, bill: Bill) -> list[QuoteLine]:
    lines = [QuoteLine("JKK", bill.jkk_gross_idr, bill.jkk_discount_idr),
             QuoteLine("JKM", bill.jkm_gross_idr, bill.jkm_discount_idr)]
    if bill.jht_gross_idr:
        lines.append(QuoteLine("JHT", bill.jht_gross_idr, bill.jht_discount_idr))
    return lines
