"""Money races that only PostgreSQL's row locks, unique indexes and triggers settle."""

import datetime as dt
import threading
from unittest import mock

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.utils import translation

from contributions.models import Bill, BillStatus, EntryKind, LedgerEntry, OrderStatus, Payment, PaymentOrder
from contributions.selectors import credit_balance, reconciliation
from contributions.services import membership
from contributions.services.billing import bill_generate_for_period
from contributions.services.membership import member_lapse_if_unpaid
from contributions.services.payments import PaymentRefused, credit_held, ledger, payment_order_create, payment_refund
from core.models import AuditEvent, OutboxMessage
from members.models import MemberStatus
from tests.contributions.helpers import (
    bills_make,
    confirm,
    member_make,
    members_bulk,
    payer_make,
    signed_webhook,
    webhook_post,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True),
              pytest.mark.usefixtures("reference_data")]

APRIL_10 = dt.date(2026, 4, 10)


def _race(*jobs, timeout=30):
    """Runs the jobs in threads released at the same moment; returns each job's result or exception."""
    barrier = threading.Barrier(len(jobs))
    results = [None] * len(jobs)

    def run(i, job):
        try:
            barrier.wait(timeout=10)
            with translation.override("en"):
                results[i] = job()
        except Exception as exc:  # noqa: BLE001 - the outcome is what we compare
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout)
    assert not any(t.is_alive() for t in threads)
    return results


# --- billing twice at once -----------------------------------------------------------------------------------


@pytest.mark.parametrize("batch_sizes", [(1000, 1000), (25, 25), (7, 40)])
def test_two_billing_runs_at_once_bill_each_member_once(batch_sizes):
    members = members_bulk(120)
    member_make(status=MemberStatus.LAPSED)
    month = dt.date(2026, 6, 1)
    results = _race(*(lambda size=size: bill_generate_for_period(month=month, batch_size=size)
                      for size in batch_sizes))
    assert not any(isinstance(r, Exception) for r in results), results
    assert sum(r.created for r in results) == len(members)
    assert Bill.objects.filter(month=month).count() == len(members)
    assert set(Bill.objects.values_list("member_id", flat=True)) == {m.pk for m in members}
    assert bill_generate_for_period(month=month).created == 0


# --- one webhook delivered 100 times -------------------------------------------------------------------------


@pytest.fixture
def order():
    member = member_make(sector="transport", jht=True, billing_start=dt.date(2026, 11, 1))
    return payment_order_create(member=member, months_count=3, payer=payer_make(), today=dt.date(2026, 11, 21))


def test_one_webhook_delivered_100_times_credits_once(order):
    body, headers = signed_webhook(event_id="evt-storm", va_number=order.va_number, amount_idr=order.amount_idr)

    def deliver():
        response, data = webhook_post(Client(), body, headers)
        return response.status_code, data

    concurrent = _race(*([deliver] * 20))
    later = [deliver() for _ in range(40)]
    direct = [confirm(order, reference="evt-storm") for _ in range(40)]  # the service, as the retry task calls it

    responses = concurrent + later
    assert all(not isinstance(r, Exception) for r in responses), responses
    assert [status for status, _data in responses] == [200] * 60, responses
    assert sum(data["replay"] is False for _status, data in responses) == 1
    payment = Payment.objects.get()
    assert {data["receipt_number"] for _status, data in responses} == {payment.receipt_number}
    assert all(c.replay and c.payment.pk == payment.pk for c in direct)

    assert LedgerEntry.objects.filter(kind=EntryKind.RECEIVED).count() == 1
    allocations = LedgerEntry.objects.filter(kind=EntryKind.ALLOCATION)
    assert allocations.count() == 3
    assert sorted(allocations.values_list("bill_id", flat=True)) == sorted(
        Bill.objects.filter(member=order.member).values_list("pk", flat=True))
    assert not LedgerEntry.objects.filter(kind=EntryKind.CREDIT).exists()
    assert set(Bill.objects.filter(member=order.member).values_list("status", flat=True)) == {BillStatus.PAID}
    assert OutboxMessage.objects.filter(purpose="receipt").count() == 1
    assert AuditEvent.objects.filter(action="payment.received").count() == 1
    assert AuditEvent.objects.filter(action="member.status_changed").count() == 1
    assert PaymentOrder.objects.get().status == OrderStatus.PAID
    assert reconciliation().balanced


def test_two_references_for_one_order_at_once_credit_once(order):
    results = _race(lambda: confirm(order, reference="evt-a"), lambda: confirm(order, reference="evt-b"))
    refused = [r for r in results if isinstance(r, PaymentRefused)]
    assert len(refused) == 1 and refused[0].code == "already_paid", results
    assert Payment.objects.count() == 1
    assert LedgerEntry.objects.filter(kind=EntryKind.RECEIVED).count() == 1
    assert reconciliation().balanced


# --- payment racing the lapse job ------------------------------------------------------------------------------


@pytest.fixture
def quiet_member():
    """Three unpaid months before April 2026 and an order for exactly those months, made before the lapse run."""
    member = member_make(billing_start=dt.date(2026, 1, 1), status=MemberStatus.ACTIVE, sector="trade")
    bills_make(member, "2026-01", "2026-02", "2026-03")
    order = payment_order_create(member=member, months_count=3, payer=payer_make(), today=APRIL_10)
    assert order.months == ["2026-01", "2026-02", "2026-03"]
    return member, order


