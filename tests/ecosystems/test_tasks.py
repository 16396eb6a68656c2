"""The dashboards' rollups run on schedules (refresh every 10 minutes, rebuild nightly), record their runs for
/staf/tugas/, and can be run by hand with manage.py rollups_rebuild."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from core.jobs import job_labels
from core.models import JobRun, Role, User
from ecosystems import tasks
from ecosystems.models import FlowDay, RollupState, Snapshot
from members.models import MemberStatus
from tests.contributions.helpers import bills_make, bills_mark_paid, member_make
from tests.core.helpers import staff_login

pytestmark = pytest.mark.django_db


@pytest.fixture
def members(reference_data):
    a = member_make(status=MemberStatus.ACTIVE)
    member_make()
    bills_make(a, "2026-01", "2026-02")
    bills_mark_paid(a, "2026-01", paid_at=timezone.make_aware(dt.datetime(2026, 1, 10, 9)))
    return a


def test_the_migration_schedules_both_tasks():
    refresh = PeriodicTask.objects.get(task="ecosystems.tasks.rollups_refresh")
    assert (refresh.crontab.minute, refresh.crontab.hour, refresh.crontab.day_of_month) == ("*/10", "*", "*")
    rebuild = PeriodicTask.objects.get(task="ecosystems.tasks.rollups_rebuild")
    assert (rebuild.crontab.minute, rebuild.crontab.hour) == ("30", "1")
    assert str(rebuild.crontab.timezone) == "Asia/Jakarta" and rebuild.enabled and refresh.enabled


def test_the_refresh_task_runs_and_records_its_run(members):
    tasks.rollups_refresh.delay()  # never built: the first refresh is a rebuild
    run = JobRun.objects.get(job="rollups.refresh")
    assert run.status == JobRun.Status.SUCCEEDED and run.finished_at is not None
    assert run.handled == FlowDay.objects.count() > 0
    state = RollupState.objects.get()
    assert state.rebuilt_at is not None and state.refreshed_at is not None
    assert sum(Snapshot.objects.filter(level=0).values_list("active", flat=True)) == 1

    member_make(status=MemberStatus.ACTIVE)
    tasks.rollups_refresh.delay()  # now incremental: today's registration is counted
    assert JobRun.objects.filter(job="rollups.refresh", status=JobRun.Status.SUCCEEDED).count() == 2
    today = FlowDay.objects.get(level=0, day=timezone.localdate(), ecosystem="ecommerce_umkm", channel="self")
    assert today.registrations == 3
    assert RollupState.objects.get().refreshed_at > state.refreshed_at
    second = JobRun.objects.filter(job="rollups.refresh").latest("started_at")
    assert second.handled == FlowDay.objects.filter(day__gte=timezone.localdate() - dt.timedelta(days=1)).count() > 0


def test_the_rebuild_task_records_its_run(members):
    tasks.rollups_rebuild.delay()
    run = JobRun.objects.get(job="rollups.rebuild")
    assert run.status == JobRun.Status.SUCCEEDED and run.handled == FlowDay.objects.count() > 0


def test_a_failing_run_is_recorded_as_failed(members, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("ecosystems.services.rollups.rollups_rebuild", broken)
    with pytest.raises(RuntimeError):
        tasks.rollups_rebuild.delay()
    run = JobRun.objects.get(job="rollups.rebuild")
    assert run.status == JobRun.Status.FAILED and "disk full" in run.errors


def test_the_jobs_page_names_them(client, members):
    assert {"rollups.refresh", "rollups.rebuild"} <= set(job_labels())
    tasks.rollups_refresh.delay()
    user = User.objects.create(username="root", role=Role.ADMIN)
    staff_login(client, user)
    client.cookies["bpu_lang"] = "en"
    html = client.get("/staf/tugas/").content.decode()
    assert "Dashboard figures: refresh" in html and "Dashboard figures: nightly rebuild" in html


def test_the_command_rebuilds_and_refreshes(members):
    out = io.StringIO()
    call_command("rollups_rebuild", stdout=out)
    text = out.getvalue()
    assert text.startswith("Rebuilt the rollups in ") and " s " in text
    assert f"FlowDay {FlowDay.objects.count()}," in text and "Snapshot " in text
    assert RollupState.objects.get().rebuilt_at is not None

    out = io.StringIO()
    call_command("rollups_rebuild", "--refresh", stdout=out)
    assert out.getvalue().startswith("Refreshed the rollups in ")


# --- demo data (make run) -------------------------------------------------------------------------------------------


@pytest.fixture
def demo_regions(reference_data):
    from reference.services import regions_load

    for root in ("16.71", "31.74", "64.74"):
        regions_load(root=root)


def test_the_demo_seed_runs_twice_and_builds_the_rollups(demo_regions):
    import time

    from contributions.models import Bill, BillStatus
    from core.models import AuditEvent
    from demo.dashboards import MARKER, MEMBERS
    from ecosystems.models import BillMonth, FlowMonth, Leader
    from members.models import Member, Sponsorship

    started = time.monotonic()
    call_command("demo_seed", stdout=io.StringIO())
    first_run = time.monotonic() - started
    demo = Member.objects.filter(consent_version=MARKER)
    assert demo.count() == MEMBERS
    assert {m[:2] for m in demo.values_list("village_id", flat=True)} == {"16", "31", "64"}
    assert set(demo.values_list("ecosystem_id", flat=True)) == {"desa", "pasar", "ecommerce_umkm", "pekerja_rentan"}
    assert set(demo.values_list("channel", flat=True)) == {"self", "api", "agent", "sponsor", "bulk"}
    assert set(demo.values_list("status", flat=True)) == {"active", "registered", "lapsed"}
    assert demo.filter(agent__user__phone="+6281200000002").exists()
    assert Sponsorship.objects.filter(member__in=demo, confirmed_at__isnull=False).count() > 10
    bills = Bill.objects.filter(member__in=demo)
    assert bills.filter(status=BillStatus.PAID, paid_at__isnull=False).count() > bills.count() / 2
    assert bills.filter(status=BillStatus.OPEN, due_date__lt=timezone.localdate()).exists()
    lapses = AuditEvent.objects.filter(action="member.status_changed", changes__status__1="lapsed")
    assert lapses.count() == demo.filter(status="lapsed").count() > 0
    # Consistent with the rules: nobody the lapse job would lapse now, no lapsed member billed after the lapse,
    # every active member has a paid month and no registered one has.
    from contributions.services.membership import members_due_to_lapse

    assert not set(members_due_to_lapse(today=timezone.localdate())) & set(demo.values_list("pk", flat=True))
    assert not demo.filter(status="active").exclude(bills__status=BillStatus.PAID).exists()
    assert not demo.filter(status="registered", bills__status=BillStatus.PAID).exists()
    from contributions.selectors import reconciliation

    assert reconciliation().balanced

    # The dashboards have figures: registrations over 12 months, paid bills, lapses, statuses, leaders.
    nation = FlowMonth.objects.filter(level=0)
    assert sum(nation.values_list("registrations", flat=True)) >= MEMBERS
    assert sum(nation.values_list("lapses", flat=True)) == lapses.count()
    assert nation.values("month").distinct().count() >= 10
    assert FlowMonth.objects.filter(level=1, region_code="16").exists()
    assert BillMonth.objects.filter(level=2, region_code="16.71", paid__gt=0).exists()
    today = Snapshot.objects.filter(level=0, day=timezone.localdate())
    assert sum(today.values_list("active", flat=True)) > 0 and sum(today.values_list("in_arrears", flat=True)) > 0
    assert Leader.objects.filter(kind="agent", level=0).count() >= 2
    assert Leader.objects.filter(kind="sponsor", level=0).count() >= 2
    from reference.models import StaffRegion

    assert StaffRegion.objects.get(user__username="wilayah").region_id == "16"  # the demo regional staff

    call_command("demo_seed", stdout=io.StringIO())  # again: nothing new, figures rebuilt
    assert Member.objects.filter(consent_version=MARKER).count() == MEMBERS
    assert sum(FlowMonth.objects.filter(level=0).values_list("registrations", flat=True)) == sum(
        nation.values_list("registrations", flat=True))
    assert first_run < 30
