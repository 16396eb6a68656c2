import datetime as dt

from django import template
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from claims.models import BenefitRule, ClaimStatus, SchoolLevel
from claims.selectors import QUANTITY_UNITS
from core.choices import Sector
from core.money import format_idr

register = template.Library()


@register.filter
def absolute(value):
    """-2 -> 2 (working days late are stored as negative days left)."""
    return abs(value) if value is not None else value


@register.filter
def claim_status(value):
    """The status as the claim pages say it: a bill is "Lunas" when paid, a claim "Sudah dibayar"."""
    if value == ClaimStatus.PAID:
        return _("Paid out")
    return ClaimStatus(value).label if value in ClaimStatus.values else value


@register.filter
def rule_value(rule: BenefitRule) -> str:
    """A benefit rule's figure as staff read it: Rp20.000.000, 48×, 36 months, yes."""
    if rule.amount_idr is not None:
        return format_idr(rule.amount_idr)
    if rule.multiple is not None:
        return _("%(multiple)s × declared income") % {"multiple": f"{rule.multiple.normalize():f}"}
    if rule.flag is not None:
        return _("yes") if rule.flag else _("no")
    unit = QUANTITY_UNITS.get(rule.kind)
    if unit == "month_of_year":
        return date_format(dt.date(2000, rule.quantity or 1, 1), "F")
    return {"months": _("%(n)s months"), "years": _("%(n)s years"), "children": _("%(n)s children"),
            "days": _("%(n)s days")}.get(unit or "", "%(n)s") % {"n": rule.quantity}


@register.filter
def school_year(year: int | None) -> str:
    """2027 -> "2027/2028": a school year named by the year it starts."""
    return f"{year}/{year + 1}" if year else ""


@register.filter
def school_level(level: str) -> str:
    return str(SchoolLevel(level).label) if level in SchoolLevel.values else level


@register.filter
def sector_labels(codes: list[str]) -> str:
    """["transport", "trade"] -> "Transportasi, Perdagangan" (a code the choices do not know stays as it is)."""
    return ", ".join(str(Sector(code).label) if code in Sector.values else code for code in codes)

