"""Lapse after ARREARS_MONTHS unpaid months, and reactivation that keeps the NIK and participant number."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from contributions.locks import member_lock
from contributions.models import Bill, BillStatus
from contributions.services.billing import bill_for_month
from contributions.transitions import bills_status_transition_where
from core.models import User
from core.services import audit_event_record
from members.models import Member, MemberStatus
from members.transitions import member_status_transition
from reference.duedates import add_months


def _unpaid_window(today: dt.date) -> tuple[dt.date, dt.date]:
    current = today.replace(day=1)
    return add_months(current, -settings.ARREARS_MONTHS), add_months(current, -1)


def members_due_to_lapse(*, today: dt.date, limit: int = 1000) -> list[int]:
    """Members whose last ARREARS_MONTHS months before the current one are all billed and unpaid (set-based)."""
    first, last = _unpaid_window(today)
    return list(
        Bill.objects.filter(month__gte=first, month__lte=last, status=BillStatus.OPEN,
                            member__status__in=(MemberStatus.REGISTERED, MemberStatus.ACTIVE))
        .values("member_id").annotate(n=Count("id")).filter(n=settings.ARREARS_MONTHS)
        .order_by("member_id").values_list("member_id", flat=True)[:limit]
    )


def member_lapse_if_unpaid(*, member_id: int, today: dt.date) -> bool:
    """Locks the member, re-checks the unpaid months (a payment may have just landed) and lapses if still unpaid."""
    first, last = _unpaid_window(today)
    with transaction.atomic(durable=True):  # one member per transaction: the job resumes where it stopped
        member = member_lock(member_id=member_id)
        if member.status not in (MemberStatus.REGISTERED, MemberStatus.ACTIVE):
            return False
        unpaid = Bill.objects.filter(member=member, month__gte=first, month__lte=last, status=BillStatus.OPEN)
        if unpaid.count() < settings.ARREARS_MONTHS:
            return False
        member_status_transition(member_id=member.pk, to=MemberStatus.LAPSED, actor=None,
                                 reason=f"{settings.ARREARS_MONTHS} consecutive unpaid months up to {last:%Y-%m}")
        return True


def members_lapse(*, today: dt.date | None = None, batch_size: int = 1000) -> int:
    """The periodic job: bounded batches, resumable (each member is its own transaction)."""
    today = today or timezone.localdate()
    lapsed = 0
    while True:
        ids = members_due_to_lapse(today=today, limit=batch_size)
        changed = sum(member_lapse_if_unpaid(member_id=i, today=today) for i in ids)
        lapsed += changed
        if len(ids) < batch_size or changed == 0:
            return lapsed


def member_reactivate(*, member_id: int, actor: User | None, today: dt.date | None = None) -> Member:
    """Lapsed → active again, same NIK and KPJ: old unpaid bills are cancelled and billing starts this month."""
    today = today or timezone.localdate()
    month = today.replace(day=1)
    with transaction.atomic():
        member = member_lock(member_id=member_id)
        if member.status != MemberStatus.LAPSED:
            return member
        cancelled = Bill.objects.filter(Q(member=member, status=BillStatus.OPEN) & Q(month__lt=month))
        months = [f"{m:%Y-%m}" for m in cancelled.values_list("month", flat=True)]
        bills_status_transition_where(rows=cancelled, to=BillStatus.VOID, actor=actor, reason="reactivated")
        member.billing_start = month
        member.save(update_fields=["billing_start", "updated_at"])
        member = member_status_transition(member_id=member.pk, to=MemberStatus.ACTIVE, actor=actor,
                                          reason="reactivated")
        audit_event_record(actor=actor, action="member.reactivated", obj=member,
                           changes={"billing_start": f"{month:%Y-%m}", "cancelled_months": months})
        bill_for_month(member=member, month=month, today=today)
        return member
