"""The dashboards' rollups run on schedules (refresh every 10 minutes, rebuild nightly), record their runs for
/staf/tugas/, and can be run by hand with manage.py rollups_rebuild."""

import datetime as dt
import io

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core.management import call_command
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from core.jobs import job_labels
from core.models import JobRun, Role, User
from ecosystems import tasks
from ecosystems.models import FlowDay, RollupState, Snapshot
from enrollment.models import MemberStatus
from tests.contributions.helpers import bills_make, bills_mark_paid, member_make

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
    TOTP.activate(user, generate_totp_secret())
    client.force_login(user)
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
