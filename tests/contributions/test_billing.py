"""Monthly bills: who gets one, exactly once, and SQL (bill_generate_for_period) == Python (tariff_quote)."""

import datetime as dt
import io
import itertools
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contributions.models import Bill, BillStatus
from contributions.services.billing import bill_for_month, bill_generate_for_period
from core.choices import Sector
from members.models import MemberStatus
from reference.duedates import add_months, due_date_for
from reference.models import Discount, IncomeBase, TariffRate
from reference.tariffs import tariff_quote
from tests.contributions.helpers import member_make
from tests.core.helpers import own_atomic

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("reference_data")]

MONTHS = ["2025-12", "2026-01", "2026-04", "2026-12", "2027-01", "2027-03", "2027-04"]
ODD_INCOMES = [1_000_050, 1_234_567, 2_000_020, 9_999_950]  # halves and near-halves for the rounding rule


def _month(value: str) -> dt.date:
    return dt.datetime.strptime(value, "%Y-%m").date()


def _expected(member, month: dt.date) -> dict:
    """A bill as the Python pricing function would write it."""
    quote = tariff_quote(income_idr=member.income_base_idr, programs=member.programs, month=month,
                         sector=member.occupation.sector, funding=member.funding_source)
    lines = {line.program: line for line in quote.lines}
    jht = lines.get("JHT")
    return dict(
        month=month, due_date=due_date_for(month), income_base_idr=member.income_base_idr,
        jkk_gross_idr=lines["JKK"].gross_idr, jkk_discount_idr=lines["JKK"].discount_idr,
        jkm_gross_idr=lines["JKM"].gross_idr, jkm_discount_idr=lines["JKM"].discount_idr,
        jht_gross_idr=jht.gross_idr if jht else 0, jht_discount_idr=jht.discount_idr if jht else 0,
        total_idr=quote.total_idr, discount=lines["JKK"].discount_name, jkm_discount=lines["JKM"].discount_name,
        jht_discount=jht.discount_name if jht else "", status=BillStatus.OPEN,
    )


def _actual(bill: Bill) -> dict:
    return dict(
        month=bill.month, due_date=bill.due_date, income_base_idr=bill.income_base_idr,
        jkk_gross_idr=bill.jkk_gross_idr, jkk_discount_idr=bill.jkk_discount_idr,
        jkm_gross_idr=bill.jkm_gross_idr, jkm_discount_idr=bill.jkm_discount_idr,
        jht_gross_idr=bill.jht_gross_idr, jht_discount_idr=bill.jht_discount_idr,
        total_idr=bill.total_idr, discount=bill.discount.name if bill.discount else "",
        jkm_discount=bill.jkm_discount.name if bill.jkm_discount else "",
        jht_discount=bill.jht_discount.name if bill.jht_discount else "", status=bill.status,
    )


def _assert_parity(members, month: dt.date):
    bills = {b.member_id: b for b in Bill.objects.filter(month=month).select_related("discount", "jkm_discount",
                                                                                        "jht_discount")}
    assert set(bills) == {m.pk for m in members}
    for member in members:
        actual, expected = _actual(bills[member.pk]), _expected(member, month)
        assert actual == expected, (member.income_base_idr, member.has_jht, member.occupation.sector,
                                    member.funding_source, month)


@pytest.fixture
def odd_incomes():
    IncomeBase.objects.bulk_create([IncomeBase(amount_idr=a, provisional=True) for a in ODD_INCOMES])


