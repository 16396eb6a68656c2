"""Races on group checkouts, agent cash and repricing for a new payer, settled by PostgreSQL row locks and unique
indexes."""

import datetime as dt

import pytest
from django.utils import timezone

from contributions.models import AgentSettlement, Bill, CashCollection, EntryKind, LedgerEntry, Payment, PaymentOrder
from contributions.selectors import reconciliation
from contributions.services.agents import agent_cash_collect, agent_settle
from contributions.services.billing import bill_for_month, bills_reprice_for_payer
from contributions.services.payments import (
    credit_apply,
    payment_confirm,
    payment_order_create,
    payment_order_create_for_many,
)
from members.models import Member
from tests.contributions.helpers import member_make, payer_make
from tests.db.test_money_concurrency import _race
from tests.factories.members import AgentFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True),
              pytest.mark.usefixtures("reference_data")]


def test_group_payment_delivered_at_once_credits_every_member_once(regions):
    members = [member_make() for _ in range(3)]
    order = payment_order_create_for_many(items=[(m, 3) for m in members], payer=payer_make())

    def deliver():
        return payment_confirm(provider="simulator", reference="grp-race", va_number=order.va_number,
                               amount_idr=order.amount_idr, channel="va", paid_at=timezone.now()).payment.pk

    results = _race(*[deliver] * 8)
    assert len(set(results)) == 1 and Payment.objects.count() == 1
    assert LedgerEntry.objects.filter(kind=EntryKind.ALLOCATION).count() == 9
    assert reconciliation().balanced


def test_two_settlements_at_once_settle_each_collection_once(regions):
    agent = AgentFactory(user__username="agent", user__phone="+6281200000002", body__name="Koperasi")
    for member in (member_make(), member_make()):
        agent_cash_collect(agent=agent, member=member, months_count=1)
    results = _race(lambda: agent_settle(agent=agent, bank_reference="A-1"),
                    lambda: agent_settle(agent=agent, bank_reference="A-2"))
    settled = [r for r in results if isinstance(r, AgentSettlement)]
    assert len(settled) == 1 and isinstance([r for r in results if r not in settled][0], ValueError)
    assert AgentSettlement.objects.get().amount_idr == sum(c.amount_idr for c in CashCollection.objects.all())
    assert not CashCollection.objects.filter(settlement__isnull=True).exists()


def test_repricing_for_a_new_payer_and_a_checkout_at_once_agree_on_the_amount(regions):
    """A budget sponsor takes over while the member opens a checkout: whichever locks the member first wins, and
    the checkout's amount is always the sum of its bills as they stand (a bill in a checkout is not repriced)."""
    member = member_make(sector="transport", billing_start=dt.date(2026, 6, 1))
    for month in (dt.date(2026, 6, 1), dt.date(2026, 7, 1), dt.date(2026, 8, 1), dt.date(2026, 9, 1)):
        bill_for_month(member=member, month=month, today=dt.date(2026, 6, 10))
    assert set(Bill.objects.filter(member=member).values_list("total_idr", flat=True)) == {28_400}
    Member.objects.filter(pk=member.pk).update(funding_source="apbd")
    payer = payer_make()
    results = _race(
        lambda: bills_reprice_for_payer(member_id=member.pk, actor=None, reason="payer changed"),
        lambda: payment_order_create(member=member, months_count=3, payer=payer, today=dt.date(2026, 6, 10)))
    assert not [r for r in results if isinstance(r, Exception)], results
    order = PaymentOrder.objects.get()
    bills = {b.month: b.total_idr for b in Bill.objects.filter(member=member)}
    assert order.months == ["2026-06", "2026-07", "2026-08"]
    assert order.amount_idr == sum(bills[month] for month in order.month_dates)
    assert bills[dt.date(2026, 9, 1)] == 36_800  # in no checkout: repriced either way


def test_credit_applied_twice_at_once_pays_each_month_once(regions):
    """The monthly job and a second run (or a webhook's booking) at once: the member lock orders them."""
    member = member_make(sector="trade", billing_start=dt.date(2026, 6, 1))
    payer = payer_make()
    order = payment_order_create(member=member, months_count=6, payer=payer, today=dt.date(2026, 6, 10))
    for month in (dt.date(2026, 6, 1), dt.date(2026, 7, 1), dt.date(2026, 8, 1)):  # paid meanwhile by someone else
        Bill.objects.filter(member=member, month=month).update(status="paid", paid_at=timezone.now())
    payment_confirm(provider="simulator", reference="credit-race", va_number=order.va_number,
                    amount_idr=order.amount_idr, channel="va", paid_at=timezone.now())
    for month in (dt.date(2027, 1, 1), dt.date(2027, 2, 1)):
        bill_for_month(member=member, month=month, today=dt.date(2026, 6, 10))
    results = _race(lambda: credit_apply(member_id=member.pk), lambda: credit_apply(member_id=member.pk))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(len(r) for r in results) == [0, 2]  # one run paid both months, the other found nothing to pay
    assert LedgerEntry.objects.filter(from_credit=True).count() == 2
    assert reconciliation().balanced
