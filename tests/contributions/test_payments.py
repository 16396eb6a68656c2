"""Payment orders, confirmations, the append-only ledger, refunds of credit and reconciliation."""

import datetime as dt
import io
import re

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from lokal import parse_qris, qris_crc

from contributions.models import (
    Bill,
    BillStatus,
    EntryKind,
    LedgerEntry,
    OrderStatus,
    Payment,
    PaymentOrder,
)
from contributions.selectors import credit_balance, reconciliation
from contributions.services.billing import bill_for_month
from contributions.services.membership import member_lapse_if_unpaid
from contributions.services.payments import (
    PaymentRefused,
    credit_apply,
    credit_held,
    months_to_pay,
    payment_order_create,
    payment_orders_expire,
    payment_refund,
)
from contributions.tasks import bills_generate_current_month
from core.models import AuditEvent, OutboxMessage
from enrollment.services import member_register
from members.models import MemberStatus
from tests.contributions.helpers import bills_make, bills_mark_paid, confirm, ledger_check_off, member_make, month

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("reference_data", "english")]

TODAY = dt.date(2026, 11, 21)


def _months(*values):
    return [month(v) for v in values]


def _snapshot():
    return (Payment.objects.count(), LedgerEntry.objects.count(), OutboxMessage.objects.count(),
            AuditEvent.objects.count(), Bill.objects.filter(status=BillStatus.PAID).count())


# --- months_to_pay ------------------------------------------------------------------------------------------


@pytest.fixture
def in_arrears():
    """Billed since January 2026, nothing paid; today is 10 June 2026."""
    member = member_make(billing_start=dt.date(2026, 1, 1))
    bills_make(member, "2026-01", "2026-02", "2026-03", "2026-04", "2026-05")
    return member


JUNE_10 = dt.date(2026, 6, 10)


@pytest.mark.parametrize("count, expected", [
    (1, ["2026-03"]),
    (3, ["2026-03", "2026-04", "2026-05"]),
    (6, ["2026-03", "2026-04", "2026-05", "2026-06", "2026-07", "2026-08"]),
    (12, ["2026-03", "2026-04", "2026-05", "2026-06", "2026-07", "2026-08", "2026-09", "2026-10", "2026-11",
          "2026-12", "2027-01", "2027-02"]),
])
def test_months_to_pay_arrears_first_at_most_three_back(in_arrears, count, expected):
    assert months_to_pay(member=in_arrears, count=count, today=JUNE_10) == _months(*expected)


def test_months_to_pay_skips_paid_and_cancelled_months(in_arrears):
    bills_mark_paid(in_arrears, "2026-04", "2026-07")  # July paid ahead
    bills_make(in_arrears, "2026-08")
    Bill.objects.filter(member=in_arrears, month=month("2026-08")).update(status=BillStatus.VOID)
    assert months_to_pay(member=in_arrears, count=6, today=JUNE_10) == _months(
        "2026-03", "2026-05", "2026-06", "2026-09", "2026-10", "2026-11")


def test_months_to_pay_includes_a_billed_future_month_still_open(in_arrears):
    bills_make(in_arrears, "2026-07")  # from an earlier order that was never paid
    assert months_to_pay(member=in_arrears, count=6, today=JUNE_10) == _months(
        "2026-03", "2026-04", "2026-05", "2026-06", "2026-07", "2026-08")


def test_months_to_pay_never_before_billing_start():
    member = member_make(billing_start=dt.date(2026, 5, 1))
    bills_make(member, "2026-05")
    assert months_to_pay(member=member, count=3, today=JUNE_10) == _months("2026-05", "2026-06", "2026-07")


def test_months_to_pay_without_arrears_starts_now():
    member = member_make(billing_start=dt.date(2026, 1, 1))
    bills_mark_paid(member, "2026-03", "2026-04", "2026-05")
    assert months_to_pay(member=member, count=3, today=JUNE_10) == _months("2026-06", "2026-07", "2026-08")
    bills_mark_paid(member, "2026-06")
    assert months_to_pay(member=member, count=1, today=JUNE_10) == _months("2026-07")


# --- orders -------------------------------------------------------------------------------------------------


@pytest.fixture
def new_member():
    """A transport worker with all three programs, billing from November 2026."""
    return member_make(sector="transport", jht=True, billing_start=dt.date(2026, 11, 1))


