"""Claims reference data: benefit amounts, multiples, periods and scholarship levels with effective dates, JHT
return rates per year, and the branches that serve each regency (DOMAIN.md: never literals in code).

Claims themselves: `Claim` (filed by the worker or an heir, routed to a branch, reviewed by staff, approved by a
supervisor who did not verify it), its `ClaimDocument`s (private storage), its `ClaimPayout` and the payout's
append-only `PayoutEntry` rows. The history of a claim is its `core.AuditEvent`s (object type `claims.claim`).
"""

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from claims.uploads import claim_documents_storage
from reference.models import Branch

if TYPE_CHECKING:
    from claims.rules import Sla


class ClaimType(models.TextChoices):
    JKK_MEDICAL = "jkk_medical", _("JKK: medical costs")
    JKK_TEMPORARY_INCAPACITY = "jkk_incapacity", _("JKK: temporary incapacity")
    JKK_DISABILITY = "jkk_disability", _("JKK: disability")
    JKK_DEATH = "jkk_death", _("JKK: death from a work accident")
    JKK_SCHOLARSHIP = "jkk_scholarship", _("JKK: scholarship")
    JKM_DEATH = "jkm_death", _("JKM: death benefit")
    JKM_SCHOLARSHIP = "jkm_scholarship", _("JKM: scholarship")
    JHT_AGE = "jht_age", _("JHT: balance at retirement age")
    JHT_DEATH = "jht_death", _("JHT: balance on death")
    JHT_DISABILITY = "jht_disability", _("JHT: total permanent disability")
    JHT_LEAVING = "jht_leaving", _("JHT: leaving Indonesia for good")
    JHT_STOPPED = "jht_stopped", _("JHT: stopped working")
    JHT_PARTIAL_PENSION = "jht_partial_pension", _(
        "JHT: partial withdrawal to prepare for retirement (up to 10 %)")
    JHT_PARTIAL_HOUSING = "jht_partial_housing", _("JHT: partial withdrawal for housing (up to 30 %)")


DEATH_CLAIM_TYPES = (ClaimType.JKK_DEATH, ClaimType.JKM_DEATH, ClaimType.JHT_DEATH)
SCHOLARSHIP_TYPES = (ClaimType.JKM_SCHOLARSHIP, ClaimType.JKK_SCHOLARSHIP)
# Part of the JHT balance, once, after 10 years of membership (the figures are dated BenefitRules); the membership
# goes on. A later full JHT claim pays the rest (claims.benefits.jht_balance).
JHT_PARTIAL_TYPES = (ClaimType.JHT_PARTIAL_PENSION, ClaimType.JHT_PARTIAL_HOUSING)
# The JHT claims that pay the whole balance.
JHT_FULL_TYPES = (ClaimType.JHT_AGE, ClaimType.JHT_DEATH, ClaimType.JHT_DISABILITY, ClaimType.JHT_LEAVING,
                  ClaimType.JHT_STOPPED)


def claim_program(claim_type: str) -> str:
    """ "jkm_death" -> "JKM"."""
    return claim_type.split("_")[0].upper()


