"""Benefit tables from DOMAIN.md to the rupiah, and the boundaries around them."""

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from claims.benefits import (
    Benefit,
    BenefitError,
    Child,
    SchoolYears,
    jht_balance,
    jkk_death,
    jkm_death,
    refund_after_event,
    scholarship_claim,
    scholarship_plan,
    scholarship_rules,
    school_year_of,
)
from claims.models import BenefitRule, JhtReturnRate, ScholarshipLevel
from claims.selectors import ReferenceDataMissing, paid_months_before
from tests.contributions.helpers import bills_mark_paid, member_make

pytestmark = pytest.mark.django_db
EVENT = dt.date(2026, 6, 10)


def at(day: str) -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T10:00:00+07:00")


# JKM death: membership starts on the first day of the first paid month (here 1 January 2026), and "the first
# 3 months" are January to March: day 1 is 1 January, day 90 is 31 March, day 91 is 1 April.

@pytest.fixture
def jkm_member():
    member = member_make(billing_start=dt.date(2026, 1, 1))
    bills_mark_paid(member, "2026-01", "2026-02", "2026-03", "2026-04", paid_at=at("2026-01-05"))
    return member


def test_jkm_full_benefit_is_42_million_in_three_parts(jkm_member):
    benefit = jkm_death(member=jkm_member, event_date=EVENT)
    assert [line.amount_idr for line in benefit.lines] == [20_000_000, 12_000_000, 10_000_000]
    assert benefit.total_idr == 42_000_000
    assert all("PP 82/2019" in line.rule for line in benefit.lines)


@pytest.mark.parametrize(("day", "total"), [
    (dt.date(2026, 1, 1), 10_000_000),   # day 1
    (dt.date(2026, 3, 30), 10_000_000),  # day 89
    (dt.date(2026, 3, 31), 10_000_000),  # day 90: the last day of the third month
    (dt.date(2026, 4, 1), 42_000_000),   # day 91
])
def test_death_in_the_first_3_months_pays_10_million_only(jkm_member, day, total):
    benefit = jkm_death(member=jkm_member, event_date=day)
    assert benefit.total_idr == total
    assert len(benefit.lines) == (1 if total == 10_000_000 else 3)


def test_membership_counts_from_the_first_paid_month_not_the_billing_start():
    member = member_make(billing_start=dt.date(2026, 1, 1))
    bills_mark_paid(member, "2026-02", "2026-03", "2026-04", "2026-05", paid_at=at("2026-02-03"))
    assert jkm_death(member=member, event_date=dt.date(2026, 4, 30)).total_idr == 10_000_000
    assert jkm_death(member=member, event_date=dt.date(2026, 5, 1)).total_idr == 42_000_000


def test_the_early_death_period_is_data(jkm_member):
    BenefitRule.objects.create(kind="jkm_early_months", effective_from=dt.date(2026, 1, 1), quantity=4)
    assert jkm_death(member=jkm_member, event_date=dt.date(2026, 4, 1)).total_idr == 10_000_000


# JKK death (PP 82/2019): 48 × the declared monthly income (never less than the JKM lump sum), plus Rp12 M periodic
# benefit paid at once, plus Rp10 M funeral costs.

@pytest.mark.parametrize(("income", "multiple_part", "total"), [
    (1_000_000, 48_000_000, 70_000_000),     # the lowest base: Rp70 M, not Rp48 M
    (2_500_000, 120_000_000, 142_000_000),
    (20_700_000, 993_600_000, 1_015_600_000),  # the highest base
])
def test_jkk_death_is_48_times_the_income_plus_periodic_and_funeral(english, income, multiple_part, total):
    member = member_make(income=income)
    bills_mark_paid(member, "2026-06", paid_at=at("2026-06-01"))
    benefit = jkk_death(member=member, event_date=EVENT)
    assert [line.amount_idr for line in benefit.lines] == [multiple_part, 12_000_000, 10_000_000]
    assert benefit.total_idr == total and not benefit.notes
    assert all("PP 82/2019" in line.rule for line in benefit.lines)


