"""Scheduled jobs record their runs; staff read them at /staf/tugas/."""

import datetime as dt

import pytest
from lokal.holidays import HOLIDAY_YEARS

from core.holidays import holiday_data_end, holiday_data_running_out
from core.jobs import JobCounts, job_labels, job_run_record, recorded
from core.models import JobRun, Role, User
from tests.core.helpers import pin_clock, staff_login

pytestmark = pytest.mark.django_db


def test_a_run_is_recorded_from_start_to_finish_with_its_counts():
    with job_run_record("test.job") as counts:
        run = JobRun.objects.get()
        assert run.status == "running" and run.finished_at is None  # visible while it runs
        counts.add({"handled": 7, "failed": 1, "skipped": 2})
        counts.add(3)
    run.refresh_from_db()
    assert (run.status, run.handled, run.failed, run.skipped) == ("succeeded", 10, 1, 2)
    assert run.finished_at >= run.started_at and run.seconds >= 0 and run.errors == ""


def test_a_failing_run_keeps_its_error_and_the_exception_goes_on():
    with pytest.raises(RuntimeError, match="broker unreachable"), job_run_record("test.job") as counts:
        counts.add(4)
        raise RuntimeError("broker unreachable")
    run = JobRun.objects.get()
    assert run.status == "failed" and run.handled == 4 and run.finished_at is not None
    assert "RuntimeError: broker unreachable" in run.errors


def test_counts_ignore_what_is_not_a_count():
    counts = JobCounts()
    for result in (None, True, "x", 2):
        counts.add(result)
    assert counts == JobCounts(handled=2)


def test_scheduled_tasks_are_recorded_with_their_labels():
    from contributions.tasks import members_lapse, payment_orders_expire

    assert members_lapse.delay().get() == 0
    payment_orders_expire.delay().get()
    assert set(JobRun.objects.values_list("job", "status")) == {("membership.lapse", "succeeded"),
                                                                 ("payments.expire_orders", "succeeded")}
    labels = job_labels()
    assert {"billing.monthly", "membership.lapse", "payments.expire_orders", "agents.inactive",
            "outbox.retry"} <= set(labels)


def test_recorded_keeps_the_functions_result_and_name():
    @recorded("test.decorated", "Test")
    def work(n):
        return {"handled": n, "skipped": 1}

    assert work(5) == {"handled": 5, "skipped": 1} and work.__name__ == "work"
    run = JobRun.objects.get(job="test.decorated")
    assert (run.handled, run.skipped) == (5, 1)


def test_admins_read_the_runs_others_cannot(client, english):
    JobRun.objects.create(job="membership.lapse", status="failed", errors="Traceback …\nValueError: boom")
    JobRun.objects.create(job="billing.monthly", status="succeeded", handled=1_000_000)
    worker = User.objects.create(username="w", phone="+6281234567890")
    client.force_login(worker)
    assert client.get("/staf/tugas/").status_code == 403
    # Job runs are national operations (and tracebacks): admins only (decisions.md).
    branch = User.objects.create(username="petugas", role=Role.BRANCH_STAFF)
    staff_login(client, branch)
    assert client.get("/staf/tugas/").status_code == 403
    staff = User.objects.create(username="admin1", role=Role.ADMIN)
    staff_login(client, staff)
    html = client.get("/staf/tugas/").content.decode()
    assert "Lapse after 3 unpaid months" in html and "ValueError: boom" in html and "1000000 handled" in html
    assert "Not run yet" in html  # the other scheduled jobs are listed too
    only = client.get("/staf/tugas/?job=billing.monthly").content.decode()
    assert "ValueError: boom" not in only and "1000000 handled" in only


@pytest.mark.parametrize(("days_left", "warned"), [
    (365, False),  # a year or more left
    (364, True),   # a 12-month prepayment's due dates would run past it
    (-60, True),   # past it
])
def test_the_jobs_page_warns_before_the_holiday_data_runs_out(client, english, days_left, warned):
    end = holiday_data_end()  # 31 December of lokal-id's last year (2027 in the pinned release)
    with pin_clock(end - dt.timedelta(days=days_left)):
        staff_login(client, User.objects.create(username="admin1", role=Role.ADMIN))
        html = client.get("/staf/tugas/").content.decode()
    assert ('id="holiday-data"' in html) is warned
    if warned:
        assert f"The holiday data ends on 31 December {end.year}" in html and "cuti bersama" in html


def test_holiday_data_end_is_the_last_published_year():
    assert holiday_data_end() == dt.date(max(HOLIDAY_YEARS), 12, 31)
    assert holiday_data_running_out(today=holiday_data_end() - dt.timedelta(days=365)) is None
    assert holiday_data_running_out(today=holiday_data_end() - dt.timedelta(days=364)) == holiday_data_end()
