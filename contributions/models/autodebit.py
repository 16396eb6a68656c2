"""Auto-debit: a payer's standing permission to charge a bank account or e-wallet, and each month's attempt."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class MandateMethod(models.TextChoices):
    BANK = "bank", _("Bank account")
    EWALLET = "ewallet", _("E-wallet")


class MandateStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended after failed months")
    REVOKED = "revoked", _("Revoked")


class DebitMandate(models.Model):
    """Consent to charge one account for one member's contributions, up to a maximum per month. The account
    itself stays with the provider: the portal keeps its reference and a masked label."""

    payer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="debit_mandates")
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="debit_mandates")
    method = models.CharField(_("method"), max_length=8, choices=MandateMethod.choices)
    issuer = models.CharField(_("bank or e-wallet"), max_length=40)
    account_masked = models.CharField(max_length=40)
    provider = models.CharField(max_length=20, default="simulator")
    provider_reference = models.CharField(max_length=64, unique=True)
    max_amount_idr = models.BigIntegerField(_("maximum per month"))
    consent_version = models.CharField(max_length=20)
    consented_at = models.DateTimeField()
    consent_ip = models.GenericIPAddressField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=MandateStatus.choices, default=MandateStatus.ACTIVE)
    failed_months = models.PositiveSmallIntegerField(default=0, help_text="Months in a row the debit failed")
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    suspended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(max_amount_idr__gt=0), name="mandate_max_positive"),
            models.UniqueConstraint(fields=["member"], condition=~Q(status="revoked"),
                                    name="mandate_one_live_per_member"),
        ]
        indexes = [models.Index(fields=["status", "id"])]

    def __str__(self) -> str:
        return f"{self.issuer} {self.account_masked} for {self.member_id}"


class AttemptStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Waiting for its next try")
    PROCESSING = "processing", _("With the provider")
    SUCCEEDED = "succeeded", _("Paid")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Nothing to charge")


class DebitAttempt(models.Model):
    """The one debit of a mandate for a month. Tries and retries live inside it; the provider sees
    `idempotency_key` (the attempt and the try number), so a repeated call for the same try charges once."""

    mandate = models.ForeignKey(DebitMandate, on_delete=models.PROTECT, related_name="attempts", db_index=False)
    month = models.DateField(help_text="First day of the month the run is for")
    amount_idr = models.BigIntegerField()
    status = models.CharField(max_length=10, choices=AttemptStatus.choices, default=AttemptStatus.SCHEDULED)
    tries = models.PositiveSmallIntegerField(default=0)
    next_try_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True, help_text="When a run sent the current try")
    last_outcome = models.CharField(max_length=30, blank=True)
    provider_reference = models.CharField(max_length=64, blank=True)
    payment = models.OneToOneField("contributions.Payment", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="debit_attempt")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-month", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["mandate", "month"], name="debit_attempt_one_per_mandate_month"),
            models.CheckConstraint(condition=Q(month__day=1), name="debit_attempt_month_first_day"),
            models.CheckConstraint(condition=Q(amount_idr__gt=0), name="debit_attempt_amount_positive"),
        ]
        indexes = [models.Index(fields=["status", "next_try_at"], name="debit_attempt_due")]

    def __str__(self) -> str:
        return self.key

    @property
    def key(self) -> str:
        return f"AD{self.mandate_id}-{self.month:%Y%m}"

    @property
    def idempotency_key(self) -> str:
        return f"{self.key}-{self.tries}"


class SimulatorMandate(models.Model):
    """The simulated provider's side of a mandate: what the bank knows. `script` lists the outcome of each try
    (success, insufficient_funds, expired, timeout, duplicate_callback); the last one repeats."""

    reference = models.CharField(max_length=64, unique=True)
    account = models.CharField(max_length=40)
    max_amount_idr = models.BigIntegerField()
    script = models.JSONField(default=list, blank=True)
    revoked = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.reference


class SimulatorCharge(models.Model):
    """A charge the simulated provider made, once per idempotency key: a repeated call gets the same answer."""

    idempotency_key = models.CharField(max_length=64)
    mandate_reference = models.CharField(max_length=64)  # the n-th charge plays the n-th script item
    amount_idr = models.BigIntegerField()
    outcome = models.CharField(max_length=30)
    reference = models.CharField(max_length=64)
    created_at = models.DateTimeField()

    class Meta:
        # Constraints and a plain index, not unique=True/db_index: those add LIKE indexes nothing uses.
        constraints = [
            models.UniqueConstraint(fields=["idempotency_key"], name="simulator_charge_key_unique"),
            models.UniqueConstraint(fields=["reference"], name="simulator_charge_reference_unique"),
        ]
        indexes = [models.Index(fields=["mandate_reference"], name="simulator_charge_mandate")]

    def __str__(self) -> str:
        return self.idempotency_key
