"""Dashboard rollups, one metric at a time on hand-built cases, against a recount in plain Python
(tests/ecosystems/rollup_helpers.py): registrations on their Jakarta day, money collected and billed, void bills,
arrears, lapses, claims paid, agents and sponsors, snapshot pruning, and what a refresh does and does not touch.
The last tests race refreshes, rebuilds and payments on PostgreSQL."""

import datetime as dt

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from claims.models import ClaimPayout, ClaimStatus
from contributions.models import Bill, BillStatus, CashCollection
from contributions.services.agents import agent_cash_collect
from contributions.services.billing import bill_generate_for_period
from contributions.services.membership import member_reactivate, members_lapse
from ecosystems.models import BillMonth, FlowDay, FlowMonth, Leader, RollupState, Snapshot
from ecosystems.services.rollups import SNAPSHOT_DAILY_DAYS, rollups_ensure, rollups_rebuild, rollups_refresh
from members.models import Member, MemberStatus
from members.services import partner_create
from tests.contributions.helpers import payer_make
from tests.db.test_money_concurrency import _race
from tests.ecosystems.rollup_helpers import (
    FLOW,
    VILLAGES,
    agent_make,
    all_tables,
    at,
    diff,
    months_of,
    only,
    pay,
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

TEBET, TEBET_BARAT, GAMBIR, CILEUNYI, SUKARASA = VILLAGES


@pytest.fixture(autouse=True)
def villages(reference_data):
    villages_load()


@pytest.fixture
def claims_reference(reference_data):

    claims_reference_data()


def clock(moment: dt.datetime):
    return time_machine.travel(moment, tick=False)


def flow(day: str, level: int = 0, region: str = "", **where) -> dict:
    """The FlowDay metrics of a day at a level, summed over ecosystems and channels (or those in `where`)."""
    qs = FlowDay.objects.filter(day=dt.date.fromisoformat(day), level=level, region_code=region, **where)
    return {m: sum(getattr(r, m) for r in qs) for m in FLOW}


def assert_matches_recount(today: dt.date) -> None:
    """Every table equals the recount (snapshot: today's)."""
    days = recount_flow_days()
    assert diff(rows(FlowDay), days) == {}
    assert diff(rows(FlowMonth), months_of(days)) == {}
    assert diff(rows(BillMonth), recount_bill_months()) == {}
    assert diff(rows(Snapshot, where={"day": today}), recount_snapshot(today)) == {}
    assert diff(rows(Leader), recount_leaders()) == {}


# --- registrations -------------------------------------------------------------------------------------------------


def test_a_registration_counts_on_its_jakarta_day_either_side_of_midnight():
    with clock(at("2026-03-09", 23, 59)):  # 16:59 UTC
        late = register(TEBET)
    with clock(at("2026-03-10", 0, 1)):  # 17:01 UTC, still 9 March in UTC
        early = register(CILEUNYI, occupation="petani")
    assert timezone.localtime(late.created_at).date() == dt.date(2026, 3, 9)
    assert early.created_at.astimezone(dt.UTC).date() == dt.date(2026, 3, 9)
    rollups_rebuild(today=dt.date(2026, 3, 10))
    assert flow("2026-03-09")["registrations"] == 1 and flow("2026-03-10")["registrations"] == 1
    assert flow("2026-03-09", 1, "31")["registrations"] == 1 and flow("2026-03-09", 1, "32")["registrations"] == 0
    assert flow("2026-03-10", 2, "32.04", ecosystem="desa", channel="self")["registrations"] == 1
    assert flow("2026-03-10", 2, "31.74")["registrations"] == 0
    assert FlowMonth.objects.get(level=0, month=dt.date(2026, 3, 1), ecosystem="desa").registrations == 1
    assert_matches_recount(dt.date(2026, 3, 10))
    with clock(at("2026-03-10", 0, 5)):
        rollups_refresh()  # yesterday and today again: the same
    assert flow("2026-03-09")["registrations"] == 1 and flow("2026-03-10")["registrations"] == 1
    assert_matches_recount(dt.date(2026, 3, 10))


def test_each_channel_and_ecosystem_is_its_own_row_and_provinces_add_up():
    agent, sponsor = agent_make(), sponsor_make()
    partner = partner_create(name="Ojol App", ecosystem="ecommerce_umkm", actor=None)
    with clock(at("2026-03-10", 9)):
        register(TEBET, ecosystem="pasar")
        register(TEBET_BARAT, channel="agent", agent=agent, occupation="pedagang-pasar")
        register(GAMBIR, channel="sponsor", sponsor=sponsor, occupation="asisten-rumah-tangga")
        register(SUKARASA, channel="api", partner=partner)
        register(CILEUNYI, channel="bulk", occupation="nelayan")
        rollups_rebuild()
    regency = rows(FlowDay, where={"level": 2})
    assert {(k[2], k[3], k[4]): v[0] for k, v in regency.items()} == {
        ("31.74", "pasar", "self"): 1, ("31.74", "pasar", "agent"): 1, ("31.71", "ecommerce_umkm", "sponsor"): 1,
        ("32.73", "ecommerce_umkm", "api"): 1, ("32.04", "desa", "bulk"): 1}
    assert FlowDay.objects.get(level=1, region_code="31", ecosystem="pasar", channel="self").registrations == 1
    assert FlowDay.objects.get(level=0, region_code="", ecosystem="pasar", channel="agent").registrations == 1
    for level in (1, 0):  # each province / national row is the sum of its regency rows
        for key, values in only(rows(FlowDay), lambda k, level=level: k[1] == level).items():
            children = [v for k, v in regency.items()
                        if (k[0], k[3], k[4]) == (key[0], key[3], key[4]) and k[2].startswith(key[2])]
            assert values == tuple(map(sum, zip(*children, strict=True)))
    assert_matches_recount(dt.date(2026, 3, 10))


# --- money ---------------------------------------------------------------------------------------------------------


def test_a_paid_bill_counts_in_collected_on_its_paid_day_and_in_its_bill_month():
    with clock(at("2026-03-02", 9)):
        member = register(GAMBIR)
        other = register(GAMBIR)
        rollups_rebuild()
    with clock(at("2026-03-20", 23, 30)):
        payment = pay(member, 3, paid_at=at("2026-03-20", 23, 50))  # March, April, May
    bills = {b.month.month: b for b in Bill.objects.filter(member=member)}
    assert {m: b.status for m, b in bills.items()} == {3: "paid", 4: "paid", 5: "paid"}
    assert payment.amount_idr == sum(b.total_idr for b in bills.values())
    with clock(at("2026-03-21", 8)):
        bill_generate_for_period(month=dt.date(2026, 4, 1))  # April billed ahead: the other member's, unpaid
        rollups_refresh()
    day = flow("2026-03-20", 2, "31.71")
    assert (day["bills_paid"], day["collected_idr"]) == (3, payment.amount_idr)
    assert flow("2026-03-20")["collected_idr"] == payment.amount_idr == flow("2026-03-20", 1, "31")["collected_idr"]
    assert flow("2026-03-21")["collected_idr"] == 0
    assert FlowMonth.objects.get(level=0, month=dt.date(2026, 3, 1)).collected_idr == payment.amount_idr
    others = {b.month.month: b.total_idr for b in Bill.objects.filter(member=other)}
    assert set(others) == {3, 4}
    for month in (3, 4, 5):
        row = BillMonth.objects.get(level=2, region_code="31.71", month=dt.date(2026, month, 1))
        assert (row.billed, row.billed_idr, row.paid, row.paid_idr) == (
            1 + (month in others), bills[month].total_idr + others.get(month, 0), 1, bills[month].total_idr)
    assert_matches_recount(dt.date(2026, 3, 21))


def test_void_bills_are_left_out_and_the_refresh_reworks_the_months_a_reactivation_voided():
    """Reactivation voids the unpaid months before the current one; its audit event names them, so the next refresh
    reworks those months too, however old."""
    with clock(at("2026-01-05", 9)):
        member = register(TEBET)
    for month in (2, 3, 4, 5):
        with clock(at(f"2026-{month:02d}-01", 1)):
            bill_generate_for_period(month=dt.date(2026, month, 1))
    with clock(at("2026-05-02", 9)):
        assert members_lapse() == 1
        rollups_rebuild()
    assert BillMonth.objects.get(level=0, month=dt.date(2026, 1, 1)).billed == 1
    with clock(at("2026-06-03", 9)):
        member_reactivate(member_id=member.pk, actor=None)
        rollups_refresh()
    void = set(Bill.objects.filter(member=member, status=BillStatus.VOID).values_list("month", flat=True))
    assert void == {dt.date(2026, m, 1) for m in (1, 2, 3, 4, 5)}
    assert set(BillMonth.objects.values_list("month", flat=True)) == {dt.date(2026, 6, 1)}
    assert BillMonth.objects.get(level=0, month=dt.date(2026, 6, 1)).billed == 1
    assert_matches_recount(dt.date(2026, 6, 3))
    with clock(at("2026-06-03", 23)):
        rollups_rebuild()
    assert set(BillMonth.objects.values_list("month", flat=True)) == {dt.date(2026, 6, 1)}
    assert_matches_recount(dt.date(2026, 6, 3))


def test_in_arrears_counts_registered_and_active_members_with_a_bill_past_its_due_date():
    with clock(at("2026-01-05", 9)):
        unpaid = register(TEBET)  # January due on 15 January (a working day)
        paid = register(TEBET)
        pay(paid, 1)
    january = Bill.objects.get(member=unpaid)
    due = january.due_date
    with clock(at(f"{due}", 9)):
        rollups_refresh(today=due)
    with clock(at(f"{due + dt.timedelta(days=1)}", 9)):
        rollups_refresh()
    on_due, after = (Snapshot.objects.get(level=0, day=d, channel="self") for d in (due, due + dt.timedelta(days=1)))
    assert (on_due.registered, on_due.active, on_due.in_arrears) == (1, 1, 0)
    assert (after.registered, after.active, after.in_arrears) == (1, 1, 1)
    for month in (2, 3, 4):
        with clock(at(f"2026-{month:02d}-01", 1)):
            bill_generate_for_period(month=dt.date(2026, month, 1))
    with clock(at("2026-04-20", 9)):
        assert members_lapse() == 1  # January to March unpaid: the unpaid member lapses, out of arrears
        rollups_refresh()
    april = Snapshot.objects.get(level=2, region_code="31.74", day=dt.date(2026, 4, 20))
    assert (april.registered, april.active, april.lapsed, april.in_arrears) == (0, 1, 1, 1)  # the paid one owes Feb
    with clock(at("2026-04-20", 10)):
        rollups_rebuild()  # the days before the refreshes' windows
    assert_matches_recount(dt.date(2026, 4, 20))


# --- lapses --------------------------------------------------------------------------------------------------------


def test_a_lapse_counts_on_the_day_of_its_audited_status_change():
    with clock(at("2026-01-05", 9)):
        member = register(SUKARASA)
        untouched = register(SUKARASA)
    for month in (2, 3, 4):
        with clock(at(f"2026-{month:02d}-01", 1)):
            bill_generate_for_period(month=dt.date(2026, month, 1))
    with clock(at("2026-04-01", 0, 30)):  # 31 March 17:30 UTC
        pay(untouched, 3)
        assert members_lapse() == 1
        rollups_refresh()
    member.refresh_from_db()
    assert member.status == MemberStatus.LAPSED
    assert flow("2026-04-01", 2, "32.73")["lapses"] == 1 and flow("2026-03-31")["lapses"] == 0
    assert FlowMonth.objects.get(level=1, region_code="32", month=dt.date(2026, 4, 1)).lapses == 1
    # A status written without the audited transition is not a lapse the rollups can see.
    Member.objects.filter(pk=untouched.pk).update(status=MemberStatus.LAPSED)
    with clock(at("2026-04-01", 12)):
        rollups_refresh()
    assert flow("2026-04-01")["lapses"] == 1
    assert Snapshot.objects.get(level=0, day=dt.date(2026, 4, 1)).lapsed == 2
    # Lapsing again after a reactivation counts again.
    with clock(at("2026-04-02", 9)):
        member_reactivate(member_id=member.pk, actor=None)
    for month in (5, 6, 7):
        with clock(at(f"2026-{month:02d}-01", 1)):
            bill_generate_for_period(month=dt.date(2026, month, 1))
    with clock(at("2026-07-02", 9)):
        assert members_lapse() == 1
        rollups_rebuild()
    assert flow("2026-07-02")["lapses"] == 1 and FlowMonth.objects.get(level=0, month=dt.date(2026, 4, 1)).lapses == 1
    assert_matches_recount(dt.date(2026, 7, 2))


# --- claims --------------------------------------------------------------------------------------------------------


def test_a_paid_claim_counts_its_payout_on_the_day_it_was_paid(claims_reference):
    from tests.claims.claim_helpers import death_claim, staff_make, walk

    with clock(at("2026-01-05", 9)):
        member = register(CILEUNYI, occupation="petani")
        pay(member, 6)
    with clock(at("2026-03-10", 9)):
        claim = death_claim(member, day="2026-03-08")
        branch = claim.branch.code
        claim = walk(claim, to=ClaimStatus.PAID, staff=staff_make(branch=branch),
                     supervisor=staff_make("supervisor", branch=branch))
    assert claim.status == ClaimStatus.PAID
    payout = ClaimPayout.objects.get(claim=claim)
    with clock(at("2026-03-10", 18)):
        rollups_refresh()
    day = flow("2026-03-10", 2, "32.04", ecosystem="desa")
    assert (day["claims_paid"], day["claims_paid_idr"]) == (1, payout.amount_idr)
    assert FlowMonth.objects.get(level=0, month=dt.date(2026, 3, 1)).claims_paid_idr == payout.amount_idr
    snap = Snapshot.objects.get(level=0, day=dt.date(2026, 3, 10))
    assert (snap.closed, snap.active) == (1, 0)  # a death claim paid ends the membership
    with clock(at("2026-03-10", 19)):
        rollups_rebuild()
    # The months after the death are refunded with the claim but stay paid bills, collected on the day paid.
    assert flow("2026-01-05")["bills_paid"] == 6 == BillMonth.objects.filter(level=0, paid=1).count()
    assert_matches_recount(dt.date(2026, 3, 10))


# --- leaders -------------------------------------------------------------------------------------------------------


def test_agents_rank_by_their_members_and_the_cash_they_collected():
    agent, other = agent_make(), agent_make()
    with clock(at("2026-02-03", 9)):
        a = register(TEBET, channel="agent", agent=agent, occupation="pedagang-pasar")
        b = register(SUKARASA, channel="agent", agent=agent, occupation="pedagang-pasar")
        register(SUKARASA, channel="agent", agent=other, occupation="pedagang-pasar")
        first = agent_cash_collect(agent=agent, member=a, months_count=3)
        second = agent_cash_collect(agent=other, member=b, months_count=1)  # any agent may take a member's cash
        rollups_refresh()
    leaders = rows(Leader)
    assert leaders[("agent", agent.pk, 0, "")] == (2, 2, first.amount_idr)
    assert leaders[("agent", agent.pk, 2, "31.74")] == (1, 1, first.amount_idr)
    assert leaders[("agent", agent.pk, 1, "32")] == (1, 1, 0)  # b is active, paid by the other agent
    assert leaders[("agent", other.pk, 2, "32.73")] == (1, 0, second.amount_idr)
    assert CashCollection.objects.count() == 2
    assert diff(leaders, recount_leaders()) == {}


def test_sponsors_rank_by_the_members_they_sponsor_and_what_they_paid():
    sponsor = sponsor_make()
    with clock(at("2026-02-03", 9)):
        mine = register(GAMBIR, channel="sponsor", sponsor=sponsor, occupation="asisten-rumah-tangga")
        register(CILEUNYI, channel="sponsor", sponsor=sponsor, occupation="penjahit")
        stranger = register(CILEUNYI)
        paid = pay(mine, 6, payer=sponsor.user)
        for_stranger = pay(stranger, 1, payer=sponsor.user)  # a sponsor paying for someone else's member
        pay(stranger, 1, payer=payer_make())
        rollups_refresh()
    leaders = rows(Leader)
    assert leaders[("sponsor", sponsor.pk, 0, "")] == (2, 1, paid.amount_idr + for_stranger.amount_idr)
    assert leaders[("sponsor", sponsor.pk, 2, "31.71")] == (1, 1, paid.amount_idr)
    assert leaders[("sponsor", sponsor.pk, 1, "32")] == (1, 0, for_stranger.amount_idr)
    assert not any(k[0] == "agent" for k in leaders)
    assert diff(leaders, recount_leaders()) == {}


# --- snapshots -----------------------------------------------------------------------------------------------------


def test_snapshots_are_daily_for_62_days_then_the_last_of_each_month():
    with clock(at("2026-01-05", 9)):
        register(TEBET)
    start, written = dt.date(2026, 1, 10), []
    for i in range(0, 130, 3):  # every third day, as runs would leave gaps
        day = start + dt.timedelta(days=i)
        with clock(at(f"{day}", 9)):
            rollups_refresh()
        written.append(day)
        kept = set(Snapshot.objects.values_list("day", flat=True))
        assert kept == snapshot_days_kept(written, day), day
        written = sorted(kept)
    last = start + dt.timedelta(days=129)
    assert min(d for d in kept if d >= last - dt.timedelta(days=SNAPSHOT_DAILY_DAYS)) >= last - dt.timedelta(days=62)
    old = sorted(d for d in kept if d < last - dt.timedelta(days=SNAPSHOT_DAILY_DAYS))
    assert len({(d.year, d.month) for d in old}) == len(old) >= 2  # one per month
    assert dt.date(2026, 1, 31) in old and dt.date(2026, 2, 27) in old  # the last written in January, February
    # Each kept day holds all three levels.
    assert all(Snapshot.objects.filter(day=d).values("level").distinct().count() == 3 for d in kept)


# --- rebuild and refresh -------------------------------------------------------------------------------------------


def _history():
    agent, sponsor = agent_make(), sponsor_make()
    with clock(at("2026-01-05", 9)):
        a = register(TEBET, channel="agent", agent=agent, occupation="pedagang-pasar")
        b = register(CILEUNYI, channel="sponsor", sponsor=sponsor, occupation="petani")
        c = register(GAMBIR)
        agent_cash_collect(agent=agent, member=a, months_count=3)
        pay(b, 1, payer=sponsor.user)
    for month in (2, 3, 4):
        with clock(at(f"2026-{month:02d}-01", 1)):
            bill_generate_for_period(month=dt.date(2026, month, 1))
    with clock(at("2026-04-02", 9)):
        members_lapse()
        pay(a, 1)
    return a, b, c


def test_a_rebuild_twice_gives_the_same_tables_and_equals_the_recount():
    _history()
    with clock(at("2026-04-02", 18)):
        rollups_rebuild()
        first = all_tables()
        rollups_rebuild()
    assert all_tables() == first
    assert first["FlowDay"] and first["BillMonth"] and first["Leader"]
    assert_matches_recount(dt.date(2026, 4, 2))
    state = RollupState.objects.get()
    assert state.rebuilt_at is not None and state.snapshot_day == dt.date(2026, 4, 2)


def test_a_refresh_reworks_yesterday_and_today_and_leaves_other_days_alone():
    a, b, c = _history()
    with clock(at("2026-04-02", 18)):
        rollups_rebuild()
    before = all_tables()
    # Figures outside the window, tampered with: a refresh must not touch them.
    FlowDay.objects.filter(day=dt.date(2026, 1, 5)).update(registrations=99)
    Snapshot.objects.filter(day=dt.date(2026, 4, 2)).update(active=77)
    with clock(at("2026-04-04", 9)):
        pay(register(SUKARASA), 1)  # 4 April
        rollups_refresh()
    after = all_tables()
    assert set(r for r in FlowDay.objects.filter(day=dt.date(2026, 1, 5)).values_list("registrations", flat=True)) \
        == {99}
    assert set(Snapshot.objects.filter(day=dt.date(2026, 4, 2)).values_list("active", flat=True)) == {77}
    assert flow("2026-04-04")["bills_paid"] >= 1
    outside = lambda k: k[0] < dt.date(2026, 4, 3)  # noqa: E731
    assert only(after["FlowDay"], outside) == {k: (99, *v[1:]) if k[0] == dt.date(2026, 1, 5) else v
                                               for k, v in only(before["FlowDay"], outside).items()}
    # FlowMonth follows FlowDay for the months of the window (April), others keep their rows.
    assert after["FlowMonth"] == {**only(before["FlowMonth"], lambda k: k[0] != dt.date(2026, 4, 1)),
                                  **months_of(only(after["FlowDay"], lambda k: k[0] >= dt.date(2026, 4, 1)))}
    # Bill months: only those of the window changed.
    changed = {k[0] for k in diff(after["BillMonth"], before["BillMonth"])}
    assert changed <= {dt.date(2026, m, 1) for m in (3, 4, 5)}
    assert only(after["BillMonth"], lambda k: k[0] in changed) == recount_bill_months(changed)
    with clock(at("2026-04-04", 23)):
        rollups_rebuild()
    assert_matches_recount(dt.date(2026, 4, 4))


def test_refresh_and_rebuild_agree_when_every_event_was_refreshed():
    a, b, c = _history()  # nothing refreshed yet: rollups_ensure rebuilds
    with clock(at("2026-04-02", 18)):
        rollups_ensure()
    with clock(at("2026-04-03", 8)):
        pay(c, 3)
        rollups_ensure()  # a refresh now
    with clock(at("2026-04-04", 0, 10)):
        register(SUKARASA)
        rollups_refresh()
    incremental = all_tables()
    with clock(at("2026-04-04", 0, 20)):
        rollups_rebuild()
    rebuilt = all_tables()
    assert {name: diff(incremental[name], rebuilt[name]) for name in rebuilt} == {n: {} for n in rebuilt}
    assert_matches_recount(dt.date(2026, 4, 4))


def test_late_dated_payments_and_bills_for_months_ahead_are_picked_up_by_the_next_refresh():
    """A payment the gateway reports with a paid_at days back lands on that day, and bills issued for months far
    ahead (an unpaid 12-month order) count in their months: the refresh finds them by id after its high-water
    marks, not by date."""
    with clock(at("2026-03-02", 9)):
        member = register(GAMBIR)
        rollups_rebuild()
    with clock(at("2026-03-05", 9)):
        pay(member, 1, paid_at=at("2026-03-02", 20))  # paid on the 2nd, reported on the 5th
        from contributions.services.payments import payment_order_create
        payment_order_create(member=member, months_count=12, payer=payer_make())  # bills to February 2027, unpaid
        rollups_refresh()
    assert flow("2026-03-02")["collected_idr"] > 0
    assert BillMonth.objects.get(level=0, month=dt.date(2026, 3, 1)).paid == 1
    assert BillMonth.objects.get(level=0, month=dt.date(2026, 9, 1)).billed == 1
    assert_matches_recount(dt.date(2026, 3, 5))
    refreshed = all_tables()
    with clock(at("2026-03-05", 23)):
        rollups_rebuild()
    assert all_tables() == refreshed
    assert_matches_recount(dt.date(2026, 3, 5))


# --- PostgreSQL: refreshes, rebuilds and payments at once ------------------------------------------------------------

@pytest.fixture
def midday():
    """A clock that runs (threads read it too) from a June morning: no Jakarta midnight in the middle of a race."""
    with time_machine.travel(at("2026-06-10", 10), tick=True):
        yield


def on_postgres(test):
    """Committed data and real threads (tests/db's pattern); skipped on SQLite."""
    for mark in (pytest.mark.postgres, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("midday"),
                 pytest.mark.skipif(not getattr(settings, "TEST_ON_POSTGRES", False),
                                    reason="needs PostgreSQL: set DATABASE_URL=postgres://...")):
        test = mark(test)
    return test


def _orders(n: int, today: dt.date):
    from contributions.services.payments import payment_order_create

    payer = payer_make()
    members = [register(VILLAGES[i % len(VILLAGES)]) for i in range(n)]
    return [payment_order_create(member=m, months_count=(1, 3)[i % 2], payer=payer, today=today)
            for i, m in enumerate(members)]


def _pay_all(orders):
    from tests.contributions.helpers import confirm

    for order in orders:
        confirm(order, reference=f"race-{order.pk}")
    return len(orders)


def _refresh_times(n: int):
    for _ in range(n):
        rollups_refresh()
    return n


def _assert_equal_to_recount() -> None:
    today = timezone.localdate()
    days = recount_flow_days()
    assert diff(rows(FlowDay), days) == {}
    assert diff(rows(FlowMonth), months_of(days)) == {}
    assert diff(rows(BillMonth), recount_bill_months()) == {}
    assert diff(rows(Snapshot, where={"day": today}), recount_snapshot(today)) == {}
    assert diff(rows(Leader), recount_leaders()) == {}


@on_postgres
def test_refreshes_while_payments_land_leave_the_recount_after_a_final_refresh():
    assert timezone.localdate() == dt.date(2026, 6, 10)
    villages_load()
    orders = _orders(36, timezone.localdate())
    rollups_rebuild()
    results = _race(lambda: _refresh_times(6), lambda: _pay_all(orders[0::3]), lambda: _pay_all(orders[1::3]),
                    lambda: _pay_all(orders[2::3]))
    assert results == [6, 12, 12, 12], results
    assert Bill.objects.filter(status=BillStatus.PAID).count() == sum(len(o.months) for o in orders)
    rollups_refresh()
    _assert_equal_to_recount()
    assert FlowDay.objects.get(level=0, day=timezone.localdate(), ecosystem="ecommerce_umkm",
                               channel="self").bills_paid >= 36


@on_postgres
@pytest.mark.parametrize("fresh", [True, False])
def test_a_rebuild_and_refreshes_at_once_neither_deadlock_nor_duplicate(fresh):
    """The RollupState row lock serialises them, also when the row does not exist yet (both insert it)."""
    villages_load()
    orders = _orders(24, timezone.localdate())
    _pay_all(orders[:8])
    if not fresh:
        rollups_rebuild()
    assert RollupState.objects.exists() != fresh
    results = _race(rollups_rebuild, lambda: _refresh_times(3), rollups_rebuild, lambda: _refresh_times(2),
                    lambda: _pay_all(orders[8:]), timeout=120)
    assert not any(isinstance(r, Exception) for r in results), results
    assert RollupState.objects.count() == 1
    rollups_refresh()
    _assert_equal_to_recount()
    for model in (FlowDay, FlowMonth, BillMonth, Snapshot):  # one row per key (the unique constraints say so too)
        assert model.objects.count() == len(rows(model))
    rollups_rebuild()
    _assert_equal_to_recount()
