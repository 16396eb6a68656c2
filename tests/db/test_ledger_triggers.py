"""The ledger's equation and the payouts' append-only rule, kept by PostgreSQL itself (contributions 0018, claims
0006): a payment whose entries do not add up cannot commit; a payout's entries cannot change."""

import datetime as dt

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from claims.models import ClaimPayout, ClaimStatus, PayoutEntry
from contributions.models import Channel, EntryKind, LedgerEntry, Payment
from contributions.selectors import reconciliation
from contributions.services.agents import agent_cash_collect
from contributions.services.payments import payment_order_create, payment_order_create_for_many, payment_refund
from tests.claims.claim_helpers import death_claim, paid_member, staff_make, walk
from tests.contributions.helpers import confirm, member_make, payer_make
from tests.factories.members import AgentFactory
from tests.seeding import claims_reference_data

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True),
              pytest.mark.usefixtures("reference_data")]

NOV_21 = dt.date(2026, 11, 21)


@pytest.fixture
def member():
    return member_make(sector="transport", jht=True, billing_start=dt.date(2026, 11, 1))


@pytest.fixture
def payment(member):
    order = payment_order_create(member=member, months_count=3, payer=payer_make(), today=NOV_21)
    return confirm(order).payment


def _payment_insert(member, amount: int, reference: str = "by-hand") -> Payment:
    return Payment.objects.create(member=member, provider="simulator", provider_reference=reference,
                                  channel=Channel.VIRTUAL_ACCOUNT, amount_idr=amount, paid_at=timezone.now(),
                                  receipt_number=f"BPU-{reference}")


def _entry(payment: Payment, kind: str, amount: int, **values) -> LedgerEntry:
    return LedgerEntry.objects.create(payment=payment, member_id=payment.member_id, kind=kind, amount_idr=amount,
                                      **values)


# --- the ledger's equation, checked at commit ----------------------------------------------------------------------


def test_a_payment_booked_by_the_service_commits_and_balances(payment):
    assert LedgerEntry.objects.filter(payment=payment).count() == 4  # received, three months
    assert reconciliation().balanced


def test_an_entry_that_unbalances_a_payment_is_refused_at_commit_not_before(payment):
    entries = LedgerEntry.objects.count()
    with pytest.raises(IntegrityError, match=f"payment {payment.pk} does not balance"), transaction.atomic():
        extra = _entry(payment, EntryKind.CREDIT, 500)
        assert LedgerEntry.objects.filter(pk=extra.pk).exists()  # the statement itself passes: the check is deferred
    assert LedgerEntry.objects.count() == entries
    assert reconciliation().balanced


def test_a_payment_without_entries_is_refused(member):
    with pytest.raises(IntegrityError, match="has no ledger entries"), transaction.atomic():
        _payment_insert(member, 10_000)
    assert not Payment.objects.exists()


def test_a_payment_written_row_by_row_commits_when_it_adds_up(member):
    with transaction.atomic():
        payment = _payment_insert(member, 10_000)
        _entry(payment, EntryKind.RECEIVED, 10_000)
        _entry(payment, EntryKind.CREDIT, 10_000)
    with transaction.atomic():  # credit used later, in a transaction of its own
        _entry(payment, EntryKind.REFUND, 4_000, from_credit=True)
    assert reconciliation().balanced


@pytest.mark.parametrize(("received", "credit"), [(9_999, 10_000), (10_000, 9_999), (10_000, 10_001)])
def test_received_and_booked_must_both_equal_the_amount(member, received, credit):
    with pytest.raises(IntegrityError, match="does not balance"), transaction.atomic():
        payment = _payment_insert(member, 10_000)
        _entry(payment, EntryKind.RECEIVED, received)
        _entry(payment, EntryKind.CREDIT, credit)
    assert not Payment.objects.exists() and not LedgerEntry.objects.exists()


def test_credit_cannot_be_used_beyond_what_is_held(member):
    with transaction.atomic():
        payment = _payment_insert(member, 10_000)
        _entry(payment, EntryKind.RECEIVED, 10_000)
        _entry(payment, EntryKind.CREDIT, 10_000)
    with pytest.raises(IntegrityError, match="credit 10000 but 10001 used"), transaction.atomic():
        _entry(payment, EntryKind.REFUND, 6_000, from_credit=True)
        _entry(payment, EntryKind.REFUND, 4_001, from_credit=True)
    assert not LedgerEntry.objects.filter(kind=EntryKind.REFUND).exists()