class RuleKind(models.TextChoices):
    """Each kind holds exactly one kind of value (a constraint below says which)."""

    JKM_LUMP_SUM = "jkm_lump_sum", _("JKM lump sum")
    JKM_PERIODIC = "jkm_periodic", _("JKM periodic benefit (24 months paid at once)")
    JKM_FUNERAL = "jkm_funeral", _("JKM funeral costs")
    JKM_EARLY_DEATH = "jkm_early_death", _("JKM death in the first months of membership")
    JKM_EARLY_DEATH_MONTHS = "jkm_early_months", _("JKM early-death period (months of membership)")
    JKM_SCHOLARSHIP_MONTHS = "jkm_school_months", _("JKM scholarship: months of membership required")
    JKK_DEATH_MULTIPLE = "jkk_death_multiple", _("JKK death: multiple of the declared monthly income")
    JKK_PERIODIC = "jkk_periodic", _("JKK death: periodic benefit (24 months paid at once)")
    JKK_FUNERAL = "jkk_funeral", _("JKK death: funeral costs")
    PAID_MONTHS_RESTART = "paid_months_restart", _("Paid months are counted again from a reactivation")
    JKK_CLAIM_YEARS = "jkk_claim_years", _("JKK: years after the accident a claim may be filed")
    SCHOLARSHIP_MAX_CHILDREN = "school_children", _("Scholarship: children at most")
    SCHOLARSHIP_CAP = "school_cap", _("Scholarship: total at most")
    JHT_AGE_YEARS = "jht_age_years", _("JHT: retirement age (years)")
    SCHOLARSHIP_END_AGE = "school_end_age", _("Scholarship: paid until the child reaches this age (years)")
    SCHOOL_YEAR_START_MONTH = "school_year_month", _("Scholarship: the month a school year starts (1–12)")
    SCHOLARSHIP_REMINDER_DAYS = "school_remind_days", _("Scholarship: days before a school year the heir is reminded")
    JKK_DISABILITY_BASE = "jkk_dis_base", _("JKK disability: the income multiple a table percentage applies to")
    JKK_TOTAL_DISABILITY = "jkk_dis_total", _("JKK total permanent disability: multiple of the declared income")
    JKK_DISABILITY_PERIODIC = "jkk_dis_periodic", _("JKK total permanent disability: periodic benefit paid at once")
    JKK_STMB_FULL_MONTHS = "jkk_stmb_months", _("JKK temporary incapacity: months paid at the full rate")
    JKK_STMB_FULL_RATE = "jkk_stmb_full", _("JKK temporary incapacity: share of income in the first months")
    JKK_STMB_LATER_RATE = "jkk_stmb_later", _("JKK temporary incapacity: share of income after them")
    JKK_TRANSPORT_LAND = "jkk_transport_land", _("JKK transport by land, river or lake: at most")
    JKK_TRANSPORT_SEA = "jkk_transport_sea", _("JKK transport by sea: at most")
    JKK_TRANSPORT_AIR = "jkk_transport_air", _("JKK transport by air: at most")
    JKK_HOME_CARE_YEAR = "jkk_home_care", _("JKK home care: at most a year per case")
    JKK_ORTHOSIS_MARKUP = "jkk_orthosis", _("JKK orthoses and prostheses: multiple of the rehabilitation-centre price")
    JHT_PARTIAL_YEARS = "jht_partial_years", _("JHT partial withdrawal: years of membership required")
    JHT_PARTIAL_RETIREMENT = "jht_partial_pension", _("JHT partial withdrawal for retirement: share of the balance")
    JHT_PARTIAL_HOUSING = "jht_partial_housing", _("JHT partial withdrawal for housing: share of the balance")
    JHT_NPWP_ABOVE = "jht_npwp_above", _("JHT housing withdrawal: an NPWP is needed above this balance")


AMOUNT_KINDS = [RuleKind.JKM_LUMP_SUM, RuleKind.JKM_PERIODIC, RuleKind.JKM_FUNERAL, RuleKind.JKM_EARLY_DEATH,
                RuleKind.SCHOLARSHIP_CAP, RuleKind.JKK_PERIODIC, RuleKind.JKK_FUNERAL, RuleKind.JKK_DISABILITY_PERIODIC,
                RuleKind.JKK_TRANSPORT_LAND, RuleKind.JKK_TRANSPORT_SEA, RuleKind.JKK_TRANSPORT_AIR,
                RuleKind.JKK_HOME_CARE_YEAR, RuleKind.JHT_NPWP_ABOVE]
MULTIPLE_KINDS = [RuleKind.JKK_DEATH_MULTIPLE, RuleKind.JKK_DISABILITY_BASE, RuleKind.JKK_TOTAL_DISABILITY,
                  RuleKind.JKK_STMB_FULL_RATE, RuleKind.JKK_STMB_LATER_RATE, RuleKind.JKK_ORTHOSIS_MARKUP,
                  RuleKind.JHT_PARTIAL_RETIREMENT, RuleKind.JHT_PARTIAL_HOUSING]
