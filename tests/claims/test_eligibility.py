import datetime as dt

import pytest

from claims.eligibility import claim_eligibility
from claims.models import ClaimType
from tests.contributions.helpers import bills_make, bills_mark_paid, member_make

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def at(day: str) -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T10:00:00+07:00")


@pytest.fixture
def member():
    member = member_make(billing_start=dt.date(2026, 1, 1), jht=True)
    bills_mark_paid(member, "2026-01", "2026-02", "2026-03", "2026-04", paid_at=at("2026-01-05"))
    return member


def checks(result) -> dict[str, bool]:
    return {c.code: c.passed for c in result.checks}


def test_jkm_death_of_a_covered_member_by_the_spouse_is_eligible(member):
    result = claim_eligibility(member=member, claim_type=ClaimType.JKM_DEATH, event_date=dt.date(2026, 4, 10),
                               heir="spouse", other_heirs=["child", "parent"])
    assert checks(result) == {"program_held": True, "event_month_paid": True, "membership_age": True,
                              "heir_order": True, "one_death_benefit": True}
    assert result.eligible
    assert "full death benefit" in result.checks[2].message


def test_jkm_death_in_the_first_3_months_is_eligible_for_the_early_amount(member):
    result = claim_eligibility(member=member, claim_type=ClaimType.JKM_DEATH, event_date=dt.date(2026, 3, 31),
                               heir="child")
    assert result.eligible
    assert "early-death amount" in {c.code: c.message for c in result.checks}["membership_age"]


def test_an_unpaid_event_month_is_not_covered(member):
    bills_make(member, "2026-05")
    result = claim_eligibility(member=member, claim_type=ClaimType.JKK_MEDICAL, event_date=dt.date(2026, 5, 3))
    assert checks(result) == {"program_held": True, "event_month_paid": False}
    assert not result.eligible and result.failed[0].message == (
        "The contribution for 2026-05 was not paid by the event date: no cover.")


def test_a_month_paid_after_the_event_does_not_cover_it():
    member = member_make()
    bills_mark_paid(member, "2026-01", paid_at=at("2026-01-20"))
    late = claim_eligibility(member=member, claim_type=ClaimType.JKK_MEDICAL, event_date=dt.date(2026, 1, 19))
    in_time = claim_eligibility(member=member, claim_type=ClaimType.JKK_MEDICAL, event_date=dt.date(2026, 1, 20))
    assert (late.eligible, in_time.eligible) == (False, True)


def test_an_event_before_membership_is_refused(member):
    result = claim_eligibility(member=member, claim_type=ClaimType.JKK_DISABILITY, event_date=dt.date(2025, 12, 31))
    assert checks(result)["program_held"] is False


def test_jht_claims_need_jht():
    member = member_make(jht=False)
    bills_mark_paid(member, "2026-01", paid_at=at("2026-01-02"))
    result = claim_eligibility(member=member, claim_type=ClaimType.JHT_LEAVING, event_date=dt.date(2026, 6, 1))
    assert checks(result) == {"program_held": False}
    assert result.failed[0].message == "The member does not take JHT."


def test_jht_claims_do_not_need_the_event_month_paid(member):
    result = claim_eligibility(member=member, claim_type=ClaimType.JHT_LEAVING, event_date=dt.date(2026, 9, 1))
    assert checks(result) == {"program_held": True} and result.eligible


@pytest.mark.parametrize(("event", "ok"), [(dt.date(2046, 8, 16), False), (dt.date(2046, 8, 17), True)])
def test_jht_at_age_56(member, event, ok):  # born 17 August 1990
    result = claim_eligibility(member=member, claim_type=ClaimType.JHT_AGE, event_date=event)
    assert checks(result)["retirement_age"] is ok


