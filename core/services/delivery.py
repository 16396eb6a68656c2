"""Delivering the outbox: the sweeps, one message through the gateway, the gateway's delivery receipts."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core.models import OutboxMessage, OutboxStatus
from core.notifications import backends, is_stale

logger = logging.getLogger(__name__)


def notifications_deliver_fresh(*, batch_size: int = 200, max_batches: int = 50,
                                purposes: Sequence[str] | None = None) -> int:
    """Delivers the messages not tried yet, oldest first, in bounded batches. Two sweeps at once share the work
    (rows another one holds are skipped); messages that failed once wait for notification_flush_pending. With
    purposes, only messages of those purposes (the urgent sweep)."""
    sent = 0
    fresh = OutboxMessage.objects.filter(status=OutboxStatus.PENDING, attempts=0)
    if purposes is not None:
        fresh = fresh.filter(purpose__in=list(purposes))
    for _batch in range(max_batches):
        ids = list(fresh.filter(_not_held(timezone.now())).order_by("pk").values_list("pk", flat=True)[:batch_size])
        if not ids:
            break
        for message_id in ids:
            message = notification_deliver(message_id=message_id, skip_locked=True)
            sent += message is not None and message.status == OutboxStatus.SENT
    return sent


def _not_held(now) -> Q:
    """Messages whose time has come: never held, or held (quiet hours, backoff) until a moment now past."""
    return Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)


def notification_deliver(*, message_id: int, skip_locked: bool = False) -> OutboxMessage | None:
    """Sends one outbox message through the configured backend. Safe to run twice. With skip_locked, a message
    another deliverer holds right now is left to it (None). A message held until later (quiet hours, backoff) is
    left for the sweep that comes after; one that is no longer needed (a reminder of a bill paid since) is
    cancelled instead of sent.

    The gateway is called outside any transaction: a slow gateway must not hold a lock (on SQLite a write lock on
    the whole file, which the simulator answering on the same database needs). The message is claimed first, its
    try counted and held for NOTIFICATION_CLAIM_SECONDS, so another deliverer leaves it alone meanwhile and the
    retry sweep takes it up if this one dies; the gateway's Idempotency-Key keeps that from sending it twice."""
    with transaction.atomic():
        message = OutboxMessage.objects.select_for_update(skip_locked=skip_locked).filter(pk=message_id).first()
        if message is None or message.status != OutboxStatus.PENDING:
            return message
        if message.next_attempt_at and message.next_attempt_at > timezone.now():
            return message
        if is_stale(message):
            message.status = OutboxStatus.CANCELLED
            message.save(update_fields=["status"])
            return message
        held_until = message.next_attempt_at
        message.attempts += 1
        message.next_attempt_at = timezone.now() + timedelta(seconds=settings.NOTIFICATION_CLAIM_SECONDS)
        message.save(update_fields=["attempts", "next_attempt_at"])
    try:
        reference = backends.get_backend().send(message)
    except Exception as exc:  # a backend failure must not lose the message: keep it for the retry sweep
        # The gateway refused the message itself (a 4xx): trying again cannot help.
        permanent = isinstance(exc, backends.PermanentDeliveryError)
        logger.warning("notification %s failed: %s", message.pk, type(exc).__name__)
        message.last_error = str(exc)[:500]
        message.status = (OutboxStatus.FAILED if permanent or message.attempts >= settings.NOTIFICATION_MAX_ATTEMPTS
                          else OutboxStatus.PENDING)
        # Backoff: a gateway that is down is not hammered; 1, 2, 4, 8 minutes by default.
        message.next_attempt_at = timezone.now() + timedelta(
            seconds=settings.NOTIFICATION_RETRY_BASE_SECONDS * 2 ** (message.attempts - 1))
        if message.fallback_channel and (permanent or
                                         message.attempts >= settings.NOTIFICATION_FALLBACK_AFTER_ATTEMPTS):
            # Not on WhatsApp, a mailbox that bounces: the person's phone still gets it, by SMS, at once.
            message.last_error = f"{message.channel}: {message.last_error}"[:500]
            message.channel, message.recipient = message.fallback_channel, message.fallback_recipient
            message.fallback_channel, message.fallback_recipient = "", ""
            message.status, message.next_attempt_at = OutboxStatus.PENDING, timezone.now()
        message.save(update_fields=["last_error", "status", "next_attempt_at", "channel", "recipient",
                                    "fallback_channel", "fallback_recipient"])
        return message
    message.status = OutboxStatus.SENT
    message.sent_at = timezone.now()
    message.provider_reference = reference or ""
    message.receipt_at = None
    message.next_attempt_at = held_until
    message.save(update_fields=["status", "sent_at", "provider_reference", "receipt_at", "next_attempt_at"])
    return message


class UnknownProviderMessage(Exception):
    """A delivery receipt for a message id the outbox never got back from the gateway."""


def notification_receipt_record(*, provider_reference: str, status: str, reported_at, error_code: str = ""
                                ) -> tuple[OutboxMessage, bool]:
    """The gateway's delivery receipt: the message is delivered, or failed (then its fallback channel, if it has
    one, is tried at once). Returns the message and whether this receipt was a replay (the first one counts)."""
    with transaction.atomic():
        message = (OutboxMessage.objects.select_for_update().filter(provider_reference=provider_reference)
                   .exclude(provider_reference="").first())
        if message is None:
            raise UnknownProviderMessage(provider_reference)
        if message.status != OutboxStatus.SENT:  # already reported (or resent by its fallback since)
            return message, True
        message.receipt_at = reported_at
        if status == "delivered":
            message.status = OutboxStatus.DELIVERED
        elif message.fallback_channel:  # not on WhatsApp after all: the phone still gets it, by SMS, at once
            message.last_error = f"{message.channel}: gateway: {error_code or 'not delivered'}"[:500]
            message.channel, message.recipient = message.fallback_channel, message.fallback_recipient
            message.fallback_channel, message.fallback_recipient = "", ""
            message.status, message.next_attempt_at = OutboxStatus.PENDING, timezone.now()
        else:
            message.status = OutboxStatus.FAILED
            message.last_error = f"gateway: {error_code or 'not delivered'}"[:500]
        message.save(update_fields=["receipt_at", "status", "last_error", "channel", "recipient", "fallback_channel",
                                    "fallback_recipient", "next_attempt_at"])
    return message, False


def notification_flush_pending(*, older_than_seconds: int = 30, batch_size: int = 500) -> dict[str, int]:
    """The minute sweep: messages no delivery ever picked up (the broker was down when they were written) and failed
    ones whose backoff is over, oldest first, bounded per run. Returns what it did, for the job-runs page."""
    now = timezone.now()
    due = Q(_not_held(now), attempts=0, created_at__lt=now - timedelta(seconds=older_than_seconds)) | Q(
        attempts__gt=0, next_attempt_at__lte=now)
    ids = list(OutboxMessage.objects.filter(due, status=OutboxStatus.PENDING).order_by("pk")
               .values_list("pk", flat=True)[:batch_size])
    counts = {"handled": 0, "failed": 0, "skipped": 0}
    for message_id in ids:
        message = notification_deliver(message_id=message_id, skip_locked=True)
        if message is None:
            counts["skipped"] += 1  # another deliverer has it right now
        else:
            counts["handled" if message.status == OutboxStatus.SENT else "failed"] += 1
    return counts
