"""Who sees which region of the dashboards: `dashboard_scope` is the one place that decides it; every read of the
figures takes the region it was given."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Literal

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from core.models import User
from ecosystems.models import NATION
from reference.models import Region
from reference.scope import staff_scope


@dataclass(frozen=True)
class Scope:
    """The region a page shows: the nation (code '') or a province / regency, with its path and children."""

    code: str
    level: int  # 0 nation, 1 province, 2 regency/city (the rollup levels)
    region: Region | None
    path: tuple[Region, ...]
    children: tuple[Region, ...]
    home: str  # the highest region this user may see ('' for the whole country)

    @property
    def parent_code(self) -> str | None:
        """The region one up, '' for the nation, None when the user may not go up (or is at the top)."""
        if self.level == 0 or self.code == self.home:
            return None
        return self.path[-2].code if len(self.path) > 1 else NATION

    @property
    def name(self) -> str:
        return self.region.name if self.region else str(_("Indonesia"))


def dashboard_home(*, viewer: User | AnonymousUser) -> str | None:
    """'' for people who see the whole country (admins), a region code for regional staff, None for the rest."""
    # The one rule of who sees what (scope.py); dashboards go by the StaffRegion alone.
    scope = staff_scope(viewer=viewer)
    return NATION if scope.national else scope.region


class _Unset(Enum):
    UNSET = "unset"


def dashboard_scope(*, viewer: User | AnonymousUser, code: str = NATION,
                    home: str | None | Literal[_Unset.UNSET] = _Unset.UNSET) -> Scope:
    """The page at `code` as `viewer` may see it: PermissionDenied outside their region, Http404 for no region.
    `home` is dashboard_home(viewer=viewer) when the caller has it already."""
    home = dashboard_home(viewer=viewer) if home is _Unset.UNSET else home
    if home is None:
        raise PermissionDenied
    if code and not (code == home or not home or code.startswith(home + ".")):
        raise PermissionDenied
    if not code and home:
        raise PermissionDenied
    # The region, its parent and its children in one query (the nation's children are the provinces).
    if code:
        rows = list(Region.objects.filter(Q(code=code, level__lte=2) | Q(parent_id=code, level__lte=2))
                    .select_related("parent").only("code", "name", "level", "parent__code", "parent__name",
                                                   "parent__level").order_by("name"))
        region = next((row for row in rows if row.code == code), None)
        if region is None:
            raise Http404
        children = tuple(row for row in rows if row.code != code) if region.level < 2 else ()
        path: tuple[Region, ...] = (region.parent, region) if region.parent is not None else (region,)
    else:
        region, path = None, ()
        # Provinces are the regions without a parent (the index on parent and name).
        children = tuple(Region.objects.filter(parent__isnull=True).order_by("name").only("code", "name", "level"))
    level = region.level if region else 0
    return Scope(code=code, level=level, region=region, path=path, children=children, home=home)
