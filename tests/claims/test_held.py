"""Documents chosen on a filing form that came back with an error are kept (checked, in private storage) and used
when the claimant sends the form again without choosing them: a weak connection sends each photo once."""

from __future__ import annotations

import pytest

from claims import held
from claims.models import Claim
from claims.uploads import claim_documents_storage
from tests.claims.claim_helpers import BANK, HEIR_NIK, jpeg, paid_member, pdf, user_make
from tests.claims.test_views import login
from tests.core.helpers import field_errors

pytestmark = pytest.mark.django_db
HEIR_FORM = "/klaim/ahli-waris/data/"


@pytest.fixture(autouse=True)
def _no_held_files():
    """The test storage outlives each test's rolled-back rows, and user ids come round again."""
    import shutil

    shutil.rmtree(claim_documents_storage().path("held"), ignore_errors=True)


@pytest.fixture
def heir_client(client):
    member = paid_member()
    heir_user = user_make(phone="+6281355550001")
    login(client, heir_user)
    client.post("/klaim/ahli-waris/", {"claim_type": "jkm_death", "kpj_or_nik": member.kpj,
                                       "birth_date": "1990-08-17"})
    client.heir_user = heir_user
    return client


POST = {"heir_name": "Siti Aminah", "heir_relationship": "spouse", "event_date": "2026-05-20", **BANK}


def held_files(user) -> list[str]:
    storage = claim_documents_storage()
    folder = f"held/{user.pk}"
    return sorted(storage.listdir(folder)[1]) if storage.exists(folder) else []


def test_documents_are_kept_after_an_error_and_filed_without_choosing_them_again(heir_client):
    html = heir_client.post(HEIR_FORM, {**POST, "heir_nik": "1234", "doc_death_cert": pdf("akta.pdf"),
                                        "doc_heir_ktp": jpeg("ktp-saya.jpg")}).content.decode()
    assert "16 digits" in field_errors(html, "heir_nik") and Claim.objects.count() == 0
    assert 'id="documents-held"' in html
    assert "Received: akta.pdf" in html and "Received: ktp-saya.jpg" in html
    assert len(held_files(heir_client.heir_user)) == 2

    response = heir_client.post(HEIR_FORM, {**POST, "heir_nik": HEIR_NIK})  # no file chosen this time
    claim = Claim.objects.get()
    assert response["Location"] == f"/klaim/{claim.number}/"
    documents = {d.kind: d for d in claim.documents.all()}
    assert set(documents) == {"death_cert", "heir_ktp"}
    assert documents["death_cert"].content_type == "application/pdf"
    assert documents["death_cert"].original_name == "akta.pdf"
    assert documents["heir_ktp"].content_type == "image/jpeg"
    assert held_files(heir_client.heir_user) == []  # released once the claim holds its own copies


def test_a_new_choice_replaces_the_held_document(heir_client):
    heir_client.post(HEIR_FORM, {**POST, "heir_nik": "1234", "doc_heir_ktp": jpeg("lama.jpg")})
    html = heir_client.post(HEIR_FORM, {**POST, "heir_nik": "1234", "doc_heir_ktp": pdf("baru.pdf")}).content.decode()
    assert "Received: baru.pdf" in html and "lama.jpg" not in html
    assert len(held_files(heir_client.heir_user)) == 1
    heir_client.post(HEIR_FORM, {**POST, "heir_nik": HEIR_NIK})
    assert Claim.objects.get().documents.get().content_type == "application/pdf"


def test_a_refused_file_is_not_kept(heir_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile("ktp.jpg", b"MZ\x90\x00 not a photo", content_type="image/jpeg")
    html = heir_client.post(HEIR_FORM, {**POST, "heir_nik": HEIR_NIK, "doc_heir_ktp": fake,
                                        "doc_death_cert": pdf("akta.pdf")}).content.decode()
    assert "not a photo or a PDF" in field_errors(html, "doc_heir_ktp")
    assert "Received: akta.pdf" in html and "Received: ktp.jpg" not in html
    assert len(held_files(heir_client.heir_user)) == 1


def test_held_documents_belong_to_their_form(client):
    """A worker's documents held on one claim type's form are not offered on another's."""
    member = paid_member()
    worker = user_make()
    member.user = worker
    member.save()
    login(client, worker)
    client.post("/klaim/ajukan/?jenis=jkk_medical", {
        "claim_type": "jkk_medical", "event_date": "2026-08-10", "bank_name": "BRI", "account_holder": "PESERTA",
        "account_number": "0123456789", "doc_ktp": jpeg("ktp.jpg")})  # no time or place: refused, KTP held
    other = client.get("/klaim/ajukan/?jenis=jht_age").content.decode()
    assert "Received: ktp.jpg" not in other
    same = client.get("/klaim/ajukan/?jenis=jkk_medical").content.decode()
    assert "Received: ktp.jpg" in same


def test_held_documents_expire_and_old_files_are_swept(heir_client, monkeypatch):
    heir_client.post(HEIR_FORM, {**POST, "heir_nik": "1234", "doc_heir_ktp": jpeg("ktp.jpg")})
    assert len(held_files(heir_client.heir_user)) == 1
    monkeypatch.setattr(held, "HOLD_SECONDS", -1)  # everything held is now too old
    html = heir_client.get(HEIR_FORM).content.decode()
    assert "Received: ktp.jpg" not in html and 'id="documents-held"' not in html
    heir_client.post(HEIR_FORM, {**POST, "heir_nik": "1234"})  # the next hold sweeps old files away
    assert held_files(heir_client.heir_user) == []