@pytest.mark.parametrize(("event", "ok"), [(dt.date(2028, 12, 31), False), (dt.date(2029, 1, 1), True)])
def test_jkm_scholarship_only_after_3_years(event, ok):
    """36 months paid, January 2026 to December 2028: a death from 1 January 2029 qualifies."""
    member = member_make(billing_start=dt.date(2026, 1, 1))
    months = [f"{year}-{m:02d}" for year in (2026, 2027, 2028) for m in range(1, 13)]
    bills_mark_paid(member, *months, paid_at=at("2026-01-05"))
    result = claim_eligibility(member=member, claim_type=ClaimType.JKM_SCHOLARSHIP, event_date=event)
    assert checks(result)["membership_age"] is ok
    assert "36 months" in {c.code: c.message for c in result.checks}["membership_age"]


def test_jkm_scholarship_counts_paid_months_not_the_years_since_the_first():
    """Paid December 2023, lapsed 32 months, paid December 2026: 1 month paid, no scholarship."""
    member = member_make(billing_start=dt.date(2023, 12, 1))
    bills_mark_paid(member, "2023-12", paid_at=at("2023-12-05"))
    bills_mark_paid(member, "2026-12", paid_at=at("2026-12-02"))
    result = claim_eligibility(member=member, claim_type=ClaimType.JKM_SCHOLARSHIP, event_date=dt.date(2026, 12, 20))
    assert checks(result)["membership_age"] is False
    assert "1 were paid" in {c.code: c.message for c in result.checks}["membership_age"]


@pytest.mark.parametrize(("heir", "others", "ok"), [
    ("spouse", [], True),
    ("child", ["spouse"], True),                   # same class
    ("parent", ["child"], False),
    ("parent", ["grandparent", "sibling"], True),
    ("parent", ["grandchild"], True),             # the direct line: parents, then grandchildren, then grandparents
    ("grandchild", ["parent"], False),
    ("grandchild", ["grandparent"], True),
    ("grandparent", ["grandchild"], False),
    ("grandparent", ["sibling"], True),
    ("sibling", ["grandparent"], False),
    ("sibling", ["parent_in_law"], True),
    ("parent_in_law", ["sibling"], False),
    ("parent_in_law", ["will"], True),
    ("will", ["parent_in_law"], False),
    ("will", ["sibling_in_law", "child_in_law"], True),  # in-laws other than parents are no heirs: nobody first
    ("sibling_in_law", ["will"], False),           # not an heir at all
    ("child_in_law", [], False),
    ("will", [], True),
])
def test_heir_order(member, heir, others, ok):
    result = claim_eligibility(member=member, claim_type=ClaimType.JKK_DEATH, event_date=dt.date(2026, 4, 10),
                               heir=heir, other_heirs=others)
    assert checks(result)["heir_order"] is ok


def test_the_refusal_names_who_comes_first(member):
    result = claim_eligibility(member=member, claim_type=ClaimType.JHT_DEATH, event_date=dt.date(2026, 4, 10),
                               heir="sibling", other_heirs=["parent", "grandchild", "will"])
    assert result.failed[0].message == "Brother or sister may not claim: Parent come first."
    result = claim_eligibility(member=member, claim_type=ClaimType.JHT_DEATH, event_date=dt.date(2026, 4, 10),
                               heir="child_in_law")
    assert result.failed[0].message == "Son- or daughter-in-law (not an heir): not an heir under the rules."


def test_a_death_claim_needs_the_heir(member):
    result = claim_eligibility(member=member, claim_type=ClaimType.JKM_DEATH, event_date=dt.date(2026, 4, 10))
    assert checks(result)["heir_order"] is False


@pytest.mark.parametrize("claim_type", [ClaimType.JKM_DEATH, ClaimType.JKK_DEATH])
def test_one_death_benefit_per_member(member, claim_type):
    result = claim_eligibility(member=member, claim_type=claim_type, event_date=dt.date(2026, 4, 10), heir="child",
                               already_paid_death=True)
    assert [c.code for c in result.failed] == ["one_death_benefit"]


def test_indonesian_reasons_by_default(member):
    from django.utils import translation

    with translation.override("id"):
        result = claim_eligibility(member=member, claim_type=ClaimType.JHT_LEAVING, event_date=dt.date(2026, 9, 1))
    assert "JHT" in result.checks[0].message and "held since" not in result.checks[0].message
