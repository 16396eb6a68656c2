import datetime as dt

import pytest
import time_machine
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from core.models import AuditEvent, Channel, OutboxMessage, OutboxStatus
from core.notifications.backends import BaseBackend
from core.services import (
    audit_event_record,
    notification_deliver,
    notification_enqueue,
    notification_flush_pending,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

FAILING = "tests.core.test_notifications.FailingBackend"
RECORDING = "tests.core.test_notifications.RecordingBackend"


class FailingBackend(BaseBackend):
    def send(self, message) -> str:
        raise RuntimeError("gateway unreachable")


class RecordingBackend(BaseBackend):
    sent: list[int] = []

    def send(self, message) -> str:
        type(self).sent.append(message.pk)
        return f"rec-{message.pk}"


def _message(**kwargs) -> OutboxMessage:
    values = dict(channel=Channel.SMS, recipient="+6281234567890", body="Halo", purpose="test")
    values.update(kwargs)
    return OutboxMessage.objects.create(**values)


# --- audit events ----------------------------------------------------------------------------------------


def test_audit_event_record(worker_user):
    event = audit_event_record(
        actor=worker_user, action="user.changed", obj=worker_user, changes={"language": ["id", "en"]},
        reason="asked by phone", ip_address="10.0.0.7",
    )
    event.refresh_from_db()
    assert event.actor == worker_user
    assert event.action == "user.changed"
    assert event.object_type == "core.user"
    assert event.object_id == str(worker_user.pk)
    assert event.changes == {"language": ["id", "en"]}
    assert event.reason == "asked by phone"
    assert event.ip_address == "10.0.0.7"
    assert event.created_at is not None


def test_audit_event_without_actor_or_changes(worker_user):
    from core.models import User

    unsaved = User(username="ghost")
    event = audit_event_record(actor=unsaved, action="x.y", obj=worker_user)
    assert event.actor is None
    assert event.changes == {}
    assert AuditEvent.objects.count() == 1


# --- outbox ----------------------------------------------------------------------------------------------


@override_settings(DEBUG=True)  # the console backend prints bodies with DEBUG only (test_gateway.py)
def test_enqueue_writes_pending_row_and_delivers_after_commit(django_capture_on_commit_callbacks, capsys):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        message = notification_enqueue(channel=Channel.SMS, recipient="+6281234567890", body="Iuran diterima",
                                       purpose="receipt")
    message.refresh_from_db()
    assert message.status == OutboxStatus.PENDING
    assert message.attempts == 0
    assert len(callbacks) == 1

    callbacks[0]()  # the commit happens: the Celery task runs eagerly in test settings
    message.refresh_from_db()
    assert message.status == OutboxStatus.SENT
    assert message.attempts == 1
    assert message.provider_reference.startswith("console-")
    assert message.sent_at is not None
    assert "Iuran diterima" in capsys.readouterr().out


def test_enqueue_rolled_back_leaves_nothing(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            notification_enqueue(channel=Channel.SMS, recipient="+6281234567890", body="x")
            raise RuntimeError("caller failed")
    assert OutboxMessage.objects.count() == 0
    assert callbacks == []


def test_deliver_is_idempotent():
    RecordingBackend.sent = []
    message = _message()
    with override_settings(NOTIFICATION_BACKEND=RECORDING):
        first = notification_deliver(message_id=message.pk)
        second = notification_deliver(message_id=message.pk)
    assert first.status == OutboxStatus.SENT
    assert second.status == OutboxStatus.SENT
    assert RecordingBackend.sent == [message.pk]
    message.refresh_from_db()
    assert message.attempts == 1
    assert message.provider_reference == f"rec-{message.pk}"


def test_deliver_unknown_message_returns_none():
    assert notification_deliver(message_id=987654) is None


@override_settings(NOTIFICATION_BACKEND=FAILING)
def test_failing_backend_keeps_message_pending_then_failed_after_five_attempts():
    message = _message()
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for attempt in range(1, 5):
            notification_deliver(message_id=message.pk)
            message.refresh_from_db()
            assert message.status == OutboxStatus.PENDING
            assert message.attempts == attempt
            assert message.last_error == "gateway unreachable"
            assert message.sent_at is None
            notification_deliver(message_id=message.pk)  # too early: the backoff holds it
            message.refresh_from_db()
            assert message.attempts == attempt
            clock.shift(message.next_attempt_at - timezone.now())
        notification_deliver(message_id=message.pk)
    message.refresh_from_db()
    assert message.status == OutboxStatus.FAILED
    assert message.attempts == 5


@override_settings(NOTIFICATION_BACKEND=FAILING)
def test_failing_backend_through_the_task_does_not_lose_the_message(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message = notification_enqueue(channel=Channel.SMS, recipient="+6281234567890", body="x")
    message.refresh_from_db()
    assert message.status == OutboxStatus.PENDING
    assert message.attempts == 1
    assert message.last_error == "gateway unreachable"


def test_flush_pending_sends_old_pending_messages_only():
    RecordingBackend.sent = []
    old = [_message(body=f"old {i}") for i in range(3)]
    _message(body="recent")
    sent = _message(body="sent", status=OutboxStatus.SENT, attempts=1)
    failed = _message(body="failed", status=OutboxStatus.FAILED, attempts=5)
    OutboxMessage.objects.filter(pk__in=[m.pk for m in [*old, sent, failed]]).update(
        created_at=timezone.now() - dt.timedelta(minutes=5)
    )
    with override_settings(NOTIFICATION_BACKEND=RECORDING):
        assert notification_flush_pending(older_than_seconds=30, batch_size=2)["handled"] == 2
        assert RecordingBackend.sent == [old[0].pk, old[1].pk]  # oldest first, bounded batch
        assert notification_flush_pending(older_than_seconds=30) == {"handled": 1, "failed": 0, "skipped": 0}
        assert notification_flush_pending(older_than_seconds=30)["handled"] == 0
    statuses = dict(OutboxMessage.objects.values_list("body", "status"))
    assert statuses == {
        "old 0": "sent", "old 1": "sent", "old 2": "sent", "recent": "pending", "sent": "sent", "failed": "failed",
    }
    assert RecordingBackend.sent == [m.pk for m in old]


def test_flush_pending_task_uses_the_service():
    from core.tasks import notification_flush_pending as task

    message = _message()
    OutboxMessage.objects.filter(pk=message.pk).update(created_at=timezone.now() - dt.timedelta(minutes=5))
    with override_settings(NOTIFICATION_BACKEND=RECORDING):
        assert task.delay().get() == {"handled": 1, "failed": 0, "skipped": 0}
    message.refresh_from_db()
    assert message.status == OutboxStatus.SENT


# --- delivery sweeps queued after commit ---------------------------------------------------------------------


class _Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_one_sweep_per_interval_covers_every_commit(settings, django_capture_on_commit_callbacks):
    """At most one task per interval, and every commit has a sweep due after it (leading, then trailing)."""
    from unittest import mock

    from core.services import outbox

    settings.NOTIFICATION_SWEEP_SECONDS = 1.0
    clock = _Clock()
    queued = []
    with mock.patch.object(outbox, "_sweep_at", float("-inf")), \
            mock.patch.object(outbox.time, "monotonic", clock), \
            mock.patch("core.tasks.notifications_deliver_fresh.apply_async",
                       lambda countdown=None: queued.append((clock.now, countdown))):
        for at in (1000.0, 1000.1, 1000.5, 1000.9, 1001.0, 1001.2, 1005.0):
            clock.now = at
            with django_capture_on_commit_callbacks(execute=True):
                notification_enqueue(channel=Channel.SMS, recipient="+6281234567890", body=f"at {at}")
    # 1000.0: quiet, swept at once; 1000.1: a sweep due at 1001.0; 1000.5 and 1000.9: covered by it;
    # 1001.0: that sweep may already be running, so one due at 1002.0; 1001.2: covered; 1005.0: quiet again.
    assert [(at, None if c is None else round(c, 6)) for at, c in queued] == [
        (1000.0, None), (1000.1, 0.9), (1001.0, 1.0), (1005.0, None)]
    commits = (1000.0, 1000.1, 1000.5, 1000.9, 1001.0, 1001.2, 1005.0)
    for commit in commits:  # queued by this very commit, or queued before it and due after it
        assert any(at == commit or at < commit < at + (countdown or 0) for at, countdown in queued), commit


def test_broker_down_after_commit_loses_nothing(settings, django_capture_on_commit_callbacks, caplog):
    from unittest import mock

    def down(**kwargs):
        raise ConnectionError("broker unreachable")

    with mock.patch("core.tasks.notifications_deliver_fresh.apply_async", down), \
            django_capture_on_commit_callbacks(execute=True):
        message = notification_enqueue(channel=Channel.SMS, recipient="+6281234567890", body="x")
    message.refresh_from_db()
    assert message.status == OutboxStatus.PENDING and message.attempts == 0  # the minute sweep sends it
    assert "broker unreachable" in caplog.text


def test_fresh_sweep_sends_untried_messages_oldest_first_and_leaves_failed_ones():
    from core.services import notifications_deliver_fresh

    RecordingBackend.sent = []
    fresh = [_message(body=f"fresh {i}") for i in range(5)]
    retrying = _message(body="retrying", attempts=1, last_error="timeout")
    done = _message(body="done", status=OutboxStatus.SENT, attempts=1)
    with override_settings(NOTIFICATION_BACKEND=RECORDING):
        assert notifications_deliver_fresh(batch_size=2) == 5
        assert notifications_deliver_fresh() == 0
    assert RecordingBackend.sent == [m.pk for m in fresh]
    statuses = dict(OutboxMessage.objects.values_list("body", "status"))
    assert statuses["retrying"] == "pending" and statuses["done"] == "sent"
    assert {retrying.pk, done.pk}.isdisjoint(RecordingBackend.sent)


@override_settings(NOTIFICATION_BACKEND=FAILING)
def test_fresh_sweep_tries_a_failing_message_once():
    from core.services import notifications_deliver_fresh

    message = _message()
    assert notifications_deliver_fresh() == 0
    message.refresh_from_db()
    assert message.status == OutboxStatus.PENDING and message.attempts == 1


def test_enqueue_many_writes_one_row_each_and_queues_one_sweep(django_capture_on_commit_callbacks):
    from core.services import notifications_enqueue_many

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        ids = notifications_enqueue_many(messages=[(Channel.SMS, "+6281234567890", "satu", "receipt"),
                                                   (Channel.SMS, "+6281234567891", "dua", "receipt")])
    rows = list(OutboxMessage.objects.order_by("pk").values_list("pk", "recipient", "body", "status", "attempts"))
    assert rows == [(ids[0], "+6281234567890", "satu", "pending", 0), (ids[1], "+6281234567891", "dua", "pending", 0)]
    assert len(callbacks) == 1
    callbacks[0]()
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {"sent"}


@override_settings(NOTIFICATION_BACKEND=FAILING, NOTIFICATION_RETRY_BASE_SECONDS=60)
def test_failed_messages_are_retried_with_backoff_then_marked_failed(settings):
    from unittest import mock

    message = _message()
    start = timezone.now()
    notification_deliver(message_id=message.pk)  # the first try, right after commit
    message.refresh_from_db()
    assert message.attempts == 1 and message.next_attempt_at == pytest.approx(start + dt.timedelta(seconds=60),
                                                                              abs=dt.timedelta(seconds=5))
    waits = []
    for attempt in range(2, settings.NOTIFICATION_MAX_ATTEMPTS + 1):
        due = message.next_attempt_at
        with mock.patch("django.utils.timezone.now", return_value=due - dt.timedelta(seconds=1)):
            assert notification_flush_pending()["failed"] == 0  # not yet: the backoff is not over
        with mock.patch("django.utils.timezone.now", return_value=due):
            assert notification_flush_pending() == {"handled": 0, "failed": 1, "skipped": 0}
        previous = due
        message.refresh_from_db()
        assert message.attempts == attempt
        if message.next_attempt_at:
            waits.append((message.next_attempt_at - previous).total_seconds())
    assert waits[:3] == [120, 240, 480]  # doubling
    assert message.status == OutboxStatus.FAILED
    with mock.patch("django.utils.timezone.now", return_value=message.next_attempt_at + dt.timedelta(days=1)):
        assert notification_flush_pending()["failed"] == 0  # given up: staff see it failed


def test_the_minute_sweep_is_a_recorded_job():
    from core.models import JobRun
    from core.tasks import notification_flush_pending as task

    task.delay()
    run = JobRun.objects.get(job="outbox.retry")
    assert run.status == "succeeded" and run.handled == 0
