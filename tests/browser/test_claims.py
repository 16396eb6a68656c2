"""A JKM death claim walked to *paid* in real Chromium at 360 px, with the demo data of `make run`: the heir signs in
with their own phone and files with photos and PDFs; branch staff check the documents and ask for one more; the heir
adds it; staff verify; the supervisor approves; staff record the transfer; the heir sees it paid."""

from __future__ import annotations

import io
import re

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.utils import timezone
from playwright.sync_api import expect

from claims.models import Claim, ClaimStatus, DocumentStatus
from core.models import Role, User
from tests.browser.conftest import PHONE_VIEWPORT
from tests.core.helpers import last_code, totp_code
from tests.seeding import claims_reference_data

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "a-long-test-password"
SECRETS = {"petugas": "JBSWY3DPEHPK3PXPPETUGASA", "supervisor": "JBSWY3DPEHPK3PXPSUPERVAA"}
WORKER_VILLAGE = "31.74.01.1001"


@pytest.fixture
def claims_reference(reference_data):

    claims_reference_data()


def jpeg_file(name: str, colour=(30, 90, 160)) -> dict:
    """A small real photo: a coloured card with a few stripes (what a phone would send, only smaller)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (640, 400), (245, 245, 240))
    draw = ImageDraw.Draw(image)
    draw.rectangle((20, 20, 620, 380), outline=colour, width=8)
    for y in range(80, 360, 40):
        draw.line((60, y, 580, y), fill=colour, width=6)
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=80)
    return {"name": name, "mimeType": "image/jpeg", "buffer": buf.getvalue()}


def pdf_file(name: str, text: str) -> dict:
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.drawString(72, 750, text)
    c.showPage()
    c.save()
    return {"name": name, "mimeType": "application/pdf", "buffer": buf.getvalue()}


def new_page(browser, live_server):
    context = browser.new_context(viewport=PHONE_VIEWPORT, device_scale_factor=1, is_mobile=True, has_touch=True,
                                  locale="id-ID", base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def fits(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, page.url


def staff_sign_in(page, username):
    page.goto("/staf/klaim/")
    page.locator("input[name=login]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    code_field = page.locator("input[name=code]")
    expect(code_field).to_be_visible()  # the code is taken only once its form is there: it must not go stale
    code_field.fill(totp_code(SECRETS[username]))
    page.locator("main form button[type=submit]").first.click()
    expect(code_field).to_have_count(0)  # signed in before the next page is asked for
    page.goto("/staf/klaim/")


def review(page, kind, *, valid=True, note=""):
    doc = page.locator(f"#doc-{kind}")
    doc.locator(f"input[value={'valid' if valid else 'invalid'}]").check()
    if note:
        doc.locator("input[name$=-note]").fill(note)
    doc.locator("button[type=submit]").click()
    expect(page.locator(f"#doc-{kind}.doc-{'valid' if valid else 'invalid'}")).to_be_attached()  # saved


@pytest.fixture
def demo(claims_reference, regions):
    """The demo staff (as `make run` creates them) and claims_demo_seed's heir and deceased member."""
    from demo.claims import claims_demo_seed

    for username, role in (("petugas", Role.BRANCH_STAFF), ("supervisor", Role.SUPERVISOR)):
        user = User.objects.create(username=username, role=role, first_name=username.title())
        user.set_password(PASSWORD)
        user.save()
        TOTP.activate(user, SECRETS[username])
    claims_demo_seed(worker_village=WORKER_VILLAGE)


