"""Benefit calculation over the reference data in force on the event date. Pure reads: nothing is written.

Every result is a list of lines (label, rupiah, the rule or source it comes from); the total is their sum, so the
breakdown staff see always adds up. Rupiah are rounded once per figure with core.money.round_idr.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import cast

from django.utils import timezone
from django.utils.translation import gettext as _

from claims.models import JHT_PARTIAL_TYPES, Claim, ClaimStatus, ClaimType, RuleKind, ScholarshipLevel
from claims.selectors import benefit_rule, jht_return_rates, paid_months_before, scholarship_levels
from claims.texts import Text
from contributions.models import Bill, BillStatus
from core.money import format_idr, round_idr

REFUND_RULE = "DOMAIN.md: contributions paid for months after the event are refunded with the claim [single]"
JHT_RULE = "DOMAIN.md: JHT = the member's JHT contributions plus returns [firm]"


class BenefitError(ValueError):
    pass


@dataclass(frozen=True)
class BenefitLine:
    text: Text  # what the line is, rendered in the reader's language (claims.texts)
    amount_idr: int
    rule: str | Text  # where the figure comes from: a regulation's name, or our words
    year: int | None = None
    child: str = ""

    @property
    def label(self) -> str:
        return str(self.text)


@dataclass(frozen=True)
class Benefit:
    lines: tuple[BenefitLine, ...]
    notes: tuple[Text, ...] = field(default_factory=tuple)

    @property
    def total_idr(self) -> int:
        return sum(line.amount_idr for line in self.lines)


def early_death_months(*, member, event_date: dt.date) -> tuple[int, int]:
    """(months paid before the event month, months the full benefit needs): a death with fewer paid months is in
    "the first 3 months" of membership. Months are whole calendar months, so paying January to March makes a death
    from 1 April a full one; a lapse does not count."""
    # A rule's kind says which of its values is set (benefit_rule_value_fits_kind): hence the casts below.
    needed = cast(int, benefit_rule(kind=RuleKind.JKM_EARLY_DEATH_MONTHS, on=event_date).quantity)
    return paid_months_before(member=member, event_date=event_date), needed


def jkm_death(*, member, event_date: dt.date) -> Benefit:
    paid, needed = early_death_months(member=member, event_date=event_date)
    if paid < needed:
        rule = benefit_rule(kind=RuleKind.JKM_EARLY_DEATH, on=event_date)
        return Benefit(lines=(BenefitLine(Text("jkm_early_death"), cast(int, rule.amount_idr), rule.source),))
    lines = []
    for kind, code in ((RuleKind.JKM_LUMP_SUM, "lump_sum"), (RuleKind.JKM_PERIODIC, "periodic"),
                       (RuleKind.JKM_FUNERAL, "funeral")):
        rule = benefit_rule(kind=kind, on=event_date)
        lines.append(BenefitLine(Text(code), cast(int, rule.amount_idr), rule.source))
    return Benefit(lines=tuple(lines))


def declared_income_at(*, member, event_date: dt.date) -> int:
    """The income base billed for the event month; the member's current base when that month has no bill."""
    billed = (Bill.objects.filter(member=member, month=event_date.replace(day=1))
              .values_list("income_base_idr", flat=True).first())
    return billed or member.income_base_idr


def jkk_death(*, member, event_date: dt.date) -> Benefit:
    """PP 82/2019: a multiple of the declared income, never less than the JKM lump sum, plus the periodic benefit
    paid at once and the funeral costs."""
    rule = benefit_rule(kind=RuleKind.JKK_DEATH_MULTIPLE, on=event_date)
    income = declared_income_at(member=member, event_date=event_date)
    factor = cast(Decimal, rule.multiple)
    multiple = factor.normalize()
    amount = round_idr(factor * income)
    floor = benefit_rule(kind=RuleKind.JKM_LUMP_SUM, on=event_date)
    floor_idr = cast(int, floor.amount_idr)
    lines = [BenefitLine(Text("income_multiple", {"multiple": f"{multiple:f}", "income": income}), amount,
                         rule.source)]
    if amount < floor_idr:
        lines = [BenefitLine(Text("income_multiple_floor", {"multiple": f"{multiple:f}", "amount": amount}),
                             floor_idr, floor.source)]
    for kind, code in ((RuleKind.JKK_PERIODIC, "periodic"), (RuleKind.JKK_FUNERAL, "funeral")):
        part = benefit_rule(kind=kind, on=event_date)
        lines.append(BenefitLine(Text(code), cast(int, part.amount_idr), part.source))
    notes = (Text("multiple_provisional"),) if rule.provisional else ()
    return Benefit(lines=tuple(lines), notes=notes)


