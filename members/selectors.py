"""Reads about members: a user's membership, what waits to be claimed, the member's monthly price, a sponsor's
account and a member's sponsors. Coverage (from the bills) is contributions.selectors.coverage_status."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import TYPE_CHECKING

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet
from django.utils import timezone

from core.models import User
from core.nik import nik_blind_index
from members.models import Member, PartnerKey, Sponsor, Sponsorship
from reference.tariffs import Quote, tariff_quote

if TYPE_CHECKING:
    from members.services import RegistrationData


def member_for_user(*, user: User | AnonymousUser) -> Member | None:
    if not isinstance(user, User):
        return None
    return Member.objects.select_related("occupation", "village__parent__parent__parent").filter(user=user).first()


def member_claimable_exists(*, user: User | AnonymousUser, nik: str | None = None) -> bool:
    """Whether a membership someone else registered with this account's phone number waits for its owner to claim
    it (optionally: under this NIK). Tells the phone's holder only that something waits, nothing about whom."""
    if not isinstance(user, User) or not user.phone:
        return False
    waiting = Member.objects.filter(user__isnull=True, phone=user.phone)
    if nik is not None:
        digits = "".join(ch for ch in nik if ch.isdigit())
        waiting = waiting.filter(nik_index=nik_blind_index(digits))
    return waiting.exists()


def member_monthly_quote(*, member: Member, month: dt.date | None = None) -> Quote:
    return tariff_quote(
        income_idr=member.income_base_idr,
        programs=member.programs,
        month=month or timezone.localdate(),
        sector=member.occupation.sector,
        funding=member.funding_source,
    )


def registration_quote(*, data: RegistrationData, sector: str, month: dt.date | None = None) -> Quote:
    return tariff_quote(income_idr=data.income_base_idr, programs=data.programs,
                        month=month or timezone.localdate(), sector=sector)


def sponsor_for_user(*, user: User | AnonymousUser) -> Sponsor | None:
    if not isinstance(user, User):
        return None
    return Sponsor.objects.filter(user=user).first()


def sponsorships_for_member(*, member: Member) -> QuerySet[Sponsorship]:
    return member.sponsorships.filter(ended_at__isnull=True).select_related("sponsor").order_by("-created_at")


def partner_key_digest(*, plaintext: str) -> str:
    """What is stored of a partner's key, and what a presented key is looked up by."""
    return hashlib.sha256(plaintext.encode()).hexdigest()


def partner_key_for(*, plaintext: str) -> PartnerKey | None:
    """The key a request presents, with its partner and the partner's account (revoked or not: the caller decides)."""
    digest = partner_key_digest(plaintext=plaintext)
    return PartnerKey.objects.select_related("partner__user").filter(key_hash=digest).first()

