"""Reads of a granted scholarship: each child's school years paid and to come, the school year the heir may send a
certificate for now, and the step (level and year in it) that year is. Pure over what it is given, except
`scholarship_schedules`, which reads one claim's children and payments."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from claims import benefits
from claims.models import (
    Claim,
    ScholarshipChild,
    ScholarshipChildStatus,
    ScholarshipLevel,
    ScholarshipPayment,
    ScholarshipPaymentStatus,
)

LIVE = (ScholarshipPaymentStatus.SUBMITTED, ScholarshipPaymentStatus.RELEASED, ScholarshipPaymentStatus.PAID)


@dataclass(frozen=True)
class Step:
    level: str
    year_in_level: int


def next_step(child: ScholarshipChild, payments: Sequence[ScholarshipPayment],
              levels: Sequence[ScholarshipLevel]) -> Step | None:
    """Where the child should be in the school year after its last one paid for: a year up in its level, or the
    first year of the next level; the first year of the first level for a child not at school yet. None: every
    level is paid."""
    live = [p for p in payments if p.status in LIVE]
    if not live:
        return Step(child.first_level or levels[0].level, child.first_year_in_level if child.first_level else 1)
    last = max(live, key=lambda p: p.school_year)
    order = [row.level for row in levels]
    years = {row.level: row.years for row in levels}
    if last.year_in_level < years.get(last.level, 0):
        return Step(last.level, last.year_in_level + 1)
    at = order.index(last.level) if last.level in order else len(order)
    return Step(order[at + 1], 1) if at + 1 < len(order) else None


def step_for_level(child: ScholarshipChild, payments: Sequence[ScholarshipPayment],
                   levels: Sequence[ScholarshipLevel], level: str) -> Step | None:
    """The step a school year at `level` is for this child: the next year of its current level, or the first year
    of a later level (a child may go up a level early). None: a lower level than already paid, or a level whose
    years are all paid."""
    order = [row.level for row in levels]
    if level not in order:
        return None
    years = {row.level: row.years for row in levels}
    live = [p for p in payments if p.status in LIVE]
    if not live:
        start = child.first_level or order[0]
        if order.index(level) < order.index(start):
            return None
        return Step(level, child.first_year_in_level if level == child.first_level else 1)
    last = max(live, key=lambda p: p.school_year)
    if order.index(level) < order.index(last.level):
        return None
    if level == last.level:
        return Step(level, last.year_in_level + 1) if last.year_in_level < years[level] else None
    return Step(level, 1)


def open_school_year(*, child: ScholarshipChild, payments: Sequence[ScholarshipPayment], today: dt.date,
                     years: benefits.SchoolYears, remind_days: int) -> int | None:
    """The school year the heir may send a certificate for today: the current one, or from `remind_days` before
    the next one starts, that one; only years after the one the claim was paid in, never a year a live payment
    has, nor one past the age limit."""
    if child.status != ScholarshipChildStatus.ACTIVE:
        return None
    current = benefits.school_year_of(today, years.start_month)
    candidates = [current]
    if today >= benefits.school_year_start(current + 1, years.start_month) - dt.timedelta(days=remind_days):
        candidates.append(current + 1)
    taken = {p.school_year for p in payments if p.status in LIVE}
    as_child = benefits.Child(child.name, child.first_level, child.first_year_in_level, child.birth_date)
    for year in candidates:
        if year not in taken and year > child.granted_school_year and benefits.within_age(as_child, year, years):
            return year
    return None


@dataclass
class ChildSchedule:
    child: ScholarshipChild
    payments: list[ScholarshipPayment]
    later: list[benefits.BenefitLine] = field(default_factory=list)
    open_year: int | None = None
    step: Step | None = None
    # A refused form's message and what was chosen in it, set by the page that shows them again.
    send_error: str = ""
    send_fields: dict = field(default_factory=dict)
    end_error: str = ""
    end_fields: dict = field(default_factory=dict)
    kept_level: str = ""
    end_kept: dict = field(default_factory=dict)

    @property
    def paid_idr(self) -> int:
        return sum(p.amount_idr for p in self.payments if p.status == ScholarshipPaymentStatus.PAID)


def scholarship_schedules(*, claim: Claim, today: dt.date) -> list[ChildSchedule]:
    """Per child of the claim: its payments, the years to come (a plan: each is paid only on its certificate) and the
    school year open for a certificate now. Empty for a claim that covers no child (yet)."""
    children = list(ScholarshipChild.objects.filter(claim=claim).order_by("position"))
    if not children:
        return []
    rules = benefits.scholarship_rules(event_date=claim.event_date)
    remind_days = benefits.scholarship_remind_days(event_date=claim.event_date)
    payments: dict[int, list[ScholarshipPayment]] = {c.pk: [] for c in children}
    for payment in (ScholarshipPayment.objects.filter(child__claim=claim).select_related("document")
                    .order_by("school_year", "id")):
        payments[payment.child_id].append(payment)
    taken = sum(p.amount_idr for p in ScholarshipPayment.objects.filter(child__member_id=claim.member_id)
                .exclude(status=ScholarshipPaymentStatus.REFUSED).only("amount_idr"))
    schedules = []
    cap_left = max(rules.cap_idr - taken, 0)
    for child in children:
        rows = payments[child.pk]
        schedule = ChildSchedule(child=child, payments=rows)
        if child.status == ScholarshipChildStatus.ACTIVE:
            schedule.open_year = open_school_year(child=child, payments=rows, today=today, years=rules.years,
                                                  remind_days=remind_days)
            schedule.step = next_step(child, rows, rules.levels)
            live_years = [p.school_year for p in rows if p.status in LIVE]
            from_year = (max(live_years) + 1 if live_years
                         else benefits.school_year_of(today, rules.years.start_month) + 1)
            if schedule.step is not None and (child.first_level or live_years):
                plan_child = benefits.Child(child.name, schedule.step.level, schedule.step.year_in_level,
                                            child.birth_date)
                schedule.later, _notes = benefits.scholarship_plan(
                    children=[plan_child], levels=rules.levels, from_year=from_year, years=rules.years,
                    cap_left_idr=cap_left, cap_source=rules.cap_source, cap_idr=rules.cap_idr)
        schedules.append(schedule)
    return schedules
