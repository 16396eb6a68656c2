"""A worker registers on a 360-px phone in Chromium, in Indonesian and in English, and sees the card."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from core.money import format_idr
from members.models import Member
from reference.tariffs import tariff_quote
from tests.conftest import VALID_NIK_WOMAN
from tests.core.helpers import last_code as latest_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXT = {
    "id": {"register": "Daftar sekarang", "send": "Kirim kode", "confirm": "Konfirmasi", "next": "Lanjut",
           "back": "Kembali", "submit": "Daftarkan saya", "nik_error": "NIK tidak sesuai dengan tanggal lahir",
           "awaiting": "Menunggu pembayaran pertama", "card": "Tampilkan kartu saya"},
    "en": {"register": "Register now", "send": "Send code", "confirm": "Confirm", "next": "Continue",
           "back": "Back", "submit": "Register me", "nik_error": "NIK does not match the birth date",
           "awaiting": "Awaiting first payment", "card": "Show my card"},
}


def _walk(page, shoot, lang, phone_local, phone_e164):
    t = TEXT[lang]
    page.goto("/")
    if lang == "en":
        page.get_by_role("button", name="EN").click()
        expect(page.locator("html")).to_have_attribute("lang", "en")  # the page came back in English
    shoot(page, f"{lang}/01-home")
    page.get_by_role("link", name=t["register"]).click()

    page.locator("#id_phone").fill(phone_local)
    shoot(page, f"{lang}/02-phone")
    page.get_by_role("button", name=t["send"]).click()
    expect(page.locator("#id_code")).to_be_visible()  # the code is sent before this page answers
    page.locator("#id_code").fill(latest_code(phone_e164))
    shoot(page, f"{lang}/03-code")
    page.get_by_role("button", name=t["confirm"]).click()

    # Identity, first with a NIK whose birth-date digits disagree with the birth date.
    wrong_nik = VALID_NIK_WOMAN[:6] + "580890" + VALID_NIK_WOMAN[12:]
    page.locator("#id_nik").fill(wrong_nik)
    page.locator("#id_full_name").fill("Siti Rahayu")
    page.locator("#id_birth_place").fill("Jakarta")
    page.locator("#id_birth_date").fill("1990-08-17")
    page.locator("label", has=page.locator("input[value=P]")).click()
    page.get_by_role("button", name=t["next"]).click()
    error = page.locator("#id_nik_error")
    expect(error).to_contain_text(t["nik_error"])
    # Nothing typed is lost.
    expect(page.locator("#id_full_name")).to_have_value("Siti Rahayu")
    expect(page.locator("#id_birth_place")).to_have_value("Jakarta")
    expect(page.locator("#id_birth_date")).to_have_value("1990-08-17")
    expect(page.locator("input[value=P]")).to_be_checked()
    shoot(page, f"{lang}/04-identity-error")
    page.locator("#id_nik").fill(VALID_NIK_WOMAN)
    page.get_by_role("button", name=t["next"]).click()

    # Address: each list fills after the one above it is chosen (htmx in this browser).
    for level, code in (("province", "31"), ("regency", "31.74"), ("district", "31.74.01")):
        with page.expect_response(lambda r: r.url.endswith("/daftar/alamat/") and r.request.method == "POST"):
            page.locator(f"#id_{level}").select_option(code)
        expect(page.locator(".htmx-request, .htmx-settling, .htmx-swapping")).to_have_count(0)
    page.locator("#id_village").select_option("31.74.01.1001")
    page.locator("#id_address_line").fill("Jl. Melati No. 5 RT 02/RW 03")
    page.locator("#id_occupation").select_option("penjual-makanan")
    shoot(page, f"{lang}/05-address")
    page.get_by_role("button", name=t["next"]).click()

    page.locator("#id_income_base_idr").select_option("1000000")
    page.locator("#id_jht").check()
    shoot(page, f"{lang}/06-contribution")
    # Back and forward keeps the answers.
    page.get_by_role("button", name=t["back"]).click()
    expect(page.locator("#id_village")).to_have_value("31.74.01.1001")
    page.get_by_role("button", name=t["next"]).click()
    expect(page.locator("#id_income_base_idr")).to_have_value("1000000")
    expect(page.locator("#id_jht")).to_be_checked()
    page.get_by_role("button", name=t["next"]).click()

    # Review: the month's amount from the tariff table (Rp28.400 while PP 50/2025 halves JKK and JKM for traders).
    quote = tariff_quote(income_idr=1_000_000, programs=["JKK", "JKM", "JHT"], month=timezone.localdate(),
                         sector="trade")
    expect(page.locator("table.quote")).to_contain_text(format_idr(quote.total_idr, lang))
    shoot(page, f"{lang}/07-review")
    page.get_by_role("button", name=t["submit"]).click()
    expect(page.locator(".has-error input")).to_have_attribute("name", re.compile("consent"))
    page.locator("#id_consent").check()
    page.get_by_role("button", name=t["submit"]).click()

    expect(page.locator(".status")).to_contain_text(t["awaiting"])  # registered: the member's page answered
    member = Member.objects.get(user__phone=phone_e164)
    expect(page.locator("dl.facts")).to_contain_text(member.kpj)
    shoot(page, f"{lang}/08-member-home")
    page.get_by_role("link", name=t["card"]).click()
    expect(page.locator(".member-card")).to_contain_text(member.kpj)
    expect(page.locator(".qr svg")).to_have_count(1)
    shoot(page, f"{lang}/09-card")

    with page.expect_download() as download:
        page.get_by_role("link", name="PDF").click()
    assert download.value.suggested_filename == f"kartu-bpu-{member.kpj}.pdf"

    page.goto(f"/cek/{member.card_token}/")
    for part in (member.kpj, "S*** R*****"):
        expect(page.locator("main")).to_contain_text(part)
    expect(page.locator("main")).not_to_contain_text("Siti")
    shoot(page, f"{lang}/10-public-check")
    return member


@pytest.mark.parametrize("lang", ["id", "en"])
def test_worker_registers_on_a_phone(page, shoot, lang, settings):
    member = _walk(page, shoot, lang, "0812-3456-7890", "+6281234567890")
    assert member.status == "registered"
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"page scrolls sideways on a 360-px phone ({width}px)"


def test_registered_nik_offers_sign_in_without_revealing_the_member(page, shoot, registration_data):
    from core.models import User
    from enrollment.services import member_register

    owner = User.objects.create(username="p6281299998888", phone="+6281299998888")
    existing = member_register(data=registration_data(phone="+6281299998888"), user=owner, actor=owner)

    page.goto("/daftar/")
    page.locator("#id_phone").fill("081277776666")
    page.get_by_role("button", name="Kirim kode").click()
    expect(page.locator("#id_code")).to_be_visible()
    page.locator("#id_code").fill(latest_code("+6281277776666"))
    page.get_by_role("button", name="Konfirmasi").click()
    page.locator("#id_nik").fill(VALID_NIK_WOMAN)
    page.locator("#id_full_name").fill("Orang Lain")
    page.locator("#id_birth_place").fill("Bogor")
    page.locator("#id_birth_date").fill("1990-08-17")
    page.locator("input[value=P]").check()
    page.get_by_role("button", name="Lanjut").click()

    expect(page.locator("#id_nik_error")).to_contain_text("sudah terdaftar")
    text = page.locator("main").inner_text()
    assert existing.kpj not in text and "SITI" not in text.upper().replace("ORANG LAIN", "")
    shoot(page, "id/11-nik-registered")
    page.get_by_role("button", name="Masuk dengan nomor lain").click()
    expect(page).to_have_url(re.compile(r"/masuk/$"))
    expect(page.locator("#id_phone")).to_be_visible()
