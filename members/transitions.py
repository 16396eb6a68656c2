"""The status fields of members (member, agent, sponsorship): each one's allowed moves, written once, and the only
statements that change them (core.transitions).

Each field has a row function (`<thing>_status_transition`) and a set-based one (`<things>_status_transition_where`,
its WHERE status IN (…) from the same table). Payments, lapses and claims move members; the payment webhook and the
death-claim payout keep their own pinned statement (member_statuses_transition_locked), with its status list and
audit rows taken from the gate. A sponsorship has no status column: its status is read from confirmed_at and
ended_at (SPONSORSHIP_STATUS), and sponsorship_transition writes the timestamp of the status it moves to.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db import connection, models, transaction
from django.db.models import Case, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import User
from core.services import audit_event_record, audit_events_record_many, audit_type
from core.sql import chunks, placeholders
from core.transitions import Gate, transition_row, transition_where
from core.transitions import TransitionNotAllowed as TransitionNotAllowed  # callers catch it from here
from members.models import Agent, Member, MemberStatus, Sponsorship

MEMBER_TRANSITIONS: dict[str, frozenset[str]] = {
    MemberStatus.REGISTERED: frozenset({MemberStatus.ACTIVE, MemberStatus.LAPSED, MemberStatus.CLOSED}),
    MemberStatus.ACTIVE: frozenset({MemberStatus.LAPSED, MemberStatus.CLOSED}),
    MemberStatus.LAPSED: frozenset({MemberStatus.ACTIVE, MemberStatus.CLOSED}),
    MemberStatus.CLOSED: frozenset(),
}
AGENT_TRANSITIONS: dict[str, frozenset[str]] = {
    Agent.Status.ACTIVE: frozenset({Agent.Status.INACTIVE}),  # idle for months (agents_mark_inactive)
    Agent.Status.INACTIVE: frozenset({Agent.Status.ACTIVE}),  # staff take the agent back
}


class SponsorshipStatus(models.TextChoices):
    """Read from the timestamps, never stored: requested (no confirmed_at), confirmed, ended (ended_at)."""

    REQUESTED = "requested", _("Waiting for the member's answer")
    CONFIRMED = "confirmed", _("Confirmed")
    ENDED = "ended", _("Ended")


# A sponsor registering a new worker starts confirmed; one naming an existing member starts requested.
SPONSORSHIP_TRANSITIONS: dict[str, frozenset[str]] = {
    SponsorshipStatus.REQUESTED: frozenset({SponsorshipStatus.CONFIRMED, SponsorshipStatus.ENDED}),  # ended: declined
    SponsorshipStatus.CONFIRMED: frozenset({SponsorshipStatus.ENDED}),  # the member takes over paying
    SponsorshipStatus.ENDED: frozenset(),
}
SPONSORSHIP_STATUS = Case(When(ended_at__isnull=False, then=Value(SponsorshipStatus.ENDED)),
                          When(confirmed_at__isnull=False, then=Value(SponsorshipStatus.CONFIRMED)),
                          default=Value(SponsorshipStatus.REQUESTED), output_field=models.CharField())
# Each status as a condition on the timestamps (the UPDATE's WHERE status = before), and the column a move sets.
_SPONSORSHIP_WHERE: dict[str, Q] = {
    SponsorshipStatus.REQUESTED: Q(confirmed_at__isnull=True, ended_at__isnull=True),
    SponsorshipStatus.CONFIRMED: Q(confirmed_at__isnull=False, ended_at__isnull=True),
    SponsorshipStatus.ENDED: Q(ended_at__isnull=False),
}
_SPONSORSHIP_SETS: dict[str, str] = {SponsorshipStatus.CONFIRMED: "confirmed_at", SponsorshipStatus.ENDED: "ended_at"}


class _SponsorshipGate(Gate):
    """The sponsorship's audit actions since the first sponsor: sponsorship.accepted and sponsorship.ended, with the
    sponsor and the member's KPJ."""

    def events(self, rows: Iterable[tuple[Any, str]], *, to: str, reason: str = "",
               changes: Mapping | None = None) -> list[tuple[str, str, Any, dict, str]]:
        action = "sponsorship.accepted" if to == SponsorshipStatus.CONFIRMED else f"sponsorship.{to}"
        return [(action, audit_type(self.model), pk, {**self.change(before, to), **(changes or {})}, reason[:255])
                for pk, before in rows]


MEMBER = Gate(Member, MEMBER_TRANSITIONS, action="member.status_changed")
AGENT = Gate(Agent, AGENT_TRANSITIONS, action="agent.status_changed")
SPONSORSHIP = _SponsorshipGate(Sponsorship, SPONSORSHIP_TRANSITIONS)

# For docs/states.md (scripts/states_doc.py): every gate of this app. A status that is no column names its choices
# and the statuses a row starts in here.
TRANSITION_TABLES = {gate.label: gate.table for gate in (MEMBER, AGENT, SPONSORSHIP)}
DERIVED_STATUSES = {SPONSORSHIP.label: (SponsorshipStatus, [SponsorshipStatus.REQUESTED, SponsorshipStatus.CONFIRMED])}


def _actor_id(actor: User | None) -> int | None:
    return actor.pk if actor is not None else None


