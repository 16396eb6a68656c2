from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contributions.tariffs import Quote, tariff_quote
from enrollment.models import Member, MemberStatus


def member_for_user(*, user) -> Member | None:
    if not user.is_authenticated:
        return None
    return Member.objects.select_related("occupation", "village__parent__parent__parent").filter(user=user).first()


@dataclass(frozen=True)
class Coverage:
    code: str
    label: str
    covered: bool
    explanation: str


_COVERAGE = {
    MemberStatus.REGISTERED: ("awaiting_payment", _("Awaiting first payment"), False,
                              _("Protection starts once the first monthly contribution is paid.")),
    MemberStatus.ACTIVE: ("active", _("Active"), True, _("Protected for work accidents and death.")),
    MemberStatus.LAPSED: ("lapsed", _("Lapsed"), False,
                          _("Protection stopped after 3 unpaid months. It can be reactivated.")),
    MemberStatus.CLOSED: ("closed", _("Closed"), False, _("This membership has ended.")),
}


def coverage_status(*, member: Member) -> Coverage:
    """The one place that says whether a member is covered; bills and arrears refine it (contributions)."""
    code, label, covered, explanation = _COVERAGE[MemberStatus(member.status)]
    return Coverage(code=code, label=str(label), covered=covered, explanation=str(explanation))


def member_monthly_quote(*, member: Member, month: dt.date | None = None) -> Quote:
    return tariff_quote(
        income_idr=member.income_base_idr,
        programs=member.programs,
        month=month or timezone.localdate(),
        sector=member.occupation.sector,
        funding=member.funding_source,
    )


def registration_quote(*, data, sector: str, month: dt.date | None = None) -> Quote:
    return tariff_quote(income_idr=data.income_base_idr, programs=data.programs,
                        month=month or timezone.localdate(), sector=sector)
