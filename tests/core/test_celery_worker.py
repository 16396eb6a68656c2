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
