"""Automatic eligibility checks for a claim, each with its reason, for staff to see (pure reads)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from claims.benefits import early_death_months
from claims.models import (
    DEATH_CLAIM_TYPES,
    HEIR_CLASS,
    JHT_PARTIAL_TYPES,
    ClaimType,
    HeirRelationship,
    RuleKind,
    claim_program,
)
from claims.selectors import benefit_rule, jht_partial_taken, membership_start, paid_months_before
from contributions.selectors import covered_on

JKK_JKM = ("JKK", "JKM")
BHP_ONLY_JHT = gettext_lazy("The Balai Harta Peninggalan claims only the JHT balance of a participant who left no "
                            "heir.")


@dataclass(frozen=True)
class Check:
    code: str
    passed: bool
    message: str


@dataclass(frozen=True)
class Eligibility:
    checks: tuple[Check, ...]

    @property
    def eligible(self) -> bool:
        return all(check.passed for check in self.checks)

    @property
    def failed(self) -> list[Check]:
        return [check for check in self.checks if not check.passed]


def _day(value: dt.date) -> str:
    return date_format(value, "DATE_FORMAT")


def _age(birth: dt.date, on: dt.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def years_later(day: dt.date, years: int) -> dt.date:
    """The same day `years` later; 29 February becomes 28 February in a year without it."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def partial_withdrawal_from(*, member, on: dt.date) -> tuple[dt.date, int, dt.date]:
    """(membership start, years needed, the day they are reached) for a partial JHT withdrawal asked for on `on`:
    the years are counted from the membership start (the first day of the first paid month, as DOMAIN.md's "10 years
    of membership"), not in paid months, so a lapse does not stop the count."""
    start = membership_start(member=member)
    years = cast(int, benefit_rule(kind=RuleKind.JHT_PARTIAL_YEARS, on=on).quantity)
    return start, years, years_later(start, years)


def claim_eligibility(
    *,
    member,
    claim_type: str,
    event_date: dt.date,
    heir: str | None = None,
    other_heirs: Sequence[str] = (),
    already_paid_death: bool = False,
) -> Eligibility:
    """`heir` is the claimant's relationship to the member (death claims), `other_heirs` those of the other known
    heirs; `already_paid_death` says a JKK or JKM death benefit was already approved for the member. For a filed
    claim, claims.services.claim_eligibility_for answers these from the claim and the member's other claims."""
    claim_type = ClaimType(claim_type)
    program = claim_program(claim_type)
    start = membership_start(member=member)
    checks = [_program_held(member, program, event_date, start)]
    if program in JKK_JKM:
        paid = covered_on(member=member, day=event_date)
        checks.append(Check("event_month_paid", paid, _("The contribution for %(month)s was paid by the event date.")
                            % {"month": f"{event_date:%Y-%m}"} if paid else
                            _("The contribution for %(month)s was not paid by the event date: no cover.")
                            % {"month": f"{event_date:%Y-%m}"}))
    if claim_type == ClaimType.JKM_DEATH:
        months_paid, needed = early_death_months(member=member, event_date=event_date)
        checks.append(Check("membership_age", True, _(
            "%(paid)s months paid before the death, fewer than %(needed)s: only the early-death amount is paid.")
            % {"paid": months_paid, "needed": needed} if months_paid < needed else
            _("%(paid)s months paid before the death: the full death benefit applies.") % {"paid": months_paid}))
    if claim_type == ClaimType.JKM_SCHOLARSHIP:
        # a count kind: its quantity is set (benefit_rule_value_fits_kind)
        months = cast(int, benefit_rule(kind=RuleKind.JKM_SCHOLARSHIP_MONTHS, on=event_date).quantity)
        months_paid = paid_months_before(member=member, event_date=event_date)
        ok = months_paid >= months
        checks.append(Check("membership_age", ok, (
            _("%(paid)s months paid before the death: at least %(months)s needed.") if ok else
            _("JKM scholarships need %(months)s months paid; %(paid)s were paid before the death (a lapse does "
              "not count)."))
            % {"months": months, "paid": months_paid}))
    if claim_type == ClaimType.JHT_AGE:
        years = cast(int, benefit_rule(kind=RuleKind.JHT_AGE_YEARS, on=event_date).quantity)
        age = _age(member.birth_date, event_date)
        checks.append(Check("retirement_age", age >= years, _("Age %(age)s on the event date; JHT is paid from age "
                                                              "%(years)s.") % {"age": age, "years": years}))
    if claim_type in JHT_PARTIAL_TYPES:
        checks += _partial_checks(member, event_date)
    if claim_type in DEATH_CLAIM_TYPES:
        checks.append(_heir_order(heir, other_heirs, claim_type))
    elif heir == HeirRelationship.BHP:
        checks.append(Check("heir_order", False, str(BHP_ONLY_JHT)))
    if claim_type in (ClaimType.JKK_DEATH, ClaimType.JKM_DEATH):
        checks.append(Check("one_death_benefit", not already_paid_death,
                            _("A death benefit was already approved for this member.") if already_paid_death else
                            _("No death benefit was approved for this member before.")))
    return Eligibility(checks=tuple(checks))


