from __future__ import annotations

import datetime as dt

from django.utils import timezone

from contributions.tariffs import Quote, tariff_quote
from enrollment.models import Member


def member_for_user(*, user) -> Member | None:
    if not user.is_authenticated:
        return None
    return Member.objects.select_related("occupation", "village__parent__parent__parent").filter(user=user).first()


def coverage_status(*, member: Member):
    """Derived from the bills (contributions.selectors.coverage_status), the same everywhere."""
    from contributions.selectors import coverage_status as derived

    return derived(member=member)


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
