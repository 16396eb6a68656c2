"""Claims reference data: benefit amounts, multiples, periods and scholarship levels with effective dates, JHT
return rates per year, and the branches that serve each regency (DOMAIN.md: never literals in code).

Claims themselves (documents, review, payouts) come in a later slice of issue 6.
"""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


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


DEATH_CLAIM_TYPES = (ClaimType.JKK_DEATH, ClaimType.JKM_DEATH, ClaimType.JHT_DEATH)


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
    SCHOLARSHIP_MAX_CHILDREN = "school_children", _("Scholarship: children at most")
    SCHOLARSHIP_CAP = "school_cap", _("Scholarship: total at most")
    JHT_AGE_YEARS = "jht_age_years", _("JHT: retirement age (years)")


AMOUNT_KINDS = [RuleKind.JKM_LUMP_SUM, RuleKind.JKM_PERIODIC, RuleKind.JKM_FUNERAL, RuleKind.JKM_EARLY_DEATH,
                RuleKind.SCHOLARSHIP_CAP]
MULTIPLE_KINDS = [RuleKind.JKK_DEATH_MULTIPLE]
QUANTITY_KINDS = [RuleKind.JKM_EARLY_DEATH_MONTHS, RuleKind.JKM_SCHOLARSHIP_MONTHS, RuleKind.SCHOLARSHIP_MAX_CHILDREN,
                  RuleKind.JHT_AGE_YEARS]


class BenefitRule(models.Model):
    """One benefit figure from a date on: a rupiah amount, a multiple of the declared income, or a count
    (months, years or children, as the kind says). The row in force on the event date applies."""

    kind = models.CharField(max_length=20, choices=RuleKind.choices)
    effective_from = models.DateField()
    amount_idr = models.BigIntegerField(null=True, blank=True)
    multiple = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    quantity = models.PositiveIntegerField(null=True, blank=True, help_text="Months, years or children")
    provisional = models.BooleanField(default=False, help_text="Sources disagree (DOMAIN.md: open)")
    source = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["kind", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "effective_from"], name="benefit_rule_one_per_date"),
            models.CheckConstraint(
                condition=(Q(kind__in=AMOUNT_KINDS, amount_idr__gt=0, multiple__isnull=True, quantity__isnull=True)
                           | Q(kind__in=MULTIPLE_KINDS, multiple__gt=0, amount_idr__isnull=True,
                               quantity__isnull=True)
                           | Q(kind__in=QUANTITY_KINDS, quantity__gt=0, amount_idr__isnull=True,
                               multiple__isnull=True)),
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


class Branch(models.Model):
    """A BPJAMSOSTEK branch office that handles claims. Exactly one is the default, for regencies no area names."""

    code = models.CharField(max_length=10, unique=True)
    name = models.CharField(max_length=120)
    is_default = models.BooleanField(default=False, help_text="Serves every regency that has no branch area")

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "branches"
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="branch_one_default"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class BranchArea(models.Model):
    """A regency/city (level 2) and the one branch serving it.

    The foreign key has no database constraint: regions come from `regions_load` after `migrate` (decisions.md, B),
    so the seed names regencies by their Kemendagri code before the Region rows exist.
    """

    regency = models.OneToOneField("ecosystems.Region", on_delete=models.PROTECT, db_constraint=False,
                                   related_name="branch_area", limit_choices_to={"level": 2})
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="areas")

    class Meta:
        ordering = ["regency_id"]  # no join: the regency row may not be loaded yet

    def __str__(self) -> str:
        return f"{self.regency_id} → {self.branch.code}"

    def clean(self) -> None:
        from ecosystems.models import RegionLevel

        if self.regency_id and self.regency.level != RegionLevel.REGENCY:
            raise ValidationError({"regency": _("A branch area is a regency or city.")})


class HeirRelationship(models.TextChoices):
    SPOUSE = "spouse", _("Spouse")
    CHILD = "child", _("Child")
    PARENT = "parent", _("Parent")
    GRANDPARENT = "grandparent", _("Grandparent")
    GRANDCHILD = "grandchild", _("Grandchild")
    SIBLING = "sibling", _("Brother or sister")
    PARENT_IN_LAW = "parent_in_law", _("Parent-in-law")
    CHILD_IN_LAW = "child_in_law", _("Son- or daughter-in-law")
    SIBLING_IN_LAW = "sibling_in_law", _("Brother- or sister-in-law")
    NAMED_IN_WILL = "will", _("Person named in a will")


# DOMAIN.md: spouse or children; else direct-line relatives to the second degree; else siblings; else in-laws;
# else a person named in a will. A lower number comes first.
HEIR_CLASS = {
    HeirRelationship.SPOUSE: 1, HeirRelationship.CHILD: 1,
    HeirRelationship.PARENT: 2, HeirRelationship.GRANDPARENT: 2, HeirRelationship.GRANDCHILD: 2,
    HeirRelationship.SIBLING: 3,
    HeirRelationship.PARENT_IN_LAW: 4, HeirRelationship.CHILD_IN_LAW: 4, HeirRelationship.SIBLING_IN_LAW: 4,
    HeirRelationship.NAMED_IN_WILL: 5,
}