def test_a_month_refund_cannot_exceed_what_the_payment_allocated_to_the_month(payment):
    allocation = LedgerEntry.objects.filter(payment=payment, kind=EntryKind.ALLOCATION).first()
    with pytest.raises(IntegrityError, match="refunds more of bill"), transaction.atomic():
        _entry(payment, EntryKind.REFUND, allocation.amount_idr + 1, bill=allocation.bill)
    with transaction.atomic():  # the whole month is fine
        _entry(payment, EntryKind.REFUND, allocation.amount_idr, bill=allocation.bill)
    assert reconciliation().balanced


def test_entries_added_after_an_earlier_check_in_the_same_transaction_are_checked_again(payment):
    """The trigger remembers the last payment it checked (and up to which entry): a later entry is not covered."""
    with pytest.raises(IntegrityError, match="does not balance"), transaction.atomic():
        with connection.cursor() as cursor:
            _entry(payment, EntryKind.REFUND, 1, bill=LedgerEntry.objects.filter(
                payment=payment, kind=EntryKind.ALLOCATION).first().bill)
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # checks this payment now: it balances
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        _entry(payment, EntryKind.CREDIT, 1)


def test_the_check_can_run_at_once_on_request(payment):
    with pytest.raises(IntegrityError, match="does not balance"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ledgerentry_balanced IMMEDIATE")
        with pytest.raises(IntegrityError), transaction.atomic():  # the statement itself now fails
            _entry(payment, EntryKind.CREDIT, 1)
        _entry(payment, EntryKind.CREDIT, 1)


def test_credit_refunds_group_payments_and_agent_cash_commit(member, regions):
    """The flows that write the ledger for many members at once or in several steps, each committed."""
    payer = payer_make()
    first, second = (payment_order_create(member=member, months_count=1, payer=payer, today=NOV_21)
                     for _ in range(2))
    confirm(first)
    credit = confirm(second).payment  # its month was paid by the first: all credit, refunded in part later
    assert LedgerEntry.objects.filter(payment=credit, kind=EntryKind.CREDIT).get().amount_idr == credit.amount_idr
    payment_refund(payment=credit, amount_idr=1_000, actor=payer, reason="test")
    others = [member_make(billing_start=dt.date(2026, 11, 1)) for _ in range(3)]
    confirm(payment_order_create_for_many(items=[(m, 3) for m in others], payer=payer, today=NOV_21))
    agent = AgentFactory(user__username="agent", user__phone="+6281200000002", body__name="Koperasi")
    agent_cash_collect(agent=agent, member=member_make(), months_count=1)
    assert Payment.objects.count() == 4 and reconciliation().balanced


# --- claim payouts: append-only -------------------------------------------------------------------------------


@pytest.fixture
def paid_claim():
    claims_reference_data()
    return walk(death_claim(paid_member(months=12)), to=ClaimStatus.PAID, staff=staff_make())


@pytest.mark.parametrize("sql", [
    "UPDATE claims_payoutentry SET amount_idr = amount_idr + 1",
    "UPDATE claims_payoutentry SET label = 'edited'",
    "DELETE FROM claims_payoutentry",
    "DELETE FROM claims_claimpayout",
    "UPDATE claims_claimpayout SET amount_idr = amount_idr + 1",
    "UPDATE claims_claimpayout SET transfer_reference = 'OTHER'",
    "UPDATE claims_claimpayout SET account_number_masked = '****9999'",
])
def test_payouts_and_their_entries_cannot_be_changed_or_deleted(paid_claim, sql):
    entries = list(PayoutEntry.objects.order_by("pk").values_list("pk", "kind", "label", "amount_idr"))
    payout = ClaimPayout.objects.values_list("pk", "amount_idr", "transfer_reference").get()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)
    assert list(PayoutEntry.objects.order_by("pk").values_list("pk", "kind", "label", "amount_idr")) == entries
    assert ClaimPayout.objects.values_list("pk", "amount_idr", "transfer_reference").get() == payout


def test_orm_writes_to_payout_entries_are_refused_too(paid_claim):
    entry = PayoutEntry.objects.filter(payout__claim=paid_claim).first()
    with pytest.raises(DatabaseError), transaction.atomic():
        PayoutEntry.objects.filter(pk=entry.pk).update(amount_idr=1)
    with pytest.raises(DatabaseError), transaction.atomic():
        entry.delete()
    # The date of a transfer may be corrected (nothing else rests on it); what was paid to whom may not.
    assert ClaimPayout.objects.filter(claim=paid_claim).update(paid_at=timezone.now()) == 1
    assert reconciliation().balanced