@pytest.fixture
def odd_tariffs():
    """From 2030-01 rates and discounts whose products end in halves, and two overlapping discounts
    (the lower pk wins per program, in SQL as in Python)."""
    TariffRate.objects.create(program="JKK", effective_from=dt.date(2030, 1, 1), percent=Decimal("0.875"))
    TariffRate.objects.create(program="JKM", effective_from=dt.date(2030, 1, 1), flat_idr=6_999)
    TariffRate.objects.create(program="JHT", effective_from=dt.date(2030, 1, 1), percent=Decimal("2.125"))
    Discount.objects.create(name="transport JKM 12.5", percent=Decimal("12.50"), programs=["JKM"],
                            first_month=dt.date(2030, 1, 1), last_month=dt.date(2030, 2, 1), sectors=["transport"])
    Discount.objects.create(name="everyone 33.33", percent=Decimal("33.33"), programs=["JKK", "JKM"],
                            first_month=dt.date(2030, 1, 1), last_month=dt.date(2030, 1, 1),
                            excluded_funding=["apbn", "apbd"])
    Discount.objects.create(name="JHT half (test only)", percent=Decimal("50"), programs=["JHT"],
                            first_month=dt.date(2030, 2, 1), last_month=dt.date(2030, 2, 1), sectors=["trade"],
                            excluded_funding=["apbn"])


# --- who is billed -------------------------------------------------------------------------------------------


def test_one_bill_per_billable_member():
    month = dt.date(2026, 4, 1)
    billed = [
        member_make(status=MemberStatus.REGISTERED, billing_start=dt.date(2026, 4, 1)),
        member_make(status=MemberStatus.ACTIVE, billing_start=dt.date(2026, 1, 1)),
        member_make(status=MemberStatus.ACTIVE, billing_start=dt.date(2025, 6, 1), sector="trade"),
    ]
    member_make(status=MemberStatus.LAPSED, billing_start=dt.date(2026, 1, 1))
    member_make(status=MemberStatus.CLOSED, billing_start=dt.date(2026, 1, 1))
    member_make(status=MemberStatus.REGISTERED, billing_start=dt.date(2026, 5, 1))  # starts later
    member_make(status=MemberStatus.ACTIVE, billing_start=dt.date(2027, 1, 1))

    result = bill_generate_for_period(month=month)
    assert (result.month, result.created) == (month, 3)
    assert set(Bill.objects.values_list("member_id", "month")) == {(m.pk, month) for m in billed}
    assert set(Bill.objects.values_list("status", flat=True)) == {BillStatus.OPEN}
    _assert_parity(billed, month)

    again = bill_generate_for_period(month=month)
    assert again.created == 0
    assert Bill.objects.count() == 3


def test_a_member_billed_already_is_not_billed_again():
    member = member_make(billing_start=dt.date(2026, 4, 1))
    other = member_make(billing_start=dt.date(2026, 4, 1))
    first = bill_for_month(member=member, month=dt.date(2026, 4, 1))
    result = bill_generate_for_period(month=dt.date(2026, 4, 1))
    assert result.created == 1
    assert Bill.objects.filter(member=member).get().pk == first.pk
    assert Bill.objects.filter(member=other).count() == 1


def test_any_day_of_the_month_bills_that_month():
    member = member_make(billing_start=dt.date(2026, 4, 1))
    result = bill_generate_for_period(month=dt.date(2026, 4, 17))
    assert result.month == dt.date(2026, 4, 1) and result.created == 1
    assert Bill.objects.get(member=member).month == dt.date(2026, 4, 1)


def test_no_members_no_bills():
    result = bill_generate_for_period(month=dt.date(2026, 4, 1))
    assert (result.created, result.batches) == (0, 0)


