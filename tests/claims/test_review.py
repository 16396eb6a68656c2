"""Branch review: the transition table, verification (documents valid, eligibility, the benefit calculated and
stored with its breakdown), maker-checker approval and rejection with a reason."""

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from claims.locks import claim_lock
from claims.models import Claim, ClaimStatus, JhtReturnRate
from claims.services import (
    claim_approve,
    claim_document_review,
    claim_file,
    claim_reject,
    claim_review_start,
    claim_transition,
    claim_verify,
)
from claims.transitions import CLAIM_TRANSITIONS
from core.models import AuditEvent, OutboxMessage, Role
from tests.claims.claim_helpers import (
    BANK,
    accident,
    all_documents,
    all_valid,
    child,
    death_claim,
    event,
    heir,
    paid_member,
    staff_make,
    user_make,
    walk,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def member():
    return paid_member(months=12)


@pytest.fixture
def staff():
    return staff_make(name="Budi")


@pytest.fixture
def supervisor():
    return staff_make(Role.SUPERVISOR, name="Sri")


def worker_of(member):
    user = user_make()
    member.user = user
    member.save(update_fields=["user"])
    return user


# --- the one transition table ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("start", "to"), list(itertools.product(ClaimStatus.values, ClaimStatus.values)))
def test_claim_transition_follows_the_table(member, staff, start, to):
    claim = death_claim(member, documents=False)
    Claim.objects.filter(pk=claim.pk).update(status=start)  # setup: put the claim in the starting status
    claim = claim_lock(claim)
    if to in CLAIM_TRANSITIONS[start]:
        claim_transition(claim=claim, to=to, actor=staff, reason="test")
        claim.refresh_from_db()
        assert claim.status == to
        audit = AuditEvent.objects.filter(action="claim.status", object_id=str(claim.pk)).get()
        assert (audit.actor, audit.changes["from"], audit.changes["to"], audit.reason) == (staff, start, to, "test")
    else:
        with pytest.raises(ValidationError):
            claim_transition(claim=claim, to=to, actor=staff)
        claim.refresh_from_db()
        assert claim.status == start


def test_only_statuses_the_claimant_sees_send_a_message(member, staff):
    claim = death_claim(member)
    walk(claim, to=ClaimStatus.VERIFIED, staff=staff)
    purposes = list(OutboxMessage.objects.filter(purpose__startswith="claim.").order_by("id")
                    .values_list("purpose", flat=True))
    assert purposes == ["claim.submitted", "claim.verifying"]  # verified is internal


# --- review start and permissions ----------------------------------------------------------------------------


def test_staff_of_another_branch_or_without_a_branch_cannot_act(member):
    claim = death_claim(member)
    for outsider in (staff_make(branch="JKT-PST"), staff_make(branch=None), user_make()):
        with pytest.raises(PermissionDenied):
            claim_review_start(claim=claim, staff=outsider)
    admin = staff_make(Role.ADMIN, branch=None)
    assert claim_review_start(claim=claim, staff=admin).status == ClaimStatus.VERIFYING


# --- verification ------------------------------------------------------------------------------------------------


def test_verify_needs_every_required_document_valid(member, staff):
    claim = claim_review_start(claim=death_claim(member), staff=staff)
    documents = list(claim.documents.order_by("id"))
    for document in documents[:-1]:
        claim_document_review(document=document, staff=staff, valid=True)
    with pytest.raises(ValidationError, match=str(documents[-1].get_kind_display())):
        claim_verify(claim=claim, staff=staff)
    claim_document_review(document=documents[-1], staff=staff, valid=True)
    assert claim_verify(claim=claim, staff=staff).status == ClaimStatus.VERIFIED


def test_verify_stores_the_jkm_benefit_and_its_breakdown(member, staff):
    claim = walk(death_claim(member), to=ClaimStatus.VERIFIED, staff=staff)
    lines = claim.breakdown["benefit"]["lines"]
    assert [line["amount_idr"] for line in lines] == [20_000_000, 12_000_000, 10_000_000]
    assert claim.benefit_idr == sum(line["amount_idr"] for line in lines) == 42_000_000
    assert claim.breakdown["benefit"]["total_idr"] == claim.benefit_idr
    # Paid January to December 2026, died in August: September to December come back.
    refund = claim.breakdown["refund"]["lines"]
    assert [line["month"] for line in refund] == ["2026-09", "2026-10", "2026-11", "2026-12"]
    assert claim.refund_idr == sum(line["amount_idr"] for line in refund) == 4 * 28_400
    assert {c["code"]: c["passed"] for c in claim.breakdown["checks"]} == {
        "program_held": True, "event_month_paid": True, "membership_age": True, "heir_order": True,
        "one_death_benefit": True}
    assert (claim.verified_by, claim.breakdown["assessment"]) == (staff, None)


def test_early_death_gets_the_early_amount_only(staff):
    member = paid_member(months=6)
    claim = walk(death_claim(member, day="2026-03-31"), to=ClaimStatus.VERIFIED, staff=staff)
    assert claim.benefit_idr == 10_000_000 and len(claim.breakdown["benefit"]["lines"]) == 1
    assert [line["month"] for line in claim.breakdown["refund"]["lines"]] == ["2026-04", "2026-05", "2026-06"]


def test_verify_refuses_when_eligibility_fails(staff):
    """Filing refuses an uncovered day; verification checks again (here the date was corrected to an unpaid one)."""
    member = paid_member(months=12)  # 2026 paid
    claim = claim_review_start(claim=death_claim(member), staff=staff)
    Claim.objects.filter(pk=claim.pk).update(event_date=dt.date(2027, 8, 10))
    claim.refresh_from_db()
    all_valid(claim, staff)
    with pytest.raises(ValidationError) as exc:
        claim_verify(claim=claim, staff=staff)
    assert exc.value.messages == ["The contribution for 2027-08 was not paid by the event date: no cover."]
    claim.refresh_from_db()
    assert (claim.status, claim.benefit_idr, claim.verified_by) == (ClaimStatus.VERIFYING, None, None)


def test_verify_checks_the_heir_order_against_other_live_claims(member, staff):
    lower = death_claim(member, relationship="sibling", claim_type="jht_death")
    death_claim(member, relationship="child", claim_type="jkm_death", documents=False)  # a child files later
    claim = claim_review_start(claim=lower, staff=staff)
    all_valid(claim, staff)
    JhtReturnRate.objects.create(year=2026, percent=Decimal("5"))
    with pytest.raises(ValidationError, match="Brother or sister may not claim: Child come first"):
        claim_verify(claim=claim, staff=staff)


def test_one_death_benefit_per_member(member, staff):
    walk(death_claim(member), to=ClaimStatus.APPROVED, staff=staff)
    jkk = death_claim(member, claim_type="jkk_death", relationship="spouse")
    jkk = claim_review_start(claim=jkk, staff=staff)
    all_valid(jkk, staff)
    with pytest.raises(ValidationError, match="already approved"):
        claim_verify(claim=jkk, staff=staff)


def test_jkk_death_is_48_times_the_declared_income_plus_periodic_and_funeral(staff):
    member = paid_member(months=12, income=2_500_000)
    claim = walk(death_claim(member, claim_type="jkk_death"), to=ClaimStatus.VERIFIED, staff=staff)
    assert claim.benefit_idr == 120_000_000 + 12_000_000 + 10_000_000
    assert claim.breakdown["benefit"]["notes"] == []


def test_scholarship_pays_this_school_year_with_the_claim_and_plans_the_rest(staff):
    member = paid_member(months=12)
    claim = claim_file(claimant=user_make(), member=member, claim_type="jkk_scholarship", event=event(), bank=BANK,
                       heir=heir("child"), details={"children": [
                           child("ADI", "senior_high", 2, born="2013-05-01"),
                           child("BUDI", "university", 5, born="2008-01-20"),
                           child("CICI", "primary", born="2020-02-02")]},
                       documents=all_documents("jkk_scholarship", heir_relationship="child"))
    claim = walk(claim, to=ClaimStatus.VERIFIED, staff=staff)
    benefit = claim.breakdown["benefit"]
    # Today is 15 June 2030 (tests/claims/conftest.py): the school year 2029/2030. ADI: senior high year 2 now;
    # BUDI: the last university year now; CICI is refused (2 children at most).
    assert [(line["child"], line["year"], line["amount_idr"]) for line in benefit["lines"]] == [
        ("ADI", 2029, 3_000_000), ("BUDI", 2029, 12_000_000)]
    assert claim.benefit_idr == 15_000_000 and benefit["school_year"] == 2029 and benefit["accepted"] == [0, 1]
    # Later: ADI's senior high year 3 then five university years (under 23 each 1 July); nothing more for BUDI.
    assert [(line["child"], line["year"], line["amount_idr"]) for line in benefit["later"]] == [
        ("ADI", 2030, 3_000_000)] + [("ADI", year, 12_000_000) for year in range(2031, 2036)]
    assert any(note["params"].get("name") == "CICI" for note in benefit["notes"])
    assert claim.refund_idr == 0  # a scholarship does not end the membership's months


def test_jht_balance_with_the_declared_return(staff):
    member = paid_member(months=12)
    JhtReturnRate.objects.create(year=2026, percent=Decimal("6"))
    worker = worker_of(member)
    claim = claim_file(claimant=worker, member=member, claim_type="jht_leaving", event=event("2026-06-20"),
                       bank=BANK, documents=all_documents("jht_leaving"))
    claim = walk(claim, to=ClaimStatus.VERIFIED, staff=staff)
    lines = claim.breakdown["benefit"]["lines"]
    assert lines[0]["amount_idr"] == 6 * 20_000  # January to June, JHT 2 % of 1,000,000
    # Paid in January for every month: each earns from its covered month to June at 6 % a year.
    returns = sum(Decimal(20_000) * Decimal("0.06") * (6 - m + 1) / 12 for m in range(1, 7))
    assert lines[1]["amount_idr"] == int(returns.quantize(Decimal("1")))
    assert claim.benefit_idr == sum(line["amount_idr"] for line in lines)
    assert [line["month"] for line in claim.breakdown["refund"]["lines"]] == [f"2026-{m:02d}" for m in range(7, 13)]


def test_jht_without_a_declared_rate_stops_with_a_message(member, staff):
    worker = worker_of(member)
    claim = claim_file(claimant=worker, member=member, claim_type="jht_leaving", event=event("2026-06-20"),
                       bank=BANK, documents=all_documents("jht_leaving"))
    claim = claim_review_start(claim=claim, staff=staff)
    all_valid(claim, staff)
    with pytest.raises(ValidationError, match="No JHT return rate for 2026"):
        claim_verify(claim=claim, staff=staff)


def test_jkk_costs_are_calculated_from_the_invoices_staff_read(member, staff):
    worker = worker_of(member)
    claim = claim_file(claimant=worker, member=member, claim_type="jkk_medical", event=accident(), bank=BANK,
                       documents=all_documents("jkk_medical"))
    claim = claim_review_start(claim=claim, staff=staff)
    all_valid(claim, staff)
    with pytest.raises(ValidationError) as exc:
        claim_verify(claim=claim, staff=staff)
    assert "assessment" in exc.value.message_dict
    costs = {"costs": [{"kind": "medical", "amount_idr": 3_250_000, "reference": "RS Fatmawati 123"},
                       {"kind": "transport_land", "amount_idr": 6_000_000, "reference": "Ambulans 7"}]}
    claim = claim_verify(claim=claim, staff=staff, assessment=costs)
    assert (claim.benefit_idr, claim.refund_idr) == (3_250_000 + 5_000_000, 0)
    assert claim.breakdown["assessment"] == costs
    assert [line["text"]["code"] for line in claim.breakdown["benefit"]["lines"]] == ["cost_medical",
                                                                                     "cost_transport_land"]


def test_a_benefit_calculated_from_the_records_refuses_an_assessment(member, staff):
    claim = claim_review_start(claim=death_claim(member), staff=staff)
    all_valid(claim, staff)
    with pytest.raises(ValidationError, match="calculated from the records alone"):
        claim_verify(claim=claim, staff=staff, assessment={"costs": []})


def test_sending_a_verified_claim_back_clears_its_verification(member, staff, supervisor):
    claim = walk(death_claim(member), to=ClaimStatus.VERIFIED, staff=staff)
    claim = claim_review_start(claim=claim, staff=supervisor)
    assert (claim.status, claim.verified_by, claim.verified_at) == (ClaimStatus.VERIFYING, None, None)


# --- maker-checker approval --------------------------------------------------------------------------------------


@pytest.fixture
def verified(member, staff):
    return walk(death_claim(member), to=ClaimStatus.VERIFIED, staff=staff)


def test_a_supervisor_approves_and_the_claimant_is_told(verified, supervisor):
    claim = claim_approve(claim=verified, supervisor=supervisor)
    assert (claim.status, claim.decided_by) == (ClaimStatus.APPROVED, supervisor)
    message = OutboxMessage.objects.get(purpose="claim.approved")
    assert "Rp42,113,600" in message.body or "Rp42.113.600" in message.body


def test_the_verifier_cannot_approve(member):
    verifier = staff_make(Role.SUPERVISOR)
    claim = walk(death_claim(member), to=ClaimStatus.VERIFIED, staff=verifier)
    with pytest.raises(PermissionDenied, match="another supervisor"):
        claim_approve(claim=claim, supervisor=verifier)
    assert claim_approve(claim=claim, supervisor=staff_make(Role.SUPERVISOR)).status == ClaimStatus.APPROVED


def test_branch_staff_and_other_branches_cannot_approve(verified):
    for who in (staff_make(Role.BRANCH_STAFF), staff_make(Role.SUPERVISOR, branch="JKT-PST"),
                staff_make(Role.SUPERVISOR, branch=None)):
        with pytest.raises(PermissionDenied):
            claim_approve(claim=verified, supervisor=who)
    verified.refresh_from_db()
    assert verified.status == ClaimStatus.VERIFIED


def test_an_admin_approves_any_branch(verified):
    assert claim_approve(claim=verified, supervisor=staff_make(Role.ADMIN, branch=None)).status == "approved"


def test_only_a_verified_claim_is_approved(member, supervisor):
    with pytest.raises(ValidationError):
        claim_approve(claim=death_claim(member), supervisor=supervisor)


def test_the_database_refuses_an_approver_who_verified(verified):
    with pytest.raises(IntegrityError), transaction.atomic():
        Claim.objects.filter(pk=verified.pk).update(decided_by=verified.verified_by)


# --- rejection ------------------------------------------------------------------------------------------------------


def test_reject_with_a_reason_the_claimant_is_told(member, supervisor):
    claim = death_claim(member)
    with pytest.raises(ValidationError):
        claim_reject(claim=claim, staff=supervisor, reason="  ")
    claim = claim_reject(claim=claim, staff=supervisor, reason="Akta kematian palsu")
    assert (claim.status, claim.rejection_reason, claim.decided_by) == ("rejected", "Akta kematian palsu", supervisor)
    message = OutboxMessage.objects.get(purpose="claim.rejected")
    assert "Akta kematian palsu" in message.body and claim.number in message.body
    audit = AuditEvent.objects.get(action="claim.status", changes__to="rejected")
    assert (audit.reason, audit.actor) == ("Akta kematian palsu", supervisor)


def test_branch_staff_and_the_verifier_cannot_reject(member):
    verifier = staff_make(Role.SUPERVISOR)
    claim = walk(death_claim(member), to=ClaimStatus.VERIFIED, staff=verifier)
    for who in (staff_make(Role.BRANCH_STAFF), verifier):
        with pytest.raises(PermissionDenied):
            claim_reject(claim=claim, staff=who, reason="x")


def test_an_approved_claim_cannot_be_rejected(verified, supervisor):
    claim_approve(claim=verified, supervisor=supervisor)
    with pytest.raises(ValidationError):
        claim_reject(claim=verified, staff=staff_make(Role.SUPERVISOR), reason="x")


def test_event_date_is_kept_for_the_rules(member, staff):
    claim = walk(death_claim(member, day="2026-04-01"), to=ClaimStatus.VERIFIED, staff=staff)
    assert claim.event_date == dt.date(2026, 4, 1) and claim.benefit_idr == 42_000_000  # day 91: full amount