QUANTITY_KINDS = [RuleKind.JKM_EARLY_DEATH_MONTHS, RuleKind.JKM_SCHOLARSHIP_MONTHS, RuleKind.SCHOLARSHIP_MAX_CHILDREN,
                  RuleKind.JHT_AGE_YEARS, RuleKind.JKK_CLAIM_YEARS, RuleKind.SCHOLARSHIP_END_AGE,
                  RuleKind.SCHOOL_YEAR_START_MONTH, RuleKind.SCHOLARSHIP_REMINDER_DAYS, RuleKind.JKK_STMB_FULL_MONTHS,
                  RuleKind.JHT_PARTIAL_YEARS]
FLAG_KINDS = [RuleKind.PAID_MONTHS_RESTART]


class BenefitRule(models.Model):
    """One benefit figure from a date on: a rupiah amount, a multiple of the declared income, a count (months,
    years or children, as the kind says) or a yes/no setting. The row in force on the event date applies."""

    kind = models.CharField(max_length=20, choices=RuleKind.choices)
    effective_from = models.DateField()
    amount_idr = models.BigIntegerField(null=True, blank=True)
    multiple = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    quantity = models.PositiveIntegerField(null=True, blank=True, help_text="Months, years or children")
    flag = models.BooleanField(null=True, blank=True, help_text="A yes/no setting (its kind says what it means)")
    provisional = models.BooleanField(default=False, help_text="Sources disagree (DOMAIN.md: open)")
    source = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["kind", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "effective_from"], name="benefit_rule_one_per_date"),
            models.CheckConstraint(
                condition=(Q(kind__in=AMOUNT_KINDS, amount_idr__gt=0, multiple__isnull=True, quantity__isnull=True,
                             flag__isnull=True)
                           | Q(kind__in=MULTIPLE_KINDS, multiple__gt=0, amount_idr__isnull=True,
                               quantity__isnull=True, flag__isnull=True)
                           | Q(kind__in=QUANTITY_KINDS, quantity__gt=0, amount_idr__isnull=True,
                               multiple__isnull=True, flag__isnull=True)
                           | Q(kind__in=FLAG_KINDS, flag__isnull=False, amount_idr__isnull=True,
                               multiple__isnull=True, quantity__isnull=True)),
                name="benefit_rule_value_fits_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} from {self.effective_from}"


class SchoolLevel(models.TextChoices):
    PRIMARY = "primary", _("Kindergarten and primary school")
    JUNIOR_HIGH = "junior_high", _("Junior high school")
    SENIOR_HIGH = "senior_high", _("Senior high school")
    UNIVERSITY = "university", _("University")


class ScholarshipLevel(models.Model):
    """What one child receives per year at a school level, and for how many years; `position` orders the levels
    a child moves through."""

    level = models.CharField(max_length=12, choices=SchoolLevel.choices)
    effective_from = models.DateField()
    position = models.PositiveSmallIntegerField()
    yearly_idr = models.BigIntegerField()
    years = models.PositiveSmallIntegerField()
    source = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-effective_from", "position"]
        constraints = [
            models.UniqueConstraint(fields=["level", "effective_from"], name="scholarship_level_one_per_date"),
            models.UniqueConstraint(fields=["position", "effective_from"], name="scholarship_position_one_per_date"),
            models.CheckConstraint(condition=Q(yearly_idr__gt=0), name="scholarship_yearly_positive"),
            models.CheckConstraint(condition=Q(years__gt=0), name="scholarship_years_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.level} from {self.effective_from}"


class DisabilityRate(models.Model):
    """A row of PP 44/2015's disability table (its annex): the percentage a lost or impaired part of the body
    counts for. Admins fill and correct it; a claim uses the row in force on the accident date."""

    code = models.SlugField(max_length=40)
    label = models.CharField(max_length=200)
    percent = models.DecimalField(max_digits=5, decimal_places=2)
    effective_from = models.DateField()
    provisional = models.BooleanField(default=False, help_text="Not yet checked against the regulation's text")
    source = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["code", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["code", "effective_from"], name="disability_rate_one_per_date"),
            models.CheckConstraint(condition=Q(percent__gt=0, percent__lte=100), name="disability_rate_percent_range"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.percent} % from {self.effective_from}"


class JhtReturnRate(models.Model):
    """The yearly return on JHT balances that admins declare for a year (a provisional rate until it is final)."""

    year = models.PositiveSmallIntegerField(unique=True)
    percent = models.DecimalField(max_digits=5, decimal_places=2)
    provisional = models.BooleanField(default=False)
    source = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-year"]
        constraints = [
            models.CheckConstraint(condition=Q(percent__gte=0, percent__lt=100), name="jht_return_percent_range"),
            models.CheckConstraint(condition=Q(year__gte=1977, year__lte=2200), name="jht_return_year_range"),
        ]

    def __str__(self) -> str:
        return f"{self.year}: {self.percent} %"


class HeirRelationship(models.TextChoices):
    SPOUSE = "spouse", _("Spouse")
    CHILD = "child", _("Child")
    PARENT = "parent", _("Parent")
    GRANDPARENT = "grandparent", _("Grandparent")
    GRANDCHILD = "grandchild", _("Grandchild")
    SIBLING = "sibling", _("Brother or sister")
    PARENT_IN_LAW = "parent_in_law", _("Parent-in-law")
    CHILD_IN_LAW = "child_in_law", _("Son- or daughter-in-law (not an heir)")
    SIBLING_IN_LAW = "sibling_in_law", _("Brother- or sister-in-law (not an heir)")
    NAMED_IN_WILL = "will", _("Person named in a will")
    # Not a person: the state office that takes the JHT of a participant with no heir (its officer files).
    BHP = "bhp", _("Balai Harta Peninggalan (no heir)")


# The heir order (DOMAIN.md's classes, ordered inside the direct line as issue 16 sets out): spouse or children;
# else the direct line to the second degree, parents before grandchildren before grandparents; else siblings; else
# parents-in-law; else a person named in a will; for JHT only, with no heir at all, the Balai Harta Peninggalan
# (decision AE). A lower number comes first. Children- and siblings-in-law are no heirs (their values stay for
# claims filed before).
HEIR_CLASS = {
    HeirRelationship.SPOUSE: 1, HeirRelationship.CHILD: 1,
    HeirRelationship.PARENT: 2, HeirRelationship.GRANDCHILD: 3, HeirRelationship.GRANDPARENT: 4,
    HeirRelationship.SIBLING: 5,
    HeirRelationship.PARENT_IN_LAW: 6,
    HeirRelationship.NAMED_IN_WILL: 7,
    HeirRelationship.BHP: 8,
}
HEIRS = [relationship for relationship in HeirRelationship if relationship in HEIR_CLASS]


class ClaimStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    VERIFYING = "verifying", _("Being verified")
    MORE_DOCUMENTS = "more_documents", _("More documents needed")
    VERIFIED = "verified", _("Verified, waiting for approval")
    APPROVED = "approved", _("Approved")
    PAID = "paid", _("Paid")
    REJECTED = "rejected", _("Rejected")

# Its allowed moves: claims.transitions (nothing else changes `status`).


class ClaimNumberCounter(models.Model):
    """The last claim number issued in a year. Incremented with one UPDATE that holds the row until commit, so two
    filings at once get consecutive numbers (PostgreSQL row lock; SQLite takes its write lock on the UPDATE)."""

    year = models.PositiveSmallIntegerField(unique=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class Claim(models.Model):
    """A claim for one benefit of one member. `claimant` is the account that filed it: the worker, or an heir
    signed in with their own phone (`heir_*` filled, the deceased's account not needed)."""

    number = models.CharField(_("claim number"), max_length=20, unique=True)
    claim_type = models.CharField(_("claim type"), max_length=20, choices=ClaimType.choices)
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="claims")
    claimant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="claims")
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="claims")
    status = models.CharField(_("status"), max_length=20, choices=ClaimStatus.choices, default=ClaimStatus.SUBMITTED)
    status_changed_at = models.DateTimeField()

    # Heir filing (death claims): the heir's own identity; the NIK only encrypted (core.nik).
    heir_name = models.CharField(_("heir's name"), max_length=120, blank=True)
    heir_nik_ciphertext = models.TextField(blank=True)
    heir_relationship = models.CharField(_("relationship to the deceased"), max_length=20,
                                         choices=HeirRelationship.choices, blank=True)
    heir_phone = models.CharField(_("heir's phone"), max_length=20, blank=True, help_text="E.164")

    # The event: death, accident, age, disability or leaving Indonesia.
    event_date = models.DateField(_("date of the event"))
    event_time = models.TimeField(_("time"), null=True, blank=True)
    event_place = models.CharField(_("place"), max_length=200, blank=True)
    event_description = models.TextField(_("what happened"), blank=True)
    commuting = models.BooleanField(_("on the way to or from work"), null=True, blank=True)
    traffic_accident = models.BooleanField(_("traffic accident"), null=True, blank=True)
    reported_late = models.BooleanField(default=False, help_text="JKK reported more than 2×24 hours after the event")
    details = models.JSONField(default=dict, blank=True,
                               help_text="Type-specific inputs, e.g. children and school levels for scholarships")

    # Where the benefit goes: the account number only encrypted, shown masked.
    bank_name = models.CharField(_("bank"), max_length=60, blank=True)
    account_holder = models.CharField(_("account holder"), max_length=120, blank=True)
    account_number_ciphertext = models.TextField(blank=True)
    account_number_masked = models.CharField(max_length=20, blank=True)

    # Review.
    documents_complete_at = models.DateTimeField(null=True, blank=True, help_text="Starts the service-level clock")
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    verified_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.TextField(_("reason"), blank=True)

    # The calculation as approved (claims.benefits): total, refund and the itemised lines.
    benefit_idr = models.BigIntegerField(null=True, blank=True)
    refund_idr = models.BigIntegerField(null=True, blank=True)
    breakdown = models.JSONField(default=dict, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Not columns: set on the rows staff read (claims.selectors.branch_queue, the API's detail).
    sla: "Sla"
    age_days: int

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["branch", "status", "created_at"]),
                   models.Index(fields=["member", "claim_type"])]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=ClaimStatus.values), name="claim_status_valid"),
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | Q(verified_by__isnull=True)
                | ~Q(decided_by=models.F("verified_by")),
                name="claim_maker_checker"),
            models.CheckConstraint(condition=Q(benefit_idr__isnull=True) | Q(benefit_idr__gte=0),
                                   name="claim_benefit_not_negative"),
            # One death benefit per member and program (rejected claims do not count).
            models.UniqueConstraint(fields=["member", "claim_type"],
                                    condition=Q(claim_type__in=DEATH_CLAIM_TYPES) & ~Q(status="rejected"),
                                    name="claim_one_live_death_claim"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.claim_type} {self.status}"


