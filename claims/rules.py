"""Pure rules of claims (no reads of their own): the regency of a village code and the service-level clock."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _
from lokal.holidays import add_working_days, count_working_days

from claims.models import Claim

# DOMAIN.md's service promises, counted in working days from complete documents. Other types have none.
SLA_WORKING_DAYS = {"jkm_death": 3, "jkm_scholarship": 3, "jht_age": 5, "jht_death": 5, "jht_disability": 5,
                    "jht_leaving": 5, "jht_stopped": 5}


def regency_code(*, village_code: str) -> str:
    """ "31.74.01.1001" -> "31.74" (Kemendagri codes: a child's code starts with its parent's)."""
    return ".".join(village_code.split(".")[:2])


@dataclass(frozen=True)
class Sla:
    working_days: int | None  # the promise; None: DOMAIN.md makes none for this claim type
    started: dt.date | None  # the day documents were complete
    due: dt.date | None
    days_left: int | None  # working days from today to the due day (negative: late by that many)
    breached: bool
    stopped: bool  # paid or rejected: the clock no longer runs
    note: str = ""


def _weekdays_after(day: dt.date, n: int) -> dt.date:
    while n > 0:
        day += dt.timedelta(days=1)
        n -= day.weekday() < 5
    return day


def _weekdays_between(start: dt.date, end: dt.date) -> int:
    """Weekdays after `start` up to and including `end` (negative when end is earlier)."""
    sign, (a, b) = (1, (start, end)) if end >= start else (-1, (end, start))
    return sign * sum((a + dt.timedelta(days=i)).weekday() < 5 for i in range(1, (b - a).days + 1))


def _working_days(start: dt.date, n: int, until: dt.date) -> tuple[dt.date, int, str]:
    """(due, working days left on `until`, note) from lokal-id's holidays; outside the years it knows, weekdays."""
    try:
        due = add_working_days(start, n)
        if until <= due:
            left = count_working_days(until + dt.timedelta(days=1), due) if until < due else 0
        else:
            left = -count_working_days(due + dt.timedelta(days=1), until)
        return due, left, ""
    except ValueError:
        note = _("Public holidays for these dates are not known yet: working days are counted as Monday to Friday.")
        due = _weekdays_after(start, n)
        return due, _weekdays_between(until, due), note


def claim_sla(*, claim: Claim, now: dt.datetime | None = None) -> Sla:
    """The service-level clock: JKM paid within 3 working days of complete documents, JHT within 5 (DOMAIN.md);
    working days from lokal-id (weekends, public holidays and cuti bersama off). It runs from
    `documents_complete_at` (a request for more documents stops it, the next completion starts it again) until the
    payout; a rejected claim has no clock. No payout yet while the due day is past: breached."""
    days = SLA_WORKING_DAYS.get(claim.claim_type)
    if days is None:
        return Sla(None, None, None, None, False, False, _("No service promise for this claim type."))
    if claim.status == "rejected":
        return Sla(days, None, None, None, False, True, _("Rejected: no clock."))
    if claim.documents_complete_at is None:
        return Sla(days, None, None, None, False, False, _("The clock starts when the documents are complete."))
    payout = getattr(claim, "payout", None) if claim.status == "paid" else None
    end = payout.paid_at if payout is not None else (now or timezone.now())
    start = timezone.localtime(claim.documents_complete_at).date()
    until = timezone.localtime(end).date()
    due, left, note = _working_days(start, days, until)
    return Sla(days, start, due, left, until > due, payout is not None, note)
