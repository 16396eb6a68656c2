"""Checklists per claim type and their conditions; documents added later; when documents are complete (the
service-level clock) and when a request for more stops it."""

import datetime as dt
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from claims.documents import checklist_for
from claims.models import ClaimStatus
from claims.selectors import claim_checklist
from claims.services import (
    claim_document_add,
    claim_document_review,
    claim_documents_request,
    claim_reject,
    claim_review_start,
)
from core.models import OutboxMessage, Role
from tests.claims.claim_helpers import death_claim, jpeg, paid_member, pdf, staff_make, user_make

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def required(claim_type, **kwargs):
    return [e.kind for e in checklist_for(claim_type=claim_type, **kwargs) if e.required]


# --- checklists (DOMAIN.md) ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("claim_type", "kwargs", "kinds"), [
    ("jkm_death", {"heir_relationship": "child"},
     ["card", "ktp", "heir_ktp", "death_cert", "family_card", "heir_cert", "bank_book"]),
    ("jkm_death", {"heir_relationship": "spouse"},
     ["card", "ktp", "heir_ktp", "death_cert", "family_card", "heir_cert", "marriage_book", "bank_book"]),
    ("jkm_scholarship", {"heir_relationship": "child"},
     ["card", "ktp", "heir_ktp", "death_cert", "family_card", "heir_cert", "bank_book", "school"]),
    ("jkk_medical", {}, ["card", "ktp", "doctor", "receipts"]),
    ("jkk_incapacity", {}, ["card", "ktp", "doctor", "receipts"]),
    ("jkk_disability", {}, ["card", "ktp", "doctor", "receipts"]),
    ("jkk_death", {"heir_relationship": "parent"},
     ["card", "ktp", "heir_ktp", "doctor", "receipts", "death_cert", "heir_cert"]),
    ("jkk_scholarship", {}, ["card", "ktp", "school", "doctor"]),
    ("jkk_scholarship", {"heir_relationship": "child"}, ["card", "ktp", "heir_ktp", "school", "death_cert",
                                                          "heir_cert"]),
    ("jht_age", {}, ["card", "ktp"]),
    ("jht_leaving", {}, ["card", "ktp", "passport", "leaving"]),
    ("jht_disability", {}, ["card", "ktp", "doctor"]),
    ("jht_death", {"heir_relationship": "child"}, ["card", "ktp", "heir_ktp", "death_cert", "heir_cert"]),
])
def test_required_documents_per_claim_type(claim_type, kwargs, kinds):
    assert required(claim_type, **kwargs) == kinds


def test_marriage_book_only_when_a_spouse_claims_jkm():
    assert "marriage_book" not in required("jht_death", heir_relationship="spouse")
    assert "marriage_book" in required("jkm_death", heir_relationship="spouse")


@pytest.mark.parametrize("claim_type", ["jkk_medical", "jkk_death"])
def test_police_report_after_a_traffic_accident_is_asked_for_but_optional(claim_type):
    plain = checklist_for(claim_type=claim_type, traffic_accident=False)
    traffic = checklist_for(claim_type=claim_type, traffic_accident=True)
    assert "police" not in [e.kind for e in plain]
    police = traffic[-1]
    assert (police.kind, police.required) == ("police", False) and "unconfirmed" in str(police.note)
    assert [e.kind for e in traffic if e.required] == [e.kind for e in plain]


# --- completeness and the clock ------------------------------------------------------------------------------


@pytest.fixture
def member():
    return paid_member(months=12)


@pytest.fixture
def staff():
    return staff_make()


def test_complete_when_every_required_item_has_a_document_that_is_not_invalid(member, staff):
    claim = death_claim(member, relationship="child", documents=False)
    assert claim.documents_complete_at is None
    kinds = required("jkm_death", heir_relationship="child")
    for kind in kinds[:-1]:
        claim_document_add(claim=claim, user=claim.claimant, kind=kind, upload=jpeg())
        claim.refresh_from_db()
        assert claim.documents_complete_at is None
    claim_document_add(claim=claim, user=claim.claimant, kind="other", upload=pdf())  # extra: no difference
    claim.refresh_from_db()
    assert claim.documents_complete_at is None
    claim_document_add(claim=claim, user=claim.claimant, kind=kinds[-1], upload=pdf())
    claim.refresh_from_db()
    assert claim.documents_complete_at is not None


def test_an_invalid_document_stops_the_clock_and_its_replacement_restarts_it(member, staff):
    claim = death_claim(member)
    first = claim.documents_complete_at
    claim = claim_review_start(claim=claim, staff=staff)
    ktp = claim.documents.get(kind="ktp")
    claim_document_review(document=ktp, staff=staff, valid=False, note="Foto buram")
    claim.refresh_from_db()
    assert claim.documents_complete_at is None
    later = first + dt.timedelta(days=2)
    with mock.patch("django.utils.timezone.now", return_value=later):
        claim_document_add(claim=claim, user=claim.claimant, kind="ktp", upload=jpeg())
    claim.refresh_from_db()
    assert claim.documents_complete_at == later  # restarted from the new completion, not resumed


