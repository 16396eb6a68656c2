"""Whatever happens (orders of 1/3/6/12 months, payments, replays, refusals, lapses, reactivations, refunds, months
passing), the book balances to the rupiah, no bill is allocated beyond its total and no member's credit is negative."""

import datetime as dt
import itertools

import pytest
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from contributions.models import Bill, BillStatus, EntryKind, LedgerEntry, OrderStatus, Payment, PaymentOrder
from contributions.selectors import credit_balance, reconciliation
from contributions.services.billing import bill_generate_for_period
from contributions.services.membership import member_reactivate, members_lapse
from contributions.services.payments import PaymentRefused, credit_held, payment_order_create, payment_refund
from members.models import Member, MemberStatus
from reference.duedates import add_months
from tests.contributions.helpers import confirm, member_make, payer_make
from tests.core.helpers import own_atomic

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("reference_data")]

_refs = itertools.count(1)


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self._atomic = own_atomic()
        self._atomic.__enter__()  # every example starts from the same database and is rolled back
        self.orders: list[PaymentOrder] = []
        self.accepted: dict[str, int] = {}  # provider reference -> amount credited

    def teardown(self):
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    @initialize()
    def start(self):
        self.today = dt.date(2026, 1, 10)
        self.payer = payer_make()
        self.members = [
            member_make(sector="transport", jht=True, billing_start=dt.date(2026, 1, 1)),
            member_make(sector="trade", jht=False, income=20_700_000, billing_start=dt.date(2026, 1, 1)),
            member_make(sector="household", jht=True, funding="apbd", income=2_500_000,
                        billing_start=dt.date(2026, 1, 1), status=MemberStatus.ACTIVE),
        ]
        bill_generate_for_period(month=self.today)
        for member in self.members:  # something to pay from the first step
            self.orders.append(payment_order_create(member=member, months_count=1, payer=self.payer,
                                                    today=self.today))

    def _member(self, i) -> Member:
        return Member.objects.get(pk=self.members[i % len(self.members)].pk)

    def _ledger_size(self):
        return LedgerEntry.objects.count(), Payment.objects.count()

    # --- actions ---------------------------------------------------------------------------------------------

    @rule(i=st.integers(0, 2), count=st.sampled_from([1, 3, 6, 12]), pay_now=st.booleans(),
          replays=st.integers(0, 2))
    def order(self, i, count, pay_now, replays):
        member = self._member(i)
        if member.status in (MemberStatus.LAPSED, MemberStatus.CLOSED):
            with pytest.raises(PaymentRefused):
                payment_order_create(member=member, months_count=count, payer=self.payer, today=self.today)
            return
        order = payment_order_create(member=member, months_count=count, payer=self.payer, today=self.today)
        bills = Bill.objects.filter(member=member, month__in=order.month_dates)
        assert len(order.months) == count == bills.count()
        assert order.amount_idr == bills.aggregate(s=Sum("total_idr"))["s"]
        self.orders.append(order)
        if pay_now:
            self._pay(order, replays, "va")

    def _pending(self) -> list[PaymentOrder]:
        return list(PaymentOrder.objects.filter(pk__in=[o.pk for o in self.orders], status=OrderStatus.PENDING)
                    .order_by("pk"))

    @precondition(lambda self: self.orders)
    @rule(i=st.integers(0, 50), replays=st.integers(0, 2), channel=st.sampled_from(["va", "qris"]))
    def pay(self, i, replays, channel):
        pending = self._pending()
        if not pending:
            return
        self._pay(pending[i % len(pending)], replays, channel)

    def _pay(self, order, replays, channel):
        reference = f"ref-{next(_refs)}"
        before = Payment.objects.count()
        first = confirm(order, reference=reference, channel=channel)
        assert not first.replay and first.payment.amount_idr == order.amount_idr
        self.accepted[reference] = order.amount_idr
        for _ in range(replays):
            again = confirm(order, reference=reference, channel=channel)
            assert again.replay and again.payment.pk == first.payment.pk
        assert Payment.objects.count() == before + 1
        order.refresh_from_db()
        assert order.status == OrderStatus.PAID
        if first.payment.entries.filter(kind=EntryKind.CREDIT).exists():
            event("payment with credit")
        return first.payment

    @rule(i=st.integers(0, 2), count=st.sampled_from([1, 3, 6, 12]), second=st.sampled_from([1, 3, 6, 12]))
    def two_orders_for_the_same_months(self, i, count, second):
        """Two people pay for the same member at once: the months paid by the first are credit in the second."""
        member = self._member(i)
        if member.status in (MemberStatus.LAPSED, MemberStatus.CLOSED):
            return
        a = payment_order_create(member=member, months_count=count, payer=self.payer, today=self.today)
        b = payment_order_create(member=member, months_count=second, payer=self.payer, today=self.today)
        self.orders += [a, b]
        self._pay(a, 0, "va")
        payment = self._pay(b, 1, "qris")
        overlap = len(set(a.months) & set(b.months))
        assert payment.entries.filter(kind=EntryKind.ALLOCATION).count() == len(b.months) - overlap
        assert credit_held(payment=payment) == (b.amount_idr - sum(
            Bill.objects.filter(member=member, month__in=[m for m in b.month_dates if f"{m:%Y-%m}" not in a.months])
            .values_list("total_idr", flat=True)))

    @precondition(lambda self: self.accepted)
    @rule(i=st.integers(0, 50))
    def replay_an_old_payment(self, i):
        reference = sorted(self.accepted)[i % len(self.accepted)]
        payment = Payment.objects.get(provider_reference=reference)
        before = self._ledger_size()
        again = confirm(payment.order, reference=reference)
        assert again.replay and again.payment.pk == payment.pk
        assert self._ledger_size() == before

    @precondition(lambda self: self.orders)
    @rule(i=st.integers(0, 50), kind=st.sampled_from(["wrong_amount", "unknown_account", "expired"]),
          delta=st.sampled_from([-1, 1, -1000, 50_000]))
    def pay_refused(self, i, kind, delta):
        order = PaymentOrder.objects.get(pk=self.orders[i % len(self.orders)].pk)
        before = self._ledger_size()
        with pytest.raises(PaymentRefused) as refused:
            if kind == "wrong_amount":
                confirm(order, reference=f"ref-{next(_refs)}", amount=order.amount_idr + delta)
            elif kind == "unknown_account":
                confirm(order, reference=f"ref-{next(_refs)}", va="8808" + "0" * 11 + "7")
            else:  # the gateway reports money taken after the order had expired
                confirm(order, reference=f"ref-{next(_refs)}", paid_at=order.expires_at + dt.timedelta(seconds=1))
        expected = {"wrong_amount": "wrong_amount", "unknown_account": "unknown_account", "expired": "expired"}[kind]
        if order.status == OrderStatus.PAID and kind != "unknown_account":
            expected = "already_paid"
        assert refused.value.code == expected
        assert self._ledger_size() == before

    @rule(months=st.integers(1, 4))
    def time_passes(self, months):
        for _ in range(months):
            self.today = add_months(self.today.replace(day=1), 1).replace(day=self.today.day)
            bill_generate_for_period(month=self.today, batch_size=2)

    @rule()
    def lapse(self):
        if members_lapse(today=self.today):
            event("lapsed")
        assert members_lapse(today=self.today) == 0  # idempotent

    @rule(i=st.integers(0, 2))
    def reactivate(self, i):
        member = self._member(i)
        was = member.status
        after = member_reactivate(member_id=member.pk, actor=self.payer, today=self.today)
        if was == MemberStatus.LAPSED:
            event("reactivated")
            assert after.status == MemberStatus.ACTIVE and after.kpj == member.kpj
            assert not Bill.objects.filter(member=member, status=BillStatus.OPEN,
                                           month__lt=self.today.replace(day=1)).exists()
        else:
            assert after.status == was

    @precondition(lambda self: self.accepted)
    @rule(i=st.integers(0, 50), percent=st.integers(1, 100))
    def refund(self, i, percent):
        payments = list(Payment.objects.order_by("pk"))
        with_credit = [p for p in payments if credit_held(payment=p) > 0]
        payment = (with_credit or payments)[i % len(with_credit or payments)]
        held = credit_held(payment=payment)
        if held == 0:
            with pytest.raises(ValueError):
                payment_refund(payment=payment, amount_idr=1, actor=self.payer, reason="test")
            return
        amount = max(1, held * percent // 100)
        event("refund")
        payment_refund(payment=payment, amount_idr=amount, actor=self.payer, reason="test")
        assert credit_held(payment=payment) == held - amount
        with pytest.raises(ValueError):
            payment_refund(payment=payment, amount_idr=held - amount + 1, actor=self.payer, reason="too much")

    # --- invariants ------------------------------------------------------------------------------------------

    @invariant()
    def money_is_right(self):
        r = reconciliation()
        assert r.balanced, r
        assert r.mismatched_payments == [] and r.overpaid_bills == []
        assert r.payments == len(self.accepted)
        assert r.received_idr == sum(self.accepted.values())
        # Every bill is allocated exactly its total when paid, nothing otherwise; never beyond its total.
        for bill_id, status, total, allocated in Bill.objects.annotate(a=Sum("allocations__amount_idr")).values_list(
                "pk", "status", "total_idr", "a"):
            allocated = allocated or 0
            assert allocated <= total, bill_id
            assert allocated == (total if status == BillStatus.PAID else 0), (bill_id, status, total, allocated)
        # Credit: per payment never negative, per member the sum of its payments' credit.
        held: dict[int, int] = {}
        by_member: dict[int, int] = {}
        for payment_id, member_id, kind, from_credit, amount in LedgerEntry.objects.values_list(
                "payment_id", "member_id", "kind", "from_credit", "amount_idr"):
            change = amount if kind == EntryKind.CREDIT else -amount if from_credit else 0
            held[payment_id] = held.get(payment_id, 0) + change
            by_member[member_id] = by_member.get(member_id, 0) + change
        assert all(v >= 0 for v in held.values()), held
        for member in getattr(self, "members", []):
            assert credit_balance(member=member) == by_member.get(member.pk, 0) >= 0


def test_ledger_invariants_hold_for_any_history():
    run_state_machine_as_test(LedgerMachine, settings=settings(
        max_examples=50, stateful_step_count=10, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    ))
