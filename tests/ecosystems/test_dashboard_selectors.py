"""The dashboard selector against the rollups of a small dataset: members in two provinces through the test helpers,
bills paid and open, a lapse, a paid death claim, an agent and a sponsor; `rollups_rebuild`, then the figures at
nation, province and regency level compared with what the rollup tables hold (and with the dataset itself)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.utils import timezone

from contributions.models import Bill, BillStatus
from core.models import AuditEvent, Role, User
from ecosystems.figures import Filters, filters_default, percent
from ecosystems.models import BillMonth, FlowMonth, RollupState, Snapshot, Target, Workforce
from ecosystems.selectors.dashboard import (
    CHANNEL_LABELS,
    dashboard_home,
    dashboard_read,
    dashboard_scope,
)
from ecosystems.services.rollups import rollups_rebuild
from members.models import Member, MemberStatus
from members.transitions import member_status_transition
from reference.models import Region, StaffRegion
from reference.selectors import region_children, region_get, region_path
from tests.contributions.helpers import bills_make, bills_mark_paid, member_make
from tests.factories.members import AgentFactory, SponsorFactory, SponsorshipFactory
from tests.seeding import claims_reference_data

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 10, 15)  # the day the rollups are built (the snapshot day)
PERIOD = Filters(first=dt.date(2026, 1, 1), last=dt.date(2026, 10, 1))
JAKSEL, BANDUNG_KAB = "31.74", "32.04"
BANDUNG_VILLAGE = "32.04.05.2001"


def at(day: str, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.fromisoformat(f"{day}T{hour:02d}:00"))


def _member(*, village: str | None = None, ecosystem: str, channel: str, created: str, status=MemberStatus.ACTIVE,
            **kwargs) -> Member:
    member = member_make(status=status, **kwargs)
    values = {"ecosystem_id": ecosystem, "channel": channel, "created_at": at(created)}
    if village:
        values["village_id"] = village
    Member.objects.filter(pk=member.pk).update(**values)
    member.refresh_from_db()
    return member


def _regions():
    from reference.services import regions_load

    for root in ("31.74.01.1001", BANDUNG_VILLAGE):
        if not Region.objects.filter(code=root).exists():
            regions_load(root=root)


def build_dataset() -> dict:
    """Five members in Jakarta Selatan (31.74) and Kabupaten Bandung (32.04), then the rollups on TODAY."""
    from tests.claims.claim_helpers import death_claim, paid_member, walk

    _regions()
    agent = AgentFactory(user__username="dash-agent", user__first_name="Agus", user__last_name="Perisai",
                         user__phone="+6281700000001", body__name="Koperasi Dasbor", market="")
    sponsor = SponsorFactory(user__username="dash-sponsor", user__phone="+6281700000002", name="Ibu Sari Penyantun")

    # Jakarta: a market trader through the agent (two months paid), a self-registered online seller (October open).
    trader = _member(ecosystem="pasar", channel="agent", created="2026-09-01")
    Member.objects.filter(pk=trader.pk).update(agent=agent)
    bills_make(trader, "2026-09", "2026-10")
    bills_mark_paid(trader, "2026-09", paid_at=at("2026-09-10"))
    bills_mark_paid(trader, "2026-10", paid_at=at("2026-10-05"))
    seller = _member(ecosystem="ecommerce_umkm", channel="self", created="2026-10-02", status=MemberStatus.REGISTERED)
    bills_make(seller, "2026-10")
    Bill.objects.filter(member=seller).update(due_date=dt.date(2026, 10, 1))  # overdue on the 15th: in arrears
    # Bandung: a farmer imported by the local government who lapsed in June, a sponsored worker paid for October.
    farmer = _member(village=BANDUNG_VILLAGE, ecosystem="desa", channel="bulk", created="2026-01-20")
    member_status_transition(member_id=farmer.pk, to=MemberStatus.LAPSED, actor=None, reason="test")
    AuditEvent.objects.filter(action="member.status_changed", object_id=str(farmer.pk)).update(
        created_at=at("2026-06-15"))
    helper = _member(village=BANDUNG_VILLAGE, ecosystem="desa", channel="sponsor", created="2026-03-02")
    SponsorshipFactory(sponsor=sponsor, member=helper, relationship="household_helper", confirmed_at=at("2026-03-02"))
    bills_make(helper, "2026-10")
    bills_mark_paid(helper, "2026-10", paid_at=at("2026-10-03"))
    # Jakarta: a member with 12 months paid in January whose heir was paid the death benefit in September.
    deceased = paid_member(months=12)
    Member.objects.filter(pk=deceased.pk).update(ecosystem_id="ecommerce_umkm", channel="self",
                                                 created_at=at("2026-01-04"))
    claim = walk(death_claim(deceased, day="2026-08-10"), to="paid")
    claim.payout.__class__.objects.filter(pk=claim.payout.pk).update(paid_at=at("2026-09-20"))

    Target.objects.update_or_create(year=2026, region_code="31", ecosystem=None,
                                    defaults={"measure": "members", "members": 4, "share_percent": None})
    Target.objects.update_or_create(year=2026, region_code="31", ecosystem_id="pasar",
                                    defaults={"measure": "members", "members": 2, "share_percent": None})
    Target.objects.update_or_create(year=2026, region_code=JAKSEL, ecosystem=None,
                                    defaults={"measure": "share", "members": None, "share_percent": 10})
    Workforce.objects.update_or_create(year=2026, region_code=JAKSEL, defaults={"workers": 20})
    Workforce.objects.update_or_create(year=2026, region_code="31", defaults={"workers": 50})
    rollups_rebuild(today=TODAY)
    return {"trader": trader, "seller": seller, "farmer": farmer, "helper": helper, "deceased": deceased,
            "claim": claim, "agent": agent, "sponsor": sponsor}


@pytest.fixture
def dataset(reference_data):

    claims_reference_data()
    return build_dataset()


def admin_make(username: str = "dash-admin") -> User:
    return User.objects.create(username=username, role=Role.ADMIN)


def read(code: str = "", filters: Filters = PERIOD, user=None):
    scope = dashboard_scope(viewer=user or admin_make(f"admin-{code or 'id'}-{filters.ecosystem}-{filters.channel}"),
                            code=code)
    return dashboard_read(scope=scope, filters=filters, today=TODAY)


def rollup_sum(model, level: int, code: str, field: str, **lookups) -> int:
    return model.objects.filter(level=level, region_code=code, **lookups).aggregate(n=Sum(field))["n"] or 0


def test_region_selectors_still_importable_from_the_package(regions):
    assert region_get(code="31.74").name == "Kota Administrasi Jakarta Selatan"
    assert [r.code for r in region_path(region=region_get(code="31.74.01"))] == ["31", "31.74", "31.74.01"]
    assert "31.74" in set(region_children(parent_code="31").values_list("code", flat=True))


@pytest.mark.parametrize(("level", "code"), [(0, ""), (1, "31"), (2, JAKSEL), (1, "32"), (2, BANDUNG_KAB)])
def test_totals_match_the_rollup_tables_at_every_level(dataset, level, code):
    data = read(code)
    snap = {"day": TODAY}
    period = {"month__gte": PERIOD.first, "month__lte": PERIOD.last}
    assert data.total.active == rollup_sum(Snapshot, level, code, "active", **snap)
    assert data.total.bpu == sum(rollup_sum(Snapshot, level, code, f, **snap)
                                 for f in ("registered", "active", "lapsed"))
    assert data.total.in_arrears == rollup_sum(Snapshot, level, code, "in_arrears", **snap)
    assert data.total.lapsed == rollup_sum(Snapshot, level, code, "lapsed", **snap)
    for field in ("registrations", "lapses", "collected_idr", "claims_paid", "claims_paid_idr"):
        assert getattr(data.total, field) == rollup_sum(FlowMonth, level, code, field, **period), field
    assert data.total.billed == rollup_sum(BillMonth, level, code, "billed", month=PERIOD.last)
    assert data.total.paid == rollup_sum(BillMonth, level, code, "paid", month=PERIOD.last)
    assert sum(w.registrations for w in data.weeks) == rollup_sum(
        __import__("ecosystems.models", fromlist=["FlowDay"]).FlowDay, level, code, "registrations",
        day__gte=data.weeks[0].start, day__lte=data.weeks[-1].end)
    # Every breakdown adds up to the total.
    assert sum(f.active for _e, f in data.by_ecosystem) == data.total.active
    assert sum(f.registrations for _c, f in data.by_channel) == data.total.registrations
    assert sum(sum(v) for v in data.registrations_by_month.values()) == data.total.registrations


def test_nation_figures_are_those_of_the_dataset(dataset):
    data = read()
    # Active: trader and helper (the deceased's membership closed with the payout, the farmer lapsed).
    assert data.total.active == 2
    assert data.total.bpu == 4  # + the registered seller and the lapsed farmer
    assert data.total.lapsed == 1 and data.total.lapses == 1
    assert data.total.in_arrears == 1  # the seller's October bill was due on the 1st
    assert data.total.registrations == 5
    assert data.total.claims_paid == 1 and data.total.claims_paid_idr == dataset["claim"].payout.amount_idr
    paid_idr = Bill.objects.filter(status=BillStatus.PAID).aggregate(n=Sum("total_idr"))["n"]
    assert data.total.collected_idr == paid_idr
    # October: the trader, the helper and the deceased (12 months paid in January) paid, the seller did not.
    assert (data.total.billed, data.total.paid) == (4, 3)
    assert data.total.payment_rate == Decimal("75.0")
    assert [b.month for b in data.bills_by_month] == PERIOD.months
    # The last 12 weeks end on the snapshot day: the trader (1 Sep) and the seller (2 Oct) registered then.
    assert data.weeks[-1].end == TODAY and len(data.weeks) == 12
    assert sum(w.registrations for w in data.weeks) == 2
    assert data.scope.level == 0 and {r.code for r, _f in data.children} >= {"31", "32"}
    assert data.state.snapshot_day == TODAY
    # The leaderboards name the agent (the user's full name) and the sponsor.
    assert [(a.name, a.members, a.active) for a in data.agents] == [("Agus Perisai", 1, 1)]
    assert [(s.name, s.members, s.active) for s in data.sponsors] == [("Ibu Sari Penyantun", 1, 1)]


def test_province_children_targets_coverage_and_progress(dataset):
    data = read("31")
    assert data.total.active == 1 and data.workforce.workers == 50
    assert data.total.coverage == Decimal("2.0")  # 1 of 50
    assert data.target.members == 4 and data.all_members.progress == Decimal("25.0")
    children = {region.code: figures for region, figures in data.children}
    jaksel = children[JAKSEL]
    assert jaksel.active == 1 and jaksel.bpu == 2
    assert jaksel.coverage == Decimal("5.0")  # 1 of 20 workers
    assert jaksel.progress == Decimal("50.0")  # 5 % of a 10 % target
    assert jaksel.payment_rate == Decimal("66.7")  # October: 2 of 3 bills paid
    assert data.behind == [(r, f) for r, f in data.children if r.code == JAKSEL]
    # A regency has no children; its leaderboard is its own.
    regency = read(JAKSEL)
    assert regency.children == [] and [a.name for a in regency.agents] == ["Agus Perisai"]
    assert read(BANDUNG_KAB).agents == []


def test_ecosystem_and_channel_filters(dataset):
    pasar = read("31", Filters(first=PERIOD.first, last=PERIOD.last, ecosystem="pasar"))
    assert pasar.total.active == 1 and pasar.total.registrations == 1
    assert [e.code for e, _f in pasar.by_ecosystem] == ["pasar"]
    assert pasar.ecosystem_target.members == 2 and pasar.ecosystem_figures.progress == Decimal("50.0")
    assert list(pasar.registrations_by_month) == ["pasar"]
    selfreg = read("", Filters(first=PERIOD.first, last=PERIOD.last, channel="self"))
    assert selfreg.total.registrations == 2 and selfreg.total.active == 0 and selfreg.total.bpu == 1
    assert [c for c, _f in selfreg.by_channel] == ["self"]
    # The overall target is still measured on every member of the region.
    assert pasar.all_members.active == 1
    assert set(CHANNEL_LABELS) == {"self", "api", "sponsor", "agent", "bulk"}


def test_children_without_targets_and_a_region_never_built(reference_data, regions):
    data = read("", Filters(first=PERIOD.first, last=PERIOD.last))
    assert not data.built and data.total.active == 0 and data.behind == []
    assert data.children_with_target == 0
    assert percent(1, 0) is None and percent(1, 3) == Decimal("33.3")


def test_default_period_is_the_last_twelve_months():
    f = filters_default(today=dt.date(2026, 11, 21))
    assert (f.first, f.last) == (dt.date(2025, 12, 1), dt.date(2026, 11, 1)) and len(f.months) == 12


def test_scope_for_admin_regional_staff_and_others(regions):
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    admin = admin_make()
    assert dashboard_home(viewer=admin) == "" and dashboard_scope(viewer=admin, code="32.04").level == 2
    regional = User.objects.create(username="kanwil", role=Role.SUPERVISOR)
    StaffRegion.objects.create(user=regional, region_id="31")
    assert dashboard_home(viewer=regional) == "31"
    assert dashboard_scope(viewer=regional, code="31.74").code == "31.74"
    for code in ("", "32", "32.04", "3"):
        with pytest.raises(PermissionDenied):
            dashboard_scope(viewer=regional, code=code)
    with pytest.raises(Http404):
        dashboard_scope(viewer=admin, code="99")
    branch = User.objects.create(username="petugas-dash", role=Role.BRANCH_STAFF)
    worker = User.objects.create(username="worker-dash")
    for user in (branch, worker):
        assert dashboard_home(viewer=user) is None
        with pytest.raises(PermissionDenied):
            dashboard_scope(viewer=user, code="")
    assert RollupState.objects.count() == 0
