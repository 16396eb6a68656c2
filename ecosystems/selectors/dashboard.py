"""The dashboards' figures, read only from the rollup tables (never from members or bills on a page view).

One call, `dashboard_read`, gathers everything a page at one region shows in a fixed number of small queries: the
latest snapshot of the region (a row per ecosystem × channel), its months in the period (flows and bills), the
days of the last 12 weeks summed per day, the children's snapshot and last-month bills summed per child, the
year's targets and workforce figures, and the top agents and sponsors. Scoping (who may see which region) is
`dashboard_scope`'s job: every read below takes the region it was given.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum
from typing import Literal

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db.models import Q, Sum
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from core.models import User
from ecosystems.figures import Filters, percent
from ecosystems.models import (
    NATION,
    BillMonth,
    FlowDay,
    FlowMonth,
    Leader,
    LeaderKind,
    RollupState,
    Snapshot,
    Target,
    TargetMeasure,
    Workforce,
)
from members.models import Agent, Sponsor
from reference.models import Ecosystem, Region
from reference.scope import staff_scope

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


# --- who sees what ------------------------------------------------------------------------------------------------


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


# --- figures ------------------------------------------------------------------------------------------------------


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


def _state() -> RollupState | None:
    return RollupState.objects.filter(pk=1).first()


def _region_rows(model, scope: Scope, **lookups):
    return model.objects.filter(level=scope.level, region_code=scope.code, **lookups)


def _weeks(filters: Filters, state: RollupState | None, today: dt.date) -> tuple[dt.date, list[Week]]:
    """The last WEEKS weeks of the period, ending on its last day (or the last day with figures, if earlier)."""
    end = filters.last_day
    latest = (state.snapshot_day if state and state.snapshot_day else None) or today
    end = min(end, latest)
    if end < filters.first:
        end = filters.last_day
    start = end - dt.timedelta(days=WEEKS * 7 - 1)
    weeks = [Week(start=start + dt.timedelta(days=7 * i), end=start + dt.timedelta(days=7 * i + 6))
             for i in range(WEEKS)]
    return start, weeks


def _leaders(scope: Scope) -> tuple[list[LeaderRow], list[LeaderRow]]:
    """The top agents and sponsors of the region: one query reads both kinds, one more names them."""
    from django.db import connection
    from django.db.models import CharField, F, Value
    from django.db.models.functions import Coalesce, Concat, NullIf, Trim

    # The top TOP of each kind in one statement: two index range reads (kind, level, region_code, -active) glued
    # with UNION ALL, each inside its own sub-select so that SQLite accepts their ORDER BY and LIMIT too.
    parts: list[str] = []
    params: list = []
    for kind in (LeaderKind.AGENT, LeaderKind.SPONSOR):
        top = (Leader.objects.filter(kind=kind, level=scope.level, region_code=scope.code)
               .order_by("-active", "-members", "ref_id").values("kind", "ref_id", "members", "active", "paid_idr"))
        sql, part_params = top[:TOP].query.sql_with_params()
        parts.append(f"SELECT * FROM ({sql}) AS top_{kind}")  # noqa: S608 - Django-compiled SQL
        params += part_params
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        columns = [col[0] for col in cursor.description]
        rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    rows.sort(key=lambda row: (row["kind"], -row["active"], -row["members"], row["ref_id"]))
    agent_ids = [row["ref_id"] for row in rows if row["kind"] == LeaderKind.AGENT]
    sponsor_ids = [row["ref_id"] for row in rows if row["kind"] == LeaderKind.SPONSOR]
    names: dict[tuple[str, int], str] = {}
    if rows:
        full_name = Coalesce(NullIf(Trim(Concat("user__first_name", Value(" "), "user__last_name",
                                                output_field=CharField())), Value("")), "user__username",
                             output_field=CharField())
        agents = (Agent.objects.filter(pk__in=agent_ids or [0])
                  .annotate(k=Value(LeaderKind.AGENT, output_field=CharField()), label=full_name)
                  .values_list("k", "pk", "label").order_by())
        sponsors = (Sponsor.objects.filter(pk__in=sponsor_ids or [0])
                    .annotate(k=Value(LeaderKind.SPONSOR, output_field=CharField()), label=F("name"))
                    .values_list("k", "pk", "label").order_by())
        names = {(kind, pk): label for kind, pk, label in agents.union(sponsors, all=True)}

    def listed(kind: str) -> list[LeaderRow]:
        return [LeaderRow(name=names.get((kind, row["ref_id"])) or f"#{row['ref_id']}", members=row["members"],
                          active=row["active"], paid_idr=row["paid_idr"]) for row in rows if row["kind"] == kind]

    return listed(LeaderKind.AGENT), listed(LeaderKind.SPONSOR)


def _targets_and_workforce(year: int, codes: list[str]
                           ) -> tuple[dict[tuple[str, str | None], Target], dict[str, Workforce]]:
    """The year's targets and workforce figures of these regions, both small tables read in one query."""
    from django.db.models import CharField, DecimalField, F, Value

    columns = ("c_kind", "c_region", "c_eco", "c_measure", "c_n", "c_share")
    found = Target.objects.filter(year=year, region_code__in=codes).annotate(
        c_kind=Value("t", output_field=CharField()), c_region=F("region_code"), c_eco=F("ecosystem_id"),
        c_measure=F("measure"), c_n=F("members"), c_share=F("share_percent")).values_list(*columns).order_by()
    workers = Workforce.objects.filter(year=year, region_code__in=codes).annotate(
        c_kind=Value("w", output_field=CharField()), c_region=F("region_code"),
        c_eco=Value(None, output_field=CharField()), c_measure=Value("", output_field=CharField()),
        c_n=F("workers"), c_share=Value(None, output_field=DecimalField(max_digits=5, decimal_places=2))
    ).values_list(*columns).order_by()
    targets, workforce = {}, {}
    for kind, region, eco, measure, number, share in found.union(workers, all=True):
        if kind == "t":
            targets[(region, eco)] = Target(year=year, region_code=region, ecosystem_id=eco, measure=measure,
                                            members=number, share_percent=None if share is None else Decimal(share))
        else:
            workforce[region] = Workforce(year=year, region_code=region, workers=number)
    return targets, workforce


