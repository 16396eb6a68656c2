from django.db import models
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
        ordering = ["code"]
        indexes = [models.Index(fields=["parent", "name"])]
        constraints = [models.CheckConstraint(condition=models.Q(level__gte=1, level__lte=4), name="region_level_1_4")]

    def __str__(self) -> str:
        return self.name