def test_order_amount_is_the_sum_of_the_bills(new_member, payer):
    order = payment_order_create(member=new_member, months_count=6, payer=payer, today=TODAY)
    assert order.months == ["2026-11", "2026-12", "2027-01", "2027-02", "2027-03", "2027-04"]
    bills = list(Bill.objects.filter(member=new_member).order_by("month"))
    assert [f"{b.month:%Y-%m}" for b in bills] == order.months
    assert [b.total_idr for b in bills] == [28_400] * 5 + [36_800]  # transport discount ends after March 2027
    assert order.amount_idr == sum(b.total_idr for b in bills) == 178_800
    assert all(b.status == BillStatus.OPEN for b in bills)
    assert (order.status, order.provider, order.payer, order.member) == (OrderStatus.PENDING, "simulator", payer,
                                                                         new_member)


def test_order_virtual_account_and_qris(new_member, payer):
    order = payment_order_create(member=new_member, months_count=3, payer=payer, today=TODAY)
    assert re.fullmatch(r"8808[0-9]{12}", order.va_number)
    info = parse_qris(order.qris_payload)
    assert info.valid, info.errors
    assert info.type == "dynamic"
    assert info.amount == str(order.amount_idr) == "85200"
    assert (info.currency, info.country) == ("360", "ID")
    assert info.merchant_name == "BPJS KETENAGAKERJAAN"
    body, crc = order.qris_payload[:-4], order.qris_payload[-4:]
    assert body.endswith("6304")
    assert crc == qris_crc(body) == info.crc
    tampered = order.qris_payload.replace("540585200", "540585100")
    assert tampered != order.qris_payload and not parse_qris(tampered).valid


def test_order_expires_after_the_configured_hours(new_member, payer, settings):
    before = timezone.now()
    order = payment_order_create(member=new_member, months_count=1, payer=payer, today=TODAY)
    ttl = dt.timedelta(hours=settings.PAYMENT_ORDER_TTL_HOURS)
    assert before + ttl <= order.expires_at <= timezone.now() + ttl


def test_order_first_bill_due_date_follows_the_given_today(new_member, payer):
    """The first month's grace period counts from the `today` the caller passes, as in reactivation."""
    payment_order_create(member=new_member, months_count=1, payer=payer, today=dt.date(2026, 11, 3))
    assert Bill.objects.get(member=new_member).due_date == dt.date(2026, 11, 16)


def test_order_is_audited(new_member, payer):
    order = payment_order_create(member=new_member, months_count=3, payer=payer, today=TODAY)
    event = AuditEvent.objects.get(action="payment_order.created")
    assert event.object_id == str(order.pk) and event.actor == payer
    assert event.changes == {"lines": [{"member": new_member.kpj, "months": ["2026-11", "2026-12", "2027-01"],
                                        "amount_idr": 85_200}], "amount_idr": 85_200}


def test_each_order_has_its_own_virtual_account(new_member, payer):
    orders = [payment_order_create(member=new_member, months_count=1, payer=payer, today=TODAY) for _ in range(5)]
    assert len({o.va_number for o in orders}) == 5
    assert Bill.objects.filter(member=new_member).count() == 1  # the same November bill each time


def test_budget_funded_member_order_is_not_discounted(payer):
    member = member_make(income=20_700_000, jht=False, sector="transport", funding="apbd",
                         billing_start=dt.date(2026, 11, 1))
    order = payment_order_create(member=member, months_count=3, payer=payer, today=TODAY)
    assert order.amount_idr == 3 * 213_800


@pytest.mark.parametrize("status", [MemberStatus.LAPSED, MemberStatus.CLOSED])
def test_order_refused_for_a_member_not_payable(payer, status):
    member = member_make(status=status, billing_start=dt.date(2026, 8, 1))
    with pytest.raises(PaymentRefused) as refused:
        payment_order_create(member=member, months_count=3, payer=payer, today=TODAY)
    assert refused.value.code == "member_not_payable"
    assert "reactivated" in refused.value.message
    assert not PaymentOrder.objects.exists() and not Bill.objects.exists()