def test_jkk_death_uses_the_income_declared_for_the_event_month(english):
    member = member_make(income=2_500_000)
    bills_mark_paid(member, "2026-06", paid_at=at("2026-06-01"))
    member.income_base_idr = 5_000_000  # a later change of base does not reach back to the event
    member.save(update_fields=["income_base_idr"])
    benefit = jkk_death(member=member, event_date=EVENT)
    assert benefit.lines[0].label == "48 × declared monthly income Rp2,500,000"
    assert benefit.total_idr == 48 * 2_500_000 + 22_000_000


def test_jkk_death_is_never_less_than_the_jkm_lump_sum(english):
    member = member_make(income=1_000_000)
    BenefitRule.objects.create(kind="jkk_death_multiple", effective_from=dt.date(2026, 6, 1),
                               multiple=Decimal("10"))
    benefit = jkk_death(member=member, event_date=EVENT)
    assert [line.amount_idr for line in benefit.lines] == [20_000_000, 12_000_000, 10_000_000]
    assert "JKM lump sum" in benefit.lines[0].label and "Rp10,000,000" in benefit.lines[0].label


def test_jkk_death_multiple_is_data_and_an_unbilled_month_uses_the_current_base():
    member = member_make(income=2_500_000)
    BenefitRule.objects.create(kind="jkk_death_multiple", effective_from=dt.date(2026, 6, 1),
                               multiple=Decimal("56"))
    assert jkk_death(member=member, event_date=EVENT).total_idr == 140_000_000 + 22_000_000
    assert jkk_death(member=member, event_date=dt.date(2026, 5, 31)).total_idr == 120_000_000 + 22_000_000


# Membership age is the contribution period: paid months, not the time since the first payment.

def test_a_lapse_does_not_count_as_membership():
    """Paid December 2023, lapsed 32 months, paid December 2026: one month paid before a death in December 2026."""
    member = member_make(billing_start=dt.date(2023, 12, 1))
    bills_mark_paid(member, "2023-12", paid_at=at("2023-12-05"))
    bills_mark_paid(member, "2026-12", paid_at=at("2026-12-02"))
    assert paid_months_before(member=member, event_date=dt.date(2026, 12, 20)) == 1
    assert jkm_death(member=member, event_date=dt.date(2026, 12, 20)).total_idr == 10_000_000


def test_months_paid_after_the_death_do_not_count():
    member = member_make(billing_start=dt.date(2026, 1, 1))
    bills_mark_paid(member, "2026-01", "2026-02", paid_at=at("2026-01-05"))
    bills_mark_paid(member, "2026-03", paid_at=at("2026-04-03"))  # arrears paid after the death
    assert paid_months_before(member=member, event_date=dt.date(2026, 4, 2)) == 2
    assert jkm_death(member=member, event_date=dt.date(2026, 4, 2)).total_idr == 10_000_000
    assert paid_months_before(member=member, event_date=dt.date(2026, 4, 3)) == 3


def test_a_reactivation_restarts_the_count_only_when_the_dated_setting_says_so():
    member = member_make(billing_start=dt.date(2023, 1, 1))
    bills_mark_paid(member, "2023-01", "2023-02", "2023-03", "2023-04", paid_at=at("2023-01-05"))
    member.billing_start = dt.date(2026, 5, 1)  # reactivated in May 2026
    member.save(update_fields=["billing_start"])
    bills_mark_paid(member, "2026-05", paid_at=at("2026-05-02"))
    assert paid_months_before(member=member, event_date=EVENT) == 5
    BenefitRule.objects.create(kind="paid_months_restart", effective_from=dt.date(2026, 6, 1), flag=True)
    assert paid_months_before(member=member, event_date=EVENT) == 1
    assert paid_months_before(member=member, event_date=dt.date(2026, 5, 31)) == 4  # before the setting's date


# Scholarships: kindergarten/primary Rp1.5 M × 8, junior high Rp2 M × 3, senior high Rp3 M × 3,
# university Rp12 M × 5 = Rp87 M per child, at most 2 children, at most Rp174 M.

SCHOOL_DAY = dt.date(2026, 8, 1)  # in the school year 2026/2027


