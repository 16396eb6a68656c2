"""The status gates of members (members.transitions): member, agent and sponsorship. Every move the tables allow
works and is audited, every other move is refused and changes nothing, and the set-based variants change exactly the
rows the row functions would."""

from __future__ import annotations

import itertools

import pytest
from django.db import transaction
from django.utils import timezone

from core.models import AuditEvent, Role, User
from core.services import audit_type
from core.transitions import TransitionNotAllowed
from members import transitions
from members.models import Agent, Member, MemberStatus, Sponsorship
from members.services import sponsorship_answer
from members.transitions import SponsorshipStatus, sponsorship_status
from tests.contributions.helpers import member_make
from tests.core.helpers import staff_login
from tests.core.test_transitions import hand_written_status_writes
from tests.factories.members import AgentFactory, SponsorshipFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("reference_data")]



def _member(status: str) -> Member:
    return member_make(status=status)


def _agent(status: str) -> Agent:
    return AgentFactory(status=status)


def _sponsorship(status: str) -> Sponsorship:
    now = timezone.now()
    return SponsorshipFactory(member=member_make(),
                              confirmed_at=now if status != SponsorshipStatus.REQUESTED else None,
                              ended_at=now if status == SponsorshipStatus.ENDED else None)


def _member_move(pk, to):
    before = Member.objects.values_list("status", flat=True).get(pk=pk)
    assert transitions.member_status_transition(member_id=pk, to=to, actor=None, reason="test").status == to
    return None if before == to else before


def _agent_move(pk, to):
    return transitions.agent_status_transition(agent_id=pk, to=to, actor=None, reason="test")


def _sponsorship_move(pk, to):
    with transaction.atomic():
        sponsorship = Sponsorship.objects.select_for_update().get(pk=pk)
        return transitions.sponsorship_transition(sponsorship=sponsorship, to=to, actor=None, reason="test")


def _status(gate, pk) -> str:
    if gate is transitions.SPONSORSHIP:
        return sponsorship_status(Sponsorship.objects.get(pk=pk))
    return gate.model.objects.values_list("status", flat=True).get(pk=pk)


def _events(gate, pk) -> list:
    return list(AuditEvent.objects.filter(object_type=audit_type(gate.model), object_id=str(pk)).order_by("pk")
                .values_list("action", "changes", "reason"))


def _expected(gate, pk, before, to) -> list:
    if gate is transitions.SPONSORSHIP:
        sponsorship = Sponsorship.objects.select_related("member").get(pk=pk)
        action = "sponsorship.accepted" if to == SponsorshipStatus.CONFIRMED else "sponsorship.ended"
        return [(action, {"status": [before, to], "sponsor": sponsorship.sponsor_id,
                          "member": sponsorship.member.kpj}, "test")]
    return [(gate.action, {"status": [before, to]}, "test")]


GATES = {
    "member": (transitions.MEMBER, _member, _member_move, transitions.members_status_transition_where),
    "agent": (transitions.AGENT, _agent, _agent_move, transitions.agents_status_transition_where),
    "sponsorship": (transitions.SPONSORSHIP, _sponsorship, _sponsorship_move,
                    transitions.sponsorships_transition_where),
}


def test_every_status_has_a_row_in_its_table():
    for gate, choices in ((transitions.MEMBER, MemberStatus), (transitions.AGENT, Agent.Status),
                          (transitions.SPONSORSHIP, SponsorshipStatus)):
        assert set(gate.table) == set(choices.values)
        assert set().union(*gate.table.values()) <= set(choices.values)
    assert set(transitions.TRANSITION_TABLES) == {"members.Member.status", "members.Agent.status",
                                                  "members.Sponsorship.status"}


def test_the_derived_sponsorship_status_reads_the_timestamps_as_the_sql_does():
    rows = {status: _sponsorship(status).pk for status in SponsorshipStatus.values}
    for status, pk in rows.items():
        assert sponsorship_status(Sponsorship.objects.get(pk=pk)) == status
    annotated = dict(Sponsorship.objects.filter(pk__in=rows.values()).annotate(status=transitions.SPONSORSHIP_STATUS)
                     .values_list("pk", "status"))
    assert annotated == {pk: status for status, pk in rows.items()}


@pytest.mark.parametrize("name", GATES)
def test_the_row_function_follows_the_table_and_audits(name):
    gate, make, move, _where = GATES[name]
    statuses = list(gate.table)
    for before, to in itertools.product(statuses, statuses):
        pk = make(before).pk
        AuditEvent.objects.all().delete()
        if gate.allows(before, to):
            assert move(pk, to) == before
            assert _status(gate, pk) == to
            assert _events(gate, pk) == _expected(gate, pk, before, to), (before, to)
        elif before == to:
            assert move(pk, to) is None  # already there: nothing to do
            assert _status(gate, pk) == to and _events(gate, pk) == []
        else:
            with pytest.raises(TransitionNotAllowed):
                move(pk, to)
            assert _status(gate, pk) == before and _events(gate, pk) == [], (before, to)


