"""Reconciliation of the book: money in = allocated + credit still held + refunds, and the refused payment
notifications that may have left money at a bank."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import BigIntegerField, Count, Exists, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from contributions.models import (
    Bill,
    EntryKind,
    LedgerEntry,
    Payment,
    ProviderEvent,
    ProviderEventKind,
    ProviderEventOutcome,
)


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
