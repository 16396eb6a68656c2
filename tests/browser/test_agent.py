"""A Perisai agent on a phone registers a market trader (the form starts at the agent's market) and takes cash."""

import re

import pytest
from playwright.sync_api import expect

from contributions.models import Bill, CashCollection
from core.models import Role, User
from members.models import Agent, AgentBody, Member
from reference.models import Region
from tests.conftest import VALID_NIK_MAN
from tests.core.helpers import last_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_agent_registers_a_trader_and_records_cash(page, shoot):
    village = Region.objects.filter(code__startswith="32.04.05.", level=4).order_by("code").first()
    user = User.objects.create(username="agent", phone="+6281200000002", role=Role.AGENT)
    Agent.objects.create(user=user, body=AgentBody.objects.create(name="Koperasi Pasar", kind="cooperative"),
                         market="Pasar Cileunyi", village=village)
    page.goto("/masuk/")
    page.locator("#id_phone").fill("0812 0000 0002")
    page.locator("main button.primary").click()
    expect(page.locator("#id_code")).to_be_visible()  # the code is sent before this page answers
    page.locator("#id_code").fill(last_code("+6281200000002"))
    page.locator("main button.primary").click()
    expect(page).to_have_url(re.compile("/agen/"))
    page.get_by_role("link", name="Daftarkan pedagang").click()
    # The address starts at the agent's market: nothing to choose there.
    expect(page.locator("#id_village")).to_have_value(village.code)
    page.locator("#id_nik").fill(VALID_NIK_MAN)
    page.locator("#id_full_name").fill("Budi Santoso")
    page.locator("#id_birth_place").fill("Bandung")
    page.locator("#id_birth_date").fill("1985-03-12")
    page.locator("input[name=gender][value=L]").check()
    page.locator("#id_phone").fill("0857 1234 5678")
    page.locator("#id_address_line").fill("Blok C no. 12")
    page.locator("#id_occupation").select_option("pedagang-pasar")
    page.locator("#id_income_base_idr").select_option("1000000")
    page.locator("#id_consent").check()
    shoot(page, "agent/01-register")
    page.get_by_role("button", name="Daftarkan pedagang ini").click()

    # Straight on to taking cash; the answer is the same whether the NIK was new or a member's, so the KPJ comes
    # from the trader's text message (or card), not from the page.
    expect(page.locator(".messages")).to_contain_text("Pedagang akan menerima SMS")
    member = Member.objects.get()
    assert member.agent.user == user and member.village == village
    expect(page.locator("#id_kpj")).to_have_value("")
    page.locator("#id_kpj").fill(member.kpj)
    page.locator("label", has=page.locator("input[name=months][value='3']")).click()
    page.get_by_role("button", name="Tampilkan jumlahnya").click()
    shoot(page, "agent/02-cash")
    page.locator("button[value=record]").click()
    expect(page.locator(".messages")).to_contain_text("tercatat")  # recorded before the rows are read
    collection = CashCollection.objects.get()
    assert Bill.objects.filter(member=member, status="paid").count() == 3
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    shoot(page, "agent/03-dashboard")
    page.get_by_role("link", name="Setorkan tunai").click()
    page.locator("#id_bank_reference").fill("BRI-0001")
    page.get_by_role("button", name="Catat setoran").click()
    expect(page.locator(".messages")).to_contain_text("Setoran tercatat")
    collection.refresh_from_db()
    assert collection.settlement.bank_reference == "BRI-0001"
