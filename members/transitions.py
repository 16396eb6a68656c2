"""The member's status: the allowed changes written once, the one function that makes them (row by row or for a
set of locked rows), an audit event for every change. Payments, lapses and claims call it."""

from __future__ import annotations

from django.db import connection, transaction
from django.utils import timezone

from core.models import User
from core.services import audit_events_record_many, audit_type
from core.sql import chunks, placeholders
from members.models import Member, MemberStatus

# Allowed status changes, written once. Payments and lapses (contributions) call the transition.
MEMBER_TRANSITIONS: dict[str, set[str]] = {
    MemberStatus.REGISTERED: {MemberStatus.ACTIVE, MemberStatus.LAPSED, MemberStatus.CLOSED},
    MemberStatus.ACTIVE: {MemberStatus.LAPSED, MemberStatus.CLOSED},
    MemberStatus.LAPSED: {MemberStatus.ACTIVE, MemberStatus.CLOSED},
    MemberStatus.CLOSED: set(),
}


TRANSITION_TABLES = {"members.Member.status": MEMBER_TRANSITIONS}  # for docs/states.md


class TransitionNotAllowed(Exception):
    pass


def member_status_transition(*, member_id: int, to: str, actor: User | None, reason: str) -> Member:
    with transaction.atomic():
        member = Member.objects.select_for_update().get(pk=member_id)
        return member_status_transition_locked(member=member, to=to, actor=actor, reason=reason)


def member_status_transition_locked(*, member: Member, to: str, actor: User | None, reason: str) -> Member:
    """For a caller that already holds the member's row lock inside its transaction (payment confirmation)."""
    member_statuses_transition_locked(members=[(member.pk, member.status)], to=to, actor=actor, reason=reason)
    member.status = to
    return member


def member_statuses_transition_locked(*, members: list[tuple[int, str]], to: str, actor: User | None,
                                      reason: str, audit_into: list | None = None) -> None:
    """member_status_transition_locked for many rows at once: (member pk, current status) pairs whose rows the
    caller holds locked; one UPDATE and one audit INSERT, or, with audit_into, the audit events appended there for
    a caller that writes them with its own in the same transaction (audit_events_record_many)."""
    changing = [(pk, before) for pk, before in members if before != to]
    for pk, before in changing:
        if to not in MEMBER_TRANSITIONS[before]:
            raise TransitionNotAllowed(f"member {pk}: {before} -> {to}")
    if not changing:
        return
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:  # by hand: the payment webhook's hot path (see core.sql)
        for some in chunks(changing):
            cursor.execute(f"UPDATE {Member._meta.db_table} SET status = %s, updated_at = %s "  # noqa: S608
                           f"WHERE id IN ({placeholders(len(some))})", [to, now, *(pk for pk, _b in some)])
    events = [("member.status_changed", audit_type(Member), pk, {"status": [before, to]}, reason)
              for pk, before in changing]
    if audit_into is not None:
        audit_into += events
    else:
        audit_events_record_many(actor_id=actor.pk if actor is not None else None, events=events)