class DocumentKind(models.TextChoices):
    PARTICIPANT_CARD = "card", _("Participant card")
    KTP = "ktp", _("KTP of the participant")
    HEIR_KTP = "heir_ktp", _("KTP of the heir")
    DEATH_CERTIFICATE = "death_cert", _("Death certificate")
    FAMILY_CARD = "family_card", _("Family card (KK)")
    HEIR_CERTIFICATE = "heir_cert", _("Heir certificate")
    MARRIAGE_BOOK = "marriage_book", _("Marriage book")
    BANK_BOOK = "bank_book", _("Bank book")
    DOCTOR_STATEMENT = "doctor", _("Doctor's statement")
    RECEIPTS = "receipts", _("Medical and transport receipts")
    POLICE_REPORT = "police", _("Police report")
    PASSPORT = "passport", _("Passport")
    LEAVING_STATEMENT = "leaving", _("Statement of leaving Indonesia for good")
    STOPPED_STATEMENT = "stopped", _("Statement that you stopped working")
    SCHOOL_CERTIFICATE = "school", _("School certificate of the child")
    HOUSING = "housing", _("Purchase agreement or bank credit papers for the house")
    NPWP = "npwp", _("NPWP (tax number card)")
    NO_HEIR = "no_heir", _("Court ruling or statement that there is no heir")
    OTHER = "other", _("Other document")