def test_heir_files_a_jkm_claim_and_it_is_paid(page, shoot, browser, live_server, demo):
    from demo.claims import DECEASED_BIRTH, DECEASED_NIK, HEIR_PHONE
    from reference.duedates import add_months

    death = add_months(timezone.localdate().replace(day=1), -1).replace(day=10)
    csp_errors = []
    page.on("console", lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None)

    # The heir starts from the public home page and signs in with their own phone.
    page.goto("/")
    page.locator("a[href='/klaim/ahli-waris/']").first.click()
    expect(page).to_have_url(re.compile("/masuk/"))
    page.locator("#id_phone").fill("0812-0000-0005")
    page.locator("main button.primary").click()
    expect(page.locator("#id_code")).to_be_visible()  # the code is sent before this page answers
    page.locator("#id_code").fill(last_code(HEIR_PHONE))
    page.locator("main button.primary").click()
    expect(page).to_have_url(re.compile(r"/klaim/ahli-waris/$"))
    fits(page)
    shoot(page, "claims/01-heir-find")

    # A wrong birth date: a kind message that does not say whether the member exists; the input stays.
    page.locator("#id_kpj_or_nik").fill(DECEASED_NIK)
    page.locator("#id_birth_date").fill("1985-03-13")
    page.locator("main button.primary").click()
    expect(page.locator("#find-error")).to_be_visible()
    expect(page.locator("#id_kpj_or_nik")).to_have_value(DECEASED_NIK)
    shoot(page, "claims/02-heir-find-error")
    page.locator("#id_birth_date").fill(DECEASED_BIRTH.isoformat())
    page.locator("main button.primary").click()

    expect(page.locator("#deceased")).to_contain_text("B***")
    assert page.locator("#deceased").inner_text().count("B***") == 1  # only the masked name: B*** S******
    expect(page.locator("main")).not_to_contain_text("Budi")
    page.locator("#id_heir_name").fill("Sri Wahyuni")
    page.locator("#id_heir_nik").fill("3174015708900123")
    page.locator("#id_heir_relationship").select_option("spouse")
    page.locator("#id_event_date").fill(death.isoformat())
    page.locator("#id_bank_name").select_option("BRI")
    page.locator("#id_account_holder").fill("SRI WAHYUNI")
    page.locator("#id_account_number").fill("0123 4567 8901")
    files = {"card": jpeg_file("kartu.jpg"), "ktp": jpeg_file("ktp-almarhum.jpg"),
             "heir_ktp": jpeg_file("ktp-saya.jpg", (160, 40, 40)), "death_cert": pdf_file("akta.pdf", "Akta kematian"),
             "family_card": jpeg_file("kk.jpg", (20, 120, 60)), "heir_cert": pdf_file("waris.pdf", "Surat waris"),
             "marriage_book": pdf_file("nikah.pdf", "Buku nikah"), "bank_book": jpeg_file("tabungan.jpg")}
    for kind, file in files.items():
        page.locator(f"#id_doc_{kind}").set_input_files(file)
    assert page.locator("#id_doc_card").get_attribute("capture") == "environment"
    fits(page)
    shoot(page, "claims/03-heir-form")
    # First a day years before the membership: refused at once, next to the date, with what to do; nothing lost.
    page.locator("#id_event_date").fill(death.replace(year=death.year - 3).isoformat())
    page.locator("main button.primary").click()
    expect(page.locator("#id_event_date_error")).to_contain_text("tidak melindungi hari itu")
    expect(page.locator("#id_event_date_error")).to_contain_text("bukti bayarnya")
    expect(page.locator("#id_account_holder")).to_have_value("SRI WAHYUNI")
    expect(page.locator("#documents-held")).to_be_visible()
    assert not Claim.objects.exists()
    fits(page)
    shoot(page, "claims/03b-heir-day-not-covered")
    page.locator("#id_event_date").fill(death.isoformat())
    page.locator("main button.primary").click()

    expect(page.locator("#claim-status")).to_be_visible()  # filed: the claim's own page answered
    claim = Claim.objects.get()
    expect(page).to_have_url(re.compile(re.escape(f"/klaim/{claim.number}/") + "$"))
    assert claim.claim_type == "jkm_death" and claim.branch.code == "JKT-SEL" and claim.documents.count() == 8
    expect(page.locator("#checklist li").nth(7)).to_be_attached()  # at least 8
    fits(page)
    shoot(page, "claims/04-heir-status-submitted")

    # Branch staff (the demo petugas works for Jakarta Selatan) take it up from the queue.
    staff = new_page(browser, live_server)
    staff_sign_in(staff, "petugas")
    expect(staff.locator("#queue")).to_contain_text(claim.number)
    fits(staff)
    shoot(staff, "claims/05-staff-queue")
    staff.locator(f"#queue a:has-text('{claim.number}')").click()
    staff.locator("#start-review").click()
    expect(staff.locator("#status.badge-claim-verifying")).to_be_visible()
    expect(staff.locator("main")).not_to_contain_text("3174015708900123")  # the heir's NIK only masked
    document = claim.documents.get(kind="card")
    opened = staff.request.get(f"/staf/klaim/{claim.pk}/dokumen/{document.pk}/")
    assert opened.status == 200 and opened.headers["content-type"] == "image/jpeg"
    for kind in ("card", "ktp", "heir_ktp", "death_cert", "heir_cert", "marriage_book", "bank_book"):
        review(staff, kind)
    review(staff, "family_card", valid=False, note="Foto KK terpotong, kirim yang utuh")
    staff.locator("#request-box summary").click()
    staff.locator("#request-box input[value=family_card]").check()
    staff.locator("#request-box textarea").fill("Mohon kirim foto Kartu Keluarga yang utuh.")
    fits(staff)
    shoot(staff, "claims/06-staff-review")
    staff.locator("#request-documents").click()
    expect(staff.locator("#status.badge-claim-more_documents")).to_be_visible()
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.MORE_DOCUMENTS

    # The heir reads what is missing and adds it from the status page (no new claim).
    page.reload()
    expect(page.locator("#doc-family_card")).to_contain_text("Foto KK terpotong")
    expect(page.locator("#requested-note")).to_contain_text("Kartu Keluarga yang utuh")
    fits(page)
    shoot(page, "claims/07-heir-more-documents")
    page.locator("#file-family_card").set_input_files(jpeg_file("kk-utuh.jpg", (10, 60, 140)))
    page.locator("#add-family_card button").click()
    expect(page.locator("#claim-status.claim-status-verifying")).to_be_visible()
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.VERIFYING and Claim.objects.count() == 1

    # Staff check the new family card and verify: the benefit with its breakdown.
    staff.reload()
    review(staff, "family_card")
    assert claim.documents.filter(kind="family_card").latest("uploaded_at").status == DocumentStatus.VALID
    staff.locator("#verify").click()
    for amount in ("20.000.000", "12.000.000", "10.000.000"):
        expect(staff.locator("#breakdown")).to_contain_text(amount)
    expect(staff.locator("#approve")).to_have_count(0)  # the verifier never sees approve
    fits(staff)
    shoot(staff, "claims/08-staff-verified")

    # The supervisor approves.
    supervisor = new_page(browser, live_server)
    staff_sign_in(supervisor, "supervisor")
    supervisor.goto(f"/staf/klaim/{claim.pk}/")
    supervisor.locator("#approve").click()
    expect(supervisor.locator("#status.badge-claim-approved")).to_be_visible()
    fits(supervisor)
    shoot(supervisor, "claims/09-supervisor-approved")

    # Staff record the transfer.
    staff.reload()
    staff.locator("#id_transfer_reference").fill("BRI-TRF-20261121-0001")
    staff.locator("#record-payout").click()
    expect(staff.locator("#status.badge-claim-paid")).to_be_visible()
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PAID and claim.payout.amount_idr == 42_000_000
    shoot(staff, "claims/10-staff-paid")

    # The heir sees it paid, with the amount, the masked account and the reference.
    page.reload()
    expect(page.locator(".claim-status-paid")).to_be_visible()
    for part in ("42.000.000", "BRI-TRF-20261121-0001", "****8901"):
        expect(page.locator("#payout")).to_contain_text(part)
    expect(page.locator("main")).not_to_contain_text("0123 4567 8901")
    fits(page)
    shoot(page, "claims/11-heir-paid")
    page.goto("/klaim/")
    expect(page.locator("#claims")).to_contain_text(claim.number)
    fits(page)
    shoot(page, "claims/12-heir-list")
    assert csp_errors == []
    staff.context.close()
    supervisor.context.close()


