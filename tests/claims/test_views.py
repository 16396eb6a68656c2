"""Claim pages through the test client: each page in Indonesian and English, form errors next to their field with
the input kept, the permission matrix by URL, the staff review actions, and the demo data."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from claims.models import Claim, ClaimDocument, ClaimStatus, DocumentStatus
from claims.services import claim_documents_request
from core.models import Role
from core.money import format_idr
from tests.claims.claim_helpers import (
    BANK,
    HEIR_NIK,
    all_valid,
    death_claim,
    jpeg,
    paid_member,
    pdf,
    staff_make,
    user_make,
    walk,
)
from tests.core.helpers import field_errors, staff_login

pytestmark = pytest.mark.django_db


def login(client, user, language="en"):
    if user.role in (Role.BRANCH_STAFF, Role.SUPERVISOR, Role.ADMIN):
        staff_login(client, user)
    else:
        client.force_login(user)
    client.cookies["bpu_lang"] = language
    return client


@pytest.fixture
def member():
    return paid_member()


@pytest.fixture
def heir_user():
    return user_make(phone="+6281355550001")


@pytest.fixture
def claim(member, heir_user):
    return death_claim(member, heir_user)


@pytest.fixture
def staff():
    return staff_make(name="Petugas Satu")


@pytest.fixture
def supervisor():
    return staff_make(Role.SUPERVISOR, name="Supervisor Satu")


# --- pages render in both languages ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("language", "words"), [("id", ["Klaim saya", "Ajukan klaim sebagai ahli waris"]),
                                                 ("en", ["My claims", "Claim as an heir"])])
def test_claim_list_in_both_languages(client, claim, heir_user, language, words):
    html = login(client, heir_user, language).get("/klaim/").content.decode()
    assert f'lang="{language}"' in html and claim.number in html
    for word in words:
        assert word in html


@pytest.mark.parametrize(("language", "word"), [("id", "Status"), ("en", "What to do:")])
def test_status_page_in_both_languages(client, claim, heir_user, language, word):
    response = login(client, heir_user, language).get(f"/klaim/{claim.number}/")
    html = response.content.decode()
    assert response.status_code == 200 and word in html and claim.number in html


@pytest.mark.parametrize("language", ["id", "en"])
def test_filing_pages_render(client, member, language):
    worker = user_make()
    member.user = worker
    member.save()
    login(client, worker, language)
    choose = client.get("/klaim/ajukan/")
    assert choose.status_code == 200 and "?jenis=jkk_medical" in choose.content.decode()
    form = client.get("/klaim/ajukan/?jenis=jkk_medical").content.decode()
    assert 'name="event_time"' in form and 'name="traffic_accident"' in form
    assert 'accept="image/*,application/pdf"' in form and 'capture="environment"' in form
    assert "2×24" in form
    jht = client.get("/klaim/ajukan/?jenis=jht_leaving").content.decode()
    assert 'name="event_time"' not in jht and 'name="doc_passport"' in jht
    heir = client.get("/klaim/ahli-waris/").content.decode()
    assert 'name="kpj_or_nik"' in heir


@pytest.mark.parametrize("language", ["id", "en"])
def test_staff_pages_render(client, claim, staff, language):
    login(client, staff, language)
    queue = client.get("/staf/klaim/").content.decode()
    assert claim.number in queue
    page = client.get(f"/staf/klaim/{claim.pk}/").content.decode()
    assert claim.number in page and 'id="eligibility"' in page and HEIR_NIK not in page


def test_staff_page_masks_the_heir_nik_and_shows_the_checks(client, claim, staff):
    html = login(client, staff).get(f"/staf/klaim/{claim.pk}/").content.decode()
    assert HEIR_NIK not in html
    assert HEIR_NIK[:4] in html.split('id="heir-nik">')[1][:40]  # masked: the first digits, then stars
    assert "Passed" in html and "no heir comes before them" in html
    assert "0123 4567 8901 234" not in html and "****1234" in html


# --- filing through the pages ----------------------------------------------------------------------------------------


def test_worker_files_a_jkk_claim_and_errors_keep_the_input(client, member):
    worker = user_make()
    member.user = worker
    member.save()
    login(client, worker)
    post = {"claim_type": "jkk_medical", "event_date": "2026-08-10", "event_place": "Pasar Minggu",
            "event_description": "Terjatuh dari motor", "commuting": "yes", "traffic_accident": "no",
            "bank_name": "BRI", "account_holder": "PESERTA", "account_number": "0123456789"}
    response = client.post("/klaim/ajukan/?jenis=jkk_medical", post)
    html = response.content.decode()
    assert response.status_code == 200 and Claim.objects.count() == 0
    assert "Please enter the time" in field_errors(html, "event_time")
    assert 'value="Pasar Minggu"' in html and "Terjatuh dari motor" in html and 'value="0123456789"' in html
    response = client.post("/klaim/ajukan/?jenis=jkk_medical", {**post, "event_time": "07:30",
                                                                 "doc_ktp": jpeg(), "doc_doctor": pdf()})
    claim = Claim.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/klaim/{claim.number}/"
    assert claim.reported_late and claim.commuting is True and claim.traffic_accident is False
    assert set(claim.documents.values_list("kind", flat=True)) == {"ktp", "doctor"}


def test_a_refused_file_is_named_next_to_its_input(client, member):
    worker = user_make()
    member.user = worker
    member.save()
    login(client, worker)
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile("ktp.jpg", b"MZ\x90\x00 not a photo", content_type="image/jpeg")
    html = client.post("/klaim/ajukan/?jenis=jht_age", {
        "claim_type": "jht_age", "event_date": "2030-06-01", "bank_name": "BRI", "account_holder": "PESERTA",
        "account_number": "0123456789", "doc_ktp": fake}).content.decode()
    assert "not a photo or a PDF" in field_errors(html, "doc_ktp") and Claim.objects.count() == 0
    assert 'id="documents-held"' not in html  # nothing passed its checks, so nothing is said to be kept


def test_heir_lookup_does_not_say_whether_the_member_exists(client, member, heir_user):
    login(client, heir_user)
    wrong_date = client.post("/klaim/ahli-waris/", {"claim_type": "jkm_death", "kpj_or_nik": member.kpj,
                                                    "birth_date": "1990-08-18"}).content.decode()
    no_member = client.post("/klaim/ahli-waris/", {"claim_type": "jkm_death", "kpj_or_nik": "19999999999",
                                                   "birth_date": "1990-08-17"}).content.decode()
    message = "We could not match this number and date of birth"
    assert message in wrong_date and message in no_member
    assert member.masked_name not in wrong_date and 'value="19999999999"' in no_member


def test_heir_lookups_are_limited(client, member, heir_user):
    login(client, heir_user)
    for _ in range(10):
        client.post("/klaim/ahli-waris/", {"claim_type": "jkm_death", "kpj_or_nik": "19999999999",
                                           "birth_date": "1990-08-17"})
    html = client.post("/klaim/ahli-waris/", {"claim_type": "jkm_death", "kpj_or_nik": member.kpj,
                                              "birth_date": "1990-08-17"}).content.decode()
    assert "Too many tries" in html


def test_heir_files_a_jkm_claim_in_two_steps(client, member, heir_user):
    login(client, heir_user)
    step1 = client.post("/klaim/ahli-waris/", {"claim_type": "jkm_death", "kpj_or_nik": member.kpj,
                                               "birth_date": "1990-08-17"})
    assert step1.status_code == 302 and step1["Location"] == "/klaim/ahli-waris/data/"
    page = client.get("/klaim/ahli-waris/data/").content.decode()
    assert member.masked_name in page and member.full_name not in page and "doc_marriage_book" in page
    post = {"heir_name": "Siti Aminah", "heir_nik": "1234", "heir_relationship": "spouse",
            "event_date": "2026-05-20", **BANK}
    html = client.post("/klaim/ahli-waris/data/", post).content.decode()
    assert "16 digits" in field_errors(html, "heir_nik")
    assert 'value="Siti Aminah"' in html and 'value="2026-05-20"' in html
    response = client.post("/klaim/ahli-waris/data/", {**post, "heir_nik": HEIR_NIK, "doc_death_cert": pdf(),
                                                       "doc_heir_ktp": jpeg()})
    claim = Claim.objects.get()
    assert response["Location"] == f"/klaim/{claim.number}/"
    assert (claim.claimant, claim.heir_relationship, claim.event_date) == (heir_user, "spouse", dt.date(2026, 5, 20))
    assert claim.documents.count() == 2
    assert client.get("/klaim/ahli-waris/data/")["Location"] == "/klaim/ahli-waris/"  # the step is done


def test_heir_of_a_work_accident_death_gives_the_accident(client, member, heir_user):
    login(client, heir_user)
    client.post("/klaim/ahli-waris/", {"claim_type": "jkk_death", "kpj_or_nik": member.kpj,
                                       "birth_date": "1990-08-17"})
    page = client.get("/klaim/ahli-waris/data/").content.decode()
    assert "Date of the accident" in page and 'name="event_time"' in page and "Was the participant" in page
    post = {"heir_name": "Siti Aminah", "heir_nik": HEIR_NIK, "heir_relationship": "child",
            "event_date": "2026-08-10", "event_place": "Jl. Gatot Subroto", "event_description": "Tertabrak truk",
            "commuting": "yes", "traffic_accident": "yes", **BANK}
    html = client.post("/klaim/ahli-waris/data/", post).content.decode()
    assert "Please enter the time" in field_errors(html, "event_time") and 'value="Jl. Gatot Subroto"' in html
    client.post("/klaim/ahli-waris/data/", {**post, "event_time": "06:10", "doc_police": pdf()})
    claim = Claim.objects.get()
    assert (claim.claim_type, claim.commuting, claim.traffic_accident) == ("jkk_death", True, True)
    assert claim.documents.get().kind == "police"


def test_heir_order_is_checked_next_to_the_relationship(client, member, heir_user):
    death_claim(member, user_make(), relationship="child")
    login(client, heir_user)
    client.post("/klaim/ahli-waris/", {"claim_type": "jht_death", "kpj_or_nik": member.kpj,
                                       "birth_date": "1990-08-17"})
    html = client.post("/klaim/ahli-waris/data/", {
        "heir_name": "Ibu", "heir_nik": HEIR_NIK, "heir_relationship": "parent", "event_date": "2030-05-20",
        **BANK}).content.decode()
    assert "come first" in field_errors(html, "heir_relationship")


def test_claimant_adds_a_missing_document_without_refiling(client, member, heir_user, staff):
    claim = death_claim(member, heir_user, documents=False)
    login(client, heir_user)
    page = client.get(f"/klaim/{claim.number}/").content.decode()
    assert 'id="add-death_cert"' in page
    empty = client.post(f"/klaim/{claim.number}/dokumen/", {"kind": "death_cert"})
    assert empty["Location"].endswith("#add-death_cert")
    assert "Please choose a photo or PDF" in client.get(f"/klaim/{claim.number}/").content.decode()
    client.post(f"/klaim/{claim.number}/dokumen/", {"kind": "death_cert", "file": pdf()})
    assert Claim.objects.count() == 1 and claim.documents.get().kind == "death_cert"
    html = client.get(f"/klaim/{claim.number}/").content.decode()
    assert 'id="add-death_cert"' not in html and "Received, not checked yet" in html


def test_requested_document_shows_the_branch_note_and_adding_it_resumes(client, claim, heir_user, staff):
    from claims.services import claim_document_review, claim_review_start

    claim_review_start(claim=claim, staff=staff)
    card = claim.documents.get(kind="card")
    claim_document_review(document=card, staff=staff, valid=False, note="Foto kartu buram")
    claim_documents_request(claim=claim, staff=staff, kinds=["card"], note="Kirim foto kartu yang jelas")
    login(client, heir_user)
    html = client.get(f"/klaim/{claim.number}/").content.decode()
    assert "Foto kartu buram" in html and "Kirim foto kartu yang jelas" in html and 'id="add-card"' in html
    client.post(f"/klaim/{claim.number}/dokumen/", {"kind": "card", "file": jpeg()})
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.VERIFYING


# --- permissions by URL ---------------------------------------------------------------------------------------------


def test_anonymous_is_sent_to_sign_in(client, claim):
    document = claim.documents.first()
    for url in ("/klaim/", "/klaim/ajukan/", "/klaim/ahli-waris/", f"/klaim/{claim.number}/",
                f"/klaim/{claim.number}/dokumen/{document.pk}/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/masuk/?next="), url
    staff_page = client.get(f"/staf/klaim/{claim.pk}/")
    assert staff_page.status_code == 302 and staff_page["Location"].startswith("/akun/login/")


def test_a_claimant_cannot_open_another_claim_or_its_documents(client, claim):
    document = claim.documents.first()
    other = user_make()
    login(client, other)
    assert client.get(f"/klaim/{claim.number}/").status_code == 404
    assert client.get(f"/klaim/{claim.number}/dokumen/{document.pk}/").status_code == 404
    assert client.post(f"/klaim/{claim.number}/dokumen/", {"kind": "card", "file": jpeg()}).status_code == 404
    assert client.get("/staf/klaim/").status_code == 403
    assert client.get(f"/staf/klaim/{claim.pk}/dokumen/{document.pk}/").status_code == 403


def test_the_claimant_opens_their_own_document(client, claim, heir_user):
    document = claim.documents.order_by("id").first()
    response = login(client, heir_user).get(f"/klaim/{claim.number}/dokumen/{document.pk}/")
    assert response.status_code == 200 and response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == document.content_type
    # The right document under another claim's number is not found.
    mine = death_claim(paid_member(), heir_user)
    assert client.get(f"/klaim/{mine.number}/dokumen/{document.pk}/").status_code == 404


def test_staff_of_another_branch_get_404(client, claim):
    document = claim.documents.first()
    elsewhere = staff_make(branch="JKT-PST")
    login(client, elsewhere)
    assert client.get(f"/staf/klaim/{claim.pk}/").status_code == 404
    assert client.post(f"/staf/klaim/{claim.pk}/", {"action": "start"}).status_code == 404
    assert client.get(f"/staf/klaim/{claim.pk}/dokumen/{document.pk}/").status_code == 404
    assert client.get(f"/klaim/{claim.number}/dokumen/{document.pk}/").status_code == 404
    assert claim.number not in client.get("/staf/klaim/").content.decode()
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.SUBMITTED


def test_staff_of_the_branch_open_the_document_and_admins_see_every_branch(client, claim, staff):
    document = claim.documents.first()
    login(client, staff)
    assert client.get(f"/staf/klaim/{claim.pk}/dokumen/{document.pk}/").status_code == 200
    admin = user_make(role=Role.ADMIN)
    login(client, admin)
    assert client.get(f"/staf/klaim/{claim.pk}/").status_code == 200
    queue = client.get("/staf/klaim/").content.decode()
    assert claim.number in queue and "All branches" in queue


def test_staff_without_a_branch_are_told_and_see_no_claim(client, claim):
    unassigned = staff_make(branch=None)
    login(client, unassigned)
    response = client.get("/staf/klaim/", follow=True)
    assert "not assigned to a branch yet" in response.content.decode() and claim.number not in response.content.decode()
    assert client.get(f"/staf/klaim/{claim.pk}/").status_code == 404


def test_the_verifier_does_not_see_approve_and_a_forced_post_is_refused(client, claim, supervisor):
    claim = walk(claim, to=ClaimStatus.VERIFIED, staff=supervisor)
    login(client, supervisor)
    html = client.get(f"/staf/klaim/{claim.pk}/").content.decode()
    assert 'id="approve"' not in html and "another supervisor approves it" in html
    response = client.post(f"/staf/klaim/{claim.pk}/", {"action": "approve"}, follow=True)
    assert "You verified this claim: another supervisor must approve it." in response.content.decode()
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.VERIFIED and claim.decided_by is None


def test_branch_staff_cannot_approve_even_by_a_forced_post(client, claim, staff):
    claim = walk(claim, to=ClaimStatus.VERIFIED)
    login(client, staff)
    assert 'id="approve"' not in client.get(f"/staf/klaim/{claim.pk}/").content.decode()
    html = client.post(f"/staf/klaim/{claim.pk}/", {"action": "approve"}, follow=True).content.decode()
    assert "Your role may not do this." in html
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.VERIFIED


# --- the review through the staff page ------------------------------------------------------------------------------


def test_staff_review_to_paid_through_the_page(client, claim, staff, supervisor, heir_user):
    login(client, staff)
    url = f"/staf/klaim/{claim.pk}/"
    client.post(url, {"action": "start"})
    card = claim.documents.get(kind="card")
    # Asking for another without a note: the error sits by that document's note, nothing changes.
    html = client.post(url, {"action": "document", "document": card.pk, f"d{card.pk}-verdict": "invalid",
                             f"d{card.pk}-note": ""}).content.decode()
    assert "Tell the claimant what is wrong" in html
    card.refresh_from_db()
    assert card.status == DocumentStatus.PENDING
    client.post(url, {"action": "document", "document": card.pk, f"d{card.pk}-verdict": "invalid",
                      f"d{card.pk}-note": "Buram"})
    html = client.post(url, {"action": "request", "note": ""}).content.decode()
    assert "Choose at least one document." in field_errors(html, "kinds")
    client.post(url, {"action": "request", "kinds": ["card"], "note": "Kirim ulang kartu"})
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.MORE_DOCUMENTS
    from claims.services import claim_document_add

    claim_document_add(claim=claim, user=heir_user, kind="card", upload=jpeg())
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.VERIFYING
    all_valid(claim, staff)
    client.post(url, {"action": "verify"})
    html = client.get(url).content.decode()
    claim.refresh_from_db()
    breakdown = html.split('id="breakdown"')[1].split("</table>")[0]
    assert claim.benefit_idr == 42_000_000 and claim.refund_idr > 0  # the months paid after the death come back
    for amount in (20_000_000, 12_000_000, 10_000_000, 42_000_000, claim.refund_idr,
                   claim.benefit_idr + claim.refund_idr):
        assert format_idr(amount) in breakdown
    login(client, supervisor)
    assert 'id="approve"' in client.get(url).content.decode()
    client.post(url, {"action": "approve"})
    html = client.post(url, {"action": "payout", "transfer_reference": "", "paid_on": "2030-06-14"}).content.decode()
    assert "transfer reference" in field_errors(html, "transfer_reference").lower()
    assert 'value="2030-06-14"' in html
    client.post(url, {"action": "payout", "transfer_reference": "TRF-0001", "paid_on": "2030-06-14"})
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PAID and claim.payout.transfer_reference == "TRF-0001"
    login(client, heir_user)
    html = client.get(f"/klaim/{claim.number}/").content.decode()
    assert 'id="payout"' in html and "TRF-0001" in html and "****1234" in html
    assert format_idr(claim.payout.amount_idr) in html.split('id="payout-amount"')[1][:40]
    history = html.split('id="history"')[1]
    assert "Claim filed" in history and "Paid" in history and "Petugas Satu" not in history


def test_reject_needs_a_reason_and_the_claimant_reads_it(client, claim, supervisor, heir_user):
    login(client, supervisor)
    url = f"/staf/klaim/{claim.pk}/"
    html = client.post(url, {"action": "reject", "reason": ""}).content.decode()
    assert "A rejection needs a reason." in field_errors(html, "reason")
    client.post(url, {"action": "reject", "reason": "Peserta masih hidup"})
    login(client, heir_user)
    html = client.get(f"/klaim/{claim.number}/").content.decode()
    assert "Peserta masih hidup" in html and "Rejected" in html


def test_queue_filters_and_sla(client, member, staff):
    claim = death_claim(member)
    jkk = paid_member()
    jkk.user = user_make()
    jkk.save()
    from claims.services import claim_file
    from tests.claims.claim_helpers import accident

    other = claim_file(claimant=jkk.user, member=jkk, claim_type="jkk_medical", event=accident("2026-08-10"),
                       bank=BANK)
    login(client, staff)
    html = client.get("/staf/klaim/").content.decode()
    assert html.index(claim.number) < html.index(other.number)  # oldest first
    assert "2 claims" in html and "reported late" in html
    only = client.get("/staf/klaim/?type=jkk_medical").content.decode()
    assert other.number in only and claim.number not in only
    assert claim.number not in client.get("/staf/klaim/?status=paid").content.decode()
    assert client.get("/staf/klaim/?type=nonsense&age=x").status_code == 200  # a bad filter shows all
    from django.utils import timezone

    Claim.objects.filter(pk=claim.pk).update(documents_complete_at=timezone.now() - dt.timedelta(days=20))
    html = client.get("/staf/klaim/").content.decode()
    assert "LATE" in html and "past its service deadline" in html


def test_links_to_claims_from_existing_pages(client, member, staff):
    assert "/klaim/ahli-waris/" in client.get("/").content.decode()
    assert "/klaim/ahli-waris/" in client.get("/masuk/").content.decode()
    login(client, staff)
    assert "/staf/klaim/" in client.get("/staf/").content.decode()


def test_an_heir_without_membership_returns_to_the_claims(client, claim, heir_user):
    login(client, heir_user)
    assert client.get("/masuk/lanjut/")["Location"] == "/klaim/"


# --- demo data ------------------------------------------------------------------------------------------------------


def test_demo_seed_puts_staff_on_the_branch_and_gives_the_heir_a_claimable_member(regions):
    from django.utils import timezone

    from claims.eligibility import claim_eligibility
    from claims.selectors import member_for_heir
    from claims.services import claim_file
    from core.models import User
    from demo.accounts import demo_accounts_text, demo_seed
    from demo.claims import DECEASED_BIRTH, DECEASED_NIK, HEIR_PHONE
    from reference.duedates import add_months

    # The demo's months are paid up to "now", the claims tests' pinned day (dates and timestamps moved together).
    today = timezone.localdate()
    demo_seed()
    demo_seed()  # idempotent
    petugas = User.objects.get(username="petugas")
    assert petugas.staff_branch.branch.code == "JKT-SEL"
    assert User.objects.get(username="supervisor").staff_branch.branch.code == "JKT-SEL"
    deceased = member_for_heir(kpj_or_nik=DECEASED_NIK, birth_date=DECEASED_BIRTH)
    assert deceased is not None and deceased.bills.filter(status="paid").count() == 6
    death = add_months(today.replace(day=1), -1).replace(day=10)  # "any day last month"
    with translation.override("en"):
        result = claim_eligibility(member=deceased, claim_type="jkm_death", event_date=death, heir="spouse")
    assert result.eligible and "full death benefit" in result.checks[2].message
    heir = User.objects.get(phone=HEIR_PHONE)
    claim = claim_file(claimant=heir, member=deceased, claim_type="jkm_death", event={"date": death}, bank=BANK,
                       heir={"name": "SRI", "nik": HEIR_NIK, "relationship": "spouse"})
    assert claim.branch.code == "JKT-SEL"
    text = demo_accounts_text()
    assert "0812-0000-0005" in text and deceased.kpj in text
    assert ClaimDocument.objects.count() == 0


def test_abandoned_heir_lookup_leaves_no_clear_nik_in_the_session_table(client, member, heir_user):
    from django.contrib.sessions.models import Session

    from core.nik import nik_blind_index
    from members.models import Member

    Member.objects.filter(pk=member.pk).update(nik_index=nik_blind_index(member.nik))  # the helper's is a dummy
    login(client, heir_user)
    response = client.post("/klaim/ahli-waris/", {"claim_type": "jkm_death", "kpj_or_nik": member.nik,
                                                  "birth_date": "1990-08-17"})
    assert response["Location"] == "/klaim/ahli-waris/data/"  # found, then abandoned here
    stored = [(s.session_data, str(s.get_decoded())) for s in Session.objects.all()]
    assert stored and not any(member.nik in raw or member.nik in decoded for raw, decoded in stored)
    back = client.get("/klaim/ahli-waris/").content.decode()  # going back still shows what was typed
    assert f'value="{member.nik}"' in back


@pytest.mark.parametrize("document", ["abc", "", str(2**70), "-1", "999999"])
def test_staff_document_review_with_an_odd_document_id_is_404(client, claim, staff, document):
    login(client, staff)
    url = f"/staf/klaim/{claim.pk}/"
    client.post(url, {"action": "start"})
    for target in (url, f"{url}?document={document}"):
        response = client.post(target, {"action": "document", "document": document, "d1-verdict": "valid"})
        assert response.status_code == 404
    assert client.get(f"{url}?document={document}").status_code == 200  # the page itself ignores it


# --- the breakdown speaks the reader's language --------------------------------------------------------------------


def test_a_breakdown_verified_in_english_reads_in_indonesian_for_the_heir(client, claim, staff, heir_user):
    with translation.override("en"):  # the verifier works in English
        walk(claim, to=ClaimStatus.PAID, staff=staff)
    claim.refresh_from_db()
    assert "Lump sum" not in str(claim.breakdown) and "Santunan" not in str(claim.breakdown)
    login(client, heir_user, language="id")
    breakdown = client.get(f"/klaim/{claim.number}/").content.decode().split('id="breakdown"')[1]
    assert "Santunan sekaligus" in breakdown and "Biaya pemakaman" in breakdown and "Lump sum" not in breakdown
    assert "Pengembalian iuran bulan" in breakdown  # the months refunded
    assert 'class="basis"' not in breakdown  # the heir reads amounts; staff also read each line's rule
    login(client, heir_user, language="en")
    breakdown = client.get(f"/klaim/{claim.number}/").content.decode().split('id="breakdown"')[1]
    assert "Lump sum" in breakdown and "Funeral costs" in breakdown
    login(client, staff)
    staff_page = client.get(f"/staf/klaim/{claim.pk}/").content.decode().split('id="breakdown"')[1]
    assert staff_page.count('class="basis"') >= 3 and "PP 82/2019" in staff_page
    # The payout's own record is written once, in Indonesian, whoever records it.
    labels = list(claim.payout.entries.order_by("pk").values_list("label", flat=True))
    assert labels[:3] == ["Santunan sekaligus", "Santunan berkala (24 bulan, dibayar sekaligus)", "Biaya pemakaman"]


def test_a_breakdown_stored_before_codes_shows_its_words(client, claim, staff, heir_user):
    walk(claim, to=ClaimStatus.APPROVED, staff=staff)
    claim.refresh_from_db()
    old = claim.breakdown
    old["benefit"]["lines"] = [{"label": "Lump sum", "amount_idr": 42_000_000, "rule": "PP 82/2019", "year": None,
                                "child": ""}]
    old["benefit"]["notes"] = ["Written in English before"]
    Claim.objects.filter(pk=claim.pk).update(breakdown=old, benefit_idr=42_000_000)
    login(client, heir_user, language="id")
    html = client.get(f"/klaim/{claim.number}/").content.decode()
    assert "Lump sum" in html.split('id="breakdown"')[1] and "Written in English before" in html


# --- the rules' figures for staff ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("language", "words"), [
    ("en", ["Rules and figures", "JKK death: multiple of the declared monthly income", "48 × declared income",
            "Rp20,000,000", "36 months", "PP 82/2019", "in force", "provisional", "not for APBN, APBD"]),
    ("id", ["Aturan dan angka", "Rp20.000.000", "36 bulan", "berlaku"]),
])
def test_staff_read_every_figure_with_its_dates_and_source(client, staff, language, words):
    from claims.models import BenefitRule

    BenefitRule.objects.create(kind="jkm_lump_sum", effective_from=dt.date(2031, 1, 1), amount_idr=25_000_000,
                               provisional=True, source="Rancangan PP (belum berlaku)")
    login(client, staff, language=language)
    html = client.get("/staf/aturan/").content.decode()
    for word in words:
        assert word in html, word
    future = html.split('id="rule-jkm_lump_sum-2031-01-01"')[1].split("</tr>")[0]
    assert "not-in-force" in html.split('id="rule-jkm_lump_sum-2031-01-01"')[0][-40:] and "Rancangan PP" in future
    assert 'class="in-force" id="rule-jkm_lump_sum-2019-12-02"' in html


def test_the_rules_page_is_for_staff_only(client, heir_user):
    login(client, heir_user)
    assert client.get("/staf/aturan/").status_code == 403
