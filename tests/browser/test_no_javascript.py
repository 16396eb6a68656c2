"""Every worker-facing step works with JavaScript switched off: the address lists fill by a plain form post."""

import re

import pytest
from playwright.sync_api import expect

from core.models import User
from members.models import Member
from tests.conftest import VALID_NIK_MAN

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_registration_without_javascript(browser, live_server, reference_data, regions, shoot):
    context = browser.new_context(viewport={"width": 360, "height": 740}, java_script_enabled=False,
                                  base_url=live_server.url)
    page = context.new_page()
    user = User.objects.create(username="p6281311112222", phone="+6281311112222")
    # Sign in through the real code flow.
    page.goto("/masuk/")
    page.locator("#id_phone").fill("0813 1111 2222")
    page.locator("main button.primary").click()
    from tests.core.helpers import last_code as latest_code

    expect(page.locator("#id_code")).to_be_visible()  # the code is sent before this page answers
    page.locator("#id_code").fill(latest_code("+6281311112222"))
    page.locator("main button.primary").click()

    page.locator("#id_nik").fill(VALID_NIK_MAN)
    page.locator("#id_full_name").fill("Budi Santoso")
    page.locator("#id_birth_place").fill("Bandung")
    page.locator("#id_birth_date").fill("1985-03-12")
    page.locator("input[value=L]").check()
    page.locator("button[value=next]").click()

    refresh = page.locator("button[value=refresh]")
    expect(refresh, "without JavaScript the 'show next list' button must be visible").to_be_visible()
    page.locator("#id_address_line").fill("Kp. Cibiru RT 01/RW 04")
    for level, code in (("province", "32"), ("regency", "32.04"), ("district", "32.04.05")):
        page.locator(f"#id_{level}").select_option(code)
        refresh.click()
    village = page.locator("#id_village option").nth(1).get_attribute("value")
    page.locator("#id_village").select_option(village)
    # The street typed before the lists were refreshed is still there.
    expect(page.locator("#id_address_line")).to_have_value("Kp. Cibiru RT 01/RW 04")
    page.locator("#id_occupation").select_option("petani")
    shoot(page, "nojs/05-address")
    page.locator("button[value=next]").click()

    page.locator("#id_income_base_idr").select_option("2000000")
    page.locator("button[value=next]").click()
    page.locator("#id_consent").check()
    page.locator("button[value=next]").click()
    expect(page).to_have_url(re.compile(r"/anggota/$"))  # registered: the member's page answered

    member = Member.objects.get(user=user)
    assert member.village_id == village and member.occupation.code == "petani" and not member.has_jht
    expect(page.locator("main")).to_contain_text(member.kpj)
    context.close()