@dataclass(frozen=True)
class Child:
    """A child as a scholarship plan sees it: the level and year it is in now ("" when not at school yet)."""

    name: str
    level: str
    year_in_level: int = 1
    birth_date: dt.date | None = None


@dataclass(frozen=True)
class SchoolYears:
    """The dated settings a scholarship plan follows: the month a school year starts and the age limit."""

    start_month: int
    end_age: int


def school_year_of(day: dt.date, start_month: int) -> int:
    """The school year `day` falls in, named by the year it starts: with July starts, 2027-03-01 is in 2026."""
    return day.year if day.month >= start_month else day.year - 1


def school_year_start(year: int, start_month: int) -> dt.date:
    return dt.date(year, start_month, 1)


def age_on(birth_date: dt.date, day: dt.date) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def within_age(child: Child, school_year: int, years: SchoolYears) -> bool:
    """A school year is paid when the child is under the age limit on its first day."""
    if child.birth_date is None:
        return True
    return age_on(child.birth_date, school_year_start(school_year, years.start_month)) < years.end_age


def scholarship_plan(*, children: Sequence[Child], levels: Sequence[ScholarshipLevel], from_year: int,
                     years: SchoolYears, cap_left_idr: int, cap_source: str, cap_idr: int | None = None
                     ) -> tuple[list[BenefitLine], list[Text]]:
    """The school years to come, from `from_year`, for children at school (a child not at school yet has none: it is
    paid from the year it enters school). Each child moves up a year at a time through its level and the later ones,
    each level's yearly amount for at most its years, while under the age limit. Rows are taken in calendar order,
    children in the order given within a year; the row that reaches the cap is cut to it and later rows dropped."""
    notes: list[Text] = []
    by_level = {row.level: i for i, row in enumerate(levels)}
    rows: list[tuple[int, int, BenefitLine]] = []
    for order, child in enumerate(children):
        if not child.level:
            notes.append(Text("not_at_school", {"name": child.name}))
            continue
        if child.level not in by_level:
            raise BenefitError(_("Unknown school level %(level)s.") % {"level": child.level})
        start = levels[by_level[child.level]]
        if not 1 <= child.year_in_level <= start.years:
            raise BenefitError(_("%(name)s: year %(year)s is not within the %(years)s years of that level.")
                               % {"name": child.name, "year": child.year_in_level, "years": start.years})
        year, aged_out = from_year, False
        for level in levels[by_level[child.level]:]:
            skipped = child.year_in_level - 1 if level is start else 0
            for _n in range(level.years - skipped):
                aged_out = not within_age(child, year, years)
                if aged_out:
                    break
                rows.append((year, order, BenefitLine(Text("school_level", {"level": level.level}),
                                                      level.yearly_idr, level.source, year=year, child=child.name)))
                year += 1
            if aged_out:
                notes.append(Text("school_age_limit", {"name": child.name, "age": years.end_age}))
                break
    lines: list[BenefitLine] = []
    paid = 0
    for _year, _order, line in sorted(rows, key=lambda r: (r[0], r[1])):
        if paid + line.amount_idr > cap_left_idr:
            if cap_left_idr > paid:
                lines.append(BenefitLine(line.text, cap_left_idr - paid, cap_source, year=line.year, child=line.child))
            notes.append(Text("scholarship_capped", {"cap": cap_left_idr if cap_idr is None else cap_idr}))
            break
        lines.append(line)
        paid += line.amount_idr
    return lines, notes


