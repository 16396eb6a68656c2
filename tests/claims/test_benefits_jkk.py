"""The JKK benefits staff used to type in, calculated from what the documents say (PP 44/2015 as amended by PP
82/2019): disability from the table, temporary incapacity per period, the costs of care with their caps."""

import datetime as dt
from decimal import Decimal

import pytest

from claims.benefits import BenefitError
from claims.benefits_jkk import jkk_costs, jkk_disability, jkk_incapacity, months_later
from claims.models import BenefitRule, DisabilityRate, RuleKind
from tests.claims.claim_helpers import paid_member

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
ACCIDENT = dt.date(2026, 3, 10)


@pytest.fixture
def member():
    return paid_member(months=12, income=2_500_000)  # every month of 2026 billed on Rp2,500,000


# --- disability: table % × 80 × income; functional × the share lost; total 56 × income + Rp12 M ------------------


@pytest.mark.parametrize(("assessment", "amounts"), [
    ({"disability": "total"}, [56 * 2_500_000, 12_000_000]),
    ({"disability": "partial", "parts": [{"code": "lengan-kanan-siku"}]}, [Decimal("0.35") * 80 * 2_500_000]),
    ({"disability": "partial", "parts": [{"code": "ibu-jari-tangan-kiri"}, {"code": "telunjuk-kiri"}]},
     [Decimal("0.12") * 80 * 2_500_000, Decimal("0.07") * 80 * 2_500_000]),
    ({"disability": "partial", "parts": [{"code": "ruas-jari-lain-kiri"}]}, [Decimal("0.015") * 80 * 2_500_000]),
    ({"disability": "functional", "parts": [{"code": "lengan-kanan-bahu", "lost_percent": 50}]},
     [Decimal("0.5") * Decimal("0.40") * 80 * 2_500_000]),
    # Both legs (70 %) and both eyes (70 %) would be 140 %: capped at what total permanent disability pays (56×).
    ({"disability": "partial", "parts": [{"code": "kedua-kaki-paha"}, {"code": "kedua-mata"}]}, [56 * 2_500_000]),
])
def test_disability_follows_the_table_and_the_formula(member, assessment, amounts):
    benefit = jkk_disability(member=member, event_date=ACCIDENT, assessment=assessment)
    assert [line.amount_idr for line in benefit.lines] == [int(a) for a in amounts]


def test_a_provisional_table_row_says_so_and_the_line_names_its_basis(member):
    benefit = jkk_disability(member=member, event_date=ACCIDENT,
                             assessment={"disability": "partial", "parts": [{"code": "satu-mata"}]})
    assert str(benefit.lines[0].text) == ("Sebelah mata atau diplopia pada penglihatan dekat: 35 % × 80 × declared "
                                          "monthly income Rp2,500,000")
    assert "PP 44/2015" in benefit.lines[0].rule
    assert "provisional" in str(benefit.notes[0])


def test_the_table_row_in_force_on_the_accident_date_applies(member):
    DisabilityRate.objects.create(code="satu-mata", label="Sebelah mata", percent=Decimal("40"),
                                  effective_from=dt.date(2026, 4, 1), source="checked")
    before = jkk_disability(member=member, event_date=ACCIDENT,
                            assessment={"disability": "partial", "parts": [{"code": "satu-mata"}]})
    after = jkk_disability(member=member, event_date=dt.date(2026, 4, 2),
                           assessment={"disability": "partial", "parts": [{"code": "satu-mata"}]})
    assert (before.total_idr, after.total_idr) == (70_000_000, 80_000_000)
    assert after.notes == ()  # the checked row is not provisional


@pytest.mark.parametrize("assessment", [
    {}, {"disability": "partial"}, {"disability": "partial", "parts": [{"code": "sayap"}]},
    {"disability": "functional", "parts": [{"code": "satu-mata"}]},
    {"disability": "functional", "parts": [{"code": "satu-mata", "lost_percent": 101}]},
    {"disability": "partial", "parts": [{"code": "satu-mata"}, {"code": "satu-mata"}]},
])
def test_an_incomplete_disability_assessment_is_refused(member, assessment):
    with pytest.raises(BenefitError):
        jkk_disability(member=member, event_date=ACCIDENT, assessment=assessment)


# --- temporary incapacity: 100 % for months 1-12 from the accident, then 50 %, a month's income per 30 days ----


@pytest.mark.parametrize(("periods", "amounts"), [
    ([("2026-03-10", "2026-04-08")], [2_500_000]),  # 30 days at 100 %
    ([("2026-03-10", "2026-03-24")], [1_250_000]),  # 15 days
    # Month 13 starts on 10 March 2027: 9 days at 100 % then 21 days at 50 %.
    ([("2027-03-01", "2027-03-30")], [750_000, 875_000]),
    ([("2027-06-01", "2027-06-30")], [1_250_000]),  # all at 50 %
    ([("2026-03-10", "2026-03-19"), ("2026-05-01", "2026-05-10")], [833_333, 833_333]),
])
def test_incapacity_pays_per_day_of_the_doctors_periods(member, periods, amounts):
    assessment = {"periods": [{"start": a, "end": b} for a, b in periods]}
    benefit = jkk_incapacity(member=member, event_date=ACCIDENT, assessment=assessment, today=dt.date(2030, 6, 15))
    assert [line.amount_idr for line in benefit.lines] == amounts


