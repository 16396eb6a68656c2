"""Races on group checkouts and agent cash, settled by PostgreSQL row locks and unique indexes."""

import pytest
from django.utils import timezone

from contributions.models import AgentSettlement, CashCollection, EntryKind, LedgerEntry, Payment
from contributions.selectors import reconciliation
from contributions.services.agents import agent_cash_collect, agent_settle
from contributions.services.payments import payment_confirm, payment_order_create_for_many
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
