"""The admin's targets page: every target and workforce figure by year."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import cast

from django.utils.translation import gettext as _

from ecosystems.models import NATION, Target, TargetMeasure, Workforce
from reference.models import Region


@dataclass
class YearFigures:
    year: int
    targets: list = field(default_factory=list)
    workforce: list = field(default_factory=list)


def targets_by_year() -> list[YearFigures]:
    """Every target and workforce figure, newest year first, with region names and, for a share target, the
    members it means when that year's workforce of the region is known. (A read for the admin page.)"""
    targets = list(Target.objects.select_related("ecosystem").order_by("-year", "region_code", "ecosystem_id"))
    workforce = list(Workforce.objects.order_by("-year", "region_code"))
    codes = {t.region_code for t in targets} | {w.region_code for w in workforce}
    names = dict(Region.objects.filter(code__in=codes - {NATION}).values_list("code", "name"))
    workers = {(w.year, w.region_code): w.workers for w in workforce}
    years: dict[int, YearFigures] = {}
    for target in targets:
        target.region_name = names.get(target.region_code, "") if target.region_code else _("Indonesia")
        target.implied_members = None
        base = workers.get((target.year, target.region_code))
        if target.measure == TargetMeasure.SHARE and base:
            share = cast(Decimal, target.share_percent)  # set for a share target (target_value_matches_measure)
            target.implied_members = int((Decimal(base) * share / 100).to_integral_value())
        years.setdefault(target.year, YearFigures(target.year)).targets.append(target)
    for row in workforce:
        row.region_name = names.get(row.region_code, "") if row.region_code else _("Indonesia")
        years.setdefault(row.year, YearFigures(row.year)).workforce.append(row)
    return [years[y] for y in sorted(years, reverse=True)]
