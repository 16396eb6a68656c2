"""The JKK benefits staff assess from the doctor's statement and the receipts (PP 44/2015 as amended by PP 82/2019):
disability, temporary incapacity (STMB) per period, and the costs of care with their caps. Every figure is dated
reference data in force on the accident date; staff enter only what the documents say (which parts of the body,
which days, which invoices), never an amount of benefit. Pure reads, like claims.benefits.

An assessment is a dict kept with the claim's breakdown (`breakdown["assessment"]`), so a later claim for the same
accident counts against the same caps and periods:
- disability: {"disability": "total"} | {"disability": "partial", "parts": [{"code": …}, …]}
  | {"disability": "functional", "parts": [{"code": …, "lost_percent": 1–100}, …]}
- temporary incapacity: {"periods": [{"start": "YYYY-MM-DD", "end": "YYYY-MM-DD"}, …]}
- costs: {"costs": [{"kind": COST_KINDS, "amount_idr": int, "year": int (home care), "reference": str}, …]}
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import cast

from django.utils.translation import gettext as _

from claims.benefits import Benefit, BenefitError, BenefitLine, declared_income_at
from claims.models import RuleKind
from claims.selectors import benefit_rule, disability_rates
from claims.texts import Text
from core.money import round_idr

DISABILITY_KINDS = ("total", "partial", "functional")
TRANSPORT = {"transport_land": RuleKind.JKK_TRANSPORT_LAND, "transport_sea": RuleKind.JKK_TRANSPORT_SEA,
             "transport_air": RuleKind.JKK_TRANSPORT_AIR}
COST_KINDS = ("medical", *TRANSPORT, "home_care", "orthosis")
DAYS_IN_A_MONTH = 30  # temporary incapacity: a month's income covers 30 days (decision AF)


def _multiple(kind: str, on: dt.date) -> tuple[Decimal, str]:
    rule = benefit_rule(kind=kind, on=on)
    return cast(Decimal, rule.multiple), rule.source


def _amount(kind: str, on: dt.date) -> tuple[int, str]:
    rule = benefit_rule(kind=kind, on=on)
    return cast(int, rule.amount_idr), rule.source


# --- disability ----------------------------------------------------------------------------------------------------


def jkk_disability(*, member, event_date: dt.date, assessment: dict) -> Benefit:
    """Total permanent: 56 × income plus the periodic benefit paid at once. Partial: each part's table percentage ×
    80 × income; functional: the share of function lost × the part's percentage × 80 × income. Parts add up, never
    beyond what total permanent disability pays as its multiple."""
    kind = assessment.get("disability")
    if kind not in DISABILITY_KINDS:
        raise BenefitError(_("Choose the kind of disability the doctor's statement gives."))
    income = declared_income_at(member=member, event_date=event_date)
    total_multiple, total_source = _multiple(RuleKind.JKK_TOTAL_DISABILITY, event_date)
    if kind == "total":
        periodic, periodic_source = _amount(RuleKind.JKK_DISABILITY_PERIODIC, event_date)
        return Benefit(lines=(
            BenefitLine(Text("income_multiple", {"multiple": f"{total_multiple.normalize():f}", "income": income}),
                        round_idr(total_multiple * income), total_source),
            BenefitLine(Text("periodic"), periodic, periodic_source)))
    parts = assessment.get("parts") or []
    if not parts:
        raise BenefitError(_("Choose at least one part of the body from the table."))
    base, base_source = _multiple(RuleKind.JKK_DISABILITY_BASE, event_date)
    table = disability_rates(on=event_date)
    lines, notes, seen = [], [], set()
    for part in parts:
        row = table.get(part.get("code", ""))
        if row is None:
            raise BenefitError(_("This part of the body is not in the disability table in force on the accident "
                                 "date."))
        if row.code in seen:
            raise BenefitError(_("%(part)s is chosen twice.") % {"part": row.label})
        seen.add(row.code)
        share = row.percent / 100
        params = {"part": row.label, "percent": f"{row.percent.normalize():f}", "multiple": f"{base.normalize():f}",
                  "income": income}
        if kind == "functional":
            lost = Decimal(str(part.get("lost_percent") or 0))
            if not 0 < lost <= 100:
                raise BenefitError(_("Give the share of function lost for %(part)s, 1 to 100 %%.")
                                   % {"part": row.label})
            share = share * lost / 100
            params["lost"] = f"{lost.normalize():f}"
        code = "disability_functional" if kind == "functional" else "disability_part"
        rule = f"{row.source} · {base_source}"
        lines.append(BenefitLine(Text(code, params), round_idr(share * base * income), rule))
        if row.provisional:
            notes.append(Text("disability_provisional", {"part": row.label}))
    ceiling = round_idr(total_multiple * income)
    if sum(line.amount_idr for line in lines) > ceiling:
        lines = [BenefitLine(Text("disability_ceiling", {"multiple": f"{total_multiple.normalize():f}",
                                                         "income": income}), ceiling, total_source)]
        notes.append(Text("disability_ceiling_note"))
    return Benefit(lines=tuple(lines), notes=tuple(notes))


# --- temporary incapacity ------------------------------------------------------------------------------------------


def months_later(day: dt.date, months: int) -> dt.date:
    """The same day `months` later (the month's last day when it has no such day)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def _period(raw: dict) -> tuple[dt.date, dt.date]:
    try:
        start, end = dt.date.fromisoformat(str(raw["start"])), dt.date.fromisoformat(str(raw["end"]))
    except (KeyError, ValueError) as exc:
        raise BenefitError(_("Give each period's first and last day.")) from exc
    if end < start:
        raise BenefitError(_("A period ends before it starts."))
    return start, end


def jkk_incapacity(*, member, event_date: dt.date, assessment: dict, earlier: Sequence[dict] = (),
                   today: dt.date | None = None) -> Benefit:
    """Temporary incapacity for the days of the doctor's periods: the full rate from the accident until the end of
    its 12th month, the later rate after that, a month's income for 30 days. The worker claims each period as it
    ends (a new claim for the same accident); periods other claims paid must not overlap."""
    periods = sorted(_period(raw) for raw in assessment.get("periods") or [])
    if not periods:
        raise BenefitError(_("Give the period of incapacity from the doctor's statement."))
    taken = sorted(_period(raw) for other in earlier for raw in other.get("periods") or [])
    for (_a_start, a_end), (b_start, _b_end) in zip(periods, periods[1:], strict=False):
        if b_start <= a_end:
            raise BenefitError(_("Two periods overlap."))
    for start, end in periods:
        if start < event_date:
            raise BenefitError(_("A period starts before the accident."))
        if today is not None and end > today:
            raise BenefitError(_("A period ends in the future: it is paid once it has passed."))
        for other_start, other_end in taken:
            if start <= other_end and other_start <= end:
                raise BenefitError(_("%(start)s–%(end)s overlaps a period another claim for this accident covers.")
                                   % {"start": start, "end": end})
    income = declared_income_at(member=member, event_date=event_date)
    months = cast(int, benefit_rule(kind=RuleKind.JKK_STMB_FULL_MONTHS, on=event_date).quantity)
    full, full_source = _multiple(RuleKind.JKK_STMB_FULL_RATE, event_date)
    later, later_source = _multiple(RuleKind.JKK_STMB_LATER_RATE, event_date)
    switch = months_later(event_date, months)  # the first day at the later rate
    lines = []
    for start, end in periods:
        for a, b, rate, source, code in ((start, min(end, switch - dt.timedelta(days=1)), full, full_source,
                                          "stmb_full"),
                                         (max(start, switch), end, later, later_source, "stmb_later")):
            days = (b - a).days + 1
            if days <= 0:
                continue
            amount = round_idr(Decimal(income) * rate * days / DAYS_IN_A_MONTH)
            lines.append(BenefitLine(Text(code, {"start": f"{a:%Y-%m-%d}", "end": f"{b:%Y-%m-%d}", "days": days,
                                                 "percent": f"{(rate * 100).normalize():f}", "income": income}),
                                     amount, source))
    return Benefit(lines=tuple(lines), notes=(Text("stmb_days", {"days": DAYS_IN_A_MONTH}),))


# --- costs of care -------------------------------------------------------------------------------------------------


def _cost_rows(assessment: dict) -> list[dict]:
    rows = []
    for raw in assessment.get("costs") or []:
        kind, amount = raw.get("kind"), raw.get("amount_idr")
        if kind not in COST_KINDS or not isinstance(amount, int) or amount <= 0:
            raise BenefitError(_("Give each invoice's kind and amount."))
        if kind == "home_care" and not isinstance(raw.get("year"), int):
            raise BenefitError(_("Give the year of each home-care invoice."))
        rows.append(raw)
    if not rows:
        raise BenefitError(_("Enter the invoices and receipts the claim pays."))
    return rows


def jkk_costs(*, member, event_date: dt.date, assessment: dict, earlier: Sequence[dict] = ()) -> Benefit:
    """Medical care as invoiced (no ceiling); transport by land, sea and air each up to its own cap for the accident;
    home care up to its cap for each year; orthoses and prostheses at the rehabilitation-centre price plus its
    markup. Caps count what other claims for the same accident paid or hold."""
    rows = _cost_rows(assessment)
    before: dict[tuple[str, int | None], int] = {}
    for other in earlier:
        for raw in other.get("costs") or []:
            key = (raw.get("kind"), raw.get("year") if raw.get("kind") == "home_care" else None)
            before[key] = before.get(key, 0) + int(raw.get("paid_idr", raw.get("amount_idr", 0)))
    lines: list[BenefitLine] = []
    notes: list[Text] = []
    medical = sum(r["amount_idr"] for r in rows if r["kind"] == "medical")
    if medical:
        count = sum(1 for r in rows if r["kind"] == "medical")
        lines.append(BenefitLine(Text("cost_medical", {"count": count}), medical, Text("cost_no_ceiling")))
    groups: list[tuple[str, int | None, str]] = [(kind, None, rule) for kind, rule in TRANSPORT.items()]
    groups += [("home_care", year, RuleKind.JKK_HOME_CARE_YEAR)
               for year in sorted({r["year"] for r in rows if r["kind"] == "home_care"})]
    for kind, year, rule_kind in groups:
        asked = sum(r["amount_idr"] for r in rows if r["kind"] == kind and (year is None or r["year"] == year))
        if not asked:
            continue
        cap, source = _amount(rule_kind, event_date)
        left = max(cap - before.get((kind, year), 0), 0)
        paid = min(asked, left)
        params = {"amount": asked, "cap": cap, **({"year": year} if year is not None else {})}
        if paid:
            lines.append(BenefitLine(Text(f"cost_{kind}", params), paid, source))
        if paid < asked:
            notes.append(Text("cost_capped", {**params, "paid": paid}))
    markup, markup_source = _multiple(RuleKind.JKK_ORTHOSIS_MARKUP, event_date)
    for r in rows:
        if r["kind"] == "orthosis":
            lines.append(BenefitLine(Text("cost_orthosis", {"amount": r["amount_idr"],
                                                            "multiple": f"{markup.normalize():f}"}),
                                     round_idr(markup * r["amount_idr"]), markup_source))
    return Benefit(lines=tuple(lines), notes=tuple(notes))
