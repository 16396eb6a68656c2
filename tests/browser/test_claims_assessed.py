"""Benefits that are not read from the records alone, in real Chromium with the demo people of `make run`.

At 1280 px a branch officer verifies the demo worker's JKK disability claim from the doctor's statement (loss of
function of a part of the body: the table row and the share lost), then a JKK medical-costs claim from its invoices,
where the land transport is capped (docs/claims.md, "JKK benefits assessed from the documents"). At 360 px the demo
worker, a member for ten years, asks for 30 % of her JHT balance for housing: first on a phone with JavaScript
switched off (the branch rejects that request), then again with JavaScript, and after the branch's verification her
claim page shows the amount to be transferred (docs/claims.md, "JHT partial withdrawal").

The clock is pinned (tests/conftest.py's `clock` marker): the accident month, the ten years of membership and the
return of every year are the same whatever day the suite runs."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import timezone, translation
from playwright.sync_api import expect

from claims.models import Claim, ClaimStatus
from tests.browser import test_claims as claims_browser
from tests.browser.conftest import PHONE_VIEWPORT
from tests.browser.test_claim_scholarship import DESKTOP_VIEWPORT, desktop_page, membership_of_years
from tests.browser.test_claims import claims_reference, demo, fits, jpeg_file, pdf_file  # noqa: F401 - fixtures
from tests.core.helpers import last_code, pin_clock

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TODAY = dt.date(2026, 11, 16)  # a Monday
ACCIDENT_DAY, ACCIDENT_TIME = dt.date(2026, 11, 15), dt.time(7, 45)  # reported the next morning: in time
NOVEMBER_PAID_AT = dt.datetime(2026, 11, 2, 10, 0)  # the accident month was paid before the accident
ARM = ("lengan-kanan-bahu", "Lengan kanan dari sendi bahu ke bawah", 40)  # PP 44/2015 table row, 40 %
HOUSING = "JHT: pengambilan sebagian untuk perumahan (paling banyak 30 %)"


def demo_worker():
    """The registered worker `make run` creates (demo.accounts): Siti Rahayu, JKK, JKM and JHT on the lowest income,
    with her own phone account; the demo fixture creates the staff and the heir but not her."""
    from core.models import User
    from demo.accounts import WORKER_NIK, WORKER_PHONE, WORKER_VILLAGE
    from enrollment.services import member_register
    from members.services import RegistrationData

    user = User.objects.create(username="p" + WORKER_PHONE.lstrip("+"), phone=WORKER_PHONE)
    return member_register(
        data=RegistrationData(
            nik=WORKER_NIK, full_name="Siti Rahayu", birth_place="Jakarta", birth_date=dt.date(1990, 8, 17),
            gender="P", phone=WORKER_PHONE, village_code=WORKER_VILLAGE, address_line="Jl. Melati No. 5 RT 02/RW 03",
            occupation_code="penjual-makanan", income_base_idr=1_000_000, programs=["JKK", "JKM", "JHT"],
            consent=True),
        user=user, actor=None)


def month_paid(member, paid_at: dt.datetime) -> None:
    from tests.contributions.helpers import bills_mark_paid

    bills_mark_paid(member, f"{paid_at:%Y-%m}", paid_at=timezone.make_aware(paid_at))


def fits_desktop(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= DESKTOP_VIEWPORT["width"], page.url


def worker_sign_in(page) -> None:
    from demo.accounts import WORKER_PHONE

    page.goto("/masuk/")
    page.locator("#id_phone").fill("0812-0000-0001")
    page.locator("main button.primary").click()
    expect(page.locator("#id_code")).to_be_visible()  # the code is sent before this page answers
    page.locator("#id_code").fill(last_code(WORKER_PHONE))
    page.locator("main button.primary").click()
    expect(page).to_have_url(re.compile(r"/anggota/$"))  # signed in: the member's page answered


def jkk_claim(member, claim_type: str) -> Claim:
    """Filed by the worker with every required document (the filing page is walked in test_claims.py), the review
    started and every document ticked valid by the branch officer."""
    from claims.services import claim_document_review, claim_file, claim_review_start
    from core.models import User
    from tests.claims.claim_helpers import all_documents

    petugas = User.objects.get(username="petugas")
    claim = claim_file(
        claimant=member.user, member=member, claim_type=claim_type,
        bank={"bank_name": "BRI", "account_holder": "SITI RAHAYU", "account_number": "0123 4567 8901"},
        event={"date": ACCIDENT_DAY, "time": ACCIDENT_TIME, "place": "Pasar Tebet, lorong B",
               "description": "Tertimpa rak dagangan saat menata barang.", "commuting": False,
               "traffic_accident": False},
        documents=all_documents(claim_type))
    claim = claim_review_start(claim=claim, staff=petugas)
    for document in claim.documents.all():
        claim_document_review(document=document, staff=petugas, valid=True)
    return claim


@pytest.mark.clock(TODAY)
def test_staff_verify_jkk_benefits_from_the_documents(shoot, browser, live_server, demo):  # noqa: F811 - fixture
    from contributions.models import Bill
    from core.money import format_idr

    member = demo_worker()
    month_paid(member, NOVEMBER_PAID_AT)
    disability = jkk_claim(member, "jkk_disability")
    medical = jkk_claim(member, "jkk_medical")
    assert disability.status == medical.status == ClaimStatus.VERIFYING and not disability.reported_late
    # The income is the base billed for the accident month; the rupiah are worked out here, not read from the app.
    income = Bill.objects.get(member=member, month=ACCIDENT_DAY.replace(day=1)).income_base_idr
    code, part, percent = ARM
    lost = 50
    expected = income * lost * percent * 80 // (100 * 100)
    assert expected * 100 * 100 == income * lost * percent * 80  # exact: no rounding to think about
    csp_errors = []

    staff = desktop_page(browser, live_server)
    staff.on("console", lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None)
    claims_browser.staff_sign_in(staff, "petugas")
    expect(staff.locator("#queue")).to_contain_text(disability.number)
    staff.goto(f"/staf/klaim/{disability.pk}/")
    form = staff.locator("#verify-form")
    expect(form).to_contain_text("Surat keterangan dokter menyatakan")
    functional = form.get_by_role("radio", name="Cacat kekurangan fungsi anggota tubuh")
    part_1, lost_1 = staff.locator("#id_assess-part_1"), staff.locator("#id_assess-lost_1")
    expect(staff.locator("label[for=id_assess-part_1]")).to_have_text("Anggota tubuh (tabel PP 44/2015)")
    expect(staff.locator("label[for=id_assess-lost_1]")).to_have_text("Fungsi yang hilang (%)")
    functional.check()
    part_1.select_option(label=f"{part} ({percent} %)")
    fits_desktop(staff)
    form.scroll_into_view_if_needed()
    shoot(staff, "claims/40-staff-disability-form")

    # The share of function lost is missing: said next to that field; what was chosen stays chosen.
    staff.locator("#verify").click()
    error = staff.locator("#id_assess-lost_1_error")
    expect(error).to_have_text("Isi persentase fungsi yang hilang.")
    expect(staff.locator(".field", has=lost_1).locator(".error")).to_have_count(1)  # in the field's own box
    expect(staff.locator(".field.has-error")).to_have_count(1)  # and nowhere else
    expect(staff.locator("#status.badge-claim-verifying")).to_be_visible()
    expect(part_1).to_have_value(code)
    expect(form.get_by_role("radio", name="Cacat kekurangan fungsi anggota tubuh")).to_be_checked()
    expect(lost_1).to_have_value("")
    disability.refresh_from_db()
    assert disability.status == ClaimStatus.VERIFYING and disability.benefit_idr is None
    fits_desktop(staff)
    error.scroll_into_view_if_needed()
    shoot(staff, "claims/41-staff-disability-lost-missing")

    lost_1.fill(str(lost))
    staff.locator("#verify").click()
    expect(staff.locator("#status.badge-claim-verified")).to_be_visible()
    breakdown = staff.locator("#breakdown")
    line = breakdown.locator("tbody tr").filter(has_text=part)
    expect(line).to_have_count(1)
    expect(line.locator("th")).to_contain_text(
        f"{part}: fungsi hilang {lost} % × {percent} % × 80 × penghasilan bulanan yang dilaporkan "
        f"{format_idr(income, 'id')}")
    expect(line.locator("td")).to_have_text(format_idr(expected, "id"))
    expect(line.locator(".basis")).to_contain_text("PP 44/2015")
    expect(breakdown.locator("tfoot td")).to_have_text(format_idr(expected, "id"))
    expect(staff.locator("#actions")).to_contain_text(
        f"Baris tabel untuk {part} masih sementara: periksa terhadap PP 44/2015.")
    expect(staff.locator("#verify-form")).to_have_count(0)
    expect(staff.locator("#approve")).to_have_count(0)  # the verifier never approves
    disability.refresh_from_db()
    assert disability.status == ClaimStatus.VERIFIED and disability.benefit_idr == expected
    assert disability.breakdown["assessment"] == {"disability": "functional",
                                                  "parts": [{"code": code, "lost_percent": lost}]}
    fits_desktop(staff)
    breakdown.scroll_into_view_if_needed()
    shoot(staff, "claims/42-staff-disability-verified")

    # The medical-costs claim of the same accident: an invoice per row; land transport is paid up to its cap.
    staff.goto(f"/staf/klaim/{medical.pk}/")
    form = staff.locator("#verify-form")
    expect(form.locator("legend").filter(has_text="Tagihan 1")).to_be_visible()
    staff.locator("#id_assess-cost_1_kind").select_option(label="Perawatan medis (rumah sakit, klinik, obat)")
    staff.locator("#id_assess-cost_1_amount").fill("3.250.000")  # as printed on the invoice
    staff.locator("#id_assess-cost_1_reference").fill("RSUD-TEBET/2026/11/0457")
    staff.locator("#id_assess-cost_2_kind").select_option(label="Transportasi darat, sungai atau danau")
    staff.locator("#id_assess-cost_2_amount").fill("6000000")
    staff.locator("#id_assess-cost_2_reference").fill("AMB-0091")
    fits_desktop(staff)
    form.scroll_into_view_if_needed()
    shoot(staff, "claims/43-staff-medical-invoices")
    staff.locator("#verify").click()
    expect(staff.locator("#status.badge-claim-verified")).to_be_visible()
    breakdown = staff.locator("#breakdown")
    care = breakdown.locator("tbody tr").filter(has_text="Perawatan medis")
    expect(care.locator("th")).to_contain_text("Perawatan medis, jumlah tagihan: 1")
    expect(care.locator("td")).to_have_text("Rp3.250.000")
    transport = breakdown.locator("tbody tr").filter(has_text="Transportasi darat")
    expect(transport.locator("th")).to_contain_text(
        "Transportasi darat, sungai atau danau (Rp6.000.000, paling banyak Rp5.000.000)")
    expect(transport.locator("td")).to_have_text("Rp5.000.000")
    expect(breakdown.locator("tfoot td")).to_have_text("Rp8.250.000")
    expect(staff.locator("#actions")).to_contain_text("Tagihan Rp6.000.000: dibayar Rp5.000.000, batasnya Rp5.000.000.")
    medical.refresh_from_db()
    assert medical.status == ClaimStatus.VERIFIED and medical.benefit_idr == 8_250_000
    assert [(c["kind"], c["amount_idr"]) for c in medical.breakdown["assessment"]["costs"]] == [
        ("medical", 3_250_000), ("transport_land", 6_000_000)]
    fits_desktop(staff)
    breakdown.scroll_into_view_if_needed()
    shoot(staff, "claims/44-staff-medical-verified")
    assert csp_errors == []
    staff.context.close()


def file_housing_request(page, shoot, step: str) -> None:
    """From the claims menu to the housing request's page with its documents chosen (the same on both phones)."""
    page.goto("/klaim/ajukan/")
    expect(page.locator("h1")).to_have_text("Ajukan klaim")
    page.get_by_role("link", name=HOUSING).click()
    expect(page.locator("h1")).to_have_text(HOUSING)
    expect(page.locator("#partial-note")).to_contain_text("Sebagian saldo JHT Anda pada hari permohonan ini dikirim")
    expect(page.locator("input[name=event_date]")).to_have_attribute("type", "hidden")  # no date to type
    expect(page.locator("#documents label")).to_have_text([
        "Kartu peserta", "KTP peserta", "Perjanjian jual beli atau dokumen kredit bank untuk rumah",
        "NPWP (kartu Nomor Pokok Wajib Pajak)"])
    expect(page.locator("#id_doc_npwp_helptext")).to_contain_text(
        "Diperlukan bila saldo JHT Anda lebih dari Rp50.000.000")
    page.locator("#id_bank_name").select_option("BCA")
    page.locator("#id_account_holder").fill("SITI RAHAYU")
    page.locator("#id_account_number").fill("9876543210")
    page.locator("#id_doc_card").set_input_files(jpeg_file("kartu.jpg"))
    page.locator("#id_doc_ktp").set_input_files(jpeg_file("ktp.jpg", (160, 40, 40)))
    page.locator("#id_doc_housing").set_input_files(pdf_file("ppjb.pdf", "Perjanjian pengikatan jual beli rumah"))
    fits(page)
    shoot(page, step)
    page.locator("main button.primary").click()
    expect(page.locator("#claim-status")).to_be_visible()  # filed: the claim's own page answered


