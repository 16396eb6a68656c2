"""Claim races that only PostgreSQL's row locks and unique indexes settle: two approvals, two payout recordings and
two heirs filing the same death claim at the same moment, a scholarship's school year paid or sent twice at once."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from claims.models import Claim, ClaimPayout, ClaimStatus, PayoutEntry
from contributions.models import EntryKind, LedgerEntry
from contributions.selectors import reconciliation
from core.models import AuditEvent, Role
from tests.db.test_money_concurrency import _race
from tests.seeding import claims_reference_data

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True),
              pytest.mark.usefixtures("reference_data")]


@pytest.fixture(autouse=True)
def claims_reference(reference_data):

    claims_reference_data()


def _verified():
    from tests.claims.claim_helpers import death_claim, paid_member, staff_make, walk

    return walk(death_claim(paid_member(months=12)), to=ClaimStatus.VERIFIED, staff=staff_make())


def test_two_supervisors_approve_at_once_one_wins():
    from claims.services import claim_approve
    from tests.claims.claim_helpers import staff_make

    claim = _verified()
    one, two = staff_make(Role.SUPERVISOR), staff_make(Role.SUPERVISOR)
    results = _race(lambda: claim_approve(claim=claim, supervisor=one),
                    lambda: claim_approve(claim=claim, supervisor=two))
    won = [r for r in results if isinstance(r, Claim)]
    lost = [r for r in results if isinstance(r, ValidationError)]
    assert (len(won), len(lost)) == (1, 1), results
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.APPROVED and claim.decided_by == won[0].decided_by
    approvals = AuditEvent.objects.filter(action="claim.status", object_id=str(claim.pk), changes__to="approved")
    assert approvals.count() == 1


@pytest.mark.parametrize("references", [("TRF-1", "TRF-2"), ("TRF-1", "TRF-1")])
def test_a_payout_recorded_twice_at_once_pays_once(references):
    from claims.services import claim_approve, claim_payout_record
    from tests.claims.claim_helpers import staff_make

    claim = claim_approve(claim=_verified(), supervisor=staff_make(Role.SUPERVISOR))
    one, two = staff_make(), staff_make()
    results = _race(lambda: claim_payout_record(claim=claim, staff=one, transfer_reference=references[0]),
                    lambda: claim_payout_record(claim=claim, staff=two, transfer_reference=references[1]))
    assert sum(isinstance(r, ClaimPayout) for r in results) == 1, results
    assert sum(isinstance(r, ValidationError) for r in results) == 1, results
    payout = ClaimPayout.objects.get()
    assert payout.amount_idr == sum(PayoutEntry.objects.values_list("amount_idr", flat=True))
    assert LedgerEntry.objects.filter(kind=EntryKind.REFUND).count() == 4
    assert reconciliation().balanced
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PAID


def test_two_heirs_file_the_same_death_claim_at_once_one_claim():
    from claims.services import claim_file
    from tests.claims.claim_helpers import BANK, all_documents, event, heir, paid_member, user_make

    member = paid_member(months=12)
    spouse, child = user_make(), user_make()

    def file(claimant, relationship):
        return lambda: claim_file(claimant=claimant, member=member, claim_type="jkm_death", event=event(), bank=BANK,
                                  heir=heir(relationship),
                                  documents=all_documents("jkm_death", heir_relationship=relationship))

    results = _race(file(spouse, "spouse"), file(child, "child"))
    won = [r for r in results if isinstance(r, Claim)]
    lost = [r for r in results if isinstance(r, ValidationError)]
    assert (len(won), len(lost)) == (1, 1), results
    assert won[0].number in lost[0].message_dict["claim_type"][0]
    assert Claim.objects.filter(member=member).count() == 1
    assert Claim.objects.get().documents.count() == len(all_documents("jkm_death",
                                                                      heir_relationship=won[0].heir_relationship))


def _released_year():
    """A paid scholarship claim whose next school year's certificate is sent and released (15 June 2030)."""
    from claims.models import ScholarshipChild
    from claims.services import scholarship_year_review, scholarship_year_submit
    from tests.claims.claim_helpers import child, paid_member, pdf, staff_make, user_make, walk
    from tests.claims.test_scholarships import file_scholarship

    heir_user, staff = user_make(), staff_make()
    children = [child("ADI", "junior_high", 3, born="2016-02-01")]
    claim = walk(file_scholarship(paid_member(months=12), heir_user, children), to=ClaimStatus.PAID, staff=staff)
    kid = ScholarshipChild.objects.get(claim=claim)
    payment = scholarship_year_submit(child=kid, user=heir_user, level="senior_high", upload=pdf(), declared=True)
    return scholarship_year_review(payment=payment, staff=staff, valid=True), heir_user, kid


@pytest.mark.parametrize("references", [("TRF-Y1", "TRF-Y2"), ("TRF-Y1", "TRF-Y1")])
def test_a_school_year_paid_twice_at_once_is_paid_once(references):
    from claims.models import ScholarshipPayment
    from claims.services import scholarship_year_pay
    from tests.claims.claim_helpers import staff_make
    from tests.contributions.helpers import pin_today

    with pin_today(dt.date(2030, 6, 15)):
        payment, _heir, _kid = _released_year()
        one, two = staff_make(), staff_make()
        results = _race(lambda: scholarship_year_pay(payment=payment, staff=one, transfer_reference=references[0]),
                        lambda: scholarship_year_pay(payment=payment, staff=two, transfer_reference=references[1]))
    assert sum(isinstance(r, ScholarshipPayment) for r in results) == 1, results
    assert sum(isinstance(r, ValidationError) for r in results) == 1, results
    payment.refresh_from_db()
    assert payment.status == "paid" and payment.transfer_reference in references
    assert AuditEvent.objects.filter(action="scholarship.year_paid", object_id=str(payment.pk)).count() == 1


def test_a_certificate_sent_twice_at_once_makes_one_school_year():
    from claims.models import ScholarshipPayment
    from claims.services import scholarship_year_pay, scholarship_year_submit
    from tests.claims.claim_helpers import pdf, staff_make
    from tests.contributions.helpers import pin_today

    with pin_today(dt.date(2030, 6, 15)):
        payment, heir_user, kid = _released_year()
        scholarship_year_pay(payment=payment, staff=staff_make(), transfer_reference="TRF-Y0")
    with pin_today(dt.date(2031, 6, 15)):
        results = _race(*[lambda: scholarship_year_submit(child=kid, user=heir_user, level="senior_high",
                                                          upload=pdf(), declared=True)] * 2)
    assert sum(isinstance(r, ScholarshipPayment) for r in results) == 1, results
    assert sum(isinstance(r, ValidationError) for r in results) == 1, results
    assert ScholarshipPayment.objects.filter(child=kid, school_year=2031).count() == 1
