"""Recording the payout: one payout, entries that add up, refunds of later months booked in the contributions
ledger with every payment's equation still true, and no month refunded twice."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction

from claims.models import ClaimPayout, ClaimStatus, JhtReturnRate, PayoutEntry
from claims.services import claim_payout_record, claim_review_start, claim_verify
from contributions.models import Bill, EntryKind, LedgerEntry
from contributions.selectors import reconciliation
from contributions.services.refunds import RefundRefused, payment_refund_for_claim
from core.models import AuditEvent, OutboxMessage, Role
from tests.claims.claim_helpers import all_valid, death_claim, paid_member, staff_make, walk
from tests.contributions.helpers import bills_mark_paid, ledger_check_off

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def member():
    return paid_member(months=12)


@pytest.fixture
def staff():
    return staff_make()


@pytest.fixture
def approved(member, staff):
    return walk(death_claim(member), to=ClaimStatus.APPROVED, staff=staff)


def payment_equations_hold() -> bool:
    """Straight from the ledger, per payment: received = allocations (net of month refunds) + credit + refunds not
    from credit; and no bill holds more than its total."""
    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT p.id, p.amount_idr,
              COALESCE(SUM(CASE WHEN e.kind = 'received' THEN e.amount_idr END), 0),
              COALESCE(SUM(CASE WHEN e.kind = 'allocation' AND NOT e.from_credit THEN e.amount_idr END), 0)
              - COALESCE(SUM(CASE WHEN e.kind = 'refund' AND e.bill_id IS NOT NULL THEN e.amount_idr END), 0)
              + COALESCE(SUM(CASE WHEN e.kind = 'credit' THEN e.amount_idr END), 0)
              + COALESCE(SUM(CASE WHEN e.kind = 'refund' AND NOT e.from_credit THEN e.amount_idr END), 0)
            FROM contributions_payment p JOIN contributions_ledgerentry e ON e.payment_id = p.id
            GROUP BY p.id, p.amount_idr""")
        rows = cursor.fetchall()
        cursor.execute("""
            SELECT b.id FROM contributions_bill b JOIN contributions_ledgerentry e ON e.bill_id = b.id
            GROUP BY b.id, b.total_idr
            HAVING SUM(CASE WHEN e.kind = 'allocation' THEN e.amount_idr ELSE -e.amount_idr END) > b.total_idr
               OR SUM(CASE WHEN e.kind = 'allocation' THEN e.amount_idr ELSE -e.amount_idr END) < 0""")
        bad_bills = cursor.fetchall()
    return bool(rows) and all(amount == received == out for _pk, amount, received, out in rows) and not bad_bills


def test_payout_entries_add_up_to_the_benefit_and_the_refund(approved, staff):
    payout = claim_payout_record(claim=approved, staff=staff, transfer_reference="BRI-20261121-0001")
    approved.refresh_from_db()
    assert approved.status == ClaimStatus.PAID
    entries = list(payout.entries.order_by("id"))
    assert payout.amount_idr == sum(e.amount_idr for e in entries) == 42_000_000 + 4 * 28_400
    assert payout.amount_idr == approved.benefit_idr + approved.refund_idr
    assert [(e.kind, e.amount_idr) for e in entries[:3]] == [("benefit", 20_000_000), ("benefit", 12_000_000),
                                                             ("benefit", 10_000_000)]
    refunds = entries[3:]
    assert [f"{e.bill.month:%Y-%m}" for e in refunds] == ["2026-09", "2026-10", "2026-11", "2026-12"]
    assert all(e.kind == "refund" and e.amount_idr == e.bill.total_idr for e in refunds)
    assert (payout.bank_name, payout.account_holder, payout.account_number_masked) == ("BRI", "SITI AMINAH",
                                                                                       "****1234")
    assert (payout.recorded_by, payout.transfer_reference) == (staff, "BRI-20261121-0001")


def test_the_refund_is_booked_in_the_ledger_and_every_equation_holds(approved, staff, member):
    assert payment_equations_hold() and reconciliation().balanced
    claim_payout_record(claim=approved, staff=staff, transfer_reference="BRI-1")
    refunds = list(LedgerEntry.objects.filter(kind=EntryKind.REFUND).order_by("bill__month"))
    assert [(f"{e.bill.month:%Y-%m}", e.amount_idr, e.from_credit, e.member_id) for e in refunds] == [
        (f"2026-{m}", 28_400, False, member.pk) for m in ("09", "10", "11", "12")]
    assert payment_equations_hold()
    book = reconciliation()
    assert book.balanced and book.refunded_idr == 4 * 28_400
    assert book.received_idr == book.allocated_idr + book.credit_held_idr + book.refunded_idr
    assert book.allocated_idr == 8 * 28_400  # January to August stay paid


def test_the_claimant_is_told_the_account_it_went_to(approved, staff):
    claim_payout_record(claim=approved, staff=staff, transfer_reference="BRI-2")
    message = OutboxMessage.objects.get(purpose="claim.paid")
    assert "****1234" in message.body and approved.number in message.body and "0123" not in message.body
    audit = AuditEvent.objects.get(action="claim.status", changes__to="paid")
    assert audit.changes["transfer_reference"] == "BRI-2" and audit.changes["refunded_months"] == 4