def scholarships(*, children, today=SCHOOL_DAY, taken=0, paid=0):
    """The claim's whole plan: this school year's lines (paid with the claim) then the later ones, and the notes
    (without the note that later years are paid one at a time)."""
    claim = scholarship_claim(children=children, rules=scholarship_rules(event_date=EVENT), today=today,
                              children_taken=taken, paid_idr=paid)
    notes = tuple(n for n in claim.now.notes if n.code != "scholarship_yearly")
    return Benefit(lines=claim.now.lines + claim.later, notes=notes), claim


def test_one_child_from_kindergarten_gets_87_million_over_19_school_years():
    benefit, claim = scholarships(children=[Child("Ani", "primary")])
    assert benefit.total_idr == 87_000_000 == 8 * 1_500_000 + 3 * 2_000_000 + 3 * 3_000_000 + 5 * 12_000_000
    assert [line.year for line in benefit.lines] == list(range(2026, 2045))
    assert [line.amount_idr for line in benefit.lines] == [1_500_000] * 8 + [2_000_000] * 3 + [3_000_000] * 3 + [
        12_000_000] * 5
    assert benefit.notes == ()


def test_only_this_school_year_is_paid_with_the_claim():
    _benefit, claim = scholarships(children=[Child("Ani", "primary"), Child("Budi", "university", 2)])
    assert [(line.child, line.year, line.amount_idr) for line in claim.now.lines] == [
        ("Ani", 2026, 1_500_000), ("Budi", 2026, 12_000_000)]
    assert claim.now.total_idr == 13_500_000 and claim.school_year == 2026
    assert min(line.year for line in claim.later) == 2027
    assert "scholarship_yearly" in [n.code for n in claim.now.notes]


@pytest.mark.parametrize(("day", "start_month", "school_year"), [
    (dt.date(2027, 6, 30), 7, 2026), (dt.date(2027, 7, 1), 7, 2027), (dt.date(2027, 1, 1), 1, 2027),
    (dt.date(2026, 12, 31), 7, 2026),
])
def test_a_school_year_is_named_by_the_year_it_starts(day, start_month, school_year):
    assert school_year_of(day, start_month) == school_year


@pytest.mark.parametrize(("level", "year", "total", "rows"), [
    ("primary", 8, 1_500_000 + 6_000_000 + 9_000_000 + 60_000_000, 12),
    ("junior_high", 1, 6_000_000 + 9_000_000 + 60_000_000, 11),
    ("senior_high", 3, 3_000_000 + 60_000_000, 6),
    ("university", 1, 60_000_000, 5),
    ("university", 5, 12_000_000, 1),
])
def test_a_child_is_paid_from_its_level_and_year_on(level, year, total, rows):
    benefit, _claim = scholarships(children=[Child("Ani", level, year)])
    assert (benefit.total_idr, len(benefit.lines)) == (total, rows)


@pytest.mark.parametrize(("birth", "years_paid"), [
    (dt.date(2010, 7, 2), 5),  # 15 on 1 July 2026 ... 19 on 1 July 2030: all five university years
    (dt.date(2007, 7, 2), 5),  # 22 on 1 July 2030, 23 the next day: 2030/2031 started while 22, so it is paid
    (dt.date(2007, 7, 1), 4),  # 23 on 1 July 2030, the first day of 2030/2031: not paid
    (dt.date(2003, 7, 1), 0),  # 23 on 1 July 2026: nothing
])
def test_no_school_year_starts_once_the_child_is_23(english, birth, years_paid):
    benefit, _claim = scholarships(children=[Child("Ani", "university", 1, birth)])
    assert len(benefit.lines) == years_paid
    limit = "Ani reaches the age limit of 23: no later school years."
    assert (limit in map(str, benefit.notes)) == (years_paid < 5)


def test_a_child_not_at_school_yet_is_paid_from_the_year_it_starts(english):
    benefit, claim = scholarships(children=[Child("Ani", "university"), Child("Budi", "")])
    assert {line.child for line in benefit.lines} == {"Ani"}
    assert claim.accepted == (0, 1)
    assert ("Budi is not at school yet: paid from the school year they start, on a school certificate."
            in map(str, benefit.notes))


