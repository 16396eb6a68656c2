from django import template
from django.utils.translation import gettext as _

from claims.models import ClaimStatus

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
