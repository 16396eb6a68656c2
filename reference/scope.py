"""Which regions a staff account may see: the one rule every staff read and write goes through.

- admins: the whole country;
- regional staff (a `StaffRegion` row): their province or regency/city;
- branch staff and supervisors (a `StaffBranch` row): the regencies of their branch's area; the default branch also
  serves every regency that no other branch's area names (claims.selectors.branch_for_regency);
- anyone else, and staff nobody has assigned yet: nothing.

A staff account with both rows sees both areas. Regions are Kemendagri codes, so "inside" is a code prefix: a
member's village `16.71.01.1001` lies in province `16` and regency `16.71`.

This module reads only models (claims, core; the StaffRegion and StaffBranch rows through the user), so every app's
selectors can use it without a cycle.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q

from core.models import Role, User
from reference.models import BranchArea


@dataclass(frozen=True)
class StaffScope:
    national: bool = False
    regions: tuple[str, ...] = ()  # province or regency codes seen in full
    branch_id: int | None = None  # the branch whose claims this account handles (None: none, or every for admins)
    rest_except: tuple[str, ...] | None = None  # default branch: every regency except these (other branches')
    region: str | None = None  # the StaffRegion's code: the dashboards' home for regional staff

    @property
    def empty(self) -> bool:
        return not self.national and not self.regions and self.rest_except is None

    def covers(self, code: str | None) -> bool:
        """Is the region (a village, district, regency or province code) inside this scope?"""
        if self.national:
            return True
        if not code:
            return False
        if any(code == region or code.startswith(region + ".") for region in self.regions):
            return True
        if self.rest_except is not None:
            return not any(code == other or code.startswith(other + ".") for other in self.rest_except)
        return False

    def q(self, field: str) -> Q:
        """A filter on a region-code field (a village code, or a JSON key holding one) that keeps what is inside.
        Matches nothing for an empty scope."""
        if self.national:
            return Q()
        parts = [Q(**{field: region}) | Q(**{f"{field}__startswith": region + "."}) for region in self.regions]
        if self.rest_except is not None:
            rest = Q(**{f"{field}__isnull": False}) & ~Q(**{field: ""})
            for other in self.rest_except:
                rest &= ~Q(**{f"{field}__startswith": other + "."}) & ~Q(**{field: other})
            parts.append(rest)
        if not parts:
            return Q(pk__in=[])
        return reduce(or_, parts)


NOTHING = StaffScope()
NATIONAL = StaffScope(national=True)


def staff_scope(*, viewer: User | AnonymousUser) -> StaffScope:
    """The regions `viewer` may see as staff (module docstring). Non-staff and inactive accounts get NOTHING."""
    if not isinstance(viewer, User) or not viewer.is_active or not viewer.is_portal_staff:
        return NOTHING
    if viewer.role == Role.ADMIN:
        return NATIONAL
    # The region and the branch in one query (a page's query budget counts it).
    row = (User.objects.filter(pk=viewer.pk)
           .values("staff_region__region_id", "staff_branch__branch_id", "staff_branch__branch__is_default").first()
           or {})
    region = row.get("staff_region__region_id")
    branch_id = row.get("staff_branch__branch_id") if viewer.role in (Role.BRANCH_STAFF, Role.SUPERVISOR) else None
    regions: list[str] = [region] if region else []
    rest_except = None
    if branch_id is not None:
        areas = list(BranchArea.objects.values_list("regency_id", "branch_id"))
        regions += [regency for regency, owner in areas if owner == branch_id]
        if row.get("staff_branch__branch__is_default"):
            rest_except = tuple(sorted(regency for regency, owner in areas if owner != branch_id))
    return StaffScope(regions=tuple(sorted(set(regions))), branch_id=branch_id, rest_except=rest_except,
                      region=region)
