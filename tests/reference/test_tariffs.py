import datetime as dt
from decimal import Decimal

import pytest
from django.utils import translation

from contributions.models import Bill
from contributions.services.billing import bill_generate_for_period
from reference.models import Discount, IncomeBase, TariffRate
from reference.seed import INCOME_BASES
from reference.tariffs import TariffError, income_bases, tariff_quote
from tests.contributions.helpers import member_make

pytestmark = pytest.mark.usefixtures("reference_data")

ALL = ["JKK", "JKM", "JHT"]


def _lines(quote):
    return {line.program: (line.gross_idr, line.discount_idr, line.amount_idr) for line in quote.lines}


def test_income_bases_are_the_seeded_table():
    bases = income_bases()
    assert bases == [amount for amount, _ in INCOME_BASES]
    assert bases[0] == 1_000_000 and bases[-1] == 20_700_000


def test_lowest_base_all_programs_before_discounts():
    quote = tariff_quote(income_idr=1_000_000, programs=ALL, month=dt.date(2025, 12, 1), sector="transport")
    assert _lines(quote) == {"JKK": (10_000, 0, 10_000), "JKM": (6_800, 0, 6_800), "JHT": (20_000, 0, 20_000)}
    assert [line.program for line in quote.lines] == ["JKK", "JKM", "JHT"]
    assert (quote.gross_idr, quote.discount_idr, quote.total_idr) == (36_800, 0, 36_800)


@pytest.mark.parametrize("programs", [["JKK", "JKM"], [], ["JKM"], ("JKK",)])
def test_jkk_and_jkm_are_always_included(programs):
    quote = tariff_quote(income_idr=1_000_000, programs=programs, month=dt.date(2025, 12, 1), sector="trade")
    assert [line.program for line in quote.lines] == ["JKK", "JKM"]
    assert quote.total_idr == 16_800


def test_highest_base_all_programs_before_discounts():
    quote = tariff_quote(income_idr=20_700_000, programs=ALL, month=dt.date(2025, 12, 1), sector="trade")
    assert _lines(quote) == {"JKK": (207_000, 0, 207_000), "JKM": (6_800, 0, 6_800), "JHT": (414_000, 0, 414_000)}
    assert quote.total_idr == 627_800
    jkk_jkm = tariff_quote(income_idr=20_700_000, programs=["JKK", "JKM"], month=dt.date(2025, 12, 1), sector="trade")
    assert jkk_jkm.total_idr == 213_800


@pytest.mark.parametrize("sector", ["transport", "trade", "agriculture", "household"])
def test_pp_50_2025_december_2026(sector):
    quote = tariff_quote(income_idr=1_000_000, programs=ALL, month=dt.date(2026, 12, 1), sector=sector, funding="self")
    assert _lines(quote) == {"JKK": (10_000, 5_000, 5_000), "JKM": (6_800, 3_400, 3_400), "JHT": (20_000, 0, 20_000)}
    assert (quote.gross_idr, quote.discount_idr, quote.total_idr) == (36_800, 8_400, 28_400)
    assert all(line.discount_name.startswith("PP 50/2025") for line in quote.lines if line.program != "JHT")


@pytest.mark.parametrize(
    "sector, month, discounted",
    [
        ("transport", dt.date(2025, 12, 1), False),
        ("transport", dt.date(2026, 1, 1), True),  # transport: January 2026 ...
        ("transport", dt.date(2026, 3, 1), True),
        ("transport", dt.date(2027, 2, 1), True),
        ("transport", dt.date(2027, 3, 1), True),  # ... to March 2027
        ("transport", dt.date(2027, 4, 1), False),
        ("trade", dt.date(2026, 3, 1), False),
        ("trade", dt.date(2026, 4, 1), True),  # other sectors: April ...
        ("trade", dt.date(2026, 12, 1), True),  # ... to December 2026
        ("trade", dt.date(2027, 1, 1), False),
        ("trade", dt.date(2027, 2, 1), False),
        ("services", dt.date(2026, 7, 1), True),
        ("other", dt.date(2026, 4, 1), True),
    ],
)
def test_discount_windows(sector, month, discounted):
    quote = tariff_quote(income_idr=1_000_000, programs=ALL, month=month, sector=sector)
    assert quote.total_idr == (28_400 if discounted else 36_800)