def test_worker_files_an_accident_claim_and_staff_see_a_breach(page, shoot, browser, live_server, claims_reference,
                                                              registration_data, worker_user):
    """The worker's own JKK claim from the member page (an error keeps what was typed; a late report is accepted
    and flagged), in Indonesian and English; the queue marks a claim past its deadline in words, not only colour."""
    import datetime as dt

    from enrollment.services import member_register
    from reference.models import StaffBranch
    from tests.claims.claim_helpers import death_claim, paid_member
    from tests.contributions.helpers import bills_mark_paid

    member = member_register(data=registration_data(), user=worker_user, actor=worker_user)
    page.goto("/masuk/")
    page.locator("#id_phone").fill("0812-3456-7890")
    page.locator("main button.primary").click()
    expect(page.locator("#id_code")).to_be_visible()
    page.locator("#id_code").fill(last_code("+6281234567890"))
    page.locator("main button.primary").click()
    page.locator("main a[href='/klaim/']").click()
    expect(page).to_have_url(re.compile(r"/klaim/$"))
    fits(page)
    shoot(page, "claims/19-worker-claims")
    page.locator("#worker-types a[href$='jkk_medical']").click()
    expect(page.locator("#late-note")).to_be_visible()
    accident_day = timezone.localdate() - dt.timedelta(days=5)
    # Her month was paid the day before the accident (a day without cover is refused at filing: test_filing.py).
    bills_mark_paid(member, f"{accident_day:%Y-%m}", paid_at=timezone.make_aware(
        dt.datetime.combine(accident_day - dt.timedelta(days=1), dt.time(10))))
    page.locator("#id_event_date").fill(accident_day.isoformat())
    page.locator("#id_event_place").fill("Jl. Tebet Raya, depan pasar")
    page.locator("#id_event_description").fill("Terserempet mobil saat mengantar pesanan.")
    page.locator("label", has=page.locator("input[name=commuting][value=no]")).click()
    page.locator("label", has=page.locator("input[name=traffic_accident][value=yes]")).click()
    page.locator("#id_bank_name").select_option("BCA")
    page.locator("#id_account_holder").fill("SITI RAHAYU")
    page.locator("#id_account_number").fill("9876543210")
    page.locator("#id_doc_ktp").set_input_files(jpeg_file("ktp.jpg"))
    page.locator("main button.primary").click()  # the time is missing
    expect(page.locator("#id_event_time_error")).to_be_visible()
    expect(page.locator("#id_event_place")).to_have_value("Jl. Tebet Raya, depan pasar")
    expect(page.locator("#id_account_number")).to_have_value("9876543210")
    # The photo already sent is kept: the page says so next to it, and it is not chosen again.
    expect(page.locator("#documents-held")).to_be_visible()
    expect(page.locator("#id_doc_ktp_helptext")).to_contain_text("ktp.jpg")
    fits(page)
    shoot(page, "claims/20-worker-form-error")
    page.locator("#id_event_time").fill("07:45")
    page.locator("#id_doc_police").set_input_files(pdf_file("polisi.pdf", "Laporan polisi"))
    page.locator("main button.primary").click()
    expect(page.locator("#claim-status")).to_be_visible()  # filed: the claim's own page answered
    claim = Claim.objects.get(member=member)
    assert set(claim.documents.values_list("kind", flat=True)) == {"ktp", "police"}
    assert claim.reported_late and claim.traffic_accident and page.url.endswith(f"/klaim/{claim.number}/")
    page.locator("form.lang button[value=en]").click()
    expect(page.locator("#claim-status")).to_contain_text("What to do:")
    fits(page)
    shoot(page, "claims/21-worker-status-en")

    # A JKM claim whose documents were complete 20 days ago and is still not paid: late.
    late = death_claim(paid_member())
    Claim.objects.filter(pk=late.pk).update(documents_complete_at=timezone.now() - dt.timedelta(days=20))
    staff = new_page(browser, live_server)
    user = User.objects.create(username="petugas", role=Role.BRANCH_STAFF)
    user.set_password(PASSWORD)
    user.save()
    TOTP.activate(user, SECRETS["petugas"])
    StaffBranch.objects.create(user=user, branch=claim.branch)
    staff_sign_in(staff, "petugas")
    queue = staff.locator("#queue").inner_text()
    assert queue.index(claim.number) < queue.index(late.number)  # oldest first
    breached = staff.locator(".queue-item.breached")
    expect(breached).to_have_count(1)
    assert late.number in breached.inner_text()
    assert "TERLAMBAT" in breached.inner_text()  # said in words, the border only adds to it
    assert "dilaporkan terlambat" in queue
    fits(staff)
    shoot(staff, "claims/22-staff-queue-breach")
    staff.context.close()