def test_two_children_from_kindergarten_reach_exactly_174_million():
    benefit, _claim = scholarships(children=[Child("Ani", "primary"), Child("Budi", "primary")])
    assert benefit.total_idr == 174_000_000 and benefit.notes == ()


def test_two_children_at_university_get_120_million():
    benefit, _claim = scholarships(children=[Child("Ani", "university"), Child("Budi", "university")])
    assert benefit.total_idr == 120_000_000
    assert [(line.year, line.child) for line in benefit.lines[:2]] == [(2026, "Ani"), (2026, "Budi")]


def test_a_third_child_is_refused(english):
    children = [Child("Ani", "university"), Child("Budi", "university"), Child("Citra", "university")]
    benefit, claim = scholarships(children=children)
    assert benefit.total_idr == 120_000_000
    assert {line.child for line in benefit.lines} == {"Ani", "Budi"} and claim.accepted == (0, 1)
    assert tuple(map(str, benefit.notes)) == ("Citra: refused, scholarships are paid for 2 children at most.",)


def test_children_and_rupiah_other_claims_hold_count_against_the_limits(english):
    benefit, claim = scholarships(children=[Child("Ani", "university"), Child("Budi", "university")], taken=1,
                                  paid=150_000_000)
    assert claim.accepted == (0,)
    assert benefit.total_idr == 24_000_000  # 174 M less the 150 M the other claim holds
    assert "Budi: refused, scholarships are paid for 2 children at most." in map(str, benefit.notes)


def test_the_174_million_cap_cuts_the_row_that_reaches_it(english):
    # Suppose university becomes Rp16 M a year: two children from kindergarten would get 2 × 107 M = 214 M.
    ScholarshipLevel.objects.create(level="university", effective_from=dt.date(2026, 1, 1), position=4,
                                    yearly_idr=16_000_000, years=5)
    benefit, _claim = scholarships(children=[Child("Ani", "primary"), Child("Budi", "primary")])
    assert benefit.total_idr == 174_000_000
    # 54 M by the end of high school (2039), then 32 M a year: 86, 118, 150 M; in 2043 Ani's 16 M makes 166 M
    # and Budi's row is cut to 8 M; 2044 is not paid.
    last = benefit.lines[-1]
    assert (last.year, last.child, last.amount_idr) == (2043, "Budi", 8_000_000)
    assert max(line.year for line in benefit.lines) == 2043
    assert tuple(map(str, benefit.notes)) == ("Capped at the scholarship total of Rp174,000,000.",)


def test_a_year_outside_the_level_is_an_error():
    with pytest.raises(BenefitError):
        scholarships(children=[Child("Ani", "junior_high", 4)])
    with pytest.raises(BenefitError):
        scholarships(children=[Child("Ani", "nursery")])


LEVELS = st.lists(st.tuples(st.integers(1, 30_000_000), st.integers(1, 9)), min_size=4, max_size=4)


@settings(max_examples=150, deadline=None)
@given(levels=LEVELS, cap=st.integers(0, 400_000_000), max_children=st.integers(1, 3),
       picks=st.lists(st.tuples(st.integers(0, 3), st.integers(1, 9)), max_size=5))
def test_scholarship_total_never_exceeds_the_cap_and_the_lines_add_up(levels, cap, max_children, picks):
    rows = [ScholarshipLevel(level=code, position=i, yearly_idr=yearly, years=years)
            for i, (code, (yearly, years)) in enumerate(zip(("primary", "junior_high", "senior_high", "university"),
                                                             levels, strict=True))]
    children = [Child(f"C{i}", rows[level].level, min(year, rows[level].years)) for i, (level, year) in
                enumerate(picks)]
    lines, notes = scholarship_plan(children=children[:max_children], levels=rows, from_year=2026,
                                    years=SchoolYears(start_month=7, end_age=99), cap_left_idr=cap, cap_source="cap")
    notes += [n for n in children[max_children:]]  # refused, as scholarship_claim says in its notes
    benefit = Benefit(lines=tuple(lines), notes=tuple(notes))
    uncapped = 0
    for level, year in picks[:max_children]:
        skipped = min(year, rows[level].years) - 1
        uncapped += sum(r.yearly_idr * r.years for r in rows[level:]) - rows[level].yearly_idr * skipped
    assert benefit.total_idr == sum(line.amount_idr for line in benefit.lines) == min(uncapped, cap)
    assert benefit.total_idr <= cap
    assert all(line.amount_idr > 0 for line in benefit.lines)
    assert len({line.child for line in benefit.lines}) <= max_children
    assert len(benefit.notes) >= max(0, len(picks) - max_children)


