"""Reads about money: coverage, what is due, history, reconciliation."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db.models import BigIntegerField, Count, Exists, F, Min, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from contributions.models import (
    AttemptStatus,
    Bill,
    BillStatus,
    CashCollection,
    DebitAttempt,
    DebitMandate,
    EntryKind,
    LedgerEntry,
    MandateStatus,
    OrderStatus,
    Payment,
    PaymentOrder,
    ProviderEvent,
    ProviderEventKind,
    ProviderEventOutcome,
)
from core.models import User
from core.money import round_idr
from core.nik import nik_blind_index
from members.models import Agent, Member, MemberStatus
from reference.duedates import add_months
from reference.scope import staff_scope
from reference.tariffs import QuoteLine, tariff_quote


@dataclass(frozen=True)
class Coverage:
    code: str
    label: str
    covered: bool
    explanation: str
    unpaid_months: int = 0


_TEXT = {
    "awaiting_payment": (_("Awaiting first payment"),
                         _("Protection starts once the first monthly contribution is paid.")),
    "active": (_("Active"), _("Protected for work accidents and death.")),
    "lapsed": (_("Lapsed"), _("Protection stopped after 3 unpaid months. It can be reactivated.")),
    "closed": (_("Closed"), _("This membership has ended.")),
}


def coverage_status(*, member: Member, today: dt.date | None = None) -> Coverage:
    """The one definition, used by every page and the API:
    lapsed/closed from the membership; otherwise from the bills: no paid month yet → awaiting first payment;
    months past their due date and unpaid → in arrears; else active when this month is paid, or when last month
    is paid and this month is not due yet."""
    today = today or timezone.localdate()
    if member.status in (MemberStatus.LAPSED, MemberStatus.CLOSED):
        label, text = _TEXT[member.status]
        return Coverage(member.status, str(label), False, str(text))
    bills = Bill.objects.filter(member=member).exclude(status=BillStatus.VOID)
    if not bills.filter(status=BillStatus.PAID).exists():
        label, text = _TEXT["awaiting_payment"]
        return Coverage("awaiting_payment", str(label), False, str(text))
    unpaid = bills.filter(status=BillStatus.OPEN, due_date__lt=today).count()
    current = today.replace(day=1)
    if unpaid:
        return Coverage(
            "in_arrears", str(_("In arrears")), bills.filter(month=current, status=BillStatus.PAID).exists(),
            ngettext("%(n)s month is unpaid. Pay it to keep your protection.",
                     "%(n)s months are unpaid. Pay them before the membership lapses.", unpaid) % {"n": unpaid},
            unpaid_months=unpaid,
        )
    paid_now = bills.filter(month=current, status=BillStatus.PAID).exists()
    paid_before = bills.filter(month=add_months(current, -1), status=BillStatus.PAID).exists()
    if paid_now or paid_before:
        label, text = _TEXT["active"]
        return Coverage("active", str(label), True, str(text))
    label, text = _TEXT["awaiting_payment"]
    return Coverage("awaiting_payment", str(label), False, str(text))


def covered_on(*, member: Member, day: dt.date) -> bool:
    """Was the member covered on this day? Only if that month's contribution was paid by the end of that day
    (DOMAIN.md: cover for unpaid months is open, so the portal does not assume it)."""
    end_of_day = timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min))
    return Bill.objects.filter(member=member, month=day.replace(day=1), status=BillStatus.PAID,
                               paid_at__lt=end_of_day).exists()


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
class Reconciliation:
    payments: int
    received_idr: int
    allocated_idr: int
    credit_held_idr: int
    refunded_idr: int
    mismatched_payments: list[int]
    overpaid_bills: list[int]

    @property
    def balanced(self) -> bool:
        return (not self.mismatched_payments and not self.overpaid_bills
                and self.received_idr == self.allocated_idr + self.credit_held_idr + self.refunded_idr)


def reconciliation() -> Reconciliation:
    """Proves, for every payment and for the whole book: money in = allocated + credit still held + refunds."""
    totals = {
        (kind, from_credit): total
        for kind, from_credit, total in LedgerEntry.objects.values_list("kind", "from_credit")
        .annotate(total=Sum("amount_idr")).values_list("kind", "from_credit", "total")
    }
    received = totals.get((EntryKind.RECEIVED, False), 0)
    # A month refund gives back money allocated to a month: a refund, and allocations are net of it.
    month_refunds = LedgerEntry.objects.filter(kind=EntryKind.REFUND, bill__isnull=False).aggregate(
        total=Coalesce(Sum("amount_idr"), Value(0), output_field=BigIntegerField()))["total"]
    allocated = (totals.get((EntryKind.ALLOCATION, False), 0) + totals.get((EntryKind.ALLOCATION, True), 0)
                 - month_refunds)
    refunded = totals.get((EntryKind.REFUND, False), 0) + totals.get((EntryKind.REFUND, True), 0)
    credit = totals.get((EntryKind.CREDIT, False), 0) - totals.get((EntryKind.ALLOCATION, True), 0) \
        - totals.get((EntryKind.REFUND, True), 0)
    def total(where: Q, relation: str = "entries"):
        return Coalesce(Sum(f"{relation}__amount_idr", filter=where), Value(0), output_field=BigIntegerField())

    # One grouped query over the ledger, however many payments there are. Month refunds net out of "out"
    # (a refund and, as much again, fewer allocations).
    checked = Payment.objects.annotate(
        received=total(Q(entries__kind=EntryKind.RECEIVED)),
        out=total(Q(entries__kind__in=[EntryKind.ALLOCATION, EntryKind.CREDIT], entries__from_credit=False)
                  | Q(entries__kind=EntryKind.REFUND, entries__from_credit=False, entries__bill__isnull=True)),
        credit=total(Q(entries__kind=EntryKind.CREDIT)),
        used=total(Q(entries__from_credit=True)),
    )
    mismatched = set(
        checked.filter(~Q(received=F("amount_idr")) | ~Q(out=F("amount_idr")) | Q(credit__lt=F("used")))
        .order_by("pk").values_list("pk", flat=True)[:1000]
    )
    # A month refund never gives back more than its payment allocated to that month.
    allocated_to_month = (LedgerEntry.objects.filter(kind=EntryKind.ALLOCATION, payment=OuterRef("payment"),
                                                     bill=OuterRef("bill"))
                          .values("bill").annotate(s=Sum("amount_idr")).values("s"))
    mismatched.update(
        LedgerEntry.objects.filter(kind=EntryKind.REFUND, bill__isnull=False)
        .annotate(allocated=Coalesce(Subquery(allocated_to_month), Value(0), output_field=BigIntegerField()))
        .filter(amount_idr__gt=F("allocated")).values_list("payment_id", flat=True)[:1000])
    overpaid = list(
        Bill.objects.annotate(allocated=total(Q(allocations__kind=EntryKind.ALLOCATION), "allocations")
                              - total(Q(allocations__kind=EntryKind.REFUND), "allocations"))
        .filter(allocated__gt=F("total_idr")).order_by("pk").values_list("pk", flat=True)[:1000]
    )
    payments = Payment.objects.count()
    return Reconciliation(payments, received, allocated, credit, refunded, sorted(mismatched), overpaid)



# Refusals of a signed notification that carried money: the bank may hold it while the portal credited nothing.
MONEY_REFUSALS = (ProviderEventOutcome.UNKNOWN_ACCOUNT, ProviderEventOutcome.WRONG_AMOUNT,
                  ProviderEventOutcome.EXPIRED, ProviderEventOutcome.ALREADY_PAID, ProviderEventOutcome.NOT_PAYABLE)


@dataclass(frozen=True)
class RefusedMoney:
    count: int  # provider events (one per provider reference) refused and never credited since
    amount_idr: int  # what they claimed, summed
    unsigned: int  # notifications refused for their signature: claims that cannot be trusted, counted apart
    rows: list[ProviderEvent]


def refused_provider_money(*, limit: int = 50) -> RefusedMoney:
    """Payment notifications the portal refused whose provider reference no payment has taken since (a provider
    that sends the event again with the right details settles it): money a bank may have taken from a payer."""
    credited = Payment.objects.filter(provider=OuterRef("provider"), provider_reference=OuterRef("reference"))
    latest = (ProviderEvent.objects.filter(provider=OuterRef("provider"), reference=OuterRef("reference"),
                                           kind=ProviderEventKind.PAYMENT, signature_valid=True)
              .order_by("-received_at", "-id").values("pk")[:1])
    signed = (ProviderEvent.objects.filter(kind=ProviderEventKind.PAYMENT, signature_valid=True,
                                           outcome__in=MONEY_REFUSALS)
              .exclude(reference="").filter(pk=Subquery(latest)).exclude(Exists(credited)))
    totals = signed.aggregate(n=Count("id"), amount=Coalesce(Sum("amount_idr"), Value(0),
                                                             output_field=BigIntegerField()))
    unsigned = ProviderEvent.objects.filter(kind=ProviderEventKind.PAYMENT, signature_valid=False).count()
    return RefusedMoney(totals["n"], totals["amount"], unsigned, list(signed.order_by("-received_at", "-id")[:limit]))


@dataclass(frozen=True)
class MonthPrice:
    month: dt.date
    total_idr: int
    lines: list  # QuoteLine-like: program, gross_idr, discount_idr, amount_idr
    overdue: bool


def payment_preview(*, member: Member, count: int, today: dt.date | None = None) -> list[MonthPrice]:
    """What paying `count` months would cover and cost, month by month, before anything is created."""
    from contributions.services.payments import months_to_pay

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


def payment_for_viewer(*, receipt_number: str, viewer: User | AnonymousUser) -> Payment | None:
    """A receipt is visible to the member it covers, whoever paid the order, and staff whose scope holds every
    member it covers (staff_scope: a receipt for members in two provinces is for admins and staff of both)."""
    payment = Payment.objects.select_related("member", "order__payer").filter(receipt_number=receipt_number).first()
    if payment is None or not isinstance(viewer, User):
        return None
    if (payment.order and payment.order.payer_id == viewer.pk) or payment.entries.filter(member__user=viewer).exists():
        return payment
    covered = Q(pk=payment.member_id) | Q(ledger_entries__payment=payment)
    if payment.order is not None:  # selected with the payment
        covered |= Q(pk=payment.order.member_id) | Q(order_lines__order=payment.order_id)
    return payment if _staff_sees_all(viewer, Member.objects.filter(pk__in=Member.objects.filter(covered)
                                                                   .values("pk"))) else None


def _staff_sees_all(viewer: User, members: QuerySet[Member]) -> bool:
    """Is the viewer staff whose scope holds every one of these members (and there is at least one)?"""
    if not getattr(viewer, "is_portal_staff", False):
        return False
    scope = staff_scope(viewer=viewer)
    if scope.national:
        return True
    if scope.empty or not members.exists():
        return False
    return not members.exclude(scope.q("village__code")).exists()


def receipt_member_name(*, payment: Payment, viewer: User | AnonymousUser) -> str:
    """The member's name as this viewer may see it: in full for the member and staff, masked for a sponsor or
    anyone else who paid (decisions.md, R)."""
    member = payment.member
    if member is None:
        return ""
    if member.user_id == viewer.pk or getattr(viewer, "is_portal_staff", False):
        return member.full_name
    return member.masked_name


def order_for_viewer(*, order_id: int, viewer: User | AnonymousUser) -> PaymentOrder | None:
    """An order for its payer, the members it covers, and staff whose scope holds every member of it."""
    order = PaymentOrder.objects.select_related("member").filter(pk=order_id).first()
    if order is None or not isinstance(viewer, User):
        return None
    if order.payer_id == viewer.pk or order.lines.filter(member__user=viewer).exists():
        return order
    covered = Member.objects.filter(Q(pk=order.member_id) | Q(order_lines__order=order)).values("pk")
    return order if _staff_sees_all(viewer, Member.objects.filter(pk__in=covered)) else None


def member_for_staff(*, query: str, viewer: User | AnonymousUser) -> Member | None:
    """Find a member by KPJ or NIK (through the blind index; the NIK itself is never searched in clear), within the
    staff account's scope: a member outside it is not found, the same answer as no member at all."""
    scope = staff_scope(viewer=viewer)
    if scope.empty:
        return None
    digits = "".join(ch for ch in query if ch.isdigit())
    if len(digits) == 11:
        members = Member.objects.filter(kpj=digits)
    elif len(digits) == 16:
        members = Member.objects.filter(nik_index=nik_blind_index(digits))
    else:
        return None
    return members.filter(scope.q("village__code")).first()


