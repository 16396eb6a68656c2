"""A scholarship claim's school years: the children it covers and each school year's payment."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from claims.models import Claim, ClaimDocument, ClaimPayout, SchoolLevel


class ScholarshipChildStatus(models.TextChoices):
    ACTIVE = "active", _("Receiving the scholarship")
    ENDED = "ended", _("Ended")


class ScholarshipEndReason(models.TextChoices):
    AGE = "age", _("Reached the age limit")
    MARRIED = "married", _("Married")
    WORKING = "working", _("Started working")
    COMPLETED = "completed", _("Every school level paid")
    CAP = "cap", _("The scholarship total is reached")


class ScholarshipChild(models.Model):
    """A child a paid scholarship claim covers: paid school year by school year (ScholarshipPayment) until the
    child reaches the age limit, marries, starts working, or every level or the total is paid. One row per child
    of a member, whichever heir claimed it (the NIK's blind index is unique per member)."""

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="scholarship_children")
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField()
    name = models.CharField(_("child's name"), max_length=120)
    nik_digest = models.CharField(max_length=64)
    nik_masked = models.CharField(max_length=20)
    birth_date = models.DateField(_("child's date of birth"))
    first_level = models.CharField(max_length=12, choices=SchoolLevel.choices, blank=True,
                                   help_text="The level at filing; empty: not at school yet")
    first_year_in_level = models.PositiveSmallIntegerField(default=1)
    granted_school_year = models.PositiveSmallIntegerField(
        help_text="The school year the claim was paid in: later years are sent one by one after it")
    status = models.CharField(max_length=10, choices=ScholarshipChildStatus.choices,
                              default=ScholarshipChildStatus.ACTIVE)
    status_changed_at = models.DateTimeField()
    end_reason = models.CharField(max_length=10, choices=ScholarshipEndReason.choices, blank=True)
    reminded_for = models.PositiveSmallIntegerField(null=True, blank=True,
                                                    help_text="The school year the heir was last reminded of")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["claim", "position"]
        constraints = [
            models.UniqueConstraint(fields=["member", "nik_digest"], name="scholarship_child_once_per_member"),
            models.UniqueConstraint(fields=["claim", "position"], name="scholarship_child_position"),
            models.CheckConstraint(condition=Q(status__in=ScholarshipChildStatus.values)
                                   & (Q(status="active", end_reason="") | Q(status="ended") & ~Q(end_reason="")),
                                   name="scholarship_child_end_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.claim_id} child {self.position} {self.status}"


class ScholarshipPaymentStatus(models.TextChoices):
    SUBMITTED = "submitted", _("School certificate sent, being checked")
    RELEASED = "released", _("Released, to be transferred")
    PAID = "paid", _("Transferred")
    REFUSED = "refused", _("Certificate not accepted")


class ScholarshipPayment(models.Model):
    """One school year's scholarship for one child. The first year is paid with the claim (`payout`); each later
    year is released when the heir's school certificate (`document`) is checked valid, then transferred. A refused
    year may be sent again."""

    child = models.ForeignKey(ScholarshipChild, on_delete=models.PROTECT, related_name="payments")
    school_year = models.PositiveSmallIntegerField(help_text="The year the school year starts: 2027 is 2027/2028")
    level = models.CharField(max_length=12, choices=SchoolLevel.choices)
    year_in_level = models.PositiveSmallIntegerField()
    amount_idr = models.BigIntegerField()
    rule = models.CharField(max_length=300, blank=True, help_text="The source of the amount")
    document = models.OneToOneField(ClaimDocument, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="scholarship_payment")
    status = models.CharField(max_length=10, choices=ScholarshipPaymentStatus.choices)
    status_changed_at = models.DateTimeField()
    review_note = models.CharField(max_length=300, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    payout = models.ForeignKey(ClaimPayout, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                               help_text="The claim's payout that paid the first year")
    transfer_reference = models.CharField(max_length=60, null=True, blank=True, unique=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    paid_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["child", "school_year", "id"]
        constraints = [
            models.UniqueConstraint(fields=["child", "school_year"], condition=~Q(status="refused"),
                                    name="scholarship_one_payment_per_year"),
            models.CheckConstraint(condition=Q(amount_idr__gt=0), name="scholarship_payment_positive"),
            models.CheckConstraint(condition=Q(status__in=ScholarshipPaymentStatus.values),
                                   name="scholarship_payment_status_valid"),
            models.CheckConstraint(condition=~Q(status="paid") | Q(payout__isnull=False)
                                   | Q(transfer_reference__isnull=False, paid_at__isnull=False),
                                   name="scholarship_paid_has_transfer"),
        ]

    def __str__(self) -> str:
        return f"{self.child_id} {self.school_year} {self.status}"
