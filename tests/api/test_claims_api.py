"""Claims API: who sees which claim and document (the same selectors as the pages), masked identity and account,
the staff queue with its clock, the payout once paid, and the schema."""

import pytest
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

from claims.models import ClaimDocument, ClaimStatus
from core.models import Role
from core.services import api_token_issue
from tests.claims.claim_helpers import all_valid, death_claim, paid_member, staff_make, user_make, walk
from tests.seeding import claims_reference_data

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

RAW_HEIR_NIK = "3174015708900123"
RAW_ACCOUNT = "012345678901234"


@pytest.fixture(autouse=True)
def claims_reference(reference_data):

    claims_reference_data()


@pytest.fixture
def people():
    """The heir who filed, another claimant with a claim of their own, staff of the handling branch (Jakarta
    Selatan serves the member's village), staff of another branch, staff on no branch, an admin, a partner."""
    return {
        "claimant": user_make(), "other_claimant": user_make(), "staff": staff_make(),
        "staff_other_branch": staff_make(branch="JKT-PST"), "supervisor": staff_make(Role.SUPERVISOR),
        "unassigned": staff_make(branch=None), "admin": user_make(role=Role.ADMIN),
        "partner": user_make(role=Role.PARTNER),
    }


@pytest.fixture
def claim(people):
    return death_claim(paid_member(months=12), people["claimant"])


@pytest.fixture
def other_claim(people):
    return death_claim(paid_member(months=12), people["other_claimant"])


def get(client, url, user=None, **params):
    headers = {"HTTP_AUTHORIZATION": f"Token {api_token_issue(user=user)}"} if user else {}
    return client.get(url, params, **headers)


def error_code(response) -> str:
    body = response.json()
    assert list(body) == ["error"] and body["error"]["message"]
    return body["error"]["code"]


# --- the permission matrix -------------------------------------------------------------------------------------

# who: (in the list?, list status, detail status, document status)
MATRIX = {
    "claimant": (True, 200, 200, 200),
    "other_claimant": (False, 200, 404, 404),
    "staff": (True, 200, 200, 200),
    "supervisor": (True, 200, 200, 200),
    "staff_other_branch": (False, 200, 404, 404),
    "unassigned": (False, 403, 404, 404),
    "admin": (True, 200, 200, 200),
    "partner": (False, 403, 404, 404),
    "anonymous": (False, 401, 401, 401),
}


@pytest.mark.parametrize("who", list(MATRIX))
def test_permission_matrix(client, people, claim, other_claim, who):
    listed, list_status, detail_status, document_status = MATRIX[who]
    user = people.get(who)
    document = claim.documents.order_by("pk").first()

    response = get(client, "/api/v1/claims/", user)
    assert response.status_code == list_status, response.content
    if list_status == 200:
        numbers = [row["number"] for row in response.json()]
        assert (claim.number in numbers) is listed
        if who == "other_claimant":
            assert numbers == [other_claim.number]
    else:
        assert error_code(response) in ("permission_denied", "not_authenticated")

    response = get(client, f"/api/v1/claims/{claim.number}/", user)
    assert response.status_code == detail_status, response.content
    if detail_status == 200:
        assert response.json()["number"] == claim.number
    else:
        assert error_code(response) in ("not_found", "not_authenticated")

    response = get(client, f"/api/v1/claims/{claim.number}/documents/{document.pk}/", user)
    assert response.status_code == document_status
    if document_status == 200:
        assert b"".join(response.streaming_content if response.streaming else [response.content]) == \
            document.file.open("rb").read()
        assert response["Content-Type"] == document.content_type
        assert response["Cache-Control"] == "private, no-store"
        assert response["X-Content-Type-Options"] == "nosniff"
    else:
        assert error_code(response) in ("not_found", "not_authenticated")


def test_a_document_is_only_found_under_its_own_claim(client, people, claim):
    mine = death_claim(paid_member(months=12), people["claimant"])
    document = claim.documents.first()
    assert get(client, f"/api/v1/claims/{claim.number}/documents/{document.pk}/", people["claimant"]).status_code \
        == 200
    assert get(client, f"/api/v1/claims/{mine.number}/documents/{document.pk}/", people["claimant"]).status_code \
        == 404
    assert get(client, f"/api/v1/claims/{mine.number}/documents/{document.pk}/", people["staff"]).status_code == 404