def ecosystems_list() -> list[Ecosystem]:
    return list(Ecosystem.objects.order_by("sort_order", "code"))


def dashboard_read(*, scope: Scope, filters: Filters, today: dt.date,
                   ecosystems: list[Ecosystem] | None = None) -> Dashboard:
    state = _state()
    ecosystems = ecosystems_list() if ecosystems is None else ecosystems
    eco_by_code = {eco.code: eco for eco in ecosystems}
    snapshot_day = state.snapshot_day if state else None
    year = filters.year

    # Targets and workforce for the region and its children (small reference tables: one query each).
    codes = [scope.code, *(child.code for child in scope.children)]
    targets, workforce = _targets_and_workforce(year, codes)
    region_workforce = workforce.get(scope.code)
    workers = region_workforce.workers if region_workforce else None

    total, all_members = Figures(workers=workers), Figures(workers=workers)
    eco_figures = {eco.code: Figures(workers=workers) for eco in ecosystems}
    channel_figures = {code: Figures(workers=workers) for code in CHANNEL_LABELS}
    ecosystem_only = Figures(workers=workers) if filters.ecosystem else None

    def add(row: dict) -> None:
        eco, channel = row["ecosystem"], row["channel"]
        if filters.matches(eco, channel):
            total.add(row)
        if not filters.channel or channel == filters.channel:
            eco_figures.setdefault(eco, Figures(workers=workers)).add(row)
        if not filters.ecosystem or eco == filters.ecosystem:
            channel_figures.setdefault(channel, Figures(workers=workers)).add(row)

    # The children (provinces of the nation, regencies of a province) with the figures their list shows.
    child_codes = [child.code for child in scope.children]
    figures = {code: Figures(workers=workforce[code].workers if code in workforce else None) for code in child_codes}
    measured: dict[str, list[int]] = {code: [0, 0] for code in child_codes}  # all active, the ecosystem's active
    mine = Q(level=scope.level, region_code=scope.code)
    below = Q(level=scope.level + 1, region_code__in=child_codes)

    # 1. The latest snapshot of the region and of its children: a row per region × ecosystem × channel.
    if snapshot_day:
        rows = (Snapshot.objects.filter(mine | below if child_codes else mine, day=snapshot_day)
                .values("level", "region_code", "ecosystem", "channel", *SNAPSHOT_FIELDS))
        for row in rows:
            if row["level"] == scope.level:
                add(row)
                all_members.add(row)
                if ecosystem_only is not None and row["ecosystem"] == filters.ecosystem:
                    ecosystem_only.add(row)
            elif row["region_code"] in figures:
                if filters.matches(row["ecosystem"], row["channel"]):
                    figures[row["region_code"]].add({k: row[k] for k in ("registered", "active", "lapsed")})
                measured[row["region_code"]][0] += row["active"]
                if row["ecosystem"] == filters.ecosystem:
                    measured[row["region_code"]][1] += row["active"]

    # 2. The months of the period: flows per ecosystem × channel × month.
    months = filters.months
    by_month: dict[str, list[int]] = defaultdict(lambda: [0] * len(months))
    index = {month: i for i, month in enumerate(months)}
    for row in (_region_rows(FlowMonth, scope, month__gte=filters.first, month__lte=filters.last)
                .values("month", "ecosystem", "channel", *FLOW_FIELDS)):
        add(row)
        if filters.matches(row["ecosystem"], row["channel"]) and row["month"] in index:
            by_month[row["ecosystem"]][index[row["month"]]] += row["registrations"]

    # 3. Bills per month of the period (the trend, the last month's rate per group) and the children's last month.
    bills = {month: MonthBills(month=month) for month in months}
    mine = Q(level=scope.level, region_code=scope.code, month__gte=filters.first, month__lte=filters.last)
    below = Q(level=scope.level + 1, region_code__in=child_codes, month=filters.last)
    for row in (BillMonth.objects.filter(mine | below if child_codes else mine)
                .values("level", "region_code", "month", "ecosystem", "channel", "billed", "paid")):
        if row["level"] != scope.level:
            if row["region_code"] in figures and filters.matches(row["ecosystem"], row["channel"]):
                figures[row["region_code"]].add({"billed": row["billed"], "paid": row["paid"]})
            continue
        if filters.matches(row["ecosystem"], row["channel"]) and row["month"] in bills:
            bills[row["month"]].billed += row["billed"]
            bills[row["month"]].paid += row["paid"]
        if row["month"] == filters.last:
            add({"ecosystem": row["ecosystem"], "channel": row["channel"], "billed": row["billed"],
                 "paid": row["paid"]})

    # 4. New registrations per day of the last 12 weeks, summed in the database.
    start, weeks = _weeks(filters, state, today)
    per_day = (_region_rows(FlowDay, scope, day__gte=start, day__lte=weeks[-1].end).filter(filters.q())
               .values("day").annotate(n=Sum("registrations")).order_by())
    for row in per_day:
        slot = (row["day"] - start).days // 7
        if 0 <= slot < WEEKS:
            weeks[slot].registrations += row["n"] or 0

    # 5. The children's targets: the filtered ecosystem's when the child has one, else the child's own.
    children: list[tuple[Region, Figures]] = []
    for child in scope.children:
        child_figures = figures[child.code]
        all_active, eco_active = measured[child.code]
        target = targets.get((child.code, filters.ecosystem)) if filters.ecosystem else None
        if target is not None:
            child_figures.target, child_figures.target_active = target, eco_active
        else:
            child_figures.target, child_figures.target_active = targets.get((child.code, None)), all_active
        children.append((child, child_figures))

    # Targets of the region (all ecosystems, measured on all its members) and of the filtered ecosystem.
    region_target = targets.get((scope.code, None))
    all_members.target = region_target
    ecosystem_target = targets.get((scope.code, filters.ecosystem)) if filters.ecosystem else None
    if ecosystem_only is not None:
        ecosystem_only.target = ecosystem_target
    for code, figures_ in eco_figures.items():
        figures_.target = targets.get((scope.code, code))

    by_ecosystem = [(eco_by_code[code], figures_) for code, figures_ in eco_figures.items()
                    if code in eco_by_code and (not filters.ecosystem or code == filters.ecosystem)]
    by_channel = [(code, figures_) for code, figures_ in channel_figures.items()
                  if code in CHANNEL_LABELS and (not filters.channel or code == filters.channel)]

    agents, sponsors = _leaders(scope)
    return Dashboard(
        scope=scope, filters=filters, state=state, ecosystems=ecosystems, total=total, all_members=all_members,
        ecosystem_figures=ecosystem_only, by_ecosystem=by_ecosystem, by_channel=by_channel, weeks=weeks,
        months=months, registrations_by_month={code: by_month[code] for code in eco_by_code if code in by_month},
        bills_by_month=[bills[month] for month in months], children=children, workforce=region_workforce,
        target=region_target, ecosystem_target=ecosystem_target,
        agents=agents, sponsors=sponsors,
    )
