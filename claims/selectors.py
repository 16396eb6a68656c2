"""Reads of claims reference data: the rule in force on a day, and the branch that serves a regency."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

from claims.models import BenefitRule, Branch, BranchArea, JhtReturnRate, ScholarshipLevel


class ReferenceDataMissing(LookupError):
    """Reference data an admin must add before a claim can be calculated."""


def benefit_rule(*, kind: str, on: dt.date) -> BenefitRule:
    """The row of `kind` in force on `on`: the latest one starting on or before that day."""
    rule = BenefitRule.objects.filter(kind=kind, effective_from__lte=on).order_by("-effective_from").first()
    if rule is None:
        raise ReferenceDataMissing(_("No benefit rule “%(kind)s” in force on %(day)s.") % {"kind": kind, "day": on})
    return rule


def scholarship_levels(*, on: dt.date) -> list[ScholarshipLevel]:
    """The school levels in force on `on`, in the order a child moves through them (per level, the latest row)."""
    latest: dict[str, ScholarshipLevel] = {}
    for row in ScholarshipLevel.objects.filter(effective_from__lte=on).order_by("effective_from"):
        latest[row.level] = row
    if not latest:
        raise ReferenceDataMissing(_("No scholarship levels in force on %(day)s.") % {"day": on})
    return sorted(latest.values(), key=lambda row: row.position)


def jht_return_rates(*, first_year: int, last_year: int) -> dict[int, JhtReturnRate]:
    """The declared rate of every year in the range; a year without one stops the calculation."""
    rates = {r.year: r for r in JhtReturnRate.objects.filter(year__gte=first_year, year__lte=last_year)}
    missing = [str(y) for y in range(first_year, last_year + 1) if y not in rates]
    if missing:
        raise ReferenceDataMissing(_("No JHT return rate for %(years)s: an admin must set it first.")
                                   % {"years": ", ".join(missing)})
    return rates


def regency_code(village_code: str) -> str:
    """ "31.74.01.1001" -> "31.74" (Kemendagri codes: a child's code starts with its parent's)."""
    return ".".join(village_code.split(".")[:2])


def branch_for_regency(*, regency: str) -> Branch:
    """The branch whose area is the regency; a regency no area names goes to the default branch."""
    area = BranchArea.objects.select_related("branch").filter(regency_id=regency).first()
    if area is not None:
        return area.branch
    default = Branch.objects.filter(is_default=True).first()
    if default is None:
        raise ReferenceDataMissing(_("No branch serves %(regency)s and there is no default branch.")
                                   % {"regency": regency})
    return default


def branch_for_member(*, member) -> Branch:
    return branch_for_regency(regency=regency_code(member.village_id))


def membership_start(*, member) -> dt.date:
    """The first day of the earliest paid month; the billing start while nothing is paid (DOMAIN.md counts
    membership age in months of cover)."""
    from contributions.models import Bill, BillStatus

    first = (Bill.objects.filter(member=member, status=BillStatus.PAID).order_by("month")
             .values_list("month", flat=True).first())
    start = first or member.billing_start or member.created_at.date()
    return start.replace(day=1)