def test_a_request_for_more_documents_tells_what_is_missing_and_the_addition_sends_it_back(member, staff):
    claim = death_claim(member)
    claim = claim_review_start(claim=claim, staff=staff)
    claim_document_review(document=claim.documents.get(kind="bank_book"), staff=staff, valid=False,
                          note="Nama pemilik tidak terbaca")
    claim = claim_documents_request(claim=claim, staff=staff, kinds=["other"],
                                    note="Surat keterangan ahli waris dari kelurahan")
    assert (claim.status, claim.documents_complete_at) == (ClaimStatus.MORE_DOCUMENTS, None)
    message = OutboxMessage.objects.get(purpose="claim.more_documents")
    assert "Buku tabungan" in message.body and "Dokumen lain" in message.body  # the claimant's language: Indonesian
    assert "Surat keterangan ahli waris dari kelurahan" in message.body and claim.number in message.body
    items = {item.kind: item for item in claim_checklist(claim=claim)}
    assert (items["bank_book"].status, items["other"].status, items["other"].requested) == ("invalid", "missing", True)

    claim_document_add(claim=claim, user=claim.claimant, kind="bank_book", upload=jpeg())
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.MORE_DOCUMENTS  # the "other" document asked for is still missing
    claim_document_add(claim=claim, user=claim.claimant, kind="other", upload=pdf())
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.VERIFYING and claim.documents_complete_at is not None
    assert "requested" not in claim.details
    assert OutboxMessage.objects.filter(purpose="claim.verifying").count() == 2  # review start, then back


def test_a_kind_asked_for_again_needs_a_new_upload(member, staff):
    claim = claim_review_start(claim=death_claim(member), staff=staff)
    claim = claim_documents_request(claim=claim, staff=staff, kinds=["family_card"], note="KK terbaru")
    claim_document_add(claim=claim, user=claim.claimant, kind="heir_ktp", upload=jpeg())
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.MORE_DOCUMENTS
    claim_document_add(claim=claim, user=claim.claimant, kind="family_card", upload=jpeg())
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.VERIFYING


def test_only_the_claimant_adds_documents(member, staff):
    claim = death_claim(member, documents=False)
    for user in (user_make(), staff):
        with pytest.raises(PermissionDenied):
            claim_document_add(claim=claim, user=user, kind="ktp", upload=jpeg())


def test_no_documents_after_a_decision_or_of_a_kind_the_claim_does_not_take(member):
    claim = death_claim(member, documents=False)
    with pytest.raises(ValidationError):
        claim_document_add(claim=claim, user=claim.claimant, kind="passport", upload=pdf())
    claim_reject(claim=claim, staff=staff_make(Role.SUPERVISOR), reason="Bukan ahli waris")
    with pytest.raises(ValidationError, match="no longer"):
        claim_document_add(claim=claim, user=claim.claimant, kind="ktp", upload=jpeg())


def test_checklist_shows_the_latest_document_of_each_item(member, staff):
    claim = death_claim(member, relationship="child")
    claim_review_start(claim=claim, staff=staff)
    old = claim.documents.get(kind="ktp")
    claim_document_review(document=old, staff=staff, valid=False, note="Terpotong")
    new = claim_document_add(claim=claim, user=claim.claimant, kind="ktp", upload=pdf())
    items = claim_checklist(claim=claim)
    ktp = next(item for item in items if item.kind == "ktp")
    assert (ktp.document, ktp.status, ktp.required, ktp.label) == (new, "pending", True, "KTP of the participant")
    assert [item.kind for item in items] == required("jkm_death", heir_relationship="child")


def test_request_needs_kinds_the_claim_takes_and_a_note(member, staff):
    claim = claim_review_start(claim=death_claim(member), staff=staff)
    with pytest.raises(ValidationError):
        claim_documents_request(claim=claim, staff=staff, kinds=[], note="x")
    with pytest.raises(ValidationError):
        claim_documents_request(claim=claim, staff=staff, kinds=["passport"], note="x")
    with pytest.raises(ValidationError):
        claim_documents_request(claim=claim, staff=staff, kinds=["ktp"], note=" ")


def test_an_invalid_document_needs_a_note_for_the_claimant(member, staff):
    claim = claim_review_start(claim=death_claim(member), staff=staff)
    with pytest.raises(ValidationError):
        claim_document_review(document=claim.documents.first(), staff=staff, valid=False)


def test_staff_resuming_from_more_documents_close_the_request_and_the_clock_restarts(member, staff):
    claim = claim_review_start(claim=death_claim(member), staff=staff)
    claim = claim_documents_request(claim=claim, staff=staff, kinds=["other"], note="Surat RT")
    assert claim.documents_complete_at is None
    claim = claim_review_start(claim=claim, staff=staff)  # the claimant brought the letter to the branch
    assert claim.status == ClaimStatus.VERIFYING
    assert "requested" not in claim.details and claim.documents_complete_at is not None


def test_what_is_missing_is_written_in_the_claimants_language(member, staff):
    from django.utils import translation

    from claims.models import DocumentKind

    claim = claim_review_start(claim=death_claim(member), staff=staff)  # the claimant reads Indonesian
    with translation.override("en"):  # the staff page is in English
        claim_documents_request(claim=claim, staff=staff, kinds=["other"], note="Surat RT")
    with translation.override("id"):
        label = str(DocumentKind.OTHER.label)
    body = OutboxMessage.objects.get(purpose="claim.more_documents").body
    assert label in body and "Surat RT" in body
