from django.db import models
from django.utils.translation import gettext_lazy as _

from reference.models import Ecosystem

# '' stands for the whole country wherever a region code is stored (targets, workforce, rollups).
NATION = ""


class TargetMeasure(models.TextChoices):
    MEMBERS = "members", _("Active members")
    SHARE = "share", _("Share of the workforce (%)")


class Target(models.Model):
    """A year's goal for the nation, a province or a regency/city, optionally for one ecosystem."""

    year = models.PositiveSmallIntegerField()
    region_code = models.CharField(max_length=5, blank=True, help_text="'' for the nation, 2 or 5 characters")
    ecosystem = models.ForeignKey(Ecosystem, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    measure = models.CharField(max_length=8, choices=TargetMeasure.choices)
    members = models.BigIntegerField(null=True, blank=True)
    share_percent = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    source = models.CharField(max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Not columns: the admin's targets page sets them (ecosystems.selectors.targets.targets_by_year).
    region_name: str
    implied_members: int | None

    class Meta:
        ordering = ["year", "region_code"]
        constraints = [
            models.UniqueConstraint(fields=["year", "region_code", "ecosystem"], name="target_one_per_scope",
                                    nulls_distinct=False),
            models.CheckConstraint(
                condition=(models.Q(measure="members", members__gt=0, share_percent__isnull=True)
                           | models.Q(measure="share", members__isnull=True, share_percent__gt=0,
                                      share_percent__lte=100)),
                name="target_value_matches_measure"),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.region_code or 'ID'} {self.ecosystem_id or '*'}"


class Workforce(models.Model):
    """How many people work in a region in a year (the coverage denominator), e.g. from BPS Sakernas."""

    year = models.PositiveSmallIntegerField()
    region_code = models.CharField(max_length=5, blank=True)
    workers = models.BigIntegerField()
    informal_workers = models.BigIntegerField(null=True, blank=True)
    source = models.CharField(max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    region_name: str  # not a column: set for the admin's targets page

    class Meta:
        ordering = ["year", "region_code"]
        constraints = [
            models.UniqueConstraint(fields=["year", "region_code"], name="workforce_one_per_region_year"),
            models.CheckConstraint(condition=models.Q(workers__gt=0), name="workforce_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.region_code or 'ID'}"


# Rollups. Every fact is kept at three levels (0 nation with region_code '', 1 province, 2 regency/city) so a page
# at any level reads a few hundred rows, never the regency rows below it.
class RollupLevel(models.IntegerChoices):
    NATION = 0, _("Nation")
    PROVINCE = 1, _("Province")
    REGENCY = 2, _("Regency/city")


class _RollupBase(models.Model):
    level = models.PositiveSmallIntegerField(choices=RollupLevel.choices)
    region_code = models.CharField(max_length=5, blank=True)
    ecosystem = models.CharField(max_length=30)
    channel = models.CharField(max_length=10)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.level}:{self.region_code or 'ID'} {self.ecosystem} {self.channel}"


class _Flows(_RollupBase):
    """What happened in the period: registrations, lapses, contributions settled, claims paid."""

    registrations = models.BigIntegerField(db_default=0)
    lapses = models.BigIntegerField(db_default=0)
    bills_paid = models.BigIntegerField(db_default=0)
    collected_idr = models.BigIntegerField(db_default=0)
    claims_paid = models.BigIntegerField(db_default=0)
    claims_paid_idr = models.BigIntegerField(db_default=0)

    class Meta:
        abstract = True


class FlowDay(_Flows):
    """The flows of a day."""

    day = models.DateField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "level", "region_code", "ecosystem", "channel"],
                                               name="flowday_unique")]
        indexes = [models.Index(fields=["level", "region_code", "day"], name="flowday_region_day")]


class FlowMonth(_Flows):
    """FlowDay summed per calendar month, for period totals and lists of regions."""

    month = models.DateField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["month", "level", "region_code", "ecosystem", "channel"],
                                               name="flowmonth_unique")]
        indexes = [models.Index(fields=["level", "region_code", "month"], name="flowmonth_region_month")]


class BillMonth(_RollupBase):
    """Bills per covered month (void ones left out): the payment rate is paid / billed."""

    month = models.DateField()
    billed = models.BigIntegerField(db_default=0)
    billed_idr = models.BigIntegerField(db_default=0)
    paid = models.BigIntegerField(db_default=0)
    paid_idr = models.BigIntegerField(db_default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["month", "level", "region_code", "ecosystem", "channel"],
                                               name="billmonth_unique")]
        indexes = [models.Index(fields=["level", "region_code", "month"], name="billmonth_region_month")]


class Snapshot(_RollupBase):
    """Members by status on a day (kept daily for two months, then the last day of each month)."""

    day = models.DateField()
    registered = models.BigIntegerField(db_default=0)
    active = models.BigIntegerField(db_default=0)
    lapsed = models.BigIntegerField(db_default=0)
    closed = models.BigIntegerField(db_default=0)
    in_arrears = models.BigIntegerField(db_default=0, help_text="Not lapsed or closed, with a bill past its due date")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "level", "region_code", "ecosystem", "channel"],
                                               name="snapshot_unique")]
        indexes = [models.Index(fields=["level", "region_code", "day"], name="snapshot_region_day")]


class LeaderKind(models.TextChoices):
    AGENT = "agent", _("Perisai agent")
    SPONSOR = "sponsor", _("SERTAKAN sponsor")


class Leader(models.Model):
    """Agents and sponsors with the members they brought in, per region level (as of the last refresh)."""

    kind = models.CharField(max_length=8, choices=LeaderKind.choices)
    ref_id = models.BigIntegerField(help_text="enrollment.Agent or enrollment.Sponsor id")
    level = models.PositiveSmallIntegerField(choices=RollupLevel.choices)
    region_code = models.CharField(max_length=5, blank=True)
    members = models.BigIntegerField(db_default=0)
    active = models.BigIntegerField(db_default=0)
    paid_idr = models.BigIntegerField(db_default=0, help_text="Agents: cash collected; sponsors: payments they made")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "ref_id", "level", "region_code"],
                                               name="leader_unique")]
        indexes = [models.Index(fields=["kind", "level", "region_code", "-active"], name="leader_rank")]

    def __str__(self) -> str:
        return f"{self.kind} {self.ref_id} @ {self.region_code or 'ID'}"


class RollupState(models.Model):
    """One row: how fresh the dashboard figures are."""

    refreshed_at = models.DateTimeField(null=True, blank=True, help_text="Last incremental refresh")
    rebuilt_at = models.DateTimeField(null=True, blank=True, help_text="Last full rebuild")
    rebuild_seconds = models.FloatField(null=True, blank=True)
    snapshot_day = models.DateField(null=True, blank=True)
    # The newest bill, payment and payout ids at the last two runs ({"bill": [older, newer], …}): a refresh reads the
    # rows after the older mark, so a row whose transaction committed just after a run's mark is not missed.
    high_water = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return f"rollups refreshed {self.refreshed_at}"