def test_recording_twice_pays_once(approved, staff):
    claim_payout_record(claim=approved, staff=staff, transfer_reference="BRI-3")
    with pytest.raises(ValidationError, match="Only an approved claim"):
        claim_payout_record(claim=approved, staff=staff, transfer_reference="BRI-4")
    assert ClaimPayout.objects.count() == 1 and LedgerEntry.objects.filter(kind=EntryKind.REFUND).count() == 4


def test_a_transfer_reference_is_used_once(approved, staff):
    other = walk(death_claim(paid_member(months=12)), to=ClaimStatus.APPROVED, staff=staff)
    claim_payout_record(claim=approved, staff=staff, transfer_reference="BRI-5")
    with pytest.raises(ValidationError) as exc:
        claim_payout_record(claim=other, staff=staff, transfer_reference=" BRI-5 ")
    assert "transfer_reference" in exc.value.message_dict
    with pytest.raises(ValidationError):
        claim_payout_record(claim=other, staff=staff, transfer_reference="")


def test_only_staff_of_the_branch_record_a_payout(approved):
    with pytest.raises(PermissionDenied):
        claim_payout_record(claim=approved, staff=staff_make(Role.SUPERVISOR, branch="JKT-PST"),
                            transfer_reference="X-1")


def test_only_an_approved_claim_is_paid(member, staff):
    verified = walk(death_claim(member), to=ClaimStatus.VERIFIED, staff=staff)
    with pytest.raises(ValidationError):
        claim_payout_record(claim=verified, staff=staff, transfer_reference="X-2")


def test_a_month_is_refunded_with_one_claim_only(approved, staff, member):
    JhtReturnRate.objects.create(year=2026, percent=Decimal("5"))
    jht = claim_review_start(claim=death_claim(member, claim_type="jht_death"), staff=staff)
    all_valid(jht, staff)
    jht = claim_verify(claim=jht, staff=staff)  # the JKM claim, approved, already carries the refund
    assert (jht.refund_idr, jht.breakdown["refund"]["lines"]) == (0, [])
    assert len(jht.breakdown["refund"]["notes"]) == 4
    claim_payout_record(claim=approved, staff=staff, transfer_reference="BRI-6")
    assert PayoutEntry.objects.filter(kind="refund").count() == 4


def test_the_ledger_refuses_a_month_refunded_twice(approved, staff):
    claim_payout_record(claim=approved, staff=staff, transfer_reference="BRI-7")
    bill = Bill.objects.get(member=approved.member, month="2026-10-01")
    with pytest.raises(RefundRefused, match="refunded already"):
        payment_refund_for_claim(bill=bill, actor=staff, reason="again")
    entry = LedgerEntry.objects.get(kind=EntryKind.REFUND, bill=bill)
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(kind=EntryKind.REFUND, payment=entry.payment, member=entry.member, bill=bill,
                                   amount_idr=1)
    payout_entry = PayoutEntry.objects.get(kind="refund", bill=bill)
    with pytest.raises(IntegrityError), transaction.atomic():
        PayoutEntry.objects.create(payout=payout_entry.payout, kind="refund", label="again", amount_idr=1, bill=bill)


def test_a_month_refund_from_credit_is_refused_by_the_database(approved, staff):
    entry = LedgerEntry.objects.filter(kind=EntryKind.ALLOCATION).first()
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(kind=EntryKind.REFUND, payment=entry.payment, member=entry.member, bill=entry.bill,
                                   amount_idr=1, from_credit=True)


def test_a_month_the_ledger_does_not_show_paid_stops_the_payout(staff):
    member = paid_member(months=6)  # January to June through the ledger
    bills_mark_paid(member, "2026-07", "2026-08", "2026-09")  # marked paid without money in the ledger
    claim = walk(death_claim(member, day="2026-06-10"), to=ClaimStatus.APPROVED, staff=staff)
    assert [line["month"] for line in claim.breakdown["refund"]["lines"]] == ["2026-07", "2026-08", "2026-09"]
    with pytest.raises(ValidationError, match="verify the claim again"):
        claim_payout_record(claim=claim, staff=staff, transfer_reference="BRI-8")
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.APPROVED
    assert not ClaimPayout.objects.exists() and not LedgerEntry.objects.filter(kind=EntryKind.REFUND).exists()


def test_a_claim_without_refund_pays_the_benefit_only(staff):
    member = paid_member(months=12)
    claim = walk(death_claim(member, day="2026-12-05"), to=ClaimStatus.PAID, staff=staff)
    assert (claim.refund_idr, claim.payout.amount_idr, claim.payout.entries.count()) == (0, 42_000_000, 3)
    assert payment_equations_hold()


def test_reconciliation_catches_a_month_refund_larger_than_its_allocation(approved, staff):
    claim_payout_record(claim=approved, staff=staff, transfer_reference="BRI-9")
    assert reconciliation().balanced
    allocation = LedgerEntry.objects.filter(kind=EntryKind.ALLOCATION, bill__month="2026-03-01").get()
    ledger_check_off()  # on PostgreSQL its trigger would refuse this row at commit (tests/db/test_ledger_triggers.py)
    LedgerEntry.objects.create(kind=EntryKind.REFUND, payment=allocation.payment, member=allocation.member,
                               bill=allocation.bill, amount_idr=allocation.amount_idr + 1)  # bypassing the service
    book = reconciliation()
    assert not book.balanced and allocation.payment_id in book.mismatched_payments
    assert not payment_equations_hold()
