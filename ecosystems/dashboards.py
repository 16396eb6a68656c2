"""What a dashboard page shows, built once from the selector's figures and used by the page and its exports alike:
the filter form, the summary cards, the charts and every table (so a CSV or XLSX holds exactly what the page shows).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import cast

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ecosystems import charts
from ecosystems.figures import Filters, filters_default
from ecosystems.models import NATION, TargetMeasure
from ecosystems.selectors.dashboard import (
    CHANNEL_LABELS,
    MAX_MONTHS,
    Dashboard,
    Figures,
    Scope,
)
from ecosystems.templatetags.dashboard import (
    Month,
    Rupiah,
    fmt_idr,
    fmt_int,
    fmt_month,
    fmt_pct,
    fmt_pct_whole,
    is_number,
)
from reference.duedates import add_months

MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
NATION_VALUE = "ID"  # how the region select names the whole country


# --- filters ------------------------------------------------------------------------------------------------------


class MonthInput(forms.TextInput):
    input_type = "month"


def _parse_month(value: str) -> dt.date:
    match = MONTH_RE.match((value or "").strip())
    if not match:
        raise forms.ValidationError(_("Write the month as YYYY-MM, e.g. 2026-01."))
    year, month = int(match[1]), int(match[2])
    if not (1 <= month <= 12 and 2000 <= year <= 2100):
        raise forms.ValidationError(_("This is not a month between 2000 and 2100."))
    return dt.date(year, month, 1)


class FilterForm(forms.Form):
    """The dashboard's GET filters. A wrong value is said next to its field and the default is used instead."""

    first = forms.CharField(label=gettext_lazy("From month"), required=False, widget=MonthInput)
    last = forms.CharField(label=gettext_lazy("To month"), required=False, widget=MonthInput)
    ecosystem = forms.ChoiceField(label=gettext_lazy("Ecosystem"), required=False)
    channel = forms.ChoiceField(label=gettext_lazy("Registration channel"), required=False)
    region = forms.ChoiceField(label=gettext_lazy("Region"), required=False)

    def __init__(self, data, *, scope: Scope, ecosystems, today: dt.date):
        self.scope, self.today = scope, today
        self.defaults = filters_default(today=today)
        initial = {"first": self.defaults.first.strftime("%Y-%m"), "last": self.defaults.last.strftime("%Y-%m"),
                   "region": scope.code or NATION_VALUE}
        bound = data is not None and any(key in data for key in self.base_fields)
        if bound:  # a field left out of the query keeps its default (the region select stays on this page)
            data = {**initial, **{key: data.get(key) for key in self.base_fields if key in data}}
        super().__init__(data if bound else None, initial=initial)
        choice_fields = {name: cast(forms.ChoiceField, self.fields[name])
                         for name in ("ecosystem", "channel", "region")}
        choice_fields["ecosystem"].choices = [("", _("All ecosystems")), *((e.code, e.name) for e in ecosystems)]
        choice_fields["channel"].choices = [("", _("All channels")), *((c, str(label))
                                                                       for c, label in CHANNEL_LABELS.items())]
        regions = []
        if scope.parent_code is not None:
            up = scope.path[-2].name if scope.parent_code else _("Indonesia")
            regions.append((scope.parent_code or NATION_VALUE, _("↑ Up to %(name)s") % {"name": up}))
        regions.append((scope.code or NATION_VALUE, scope.name))
        regions += [(child.code, f"· {child.name}") for child in scope.children]
        choice_fields["region"].choices = regions

    def clean_first(self):
        value = self.cleaned_data.get("first")
        return _parse_month(value) if value else self.defaults.first

    def clean_last(self):
        value = self.cleaned_data.get("last")
        month = _parse_month(value) if value else self.defaults.last
        if month > self.today.replace(day=1):
            raise forms.ValidationError(_("There are no figures after this month yet."))
        return month

    def clean(self):
        super().clean()
        data = self.cleaned_data
        first, last = data.get("first"), data.get("last")
        if first and last:
            if first > last:
                self.add_error("first", _("The first month must not be after the last month."))
            elif add_months(first, MAX_MONTHS) <= last:
                self.add_error("first", _("Choose at most %(n)s months.") % {"n": MAX_MONTHS})
        return data

    def filters(self) -> Filters:
        """The valid values, and the default for each wrong one (both months when they do not fit together)."""
        if not self.is_bound:
            return self.defaults
        self.is_valid()
        data = self.cleaned_data
        first, last = data.get("first"), data.get("last")
        if first is None or last is None:
            first, last = (first or self.defaults.first), (last or self.defaults.last)
            if first > last or add_months(first, MAX_MONTHS) <= last:
                first, last = self.defaults.first, self.defaults.last
        return Filters(first=first, last=last, ecosystem=data.get("ecosystem") or "",
                       channel=data.get("channel") or "")

    def region_target(self) -> str | None:
        """The region code chosen in the select when it is not this page's ('' for the nation), else None."""
        if not self.is_bound or self.errors.get("region"):
            return None
        chosen = self.cleaned_data.get("region") or ""
        if not chosen:  # left empty: stay here
            return None
        chosen = NATION if chosen == NATION_VALUE else chosen
        if chosen == self.scope.code:
            return None
        return chosen