# JHT: contributions paid for months up to the event plus yearly returns (docs/claims.md: the convention).

@pytest.fixture
def jht_member():
    member = member_make(income=1_000_000, jht=True)  # JHT 2 % = Rp20,000 a month, never discounted
    months_2026 = [f"2026-{m:02d}" for m in range(1, 13)]
    bills_mark_paid(member, *months_2026, paid_at=at("2026-01-05"))
    bills_mark_paid(member, "2027-01", "2027-02", "2027-03", "2027-04", "2027-05", paid_at=at("2027-01-05"))
    JhtReturnRate.objects.create(year=2026, percent=Decimal("6.00"), source="test 2026")
    JhtReturnRate.objects.create(year=2027, percent=Decimal("5.00"), provisional=True)
    return member


def test_jht_balance_with_two_years_of_returns(jht_member, english):
    benefit = jht_balance(member=jht_member, event_date=dt.date(2027, 3, 20))
    # 2026: each Rp20,000 earns 6 % × (13 - month) / 12: 20,000 × 0.06 / 12 × (12 + 11 + ... + 1 = 78) = 7,800.
    # 2027 to the end of March at 5 %: the opening 247,800 earns 247,800 × 0.05 × 3/12 = 3,097.5; January,
    # February and March earn 20,000 × 0.05 / 12 × (3 + 2 + 1) = 500. Returns 11,397.5, rounded once: 11,398.
    assert [(line.year, line.amount_idr) for line in benefit.lines] == [
        (None, 15 * 20_000), (2026, 7_800), (2027, 11_398 - 7_800)]
    assert benefit.total_idr == 300_000 + 11_398 == 311_398
    assert benefit.lines[0].label == "JHT contributions paid (15 months)"
    assert tuple(map(str, benefit.notes)) == ("Provisional return rates: 2027.",)


def test_jht_money_paid_late_earns_from_the_month_it_was_paid():
    member = member_make(income=1_000_000, jht=True)
    bills_mark_paid(member, "2026-01", paid_at=at("2026-07-02"))
    JhtReturnRate.objects.create(year=2026, percent=Decimal("6.00"))
    # July to December: 20,000 × 0.06 × 6/12 = 600.
    assert jht_balance(member=member, event_date=dt.date(2026, 12, 31)).total_idr == 20_600


def test_jht_needs_the_rate_of_every_year():
    member = member_make(income=1_000_000, jht=True)
    bills_mark_paid(member, "2026-01", paid_at=at("2026-01-02"))
    with pytest.raises(ReferenceDataMissing, match="2026"):
        jht_balance(member=member, event_date=dt.date(2026, 3, 1))


def test_jht_without_contributions_is_zero():
    member = member_make(jht=False)
    bills_mark_paid(member, "2026-01", paid_at=at("2026-01-02"))
    assert jht_balance(member=member, event_date=dt.date(2026, 3, 1)).total_idr == 0


def test_months_paid_after_the_event_are_refunded_in_full(jht_member, english):
    refund = refund_after_event(member=jht_member, event_date=dt.date(2027, 3, 20))
    # April and May 2027: Rp10,000 JKK + Rp6,800 JKM + Rp20,000 JHT, no discount left for transport after
    # March 2027.
    assert [(line.label, line.amount_idr) for line in refund.lines] == [
        ("Refund of contributions for 2027-04", 36_800), ("Refund of contributions for 2027-05", 36_800)]
    assert refund.total_idr == 73_600
    assert refund_after_event(member=jht_member, event_date=dt.date(2027, 5, 1)).total_idr == 0