@pytest.mark.parametrize("count", [0, 2, 24])
def test_order_month_count_must_be_a_choice(new_member, payer, count):
    with pytest.raises(ValueError):
        payment_order_create(member=new_member, months_count=count, payer=payer, today=TODAY)
    assert not PaymentOrder.objects.exists()


def test_unpaid_orders_expire(new_member, payer):
    old = payment_order_create(member=new_member, months_count=1, payer=payer, today=TODAY)
    paid = payment_order_create(member=new_member, months_count=3, payer=payer, today=TODAY)
    fresh = payment_order_create(member=new_member, months_count=6, payer=payer, today=TODAY)
    confirm(paid)
    PaymentOrder.objects.filter(pk__in=[old.pk, paid.pk]).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert payment_orders_expire() == 1
    assert payment_orders_expire() == 0
    statuses = dict(PaymentOrder.objects.values_list("pk", "status"))
    assert statuses == {old.pk: OrderStatus.EXPIRED, paid.pk: OrderStatus.PAID, fresh.pk: OrderStatus.PENDING}


# --- confirmations ------------------------------------------------------------------------------------------


@pytest.fixture
def registered(registration_data, worker_user, today):
    """Registered through the real service on 21 Nov 2026: billing starts in November, first bill issued."""
    today(TODAY)
    return member_register(data=registration_data(), user=worker_user, actor=worker_user)


def test_registration_issues_the_first_bill(registered):
    bill = Bill.objects.get(member=registered)
    assert registered.billing_start == dt.date(2026, 11, 1)
    # Registered on the 21st, after November's due date (Monday 16th): a week's grace, not overdue on day one.
    assert (bill.month, bill.total_idr, bill.status, bill.due_date) == (dt.date(2026, 11, 1), 28_400,
                                                                        BillStatus.OPEN, dt.date(2026, 11, 28))


def test_registration_early_in_the_month_keeps_the_usual_due_date(registration_data, today):
    today(dt.date(2026, 11, 3))
    member = member_register(data=registration_data(), user=None, actor=None)
    assert Bill.objects.get(member=member).due_date == dt.date(2026, 11, 16)


def test_first_payment_activates_and_sends_a_receipt(registered, payer):
    order = payment_order_create(member=registered, months_count=3, payer=payer, today=TODAY)
    paid_at = timezone.now()
    confirmation = confirm(order, reference="evt-1", paid_at=paid_at)
    assert confirmation.replay is False
    payment = confirmation.payment
    assert re.fullmatch(r"BPU261121[A-HJ-NP-Z2-9]{10}", payment.receipt_number)
    assert (payment.amount_idr, payment.member, payment.order, payment.paid_at) == (85_200, registered, order,
                                                                                     paid_at)
    registered.refresh_from_db()
    assert registered.status == MemberStatus.ACTIVE
    change = AuditEvent.objects.get(action="member.status_changed", object_id=str(registered.pk))
    assert change.changes == {"status": ["registered", "active"]}
    assert payment.receipt_number in change.reason
    received = AuditEvent.objects.get(action="payment.received")
    assert received.changes == {"members": [registered.kpj], "amount_idr": 85_200, "order": order.pk,
                                "payer": order.payer_id}
    sms = OutboxMessage.objects.get(purpose="receipt")
    assert sms.channel == "sms" and sms.recipient == "+6281234567890"
    assert sms.body == (f"We received Rp85,200 for KPJ {registered.kpj}. Receipt {payment.receipt_number}. "
                        "Thank you.")
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID and order.paid_at == paid_at


def test_payment_is_allocated_oldest_month_first(payer):
    member = member_make(sector="trade", jht=True, billing_start=dt.date(2026, 8, 1), status=MemberStatus.ACTIVE)
    bills_make(member, "2026-08", "2026-09", "2026-10")
    order = payment_order_create(member=member, months_count=6, payer=payer, today=TODAY)
    assert order.months == ["2026-08", "2026-09", "2026-10", "2026-11", "2026-12", "2027-01"]
    assert order.amount_idr == 5 * 28_400 + 36_800  # other sectors: discount April–December 2026
    paid_at = timezone.now()
    payment = confirm(order, paid_at=paid_at).payment

    entries = list(LedgerEntry.objects.filter(payment=payment).order_by("pk"))
    assert [e.kind for e in entries] == [EntryKind.RECEIVED] + [EntryKind.ALLOCATION] * 6
    assert entries[0].amount_idr == 178_800 and entries[0].bill is None
    allocations = entries[1:]
    assert [f"{e.bill.month:%Y-%m}" for e in allocations] == order.months
    assert [e.amount_idr for e in allocations] == [e.bill.total_idr for e in allocations]
    assert not any(e.from_credit for e in entries)
    bills = Bill.objects.filter(member=member)
    assert set(bills.values_list("status", flat=True)) == {BillStatus.PAID}
    assert set(bills.values_list("paid_at", flat=True)) == {paid_at}
    assert credit_balance(member=member) == 0
    r = reconciliation()
    assert r.balanced and (r.received_idr, r.allocated_idr, r.credit_held_idr, r.refunded_idr) == (
        178_800, 178_800, 0, 0)


