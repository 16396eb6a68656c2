"""The factories make rows the services would accept: valid NIKs and KPJs, Kemendagri-shaped region chains, and
bills priced exactly as the billing service prices them."""

from __future__ import annotations

import datetime as dt

import pytest

from contributions.models import Bill
from contributions.services.billing import bill_for_month
from core.models import Role
from core.nik import nik_blind_index, nik_check, nik_decrypt
from reference.models import RegionLevel
from tests.contributions.helpers import pin_today
from tests.core.helpers import luhn_valid
from tests.factories.contributions import BillFactory
from tests.factories.core import UserFactory
from tests.factories.members import AgentFactory, MemberFactory, PartnerFactory, SponsorshipFactory
from tests.factories.reference import StaffFactory, VillageFactory
from tests.seeding import claims_reference_data

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("reference_data")]

BILL_FIELDS = ("due_date", "income_base_idr", "jkk_gross_idr", "jkk_discount_idr", "jkm_gross_idr",
               "jkm_discount_idr", "jht_gross_idr", "jht_discount_idr", "total_idr", "discount_id", "status")


def test_a_member_has_a_valid_nik_of_its_birth_date_gender_and_district_and_a_valid_kpj():
    member = MemberFactory(birth_date=dt.date(1985, 3, 12), gender="L")
    nik = nik_decrypt(member.nik_ciphertext)
    assert nik_check(nik, birth_date=member.birth_date, gender="L").valid
    assert nik.startswith(member.village.code[:8].replace(".", ""))
    assert member.nik_index == nik_blind_index(nik)
    assert len(member.kpj) == 11 and luhn_valid(member.kpj)
    assert member.occupation.code == "ojek-online" and member.programs == ["JKK", "JKM", "JHT"]


@pytest.mark.parametrize("values", [
    {}, {"has_jht": False}, {"sector": "agriculture", "income_base_idr": 2_000_000}, {"funding_source": "apbd"},
    {"billing_start": dt.date(2026, 3, 1)},
])
@pytest.mark.parametrize("month", [dt.date(2026, 1, 1), dt.date(2026, 3, 1), dt.date(2026, 12, 1)])
def test_a_bill_is_priced_like_the_billing_service_prices_it(values, month):
    with pin_today(month):
        made = BillFactory(member=MemberFactory(**values), month=month)
        issued = bill_for_month(member=MemberFactory(**values), month=month)
    assert {f: getattr(made, f) for f in BILL_FIELDS} == {f: getattr(issued, f) for f in BILL_FIELDS}
    assert Bill.objects.count() == 2


def test_villages_hang_off_a_province_regency_district_chain():
    first, second = VillageFactory(), VillageFactory()
    district = first.parent
    assert second.parent == district and first.code != second.code
    assert [first.level, district.level, district.parent.level, district.parent.parent.level] == [
        RegionLevel.VILLAGE, RegionLevel.DISTRICT, RegionLevel.REGENCY, RegionLevel.PROVINCE]
    assert first.code.startswith(district.code + ".") and district.code.startswith(district.parent.code + ".")
    assert [len(part) for part in first.code.split(".")] == [2, 2, 2, 4]


def test_people_around_members():
    claims_reference_data()
    assert UserFactory().phone and UserFactory(staff=True).phone is None
    staff = StaffFactory(branch="PLG")
    assert staff.role == Role.BRANCH_STAFF and staff.staff_branch.branch.code == "PLG"
    assert not hasattr(StaffFactory(branch=False), "staff_branch")
    agent = AgentFactory()
    assert agent.user.role == Role.AGENT and agent.status == "active"
    sponsorship = SponsorshipFactory()
    assert sponsorship.sponsor.user.phone and sponsorship.confirmed_at is not None
    partner = PartnerFactory()
    assert partner.user.role == Role.PARTNER and not partner.user.has_usable_password()
    assert partner.user.first_name == partner.name