def filter_query(filters: Filters) -> dict[str, str]:
    """The GET parameters that reproduce `filters` on another page (links down, exports)."""
    query = {"first": filters.first.strftime("%Y-%m"), "last": filters.last.strftime("%Y-%m")}
    if filters.ecosystem:
        query["ecosystem"] = filters.ecosystem
    if filters.channel:
        query["channel"] = filters.channel
    return query


def export_name(scope: Scope, filters: Filters, extension: str) -> str:
    parts = ["dasbor", scope.code or NATION_VALUE, f"{filters.first:%Y-%m}_{filters.last:%Y-%m}"]
    parts += [value for value in (filters.ecosystem, filters.channel) if value]
    return "-".join(parts) + f".{extension}"


# --- tables -------------------------------------------------------------------------------------------------------


@dataclass
class Table:
    key: str  # also the XLSX sheet's name
    title: str
    columns: list[str]
    rows: list[list] = field(default_factory=list)
    links: list[str | None] = field(default_factory=list)  # a link for the row's header cell, if any
    header: int = 0  # which column names the row (th scope=row): the region, ecosystem, agent…
    note: str = ""

    @property
    def numeric(self) -> list[bool]:
        """Columns of numbers (right-aligned, header too)."""
        return [any(is_number(row[i]) for row in self.rows) for i in range(len(self.columns))]

    @property
    def head(self) -> list[tuple[str, bool]]:
        return list(zip(self.columns, self.numeric, strict=True))

    @property
    def body(self) -> list[list[tuple[object, bool, str | None, bool]]]:
        """Per row, per cell: (value, is the row's header, link, numeric)."""
        numeric = self.numeric
        return [[(value, i == self.header, (self.links[r] if r < len(self.links) else None) if i == self.header
                  else None, numeric[i]) for i, value in enumerate(row)] for r, row in enumerate(self.rows)]


@dataclass
class Card:
    label: str
    value: object
    note: str = ""
    bar: object = None  # a progress bar (SVG), for targets


@dataclass
class Chart:
    svg: object
    legend: object
    table: Table


@dataclass
class Page:
    data: Dashboard
    cards: list[Card]
    summary: Table
    charts: dict[str, Chart]
    tables: dict[str, Table]
    behind_note: str

    @property
    def all_tables(self) -> list[Table]:
        return [self.summary, *(chart.table for chart in self.charts.values()), *self.tables.values()]


def _target_text(target, workers) -> str | None:
    if target is None:
        return None
    if target.measure == TargetMeasure.MEMBERS:
        return _("%(n)s active members") % {"n": fmt_int(target.members)}
    return _("%(share)s of the workforce") % {"share": fmt_pct(target.share_percent)}


def _progress_card(label: str, figures: Figures, target, year: int) -> Card:
    if target is None:
        return Card(label, None, _("No target set for %(year)s.") % {"year": year})
    goal = _target_text(target, figures.workers)
    if target.measure == TargetMeasure.SHARE and not figures.workers:
        return Card(label, None, _("Target %(goal)s, but no workforce figure for %(year)s.")
                    % {"goal": goal, "year": year})
    progress = figures.progress
    note = _("Target %(year)s: %(goal)s") % {"year": year, "goal": goal}
    bar = charts.progress_bar(title=label, percent=progress, label=fmt_pct(progress), goal=note)
    return Card(label, progress, note, bar)


def _figure_row(label, figures: Figures, *, with_target: bool) -> list:
    row = [label, figures.active, figures.bpu, figures.coverage]
    if with_target:
        row += [_target_text(figures.target, figures.workers), figures.progress]
    row += [figures.registrations, figures.payment_rate, figures.in_arrears, figures.lapses, figures.lapsed,
            Rupiah(figures.collected_idr), figures.claims_paid, Rupiah(figures.claims_paid_idr)]
    return row