@pytest.mark.parametrize("batch_size", [1, 2, 3, 7, 1000])
def test_small_batches_give_the_same_bills(batch_size):
    members = [member_make(income=[1_000_000, 5_000_000, 20_700_000][i % 3], jht=i % 2 == 0,
                           sector=["transport", "trade", "household"][i % 3], funding=["self", "apbd"][i % 2])
               for i in range(10)]
    member_make(status=MemberStatus.LAPSED)  # in the id range, not billed
    members.append(member_make(billing_start=dt.date(2026, 1, 1)))
    ids = [m.pk for m in members]
    result = bill_generate_for_period(month=dt.date(2026, 6, 1), batch_size=batch_size)
    assert result.created == 11
    span = max(ids) - min(ids) + 1
    assert result.batches == -(-span // batch_size)
    _assert_parity(members, dt.date(2026, 6, 1))
    assert bill_generate_for_period(month=dt.date(2026, 6, 1), batch_size=batch_size).created == 0
    assert Bill.objects.count() == 11


# --- SQL == Python -------------------------------------------------------------------------------------------


GRID_INCOMES = [1_000_000, 1_500_000, 12_500_000, 20_700_000, *ODD_INCOMES]


def test_sql_matches_tariff_quote_on_a_grid(odd_incomes):
    """Every combination of income, JHT, sector and funding, in every month around the PP 50/2025 windows."""
    members = [
        member_make(income=income, jht=jht, sector=sector, funding=funding, billing_start=dt.date(2025, 1, 1),
                    status=MemberStatus.ACTIVE)
        for income, jht, sector, funding in itertools.product(
            GRID_INCOMES, [True, False], ["transport", "trade"], ["self", "apbd"])
    ]
    for value in MONTHS:
        assert bill_generate_for_period(month=_month(value), batch_size=13).created == len(members)
        _assert_parity(members, _month(value))
    # The grid does hit each case: discounted and not, JHT and not, halves rounded up.
    bills = Bill.objects.all()
    assert bills.filter(jkk_discount_idr__gt=0).exists() and bills.filter(jkk_discount_idr=0).exists()
    assert bills.filter(jht_gross_idr=0).exists() and not bills.filter(jht_discount_idr__gt=0).exists()
    assert bills.filter(income_base_idr=1_000_050, jkk_gross_idr=10_001).exists()  # 10,000.5 -> 10,001
    assert bills.filter(income_base_idr=1_000_050, month=_month("2026-01"), jkk_discount_idr=5_001).exists()


def test_sql_matches_tariff_quote_every_sector_and_funding():
    members = [member_make(sector=sector, funding=funding, jht=True, status=MemberStatus.ACTIVE,
                           billing_start=dt.date(2025, 1, 1))
               for sector, funding in itertools.product(Sector.values, ["self", "donor", "apbn", "apbd"])]
    for value in ["2026-01", "2026-03", "2026-04", "2026-12", "2027-01", "2027-03", "2027-04"]:
        bill_generate_for_period(month=_month(value))
        _assert_parity(members, _month(value))


def test_sql_matches_tariff_quote_with_odd_rates_and_overlapping_discounts(odd_incomes, odd_tariffs):
    members = [
        member_make(income=income, jht=jht, sector=sector, funding=funding, billing_start=dt.date(2029, 1, 1))
        for income, jht, sector, funding in itertools.product(
            [1_000_000, *ODD_INCOMES, 20_700_000], [True, False], ["transport", "trade", "creative"],
            ["self", "apbn", "apbd"])
    ]
    for month in (dt.date(2029, 12, 1), dt.date(2030, 1, 1), dt.date(2030, 2, 1), dt.date(2030, 3, 1)):
        assert bill_generate_for_period(month=month, batch_size=17).created == len(members)
        _assert_parity(members, month)
    january = Bill.objects.filter(month=dt.date(2030, 1, 1))
    # 0.875 % of 1,234,567 = 10,802.46 -> 10,802; 33.33 % of that = 3,600.31 -> 3,600.
    assert january.filter(income_base_idr=1_234_567, jkk_gross_idr=10_802, jkk_discount_idr=3_600).exists()
    # Transport gets the earlier 12.5 % JKM cut (875 of 6,999 = 874.875 -> 875); others 33.33 % (2,332.77 -> 2,333).
    transport = january.filter(member__occupation__sector="transport", member__funding_source="self")
    assert set(transport.values_list("jkm_discount_idr", flat=True)) == {875}
    assert set(january.filter(member__occupation__sector="trade", member__funding_source="self")
               .values_list("jkm_discount_idr", flat=True)) == {2_333}
    # The JHT discount (test only) applies to trade members with JHT in February 2030, not to APBN ones.
    february = Bill.objects.filter(month=dt.date(2030, 2, 1), member__has_jht=True,
                                   member__occupation__sector="trade")
    assert not february.filter(member__funding_source="apbn", jht_discount_idr__gt=0).exists()
    assert february.filter(member__funding_source="apbd", jht_discount_idr__gt=0).exists()


MEMBER = st.fixed_dictionaries({
    "income": st.sampled_from([1_000_000, 1_500_000, 5_000_000, 17_500_000, 20_700_000, *ODD_INCOMES]),
    "jht": st.booleans(),
    "sector": st.sampled_from(Sector.values),
    "funding": st.sampled_from(["self", "donor", "apbn", "apbd"]),
    "status": st.sampled_from([MemberStatus.REGISTERED, MemberStatus.ACTIVE, MemberStatus.ACTIVE,
                               MemberStatus.LAPSED]),
    "start": st.sampled_from(["2025-06", "2026-01", "2026-04", "2026-12", "2027-04", "2029-12"]),
})


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(specs=st.lists(MEMBER, min_size=1, max_size=8),
       month=st.sampled_from([*MONTHS, "2030-01", "2030-02"]),
       batch_size=st.integers(min_value=1, max_value=5))
def test_sql_matches_tariff_quote_for_any_members(odd_incomes, odd_tariffs, specs, month, batch_size):
    month = _month(month)
    with own_atomic():
        members = [member_make(income=s["income"], jht=s["jht"], sector=s["sector"], funding=s["funding"],
                               status=s["status"], billing_start=_month(s["start"])) for s in specs]
        billable = [m for m in members if m.status != MemberStatus.LAPSED and m.billing_start <= month]
        result = bill_generate_for_period(month=month, batch_size=batch_size)
        assert result.created == len(billable)
        _assert_parity(billable, month)
        assert bill_generate_for_period(month=month, batch_size=batch_size).created == 0
        transaction.set_rollback(True)


def test_bill_for_month_writes_the_same_bill_as_the_batch(odd_incomes, odd_tariffs):
    """The Python path (registration, prepayment) and the SQL path produce identical rows."""
    pairs = []
    for income, jht, sector, funding in itertools.product([1_234_567, 20_700_000], [True, False],
                                                          ["transport", "trade"], ["self", "apbd"]):
        batch = member_make(income=income, jht=jht, sector=sector, funding=funding, billing_start=dt.date(2026, 1, 1))
        single = member_make(income=income, jht=jht, sector=sector, funding=funding,
                             billing_start=dt.date(2099, 1, 1))  # not billed by the batch
        pairs.append((batch, single))
    for month in (dt.date(2026, 3, 1), dt.date(2026, 4, 1), dt.date(2027, 1, 1), dt.date(2030, 1, 1),
                  dt.date(2030, 2, 1)):
        bill_generate_for_period(month=month)
        for batch, single in pairs:
            a = _actual(Bill.objects.get(member=batch, month=month))
            b = _actual(bill_for_month(member=single, month=month))
            assert a == b, (batch.income_base_idr, batch.has_jht, batch.occupation.sector, month)


# --- due dates ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "month, due",
    [
        ("2026-01", dt.date(2026, 1, 15)),  # Thursday
        ("2026-02", dt.date(2026, 2, 18)),  # Sun 15, Mon 16 cuti bersama Imlek, Tue 17 Imlek
        ("2026-03", dt.date(2026, 3, 16)),  # Sunday
        ("2026-04", dt.date(2026, 4, 15)),
        ("2026-05", dt.date(2026, 5, 18)),  # Fri 15 cuti bersama (Kenaikan), then the weekend
        ("2026-08", dt.date(2026, 8, 18)),  # Sat 15, Sun 16, Mon 17 Proklamasi
        ("2026-11", dt.date(2026, 11, 16)),  # Sunday
        ("2026-12", dt.date(2026, 12, 15)),
        ("2027-03", dt.date(2027, 3, 16)),  # Mon 15 cuti bersama Idulfitri
        ("2027-05", dt.date(2027, 5, 21)),  # Sat, Sun, Mon Iduladha, Tue-Wed cuti bersama, Thu Waisak
        ("2028-01", dt.date(2028, 1, 17)),  # no holiday data for 2028: weekends only (Sat 15)
    ],
)
def test_due_date_moves_to_the_next_working_day(month, due):
    assert due_date_for(_month(month)) == due
    assert due_date_for(_month(month).replace(day=28)) == due


