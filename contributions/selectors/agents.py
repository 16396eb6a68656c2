"""Perisai agents' money: the cash they hold and their monthly commission."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Max, Min, Q, QuerySet, Sum
from django.utils import timezone

from contributions.models import BillStatus, CashCollection
from core.money import round_idr
from members.models import Agent, Member
from reference.duedates import add_months, due_date_for


@dataclass(frozen=True)
class CashPosition:
    collected_idr: int
    settled_idr: int
    held_idr: int
    oldest_held_at: dt.datetime | None
    overdue: bool  # cash held longer than AGENT_CASH_HOLD_DAYS


def agent_cash_position(*, agent: Agent, now: dt.datetime | None = None) -> CashPosition:
    now = now or timezone.now()
    rows = CashCollection.objects.filter(agent=agent)
    collected = rows.aggregate(s=Sum("amount_idr"))["s"] or 0
    held_rows = rows.filter(settlement__isnull=True)
    held = held_rows.aggregate(s=Sum("amount_idr"))["s"] or 0
    oldest = held_rows.order_by("collected_at").values_list("collected_at", flat=True).first()
    overdue = oldest is not None and now - oldest > dt.timedelta(days=settings.AGENT_CASH_HOLD_DAYS)
    return CashPosition(collected, collected - held, held, oldest, overdue)


def agents_holding_cash_too_long(*, now: dt.datetime | None = None) -> QuerySet[CashCollection, dict[str, Any]]:
    """For staff: agents holding unsettled cash longer than the setting, oldest first."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=settings.AGENT_CASH_HOLD_DAYS)
    return (CashCollection.objects.filter(settlement__isnull=True, collected_at__lt=cutoff)
            .values("agent_id", "agent__user__first_name", "agent__user__username")
            .annotate(held_idr=Sum("amount_idr"), since=Min("collected_at")).order_by("since"))


@dataclass(frozen=True)
class CommissionStatement:
    month: dt.date
    settled_idr: int
    commission_idr: int
    new_members: int
    bonus_idr: int
    incentive_idr: int
    body_share_idr: int
    agent_share_idr: int
    bonus_min_new_members: int  # the bonus is paid from this many new members in the month
    bonus_offered_idr: int

    @property
    def members_to_bonus(self) -> int:
        return max(self.bonus_min_new_members - self.new_members, 0)


def commission_statement(*, agent: Agent, month: dt.date) -> CommissionStatement:
    """Commission for a month: AGENT_COMMISSION_PERCENT of cash collected and settled that month, plus
    AGENT_BONUS_IDR when the agent registered at least AGENT_BONUS_MIN_NEW_MEMBERS members; the body takes
    AGENT_BODY_SHARE_PERCENT of the incentive. Rounded once each, halves up."""
    start = timezone.make_aware(dt.datetime.combine(month.replace(day=1), dt.time.min))
    end = timezone.make_aware(dt.datetime.combine(add_months(month.replace(day=1), 1), dt.time.min))
    settled = CashCollection.objects.filter(agent=agent, collected_at__gte=start, collected_at__lt=end,
                                            settlement__isnull=False).aggregate(s=Sum("amount_idr"))["s"] or 0
    commission = round_idr(Decimal(settled) * Decimal(settings.AGENT_COMMISSION_PERCENT) / 100)
    new_members = agent.members.filter(created_at__gte=start, created_at__lt=end).count()
    bonus = settings.AGENT_BONUS_IDR if new_members >= settings.AGENT_BONUS_MIN_NEW_MEMBERS else 0
    incentive = commission + bonus
    body_share = round_idr(Decimal(incentive) * Decimal(settings.AGENT_BODY_SHARE_PERCENT) / 100)
    return CommissionStatement(month.replace(day=1), settled, commission, new_members, bonus, incentive,
                               body_share, incentive - body_share, settings.AGENT_BONUS_MIN_NEW_MEMBERS,
                               settings.AGENT_BONUS_IDR)


def agent_traders(*, agent: Agent, limit: int = 20) -> Sequence[Member]:
    """The members an agent registered, newest first, each with `paid_through` (the last month paid) and
    `next_due` (the due date of the oldest open month): the agent knows them by name, so it is not masked here."""
    traders = list(agent.members.annotate(
        paid_through=Max("bills__month", filter=Q(bills__status=BillStatus.PAID)),
        next_due=Min("bills__due_date", filter=Q(bills__status=BillStatus.OPEN)),
    ).order_by("-created_at")[:limit])
    for trader in traders:  # paid ahead, no bill open yet: the month after the last one paid is next
        if trader.next_due is None and trader.paid_through is not None:
            trader.next_due = due_date_for(add_months(trader.paid_through, 1))
    return traders