def test_any_day_of_the_month_prices_that_month():
    quote = tariff_quote(income_idr=1_000_000, programs=ALL, month=dt.date(2026, 12, 31), sector="trade")
    assert quote.month == dt.date(2026, 12, 1)
    assert quote.total_idr == 28_400


@pytest.mark.parametrize("funding", ["apbd", "apbn"])
@pytest.mark.parametrize("month", [dt.date(2026, 2, 1), dt.date(2026, 12, 1), dt.date(2027, 3, 1)])
def test_budget_funded_members_are_never_discounted(funding, month):
    quote = tariff_quote(income_idr=1_000_000, programs=ALL, month=month, sector="transport", funding=funding)
    assert quote.discount_idr == 0
    assert quote.total_idr == 36_800


def test_donor_funded_members_are_discounted():
    quote = tariff_quote(income_idr=1_000_000, programs=ALL, month=dt.date(2026, 12, 1), sector="household",
                         funding="donor")
    assert quote.total_idr == 28_400


@pytest.mark.parametrize("income", [1_000_000, 5_000_000, 20_700_000])
@pytest.mark.parametrize("sector", ["transport", "trade", "fisheries"])
@pytest.mark.parametrize("month", [dt.date(2026, 1, 1), dt.date(2026, 6, 1), dt.date(2026, 12, 1)])
def test_jht_is_never_discounted(income, sector, month):
    quote = tariff_quote(income_idr=income, programs=ALL, month=month, sector=sector)
    jht = next(line for line in quote.lines if line.program == "JHT")
    assert jht.discount_idr == 0
    assert jht.amount_idr == income * 2 // 100


def test_discounted_highest_base():
    quote = tariff_quote(income_idr=20_700_000, programs=ALL, month=dt.date(2026, 6, 1), sector="transport")
    assert _lines(quote) == {
        "JKK": (207_000, 103_500, 103_500), "JKM": (6_800, 3_400, 3_400), "JHT": (414_000, 0, 414_000),
    }
    assert quote.total_idr == 520_900


@pytest.mark.parametrize("income", [999_999, 1_234_567, 25_000_000, 0])
def test_unknown_income_base_raises(income):
    with pytest.raises(TariffError):
        tariff_quote(income_idr=income, programs=ALL, month=dt.date(2025, 12, 1))


def test_retired_income_base_cannot_be_chosen_but_still_prices_existing_members():
    IncomeBase.objects.filter(amount_idr=1_500_000).update(active=False)
    assert 1_500_000 not in income_bases()
    # Members who chose it before keep being billed on it.
    assert tariff_quote(income_idr=1_500_000, programs=ALL, month=dt.date(2025, 12, 1)).total_idr == 51_800
    IncomeBase.objects.filter(amount_idr=1_000_000).update(effective_to=dt.date(2026, 6, 30))
    assert 1_000_000 in income_bases(dt.date(2026, 6, 30))
    assert 1_000_000 not in income_bases(dt.date(2026, 7, 1))


def test_tariff_errors_speak_the_readers_language():
    with translation.override("id"), pytest.raises(TariffError, match=r"^Belum ada tarif JKK untuk 2010-01\.$"):
        tariff_quote(income_idr=1_000_000, programs=ALL, month=dt.date(2010, 1, 1))
    with translation.override("id"), pytest.raises(TariffError, match="tidak ada dalam daftar"):
        tariff_quote(income_idr=1_234_567, programs=ALL, month=dt.date(2026, 1, 1))