@dataclass(frozen=True)
class ScholarshipRules:
    levels: tuple[ScholarshipLevel, ...]
    years: SchoolYears
    max_children: int
    cap_idr: int
    cap_source: str


def scholarship_rules(*, event_date: dt.date) -> ScholarshipRules:
    """The scholarship figures in force on the event date (all dated reference data)."""
    cap = benefit_rule(kind=RuleKind.SCHOLARSHIP_CAP, on=event_date)

    def quantity(kind: str) -> int:
        return cast(int, benefit_rule(kind=kind, on=event_date).quantity)

    return ScholarshipRules(
        levels=tuple(scholarship_levels(on=event_date)),
        years=SchoolYears(start_month=quantity(RuleKind.SCHOOL_YEAR_START_MONTH),
                          end_age=quantity(RuleKind.SCHOLARSHIP_END_AGE)),
        max_children=quantity(RuleKind.SCHOLARSHIP_MAX_CHILDREN), cap_idr=cast(int, cap.amount_idr),
        cap_source=cap.source)


def scholarship_remind_days(*, event_date: dt.date) -> int:
    return cast(int, benefit_rule(kind=RuleKind.SCHOLARSHIP_REMINDER_DAYS, on=event_date).quantity)


@dataclass(frozen=True)
class ScholarshipClaim:
    """What a scholarship claim pays now (the school year it is verified in) and the plan for later years."""

    now: Benefit
    later: tuple[BenefitLine, ...]
    accepted: tuple[int, ...]  # the positions (0-based) of the children the claim covers
    school_year: int


def scholarship_claim(*, children: Sequence[Child], rules: ScholarshipRules, today: dt.date,
                      children_taken: int = 0, paid_idr: int = 0) -> ScholarshipClaim:
    """A scholarship claim: children beyond the rule's count (less those other claims of the member already cover)
    are refused; the children at school are paid this school year's amount now, the later years only on a school
    certificate each year. `paid_idr`: what the member's other scholarships took of the cap already."""
    room = max(rules.max_children - children_taken, 0)
    notes = [Text("children_refused", {"name": c.name, "count": rules.max_children}) for c in children[room:]]
    school_year = school_year_of(today, rules.years.start_month)
    lines, plan_notes = scholarship_plan(children=children[:room], levels=rules.levels, from_year=school_year,
                                         years=rules.years, cap_left_idr=max(rules.cap_idr - paid_idr, 0),
                                         cap_source=rules.cap_source, cap_idr=rules.cap_idr)
    now = tuple(line for line in lines if line.year == school_year)
    later = tuple(line for line in lines if line.year != school_year)
    if later:
        plan_notes.append(Text("scholarship_yearly"))
    return ScholarshipClaim(now=Benefit(lines=now, notes=tuple(notes + plan_notes)), later=later,
                            accepted=tuple(range(min(room, len(children)))), school_year=school_year)


def _paid_month(bill: Bill) -> dt.date:
    return timezone.localtime(bill.paid_at).date().replace(day=1) if bill.paid_at else bill.month


