"""An organisation in a phone browser: signs up with email and password, confirms the address through the emailed
link, signs in, registers a worker, pays through the simulator and finds the receipt on its dashboard."""

import re

import pytest
from playwright.sync_api import expect

from contributions.models import Payment
from core.models import OutboxMessage
from members.models import Member
from tests.conftest import VALID_NIK_WOMAN

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EMAIL = "csr@majubersama.co.id"
PASSWORD = "Peduli-Pekerja-2026"


def _fits_the_phone(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, page.url


def _emailed_link(purpose):
    message = OutboxMessage.objects.filter(recipient=EMAIL, channel="email", purpose=purpose).order_by("-pk").first()
    assert message is not None
    return re.search(r"https?://[^/\s]+(/\S+)", message.body).group(1)


def test_organisation_signs_up_confirms_signs_in_registers_and_pays(page, shoot):
    page.goto("/masuk/")
    expect(page.locator("a[href='/penyantun/organisasi/masuk/']")).to_be_visible()
    page.goto("/")
    _fits_the_phone(page)
    shoot(page, "organisation/00-home")
    page.locator("a[href='/penyantun/organisasi/daftar/']").click()
    page.locator("#id_organisation_name").fill("PT Maju Bersama (CSR)")
    page.locator("#id_contact_name").fill("Dewi Lestari")
    page.locator("#id_email").fill(EMAIL)
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill("Peduli-Pekerja-2025")
    page.locator("main button.primary").click()
    # The mistake is shown at the field; everything but the passwords is still there.
    expect(page.locator("#id_password2_error")).to_be_visible()
    expect(page.locator("#id_organisation_name")).to_have_value("PT Maju Bersama (CSR)")
    expect(page.locator("#id_email")).to_have_value(EMAIL)
    expect(page.locator("#id_password1")).to_have_value("")
    _fits_the_phone(page)
    shoot(page, "organisation/01-signup-error")
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    page.locator("main button.primary").click()

    expect(page).to_have_url(re.compile(r"/penyantun/organisasi/cek-email/$"))
    _fits_the_phone(page)
    shoot(page, "organisation/02-check-email")
    # Not usable before the address is confirmed.
    page.goto("/penyantun/organisasi/masuk/")
    page.locator("#id_login").fill(EMAIL)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main button.primary").click()
    expect(page).to_have_url(re.compile(r"/penyantun/organisasi/cek-email/$"))

    page.goto(_emailed_link("email_confirmation_signup"))
    _fits_the_phone(page)
    shoot(page, "organisation/03-confirm")
    page.locator("main button.primary").click()
    expect(page).to_have_url(re.compile(r"/penyantun/organisasi/masuk/$"))
    page.locator("#id_login").fill(EMAIL)
    page.locator("#id_password").fill(PASSWORD)
    _fits_the_phone(page)
    shoot(page, "organisation/04-sign-in")
    page.locator("main button.primary").click()

    expect(page).to_have_url(re.compile(r"/penyantun/$"))
    expect(page.locator("main")).to_contain_text("PT Maju Bersama (CSR)")
    page.get_by_role("link", name="Daftarkan pekerja").first.click()
    page.locator("#id_nik").fill(VALID_NIK_WOMAN)
    page.locator("#id_full_name").fill("Siti Rahayu")
    page.locator("#id_birth_place").fill("Jakarta")
    page.locator("#id_birth_date").fill("1990-08-17")
    page.locator("input[name=gender][value=P]").check()
    page.locator("#id_phone").fill("0812 3456 7890")
    page.locator("input[name=relationship][value=regular_vendor]").check()
    for level, code in (("province", "31"), ("regency", "31.74"), ("district", "31.74.01")):
        with page.expect_response(lambda r: "/penyantun/daftarkan/" in r.url and r.request.method == "POST"):
            page.locator(f"#id_{level}").select_option(code)
        expect(page.locator(".htmx-request, .htmx-settling, .htmx-swapping")).to_have_count(0)
    page.locator("#id_village").select_option(index=1)
    page.locator("#id_address_line").fill("Pasar Tebet, kios 12")
    page.locator("#id_occupation").select_option("pedagang-pasar")
    page.locator("#id_income_base_idr").select_option("1000000")
    page.locator("#id_consent").check()
    page.get_by_role("button", name="Daftarkan pekerja ini").click()
    # The same answer whether the NIK was new or already a member's (decisions.md, R).
    expect(page.locator(".messages")).to_contain_text("Kami sudah mengirim SMS kepada pekerja")
    member = Member.objects.get()
    expect(page.locator("main")).to_contain_text(member.kpj)

    expect(page.locator("input[name=members]:checked")).to_have_count(1)
    page.locator("label", has=page.locator("input[name=months][value='3']")).click()
    page.get_by_role("button", name="Bayar untuk pekerja yang dipilih").click()
    page.get_by_role("link", name="simulator").click()
    page.locator("form.sim-order.current button[type=submit]").click()
    expect(page.locator("h1")).to_contain_text("Pembayaran diterima")

    payment = Payment.objects.get()
    page.goto("/penyantun/")
    receipt = page.locator(f"a[href='/anggota/bukti-bayar/{payment.receipt_number}/']")
    expect(receipt).to_be_visible()
    expect(page.locator(f"a[href='/anggota/bukti-bayar/{payment.receipt_number}.pdf']")).to_be_visible()
    _fits_the_phone(page)
    shoot(page, "organisation/05-dashboard-receipt")
    receipt.click()
    expect(page.locator("main")).to_contain_text(payment.receipt_number)
    _fits_the_phone(page)
    shoot(page, "organisation/06-receipt")

    page.get_by_role("button", name="Keluar").click()
    expect(page.locator("nav.nav")).to_have_count(0)
