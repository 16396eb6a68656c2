"""The status gates of contributions (contributions.transitions): every move the tables allow works and is audited,
every other move is refused and changes nothing, the set-based variants change exactly the rows the row functions
would, and no status is written anywhere else in the app."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.utils import timezone

from contributions import transitions
from contributions.models import (
    Bill,
    BillStatus,
    DebitAttempt,
    DebitMandate,
    MandateStatus,
    OrderStatus,
    PaymentOrder,
)
from contributions.services.payments import payment_order_create, payment_orders_expire
from core.models import AuditEvent
from core.services import audit_type
from core.transitions import TransitionNotAllowed
from tests.contributions.helpers import bill_issue, confirm, member_make, payer_make
from tests.core.test_transitions import hand_written_status_writes

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("reference_data")]

TODAY = dt.date(2026, 11, 21)
_months = itertools.count()


def _bill(status: str) -> Bill:
    bill = bill_issue(member_make(), "2026-10")
    Bill.objects.filter(pk=bill.pk).update(status=status)  # setup: the starting status
    return bill


def _order(status: str) -> PaymentOrder:
    order = payment_order_create(member=member_make(), months_count=1, payer=payer_make(), today=TODAY)
    PaymentOrder.objects.filter(pk=order.pk).update(status=status)
    return order


def _mandate(status: str) -> DebitMandate:
    now = timezone.now()
    return DebitMandate.objects.create(
        payer=payer_make(), member=member_make(), method="bank", issuer="BCA", account_masked="****7890",
        provider_reference=f"MD-{next(_months)}", max_amount_idr=500_000, consent_version="test", consented_at=now,
        status=status)


def _attempt(status: str) -> DebitAttempt:
    n = next(_months)
    now = timezone.now()
    return DebitAttempt.objects.create(mandate=_mandate(MandateStatus.ACTIVE),
                                       month=dt.date(2000 + n // 12, n % 12 + 1, 1), amount_idr=35_000,
                                       status=status, created_at=now, updated_at=now)


GATES = {
    "bill": (transitions.BILL, _bill, lambda pk, to: transitions.bill_status_transition(
        bill_id=pk, to=to, actor=None, reason="test"), transitions.bills_status_transition_where),
    "order": (transitions.ORDER, _order, lambda pk, to: transitions.payment_order_status_transition(
        order_id=pk, to=to, actor=None, reason="test"), transitions.payment_orders_status_transition_where),
    "mandate": (transitions.MANDATE, _mandate, lambda pk, to: transitions.debit_mandate_status_transition(
        mandate_id=pk, to=to, actor=None, reason="test"), transitions.debit_mandates_status_transition_where),
    "attempt": (transitions.ATTEMPT, _attempt, lambda pk, to: transitions.debit_attempt_status_transition(
        attempt_id=pk, to=to, actor=None, reason="test"), transitions.debit_attempts_status_transition_where),
}


def _status(gate, pk) -> str:
    return gate.model.objects.values_list("status", flat=True).get(pk=pk)


def _events(gate, pk):
    """The row's status events (an order's creation has one of its own)."""
    return [event for event in AuditEvent.objects.filter(object_type=audit_type(gate.model), object_id=str(pk))
            .order_by("pk").values_list("action", "changes", "reason") if "status" in event[1]]


def test_every_status_has_a_row_in_its_table():
    for gate in (transitions.BILL, transitions.ORDER, transitions.MANDATE, transitions.ATTEMPT):
        choices = {value for value, _label in gate.model._meta.get_field("status").choices}
        assert set(gate.table) == choices
        assert set().union(*gate.table.values()) <= choices
    assert set(transitions.TRANSITION_TABLES) == {"contributions.Bill.status", "contributions.PaymentOrder.status",
                                                  "contributions.DebitMandate.status",
                                                  "contributions.DebitAttempt.status"}


@pytest.mark.parametrize("name", GATES)
def test_the_row_function_follows_the_table_and_audits(name):
    gate, make, move, _where = GATES[name]
    statuses = list(gate.table)
    for before, to in itertools.product(statuses, statuses):
        pk = make(before).pk
        if gate.allows(before, to):
            assert move(pk, to) == before
            assert _status(gate, pk) == to
            expected = [] if (before, to) in gate.quiet else [
                (gate.action.format(model=gate.model._meta.model_name, to=to), {"status": [before, to]}, "test")]
            assert _events(gate, pk) == expected, (before, to)
        elif before == to:
            assert move(pk, to) is None  # already there: nothing to do
            assert _status(gate, pk) == to and _events(gate, pk) == []
        else:
            with pytest.raises(TransitionNotAllowed):
                move(pk, to)
            assert _status(gate, pk) == before and _events(gate, pk) == [], (before, to)


@pytest.mark.parametrize("name", GATES)
def test_the_set_based_variant_agrees_with_the_row_function(name):
    gate, make, move, where = GATES[name]
    statuses = list(gate.table)
    for to in statuses:
        by_row = [make(before).pk for before in statuses]
        by_set = [make(before).pk for before in statuses]
        for pk in by_row:
            try:
                move(pk, to)
            except TransitionNotAllowed:
                pass
        changed = where(rows=by_set, to=to, actor=None, reason="test")
        assert changed == [(pk, before) for pk, before in zip(by_set, statuses, strict=True)
                           if before in gate.sources(to)]
        assert [_status(gate, pk) for pk in by_set] == [_status(gate, pk) for pk in by_row], to
        assert [_events(gate, pk) for pk in by_set] == [_events(gate, pk) for pk in by_row], to


def test_the_set_based_variant_takes_a_queryset_and_leaves_other_rows_alone():
    bills = [_bill(BillStatus.OPEN) for _ in range(3)]
    paid = _bill(BillStatus.PAID)
    changed = transitions.bills_status_transition_where(
        rows=Bill.objects.filter(pk__in=[bills[0].pk, bills[2].pk, paid.pk]), to=BillStatus.VOID, actor=None)
    assert changed == [(bills[0].pk, BillStatus.OPEN), (bills[2].pk, BillStatus.OPEN)]
    assert [_status(transitions.BILL, b.pk) for b in (*bills, paid)] == ["void", "open", "void", "paid"]


def test_order_expiry_writes_an_audit_event_per_expired_order():
    late, fresh, paid = _order(OrderStatus.PENDING), _order(OrderStatus.PENDING), _order(OrderStatus.PAID)
    past = timezone.now() - dt.timedelta(minutes=1)
    PaymentOrder.objects.filter(pk__in=[late.pk, paid.pk]).update(expires_at=past)
    assert payment_orders_expire() == 1
    assert [_status(transitions.ORDER, o.pk) for o in (late, fresh, paid)] == ["expired", "pending", "paid"]
    event = AuditEvent.objects.get(action="payment_order.expired", object_id=str(late.pk))
    assert (event.action, event.changes, event.actor) == ("payment_order.expired",
                                                           {"status": ["pending", "expired"]}, None)
    assert not AuditEvent.objects.filter(action="payment_order.expired").exclude(object_id=str(late.pk)).exists()
    assert payment_orders_expire() == 0


def test_a_confirmation_audits_the_order_and_its_bills(payer):
    member = member_make(billing_start=dt.date(2026, 10, 1))
    bill_issue(member, "2026-10")
    order = payment_order_create(member=member, months_count=1, payer=payer, today=TODAY)
    confirm(order, reference="evt-gate")
    assert _events(transitions.ORDER, order.pk) == [("payment_order.paid", {"status": ["pending", "paid"]}, "")]
    bill = Bill.objects.get(member=member, month=dt.date(2026, 10, 1))
    assert _events(transitions.BILL, bill.pk) == [("bill.paid", {"status": ["open", "paid"]}, "")]


def test_an_order_the_sweep_expired_but_paid_in_time_is_paid_from_expired(payer):
    member = member_make(billing_start=dt.date(2026, 10, 1))
    order = payment_order_create(member=member, months_count=1, payer=payer, today=TODAY)
    PaymentOrder.objects.filter(pk=order.pk).update(status=OrderStatus.EXPIRED)
    result = confirm(order, reference="evt-late", paid_at=order.expires_at - dt.timedelta(minutes=5))
    assert not result.replay and _status(transitions.ORDER, order.pk) == OrderStatus.PAID
    assert _events(transitions.ORDER, order.pk) == [("payment_order.paid", {"status": ["expired", "paid"]}, "")]


def test_no_status_is_written_outside_the_gate():
    assert hand_written_status_writes("contributions") == []
