"""A real Celery worker consumes from the real broker: kombu's filesystem transport, or Redis when REDIS_URL is set."""

import time
import uuid

import pytest
from celery.contrib.testing.worker import start_worker

from config.celery import app
from core.models import OutboxMessage, OutboxStatus
from core.tasks import notification_deliver


@pytest.mark.django_db(transaction=True)
def test_worker_delivers_an_outbox_message_through_the_broker(settings):
    message = OutboxMessage.objects.create(channel="sms", recipient="+6281234567890", body="halo", purpose="test")
    queue = f"test-{uuid.uuid4().hex[:8]}"
    app.conf.task_always_eager = False
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, queues=[queue], shutdown_timeout=10):
            notification_deliver.apply_async((message.pk,), queue=queue)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                message.refresh_from_db()
                if message.status == OutboxStatus.SENT:
                    break
                time.sleep(0.2)
    finally:
        app.conf.task_always_eager = True
    assert message.status == OutboxStatus.SENT
    assert message.provider_reference.startswith("console-")
    assert app.conf.broker_url.startswith("redis://" if settings.REDIS_URL else "filesystem://")


def _scheduled_job_on_a_real_worker(task: str, job: str, timeout: float = 60):
    """What beat does: send the task by name through the broker to a real worker; returns the job's recorded run
    once it has finished."""
    from core.models import JobRun

    queue = f"test-{uuid.uuid4().hex[:8]}"
    app.conf.task_always_eager = False
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, queues=[queue], shutdown_timeout=10):
            app.send_task(task, queue=queue)
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                run = JobRun.objects.filter(job=job).first()
                if run and run.status != JobRun.Status.RUNNING:
                    break
                time.sleep(0.2)
    finally:
        app.conf.task_always_eager = True
    return JobRun.objects.get(job=job)


@pytest.mark.django_db(transaction=True)
def test_worker_runs_a_scheduled_job_end_to_end(reference_data, settings):
    """What beat does at night: send the lapse job by name through the broker; a real worker runs it, the member
    with three unpaid months lapses, and the run is on the job-runs page's table."""
    from django.utils import timezone

    from core.models import AuditEvent
    from members.models import MemberStatus
    from reference.duedates import add_months
    from tests.contributions.helpers import bills_make, member_make

    current = timezone.localdate().replace(day=1)
    months = [f"{add_months(current, -k):%Y-%m}" for k in (3, 2, 1)]
    member = member_make(billing_start=add_months(current, -3))
    bills_make(member, *months)
    paying = member_make(billing_start=current)  # nothing unpaid: left alone
    run = _scheduled_job_on_a_real_worker("contributions.tasks.members_lapse", "membership.lapse")
    assert run.status == "succeeded" and run.handled == 1 and run.finished_at
    member.refresh_from_db()
    paying.refresh_from_db()
    assert member.status == MemberStatus.LAPSED and paying.status == MemberStatus.REGISTERED
    assert AuditEvent.objects.filter(action="member.status_changed", object_id=str(member.pk)).exists()


@pytest.mark.django_db(transaction=True)
def test_worker_runs_the_auto_debit_job_end_to_end(reference_data):
    """Beat sends the auto-debit run by name; a real worker charges the simulator once, the month is paid, the
    member is active and the run is recorded."""
    from django.utils import timezone

    from contributions.models import AttemptStatus, Bill, BillStatus, DebitAttempt, Payment
    from contributions.services.autodebit import debit_mandate_create
    from members.models import MemberStatus
    from tests.contributions.helpers import bills_make, member_make, payer_make

    current = timezone.localdate().replace(day=1)
    member = member_make(billing_start=current)
    bills_make(member, f"{current:%Y-%m}")
    debit_mandate_create(payer=payer_make(), member=member, method="bank", issuer="BCA", account="1234567890",
                         max_amount_idr=500_000, consent_ip="203.0.113.9")
    run = _scheduled_job_on_a_real_worker("contributions.tasks.autodebit_run", "autodebit.run")
    assert run.status == "succeeded" and run.handled == 1, (run.status, run.handled, run.errors)
    attempt = DebitAttempt.objects.get()
    assert attempt.status == AttemptStatus.SUCCEEDED and attempt.payment is not None
    assert Payment.objects.get().channel == "auto"
    assert Bill.objects.get(member=member).status == BillStatus.PAID
    member.refresh_from_db()
    assert member.status == MemberStatus.ACTIVE
