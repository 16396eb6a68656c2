"""Tariffs as reference data with effective dates: never literals in code (DOMAIN.md)."""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from reference.models import Discount


def first_of_month_q(field: str) -> Q:
    return Q(**{f"{field}__day": 1})


class BillStatus(models.TextChoices):
    OPEN = "open", _("Unpaid")
    PAID = "paid", _("Paid")
    VOID = "void", _("Cancelled")


class Bill(models.Model):
    """What a member owes for one covered month, with its own breakdown: later tariff changes never touch it."""

    # No index of its own: the (member, month) unique index serves every lookup by member.
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="bills", db_index=False)
    month = models.DateField(help_text="First day of the covered month")
    due_date = models.DateField()
    income_base_idr = models.BigIntegerField()
    jkk_gross_idr = models.BigIntegerField()
    jkk_discount_idr = models.BigIntegerField(default=0)
    jkm_gross_idr = models.BigIntegerField()
    jkm_discount_idr = models.BigIntegerField(default=0)
    jht_gross_idr = models.BigIntegerField(default=0)
    jht_discount_idr = models.BigIntegerField(default=0)
    total_idr = models.BigIntegerField()
    # The discount each program took (PP 50/2025 names JKK and JKM; a later one may name JHT). `discount` is JKK's.
    discount = models.ForeignKey(Discount, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    jkm_discount = models.ForeignKey(Discount, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                     db_index=False)
    jht_discount = models.ForeignKey(Discount, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                     db_index=False)
    status = models.CharField(max_length=4, choices=BillStatus.choices, default=BillStatus.OPEN)
    paid_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["member", "month"]
        constraints = [
            models.UniqueConstraint(fields=["member", "month"], name="bill_one_per_member_month"),
            models.CheckConstraint(condition=first_of_month_q("month"), name="bill_month_first_day"),
            models.CheckConstraint(condition=Q(total_idr__gt=0), name="bill_total_positive"),
            models.CheckConstraint(
                condition=Q(jkk_gross_idr__gte=0, jkm_gross_idr__gte=0, jht_gross_idr__gte=0, jkk_discount_idr__gte=0,
                            jkm_discount_idr__gte=0, jht_discount_idr__gte=0),
                name="bill_lines_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(total_idr=models.F("jkk_gross_idr") - models.F("jkk_discount_idr")
                            + models.F("jkm_gross_idr") - models.F("jkm_discount_idr")
                            + models.F("jht_gross_idr") - models.F("jht_discount_idr")),
                name="bill_total_is_sum_of_lines",
            ),
        ]
        indexes = [models.Index(fields=["month", "status"]), models.Index(fields=["member", "status", "month"]),
                   # The dashboards' refresh finds the bills settled since its last run.
                   models.Index(fields=["paid_at"], condition=Q(paid_at__isnull=False), name="bill_paid_at")]

    def __str__(self) -> str:
        return f"{self.member_id} {self.month:%Y-%m}"


class Channel(models.TextChoices):
    VIRTUAL_ACCOUNT = "va", _("Bank transfer (virtual account)")
    QRIS = "qris", _("QRIS")
    CASH = "cash", _("Cash to a Perisai agent")
    AUTO_DEBIT = "auto", _("Auto-debit")


class OrderStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for payment")
    PAID = "paid", _("Paid")
    EXPIRED = "expired", _("Expired")


class PaymentOrder(models.Model):
    """A request to pay months for one or many members in one checkout (a line each): the provider issues one
    virtual account and one QRIS code for the total."""

    member = models.ForeignKey("members.Member", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="payment_orders", help_text="Set when the order is for one member")
    payer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    months = models.JSONField(help_text='Covered months, oldest first, as "YYYY-MM"')
    amount_idr = models.BigIntegerField()
    provider = models.CharField(max_length=20, default="simulator")
    va_number = models.CharField(max_length=20, unique=True)
    qris_payload = models.TextField()
    expires_at = models.DateTimeField()
    status = models.CharField(max_length=8, choices=OrderStatus.choices, default=OrderStatus.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.CheckConstraint(condition=Q(amount_idr__gt=0), name="order_amount_positive")]

    def __str__(self) -> str:
        return f"order {self.pk} {self.va_number}"

    @property
    def month_dates(self) -> list:
        return [datetime.date(int(m[:4]), int(m[5:7]), 1) for m in self.months]


