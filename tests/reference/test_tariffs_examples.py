"""DOMAIN.md's worked examples and every edge of the PP 50/2025 windows, through tariff_quote, the public quote API
and issued bills."""

import datetime as dt

import pytest

from contributions.models import Bill
from contributions.services.billing import bill_for_month, bill_generate_for_period
from reference.models import IncomeBase, TariffRate
from reference.tariffs import tariff_quote
from tests.contributions.helpers import member_make

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("reference_data")]

ALL = ["JKK", "JKM", "JHT"]
BASIC = ["JKK", "JKM"]
LOWEST, HIGHEST = 1_000_000, 20_700_000
BEFORE = dt.date(2025, 12, 1)  # before any PP 50/2025 window


def _lines(quote):
    return {line.program: (line.gross_idr, line.discount_idr, line.amount_idr) for line in quote.lines}


# --- DOMAIN.md table --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "income, programs, lines, total",
    [
        (LOWEST, ALL, {"JKK": 10_000, "JKM": 6_800, "JHT": 20_000}, 36_800),
        (LOWEST, BASIC, {"JKK": 10_000, "JKM": 6_800}, 16_800),
        (HIGHEST, ALL, {"JKK": 207_000, "JKM": 6_800, "JHT": 414_000}, 627_800),
        (HIGHEST, BASIC, {"JKK": 207_000, "JKM": 6_800}, 213_800),
    ],
)
@pytest.mark.parametrize("sector", ["transport", "trade"])
def test_domain_table_before_discounts(income, programs, lines, total, sector):
    quote = tariff_quote(income_idr=income, programs=programs, month=BEFORE, sector=sector, funding="self")
    assert _lines(quote) == {p: (amount, 0, amount) for p, amount in lines.items()}
    assert [line.program for line in quote.lines] == list(lines)
    assert (quote.gross_idr, quote.discount_idr, quote.total_idr) == (total, 0, total)


def test_domain_example_december_2026():
    """DOMAIN.md: Dec 2026, non-budget member, base 1,000,000, all three: 5,000 + 3,400 + 20,000 = 28,400."""
    quote = tariff_quote(income_idr=LOWEST, programs=ALL, month=dt.date(2026, 12, 1), sector="trade", funding="self")
    assert _lines(quote) == {"JKK": (10_000, 5_000, 5_000), "JKM": (6_800, 3_400, 3_400), "JHT": (20_000, 0, 20_000)}
    assert quote.total_idr == 28_400


