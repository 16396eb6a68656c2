"""What a dashboard read returns: the figures of a group (the region's total, an ecosystem, a channel or a child
region), the weeks, the months' bills, the top agents and sponsors, and the whole page's `Dashboard`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from ecosystems.figures import Filters, percent
from ecosystems.models import RollupState, Target, TargetMeasure, Workforce
from ecosystems.selectors.dashboard.scope import Scope
from reference.models import Ecosystem, Region

# How the dashboards name the registration channels (shorter than the enrollment labels, and the way the
# programmes are known inside the agency).
CHANNEL_LABELS = {
    "self": _("Self-registration"),
    "api": _("Partner or app"),
    "sponsor": _("SERTAKAN"),
    "agent": _("Perisai agent"),
    "bulk": _("Local government (bulk import)"),
}
WEEKS = 12
TOP = 10
MAX_MONTHS = 60


@dataclass
class Figures:
    """One group's figures: the region's total, an ecosystem, a channel or a child region."""

    registered: int = 0
    active: int = 0
    lapsed: int = 0
    in_arrears: int = 0
    registrations: int = 0
    lapses: int = 0
    collected_idr: int = 0
    claims_paid: int = 0
    claims_paid_idr: int = 0
    billed: int = 0  # bills for the last month of the period
    paid: int = 0
    workers: int | None = None  # the workforce figure of the region (coverage denominator)
    target: Target | None = None
    target_active: int | None = None  # the members the target is measured against (may differ from `active`)

    @property
    def bpu(self) -> int:
        """Members who have not left: registered, active and lapsed (closed left out)."""
        return self.registered + self.active + self.lapsed

    @property
    def coverage(self) -> Decimal | None:
        return percent(self.active, self.workers)

    @property
    def payment_rate(self) -> Decimal | None:
        return percent(self.paid, self.billed)

    @property
    def progress(self) -> Decimal | None:
        """Progress to the target: active / target members, or coverage / target share."""
        target = self.target
        if target is None:
            return None
        active = self.active if self.target_active is None else self.target_active
        if target.measure == TargetMeasure.MEMBERS:
            return percent(active, target.members)
        coverage = percent(active, self.workers)
        return percent(coverage, target.share_percent) if coverage is not None else None

    def add(self, row: dict) -> None:
        for name, value in row.items():
            if name in FIGURE_FIELDS and value:
                setattr(self, name, getattr(self, name) + int(value))


FIGURE_FIELDS = ("registered", "active", "lapsed", "in_arrears", "registrations", "lapses", "collected_idr",
                 "claims_paid", "claims_paid_idr", "billed", "paid")
SNAPSHOT_FIELDS = ("registered", "active", "lapsed", "in_arrears")
FLOW_FIELDS = ("registrations", "lapses", "collected_idr", "claims_paid", "claims_paid_idr")


@dataclass
class LeaderRow:
    name: str
    members: int
    active: int
    paid_idr: int


@dataclass
class Week:
    start: dt.date
    end: dt.date
    registrations: int = 0


@dataclass
class MonthBills:
    month: dt.date
    billed: int = 0
    paid: int = 0

    @property
    def rate(self) -> Decimal | None:
        return percent(self.paid, self.billed)


@dataclass
class Dashboard:
    scope: Scope
    filters: Filters
    state: RollupState | None
    ecosystems: list[Ecosystem]
    total: Figures
    all_members: Figures  # no ecosystem or channel filter: what the region's overall target is measured against
    ecosystem_figures: Figures | None  # the filtered ecosystem, every channel (for the ecosystem's target)
    by_ecosystem: list[tuple[Ecosystem, Figures]]
    by_channel: list[tuple[str, Figures]]
    weeks: list[Week]
    months: list[dt.date]
    registrations_by_month: dict[str, list[int]]  # ecosystem code -> a count per month of the period
    bills_by_month: list[MonthBills]
    children: list[tuple[Region, Figures]]
    workforce: Workforce | None
    target: Target | None  # the region's target for the year (all ecosystems)
    ecosystem_target: Target | None  # the filtered ecosystem's, when there is one
    agents: list[LeaderRow] = field(default_factory=list)
    sponsors: list[LeaderRow] = field(default_factory=list)

    @property
    def built(self) -> bool:
        return self.state is not None and (self.state.rebuilt_at is not None or self.state.refreshed_at is not None)

    @property
    def behind(self) -> list[tuple[Region, Figures]]:
        """The children furthest behind their target (lowest progress first), at most TOP."""
        ranked = [(region, figures) for region, figures in self.children if figures.progress is not None]
        ranked.sort(key=lambda item: (item[1].progress, item[0].name))
        return ranked[:TOP]

    @property
    def children_with_target(self) -> int:
        return sum(1 for _region, figures in self.children if figures.target is not None)
