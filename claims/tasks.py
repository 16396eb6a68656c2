"""Thin periodic tasks of claims; the services do the work."""

from celery import shared_task
from django.utils.translation import gettext_lazy as _

from core.jobs import recorded


@shared_task
@recorded("scholarships.daily", _("Scholarship reminders and age limits"))
def scholarship_reminders_send() -> dict[str, int]:
    from claims.services.scholarships import scholarship_reminders_send as run

    return run()