def test_due_date_is_a_working_day_on_or_after_the_15th_all_through_2026_and_2027():
    from lokal.holidays import is_working_day

    for i in range(24):
        month = add_months(dt.date(2026, 1, 1), i)
        due = due_date_for(month)
        assert due >= month.replace(day=15) and due.month == month.month
        assert is_working_day(due.isoformat())
        day = month.replace(day=15)
        while day < due:
            assert not is_working_day(day.isoformat()), day
            day += dt.timedelta(days=1)


@override_settings(BILL_DUE_NEXT_MONTH=True)
@pytest.mark.parametrize("month, due", [("2026-01", dt.date(2026, 2, 18)), ("2026-07", dt.date(2026, 8, 18)),
                                        ("2026-12", dt.date(2027, 1, 15))])
def test_due_next_month_rule_is_a_setting(month, due):
    assert due_date_for(_month(month)) == due


@override_settings(BILL_DUE_DAY=10)
def test_due_day_is_a_setting():
    assert due_date_for(dt.date(2026, 5, 1)) == dt.date(2026, 5, 11)  # Sunday 10th
    assert due_date_for(dt.date(2026, 10, 1)) == dt.date(2026, 10, 12)  # Saturday 10th
    assert due_date_for(dt.date(2026, 6, 1)) == dt.date(2026, 6, 10)


