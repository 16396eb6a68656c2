from __future__ import annotations

import datetime as dt

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from contributions.tariffs import Quote, tariff_quote
from core.nik import nik_blind_index
from ecosystems.selectors.scope import staff_scope
from enrollment.models import BulkImport, BulkImportRow
from members.models import Member, MemberStatus


def member_for_user(*, user) -> Member | None:
    if not user.is_authenticated:
        return None
    return Member.objects.select_related("occupation", "village__parent__parent__parent").filter(user=user).first()


def member_claimable_exists(*, user, nik: str | None = None) -> bool:
    """Whether a membership someone else registered with this account's phone number waits for its owner to claim
    it (optionally: under this NIK). Tells the phone's holder only that something waits, nothing about whom."""
    if not user.is_authenticated or not user.phone:
        return False
    waiting = Member.objects.filter(user__isnull=True, phone=user.phone)
    if nik is not None:
        digits = "".join(ch for ch in nik if ch.isdigit())
        waiting = waiting.filter(nik_index=nik_blind_index(digits))
    return waiting.exists()


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
    from members.models import Sponsor

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


# --- bulk imports, scoped by who asks ---------------------------------------------------------------------------


def bulk_imports_for_staff(*, staff) -> QuerySet[BulkImport]:
    """The imports a staff account may see: every row's village inside its scope (staff_scope). An import with a
    row elsewhere, or a row without a known village, is for admins (and staff whose scope holds all of it)."""
    scope = staff_scope(staff)
    imports = BulkImport.objects.select_related("sponsor", "created_by").order_by("-created_at", "-id")
    if scope.national:
        return imports
    if scope.empty:
        return imports.none()
    rows = BulkImportRow.objects.filter(bulk_import=OuterRef("pk"))
    return imports.filter(Exists(rows)).exclude(Exists(rows.exclude(scope.q("data__village"))))


def bulk_import_for_viewer(*, import_id: int, user) -> BulkImport | None:
    """An import for the sponsor who uploaded it, and staff whose scope holds it (bulk_imports_for_staff)."""
    if not getattr(user, "is_authenticated", False):
        return None
    item = BulkImport.objects.filter(pk=import_id).select_related("sponsor").first()
    if item is None:
        return None
    if item.sponsor.user_id == user.pk:
        return item
    if getattr(user, "is_portal_staff", False) and bulk_imports_for_staff(staff=user).filter(pk=item.pk).exists():
        return item
    return None
