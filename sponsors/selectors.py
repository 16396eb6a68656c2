"""Reads for the registration flows: a sponsor's workers with their coverage, bulk imports scoped by who asks."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Exists, OuterRef, QuerySet

from contributions.selectors import coverage_status, member_account
from core.models import User
from members.models import MemberStatus, Relationship, Sponsor
from reference.scope import staff_scope
from sponsors.models import BulkImport, BulkImportRow


def sponsor_workers(*, sponsor: Sponsor) -> list[dict[str, Any]]:
    """What a sponsor may see of its workers: masked name, KPJ, village, coverage and paid-through month (the KPJ
    and the village tell two workers of the same masked name apart). Never NIK or street address; only members who
    confirmed (or were registered by) this sponsor. "Other" says nothing, so it is left out."""
    rows = []
    for sponsorship in sponsor.sponsorships.filter(confirmed_at__isnull=False, ended_at__isnull=True) \
            .select_related("member__occupation", "member__village").order_by("member__full_name"):
        member = sponsorship.member
        account = member_account(member=member)
        rows.append({
            "member_id": member.pk, "masked_name": member.masked_name, "kpj": member.kpj,
            "relationship": "" if sponsorship.relationship == Relationship.OTHER else
            sponsorship.get_relationship_display(),
            "village": member.village.name if member.village_id else "", "coverage": coverage_status(member=member),
            "paid_through": account.paid_through, "next_due": account.next_due.due_date if account.next_due else None,
            "payable": member.status in (MemberStatus.REGISTERED, MemberStatus.ACTIVE),
        })
    return rows


# --- bulk imports, scoped by who asks ---------------------------------------------------------------------------


def bulk_imports_for_staff(*, viewer: User | AnonymousUser) -> QuerySet[BulkImport]:
    """The imports a staff account may see: every row's village inside its scope (staff_scope). An import with a
    row elsewhere, or a row without a known village, is for admins (and staff whose scope holds all of it)."""
    scope = staff_scope(viewer=viewer)
    imports = BulkImport.objects.select_related("sponsor", "created_by").order_by("-created_at", "-id")
    if scope.national:
        return imports
    if scope.empty:
        return imports.none()
    rows = BulkImportRow.objects.filter(bulk_import=OuterRef("pk"))
    return imports.filter(Exists(rows)).exclude(Exists(rows.exclude(scope.q("data__village"))))


def bulk_import_for_viewer(*, import_id: int, viewer: User | AnonymousUser) -> BulkImport | None:
    """An import for the sponsor who uploaded it, and staff whose scope holds it (bulk_imports_for_staff)."""
    if not isinstance(viewer, User):
        return None
    item = BulkImport.objects.filter(pk=import_id).select_related("sponsor").first()
    if item is None:
        return None
    if item.sponsor.user_id == viewer.pk:
        return item
    if viewer.is_portal_staff and bulk_imports_for_staff(viewer=viewer).filter(pk=item.pk).exists():
        return item
    return None
