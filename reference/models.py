"""Reference data every app reads: Kemendagri regions, ecosystems, tariffs (income bases, rates, discounts), the
branches that serve each regency, and which staff work for which branch or region."""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext_lazy as _


class RegionLevel(models.IntegerChoices):
    PROVINCE = 1, _("Province")
    REGENCY = 2, _("Regency/city")
    DISTRICT = 3, _("District")
    VILLAGE = 4, _("Village")


class Region(models.Model):
    """Kemendagri region, keyed by its dotted code (32.01.01.2001) so a child's parent is its code prefix."""

    code = models.CharField(max_length=13, primary_key=True)
    name = models.CharField(max_length=100)
    level = models.PositiveSmallIntegerField(choices=RegionLevel.choices)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    postal_code = models.CharField(max_length=5, blank=True)

    class Meta:
        db_table = "ecosystems_region"  # kept from the app it moved out of
        ordering = ["code"]
        indexes = [models.Index(fields=["parent", "name"])]
        constraints = [models.CheckConstraint(condition=models.Q(level__gte=1, level__lte=4), name="region_level_1_4")]

    def __str__(self) -> str:
        return self.name


class Ecosystem(models.Model):
    """How the agency grows coverage (desa, pasar, e-commerce & UMKM, pekerja rentan); admins may add more."""

    code = models.SlugField(max_length=30, primary_key=True)
    name_id = models.CharField(max_length=80)
    name_en = models.CharField(max_length=80)
    description_id = models.CharField(max_length=200, blank=True)
    description_en = models.CharField(max_length=200, blank=True)
    sort_order = models.PositiveSmallIntegerField(default=100)
    active = models.BooleanField(default=True, help_text="Inactive ecosystems keep their members but are not offered")

    class Meta:
        db_table = "ecosystems_ecosystem"  # kept from the app it moved out of
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_en if (translation.get_language() or "id").startswith("en") else self.name_id

    @property
    def description(self) -> str:
        return self.description_en if (translation.get_language() or "id").startswith("en") else self.description_id


class StaffRegion(models.Model):
    """Regional staff: the province or regency/city whose dashboards they see. Admins see the whole country."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_region")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", db_constraint=False,
                               limit_choices_to={"level__lte": 2})

    class Meta:
        db_table = "ecosystems_staffregion"  # kept from the app it moved out of

    def __str__(self) -> str:
        return f"{self.user} @ {self.region_id}"


class Program(models.TextChoices):
    JKK = "JKK", _("Work accident (JKK)")
    JKM = "JKM", _("Death (JKM)")
    JHT = "JHT", _("Old-age savings (JHT)")


COMPULSORY_PROGRAMS = (Program.JKK, Program.JKM)


class IncomeBase(models.Model):
    """A declared-income step a member may choose. Steps between the two known ends are provisional."""

    amount_idr = models.BigIntegerField(unique=True)
    provisional = models.BooleanField(default=False, help_text="Not confirmed by a regulation yet")
    active = models.BooleanField(default=True)
    effective_from = models.DateField(default=datetime.date(2015, 7, 1))
    effective_to = models.DateField(null=True, blank=True, help_text="Last day it may be chosen; empty: no end")

    class Meta:
        db_table = "contributions_incomebase"  # kept from the app it moved out of
        ordering = ["amount_idr"]
        constraints = [models.CheckConstraint(condition=Q(amount_idr__gt=0), name="income_base_positive")]

    def __str__(self) -> str:
        return str(self.amount_idr)


class TariffRate(models.Model):
    """The rate of one program from a date on: a percentage of the income base or a flat rupiah amount."""

    program = models.CharField(max_length=3, choices=Program.choices)
    effective_from = models.DateField()
    percent = models.DecimalField(max_digits=6, decimal_places=3, null=True, blank=True)
    flat_idr = models.BigIntegerField(null=True, blank=True)
    source = models.CharField(max_length=200, blank=True)

    class Meta:
        db_table = "contributions_tariffrate"  # kept from the app it moved out of
        ordering = ["program", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["program", "effective_from"], name="tariff_rate_one_per_date"),
            models.CheckConstraint(
                condition=(Q(percent__isnull=False, flat_idr__isnull=True, percent__gt=0)
                           | Q(percent__isnull=True, flat_idr__isnull=False, flat_idr__gt=0)),
                name="tariff_rate_percent_xor_flat",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program} from {self.effective_from}"


class Discount(models.Model):
    """A dated, targeted cut on named programs, e.g. PP 50/2025. Empty `sectors` means every sector."""

    name = models.CharField(max_length=120)
    percent = models.DecimalField(max_digits=5, decimal_places=2)
    programs = models.JSONField(default=list)
    first_month = models.DateField(help_text="First day of the first month it applies to")
    last_month = models.DateField(help_text="First day of the last month it applies to")
    sectors = models.JSONField(default=list, blank=True)
    excluded_funding = models.JSONField(default=list, blank=True)
    source = models.CharField(max_length=200, blank=True)

    class Meta:
        db_table = "contributions_discount"  # kept from the app it moved out of
        ordering = ["first_month", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(percent__gt=0, percent__lte=100), name="discount_percent_range"),
            models.CheckConstraint(condition=Q(last_month__gte=models.F("first_month")), name="discount_period_valid"),
        ]

    def __str__(self) -> str:
        return self.name


class Branch(models.Model):
    """A BPJAMSOSTEK branch office that handles claims. Exactly one is the default, for regencies no area names."""

    code = models.CharField(max_length=10, unique=True)
    name = models.CharField(max_length=120)
    is_default = models.BooleanField(default=False, help_text="Serves every regency that has no branch area")

    class Meta:
        db_table = "claims_branch"  # kept from the app it moved out of
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

    regency = models.OneToOneField("reference.Region", on_delete=models.PROTECT, db_constraint=False,
                                   related_name="branch_area", limit_choices_to={"level": 2})
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="areas")

    class Meta:
        db_table = "claims_brancharea"  # kept from the app it moved out of
        ordering = ["regency_id"]  # no join: the regency row may not be loaded yet

    def __str__(self) -> str:
        return f"{self.regency_id} → {self.branch.code}"

    def clean(self) -> None:
        if self.regency_id and self.regency.level != RegionLevel.REGENCY:
            raise ValidationError({"regency": _("A branch area is a regency or city.")})


class StaffBranch(models.Model):
    """The branch a branch-staff or supervisor account works for; it sees and handles only that branch's claims.
    Admins (role `admin`) see every branch and need no row."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_branch")
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="staff")

    class Meta:
        db_table = "claims_staffbranch"  # kept from the app it moved out of

    def __str__(self) -> str:
        return f"{self.user} @ {self.branch.code}"
