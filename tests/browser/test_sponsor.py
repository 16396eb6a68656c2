"""SERTAKAN in a phone browser: a citizen becomes a sponsor, registers two workers and pays for both at once."""

import pytest
from playwright.sync_api import expect

from contributions.models import Bill, PaymentOrder
from members.models import Member
from tests.conftest import VALID_NIK_MAN, VALID_NIK_WOMAN
from tests.core.helpers import last_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _register(page, nik, name, birth, gender, phone, village_district, occupation, relationship):
    page.get_by_role("link", name="Daftarkan pekerja").first.click()
    page.locator("#id_nik").fill(nik)
    page.locator("#id_full_name").fill(name)
    page.locator("#id_birth_place").fill("Bandung")
    page.locator("#id_birth_date").fill(birth)
    page.locator(f"input[name=gender][value={gender}]").check()
    page.locator("#id_phone").fill(phone)
    page.locator(f"input[name=relationship][value={relationship}]").check()
    province, regency, district = village_district
    for level, code in (("province", province), ("regency", regency), ("district", district)):
        with page.expect_response(lambda r: "/penyantun/daftarkan/" in r.url and r.request.method == "POST"):
            page.locator(f"#id_{level}").select_option(code)
        expect(page.locator(".htmx-request, .htmx-settling, .htmx-swapping")).to_have_count(0)
    page.locator("#id_village").select_option(index=1)
    page.locator("#id_address_line").fill("Gg. Mawar 2")
    page.locator("#id_occupation").select_option(occupation)
    page.locator("#id_income_base_idr").select_option("1000000")
    page.locator("#id_consent").check()
    page.get_by_role("button", name="Daftarkan pekerja ini").click()
    # The same answer whether the NIK was new or already a member's (decisions.md, R).
    expect(page.locator(".messages")).to_contain_text("Kami sudah mengirim SMS kepada pekerja")


def test_sponsor_registers_two_workers_and_pays_for_both(page, shoot):
    page.goto("/")
    page.get_by_role("link", name="Lindungi pekerja di sekitar Anda (SERTAKAN)").click()
    page.locator("#id_phone").fill("0813 1111 2222")
    page.locator("main button.primary").click()
    expect(page.locator("#id_code")).to_be_visible()  # the code is sent before this page answers
    page.locator("#id_code").fill(last_code("+6281311112222"))
    page.locator("main button.primary").click()
    page.locator("#id_name").fill("Ibu Ani")
    page.get_by_role("button", name="Jadi penyantun").click()

    _register(page, VALID_NIK_WOMAN, "Siti Rahayu", "1990-08-17", "P", "0812 3456 7890",
              ("31", "31.74", "31.74.01"), "asisten-rumah-tangga", "household_helper")
    shoot(page, "sponsor/01-after-first")
    _register(page, VALID_NIK_MAN, "Budi Santoso", "1985-03-12", "L", "0857 1234 5678",
              ("32", "32.04", "32.04.05"), "sopir-pribadi", "private_driver")

    text = page.locator("main").inner_text()
    members = list(Member.objects.all())
    assert len(members) == 2
    for member in members:
        assert member.kpj in text and member.nik not in text and member.full_name not in text
    # Both are awaiting their first payment, so both are ticked.
    expect(page.locator("input[name=members]:checked")).to_have_count(2)
    page.locator("label", has=page.locator("input[name=months][value='3']")).click()
    shoot(page, "sponsor/02-dashboard")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.get_by_role("button", name="Bayar untuk pekerja yang dipilih").click()

    expect(page.locator("#va-number")).to_be_visible()  # the order page: the order exists
    order = PaymentOrder.objects.get()
    assert order.lines.count() == 2
    expect(page.locator("#va-number")).to_have_text(order.va_number)
    shoot(page, "sponsor/03-order")
    page.get_by_role("link", name="simulator").click()
    page.locator("form.sim-order.current button[type=submit]").click()
    expect(page.locator("h1")).to_contain_text("Pembayaran diterima")
    assert Bill.objects.filter(status="paid").count() == 6
    page.goto("/penyantun/")
    assert page.locator("main").inner_text().count("Aktif") == 2
    shoot(page, "sponsor/04-dashboard-paid")