def test_heir_files_without_javascript(browser, live_server, shoot, demo):
    """Plain forms and links: filing and adding a document work with JavaScript switched off."""
    from demo.claims import DECEASED_BIRTH, DECEASED_NIK, HEIR_PHONE
    from reference.duedates import add_months

    context = browser.new_context(viewport=PHONE_VIEWPORT, java_script_enabled=False, base_url=live_server.url,
                                  locale="id-ID")
    page = context.new_page()
    page.goto("/klaim/ahli-waris/")
    page.locator("#id_phone").fill("0812 0000 0005")
    page.locator("main button.primary").click()
    expect(page.locator("#id_code")).to_be_visible()
    page.locator("#id_code").fill(last_code(HEIR_PHONE))
    page.locator("main button.primary").click()
    page.locator("#id_kpj_or_nik").fill(DECEASED_NIK)
    page.locator("#id_birth_date").fill(DECEASED_BIRTH.isoformat())
    page.locator("main button.primary").click()
    page.locator("#id_heir_name").fill("Sri Wahyuni")
    page.locator("#id_heir_nik").fill("3174015708900123")
    page.locator("#id_heir_relationship").select_option("child")
    page.locator("#id_event_date").fill(add_months(timezone.localdate().replace(day=1), -1).isoformat())
    page.locator("#id_bank_name").select_option("BNI")
    page.locator("#id_account_holder").fill("SRI WAHYUNI")
    page.locator("#id_account_number").fill("123456")
    page.locator("#id_doc_death_cert").set_input_files(pdf_file("akta.pdf", "Akta kematian"))
    page.locator("main button.primary").click()
    expect(page.locator("#claim-status")).to_be_visible()
    claim = Claim.objects.get()
    assert claim.heir_relationship == "child" and claim.documents.get().kind == "death_cert"
    page.locator("#file-card").set_input_files(jpeg_file("kartu.jpg"))
    page.locator("#add-card button").click()
    expect(page.locator("#doc-card a")).to_be_visible()  # received: the page links to it
    assert claim.documents.count() == 2
    response = page.goto(page.locator("#doc-card a").get_attribute("href"))  # the claimant opens their document
    assert response.status == 200 and response.headers["content-type"] == "image/jpeg"
    context.close()
