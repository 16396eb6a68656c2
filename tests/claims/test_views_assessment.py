"""Staff read the doctor's statement and the receipts into the verify form of a JKK claim; the rules calculate the
amount. Errors sit next to their fields with what was typed kept; nothing is verified until the form is right."""

import pytest

from claims.models import ClaimStatus
from claims.services import claim_file
from tests.claims.claim_helpers import BANK, accident, all_documents, paid_member, staff_make, user_make, walk
from tests.claims.test_views import login
from tests.core.helpers import field_errors

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return staff_make(name="Petugas Satu")


def jkk_claim(claim_type, staff):
    member = paid_member(months=12, income=2_500_000)
    worker = user_make()
    member.user = worker
    member.save(update_fields=["user"])
    claim = claim_file(claimant=worker, member=member, claim_type=claim_type, event=accident("2026-03-10"), bank=BANK,
                       documents=all_documents(claim_type))
    return walk(claim, to=ClaimStatus.VERIFYING, staff=staff)


@pytest.mark.parametrize(("language", "words"), [
    ("id", ["Cacat total tetap", "Anggota tubuh (tabel PP 44/2015)", "Lengan kanan dari sendi bahu ke bawah (40 %)"]),
    ("en", ["Total permanent disability", "Part of the body (PP 44/2015 table)", "Function lost (%)"])])
def test_the_disability_form_offers_the_table(client, staff, language, words):
    claim = jkk_claim("jkk_disability", staff)
    html = login(client, staff, language).get(f"/staf/klaim/{claim.pk}/").content.decode()
    for word in words:
        assert word in html


def test_a_functional_disability_needs_the_share_lost_then_is_calculated(client, staff):
    from claims.services import claim_document_review

    claim = jkk_claim("jkk_disability", staff)
    for document in claim.documents.all():
        claim_document_review(document=document, staff=staff, valid=True)
    login(client, staff)
    url = f"/staf/klaim/{claim.pk}/"
    html = client.post(url, {"action": "verify", "assess-disability": "functional",
                             "assess-part_1": "lengan-kanan-bahu"}).content.decode()
    assert "Give the share of function lost." in field_errors(html, "assess-lost_1")
    assert '<option value="lengan-kanan-bahu" selected>' in html
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.VERIFYING
    client.post(url, {"action": "verify", "assess-disability": "functional", "assess-part_1": "lengan-kanan-bahu",
                      "assess-lost_1": "50"})
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.VERIFIED and claim.benefit_idr == 40_000_000  # 50 % × 40 % × 80 × 2.5 M
    assert claim.breakdown["assessment"] == {"disability": "functional",
                                             "parts": [{"code": "lengan-kanan-bahu", "lost_percent": 50}]}


def test_costs_and_periods_are_checked_next_to_their_fields(client, staff):
    from claims.services import claim_document_review

    costs = jkk_claim("jkk_medical", staff)
    login(client, staff)
    html = client.post(f"/staf/klaim/{costs.pk}/", {"action": "verify", "assess-cost_1_kind": "home_care",
                                                     "assess-cost_1_amount": "dua juta"}).content.decode()
    assert "Write the amount in numbers" in field_errors(html, "assess-cost_1_amount")
    assert "Give the year of the home care." in field_errors(html, "assess-cost_1_year")
    assert 'value="dua juta"' in html
    stmb = jkk_claim("jkk_incapacity", staff)
    for document in stmb.documents.all():
        claim_document_review(document=document, staff=staff, valid=True)
    html = client.post(f"/staf/klaim/{stmb.pk}/", {"action": "verify", "assess-period_1_start": "2026-03-10",
                                                    "assess-period_1_end": "2026-03-01"}).content.decode()
    assert "The last day is before the first." in field_errors(html, "assess-period_1_end")
    client.post(f"/staf/klaim/{stmb.pk}/", {"action": "verify", "assess-period_1_start": "2026-03-10",
                                             "assess-period_1_end": "2026-04-08"})
    stmb.refresh_from_db()
    assert (stmb.status, stmb.benefit_idr) == (ClaimStatus.VERIFIED, 2_500_000)


def test_a_rule_refusal_shows_above_the_form(client, staff):
    from claims.services import claim_document_review

    stmb = jkk_claim("jkk_incapacity", staff)
    for document in stmb.documents.all():
        claim_document_review(document=document, staff=staff, valid=True)
    login(client, staff)
    html = client.post(f"/staf/klaim/{stmb.pk}/", {"action": "verify", "assess-period_1_start": "2026-03-01",
                                                    "assess-period_1_end": "2026-03-20"}).content.decode()
    assert 'id="verify-errors"' in html and "A period starts before the accident." in html
    assert 'value="2026-03-01"' in html  # what was typed stays