def member_for_staff_by_id(*, member_id: int | str, viewer: User | AnonymousUser) -> Member | None:
    """The member a staff page names by its internal id (a form field, never the NIK), within the staff's scope."""
    scope = staff_scope(viewer=viewer)
    if scope.empty or not str(member_id).isdigit() or int(member_id) > 2**63 - 1:
        return None
    return Member.objects.filter(scope.q("village__code"), pk=int(member_id)).first()


@dataclass(frozen=True)
class CashPosition:
    collected_idr: int
    settled_idr: int
    held_idr: int
    oldest_held_at: dt.datetime | None
    overdue: bool  # cash held longer than AGENT_CASH_HOLD_DAYS


def agent_cash_position(*, agent: Agent, now: dt.datetime | None = None) -> CashPosition:
    now = now or timezone.now()
    rows = CashCollection.objects.filter(agent=agent)
    collected = rows.aggregate(s=Sum("amount_idr"))["s"] or 0
    held_rows = rows.filter(settlement__isnull=True)
    held = held_rows.aggregate(s=Sum("amount_idr"))["s"] or 0
    oldest = held_rows.order_by("collected_at").values_list("collected_at", flat=True).first()
    overdue = oldest is not None and now - oldest > dt.timedelta(days=settings.AGENT_CASH_HOLD_DAYS)
    return CashPosition(collected, collected - held, held, oldest, overdue)