class DocumentStatus(models.TextChoices):
    PENDING = "pending", _("Not checked yet")
    VALID = "valid", _("Valid")
    INVALID = "invalid", _("Not valid, another is needed")


def _document_path(document: "ClaimDocument", filename: str) -> str:
    # Never the uploader's file name: a random name under the claim's id (claims/uploads.py sets `filename`).
    return f"{document.claim_id}/{filename}"


class ClaimDocument(models.Model):
    """One uploaded file for one checklist item. A replacement is a new row; the latest row of a kind counts."""

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="documents")
    kind = models.CharField(_("document"), max_length=20, choices=DocumentKind.choices)
    file = models.FileField(storage=claim_documents_storage, upload_to=_document_path, max_length=200)
    content_type = models.CharField(max_length=60)
    size_bytes = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    original_name = models.CharField(max_length=200, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=10, choices=DocumentStatus.choices, default=DocumentStatus.PENDING)
    review_note = models.CharField(_("note for the claimant"), max_length=300, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["claim", "kind", "uploaded_at", "id"]
        indexes = [models.Index(fields=["claim", "kind"])]

    def __str__(self) -> str:
        return f"{self.claim_id} {self.kind} {self.status}"


class ClaimPayout(models.Model):
    """The transfer of an approved claim: one per claim. Its money is itemised in PayoutEntry rows."""

    claim = models.OneToOneField(Claim, on_delete=models.PROTECT, related_name="payout")
    amount_idr = models.BigIntegerField(help_text="Benefit + refund, = the sum of its entries")
    bank_name = models.CharField(_("bank"), max_length=60)
    account_holder = models.CharField(_("account holder"), max_length=120)
    account_number_masked = models.CharField(_("account number"), max_length=20)
    transfer_reference = models.CharField(_("transfer reference"), max_length=60, unique=True)
    paid_at = models.DateTimeField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(amount_idr__gt=0), name="payout_amount_positive")]

    def __str__(self) -> str:
        return f"{self.transfer_reference} {self.amount_idr}"


