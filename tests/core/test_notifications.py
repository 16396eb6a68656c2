import datetime as dt

import pytest
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
    for attempt in range(1, 5):
        notification_deliver(message_id=message.pk)
        message.refresh_from_db()
        assert message.status == OutboxStatus.PENDING
        assert message.attempts == attempt
        assert message.last_error == "gateway unreachable"
        assert message.sent_at is None
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
        assert notification_flush_pending(older_than_seconds=30, batch_size=2) == 2
        assert RecordingBackend.sent == [old[0].pk, old[1].pk]  # oldest first, bounded batch
        assert notification_flush_pending(older_than_seconds=30) == 1
        assert notification_flush_pending(older_than_seconds=30) == 0
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
        assert task.delay().get() == 1
    message.refresh_from_db()
    assert message.status == OutboxStatus.SENT