def _figure_columns(first: str, *, with_target: bool, last_month: str) -> list[str]:
    columns = [first, _("Active"), _("BPU members"), _("Coverage")]
    if with_target:
        columns += [_("Target"), _("Progress")]
    columns += [_("New registrations"), _("Payment rate %(month)s") % {"month": last_month}, _("In arrears"),
                _("Lapses in the period"), _("Lapsed now"), _("Contributions collected"), _("Claims paid"),
                _("Claims paid (amount)")]
    return columns


def page_build(data: Dashboard, *, link) -> Page:
    """`link(code)` gives the URL of a child's page with the same filters."""
    f, total, year = data.filters, data.total, data.filters.year
    last_month = fmt_month(f.last)
    period = _("%(first)s to %(last)s") % {"first": fmt_month(f.first), "last": fmt_month(f.last)}
    snapshot = data.state.snapshot_day if data.state else None
    as_of = _("on %(day)s") % {"day": snapshot.strftime("%d-%m-%Y")} if snapshot else ""

    cards = [
        Card(_("Active members"), total.active, as_of),
        Card(_("BPU members"), total.bpu, _("Registered, active and lapsed (not closed)")),
    ]
    if data.workforce:
        cards.append(Card(_("Coverage"), total.coverage,
                          _("Active members of %(n)s workers (%(year)s)") % {"n": fmt_int(data.workforce.workers),
                                                                             "year": data.workforce.year}))
    else:
        cards.append(Card(_("Coverage"), None, _("No workforce figure for %(year)s.") % {"year": year}))
    target_label = _("Progress to the %(year)s target") % {"year": year}
    progress = _progress_card(target_label, data.all_members, data.target, year)
    if f.ecosystem or f.channel:
        progress.note = f"{progress.note} " + _("(all members of the region)")
    cards.append(progress)
    if data.ecosystem_figures is not None:
        eco = next((e.name for e in data.ecosystems if e.code == f.ecosystem), f.ecosystem)
        if data.ecosystem_target is not None:
            cards.append(_progress_card(_("Progress to the %(ecosystem)s target") % {"ecosystem": eco},
                                        data.ecosystem_figures, data.ecosystem_target, year))
        else:
            cards.append(Card(_("Progress to the %(ecosystem)s target") % {"ecosystem": eco}, None,
                              _("No target for this ecosystem in %(year)s.") % {"year": year}))
    cards += [
        Card(_("New registrations"), total.registrations, period),
        Card(_("Payment rate"), total.payment_rate,
             _("%(paid)s of %(billed)s bills for %(month)s paid") % {
                 "paid": fmt_int(total.paid), "billed": fmt_int(total.billed), "month": last_month}),
        Card(_("Members in arrears"), total.in_arrears, _("With a bill past its due date") + f" {as_of}".rstrip()),
        Card(_("Lapses in the period"), total.lapses, _("Lapsed now: %(n)s") % {"n": fmt_int(total.lapsed)}),
        Card(_("Contributions collected"), Rupiah(total.collected_idr), period),
        Card(_("Claims paid"), total.claims_paid, _("%(amount)s in the period") % {
            "amount": fmt_idr(total.claims_paid_idr)}),
    ]
    summary = Table("summary", _("Summary"), [_("Figure"), _("Value"), _("Note")],
                    [[card.label, card.value, card.note] for card in cards])
    summary.rows.insert(5 if data.ecosystem_figures is not None else 4,
                        [_("Lapsed now"), total.lapsed, as_of])
    summary.rows.append([_("Claims paid (amount)"), Rupiah(total.claims_paid_idr), period])

    # Charts, each with its table.
    week_labels = [f"{w.start:%d/%m}" for w in data.weeks]
    weekly = Table("weekly", _("New registrations per week"), [_("Week from"), _("Week to"), _("New registrations")],
                   [[w.start, w.end, w.registrations] for w in data.weeks])
    weekly_chart = charts.line_chart(
        title=_("New registrations per week"), labels=week_labels, fmt=lambda v: fmt_int(round(v)), integer=True,
        desc=_("The last %(n)s weeks of the period, from %(first)s to %(last)s.") % {
            "n": len(data.weeks), "first": data.weeks[0].start.strftime("%d-%m-%Y"),
            "last": data.weeks[-1].end.strftime("%d-%m-%Y")},
        series=[charts.Series(_("New registrations"), [w.registrations for w in data.weeks])])

    short_labels = [f"{m:%m/%y}" for m in data.months]
    eco_series = [charts.Series(e.name, data.registrations_by_month.get(e.code, [0] * len(data.months)),
                                charts.colour(i))
                  for i, e in enumerate(data.ecosystems) if not f.ecosystem or e.code == f.ecosystem]
    monthly = Table("monthly", _("New registrations per month by ecosystem"),
                    [_("Month"), *(s.name for s in eco_series), _("Total")],
                    [[Month.of(m), *(s.values[i] for s in eco_series), sum(s.values[i] for s in eco_series)]
                     for i, m in enumerate(data.months)])
    monthly_chart = charts.stacked_bars(
        title=_("New registrations per month by ecosystem"), labels=short_labels, series=eco_series,
        fmt=lambda v: fmt_int(round(v)), desc=period, integer=True)

    rates = [b.rate for b in data.bills_by_month]
    trend = Table("payment_rate", _("Payment rate per month"),
                  [_("Month"), _("Bills"), _("Paid"), _("Payment rate")],
                  [[Month.of(b.month), b.billed, b.paid, b.rate] for b in data.bills_by_month])
    trend_chart = charts.line_chart(
        title=_("Payment rate per month"), labels=short_labels, fmt=fmt_pct_whole, top=100,
        desc=_("Bills paid of bills issued for each month, %(period)s.") % {"period": period},
        series=[charts.Series(_("Payment rate"), rates, charts.colour(2))])

    chart_map = {
        "weekly": Chart(weekly_chart, charts.legend([charts.Series(_("New registrations"), [])]), weekly),
        "monthly": Chart(monthly_chart, charts.legend(eco_series), monthly),
        "payment_rate": Chart(trend_chart, charts.legend([charts.Series(_("Payment rate"), [], charts.colour(2))]),
                              trend),
    }

    tables: dict[str, Table] = {}
    tables["by_ecosystem"] = Table(
        "by_ecosystem", _("By ecosystem"), _figure_columns(_("Ecosystem"), with_target=True, last_month=last_month),
        [_figure_row(eco.name, figures, with_target=True) for eco, figures in data.by_ecosystem])
    tables["by_channel"] = Table(
        "by_channel", _("By channel"),
        _figure_columns(_("Registration channel"), with_target=False, last_month=last_month),
        [_figure_row(str(CHANNEL_LABELS[code]), figures, with_target=False) for code, figures in data.by_channel])

    behind_note = ""
    if data.children:
        child_level = _("Province") if data.scope.level == 0 else _("Regency/city")
        tables["children"] = Table(
            "children", _("Provinces") if data.scope.level == 0 else _("Regencies and cities"),
            [child_level, _("Active"), _("BPU members"), _("Coverage"), _("Target"), _("Progress"),
             _("Payment rate %(month)s") % {"month": last_month}],
            [[region.name, c.active, c.bpu, c.coverage, _target_text(c.target, c.workers), c.progress,
              c.payment_rate] for region, c in data.children],
            links=[link(region.code) for region, _c in data.children])
        behind = data.behind
        tables["behind"] = Table(
            "behind", _("Furthest behind target"), [_("Rank"), child_level, _("Progress"), _("Active"), _("Target")],
            [[i, region.name, c.progress, c.active, _target_text(c.target, c.workers)]
             for i, (region, c) in enumerate(behind, 1)], links=[link(region.code) for region, _c in behind], header=1)
        if not behind:
            behind_note = (_("No region below has a target for %(year)s.") % {"year": year}
                           if not data.children_with_target else
                           _("No region below has both its target and the workforce figure it needs."))
    tables["agents"] = Table(
        "agents", _("Top Perisai agents"), [_("Rank"), _("Agent"), _("Members"), _("Active"), _("Cash collected")],
        [[i, a.name, a.members, a.active, Rupiah(a.paid_idr)] for i, a in enumerate(data.agents, 1)], header=1)
    tables["sponsors"] = Table(
        "sponsors", _("Top SERTAKAN sponsors"),
        [_("Rank"), _("Sponsor"), _("Members"), _("Active"), _("Payments made")],
        [[i, s.name, s.members, s.active, Rupiah(s.paid_idr)] for i, s in enumerate(data.sponsors, 1)], header=1)
    return Page(data=data, cards=cards, summary=summary, charts=chart_map, tables=tables, behind_note=behind_note)