class PayoutEntryKind(models.TextChoices):
    BENEFIT = "benefit", _("Benefit")
    REFUND = "refund", _("Contributions refunded")


class PayoutEntry(models.Model):
    """Append-only: a payout's lines (benefit lines as calculated, one refund line per month paid after the event).
    Only ever inserted; the payout's amount equals their sum."""

    payout = models.ForeignKey(ClaimPayout, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(max_length=10, choices=PayoutEntryKind.choices)
    label = models.CharField(max_length=200)
    amount_idr = models.BigIntegerField()
    bill = models.ForeignKey("contributions.Bill", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                             help_text="The month refunded")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["payout", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_idr__gt=0), name="payout_entry_positive"),
            models.CheckConstraint(condition=Q(kind="refund", bill__isnull=False)
                                   | Q(kind="benefit", bill__isnull=True), name="payout_entry_refund_has_bill"),
            models.UniqueConstraint(fields=["bill"], condition=Q(kind="refund"), name="payout_refund_once_per_bill"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount_idr}"


# The school years of a scholarship claim (claims.models.scholarships), re-exported here with the rest.
from claims.models.scholarships import (  # noqa: E402 - after the models they point to
    ScholarshipChild,
    ScholarshipChildStatus,
    ScholarshipEndReason,
    ScholarshipPayment,
    ScholarshipPaymentStatus,
)

__all__ = [
    "JHT_FULL_TYPES", "JHT_PARTIAL_TYPES", "AMOUNT_KINDS", "DEATH_CLAIM_TYPES", "FLAG_KINDS", "HEIRS", "HEIR_CLASS",
    "MULTIPLE_KINDS", "QUANTITY_KINDS", "SCHOLARSHIP_TYPES", "DisabilityRate", "BenefitRule", "Claim",
    "ClaimDocument", "ClaimNumberCounter", "ClaimPayout", "ClaimStatus", "ClaimType", "DocumentKind",
    "DocumentStatus", "HeirRelationship", "JhtReturnRate", "PayoutEntry", "PayoutEntryKind", "RuleKind",
    "ScholarshipChild", "ScholarshipChildStatus", "ScholarshipEndReason", "ScholarshipLevel", "ScholarshipPayment",
    "ScholarshipPaymentStatus", "SchoolLevel", "claim_program",
]