def test_a_later_period_is_a_new_claim_that_may_not_overlap_an_earlier_one(member):
    earlier = [{"periods": [{"start": "2026-03-10", "end": "2026-04-30"}]}]
    ok = jkk_incapacity(member=member, event_date=ACCIDENT, earlier=earlier, today=dt.date(2030, 6, 15),
                        assessment={"periods": [{"start": "2026-05-01", "end": "2026-05-30"}]})
    assert ok.total_idr == 2_500_000
    with pytest.raises(BenefitError, match="overlaps a period another claim"):
        jkk_incapacity(member=member, event_date=ACCIDENT, earlier=earlier, today=dt.date(2030, 6, 15),
                       assessment={"periods": [{"start": "2026-04-30", "end": "2026-05-30"}]})


@pytest.mark.parametrize("periods", [
    [], [{"start": "2026-03-01", "end": "2026-03-20"}],  # before the accident
    [{"start": "2026-04-10", "end": "2026-04-01"}],  # ends before it starts
    [{"start": "2026-04-01", "end": "2026-04-30"}, {"start": "2026-04-20", "end": "2026-05-10"}],  # overlap
    [{"start": "2030-06-01", "end": "2030-07-01"}],  # not over yet
    [{"start": "2026-04-01"}],
])
def test_a_wrong_period_is_refused(member, periods):
    with pytest.raises(BenefitError):
        jkk_incapacity(member=member, event_date=ACCIDENT, assessment={"periods": periods}, today=dt.date(2030, 6, 15))


@pytest.mark.parametrize(("day", "months", "later"), [
    (dt.date(2026, 3, 10), 12, dt.date(2027, 3, 10)), (dt.date(2024, 2, 29), 12, dt.date(2025, 2, 28)),
    (dt.date(2026, 1, 31), 1, dt.date(2026, 2, 28)),
])
def test_months_later_keeps_the_day_or_takes_the_months_last(day, months, later):
    assert months_later(day, months) == later


def test_the_rates_and_months_are_data(member):
    BenefitRule.objects.create(kind=RuleKind.JKK_STMB_FULL_MONTHS, effective_from=dt.date(2026, 1, 1), quantity=6)
    benefit = jkk_incapacity(member=member, event_date=ACCIDENT, today=dt.date(2030, 6, 15),
                             assessment={"periods": [{"start": "2026-10-01", "end": "2026-10-30"}]})
    assert benefit.total_idr == 1_250_000  # from 10 September 2026 at 50 %


# --- costs: medical with no ceiling, transport and home care capped per accident, orthoses + 40 % ------------------


def cost(kind, amount, **extra):
    return {"kind": kind, "amount_idr": amount, **extra}


@pytest.mark.parametrize(("costs", "amounts"), [
    ([cost("medical", 80_000_000), cost("medical", 45_500_000)], [125_500_000]),  # no ceiling
    ([cost("transport_land", 3_000_000), cost("transport_land", 2_500_000)], [5_000_000]),
    ([cost("transport_sea", 1_500_000)], [1_500_000]),
    ([cost("transport_sea", 2_500_000), cost("transport_air", 12_000_000)], [2_000_000, 10_000_000]),
    ([cost("home_care", 15_000_000, year=2026), cost("home_care", 8_000_000, year=2026),
      cost("home_care", 8_000_000, year=2027)], [20_000_000, 8_000_000]),
    ([cost("orthosis", 10_000_000)], [14_000_000]),
])
def test_costs_follow_their_caps(member, costs, amounts):
    benefit = jkk_costs(member=member, event_date=ACCIDENT, assessment={"costs": costs})
    assert [line.amount_idr for line in benefit.lines] == amounts


def test_the_caps_count_what_another_claim_for_the_accident_paid(member):
    earlier = [{"costs": [cost("transport_land", 4_000_000), cost("home_care", 19_000_000, year=2026)]}]
    benefit = jkk_costs(member=member, event_date=ACCIDENT, earlier=earlier, assessment={"costs": [
        cost("transport_land", 3_000_000), cost("home_care", 5_000_000, year=2026), cost("medical", 1_000)]})
    assert [line.amount_idr for line in benefit.lines] == [1_000, 1_000_000, 1_000_000]
    assert [str(n) for n in benefit.notes] == [
        "Invoices of Rp3,000,000: Rp1,000,000 paid, the cap is Rp5,000,000.",
        "Invoices of Rp5,000,000: Rp1,000,000 paid, the cap is Rp20,000,000."]


@pytest.mark.parametrize("costs", [[], [cost("massage", 1)], [cost("medical", 0)], [cost("home_care", 1)],
                                   [cost("medical", "12")]])
def test_wrong_invoices_are_refused(member, costs):
    with pytest.raises(BenefitError):
        jkk_costs(member=member, event_date=ACCIDENT, assessment={"costs": costs})
