"""Perisai agents: cash collection pays the member's months at once, settlement, holding too long, commission,
inactivity, and an agent seeing only its own work."""

import datetime as dt
from unittest import mock

import pytest
from django.utils import timezone

from agents.services import agent_register_trader
from contributions.models import Bill, BillStatus, CashCollection
from contributions.selectors import (
    agent_cash_position,
    agents_holding_cash_too_long,
    commission_statement,
    reconciliation,
)
from contributions.services.agents import AgentNotActive, agent_cash_collect, agent_settle, agents_mark_inactive
from core.models import AuditEvent, OutboxMessage, User
from members.models import Agent, MemberStatus
from tests.factories.members import AgentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent(village_code):
    return AgentFactory(user__username="agent", user__phone="+6281200000002", body__name="Koperasi")


@pytest.fixture
def trader(agent, registration_data):
    return agent_register_trader(agent=agent, data=registration_data(occupation_code="pedagang-pasar"))


def test_agent_registers_a_trader_tagged_with_the_agent(trader, agent):
    assert trader.agent == agent and trader.channel == "agent"
    assert AuditEvent.objects.filter(action="member.registered", actor=agent.user).exists()


def test_cash_pays_the_months_now_and_the_member_gets_a_receipt(agent, trader):
    collection = agent_cash_collect(agent=agent, member=trader, months_count=3)
    assert collection.payment.channel == "cash" and collection.payment.order.payer == agent.user
    assert Bill.objects.filter(member=trader, status=BillStatus.PAID).count() == 3
    trader.refresh_from_db()
    assert trader.status == MemberStatus.ACTIVE
    assert OutboxMessage.objects.filter(purpose="receipt", recipient=str(trader.phone)).exists()
    position = agent_cash_position(agent=agent)
    assert position.held_idr == collection.amount_idr == position.collected_idr and position.settled_idr == 0
    assert reconciliation().balanced


def test_settlement_covers_everything_held(agent, trader):
    first = agent_cash_collect(agent=agent, member=trader, months_count=1)
    second = agent_cash_collect(agent=agent, member=trader, months_count=1)
    settlement = agent_settle(agent=agent, bank_reference="BNI-123")
    assert settlement.amount_idr == first.amount_idr + second.amount_idr
    assert not CashCollection.objects.filter(settlement__isnull=True).exists()
    assert agent_cash_position(agent=agent).held_idr == 0
    with pytest.raises(ValueError):
        agent_settle(agent=agent, bank_reference="BNI-124")


def test_cash_held_longer_than_the_setting_is_flagged(agent, trader, settings):
    settings.AGENT_CASH_HOLD_DAYS = 2
    agent_cash_collect(agent=agent, member=trader, months_count=1)
    later = timezone.now() + dt.timedelta(days=2, hours=1)
    assert agent_cash_position(agent=agent, now=later).overdue
    assert not agent_cash_position(agent=agent).overdue
    assert [row["agent_id"] for row in agents_holding_cash_too_long(now=later)] == [agent.pk]


def test_commission_statement(agent, trader, settings):
    settings.AGENT_BONUS_MIN_NEW_MEMBERS = 1
    collection = agent_cash_collect(agent=agent, member=trader, months_count=12)
    month = timezone.localdate()
    unsettled = commission_statement(agent=agent, month=month)
    assert unsettled.settled_idr == 0 and unsettled.bonus_idr == 500_000  # one new member reaches the bonus
    agent_settle(agent=agent, bank_reference="BRI-1")
    s = commission_statement(agent=agent, month=month)
    from decimal import ROUND_HALF_UP, Decimal

    expected = int((Decimal(collection.amount_idr) * Decimal("0.075")).quantize(Decimal("1"), ROUND_HALF_UP))
    assert s.settled_idr == collection.amount_idr and s.commission_idr == expected
    assert s.incentive_idr == expected + 500_000
    assert s.body_share_idr + s.agent_share_idr == s.incentive_idr
    assert s.body_share_idr == int((Decimal(s.incentive_idr) / 10).quantize(Decimal("1"), ROUND_HALF_UP))


def test_idle_agents_become_inactive_and_cannot_collect(agent, trader):
    assert agents_mark_inactive(today=timezone.localdate()) == 0  # active this month
    with mock.patch("django.utils.timezone.now", return_value=timezone.now() - dt.timedelta(days=200)):
        idle = AgentFactory(user__username="idle", user__phone="+6281200000099", body=agent.body)
    assert agents_mark_inactive(today=timezone.localdate()) == 1
    idle.refresh_from_db()
    assert idle.status == Agent.Status.INACTIVE
    assert AuditEvent.objects.filter(action="agent.status_changed", object_id=str(idle.pk)).exists()
    with pytest.raises(AgentNotActive):
        agent_cash_collect(agent=idle, member=trader, months_count=1)


def test_agent_pages_show_only_the_agents_own_work(client, agent, trader, registration_data):
    other = AgentFactory(user__username="other", user__phone="+6281200000077", body=agent.body)
    agent_cash_collect(agent=agent, member=trader, months_count=1)
    client.force_login(other.user)
    html = client.get("/agen/").content.decode()
    assert trader.kpj not in html
    client.force_login(agent.user)
    html = client.get("/agen/").content.decode()
    assert trader.kpj in html and trader.nik not in html
    client.force_login(User.objects.create(username="nobody", phone="+6281200000066"))
    assert client.get("/agen/").status_code == 403


def test_the_agents_form_does_not_ask_the_ecosystem_a_trader_belongs_to_the_market(client, agent, trader):
    client.force_login(agent.user)
    assert 'name="ecosystem"' not in client.get("/agen/daftarkan/").content.decode()
    assert trader.ecosystem_id == "pasar"


def test_the_dashboard_names_the_agents_traders_with_paid_until_and_the_bonus_left(client, agent, trader, settings):
    settings.AGENT_BONUS_MIN_NEW_MEMBERS = 50
    agent_cash_collect(agent=agent, member=trader, months_count=3)
    client.force_login(agent.user)
    client.cookies["bpu_lang"] = "id"
    html = client.get("/agen/").content.decode()
    traders = html.split('id="traders"')[1].split("</ul>")[0]
    assert trader.full_name in traders and "Lunas sampai" in traders and "jatuh tempo berikutnya" in traders
    assert "perlu 50 anggota baru dalam sebulan: kurang 49 lagi bulan ini" in html
