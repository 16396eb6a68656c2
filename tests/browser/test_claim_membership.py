"""A worker a sponsor registered with the phone number of an existing account claims the membership on a phone:
signed in by code, they confirm NIK and date of birth; a wrong answer is refused, nothing is lost."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from core.models import User
from members.models import Member
from members.services import RegistrationData, sponsor_become
from sponsors.services import sponsor_register_worker
from tests.conftest import VALID_NIK_WOMAN
from tests.core.helpers import last_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = "+6281299990000"


def test_worker_claims_the_membership_a_sponsor_registered_with_their_number(page, shoot, village_code):
    User.objects.create(username="p6281299990000", phone=PHONE)  # signed in once before, never registered
    sponsor = sponsor_become(user=User.objects.create(username="s", phone="+6281311112222"), name="Ibu Ani")
    member = sponsor_register_worker(sponsor=sponsor, relationship="household_helper", data=RegistrationData(
        nik=VALID_NIK_WOMAN, full_name="Siti Rahayu", birth_place="Jakarta", birth_date=dt.date(1990, 8, 17),
        gender="P", phone=PHONE, village_code=village_code, address_line="Jl. Melati 5", occupation_code="petani",
        income_base_idr=1_000_000, programs=["JKK", "JKM"], consent=True))
    assert member.user is None

    page.goto("/masuk/")
    page.locator("#id_phone").fill("0812 9999 0000")
    page.locator("main button.primary").click()
    expect(page.locator("#id_code")).to_be_visible()
    page.locator("#id_code").fill(last_code(PHONE))
    page.locator("main button.primary").click()
    # No membership in this account yet: the registration page says one waits for this number.
    claim_link = page.locator("main").get_by_role("link", name="Hubungkan kepesertaan saya")
    expect(claim_link).to_be_visible()
    expect(page.locator("main")).not_to_contain_text(member.kpj)
    shoot(page, "claim/01-waiting")
    claim_link.click()

    page.locator("#id_nik").fill(VALID_NIK_WOMAN)
    page.locator("#id_birth_date").fill("1990-08-18")
    page.get_by_role("button", name="Hubungkan kepesertaan saya").click()
    expect(page.locator("main [role=alert]")).to_contain_text("Kami tidak menemukan kepesertaan")
    expect(page.locator("#id_nik")).to_have_value(VALID_NIK_WOMAN)  # nothing typed is lost
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    shoot(page, "claim/02-refused")

    page.locator("#id_birth_date").fill("1990-08-17")
    page.get_by_role("button", name="Hubungkan kepesertaan saya").click()
    expect(page.locator(".messages")).to_contain_text(member.kpj)
    expect(page.locator("main")).to_contain_text(VALID_NIK_WOMAN)  # its owner sees the full NIK now
    assert Member.objects.get(pk=member.pk).user.phone == PHONE
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    shoot(page, "claim/03-member-home")