def _program_held(member, program: str, event_date: dt.date, start: dt.date) -> Check:
    if program == "JHT" and not member.has_jht:
        return Check("program_held", False, _("The member does not take JHT."))
    if event_date < start:
        return Check("program_held", False, _("The event is before the membership began on %(start)s.")
                     % {"start": _day(start)})
    return Check("program_held", True, _("%(program)s held since %(start)s.")
                 % {"program": program, "start": _day(start)})


def _partial_checks(member, event_date: dt.date) -> list[Check]:
    """A partial JHT withdrawal: the years of membership (data), and once only, never after the whole balance.
    The claim checked is one of the member's partial withdrawals once filed, so a second one not rejected fails
    (both, when two were filed at once: the branch rejects one and the other passes again)."""
    start, years, reached = partial_withdrawal_from(member=member, on=event_date)
    enough = event_date >= reached
    checks = [Check("membership_age", enough, (
        _("Member since %(start)s: %(years)s years of membership reached on %(day)s.") if enough else
        _("Member since %(start)s: a partial JHT withdrawal needs %(years)s years of membership, reached on "
          "%(day)s."))
        % {"start": _day(start), "years": years, "day": _day(reached)})]
    partial, full = jht_partial_taken(member=member)
    if full:
        checks.append(Check("partial_once", False, _(
            "The whole JHT balance is paid with claim %(number)s: nothing is left to withdraw in part.")
            % {"number": full}))
    elif len(partial) > 1:
        checks.append(Check("partial_once", False, _(
            "JHT is withdrawn in part once only; this member has %(count)s partial withdrawals not rejected: "
            "%(numbers)s.") % {"count": len(partial), "numbers": ", ".join(partial)}))
    else:
        checks.append(Check("partial_once", True, _("No other partial JHT withdrawal for this member (it is allowed "
                                                    "once).")))
    return checks


def _heir_order(heir: str | None, others: Sequence[str], claim_type: str) -> Check:
    if heir is None:
        return Check("heir_order", False, _("The heir's relationship to the member is needed."))
    if heir == HeirRelationship.BHP:
        return _bhp_order(others, claim_type)
    mine = HEIR_CLASS.get(HeirRelationship(heir))
    if mine is None:
        return Check("heir_order", False, _("%(heir)s: not an heir under the rules.")
                     % {"heir": HeirRelationship(heir).label})
    first = min([mine] + [HEIR_CLASS[HeirRelationship(o)] for o in others if HeirRelationship(o) in HEIR_CLASS])
    label = HeirRelationship(heir).label
    if mine == first:
        return Check("heir_order", True, _("%(heir)s: no heir comes before them.") % {"heir": label})
    ahead = sorted({str(HeirRelationship(o).label) for o in others if HEIR_CLASS.get(HeirRelationship(o)) == first})
    return Check("heir_order", False, _("%(heir)s may not claim: %(ahead)s come first.")
                 % {"heir": label, "ahead": ", ".join(ahead)})


def _bhp_order(others: Sequence[str], claim_type: str) -> Check:
    """The Balai Harta Peninggalan takes the JHT only, and only when nobody is an heir: no heir the claim names, nor
    any on another claim of the member that is not rejected (claims.services.claim_eligibility_for gives both)."""
    if claim_type != ClaimType.JHT_DEATH:
        return Check("heir_order", False, str(BHP_ONLY_JHT))
    heirs = sorted({str(HeirRelationship(o).label) for o in others if o in HeirRelationship.values
                    and o != HeirRelationship.BHP and HeirRelationship(o) in HEIR_CLASS})
    if heirs:
        return Check("heir_order", False, _("There is an heir (%(heirs)s): the Balai Harta Peninggalan does not "
                                            "claim.") % {"heirs": ", ".join(heirs)})
    return Check("heir_order", True, _("No heir is known, on this claim or another: the Balai Harta Peninggalan "
                                       "receives the JHT."))
