from typing import ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField


class Role(models.TextChoices):
    WORKER = "worker", _("Worker")
    SPONSOR = "sponsor", _("Sponsor")
    AGENT = "agent", _("Agent")
    BRANCH_STAFF = "branch_staff", _("Branch staff")
    SUPERVISOR = "supervisor", _("Supervisor")
    ADMIN = "admin", _("Administrator")
    PARTNER = "partner", _("Partner system")


STAFF_ROLES = frozenset({Role.BRANCH_STAFF, Role.SUPERVISOR, Role.ADMIN})


class PortalUserManager(UserManager):
    use_in_migrations = True

    def create_superuser(self, username, email=None, password=None, **extra_fields):
        # `createsuperuser` makes a portal admin: the staff MFA rule (core.middleware) then asks for TOTP.
        extra_fields.setdefault("role", Role.ADMIN)
        return super().create_superuser(username, email, password, **extra_fields)


class User(AbstractUser):
    """Workers, sponsors and agents sign in by phone and one-time code; staff by username, password and TOTP."""

    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.WORKER)
    phone = PhoneNumberField(_("phone number"), region="ID", unique=True, null=True, blank=True)
    language = models.CharField(_("language"), max_length=5, choices=settings.LANGUAGES, default="id")

    objects: ClassVar[PortalUserManager] = PortalUserManager()

    @property
    def is_portal_staff(self) -> bool:
        return self.role in STAFF_ROLES


class AuditEvent(models.Model):
    """Who changed what about a record, and when. Payloads never hold a clear NIK."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=60)
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=40)
    changes = models.JSONField(default=dict, blank=True)
    reason = models.CharField(max_length=255, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    actor_name: str  # not a column: set by the readers that show who acted (a claim's history)

    class Meta:
        indexes = [models.Index(fields=["object_type", "object_id", "created_at"])]
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type}:{self.object_id}"


class Channel(models.TextChoices):
    SMS = "sms", "SMS"
    WHATSAPP = "whatsapp", "WhatsApp"
    EMAIL = "email", _("Email")


class OutboxStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")  # the gateway's delivery receipt said so
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Not needed any more")


class OutboxMessage(models.Model):
    """A message to a person, written in the same transaction as the change that caused it."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    recipient = models.CharField(max_length=254)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    purpose = models.CharField(max_length=40, blank=True)
    status = models.CharField(max_length=10, choices=OutboxStatus.choices, default=OutboxStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    provider_reference = models.CharField(max_length=100, blank=True)
    receipt_at = models.DateTimeField(null=True, blank=True,
                                      help_text="When the gateway reported the message delivered or failed")
    next_attempt_at = models.DateTimeField(null=True, blank=True,
                                           help_text="Not before this: after a failure, or quiet hours")
    key = models.CharField(max_length=100, null=True, blank=True, unique=True,
                           help_text="Set for messages that must never go twice")
    fallback_channel = models.CharField(max_length=10, choices=Channel.choices, blank=True)
    fallback_recipient = models.CharField(max_length=254, blank=True)

    # Not columns: the staff outbox page sets them on each row it shows.
    secret: bool
    recipient_masked: str

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"]),
                   # delivery receipts find their message by the gateway's id
                   models.Index(fields=["provider_reference"], condition=~models.Q(provider_reference=""),
                                name="outbox_provider_reference"),
                   # the urgent sweep finds a fresh code among a bulk file's thousands of waiting messages
                   models.Index(fields=["purpose", "id"], condition=models.Q(status="pending", attempts=0),
                                name="outbox_fresh_by_purpose")]

    def __str__(self) -> str:
        return f"{self.channel} to {self.recipient} ({self.status})"


class SimulatedMessage(models.Model):
    """A message the SMS/WhatsApp gateway simulator accepted: what the simulated phone shows, and the delivery
    receipt it owes the portal. Development and tests only (SMS_SIMULATOR_ENABLED)."""

    class Status(models.TextChoices):
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Not delivered")

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    message_id = models.CharField(max_length=40, unique=True)
    idempotency_key = models.CharField(max_length=100, unique=True)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    recipient = models.CharField(max_length=32, db_index=True)
    text = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices)
    error_code = models.CharField(max_length=40, blank=True)
    callback_url = models.CharField(max_length=300)
    receipt_due_at = models.DateTimeField(null=True, blank=True, help_text="Empty once the portal took the receipt")
    receipt_attempts = models.PositiveSmallIntegerField(default=0)
    receipt_answer = models.PositiveSmallIntegerField(null=True, blank=True, help_text="HTTP status of the last try")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["receipt_due_at"], condition=models.Q(receipt_due_at__isnull=False),
                                name="simulated_receipt_due")]

    def __str__(self) -> str:
        return f"{self.message_id} {self.channel} {self.status}"


class IdempotencyRecord(models.Model):
    """The first response to a write sent with an Idempotency-Key; a replay gets it back and changes nothing."""

    created_at = models.DateTimeField(auto_now_add=True)
    owner = models.CharField(max_length=60, help_text="Who sent the key, e.g. partner:12")
    key = models.CharField(max_length=100)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of method, path and body")
    status_code = models.PositiveSmallIntegerField(null=True)
    response = models.JSONField(null=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["owner", "key"], name="idempotency_one_per_owner_key")]

    def __str__(self) -> str:
        return f"{self.owner} {self.key}"


class PhoneCode(models.Model):
    """A one-time sign-in code sent to a phone. Only a hash of the code is kept."""

    created_at = models.DateTimeField(auto_now_add=True)
    phone = PhoneNumberField(region="ID", db_index=True)
    code_hash = models.CharField(max_length=128)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"code for {self.phone}"


class JobRun(models.Model):
    """One run of a scheduled job: when, how many items, what went wrong. Operators read last night's runs here
    instead of in the logs."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Finished")
        FAILED = "failed", _("Failed")

    job = models.CharField(max_length=100)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    handled = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    errors = models.TextField(blank=True)

    label: str  # not a column: the staff jobs page sets it on each run it shows

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["job", "-started_at"]), models.Index(fields=["-started_at"])]

    def __str__(self) -> str:
        return f"{self.job} {self.started_at:%Y-%m-%d %H:%M} {self.status}"

    @property
    def seconds(self) -> float | None:
        return (self.finished_at - self.started_at).total_seconds() if self.finished_at else None