def agents_holding_cash_too_long(*, now: dt.datetime | None = None) -> QuerySet[CashCollection, dict[str, Any]]:
    """For staff: agents holding unsettled cash longer than the setting, oldest first."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=settings.AGENT_CASH_HOLD_DAYS)
    return (CashCollection.objects.filter(settlement__isnull=True, collected_at__lt=cutoff)
            .values("agent_id", "agent__user__first_name", "agent__user__username")
            .annotate(held_idr=Sum("amount_idr"), since=Min("collected_at")).order_by("since"))


@dataclass(frozen=True)
class CommissionStatement:
    month: dt.date
    settled_idr: int
    commission_idr: int
    new_members: int
    bonus_idr: int
    incentive_idr: int
    body_share_idr: int
    agent_share_idr: int


def commission_statement(*, agent: Agent, month: dt.date) -> CommissionStatement:
    """Commission for a month: AGENT_COMMISSION_PERCENT of cash collected and settled that month, plus
    AGENT_BONUS_IDR when the agent registered at least AGENT_BONUS_MIN_NEW_MEMBERS members; the body takes
    AGENT_BODY_SHARE_PERCENT of the incentive. Rounded once each, halves up."""
    start = timezone.make_aware(dt.datetime.combine(month.replace(day=1), dt.time.min))
    end = timezone.make_aware(dt.datetime.combine(add_months(month.replace(day=1), 1), dt.time.min))
    settled = CashCollection.objects.filter(agent=agent, collected_at__gte=start, collected_at__lt=end,
                                            settlement__isnull=False).aggregate(s=Sum("amount_idr"))["s"] or 0
    commission = round_idr(Decimal(settled) * Decimal(settings.AGENT_COMMISSION_PERCENT) / 100)
    new_members = agent.members.filter(created_at__gte=start, created_at__lt=end).count()
    bonus = settings.AGENT_BONUS_IDR if new_members >= settings.AGENT_BONUS_MIN_NEW_MEMBERS else 0
    incentive = commission + bonus
    body_share = round_idr(Decimal(incentive) * Decimal(settings.AGENT_BODY_SHARE_PERCENT) / 100)
    return CommissionStatement(month.replace(day=1), settled, commission, new_members, bonus, incentive,
                               body_share, incentive - body_share)


def receipts_for_payer(*, viewer: User | AnonymousUser) -> QuerySet[Payment]:
    """Receipts of the orders someone paid (a sponsor paying for its workers), newest first, with how many members
    each covers. Only the payer's own: the receipt pages check the viewer again (payment_for_viewer)."""
    if not isinstance(viewer, User):
        return Payment.objects.none()
    return (Payment.objects.filter(order__payer=viewer).select_related("order")
            .annotate(member_count=Count("order__lines")).order_by("-paid_at", "-id"))