@pytest.mark.parametrize(
    "income, programs, total",
    [
        (LOWEST, ALL, 5_000 + 3_400 + 20_000),
        (LOWEST, BASIC, 5_000 + 3_400),
        (HIGHEST, ALL, 103_500 + 3_400 + 414_000),
        (HIGHEST, BASIC, 103_500 + 3_400),
    ],
)
@pytest.mark.parametrize("sector, month", [("transport", dt.date(2026, 1, 1)), ("household", dt.date(2026, 4, 1))])
def test_both_ends_of_the_table_discounted(income, programs, total, sector, month):
    quote = tariff_quote(income_idr=income, programs=programs, month=month, sector=sector, funding="self")
    assert quote.total_idr == total
    assert quote.discount_idr == (income // 100 + 6_800) // 2


# --- PP 50/2025 windows ------------------------------------------------------------------------------------

WINDOWS = [
    ("transport", "2025-12", False),
    ("transport", "2026-01", True),
    ("transport", "2027-03", True),
    ("transport", "2027-04", False),
    ("trade", "2026-03", False),
    ("trade", "2026-04", True),
    ("trade", "2026-12", True),
    ("trade", "2027-01", False),
]


@pytest.mark.parametrize("sector, month, discounted", WINDOWS)
@pytest.mark.parametrize("income", [LOWEST, HIGHEST])
@pytest.mark.parametrize("programs", [ALL, BASIC], ids=["all", "basic"])
@pytest.mark.parametrize("day", [1, 28])
def test_discount_window_edges(sector, month, discounted, income, programs, day):
    year, mon = map(int, month.split("-"))
    quote = tariff_quote(income_idr=income, programs=programs, month=dt.date(year, mon, day), sector=sector)
    lines = _lines(quote)
    jkk, jkm = income // 100, 6_800
    if discounted:
        assert lines["JKK"] == (jkk, jkk // 2, jkk - jkk // 2)
        assert lines["JKM"] == (jkm, 3_400, 3_400)
        assert all(line.discount_name.startswith("PP 50/2025") for line in quote.lines if line.program != "JHT")
    else:
        assert lines["JKK"] == (jkk, 0, jkk) and lines["JKM"] == (jkm, 0, jkm)
        assert all(line.discount_name == "" for line in quote.lines)
    if "JHT" in programs:
        assert lines["JHT"] == (income * 2 // 100, 0, income * 2 // 100)


@pytest.mark.parametrize("sector", ["agriculture", "fisheries", "trade", "services", "household", "construction",
                                    "creative", "other"])
@pytest.mark.parametrize("month, discounted", [("2026-03", False), ("2026-04", True), ("2026-12", True),
                                               ("2027-01", False)])
def test_every_other_sector_follows_april_to_december_2026(sector, month, discounted):
    year, mon = map(int, month.split("-"))
    quote = tariff_quote(income_idr=LOWEST, programs=ALL, month=dt.date(year, mon, 1), sector=sector)
    assert quote.total_idr == (28_400 if discounted else 36_800)


@pytest.mark.parametrize("funding", ["apbn", "apbd"])
@pytest.mark.parametrize("sector, month", [("transport", "2026-01"), ("transport", "2027-03"), ("trade", "2026-04"),
                                           ("trade", "2026-12"), ("household", "2026-08")])
@pytest.mark.parametrize("income", [LOWEST, HIGHEST])
def test_budget_funding_is_never_discounted(funding, sector, month, income):
    year, mon = map(int, month.split("-"))
    quote = tariff_quote(income_idr=income, programs=ALL, month=dt.date(year, mon, 1), sector=sector, funding=funding)
    assert quote.discount_idr == 0
    assert quote.total_idr == (36_800 if income == LOWEST else 627_800)
    assert all(line.discount_name == "" for line in quote.lines)


@pytest.mark.parametrize("funding", ["self", "donor", "apbn", "apbd"])
@pytest.mark.parametrize("sector", ["transport", "trade"])
@pytest.mark.parametrize("month", ["2025-12", "2026-01", "2026-04", "2026-12", "2027-01", "2027-03", "2027-04"])
def test_jht_is_never_discounted(funding, sector, month):
    year, mon = map(int, month.split("-"))
    quote = tariff_quote(income_idr=HIGHEST, programs=ALL, month=dt.date(year, mon, 1), sector=sector,
                         funding=funding)
    jht = next(line for line in quote.lines if line.program == "JHT")
    assert (jht.gross_idr, jht.discount_idr, jht.amount_idr, jht.discount_name) == (414_000, 0, 414_000, "")


# --- the quote API ------------------------------------------------------------------------------------------

QUOTE_URL = "/api/v1/tariffs/quote"


def test_api_quote_december_2026(client):
    response = client.get(QUOTE_URL, {"income": 1_000_000, "programs": "JKK,JKM,JHT", "month": "2026-12",
                                      "sector": "trade", "funding": "self"})
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["income_idr"] == 1_000_000 and data["month"] == "2026-12"
    assert [(line["program"], line["gross_idr"], line["discount_idr"], line["amount_idr"])
            for line in data["lines"]] == [("JKK", 10_000, 5_000, 5_000), ("JKM", 6_800, 3_400, 3_400),
                                           ("JHT", 20_000, 0, 20_000)]
    assert data["lines"][0]["discount_name"].startswith("PP 50/2025")
    assert data["lines"][2]["discount_name"] == ""
    assert (data["discount_idr"], data["total_idr"]) == (8_400, 28_400)


@pytest.mark.parametrize(
    "params, total, discount",
    [
        ({"income": 20_700_000, "programs": "JKK,JKM,JHT", "month": "2025-12"}, 627_800, 0),
        ({"income": 20_700_000, "programs": "jkk, jkm", "month": "2025-12"}, 213_800, 0),
        ({"income": 1_000_000, "month": "2025-12"}, 16_800, 0),  # programs default to JKK,JKM
        ({"income": 1_000_000, "programs": "JHT", "month": "2025-12"}, 36_800, 0),  # JKK and JKM always included
        ({"income": 1_000_000, "programs": "JKK,JKM,JHT", "month": "2026-01", "sector": "transport"}, 28_400, 8_400),
        ({"income": 1_000_000, "programs": "JKK,JKM,JHT", "month": "2026-01", "sector": "trade"}, 36_800, 0),
        ({"income": 1_000_000, "programs": "JKK,JKM,JHT", "month": "2026-04"}, 28_400, 8_400),  # sector other
        ({"income": 1_000_000, "programs": "JKK,JKM,JHT", "month": "2027-03", "sector": "transport"}, 28_400, 8_400),
        ({"income": 1_000_000, "programs": "JKK,JKM,JHT", "month": "2027-04", "sector": "transport"}, 36_800, 0),
        ({"income": 1_000_000, "programs": "JKK,JKM,JHT", "month": "2026-06", "sector": "transport",
          "funding": "apbd"}, 36_800, 0),
        ({"income": 1_000_000, "programs": "JKK,JKM,JHT", "month": "2026-06", "funding": "apbn"}, 36_800, 0),
        ({"income": 1_000_000, "programs": "JKK,JKM,JHT", "month": "2026-06", "funding": "donor"}, 28_400, 8_400),
    ],
)
def test_api_quote_amounts(client, params, total, discount):
    response = client.get(QUOTE_URL, params)
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["total_idr"], data["discount_idr"]) == (total, discount)
    assert data["total_idr"] == sum(line["amount_idr"] for line in data["lines"])
    assert all(line["amount_idr"] == line["gross_idr"] - line["discount_idr"] for line in data["lines"])


@pytest.mark.parametrize(
    "params, field",
    [
        ({"income": 1_000_000, "month": "2026-13"}, "month"),
        ({"income": 1_000_000, "month": "2026-1"}, "month"),
        ({"income": 1_000_000, "month": "12-2026"}, "month"),
        ({"income": 1_000_000}, "month"),
        ({"income": 1_000_000, "month": "2010-01"}, "month"),  # before the first tariff rate
        ({"income": 1_234_567, "month": "2026-12"}, "income"),
        ({"income": "lots", "month": "2026-12"}, "income"),
        ({"month": "2026-12"}, "income"),
        ({"income": 1_000_000, "month": "2026-12", "programs": "JKK,JP"}, "programs"),
        ({"income": 1_000_000, "month": "2026-12", "sector": "mining"}, "sector"),
        ({"income": 1_000_000, "month": "2026-12", "funding": "cash"}, "funding"),
    ],
)
def test_api_quote_errors(client, english, params, field):
    response = client.get(QUOTE_URL, params)
    assert response.status_code == 400, response.content
    data = response.json()
    assert set(data) == {"error"}
    assert data["error"]["code"] == "validation_error"
    assert data["error"]["message"]
    assert list(data["error"]["fields"]) == [field]
    assert all(isinstance(m, str) and m for m in data["error"]["fields"][field])


def test_api_quote_error_names_the_unknown_program(client, english):
    data = client.get(QUOTE_URL, {"income": 1_000_000, "month": "2026-12", "programs": "JKK,JP,JKP"}).json()
    assert data["error"]["fields"]["programs"] == ["Unknown program: JKP, JP."]


def test_api_quote_checks_the_income_against_the_bases_of_the_quoted_month(client, english):
    IncomeBase.objects.filter(amount_idr=1_500_000).update(effective_to=dt.date(2026, 6, 30))
    IncomeBase.objects.create(amount_idr=22_000_000, effective_from=dt.date(2027, 1, 1), provisional=True)
    assert client.get(QUOTE_URL, {"income": 1_500_000, "month": "2026-06"}).status_code == 200
    refused = client.get(QUOTE_URL, {"income": 1_500_000, "month": "2026-07"})
    assert refused.status_code == 400
    assert refused.json()["error"]["fields"] == {"income": ["Please choose an income from the list."]}
    assert client.get(QUOTE_URL, {"income": 22_000_000, "month": "2026-12"}).status_code == 400
    assert client.get(QUOTE_URL, {"income": 22_000_000, "month": "2027-01"}).status_code == 200


@pytest.mark.parametrize(("params", "field", "message"), [
    ({"income": 1_000_000, "month": "12-2026"}, "month", "Tulis bulan sebagai TTTT-BB, misalnya 2026-12."),
    ({"income": 1_000_000, "month": "2010-01"}, "month", "Belum ada tarif yang berlaku untuk 2010-01."),
    ({"income": 1_000_000, "month": "0000-01"}, "month", "Tulis bulan sebagai TTTT-BB, misalnya 2026-12."),
])
def test_api_quote_errors_are_indonesian_in_an_indonesian_answer(client, params, field, message):
    data = client.get(QUOTE_URL, params, HTTP_ACCEPT_LANGUAGE="id").json()
    assert data["error"]["fields"] == {field: [message]}


def test_api_quote_needs_no_sign_in_and_matches_tariff_quote(client):
    response = client.get(QUOTE_URL, {"income": 7_000_000, "programs": "JKK,JKM,JHT", "month": "2026-05",
                                      "sector": "transport"})
    quote = tariff_quote(income_idr=7_000_000, programs=ALL, month=dt.date(2026, 5, 1), sector="transport")
    assert response.status_code == 200
    assert response.json()["total_idr"] == quote.total_idr == 35_000 + 3_400 + 140_000


# --- new tariff versions never rewrite issued bills -----------------------------------------------------------


def test_new_jkm_rate_prices_later_bills_only():
    member = member_make(sector="transport", jht=True, billing_start=dt.date(2026, 12, 1))
    other = member_make(sector="trade", jht=False, billing_start=dt.date(2026, 12, 1))
    issued = bill_generate_for_period(month=dt.date(2026, 12, 1))
    assert issued.created == 2
    december = {b.member_id: b for b in Bill.objects.filter(month=dt.date(2026, 12, 1))}
    before = {pk: (b.jkm_gross_idr, b.jkm_discount_idr, b.total_idr) for pk, b in december.items()}
    assert before == {member.pk: (6_800, 3_400, 28_400), other.pk: (6_800, 3_400, 8_400)}

    TariffRate.objects.create(program="JKM", effective_from=dt.date(2027, 1, 1), flat_idr=7_000, source="test")

    # Issued bills keep their own breakdown, whether re-read, regenerated or fetched through bill_for_month.
    assert bill_generate_for_period(month=dt.date(2026, 12, 1)).created == 0
    assert bill_for_month(member=member, month=dt.date(2026, 12, 1)).total_idr == 28_400
    after = {b.member_id: (b.jkm_gross_idr, b.jkm_discount_idr, b.total_idr)
             for b in Bill.objects.filter(month=dt.date(2026, 12, 1))}
    assert after == before
    # A December bill created only now (nobody had one) still uses December's rate.
    late = member_make(sector="trade", jht=False, billing_start=dt.date(2026, 12, 1))
    assert bill_for_month(member=late, month=dt.date(2026, 12, 1)).jkm_gross_idr == 6_800

    # January 2027: transport still discounted (to March 2027), other sectors no longer.
    assert bill_generate_for_period(month=dt.date(2027, 1, 1)).created == 3
    january = {b.member_id: b for b in Bill.objects.filter(month=dt.date(2027, 1, 1))}
    assert (january[member.pk].jkm_gross_idr, january[member.pk].jkm_discount_idr) == (7_000, 3_500)
    assert january[member.pk].total_idr == 5_000 + 3_500 + 20_000
    assert (january[other.pk].jkm_gross_idr, january[other.pk].jkm_discount_idr) == (7_000, 0)
    assert january[other.pk].total_idr == 10_000 + 7_000
    assert tariff_quote(income_idr=LOWEST, programs=BASIC, month=dt.date(2027, 1, 1), sector="trade").total_idr \
        == 17_000
    # The Python path (prepayment) agrees with the batch.
    prepaid = member_make(sector="transport", jht=True, billing_start=dt.date(2027, 1, 1))
    assert bill_for_month(member=prepaid, month=dt.date(2027, 1, 1)).total_idr == 28_500
