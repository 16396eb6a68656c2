"""Thin periodic tasks; the services do the work in bounded, resumable steps."""

from celery import shared_task
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contributions.services import billing, membership, payments
from core.jobs import recorded


@shared_task
@recorded("billing.monthly", _("Monthly bills"))
def bills_generate_current_month() -> int:
    created = billing.bill_generate_for_period(month=timezone.localdate().replace(day=1)).created
    payments.credits_apply_due()  # before any reminder: a month the member's credit covers is paid now
    return created


@shared_task
@recorded("membership.lapse", _("Lapse after 3 unpaid months"))
def members_lapse() -> int:
    return membership.members_lapse()


@shared_task
@recorded("payments.expire_orders", _("Expire unpaid payment orders"))
def payment_orders_expire() -> int:
    return payments.payment_orders_expire()


@shared_task
@recorded("agents.inactive", _("Agents without activity become inactive"))
def agents_mark_inactive() -> int:
    from contributions.services.agents import agents_mark_inactive as run

    return run()


@shared_task
@recorded("reminders.daily", _("Payment reminders"))
def reminders_send() -> dict[str, int]:
    from contributions.services.reminders import reminders_send as run

    return run()


@shared_task
@recorded("autodebit.run", _("Auto-debit run"))
def autodebit_run() -> dict[str, int]:
    from contributions.services.autodebit import autodebit_run as run

    return run()


@shared_task
@recorded("autodebit.retries", _("Auto-debit retries"))
def autodebit_retry_due() -> dict[str, int]:
    from contributions.services.autodebit import debit_attempts_process

    return debit_attempts_process()
