from __future__ import annotations

import datetime as dt

from django.utils import timezone

from contributions.tariffs import Quote, tariff_quote
from enrollment.models import Member, MemberStatus


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


def sponsor_for_user(*, user):
    from enrollment.models import Sponsor

    if not user.is_authenticated:
        return None
    return Sponsor.objects.filter(user=user).first()


def sponsor_workers(*, sponsor):
    """What a sponsor may see of its workers: masked name, KPJ, coverage and paid-through month. Never NIK or
    address; only members who confirmed (or were registered by) this sponsor."""
    from contributions.selectors import coverage_status, member_account

    rows = []
    for sponsorship in sponsor.sponsorships.filter(confirmed_at__isnull=False, ended_at__isnull=True) \
            .select_related("member__occupation").order_by("member__full_name"):
        member = sponsorship.member
        account = member_account(member=member)
        rows.append({
            "member_id": member.pk, "masked_name": member.masked_name, "kpj": member.kpj,
            "relationship": sponsorship.get_relationship_display(), "coverage": coverage_status(member=member),
            "paid_through": account.paid_through, "next_due": account.next_due.due_date if account.next_due else None,
            "payable": member.status in (MemberStatus.REGISTERED, MemberStatus.ACTIVE),
        })
    return rows


def sponsorships_for_member(*, member):
    return member.sponsorships.filter(ended_at__isnull=True).select_related("sponsor").order_by("-created_at")