def _comparable(gate, pk):
    """What a move leaves on the row, without what differs between two rows anyway (ids, the sponsor, the KPJ)."""
    events = [(action, changes.get("status"), reason) for action, changes, reason in _events(gate, pk)]
    if gate is transitions.SPONSORSHIP:
        row = Sponsorship.objects.get(pk=pk)
        return sponsorship_status(row), row.confirmed_at is None, row.ended_at is None, events
    return _status(gate, pk), events


@pytest.mark.parametrize("name", GATES)
def test_the_set_based_variant_agrees_with_the_row_function(name):
    gate, make, move, where = GATES[name]
    statuses = list(gate.table)
    for to in statuses:
        by_row = [make(before).pk for before in statuses]
        by_set = [make(before).pk for before in statuses]
        AuditEvent.objects.all().delete()
        for pk in by_row:
            try:
                move(pk, to)
            except TransitionNotAllowed:
                pass
        changed = where(rows=by_set, to=to, actor=None, reason="test")
        assert changed == [(pk, before) for pk, before in zip(by_set, statuses, strict=True)
                           if before in gate.sources(to)]
        assert [_comparable(gate, pk) for pk in by_set] == [_comparable(gate, pk) for pk in by_row], to


def test_the_set_based_variants_take_a_queryset_and_leave_other_rows_alone():
    members = [_member(MemberStatus.ACTIVE) for _ in range(3)]
    closed = _member(MemberStatus.CLOSED)
    changed = transitions.members_status_transition_where(
        rows=Member.objects.filter(pk__in=[members[0].pk, members[2].pk, closed.pk]), to=MemberStatus.LAPSED,
        actor=None, reason="test")
    assert changed == [(members[0].pk, "active"), (members[2].pk, "active")]
    assert [_status(transitions.MEMBER, m.pk) for m in (*members, closed)] == ["lapsed", "active", "lapsed", "closed"]
    requested, ended = _sponsorship(SponsorshipStatus.REQUESTED), _sponsorship(SponsorshipStatus.ENDED)
    assert transitions.sponsorships_transition_where(
        rows=Sponsorship.objects.filter(pk__in=[requested.pk, ended.pk]), to=SponsorshipStatus.CONFIRMED,
        actor=None) == [(requested.pk, "requested")]


def test_the_webhooks_member_statement_stays_one_update_and_one_audit_insert(django_assert_num_queries):
    members = [_member(status) for status in (MemberStatus.REGISTERED, MemberStatus.LAPSED, MemberStatus.ACTIVE)]
    with transaction.atomic(), django_assert_num_queries(2):
        transitions.member_statuses_transition_locked(members=[(m.pk, m.status) for m in members],
                                                      to=MemberStatus.ACTIVE, actor=None, reason="paid")
    assert [_status(transitions.MEMBER, m.pk) for m in members] == ["active"] * 3
    assert [changes for _a, changes, _r in _events(transitions.MEMBER, members[1].pk)] == [
        {"status": ["lapsed", "active"]}]
    assert _events(transitions.MEMBER, members[2].pk) == []


def test_a_member_answers_a_sponsor_through_the_gate():
    sponsorship = _sponsorship(SponsorshipStatus.REQUESTED)
    member = sponsorship.member
    sponsorship_answer(sponsorship_id=sponsorship.pk, member=member, accept=True)
    sponsorship_answer(sponsorship_id=sponsorship.pk, member=member, accept=True)  # twice: nothing more happens
    assert [action for action, _c, _r in _events(transitions.SPONSORSHIP, sponsorship.pk)] == [
        "sponsorship.accepted"]
    sponsorship_answer(sponsorship_id=sponsorship.pk, member=member, accept=False)
    sponsorship_answer(sponsorship_id=sponsorship.pk, member=member, accept=False)  # ended stays ended
    events = _events(transitions.SPONSORSHIP, sponsorship.pk)
    assert [(action, changes["status"]) for action, changes, _r in events] == [
        ("sponsorship.accepted", ["requested", "confirmed"]), ("sponsorship.ended", ["confirmed", "ended"])]
    assert AuditEvent.objects.filter(object_id=str(sponsorship.pk), action="sponsorship.ended").get().actor == \
        member.user


def test_no_status_is_written_outside_the_gate():
    assert hand_written_status_writes("members") == []


def test_staff_change_an_agents_status_in_the_admin_through_the_gate(client):
    admin_user = User.objects.create(username="root", role=Role.ADMIN, is_staff=True, is_superuser=True)
    staff_login(client, admin_user)
    agent = _agent(Agent.Status.INACTIVE)
    form = {"user": agent.user_id, "body": agent.body_id, "status": "active", "market": "Pasar Minggu",
            "village": ""}
    assert client.post(f"/admin/members/agent/{agent.pk}/change/", form).status_code == 302
    agent.refresh_from_db()
    assert (agent.status, agent.market) == ("active", "Pasar Minggu")
    assert [(action, changes, actor) for action, changes, _r, actor in AuditEvent.objects.filter(
        object_type=audit_type(Agent), object_id=str(agent.pk)).values_list("action", "changes", "reason", "actor")
    ] == [("agent.status_changed", {"status": ["inactive", "active"]}, admin_user.pk)]