class PaymentOrderLine(models.Model):
    order = models.ForeignKey(PaymentOrder, on_delete=models.PROTECT, related_name="lines")
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="order_lines")
    months = models.JSONField(help_text='Covered months, oldest first, as "YYYY-MM"')
    amount_idr = models.BigIntegerField()

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["order", "member"], name="order_line_one_per_member"),
            models.CheckConstraint(condition=Q(amount_idr__gt=0), name="order_line_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}/{self.member_id}"

    @property
    def month_dates(self) -> list:
        return [datetime.date(int(m[:4]), int(m[5:7]), 1) for m in self.months]


class Payment(models.Model):
    """Money received from a provider. One row per provider reference, so a replayed webhook cannot credit twice."""

    order = models.OneToOneField(PaymentOrder, null=True, blank=True, on_delete=models.PROTECT, related_name="payment")
    member = models.ForeignKey("members.Member", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="payments", help_text="Set when the payment is for one member")
    provider = models.CharField(max_length=20)
    provider_reference = models.CharField(max_length=64)
    channel = models.CharField(max_length=4, choices=Channel.choices)
    amount_idr = models.BigIntegerField()
    paid_at = models.DateTimeField()
    received_at = models.DateTimeField(auto_now_add=True)
    receipt_number = models.CharField(max_length=20)

    class Meta:
        ordering = ["-paid_at", "-id"]
        constraints = [
            # A constraint, not unique=True: that adds a second (LIKE) index no query uses, on random keys.
            models.UniqueConstraint(fields=["receipt_number"], name="payment_receipt_number_unique"),
            models.UniqueConstraint(fields=["provider", "provider_reference"], name="payment_one_per_provider_ref"),
            models.CheckConstraint(condition=Q(amount_idr__gt=0), name="payment_amount_positive"),
        ]

    def __str__(self) -> str:
        return self.receipt_number


class EntryKind(models.TextChoices):
    RECEIVED = "received", _("Payment received")
    ALLOCATION = "allocation", _("Allocated to a month")
    CREDIT = "credit", _("Credit carried forward")
    REFUND = "refund", _("Refund")


class LedgerEntry(models.Model):
    """Append-only: rows are only ever inserted. Every entry names the payment its money came from.

    `from_credit` marks an allocation or refund paid out of that payment's earlier credit, so for each payment:
    received = allocations + credit + refunds (not from credit), and credit = allocations + refunds from credit
    + credit still held.

    A refund that names a bill (a *month refund*: a month paid for after a claim's event, paid back with the claim)
    gives back money this payment allocated to that month: it counts once as a refund and once against the
    allocations, so both equations above stay true with "allocations" net of month refunds. It is never from
    credit, at most once per payment and bill, and never more than the payment allocated to the bill.
    """

    created_at = models.DateTimeField(auto_now_add=True)
    kind = models.CharField(max_length=10, choices=EntryKind.choices)
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="entries")
    member = models.ForeignKey("members.Member", null=True, blank=True, on_delete=models.PROTECT, db_index=False,
                               related_name="ledger_entries", help_text="Empty only on the receipt of a group payment")
    bill = models.ForeignKey(Bill, null=True, blank=True, on_delete=models.PROTECT, related_name="allocations")
    amount_idr = models.BigIntegerField()
    from_credit = models.BooleanField(default=False)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_idr__gt=0), name="ledger_amount_positive"),
            models.CheckConstraint(
                condition=Q(kind="allocation", bill__isnull=False) | Q(kind="refund", bill__isnull=False,
                                                                      from_credit=False)
                | (~Q(kind="allocation") & Q(bill__isnull=True)),
                name="ledger_allocation_has_bill",
            ),
            models.UniqueConstraint(fields=["payment"], condition=Q(kind="received"), name="ledger_one_received"),
            models.CheckConstraint(condition=Q(kind="received") | Q(member__isnull=False),
                                   name="ledger_member_except_group_receipt"),
            models.UniqueConstraint(fields=["payment", "bill"], condition=Q(kind="allocation", from_credit=False),
                                    name="ledger_one_allocation_per_bill"),
            models.UniqueConstraint(fields=["payment", "bill"], condition=Q(kind="refund", bill__isnull=False),
                                    name="ledger_one_month_refund_per_bill"),
        ]
        indexes = [models.Index(fields=["member", "kind"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount_idr}"


class AgentSettlement(models.Model):
    """Cash an agent paid into the agency's account, with the bank's reference."""

    agent = models.ForeignKey("members.Agent", on_delete=models.PROTECT, related_name="settlements")
    amount_idr = models.BigIntegerField()
    bank_reference = models.CharField(max_length=64, unique=True)
    settled_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-settled_at", "-id"]
        constraints = [models.CheckConstraint(condition=Q(amount_idr__gt=0), name="settlement_amount_positive")]

    def __str__(self) -> str:
        return self.bank_reference


class CashCollection(models.Model):
    """Cash an agent received from a member; the member's months are paid from that moment."""

    agent = models.ForeignKey("members.Agent", on_delete=models.PROTECT, related_name="collections")
    payment = models.OneToOneField(Payment, on_delete=models.PROTECT, related_name="cash_collection")
    amount_idr = models.BigIntegerField()
    collected_at = models.DateTimeField()
    settlement = models.ForeignKey(AgentSettlement, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="collections")

    class Meta:
        ordering = ["-collected_at", "-id"]
        constraints = [models.CheckConstraint(condition=Q(amount_idr__gt=0), name="collection_amount_positive")]
        indexes = [models.Index(fields=["agent", "settlement"])]

    def __str__(self) -> str:
        return f"{self.agent_id} {self.amount_idr}"


from contributions.models.autodebit import (  # noqa: E402, F401 - the package's other rooms
    AttemptStatus,
    DebitAttempt,
    DebitMandate,
    MandateMethod,
    MandateStatus,
    SimulatorCharge,
    SimulatorMandate,
)
from contributions.models.provider_events import (  # noqa: E402, F401
    ProviderEvent,
    ProviderEventKind,
    ProviderEventOutcome,
)
from contributions.models.reminders import Audience, Reminder, ReminderStage  # noqa: E402, F401
