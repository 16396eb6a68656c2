"""Notifications from payment providers that the portal refused: kept so that reconciliation can show money a bank
may have taken while the portal credited nothing (an unknown virtual account, a wrong amount, a bad signature).
What the provider claimed is stored as claimed; the body itself only as its SHA-256 and size, no secrets."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ProviderEventKind(models.TextChoices):
    PAYMENT = "payment", _("Payment notification")
    DEBIT = "debit", _("Auto-debit result")


class ProviderEventOutcome(models.TextChoices):
    BAD_SIGNATURE = "bad_signature", _("Missing, wrong or stale signature")
    INVALID = "invalid", _("Not a valid notification")
    UNKNOWN_ACCOUNT = "unknown_account", _("Unknown virtual account")
    WRONG_AMOUNT = "wrong_amount", _("Wrong amount")
    EXPIRED = "expired", _("Paid after the order expired")
    ALREADY_PAID = "already_paid", _("Order already paid under another reference")
    NOT_PAYABLE = "member_not_payable", _("Membership cannot be paid")
    UNKNOWN_ATTEMPT = "unknown_attempt", _("Unknown debit attempt")
    OTHER = "other", _("Other refusal")


class ProviderEvent(models.Model):
    provider = models.CharField(max_length=20)
    kind = models.CharField(max_length=10, choices=ProviderEventKind.choices)
    outcome = models.CharField(max_length=20, choices=ProviderEventOutcome.choices)
    status_code = models.PositiveSmallIntegerField()
    reason = models.CharField(max_length=300, blank=True)
    signature_valid = models.BooleanField(help_text="False: the claimed fields below may be forged")
    reference = models.CharField(max_length=64, blank=True, help_text="The provider's event id, as claimed")
    account = models.CharField(max_length=20, blank=True, help_text="The virtual account, as claimed")
    amount_idr = models.BigIntegerField(null=True, blank=True, help_text="As claimed")
    body_sha256 = models.CharField(max_length=64)
    body_bytes = models.PositiveIntegerField()
    headers = models.JSONField(default=dict, help_text="Headers of interest; never the signature")
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["received_at"]), models.Index(fields=["provider", "reference"])]

    def __str__(self) -> str:
        return f"{self.provider} {self.kind} {self.outcome} {self.received_at:%Y-%m-%d %H:%M}"