def jht_balance(*, member, event_date: dt.date) -> Benefit:
    """JHT contributions paid for months up to the event month, plus returns.

    Convention: a contribution earns from the later of its covered month and the month it was paid, counting
    that month; in each year it earns that year's declared rate pro rata (months / 12), and the balance at the
    start of a year (contributions plus earlier returns) earns the whole year's rate, so returns compound yearly.
    The event year counts up to and including the event month. Later months are refunded, not saved.
    Returns are exact until the end; each year's line is the change in the rounded running total, so the lines
    add up to the total rounded once.

    A partial withdrawal paid out (claims.models.JHT_PARTIAL_TYPES, its payout's `paid_at`) leaves the balance in
    the month it was paid, counting that month, as a contribution joins it: later returns are on what is left.
    Lines stay positive: the contributions line is less the withdrawal (any rest of it from the earliest returns,
    with a note); one paid after the event month is taken off in full, without touching the returns. A partial
    withdrawal verified or approved but not paid yet stops the calculation (it would be paid twice).
    """
    event_month = event_date.replace(day=1)
    bills = list(Bill.objects.filter(member=member, status=BillStatus.PAID, month__lte=event_month,
                                     jht_gross_idr__gt=0).order_by("month"))
    contributions = [(min(max(b.month, _paid_month(b)), event_month), b.jht_gross_idr - b.jht_discount_idr)
                     for b in bills]
    contributions = [(m, amount) for m, amount in contributions if amount > 0]
    if not contributions:
        return Benefit(lines=(), notes=(Text("jht_none"),))
    withdrawals = jht_partial_withdrawals(member=member)
    saved, months_paid = sum(amount for _m, amount in contributions), len(contributions)
    lines = [BenefitLine(Text("jht_contributions", {"count": months_paid}), saved, JHT_RULE)]
    # A withdrawal leaves the balance like a contribution joins it: a negative amount from the month it was paid.
    contributions += [(w.month, -w.amount_idr) for w in withdrawals if w.month <= event_month]
    first_year = contributions[0][0].year
    rates = jht_return_rates(first_year=first_year, last_year=event_date.year)
    balance = Decimal(0)
    returns = Decimal(0)
    rounded_so_far = 0
    for year in range(first_year, event_date.year + 1):
        last_month = 12 if year < event_date.year else event_date.month
        rate = rates[year].percent / Decimal(100)
        earned = balance * rate * last_month / 12
        for month, amount in contributions:
            if month.year == year:
                earned += amount * rate * (last_month - month.month + 1) / 12
                balance += amount
        balance += earned
        returns += earned
        line_amount = round_idr(returns) - rounded_so_far
        rounded_so_far += line_amount
        text = Text("jht_returns", {"year": year, "percent": str(rates[year].percent)})
        lines.append(BenefitLine(text, line_amount, rates[year].source or Text("jht_rate_by_admin"), year=year))
    provisional = [str(y) for y, r in sorted(rates.items()) if r.provisional]
    notes = (Text("jht_rates_provisional", {"years": ", ".join(provisional)}),) if provisional else ()
    if withdrawals:
        lines, taken_notes = _less_withdrawals(lines, withdrawals, count=months_paid)
        notes = (*notes, *taken_notes)
    return Benefit(lines=tuple(lines), notes=notes)


def refund_after_event(*, member, event_date: dt.date) -> Benefit:
    """Every paid month after the event month comes back in full (all programs), a line per month."""
    bills = Bill.objects.filter(member=member, status=BillStatus.PAID, month__gt=event_date.replace(day=1))
    return Benefit(lines=tuple(
        BenefitLine(Text("refund_month", {"month": f"{b.month:%Y-%m}"}), b.total_idr, REFUND_RULE, year=b.month.year)
        for b in bills.order_by("month")))


# --- JHT partial withdrawal (once, after 10 years of membership: 10 % for retirement, 30 % for housing) -----------

# Each partial withdrawal's share of the balance: the dated rule that holds it (a multiple, 0.10 and 0.30 today).
JHT_PARTIAL_SHARES: dict[str, str] = {ClaimType.JHT_PARTIAL_PENSION: RuleKind.JHT_PARTIAL_RETIREMENT,
                                      ClaimType.JHT_PARTIAL_HOUSING: RuleKind.JHT_PARTIAL_HOUSING}


@dataclass(frozen=True)
class Withdrawal:
    """A partial JHT withdrawal paid out: its claim, the rupiah and the day and month it left the balance."""

    number: str
    amount_idr: int
    paid_on: dt.date
    month: dt.date