# Members.

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
    caller holds locked; one UPDATE per few thousand and one audit INSERT, or, with audit_into, the audit events
    appended there for a caller that writes them with its own in the same transaction (audit_events_record_many)."""
    changing = [(pk, before) for pk, before in members if before != to]
    for pk, before in changing:
        MEMBER.check(before, to, pk)
    if not changing:
        return
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    sources = MEMBER.sources(to)
    with connection.cursor() as cursor:  # by hand: the payment webhook's hot path (see core.sql)
        for some in chunks(changing):
            cursor.execute(f"UPDATE {Member._meta.db_table} SET status = %s, updated_at = %s "  # noqa: S608
                           f"WHERE id IN ({placeholders(len(some))}) AND status IN ({placeholders(len(sources))})",
                           [to, now, *(pk for pk, _b in some), *sources])
    events = MEMBER.events(changing, to=to, reason=reason)
    if audit_into is not None:
        audit_into += events
    else:
        audit_events_record_many(actor_id=_actor_id(actor), events=events)


def members_status_transition_where(*, rows: QuerySet | Sequence[int], to: str, actor: User | None, reason: str,
                                    audit_into: list | None = None) -> list[tuple[int, str]]:
    """member_status_transition for a set: the rows whose status may become `to` move, the others stay."""
    return transition_where(MEMBER, rows=rows, to=to, actor_id=_actor_id(actor), reason=reason,
                            audit_into=audit_into, updated_at=timezone.now())


# Agents.

def agent_status_transition(*, agent_id: int, to: str, actor: User | None, reason: str = "") -> str | None:
    return transition_row(AGENT, pk=agent_id, to=to, actor=actor, reason=reason)


def agents_status_transition_where(*, rows: QuerySet | Sequence[int], to: str, actor: User | None, reason: str = "",
                                   audit_into: list | None = None) -> list[tuple[int, str]]:
    return transition_where(AGENT, rows=rows, to=to, actor_id=_actor_id(actor), reason=reason, audit_into=audit_into)


# Sponsorships.

def sponsorship_status(sponsorship: Sponsorship) -> str:
    if sponsorship.ended_at is not None:
        return SponsorshipStatus.ENDED
    return SponsorshipStatus.CONFIRMED if sponsorship.confirmed_at is not None else SponsorshipStatus.REQUESTED


def _sponsorship_changes(sponsor_id: int, kpj: str) -> dict:
    return {"sponsor": sponsor_id, "member": kpj}


def sponsorship_transition(*, sponsorship: Sponsorship, to: str, actor: User | None, reason: str = "",
                           ip_address: str | None = None) -> str | None:
    """Moves a sponsorship the caller holds locked to `to`: checked against SPONSORSHIP_TRANSITIONS, its timestamp
    set WHERE it is still in its status, audited. Returns the status it had, or None when it was `to` already
    (nothing to do); `sponsorship` is updated in place."""
    before = sponsorship_status(sponsorship)
    if before == to and not SPONSORSHIP.allows(before, to):
        return None
    SPONSORSHIP.check(before, to, sponsorship.pk)
    column, now = _SPONSORSHIP_SETS[to], timezone.now()
    if not Sponsorship.objects.filter(_SPONSORSHIP_WHERE[before], pk=sponsorship.pk).update(**{column: now}):
        raise TransitionNotAllowed(f"sponsorship {sponsorship.pk} is no longer {before}")  # the caller held no lock
    setattr(sponsorship, column, now)
    [(action, _label, _pk, changes, why)] = SPONSORSHIP.events(
        [(sponsorship.pk, before)], to=to, reason=reason,
        changes=_sponsorship_changes(sponsorship.sponsor_id, sponsorship.member.kpj))
    audit_event_record(actor=actor, action=action, obj=sponsorship, changes=changes, reason=why,
                       ip_address=ip_address)
    return before


def sponsorships_transition_where(*, rows: QuerySet | Sequence[int], to: str, actor: User | None, reason: str = "",
                                  audit_into: list | None = None) -> list[tuple[int, str]]:
    """sponsorship_transition for a set: the rows whose status (SPONSORSHIP_STATUS) is in SPONSORSHIP.sources(to)
    are locked in pk order and move, the others stay; one UPDATE and one audit INSERT. Returns (pk, status before)
    of the rows changed."""
    sources = SPONSORSHIP.sources(to)
    if not sources:
        return []
    with transaction.atomic():
        chosen = rows.values("pk") if isinstance(rows, QuerySet) else list(rows)
        found = list(Sponsorship.objects.filter(pk__in=chosen).annotate(status=SPONSORSHIP_STATUS)
                     .filter(status__in=sources).order_by("pk").select_for_update(of=("self",))
                     .values_list("pk", "status", "sponsor_id", "member__kpj"))
        if not found:
            return []
        moved = Sponsorship.objects.filter(pk__in=[pk for pk, _b, _s, _k in found])
        moved.update(**{_SPONSORSHIP_SETS[to]: timezone.now()})
        events = [event for pk, before, sponsor_id, kpj in found for event in SPONSORSHIP.events(
            [(pk, before)], to=to, reason=reason, changes=_sponsorship_changes(sponsor_id, kpj))]
        if audit_into is not None:
            audit_into += events
        else:
            audit_events_record_many(actor_id=_actor_id(actor), events=events)
    return [(pk, before) for pk, before, _s, _k in found]
