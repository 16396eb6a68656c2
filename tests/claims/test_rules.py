"""The service-level clock of a claim in working days (claims.rules.claim_sla): weekends, national holidays and
cuti bersama, the types with no promise, and when the clock starts and stops."""

import datetime as dt

import pytest

from claims.models import Claim, ClaimStatus
from claims.rules import claim_sla
from tests.claims.claim_helpers import death_claim, paid_member, walk

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def at(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value)


@pytest.fixture
def claim():
    return death_claim(paid_member(months=12))


def sla_of(claim_type, complete, now, status="verifying"):
    claim = Claim(claim_type=claim_type, status=status, documents_complete_at=at(complete) if complete else None)
    return claim_sla(claim=claim, now=at(now))


def test_jkm_three_working_days_across_a_weekend():
    # Complete on Friday 5 June 2026: Monday, Tuesday, Wednesday.
    sla = sla_of("jkm_death", "2026-06-05T15:00:00+07:00", "2026-06-08T10:00:00+07:00")
    assert (sla.working_days, sla.started, sla.due, sla.days_left, sla.breached, sla.note) == (
        3, dt.date(2026, 6, 5), dt.date(2026, 6, 10), 2, False, "")


def test_jkm_three_working_days_across_holidays_and_cuti_bersama():
    # Tuesday 17 March 2026; Nyepi and Idulfitri (18-24 March, weekend included) are off: 25, 26, 27 March.
    sla = sla_of("jkm_death", "2026-03-17T09:00:00+07:00", "2026-03-26T09:00:00+07:00")
    assert (sla.due, sla.days_left, sla.breached) == (dt.date(2026, 3, 27), 1, False)
    late = sla_of("jkm_death", "2026-03-17T09:00:00+07:00", "2026-03-30T09:00:00+07:00")
    assert (late.days_left, late.breached) == (-1, True)  # Monday 30 March: one working day late


def test_jht_five_working_days_with_independence_day():
    # Friday 14 August 2026; Monday 17 August is a holiday: 18, 19, 20, 21, 24 August.
    sla = sla_of("jht_death", "2026-08-14T09:00:00+07:00", "2026-08-24T17:00:00+07:00")
    assert (sla.working_days, sla.due, sla.days_left, sla.breached) == (5, dt.date(2026, 8, 24), 0, False)


def test_a_date_outside_the_holiday_data_counts_weekdays_with_a_note():
    sla = sla_of("jkm_death", "2030-06-14T09:00:00+07:00", "2030-06-20T09:00:00+07:00")
    assert (sla.due, sla.days_left, sla.breached) == (dt.date(2030, 6, 19), -1, True)
    assert "Monday to Friday" in sla.note


def test_other_claim_types_have_no_promise_and_no_clock():
    sla = sla_of("jkk_medical", "2026-06-05T15:00:00+07:00", "2026-07-08T10:00:00+07:00")
    assert (sla.working_days, sla.due, sla.breached) == (None, None, False)
    assert "No service promise" in sla.note


def test_no_clock_before_documents_are_complete_or_after_rejection():
    assert sla_of("jkm_death", None, "2026-07-08T10:00:00+07:00").due is None
    rejected = sla_of("jkm_death", "2026-06-05T15:00:00+07:00", "2026-07-08T10:00:00+07:00", status="rejected")
    assert (rejected.due, rejected.breached, rejected.stopped) == (None, False, True)


def test_the_clock_stops_at_the_payout(claim):
    paid = walk(claim, to=ClaimStatus.PAID)
    complete = paid.documents_complete_at
    sla = claim_sla(claim=paid, now=complete + dt.timedelta(days=60))
    assert sla.stopped and not sla.breached  # paid the same day, however late we look