def _outcome(member, order, lapsed_result):
    member.refresh_from_db()
    payment = Payment.objects.get(order=order)
    allocations = payment.entries.filter(kind=EntryKind.ALLOCATION).count()
    bills = set(Bill.objects.filter(member=member).values_list("status", flat=True))
    assert reconciliation().balanced
    if member.status == MemberStatus.LAPSED:
        assert lapsed_result is True
        assert allocations == 0 and bills == {BillStatus.OPEN}
        assert credit_held(payment=payment) == credit_balance(member=member) == order.amount_idr
        return "lapsed_with_credit"
    assert member.status == MemberStatus.ACTIVE and lapsed_result is False
    assert allocations == 3 and bills == {BillStatus.PAID}
    assert credit_balance(member=member) == 0
    return "paid"


@pytest.mark.parametrize("round_", range(4))
def test_payment_racing_the_lapse(quiet_member, round_):
    member, order = quiet_member
    pay, lapse = _race(lambda: confirm(order, reference="evt-race"),
                       lambda: member_lapse_if_unpaid(member_id=member.pk, today=APRIL_10))
    assert not isinstance(pay, Exception) and not isinstance(lapse, Exception), (pay, lapse)
    assert _outcome(member, order, lapse) in ("paid", "lapsed_with_credit")


def test_lapse_holding_the_member_lock_turns_the_payment_into_credit(quiet_member):
    member, order = quiet_member
    locked = threading.Event()
    real = membership.member_status_transition

    def slow_transition(**kwargs):
        locked.set()  # the lapse holds the member row now
        threading.Event().wait(0.5)
        return real(**kwargs)

    def pay():
        assert locked.wait(10)
        return confirm(order, reference="evt-late")

    with mock.patch.object(membership, "member_status_transition", slow_transition):
        lapse, _pay = _race(lambda: member_lapse_if_unpaid(member_id=member.pk, today=APRIL_10), pay)
    assert _outcome(member, order, lapse) == "lapsed_with_credit"


def test_payment_holding_the_member_lock_prevents_the_lapse(quiet_member):
    member, order = quiet_member
    locked = threading.Event()
    real = ledger._allocate

    def slow_allocate(**kwargs):
        locked.set()  # the payment holds the order and member rows now
        threading.Event().wait(0.5)
        return real(**kwargs)

    def lapse():
        assert locked.wait(10)
        return member_lapse_if_unpaid(member_id=member.pk, today=APRIL_10)

    with mock.patch.object(ledger, "_allocate", slow_allocate):
        _pay, lapsed = _race(lambda: confirm(order, reference="evt-first"), lapse)
    assert _outcome(member, order, lapsed) == "paid"


# --- other money races --------------------------------------------------------------------------------------------


def test_two_refunds_of_the_same_credit_at_once(quiet_member):
    member, order = quiet_member
    assert member_lapse_if_unpaid(member_id=member.pk, today=APRIL_10)
    payment = confirm(order).payment
    held = credit_held(payment=payment)
    actor = payer_make()
    results = _race(*(lambda: payment_refund(payment=payment, amount_idr=held, actor=actor, reason="race")
                      for _ in range(3)))
    assert sum(isinstance(r, LedgerEntry) for r in results) == 1, results
    assert sum(isinstance(r, ValueError) for r in results) == 2, results
    assert credit_held(payment=payment) == 0
    assert reconciliation().balanced


def test_two_orders_for_one_member_at_once_share_the_bills():
    member = member_make(billing_start=dt.date(2026, 11, 1))
    payer = payer_make()
    results = _race(*(lambda: payment_order_create(member=member, months_count=6, payer=payer,
                                                   today=dt.date(2026, 11, 21)) for _ in range(3)))
    assert all(isinstance(r, PaymentOrder) for r in results), results
    assert len({r.va_number for r in results}) == 3
    assert Bill.objects.filter(member=member).count() == 6
    assert {r.amount_idr for r in results} == {sum(Bill.objects.filter(member=member).values_list("total_idr",
                                                                                                  flat=True))}


# --- the database keeps the ledger append-only --------------------------------------------------------------------


@pytest.mark.parametrize("sql", [
    "UPDATE contributions_ledgerentry SET amount_idr = amount_idr + 1",
    "UPDATE contributions_ledgerentry SET note = 'edited'",
    "DELETE FROM contributions_ledgerentry",
    "UPDATE contributions_payment SET amount_idr = 1",
    "DELETE FROM contributions_payment",
])
def test_trigger_refuses_changes_to_ledger_and_payments(order, sql):
    confirm(order)
    entries = list(LedgerEntry.objects.order_by("pk").values_list("pk", "kind", "amount_idr", "note"))
    payment = Payment.objects.values_list("pk", "amount_idr").get()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)
    assert list(LedgerEntry.objects.order_by("pk").values_list("pk", "kind", "amount_idr", "note")) == entries
    assert Payment.objects.values_list("pk", "amount_idr").get() == payment


def test_trigger_refuses_orm_updates_and_deletes_too(order):
    payment = confirm(order).payment
    entry = LedgerEntry.objects.filter(kind=EntryKind.RECEIVED).get()
    with pytest.raises(DatabaseError), transaction.atomic():
        LedgerEntry.objects.filter(pk=entry.pk).update(amount_idr=1)
    with pytest.raises(DatabaseError), transaction.atomic():
        entry.delete()
    with pytest.raises(DatabaseError), transaction.atomic():
        Payment.objects.filter(pk=payment.pk).update(receipt_number="X")
    assert LedgerEntry.objects.get(pk=entry.pk).amount_idr == order.amount_idr
    # Inserts are how the ledger grows, and other money rows (bills, orders) still change status.
    assert Bill.objects.filter(member=order.member).update(status=BillStatus.VOID) == 3
    assert PaymentOrder.objects.filter(pk=order.pk).update(status=OrderStatus.EXPIRED) == 1
