"""Tariffs as reference data with effective dates: never literals in code (DOMAIN.md)."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


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

    class Meta:
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
        ordering = ["first_month", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(percent__gt=0, percent__lte=100), name="discount_percent_range"),
            models.CheckConstraint(condition=Q(last_month__gte=models.F("first_month")), name="discount_period_valid"),
        ]

    def __str__(self) -> str:
        return self.name