def test_unknown_income_raises():
    with pytest.raises(TariffError):
        tariff_quote(income_idr=1_234_567, programs=ALL, month=dt.date(2025, 12, 1))


def test_no_rate_before_the_first_effective_date_raises():
    with pytest.raises(TariffError):
        tariff_quote(income_idr=1_000_000, programs=ALL, month=dt.date(2015, 6, 1))


def test_new_rate_applies_from_its_effective_month_only():
    TariffRate.objects.create(program="JKM", effective_from=dt.date(2028, 1, 1), flat_idr=8_000, source="test")
    before = tariff_quote(income_idr=1_000_000, programs=ALL, month=dt.date(2027, 12, 1))
    after = tariff_quote(income_idr=1_000_000, programs=ALL, month=dt.date(2028, 1, 1))
    assert before.total_idr == 36_800
    assert after.total_idr == 38_000


def test_each_line_is_rounded_half_up_once():
    IncomeBase.objects.create(amount_idr=1_000_050)
    Discount.objects.create(name="test 33%", percent=Decimal("33"), programs=["JKK"], first_month=dt.date(2030, 1, 1),
                            last_month=dt.date(2030, 1, 1))
    quote = tariff_quote(income_idr=1_000_050, programs=ALL, month=dt.date(2030, 1, 1), sector="trade")
    # JKK 1% of 1,000,050 = 10,000.5 -> 10,001; 33% of 10,001 = 3,300.33 -> 3,300. JHT 20,001 exactly.
    assert _lines(quote) == {"JKK": (10_001, 3_300, 6_701), "JKM": (6_800, 0, 6_800), "JHT": (20_001, 0, 20_001)}
    assert all(isinstance(v, int) for line in quote.lines for v in (line.gross_idr, line.discount_idr))


def test_discount_without_sectors_applies_to_every_sector():
    Discount.objects.create(name="everyone", percent=Decimal("10"), programs=["JKM"], first_month=dt.date(2030, 1, 1),
                            last_month=dt.date(2030, 1, 1))
    quote = tariff_quote(income_idr=1_000_000, programs=ALL, month=dt.date(2030, 1, 1), sector="creative")
    assert _lines(quote)["JKM"] == (6_800, 680, 6_120)


def _discount(name, percent, *, first, sectors=(), last=dt.date(2030, 12, 1)):
    return Discount.objects.create(name=name, percent=Decimal(percent), programs=["JKK", "JKM"], first_month=first,
                                   last_month=last, sectors=list(sectors), excluded_funding=["apbn", "apbd"])


@pytest.mark.parametrize(("sector", "winner"), [
    ("fisheries", "fishers"),        # the most specific: one sector
    ("agriculture", "farm and sea"),  # two sectors before every sector, though every sector took effect later
    ("trade", "everyone, later"),    # every sector: the later of the two
])
def test_overlapping_discounts_most_specific_then_latest(sector, winner):
    _discount("everyone", "10", first=dt.date(2030, 1, 1))
    _discount("everyone, later", "20", first=dt.date(2030, 3, 1))
    _discount("farm and sea", "30", first=dt.date(2030, 1, 1), sectors=["agriculture", "fisheries"])
    _discount("fishers", "40", first=dt.date(2030, 2, 1), sectors=["fisheries"])
    quote = tariff_quote(income_idr=1_000_000, programs=ALL, month=dt.date(2030, 6, 1), sector=sector)
    assert {line.program: line.discount_name for line in quote.lines} == {"JKK": winner, "JKM": winner, "JHT": ""}
    member = member_make(sector=sector, billing_start=dt.date(2030, 6, 1))
    bill_generate_for_period(month=dt.date(2030, 6, 1))  # the set-based billing picks the same one
    bill = Bill.objects.get(member=member)
    assert (bill.discount.name, bill.total_idr) == (winner, quote.total_idr)
