"""Shared by tests/ecosystems/test_rollups.py and test_rollup_properties.py: villages in two provinces, members
registered through the real services, and an independent recount of every rollup table in plain Python over ORM
objects (no rollup SQL), to compare with what ecosystems.services.rollups wrote.

Keys and values mirror the rollup tables: FlowDay {(day, level, region_code, ecosystem, channel): (metrics)}, and so
on. Every fact is counted at its regency (first 5 characters of the member's village code), then added to its
province (2 characters) and to the nation ('')."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from collections.abc import Iterable

from django.utils import timezone

from claims.models import ClaimPayout
from contributions.models import Bill, BillStatus, CashCollection, OrderStatus, PaymentOrderLine
from core.models import AuditEvent, User
from ecosystems.models import BillMonth, FlowDay, FlowMonth, Leader, Snapshot
from ecosystems.services.rollups import SNAPSHOT_DAILY_DAYS
from members.models import Agent, Member, MemberStatus, Sponsor, Sponsorship
from members.services import RegistrationData, sponsor_become
from tests.core.helpers import nik_for
from tests.factories.core import UserFactory
from tests.factories.members import AgentFactory

# Five villages, four regencies, two provinces: Tebet Timur and Tebet Barat (Jakarta Selatan), Gambir (Jakarta
# Pusat), Cileunyi Kulon (Kabupaten Bandung), Sukarasa (Kota Bandung).
VILLAGES = ("31.74.01.1001", "31.74.01.1002", "31.71.01.1001", "32.04.05.2001", "32.73.01.1001")

FLOW = ("registrations", "lapses", "bills_paid", "collected_idr", "claims_paid", "claims_paid_idr")
BILLS = ("billed", "billed_idr", "paid", "paid_idr")
SNAP = ("registered", "active", "lapsed", "closed", "in_arrears")
LEAD = ("members", "active", "paid_idr")

_serial = itertools.count(1)


def villages_load() -> None:
    from reference.services import regions_load

    for code in VILLAGES:
        regions_load(root=code)


def registration(village: str = VILLAGES[0], *, occupation: str = "ojek-online", ecosystem: str = "",
                 income: int = 1_000_000, jht: bool = True) -> RegistrationData:
    """A valid registration with a fresh NIK (born 17 August 1990, a woman, Tebet) and phone number."""
    n = next(_serial)
    birth = dt.date(1990, 8, 17)
    return RegistrationData(
        nik=nik_for(birth, "P", serial=f"{n % 9000 + 1000:04d}"), full_name=f"Peserta {n}", birth_place="Jakarta",
        birth_date=birth, gender="P", phone=f"+62815{n:08d}", village_code=village, address_line="Jl. Melati 5",
        occupation_code=occupation, income_base_idr=income,
        programs=["JKK", "JKM", "JHT"] if jht else ["JKK", "JKM"], consent=True, ecosystem=ecosystem)


def agent_make() -> Agent:
    n = next(_serial)
    return AgentFactory(user__username=f"rollup-agent-{n}", user__phone=f"+62816{n:08d}", body__name=f"Koperasi {n}")


def sponsor_make() -> Sponsor:
    n = next(_serial)
    return sponsor_become(user=UserFactory(username=f"rollup-sponsor-{n}", phone=f"+62817{n:08d}"),
                          name=f"Ibu Sponsor {n}")


# --- the recount ---------------------------------------------------------------------------------------------------


def _day(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment).date()


def _levels(regency: str) -> Iterable[tuple[int, str]]:
    return ((2, regency), (1, regency[:2]), (0, ""))


def _add(table: dict, key_head: tuple, regency: str, key_tail: tuple, values: dict, names: tuple) -> None:
    for level, region in _levels(regency):
        row = table[(*key_head, level, region, *key_tail)]
        for name, value in values.items():
            row[names.index(name)] += value


def _finish(table: dict) -> dict:
    return {key: tuple(row) for key, row in table.items()}


def _members() -> dict[int, Member]:
    return {m.pk: m for m in Member.objects.all()}


def recount_flow_days() -> dict:
    """(day, level, region, ecosystem, channel) -> FLOW, days cut in Asia/Jakarta."""
    members = _members()
    table: dict = defaultdict(lambda: [0] * len(FLOW))

    def add(day, member, **values):
        _add(table, (day,), member.village_id[:5], (member.ecosystem_id, member.channel), values, FLOW)

    for member in members.values():
        add(_day(member.created_at), member, registrations=1)
    for event in AuditEvent.objects.filter(action="member.status_changed", object_type="enrollment.member"):
        if event.changes["status"][1] == MemberStatus.LAPSED:
            add(_day(event.created_at), members[int(event.object_id)], lapses=1)
    for bill in Bill.objects.filter(status=BillStatus.PAID):
        add(_day(bill.paid_at), members[bill.member_id], bills_paid=1, collected_idr=bill.total_idr)
    for payout in ClaimPayout.objects.select_related("claim"):
        add(_day(payout.paid_at), members[payout.claim.member_id], claims_paid=1, claims_paid_idr=payout.amount_idr)
    return _finish(table)


def months_of(days: dict) -> dict:
    """FlowDay-shaped rows summed per calendar month (what FlowMonth holds)."""
    table: dict = defaultdict(lambda: [0] * len(FLOW))
    for (day, *rest), values in days.items():
        row = table[(day.replace(day=1), *rest)]
        for i, v in enumerate(values):
            row[i] += v
    return _finish(table)


def recount_bill_months(months: Iterable[dt.date] | None = None) -> dict:
    """(month, level, region, ecosystem, channel) -> BILLS, void bills left out."""
    members = _members()
    table: dict = defaultdict(lambda: [0] * len(BILLS))
    bills = Bill.objects.exclude(status=BillStatus.VOID)
    if months is not None:
        bills = bills.filter(month__in=list(months))
    for bill in bills:
        member = members[bill.member_id]
        paid = bill.status == BillStatus.PAID
        _add(table, (bill.month,), member.village_id[:5], (member.ecosystem_id, member.channel),
             {"billed": 1, "billed_idr": bill.total_idr, "paid": int(paid), "paid_idr": bill.total_idr * paid}, BILLS)
    return _finish(table)


def recount_snapshot(day: dt.date) -> dict:
    """(day, level, region, ecosystem, channel) -> SNAP for the members as they are now."""
    overdue = set(Bill.objects.filter(status=BillStatus.OPEN, due_date__lt=day).values_list("member_id", flat=True))
    table: dict = defaultdict(lambda: [0] * len(SNAP))
    for member in Member.objects.all():
        values = {member.status: 1}
        if member.status in (MemberStatus.REGISTERED, MemberStatus.ACTIVE) and member.pk in overdue:
            values["in_arrears"] = 1
        _add(table, (day,), member.village_id[:5], (member.ecosystem_id, member.channel), values, SNAP)
    return _finish(table)


def recount_leaders() -> dict:
    """(kind, ref_id, level, region) -> LEAD: agents (their members; cash they collected) and sponsors (members
    they sponsor now, confirmed; what they paid for anyone)."""
    members = _members()
    table: dict = defaultdict(lambda: [0] * len(LEAD))
    for member in members.values():
        if member.agent_id:
            _add(table, ("agent", member.agent_id), member.village_id[:5], (),
                 {"members": 1, "active": int(member.status == MemberStatus.ACTIVE)}, LEAD)
    for cash in CashCollection.objects.select_related("payment"):
        if cash.payment.member_id:
            _add(table, ("agent", cash.agent_id), members[cash.payment.member_id].village_id[:5], (),
                 {"paid_idr": cash.amount_idr}, LEAD)
    for sponsorship in Sponsorship.objects.filter(confirmed_at__isnull=False, ended_at__isnull=True):
        member = members[sponsorship.member_id]
        _add(table, ("sponsor", sponsorship.sponsor_id), member.village_id[:5], (),
             {"members": 1, "active": int(member.status == MemberStatus.ACTIVE)}, LEAD)
    sponsors = dict(Sponsor.objects.values_list("user_id", "pk"))
    for line in PaymentOrderLine.objects.select_related("order"):
        if line.order.status == OrderStatus.PAID and line.order.payer_id in sponsors:
            _add(table, ("sponsor", sponsors[line.order.payer_id]), members[line.member_id].village_id[:5], (),
                 {"paid_idr": line.amount_idr}, LEAD)
    return _finish(table)


def snapshot_days_kept(written: Iterable[dt.date], today: dt.date) -> set[dt.date]:
    """The pruning rule, stated independently: every day of the last SNAPSHOT_DAILY_DAYS days, and before that the
    last day written in each month."""
    cutoff = today - dt.timedelta(days=SNAPSHOT_DAILY_DAYS)
    kept = {d for d in written if d >= cutoff}
    old = sorted(d for d in written if d < cutoff)
    kept |= {max(d for d in old if (d.year, d.month) == (m.year, m.month)) for m in old}
    return kept


# --- the tables ----------------------------------------------------------------------------------------------------


def rows(model, *, where: dict | None = None) -> dict:
    """A rollup table as {key: metrics}, shaped like the recounts."""
    qs = model.objects.filter(**(where or {}))
    if model is Leader:
        return {(r.kind, r.ref_id, r.level, r.region_code): tuple(getattr(r, m) for m in LEAD) for r in qs}
    time, metrics = {FlowDay: ("day", FLOW), FlowMonth: ("month", FLOW), BillMonth: ("month", BILLS),
                     Snapshot: ("day", SNAP)}[model]
    return {(getattr(r, time), r.level, r.region_code, r.ecosystem, r.channel): tuple(getattr(r, m) for m in metrics)
            for r in qs}


def all_tables() -> dict:
    return {model.__name__: rows(model) for model in (FlowDay, FlowMonth, BillMonth, Snapshot, Leader)}


def diff(actual: dict, expected: dict) -> dict:
    """Keys whose values differ, with (actual, expected); empty when equal."""
    return {k: (actual.get(k), expected.get(k)) for k in sorted(set(actual) | set(expected), key=str)
            if actual.get(k) != expected.get(k)}


def only(table: dict, pick) -> dict:
    return {k: v for k, v in table.items() if pick(k)}


# --- acting through the services --------------------------------------------------------------------------------


def at(day: str, hour: int = 10, minute: int = 0) -> dt.datetime:
    """A moment in Asia/Jakarta."""
    return timezone.make_aware(dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour, minute)))


def register(village: str = VILLAGES[0], *, channel: str = "self", agent=None, sponsor=None, partner=None,
             **data) -> Member:
    """Registration through the service of its channel (wizard, agent, SERTAKAN sponsor, partner API, bulk)."""
    from agents.services import agent_register_trader
    from enrollment.services import member_register
    from sponsors.services import sponsor_register_worker

    form = registration(village, **data)
    if channel == "agent":
        return agent_register_trader(agent=agent, data=form)
    if channel == "sponsor":
        return sponsor_register_worker(sponsor=sponsor, data=form, relationship="household_helper")
    return member_register(data=form, user=None, actor=None, channel=channel, partner=partner)


def pay(member: Member, months: int = 1, *, payer: User | None = None, paid_at: dt.datetime | None = None,
        today: dt.date | None = None):
    """An order for `months` months and the gateway's confirmation of it; returns the payment."""
    from contributions.services.payments import payment_order_create
    from tests.contributions.helpers import confirm, payer_make

    order = payment_order_create(member=member, months_count=months, payer=payer or payer_make(), today=today)
    return confirm(order, paid_at=paid_at).payment