def jht_partial_withdrawals(*, member) -> list[Withdrawal]:
    """The member's partial withdrawals paid out, oldest first. One verified or approved and not paid yet stops a
    full JHT calculation: the full balance would include what that claim is about to pay."""
    waiting = (Claim.objects.filter(member=member, claim_type__in=JHT_PARTIAL_TYPES,
                                    status__in=(ClaimStatus.VERIFIED, ClaimStatus.APPROVED))
               .values_list("number", flat=True).first())
    if waiting:
        raise BenefitError(_("The partial JHT withdrawal %(number)s is verified or approved but not paid yet: record "
                             "its transfer, or send it back or reject it, before the JHT balance is calculated.")
                           % {"number": waiting})
    rows = (Claim.objects.filter(member=member, claim_type__in=JHT_PARTIAL_TYPES, status=ClaimStatus.PAID)
            .values_list("number", "benefit_idr", "payout__paid_at").order_by("payout__paid_at", "id"))
    withdrawals = []
    for number, amount, paid_at in rows:
        day = timezone.localtime(paid_at).date()
        withdrawals.append(Withdrawal(number=number, amount_idr=amount or 0, paid_on=day, month=day.replace(day=1)))
    return [w for w in withdrawals if w.amount_idr > 0]


def _less_withdrawals(lines: list[BenefitLine], withdrawals: list[Withdrawal], *, count: int
                      ) -> tuple[list[BenefitLine], list[Text]]:
    """The balance's lines with the withdrawals taken off, every line staying positive: from the contributions line
    (relabelled), and only if the withdrawals are larger than the contributions, the rest from the earliest
    returns (a note says so)."""
    total = sum(w.amount_idr for w in withdrawals)
    if total > sum(line.amount_idr for line in lines):
        raise BenefitError(_("The partial withdrawals paid (%(amount)s) are larger than the JHT balance.")
                           % {"amount": format_idr(total)})
    label = Text("jht_contributions_less_partial", {
        "count": count, "amount": total, "number": ", ".join(w.number for w in withdrawals),
        "day": ", ".join(w.paid_on.isoformat() for w in withdrawals)})
    rest, adjusted = total, []
    for n, line in enumerate(lines):
        taken = min(rest, line.amount_idr)
        rest -= taken
        adjusted.append(replace(line, text=label if n == 0 else line.text, amount_idr=line.amount_idr - taken))
    from_returns = total - lines[0].amount_idr
    notes = [Text("jht_partial_from_returns", {"amount": from_returns})] if from_returns > 0 else []
    return adjusted, notes


def jht_partial(*, member, event_date: dt.date, share: str, npwp_valid: bool = False) -> Benefit:
    """A partial JHT withdrawal: `share` × the JHT balance on the event date (the day the worker asked), rounded
    once. `share` is the rule kind that holds the part (JHT_PARTIAL_SHARES: 10 % for retirement, 30 % for
    housing); the portal pays the whole part the rule allows. The one line is what is paid; the balance it comes
    from is a note (lines are paid, and the rest of the balance stays saved for a later full JHT claim).

    A housing withdrawal from a balance over the NPWP threshold (dated rule) needs the member's NPWP checked valid:
    `npwp_valid` says whether the claim has one; without it the calculation stops with a message naming it."""
    rule = benefit_rule(kind=share, on=event_date)
    balance = jht_balance(member=member, event_date=event_date)
    total = balance.total_idr
    if total <= 0:
        return Benefit(lines=(), notes=balance.notes or (Text("jht_none"),))
    if share == RuleKind.JHT_PARTIAL_HOUSING:
        above = cast(int, benefit_rule(kind=RuleKind.JHT_NPWP_ABOVE, on=event_date).amount_idr)
        if total > above and not npwp_valid:
            raise BenefitError(_(
                "The JHT balance is %(balance)s, over %(above)s: a housing withdrawal needs the member's NPWP (tax "
                "number card), checked valid. Ask the member for it, or reject the claim.")
                % {"balance": format_idr(total), "above": format_idr(above)})
    factor = cast(Decimal, rule.multiple)
    percent = (factor * 100).normalize()
    line = BenefitLine(Text("jht_partial", {"percent": f"{percent:f}", "amount": total}), round_idr(factor * total),
                       rule.source or JHT_RULE)
    notes = (Text("jht_partial_balance", {"day": event_date.isoformat(), "amount": total}), *balance.notes)
    return Benefit(lines=(line,), notes=notes)
