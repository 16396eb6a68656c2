"""Perisai agents: cash collected from members, settled into the agency's account, commission, inactivity."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from contributions.locks import cash_held_lock
from contributions.models import AgentSettlement, CashCollection, Channel
from contributions.services.payments import payment_confirm, payment_order_create_for_many
from core.services import audit_event_record
from members.models import Agent, Member
from members.transitions import agents_status_transition_where
from reference.duedates import add_months


class AgentNotActive(Exception):
    pass


def agent_cash_collect(*, agent: Agent, member: Member, months_count: int) -> CashCollection:
    """The agent took cash for N months: the member's months are paid now (receipt SMS from the payment), and
    the cash is on the agent until it is settled."""
    if agent.status != Agent.Status.ACTIVE:
        raise AgentNotActive()
    now = timezone.now()
    with transaction.atomic():
        order = payment_order_create_for_many(items=[(member, months_count)], payer=agent.user,
                                              provider_name="agent_cash")
        payment = payment_confirm(provider="agent_cash", reference=f"cash-{order.pk}", va_number=order.va_number,
                                  amount_idr=order.amount_idr, channel=Channel.CASH, paid_at=now).payment
        collection = CashCollection.objects.create(agent=agent, payment=payment, amount_idr=payment.amount_idr,
                                                   collected_at=now)
        audit_event_record(actor=agent.user, action="agent.cash_collected", obj=collection,
                           changes={"member": member.kpj, "amount_idr": payment.amount_idr, "months": order.months})
        return collection


def agent_settle(*, agent: Agent, bank_reference: str, settled_at: dt.datetime | None = None) -> AgentSettlement:
    """Everything the agent still holds, paid into the agency's account under one bank reference."""
    with transaction.atomic():
        held = cash_held_lock(agent=agent)
        if not held:
            raise ValueError("nothing to settle")
        settlement = AgentSettlement.objects.create(
            agent=agent, amount_idr=sum(c.amount_idr for c in held), bank_reference=bank_reference.strip(),
            settled_at=settled_at or timezone.now(),
        )
        CashCollection.objects.filter(pk__in=[c.pk for c in held]).update(settlement=settlement)
        audit_event_record(actor=agent.user, action="agent.settled", obj=settlement,
                           changes={"amount_idr": settlement.amount_idr, "collections": len(held)})
        return settlement


def agents_mark_inactive(*, today: dt.date | None = None) -> int:
    """Agents with no new member and no collection for AGENT_INACTIVE_AFTER_MONTHS become inactive."""
    today = today or timezone.localdate()
    since = timezone.make_aware(dt.datetime.combine(
        add_months(today.replace(day=1), -settings.AGENT_INACTIVE_AFTER_MONTHS), dt.time.min))
    idle = (Agent.objects.filter(status=Agent.Status.ACTIVE, created_at__lt=since)
            .exclude(Q(members__created_at__gte=since) | Q(collections__collected_at__gte=since))
            .values_list("pk", flat=True).distinct())
    # Locked in pk order and moved only if still active (members.transitions.AGENT), one audit event each.
    return len(agents_status_transition_where(rows=list(idle), to=Agent.Status.INACTIVE, actor=None,
                                              reason=f"no activity since {since:%Y-%m-%d}"))