# --- auto-debit ----------------------------------------------------------------------------------------------------


def debit_mandate_live(*, member: Member) -> DebitMandate | None:
    """The member's mandate that is not revoked (active or suspended), if any."""
    return DebitMandate.objects.filter(member=member).exclude(status=MandateStatus.REVOKED) \
        .select_related("payer").first()


def debit_attempts_for(*, member: Member, limit: int = 12) -> QuerySet[DebitAttempt]:
    return DebitAttempt.objects.filter(mandate__member=member).select_related("mandate", "payment") \
        .order_by("-month", "-id")[:limit]


def member_for_debit_payer(*, viewer: User | AnonymousUser, member_id: int | None) -> Member | None:
    """Whose contributions this user may set auto-debit up for: their own membership (no id), or a worker they
    sponsor (a confirmed, current sponsorship)."""
    if not isinstance(viewer, User):
        return None
    if member_id is None:
        return Member.objects.filter(user=viewer).select_related("occupation").first()
    return Member.objects.filter(pk=member_id, sponsorships__sponsor__user=viewer,
                                 sponsorships__confirmed_at__isnull=False, sponsorships__ended_at__isnull=True) \
        .select_related("occupation").first()


def debit_mandate_for_payer(*, viewer: User | AnonymousUser, mandate_id: int) -> DebitMandate | None:
    """A mandate only its payer may revoke."""
    if not isinstance(viewer, User):
        return None
    return DebitMandate.objects.filter(pk=mandate_id, payer=viewer).select_related("member").first()


def members_paying_by_autodebit(*, month: dt.date) -> QuerySet[DebitMandate, int]:
    """Member ids whose bills this month's auto-debit is still taking care of (an active mandate whose attempt is
    not made yet, waiting, with the provider or paid). Reminders skip them; a failed or skipped month falls back
    to reminders."""
    done = DebitAttempt.objects.filter(month=month, status__in=[AttemptStatus.FAILED, AttemptStatus.SKIPPED])
    return DebitMandate.objects.filter(status=MandateStatus.ACTIVE).exclude(
        pk__in=done.values("mandate_id")).values_list("member_id", flat=True)