def test_replay_returns_the_same_payment_and_writes_nothing(registered, payer):
    order = payment_order_create(member=registered, months_count=3, payer=payer, today=TODAY)
    first = confirm(order, reference="evt-1")
    before = _snapshot()
    for _ in range(3):
        again = confirm(order, reference="evt-1")
        assert again.replay is True and again.payment.pk == first.payment.pk
    assert _snapshot() == before
    assert OutboxMessage.objects.filter(purpose="receipt").count() == 1


def _statements(captured) -> list[str]:
    """What the service sent, without the test's own savepoints and the transaction's BEGIN/COMMIT."""
    return [q["sql"].split()[0] for q in captured
            if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "BEGIN", "COMMIT"))]


def test_confirmation_statements_are_pinned(registered, payer):
    """The webhook's hot path: hundreds a second. A new statement here is a decision, not an accident."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    order = payment_order_create(member=registered, months_count=3, payer=payer, today=TODAY)
    with CaptureQueriesContext(connection) as first:
        confirm(order, reference="evt-1")
    # the order locked and marked paid, lock the lines' members, lock the open bills (+ allocated sums), payment,
    # bills paid, member active, ledger rows, audit rows, the receipt SMS (its delivery is a task).
    together = ["WITH"] if connection.vendor == "postgresql" else ["INSERT", "INSERT", "INSERT"]  # one round trip
    assert _statements(first) == ["UPDATE", "SELECT", "SELECT", "INSERT", "UPDATE", "UPDATE", *together]
    with CaptureQueriesContext(connection) as replay:
        confirm(order, reference="evt-1")
    # the order is paid already: why (locked, with the payment under this reference), the payment loaded
    assert _statements(replay) == ["UPDATE", "SELECT", "SELECT"]


def test_a_receipt_number_drawn_twice_is_drawn_again(registered, payer, monkeypatch):
    from contributions.services.payments import confirmation

    first = confirm(payment_order_create(member=registered, months_count=1, payer=payer, today=TODAY),
                    reference="evt-a").payment
    draws = iter([first.receipt_number, first.receipt_number, "BPU261121FRESHONE22"])
    monkeypatch.setattr(confirmation, "_receipt_number", lambda: next(draws))
    second = confirm(payment_order_create(member=registered, months_count=1, payer=payer, today=TODAY),
                     reference="evt-b")
    assert not second.replay and second.payment.receipt_number == "BPU261121FRESHONE22"
    assert Payment.objects.get(provider_reference="evt-b").receipt_number == "BPU261121FRESHONE22"
    assert reconciliation().balanced


def test_a_reference_already_used_for_another_order_is_a_replay_and_changes_nothing(registered, payer):
    first = confirm(payment_order_create(member=registered, months_count=1, payer=payer, today=TODAY),
                    reference="evt-same").payment
    other = payment_order_create(member=registered, months_count=1, payer=payer, today=TODAY)
    before = _snapshot()
    again = confirm(other, reference="evt-same")
    assert again.replay and again.payment.pk == first.pk
    assert _snapshot() == before
    other.refresh_from_db()
    assert other.status == OrderStatus.PENDING  # the order marked paid in the same transaction was rolled back


def test_replay_is_recognised_even_with_different_details(registered, payer):
    """The provider reference is the idempotency key: a replay never re-validates amount or account."""
    order = payment_order_create(member=registered, months_count=1, payer=payer, today=TODAY)
    first = confirm(order, reference="evt-1")
    before = _snapshot()
    again = confirm(order, reference="evt-1", amount=1, va="8808000000000000")
    assert again.replay and again.payment.pk == first.payment.pk
    assert _snapshot() == before


def _assert_refused(order, code, **kwargs):
    before = _snapshot()
    with pytest.raises(PaymentRefused) as refused:
        confirm(order, **kwargs)
    assert refused.value.code == code
    assert _snapshot() == before
    return refused.value


def test_wrong_amount_is_refused(registered, payer):
    order = payment_order_create(member=registered, months_count=3, payer=payer, today=TODAY)
    for amount in (order.amount_idr - 1, order.amount_idr + 1, 28_400):
        refused = _assert_refused(order, "wrong_amount", reference=f"evt-{amount}", amount=amount)
        assert "85200" in refused.message
    assert not LedgerEntry.objects.exists()
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING
    registered.refresh_from_db()
    assert registered.status == MemberStatus.REGISTERED
    assert confirm(order, reference="evt-right").replay is False  # the right amount still goes through


def test_expired_order_is_refused(registered, payer):
    order = payment_order_create(member=registered, months_count=1, payer=payer, today=TODAY)
    _assert_refused(order, "expired", paid_at=order.expires_at + dt.timedelta(seconds=1))
    assert not LedgerEntry.objects.exists()


def test_payment_at_the_expiry_instant_is_accepted(registered, payer):
    order = payment_order_create(member=registered, months_count=1, payer=payer, today=TODAY)
    assert confirm(order, paid_at=order.expires_at).payment.amount_idr == 28_400


def test_unknown_account_is_refused(registered, payer):
    order = payment_order_create(member=registered, months_count=1, payer=payer, today=TODAY)
    _assert_refused(order, "unknown_account", va="8808999999999999")
    assert not LedgerEntry.objects.exists()


def test_order_paid_under_another_reference_is_refused(registered, payer):
    order = payment_order_create(member=registered, months_count=3, payer=payer, today=TODAY)
    confirm(order, reference="evt-1")
    _assert_refused(order, "already_paid", reference="evt-2")
    assert Payment.objects.count() == 1
    assert LedgerEntry.objects.filter(kind=EntryKind.RECEIVED).count() == 1


def test_month_paid_meanwhile_becomes_credit(registered, payer):
    first = payment_order_create(member=registered, months_count=3, payer=payer, today=TODAY)
    second = payment_order_create(member=registered, months_count=6, payer=payer, today=TODAY)
    assert second.months[:3] == first.months
    confirm(first, reference="evt-1")
    payment = confirm(second, reference="evt-2").payment
    kinds = list(payment.entries.order_by("pk").values_list("kind", "amount_idr"))
    # November to January went to the first payment; February to April are allocated, the rest is credit.
    assert kinds == [(EntryKind.RECEIVED, 178_800), (EntryKind.ALLOCATION, 28_400), (EntryKind.ALLOCATION, 28_400),
                     (EntryKind.ALLOCATION, 36_800), (EntryKind.CREDIT, 85_200)]
    assert credit_held(payment=payment) == 85_200
    assert credit_balance(member=registered) == 85_200
    assert reconciliation().balanced


def _with_credit(registered, payer):
    """85,200 of credit after two checkouts that overlap (see the test above); May to July 2027 billed, open."""
    first = payment_order_create(member=registered, months_count=3, payer=payer, today=TODAY)
    second = payment_order_create(member=registered, months_count=6, payer=payer, today=TODAY)
    confirm(first, reference="evt-1")
    payment = confirm(second, reference="evt-2").payment
    for value in ("2027-05", "2027-06", "2027-07"):
        bill_for_month(member=registered, month=month(value))
    return payment


def test_credit_pays_the_next_open_months_it_covers_and_the_member_is_told(registered, payer):
    payment = _with_credit(registered, payer)
    assert Bill.objects.get(member=registered, month=month("2027-05")).total_idr == 36_800
    paid = credit_apply(member_id=registered.pk)
    states = dict(Bill.objects.filter(member=registered, month__gte=month("2027-05")).values_list("month", "status"))
    assert states == {month("2027-05"): "paid", month("2027-06"): "paid", month("2027-07"): "open"}
    assert len(paid) == 2
    used = payment.entries.filter(from_credit=True).order_by("pk").values_list("kind", "amount_idr")
    assert list(used) == [(EntryKind.ALLOCATION, 36_800), (EntryKind.ALLOCATION, 36_800)]
    assert credit_balance(member=registered) == credit_held(payment=payment) == 85_200 - 73_600
    assert reconciliation().balanced
    event = AuditEvent.objects.get(action="credit.applied")
    assert event.changes == {"months": ["2027-05", "2027-06"], "amount_idr": 73_600}
    sms = OutboxMessage.objects.filter(purpose="receipt").latest("pk")
    assert "2027-05, 2027-06" in sms.body and registered.kpj in sms.body
    # July needs 36,800 and 11,600 is left: never part-paid by credit.
    assert credit_apply(member_id=registered.pk) == []
    assert Bill.objects.get(member=registered, month=month("2027-07")).status == "open"


def test_the_monthly_billing_job_applies_held_credit_before_any_reminder(registered, payer, today):
    _with_credit(registered, payer)
    today(dt.date(2027, 5, 1))
    bills_generate_current_month()
    assert Bill.objects.get(member=registered, month=month("2027-05")).status == "paid"
    assert Bill.objects.get(member=registered, month=month("2027-06")).status == "paid"


def test_credit_does_not_pay_a_lapsed_members_months(payer):
    member = member_make(sector="trade", jht=True, billing_start=dt.date(2026, 8, 1), status=MemberStatus.ACTIVE)
    bills_make(member, "2026-08", "2026-09", "2026-10")
    order = payment_order_create(member=member, months_count=3, payer=payer, today=dt.date(2026, 11, 10))
    member_lapse_if_unpaid(member_id=member.pk, today=TODAY)
    confirm(order)
    assert credit_apply(member_id=member.pk) == [] and credit_balance(member=member) == 85_200


def test_payment_after_the_member_lapsed_becomes_credit_and_can_be_refunded(payer):
    member = member_make(sector="trade", jht=True, billing_start=dt.date(2026, 8, 1), status=MemberStatus.ACTIVE)
    bills_make(member, "2026-08", "2026-09", "2026-10")
    order = payment_order_create(member=member, months_count=3, payer=payer, today=dt.date(2026, 11, 10))
    assert order.months == ["2026-08", "2026-09", "2026-10"] and order.amount_idr == 85_200
    assert member_lapse_if_unpaid(member_id=member.pk, today=TODAY) is True

    payment = confirm(order).payment
    member.refresh_from_db()
    assert member.status == MemberStatus.LAPSED  # a payment does not silently reactivate
    entries = list(payment.entries.order_by("pk").values_list("kind", "amount_idr", "bill_id"))
    assert entries == [(EntryKind.RECEIVED, 85_200, None), (EntryKind.CREDIT, 85_200, None)]
    assert not Bill.objects.filter(member=member, status=BillStatus.PAID).exists()
    assert credit_balance(member=member) == credit_held(payment=payment) == 85_200
    r = reconciliation()
    assert r.balanced and (r.allocated_idr, r.credit_held_idr) == (0, 85_200)

    refund = payment_refund(payment=payment, amount_idr=50_000, actor=payer, reason="membership lapsed")
    assert (refund.kind, refund.amount_idr, refund.from_credit, refund.bill) == (EntryKind.REFUND, 50_000, True, None)
    assert credit_balance(member=member) == credit_held(payment=payment) == 35_200
    for bad in (35_201, 0, -1):
        with pytest.raises(ValueError):
            payment_refund(payment=payment, amount_idr=bad, actor=payer, reason="too much")
    payment_refund(payment=payment, amount_idr=35_200, actor=payer, reason="the rest")
    assert credit_balance(member=member) == 0
    with pytest.raises(ValueError):
        payment_refund(payment=payment, amount_idr=1, actor=payer, reason="nothing left")
    audit = AuditEvent.objects.filter(action="payment.refunded").order_by("pk")
    assert [(e.changes["amount_idr"], e.reason, e.actor) for e in audit] == [
        (50_000, "membership lapsed", payer), (35_200, "the rest", payer)]
    r = reconciliation()
    assert r.balanced
    assert (r.payments, r.received_idr, r.allocated_idr, r.credit_held_idr, r.refunded_idr) == (
        1, 85_200, 0, 0, 85_200)


def test_allocated_money_cannot_be_refunded(registered, payer):
    order = payment_order_create(member=registered, months_count=1, payer=payer, today=TODAY)
    payment = confirm(order).payment
    with pytest.raises(ValueError):
        payment_refund(payment=payment, amount_idr=1, actor=payer, reason="no credit")
    assert not LedgerEntry.objects.filter(kind=EntryKind.REFUND).exists()


def test_reconciliation_after_everything(registered, payer):
    a = payment_order_create(member=registered, months_count=3, payer=payer, today=TODAY)
    b = payment_order_create(member=registered, months_count=1, payer=payer, today=TODAY)
    other = member_make(sector="trade", jht=False, billing_start=dt.date(2026, 11, 1))
    c = payment_order_create(member=other, months_count=12, payer=payer, today=TODAY)
    d = payment_order_create(member=other, months_count=1, payer=payer, today=TODAY)
    confirm(a, reference="a")
    confirm(a, reference="a")  # replay
    confirm(b, reference="b")  # November already paid: all credit
    for kwargs in ({"amount": 1}, {"va": "8808000000000001"}):
        with pytest.raises(PaymentRefused):
            confirm(c, reference="c-bad", **kwargs)
    confirm(c, reference="c")
    with pytest.raises(PaymentRefused):
        confirm(c, reference="c-again")
    confirm(d, reference="d")  # November paid by c: credit
    pay_b = Payment.objects.get(provider_reference="b")
    payment_refund(payment=pay_b, amount_idr=10_000, actor=payer, reason="partial")

    r = reconciliation()
    assert r.balanced, r
    assert r.mismatched_payments == [] and r.overpaid_bills == []
    received = a.amount_idr + b.amount_idr + c.amount_idr + d.amount_idr
    assert r.payments == 4 and r.received_idr == received
    assert r.credit_held_idr == b.amount_idr + d.amount_idr - 10_000
    assert r.refunded_idr == 10_000
    assert r.allocated_idr == a.amount_idr + c.amount_idr
    assert credit_balance(member=registered) == 28_400 - 10_000
    assert credit_balance(member=other) == d.amount_idr

    out = io.StringIO()
    call_command("reconcile", stdout=out)
    assert f"payments 4: received {received}" in out.getvalue()
    assert "Balanced to the rupiah." in out.getvalue()


def test_reconcile_command_fails_when_the_book_does_not_balance(registered, payer):
    """A bad allocation row inserted behind the services' back (on PostgreSQL, with the balance trigger off)."""
    order = payment_order_create(member=registered, months_count=1, payer=payer, today=TODAY)
    payment = confirm(order).payment
    bill = Bill.objects.get(member=registered)
    call_command("reconcile", stdout=io.StringIO())
    ledger_check_off()  # on PostgreSQL its trigger would refuse this row at commit (tests/db/test_ledger_triggers.py)
    LedgerEntry.objects.create(kind=EntryKind.ALLOCATION, payment=payment, member=registered, bill=bill,
                               amount_idr=1, from_credit=True, note="test: money that never existed")
    r = reconciliation()
    assert not r.balanced
    assert r.mismatched_payments == [payment.pk]
    assert r.overpaid_bills == [bill.pk]
    out = io.StringIO()
    with pytest.raises(CommandError, match=rf"NOT BALANCED: payments \[{payment.pk}\], overpaid bills \[{bill.pk}\]"):
        call_command("reconcile", stdout=out)
    assert "Balanced" not in out.getvalue()


def test_reconciliation_catches_a_payment_whose_entries_do_not_add_up(registered, payer):
    order = payment_order_create(member=registered, months_count=1, payer=payer, today=TODAY)
    payment = confirm(order).payment
    ledger_check_off()
    LedgerEntry.objects.create(kind=EntryKind.CREDIT, payment=payment, member=registered, amount_idr=500)
    r = reconciliation()
    assert not r.balanced and r.mismatched_payments == [payment.pk] and r.overpaid_bills == []
    with pytest.raises(CommandError):
        call_command("reconcile", stdout=io.StringIO())


def test_reconciliation_of_an_empty_book():
    r = reconciliation()
    assert r.balanced and (r.payments, r.received_idr, r.allocated_idr, r.credit_held_idr, r.refunded_idr) == (
        0, 0, 0, 0, 0)
