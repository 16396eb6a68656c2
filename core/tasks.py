from celery import shared_task
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from core import services
from core.jobs import recorded
from core.notifications.simulator import simulated_receipts_send


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def notification_deliver(message_id: int) -> None:
    services.notification_deliver(message_id=message_id)


@shared_task
@recorded("outbox.retry", _("Retry undelivered notifications"))
def notification_flush_pending() -> dict[str, int]:
    return services.notification_flush_pending()


@shared_task
def notifications_deliver_fresh() -> int:
    return services.notifications_deliver_fresh()


@shared_task
def notifications_deliver_urgent() -> int:
    """Codes and receipts only, on the `urgent` queue (config: CELERY_TASK_ROUTES)."""
    return services.notifications_deliver_fresh(purposes=settings.NOTIFICATION_URGENT_PURPOSES)


@shared_task
def sms_simulator_receipts_send() -> dict[str, int]:
    """The gateway simulator's delivery receipts that are due (development and tests only)."""
    if not settings.SMS_SIMULATOR_ENABLED:
        return {"handled": 0, "failed": 0, "skipped": 0}
    return simulated_receipts_send()