def test_bills_carry_the_due_date():
    member = member_make(billing_start=dt.date(2026, 1, 1))
    bill_generate_for_period(month=dt.date(2026, 8, 1))
    assert Bill.objects.get(member=member, month=dt.date(2026, 8, 1)).due_date == dt.date(2026, 8, 18)
    assert bill_for_month(member=member, month=dt.date(2026, 5, 1)).due_date == dt.date(2026, 5, 18)


@pytest.mark.parametrize("start, n, result", [
    ("2026-11", 2, "2027-01"), ("2026-01", -1, "2025-12"), ("2026-03", -3, "2025-12"), ("2026-12", 12, "2027-12"),
    ("2026-05", 0, "2026-05"), ("2026-01", -13, "2024-12"),
])
def test_add_months(start, n, result):
    assert add_months(_month(start), n) == _month(result)


# --- the command -------------------------------------------------------------------------------------------


def test_generate_bills_command():
    members = [member_make(billing_start=dt.date(2026, 1, 1)) for _ in range(3)]
    member_make(status=MemberStatus.LAPSED)
    out = io.StringIO()
    call_command("generate_bills", "--month", "2026-04", stdout=out)
    assert "3 bills created for 2026-04 in 1 batches" in out.getvalue()
    assert Bill.objects.filter(month=dt.date(2026, 4, 1)).count() == 3
    _assert_parity(members, dt.date(2026, 4, 1))
    out = io.StringIO()
    call_command("generate_bills", "--month", "2026-04", "--batch-size", "1", stdout=out)
    assert "0 bills created for 2026-04 in 4 batches" in out.getvalue()


@pytest.mark.parametrize("value", ["2026-13", "April", "2026/04", "", "2026-04-01"])
def test_generate_bills_command_refuses_a_bad_month(value):
    member_make()
    with pytest.raises(CommandError, match="--month must look like 2026-12"):
        call_command("generate_bills", "--month", value, stdout=io.StringIO())
    assert not Bill.objects.exists()


def test_generate_bills_command_needs_a_month():
    with pytest.raises(CommandError, match="--month"):
        call_command("generate_bills", stdout=io.StringIO())
