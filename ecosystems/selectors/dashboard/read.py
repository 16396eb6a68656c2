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
from decimal import Decimal

from django.db.models import CharField, DecimalField, F, Q, Sum, Value

from ecosystems.figures import Filters
from ecosystems.models import BillMonth, FlowDay, FlowMonth, RollupState, Snapshot, Target, Workforce
from ecosystems.selectors.dashboard.leaders import _leaders
from ecosystems.selectors.dashboard.results import (
    CHANNEL_LABELS,
    FLOW_FIELDS,
    SNAPSHOT_FIELDS,
    WEEKS,
    Dashboard,
    Figures,
    MonthBills,
    Week,
)
from ecosystems.selectors.dashboard.scope import Scope
from reference.models import Ecosystem, Region


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


def _targets_and_workforce(year: int, codes: list[str]
                           ) -> tuple[dict[tuple[str, str | None], Target], dict[str, Workforce]]:
    """The year's targets and workforce figures of these regions, both small tables read in one query."""
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