@pytest.mark.clock(TODAY)
def test_worker_asks_for_30_percent_of_jht_for_housing(page, shoot, browser, live_server, demo):  # noqa: F811
    from claims.benefits import jht_balance
    from claims.models import JhtReturnRate
    from claims.services import claim_approve, claim_document_review, claim_reject, claim_review_start, claim_verify
    from core.models import User
    from core.money import format_idr, round_idr

    member = demo_worker()
    month_paid(member, NOVEMBER_PAID_AT)
    membership_of_years(member, 10)  # a member since November 2016: ten whole years by today
    years = range(TODAY.year - 10, TODAY.year + 1)
    for year in years:  # a JHT balance needs the declared return of every year it spans
        JhtReturnRate.objects.create(year=year, percent=Decimal("5.50") + Decimal(year % 3) / 4,
                                     provisional=year == TODAY.year, source=f"Test: return declared for {year}")
    petugas, supervisor = User.objects.get(username="petugas"), User.objects.get(username="supervisor")
    # What she is owed, from the calculation itself: 30 % of the balance today (worked out before any request is
    # verified, since a verified withdrawal stops a balance being calculated again).
    balance = jht_balance(member=member, event_date=TODAY).total_idr
    assert balance > 121 * 20_000  # 121 months of 2 % of Rp1,000,000, plus ten years of returns
    expected = round_idr(Decimal("0.30") * balance)

    # First on a phone with JavaScript switched off: the same form, plain posts.
    context = browser.new_context(viewport=PHONE_VIEWPORT, java_script_enabled=False, base_url=live_server.url,
                                  locale="id-ID")
    nojs = context.new_page()
    nojs.set_default_timeout(15_000)
    worker_sign_in(nojs)
    file_housing_request(nojs, shoot, "claims/45-worker-housing-form-nojs")
    expect(nojs.locator("#claim-status .status-label")).to_have_text("Diajukan")
    first = Claim.objects.get()
    assert first.claim_type == "jht_partial_housing" and first.event_date == TODAY
    assert set(first.documents.values_list("kind", flat=True)) == {"card", "ktp", "housing"}
    fits(nojs)
    shoot(nojs, "claims/46-worker-housing-received-nojs")
    # The branch rejects that request (a rejected request does not count against "once").
    claim_reject(claim=first, staff=supervisor, reason="Perjanjian jual beli bukan atas nama peserta.")
    context.close()

    # In the afternoon she asks again from her own phone, with JavaScript (a new code: the minute between codes
    # has long passed).
    with pin_clock(dt.datetime.combine(TODAY, dt.time(14, 0))):
        csp_errors = []
        page.on("console", lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None)
        worker_sign_in(page)
        page.goto("/klaim/ajukan/")
        expect(page.get_by_role("link", name=HOUSING)).to_be_visible()
        fits(page)
        shoot(page, "claims/47-worker-claim-types")
        file_housing_request(page, shoot, "claims/48-worker-housing-form")
        status = page.locator("#claim-status")
        expect(status.locator(".status-label")).to_have_text("Diajukan")
        expect(status).to_contain_text("Klaim Anda sudah kami terima")
        claim = Claim.objects.exclude(pk=first.pk).get()
        expect(page).to_have_url(re.compile(re.escape(f"/klaim/{claim.number}/") + "$"))
        expect(page.locator("main")).to_contain_text(f"Klaim Anda {claim.number} sudah diajukan")
        expect(page.locator("#doc-housing")).to_contain_text("Diterima, belum diperiksa")
        assert claim.claim_type == "jht_partial_housing" and claim.event_date == TODAY
        assert claim.status == ClaimStatus.SUBMITTED and claim.account_number_masked == "****3210"
        assert set(claim.documents.values_list("kind", flat=True)) == {"card", "ktp", "housing"}
        fits(page)
        shoot(page, "claims/49-worker-housing-received")

        # The branch checks the papers, verifies and approves (the review pages: the first test, test_claims.py).
        with translation.override("id"):
            claim = claim_review_start(claim=claim, staff=petugas)
            for document in claim.documents.all():
                claim_document_review(document=document, staff=petugas, valid=True)
            claim = claim_verify(claim=claim, staff=petugas)
            claim = claim_approve(claim=claim, supervisor=supervisor)
        assert claim.status == ClaimStatus.APPROVED and claim.benefit_idr == expected and claim.refund_idr == 0

        page.reload()
        expect(page.locator("#claim-status.claim-status-approved")).to_be_visible()
        amount = page.locator("#amount")
        expect(amount.locator("h2")).to_have_text("Jumlah yang akan ditransfer")
        expect(amount.locator(".big")).to_have_text(format_idr(expected, "id"))
        expect(amount.locator("#breakdown tbody tr")).to_have_count(1)  # one line: the withdrawal
        expect(amount.locator("#breakdown tbody th")).to_have_text(
            f"Pengambilan sebagian: 30 % dari saldo JHT sebesar {format_idr(balance, 'id')}")
        expect(amount).to_contain_text(f"Saldo JHT pada {TODAY.day} November {TODAY.year}: {format_idr(balance, 'id')}")
        expect(amount).to_contain_text("Sisanya tetap tersimpan")
        fits(page)
        amount.scroll_into_view_if_needed()
        shoot(page, "claims/50-worker-housing-approved")
        assert csp_errors == []
