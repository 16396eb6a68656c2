"""Rollup correctness (issue 7): after any sequence of registrations, payments, lapses, reactivations and claims, on
days that pass in Asia/Jakarta and with refreshes and rebuilds in between, the rollup tables hold exactly what a
recount in plain Python gives (tests/ecosystems/rollup_helpers.py, no rollup SQL).

After every refresh and every rebuild each table must equal the recount: a refresh reworks every day since the last
run and every day and bill month that rows written since then touch. Snapshots are the one history a run cannot
recount: each run writes its day's, kept daily for SNAPSHOT_DAILY_DAYS days, then the last one written in each
month. Province and national rows equal the sums of their children. A final rebuild equals the recount, keeps
the refreshed days as the refreshes left them and is idempotent."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
import time_machine
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st

from claims.models import ClaimStatus
from contributions.models import Bill, BillStatus
from contributions.services.agents import agent_cash_collect
from contributions.services.billing import bill_generate_for_period
from contributions.services.membership import member_reactivate, members_lapse
from contributions.services.payments import payment_order_create
from ecosystems.models import BillMonth, FlowDay, FlowMonth, Leader, RollupState, Snapshot
from ecosystems.services.rollups import rollups_rebuild, rollups_refresh
from members.models import Member, MemberStatus
from members.services import partner_create
from reference.duedates import add_months
from tests.contributions.helpers import SECTOR_OCCUPATION, confirm, payer_make
from tests.core.helpers import own_atomic
from tests.ecosystems.rollup_helpers import (
    VILLAGES,
    agent_make,
    all_tables,
    at,
    diff,
    months_of,
    only,
    recount_bill_months,
    recount_flow_days,
    recount_leaders,
    recount_snapshot,
    register,
    rows,
    snapshot_days_kept,
    sponsor_make,
    villages_load,
)
from tests.seeding import claims_reference_data

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("reference_data")]

START = at("2026-01-05", 20)
OCCUPATIONS = sorted(SECTOR_OCCUPATION.values())
CHANNELS = ("self", "self", "api", "bulk", "agent", "sponsor")
CHOICES = ("", "", "desa", "pasar", "pekerja_rentan")
HOUR = dt.timedelta(hours=1)

# Operations: (name, arguments). Indexes pick among what exists (modulo), so any list is a valid history.
# Time passes: to the next given Jakarta time of day (around midnight, and around 07:00, midnight in UTC), by some
# minutes, or by days to months (sampled, a month first: integers would mostly be small).
hours = st.one_of(st.tuples(st.just("until"), st.sampled_from([(23, 50), (0, 10), (6, 50), (7, 10), (12, 0)]),
                            st.booleans()),
                  st.tuples(st.just("advance"), st.sampled_from([17, 95, 4 * 60 + 1])))
days = st.tuples(st.just("advance"), st.sampled_from([33, 15, 47, 1, 29, 2, 64, 6]).map(lambda d: d * 1440 + 7),
                st.booleans())
register_op = st.tuples(st.just("register"), st.lists(st.tuples(
    st.integers(0, len(VILLAGES) - 1), st.sampled_from(CHANNELS), st.sampled_from(OCCUPATIONS),
    st.sampled_from(CHOICES), st.sampled_from([1_000_000, 2_500_000])), min_size=1, max_size=3))
pay = st.tuples(st.just("pay"), st.integers(0, 99), st.sampled_from([1, 1, 3, 6, 12]),
                st.sampled_from(["own", "own", "agent", "sponsor"]), st.integers(0, 50))
refresh = st.tuples(st.just("refresh"))
ops = st.one_of(
    hours, hours, days, days, days, register_op, register_op, register_op, pay, pay, pay, refresh, refresh,
    st.tuples(st.just("order_unpaid"), st.integers(0, 99), st.sampled_from([3, 12])),
    st.tuples(st.just("lapse")),
    st.tuples(st.just("reactivate"), st.integers(0, 99)),
    st.tuples(st.just("claim"), st.integers(0, 99)),
    st.tuples(st.just("rebuild")),
)


@pytest.fixture(autouse=True)
def _villages(reference_data):
    villages_load()


@pytest.fixture
def claims_reference(reference_data):

    claims_reference_data()


class History:
    """One example: the services driven in order on a clock that moves, the model of the rollup tables kept
    alongside, and the checks after each run."""

    _refs = itertools.count(1)

    def __init__(self):
        self.now = START
        self.members: list[int] = []
        self.agents = [agent_make(), agent_make()]
        self.sponsors = [sponsor_make(), sponsor_make()]
        self.partner = partner_create(name="Aplikasi Ojol", ecosystem="ecommerce_umkm", actor=None)
        self.payer = payer_make()
        self.staff: dict[str, tuple] = {}
        self.last_run: dt.datetime | None = None
        # The model: what each table should hold now.
        self.flow_days: dict = {}
        self.bill_months: dict = {}
        self.snapshots: dict[dt.date, dict] = {}

    @property
    def today(self) -> dt.date:
        return timezone.localtime(self.now).date()

    def clock(self):
        return time_machine.travel(self.now, tick=False)

    def member(self, i: int) -> Member | None:
        return Member.objects.get(pk=self.members[i % len(self.members)]) if self.members else None

    # --- operations ----------------------------------------------------------------------------------------------

    def advance(self, minutes: int, refresh: bool = False) -> None:
        later = self.now + dt.timedelta(minutes=minutes)
        month = add_months(self.today.replace(day=1), 1)
        while month <= timezone.localtime(later).date():  # the monthly billing job, early on the 1st
            self.now = timezone.make_aware(dt.datetime.combine(month, dt.time(0, 30)))
            with self.clock():
                bill_generate_for_period(month=month)
                if members_lapse(today=month):  # the nightly lapse job
                    event("lapsed")
            month = add_months(month, 1)
        self.now = later
        if refresh:  # the periodic refresh, when it runs next
            self.refresh()

    def until(self, time: tuple[int, int], refresh: bool) -> None:
        """To the next `time` of day in Jakarta, where the periodic refresh may run."""
        local = timezone.localtime(self.now)
        moment = local.replace(hour=time[0], minute=time[1], second=0, microsecond=0)
        self.advance(int(((moment - local) % dt.timedelta(days=1)).total_seconds() // 60) or 1440, refresh)

    def register(self, people: list[tuple[int, str, str, str, int]]) -> None:
        for village, channel, occupation, choice, income in people:
            extra = {"agent": self.agents[village % 2]} if channel == "agent" else (
                {"sponsor": self.sponsors[village % 2]} if channel == "sponsor" else (
                    {"partner": self.partner} if channel == "api" else {}))
            with self.clock():
                member = register(VILLAGES[village], channel=channel, occupation=occupation, ecosystem=choice,
                                  income=income, **extra)
            self.members.append(member.pk)

    def pay(self, i: int, months: int, how: str, delay: int) -> None:
        member = self.member(i)
        if member is None or member.status in (MemberStatus.LAPSED, MemberStatus.CLOSED):
            return
        with self.clock():
            if how == "agent" and member.agent_id:
                agent_cash_collect(agent=member.agent, member=member, months_count=months)
                event("paid in cash to an agent")
                return
            sponsor = self.sponsors[i % 2] if how == "sponsor" else None
            order = payment_order_create(member=member, months_count=months,
                                         payer=sponsor.user if sponsor else self.payer, today=self.today)
            # The gateway's paid_at is up to 50 minutes before it reports it (across midnight now and then).
            confirm(order, reference=f"ref-{next(self._refs)}", paid_at=self.now - dt.timedelta(minutes=delay))

    def order_unpaid(self, i: int, months: int) -> None:
        """Somebody opens an order and never pays it: its months are billed now, possibly far ahead."""
        member = self.member(i)
        if member is None or member.status in (MemberStatus.LAPSED, MemberStatus.CLOSED):
            return
        with self.clock():
            payment_order_create(member=member, months_count=months, payer=self.payer, today=self.today)

    def lapse(self) -> None:
        with self.clock():
            if members_lapse(today=self.today):
                event("lapsed")

    def reactivate(self, i: int) -> None:
        member = self.member(i)
        if member is None or member.status != MemberStatus.LAPSED:
            return
        with self.clock():
            member_reactivate(member_id=member.pk, actor=None, today=self.today)
        event("reactivated")

    def claim(self, i: int) -> None:
        """A death claim paid today for an active member whose current month is paid (so covered today)."""
        from tests.claims.claim_helpers import death_claim, staff_make, walk

        member = self.member(i)
        if member is None or member.status != MemberStatus.ACTIVE or not Bill.objects.filter(
                member=member, month=self.today.replace(day=1), status=BillStatus.PAID,
                paid_at__lte=self.now).exists():
            return
        with self.clock():
            claim = death_claim(member, day=self.today.isoformat())
            branch = claim.branch.code
            if branch not in self.staff:
                self.staff[branch] = (staff_make(branch=branch), staff_make("supervisor", branch=branch))
            staff, supervisor = self.staff[branch]
            assert walk(claim, to=ClaimStatus.PAID, staff=staff, supervisor=supervisor).status == ClaimStatus.PAID
        event("claim paid")

    def refresh(self) -> None:
        today = self.today
        with self.clock():
            rollups_refresh(today=today)
        # The refresh reworks every day since the last run and every day and bill month that rows written since
        # then touch (late-dated payments and payouts, bills for months ahead, months a reactivation voided), so
        # after it the tables equal the recount, like after a rebuild.
        self.flow_days = recount_flow_days()
        self.bill_months = recount_bill_months()
        self._ran(today)

    def rebuild(self) -> None:
        today = self.today
        with self.clock():
            rollups_rebuild(today=today)
        self.flow_days = recount_flow_days()
        self.bill_months = recount_bill_months()
        self._ran(today)

    # --- checks --------------------------------------------------------------------------------------------------

    def _ran(self, today: dt.date) -> None:
        self.last_run = self.now
        self.snapshots[today] = recount_snapshot(today)
        kept = snapshot_days_kept(self.snapshots, today)
        self.snapshots = {d: v for d, v in self.snapshots.items() if d in kept}
        assert diff(rows(Leader), recount_leaders()) == {}
        assert RollupState.objects.get().snapshot_day == today
        self.check()

    def check(self) -> None:
        """The tables hold the model exactly; where the model lags the recount, a documented cause explains it."""
        days = rows(FlowDay)
        assert diff(days, self.flow_days) == {}
        assert diff(rows(FlowMonth), months_of(days)) == {}
        assert diff(rows(BillMonth), self.bill_months) == {}
        snapshots = {k: v for rows_ in self.snapshots.values() for k, v in rows_.items()}
        assert diff(rows(Snapshot), snapshots) == {}
        for level in (1, 0):
            for model in (FlowDay, BillMonth, Snapshot):
                parents = only(rows(model), lambda k, level=level: k[1] == level)
                children = only(rows(model), lambda k, level=level: k[1] == level + 1)
                summed: dict = {}
                for (time, _lvl, region, eco, channel), values in children.items():
                    key = (time, level, region[:2] if level == 1 else "", eco, channel)
                    summed[key] = tuple(a + b for a, b in zip(summed.get(key, (0,) * len(values)), values,
                                                              strict=True))
                assert parents == summed, (model.__name__, level)

    def finish(self) -> None:
        """A rebuild at the end: the recount everywhere, the refreshed days unchanged, and the same when run again."""
        count = Member.objects.count()
        event(f"members: {'1-4' if count < 5 else '5-9' if count < 10 else '10+'}")
        event(f"months covered: {(self.today.year - 2026) * 12 + self.today.month}")
        before = all_tables()
        recount = recount_flow_days()
        clean = {k[0] for k in before["FlowDay"]} - {k[0] for k in diff(before["FlowDay"], recount)}
        self.now += dt.timedelta(minutes=1)
        self.rebuild()
        after = all_tables()
        assert diff(after["FlowDay"], recount_flow_days()) == {}
        assert diff(after["BillMonth"], recount_bill_months()) == {}
        assert only(after["FlowDay"], lambda k: k[0] in clean) == only(before["FlowDay"], lambda k: k[0] in clean)
        assert {k for k in after["FlowDay"] if k[0] in clean} == {k for k in before["FlowDay"] if k[0] in clean}
        with self.clock():
            rollups_rebuild(today=self.today)
        assert all_tables() == after

    def run(self, operations) -> None:
        for name, *args in operations:
            self.now += dt.timedelta(seconds=1)  # every step after the one before, never at the same instant
            getattr(self, name)(*args)
        self.finish()


@given(operations=st.lists(ops, min_size=15, max_size=45))
@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                 HealthCheck.data_too_large])
def test_rollups_equal_a_recount_after_any_history(claims_reference, operations):
    note(f"operations: {operations!r}")
    cache.clear()
    atomic = own_atomic()
    atomic.__enter__()  # every example starts from the same database and is rolled back
    try:
        History().run([("advance", 0), ("register", [(0, "self", "ojek-online", "", 1_000_000)]), *operations])
    finally:
        transaction.set_rollback(True)
        atomic.__exit__(None, None, None)

