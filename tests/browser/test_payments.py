"""A registered member pays 3 months through the simulated gateway and sees the receipt and active status;
the public calculator gives the right amounts in both languages."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from contributions.models import Bill, Payment
from core.money import format_idr
from reference.tariffs import tariff_quote
from tests.core.helpers import last_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(page, phone_local, phone_e164):
    page.goto("/masuk/")
    page.locator("#id_phone").fill(phone_local)
    page.locator("main button.primary").click()
    expect(page.locator("#id_code")).to_be_visible()  # the code is sent before this page answers
    page.locator("#id_code").fill(last_code(phone_e164))
    page.locator("main button.primary").click()
    expect(page).to_have_url(re.compile(r"/anggota/$"))


def test_member_pays_three_months_by_virtual_account(page, shoot, registration_data, worker_user):
    from enrollment.services import member_register

    member = member_register(data=registration_data(), user=worker_user, actor=worker_user)
    _sign_in(page, "0812-3456-7890", "+6281234567890")
    expect(page.locator(".status")).to_contain_text("Menunggu pembayaran pertama")

    page.locator("main").get_by_role("link", name="Bayar sekarang").click()
    page.locator("label", has=page.locator("input[name=months][value='3']")).click()
    # With JavaScript the breakdown follows the choice; wait for three months to be listed.
    expect(page.locator("#preview tbody tr").nth(2)).to_be_visible()
    months = [timezone.localdate().replace(day=1)]
    for _ in range(2):
        nxt = months[-1].replace(day=28) + timezone.timedelta(days=4)
        months.append(nxt.replace(day=1))
    expected = sum(tariff_quote(income_idr=1_000_000, programs=["JKK", "JKM", "JHT"], month=m, sector="transport")
                   .total_idr for m in months)
    expect(page.locator("#preview tfoot")).to_contain_text(format_idr(expected, "id"))
    shoot(page, "id/20-pay-choose")
    page.locator("#preview button[type=submit]").click()

    expect(page.locator("#va-number")).to_have_text(re.compile(r"^\s*8808\d{12}\s*$"))
    va = page.locator("#va-number").inner_text().strip()
    expect(page.locator(".qris svg")).to_have_count(1)
    shoot(page, "id/21-pay-instructions")

    page.get_by_role("link", name="simulator").click()
    form = page.locator("form.sim-order.current")
    expect(form).to_contain_text(va)
    shoot(page, "id/22-simulator")
    form.locator("button[type=submit]").click()

    expect(page.locator("h1")).to_contain_text("Pembayaran diterima")
    expect(page.locator(".status")).to_contain_text("Aktif")
    shoot(page, "id/23-paid")
    page.get_by_role("link", name="Lihat bukti bayar").click()
    payment = Payment.objects.get(member=member)  # paid before the page above said so
    assert payment.amount_idr == expected
    expect(page.locator("main")).to_contain_text(payment.receipt_number)
    assert Bill.objects.filter(member=member, status="paid").count() == 3
    shoot(page, "id/24-receipt")
    with page.expect_download() as download:
        page.get_by_role("link", name="PDF").click()
    assert download.value.suggested_filename == f"bukti-bayar-{payment.receipt_number}.pdf"

    page.goto("/anggota/")
    expect(page.locator(".status")).to_contain_text("Aktif")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


@pytest.mark.parametrize("lang", ["id", "en"])
def test_calculator_in_both_languages(page, shoot, lang):
    page.goto("/kalkulator/")
    if lang == "en":
        page.get_by_role("button", name="EN").click()
        expect(page.locator("html")).to_have_attribute("lang", "en")  # the page came back in English
    month = timezone.localdate().replace(day=1)
    page.locator("#id_income").select_option("20700000")
    page.locator("#id_jht").check()
    page.locator("#id_sector").select_option("transport")
    page.locator("#id_month").select_option(f"{month:%Y-%m}")
    page.locator("main form button[type=submit]").click()
    quote = tariff_quote(income_idr=20_700_000, programs=["JKK", "JKM", "JHT"], month=month, sector="transport")
    for amount in [quote.total_idr] + [line.amount_idr for line in quote.lines]:
        expect(page.locator("#quote")).to_contain_text(format_idr(amount, lang))
    shoot(page, f"{lang}/30-calculator")
    # Budget-funded members never get the discount.
    page.locator("#id_funding").select_option("apbd")
    page.locator("main form button[type=submit]").click()
    full = tariff_quote(income_idr=20_700_000, programs=["JKK", "JKM", "JHT"], month=month, sector="transport",
                        funding="apbd")
    expect(page.locator("#quote")).to_contain_text(format_idr(full.total_idr, lang))  # the new answer, not the old
    assert full.total_idr == 627_800
