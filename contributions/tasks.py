"""Thin periodic tasks; the services do the work in bounded, resumable steps."""

from celery import shared_task
from django.utils import timezone

from contributions.services import billing, membership, payments


@shared_task
def bills_generate_current_month() -> int:
    return billing.bill_generate_for_period(month=timezone.localdate().replace(day=1)).created


@shared_task
def members_lapse() -> int:
    return membership.members_lapse()


@shared_task
def payment_orders_expire() -> int:
    return payments.payment_orders_expire()


@shared_task
def agents_mark_inactive() -> int:
    from contributions.services.agents import agents_mark_inactive as run

    return run()
