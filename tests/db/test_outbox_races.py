"""Two deliverers at once (the fresh sweep and the minute sweep, or two workers): each message goes out once."""

import collections
import datetime as dt
import threading

import pytest
from django.test import override_settings
from django.utils import timezone

from core.models import OutboxMessage, OutboxStatus
from core.services import notification_flush_pending, notifications_deliver_fresh
from tests.db.test_concurrency import _race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


class CountingBackend:
    sends: collections.Counter = collections.Counter()
    lock = threading.Lock()

    def send(self, message):
        with self.lock:
            CountingBackend.sends[message.pk] += 1
        return f"count-{message.pk}"


@override_settings(NOTIFICATION_BACKEND="tests.db.test_outbox_races.CountingBackend")
@pytest.mark.parametrize("round_", range(3))
def test_two_deliverers_send_each_message_once(round_):
    CountingBackend.sends.clear()
    old = timezone.now() - dt.timedelta(minutes=5)
    OutboxMessage.objects.bulk_create(
        OutboxMessage(channel="sms", recipient=f"+62812000{i:05d}", body=f"pesan {i}", purpose="test")
        for i in range(300))
    OutboxMessage.objects.update(created_at=old)  # old enough for the minute sweep as well

    results = _race(lambda: notifications_deliver_fresh(batch_size=50),
                    lambda: notification_flush_pending(batch_size=500),
                    lambda: notifications_deliver_fresh(batch_size=50))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert OutboxMessage.objects.filter(status=OutboxStatus.SENT).count() == 300
    assert len(CountingBackend.sends) == 300
    assert set(CountingBackend.sends.values()) == {1}
