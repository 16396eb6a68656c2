import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from claims.models import BenefitRule, JhtReturnRate, ScholarshipLevel
from claims.selectors import (
    ReferenceDataMissing,
    benefit_rule,
    branch_for_member,
    branch_for_regency,
    jht_return_rates,
    scholarship_levels,
)
from reference.models import Branch, BranchArea
from tests.contributions.helpers import member_make

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 6, 1)


def test_seeded_figures_are_domain_md():
    amounts = {k: benefit_rule(kind=k, on=DAY).amount_idr
               for k in ("jkm_lump_sum", "jkm_periodic", "jkm_funeral", "jkm_early_death", "school_cap")}
    assert amounts == {"jkm_lump_sum": 20_000_000, "jkm_periodic": 12_000_000, "jkm_funeral": 10_000_000,
                       "jkm_early_death": 10_000_000, "school_cap": 174_000_000}
    multiple = benefit_rule(kind="jkk_death_multiple", on=DAY)
    assert multiple.multiple == Decimal("48") and not multiple.provisional and "PP 82/2019" in multiple.source
    assert {k: benefit_rule(kind=k, on=DAY).amount_idr for k in ("jkk_periodic", "jkk_funeral")} == {
        "jkk_periodic": 12_000_000, "jkk_funeral": 10_000_000}
    assert benefit_rule(kind="paid_months_restart", on=DAY).flag is False
    assert [(r.level, r.yearly_idr, r.years) for r in scholarship_levels(on=DAY)] == [
        ("primary", 1_500_000, 8), ("junior_high", 2_000_000, 3), ("senior_high", 3_000_000, 3),
        ("university", 12_000_000, 5)]
    assert {k: benefit_rule(kind=k, on=DAY).quantity
            for k in ("jkm_early_months", "jkm_school_months", "school_children", "jht_age_years")} == {
        "jkm_early_months": 3, "jkm_school_months": 36, "school_children": 2, "jht_age_years": 56}
    assert all(r.source for r in BenefitRule.objects.all())


def test_the_rule_in_force_is_the_latest_started_on_or_before_the_day():
    BenefitRule.objects.create(kind="jkm_funeral", effective_from=dt.date(2027, 1, 1), amount_idr=11_000_000)
    assert benefit_rule(kind="jkm_funeral", on=dt.date(2026, 12, 31)).amount_idr == 10_000_000
    assert benefit_rule(kind="jkm_funeral", on=dt.date(2027, 1, 1)).amount_idr == 11_000_000
    with pytest.raises(ReferenceDataMissing):
        benefit_rule(kind="jkm_funeral", on=dt.date(2019, 12, 1))


def test_a_later_level_row_replaces_only_that_level():
    ScholarshipLevel.objects.create(level="university", effective_from=dt.date(2027, 1, 1), position=4,
                                    yearly_idr=15_000_000, years=5)
    assert [r.yearly_idr for r in scholarship_levels(on=dt.date(2027, 1, 1))] == [
        1_500_000, 2_000_000, 3_000_000, 15_000_000]
    assert scholarship_levels(on=dt.date(2026, 12, 31))[-1].yearly_idr == 12_000_000


@pytest.mark.parametrize("values", [
    {"kind": "jkm_funeral", "amount_idr": 0},
    {"kind": "jkm_funeral", "amount_idr": -1},
    {"kind": "jkm_funeral", "multiple": Decimal("48")},
    {"kind": "jkk_death_multiple", "amount_idr": 48},
    {"kind": "jkk_death_multiple", "multiple": Decimal("0")},
    {"kind": "jkm_early_months", "quantity": 0},
    {"kind": "jkm_early_months", "quantity": 3, "amount_idr": 10_000_000},
    {"kind": "paid_months_restart"},
    {"kind": "paid_months_restart", "flag": True, "quantity": 1},
    {"kind": "jkm_funeral", "amount_idr": 10_000_000, "flag": False},
])
def test_a_value_that_does_not_fit_its_kind_is_refused(values):
    with pytest.raises(IntegrityError), transaction.atomic():
        BenefitRule.objects.create(effective_from=dt.date(2030, 1, 1), **values)


def test_one_rule_per_kind_and_date():
    with pytest.raises(IntegrityError), transaction.atomic():
        BenefitRule.objects.create(kind="jkm_funeral", effective_from=dt.date(2019, 12, 2), amount_idr=1)


@pytest.mark.parametrize("values", [{"yearly_idr": 0, "years": 3}, {"yearly_idr": 1_000, "years": 0}])
def test_scholarship_levels_need_a_positive_amount_and_years(values):
    with pytest.raises(IntegrityError), transaction.atomic():
        ScholarshipLevel.objects.create(level="primary", effective_from=dt.date(2030, 1, 1), position=1, **values)


def test_jht_rates_one_per_year_within_range_and_missing_years_are_named():
    JhtReturnRate.objects.create(year=2026, percent=Decimal("5.50"))
    with pytest.raises(IntegrityError), transaction.atomic():
        JhtReturnRate.objects.create(year=2026, percent=Decimal("6"))
    with pytest.raises(IntegrityError), transaction.atomic():
        JhtReturnRate.objects.create(year=2027, percent=Decimal("-1"))
    with pytest.raises(ReferenceDataMissing, match="2027, 2028"):
        jht_return_rates(first_year=2026, last_year=2028)


def test_regencies_route_to_their_branch_and_others_to_the_default():
    assert branch_for_regency(regency="31.74").code == "JKT-SEL"
    assert branch_for_regency(regency="32.04").code == "BDG-SOR"
    assert branch_for_regency(regency="11.01").code == "JKT-PST"  # Aceh: no area seeded
    assert branch_for_member(member=member_make()).code == "JKT-SEL"  # lives in 31.74.01.1001


def test_one_default_branch_and_one_branch_per_regency():
    with pytest.raises(IntegrityError), transaction.atomic():
        Branch.objects.create(code="X", name="X", is_default=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        BranchArea.objects.create(regency_id="31.74", branch=Branch.objects.get(code="SKA"))


def test_without_a_default_branch_an_unserved_regency_is_an_error():
    Branch.objects.filter(is_default=True).update(is_default=False)
    with pytest.raises(ReferenceDataMissing):
        branch_for_regency(regency="11.01")


def test_a_branch_area_must_be_a_regency(regions):
    from django.core.exceptions import ValidationError

    area = BranchArea(regency_id="31.74.01", branch=Branch.objects.get(code="SKA"))
    with pytest.raises(ValidationError):
        area.full_clean()