def test_an_unknown_claim_and_document_are_404_in_the_error_shape(client, people):
    response = get(client, "/api/v1/claims/KLM-2026-9999999/", people["admin"])
    assert (response.status_code, error_code(response)) == (404, "not_found")
    for document_id in ("999999", "abc", "0", "9223372036854775807", "9223372036854775808", "1" * 30):
        response = get(client, f"/api/v1/claims/KLM-2026-9999999/documents/{document_id}/", people["admin"])
        assert (response.status_code, error_code(response)) == (404, "not_found")


def test_a_document_is_sent_whatever_the_client_accepts(client, people, claim):
    document = claim.documents.first()
    token = api_token_issue(user=people["staff"])
    response = client.get(f"/api/v1/claims/{claim.number}/documents/{document.pk}/", HTTP_ACCEPT="application/pdf",
                          HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 200
    response = client.get(f"/api/v1/claims/{claim.number}/documents/999999/", HTTP_ACCEPT="image/jpeg",
                          HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 404 and response["Content-Type"] == "application/json"


# --- what a claim shows ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["claimant", "staff"])
def test_heir_nik_and_account_only_masked(client, people, claim, who):
    response = get(client, f"/api/v1/claims/{claim.number}/", people[who])
    body = response.json()
    assert body["heir"] == {"name": "SITI AMINAH", "relationship": "spouse", "nik_masked": "3174********0123"}
    assert body["bank"] == {"bank_name": "BRI", "account_holder": "SITI AMINAH", "account_number_masked": "****1234"}
    text = response.content.decode()
    assert RAW_HEIR_NIK not in text and RAW_ACCOUNT not in text
    assert claim.heir_nik_ciphertext not in text and claim.account_number_ciphertext not in text
    assert "ciphertext" not in text


def test_detail_has_dates_and_the_checklist_with_document_ids(client, people, claim):
    body = get(client, f"/api/v1/claims/{claim.number}/", people["claimant"]).json()
    assert (body["claim_type"], body["status"], body["event_date"]) == ("jkm_death", "submitted", "2026-08-10")
    assert body["member"]["kpj"] == claim.member.kpj and body["branch"]["code"] == "JKT-SEL"
    assert body["filed_at"] and body["documents_complete_at"]
    assert body["payout"] is None and body["benefit_idr"] is None
    assert (body["sla"], body["age_days"]) == (None, None)  # the clock is for staff
    uploaded = {d.kind: d.pk for d in ClaimDocument.objects.filter(claim=claim)}
    listed = {item["kind"]: item for item in body["checklist"]}
    for kind, pk in uploaded.items():
        assert listed[kind]["document"]["id"] == pk
        assert listed[kind]["status"] == listed[kind]["document"]["status"] == "pending"
        assert listed[kind]["document"]["download"].endswith(f"/api/v1/claims/{claim.number}/documents/{pk}/")
    assert all(item["document"] is None and item["status"] == "missing"
               for item in body["checklist"] if item["kind"] not in uploaded)


def test_checked_documents_show_their_status(client, people, claim):
    from claims.services import claim_review_start

    claim_review_start(claim=claim, staff=people["staff"])
    all_valid(claim, people["staff"])
    body = get(client, f"/api/v1/claims/{claim.number}/", people["claimant"]).json()
    assert body["status"] == "verifying"
    assert {item["status"] for item in body["checklist"] if item["document"]} == {"valid"}


def test_amounts_reach_the_claimant_with_the_approval_and_staff_once_calculated(client, people, claim):
    verified = walk(claim, to=ClaimStatus.VERIFIED, staff=people["staff"])
    assert get(client, f"/api/v1/claims/{claim.number}/", people["claimant"]).json()["benefit_idr"] is None
    assert get(client, f"/api/v1/claims/{claim.number}/", people["staff"]).json()["benefit_idr"] == \
        verified.benefit_idr == 42_000_000


def test_a_paid_claim_shows_its_payout(client, people, claim):
    paid = walk(claim, to=ClaimStatus.PAID, staff=people["staff"], supervisor=people["supervisor"])
    body = get(client, f"/api/v1/claims/{claim.number}/", people["claimant"]).json()
    assert body["status"] == "paid" and body["status_label"]
    assert body["payout"] == {
        "amount_idr": paid.payout.amount_idr, "bank_name": "BRI", "account_holder": "SITI AMINAH",
        "account_number_masked": "****1234", "transfer_reference": f"TRF-{claim.number}",
        "paid_at": body["payout"]["paid_at"]}
    assert (body["benefit_idr"], body["refund_idr"]) == (paid.benefit_idr, paid.refund_idr)
    assert paid.payout.amount_idr == paid.benefit_idr + paid.refund_idr
    assert body["verified_at"] and body["decided_at"]


# --- the staff queue -------------------------------------------------------------------------------------------


def test_staff_queue_has_the_clock_and_filters(client, people, claim):
    rows = get(client, "/api/v1/claims/", people["staff"]).json()
    (row,) = rows
    assert row["number"] == claim.number and row["age_days"] == 0
    assert row["sla"]["working_days"] == 3 and row["sla"]["due"] and row["sla"]["breached"] is False
    assert get(client, "/api/v1/claims/", people["staff"], status="paid").json() == []
    assert get(client, "/api/v1/claims/", people["staff"], claim_type="jht_age").json() == []
    assert [r["number"] for r in get(client, "/api/v1/claims/", people["staff"], claim_type="jkm_death").json()] \
        == [claim.number]
    assert get(client, "/api/v1/claims/", people["staff"], older_than_days=1).json() == []
    response = get(client, "/api/v1/claims/", people["staff"], older_than_days=-1)
    assert (response.status_code, error_code(response)) == (400, "validation_error")
    assert list(response.json()["error"]["fields"]) == ["older_than_days"]
    response = get(client, "/api/v1/claims/", people["staff"], status="", claim_type="jkm")
    assert response.status_code == 400 and set(response.json()["error"]["fields"]) == {"status", "claim_type"}


def test_admin_sees_every_branch(client, people, claim):
    from reference.models import Branch

    elsewhere = death_claim(paid_member(months=12), user_make())
    elsewhere.branch = Branch.objects.get(code="JKT-PST")
    elsewhere.save(update_fields=["branch"])
    numbers = {row["number"] for row in get(client, "/api/v1/claims/", people["admin"]).json()}
    assert numbers == {claim.number, elsewhere.number}
    assert [r["number"] for r in get(client, "/api/v1/claims/", people["staff_other_branch"]).json()] \
        == [elsewhere.number]


def test_the_claimant_list_filters_and_has_no_clock(client, people, claim):
    rows = get(client, "/api/v1/claims/", people["claimant"]).json()
    assert [(r["number"], r["sla"], r["age_days"]) for r in rows] == [(claim.number, None, None)]
    assert get(client, "/api/v1/claims/", people["claimant"], status="paid").json() == []


def test_unassigned_staff_are_told_why(client, people):
    response = get(client, "/api/v1/claims/", people["unassigned"])
    assert response.status_code == 403
    assert "not assigned to a branch" in response.json()["error"]["message"]


# --- schema ------------------------------------------------------------------------------------------------------


def test_claims_are_in_the_valid_schema():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    validate_schema(schema)
    paths = schema["paths"]
    assert {"/api/v1/claims/", "/api/v1/claims/{number}/",
            "/api/v1/claims/{number}/documents/{document_id}/"} <= set(paths)
    document = paths["/api/v1/claims/{number}/documents/{document_id}/"]["get"]
    assert set(document["responses"]["200"]["content"]) == {"application/pdf", "image/jpeg"}
    assert {"401", "404"} <= set(document["responses"])
    detail = schema["components"]["schemas"]["ClaimOut"]
    assert {"checklist", "payout", "heir", "bank"} <= set(detail["properties"])
    heir = schema["components"]["schemas"]["HeirOut"]["properties"]
    bank = schema["components"]["schemas"]["BankOut"]["properties"]
    assert set(heir) == {"name", "relationship", "nik_masked"}
    assert set(bank) == {"bank_name", "account_holder", "account_number_masked"}
