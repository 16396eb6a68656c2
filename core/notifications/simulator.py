"""The SMS/WhatsApp gateway simulator: the gateway's side of core.notifications.gateway, served by the portal
itself while SMS_SIMULATOR_ENABLED (development and tests; production settings refuse it).

It checks the API key, keeps every accepted message (what the simulated phone shows at /simulator/sms/), answers
with its own message id, and sends the signed delivery receipt to the message's callback URL over HTTP a moment
later, trying again with backoff while the portal does not take it. Test numbers, by their last four digits, play
what a real gateway does now and then:

- ``…0400``: refused, HTTP 400 ``invalid_recipient`` (a permanent failure);
- ``…0503``: HTTP 503 to the first try of each message, accepted when asked again (the outbox's retry);
- ``…0410``: accepted, then reported ``failed`` (``unreachable``: the phone is off).
"""

from __future__ import annotations

import hmac
import re
import secrets
from datetime import datetime, timedelta

import requests
from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.models import Channel, SimulatedMessage
from core.notifications.gateway import receipt_body, signed_headers

REFUSED_NUMBER = "0400"
BUSY_NUMBER = "0503"
UNREACHABLE_NUMBER = "0410"
RECEIPT_MAX_ATTEMPTS = 8
_PHONE = re.compile(r"\+[1-9]\d{7,14}")
_URL = re.compile(r"https?://[^\s]{1,290}")


class SimulatorRefused(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def simulated_message_accept(*, authorization: str | None, idempotency_key: str | None, payload: dict
                             ) -> tuple[SimulatedMessage, bool]:
    """The gateway's `POST /v1/messages`: the stored message and whether it is new (a repeated Idempotency-Key
    returns the first one and sends nothing)."""
    expected = f"Bearer {settings.SMS_SIMULATOR_API_KEY}".encode()
    if not settings.SMS_SIMULATOR_API_KEY or not hmac.compare_digest((authorization or "").encode(), expected):
        raise SimulatorRefused(401, "unauthorized", "missing or wrong API key")
    if not idempotency_key or len(idempotency_key) > 100:
        raise SimulatorRefused(400, "idempotency_key_required", "send an Idempotency-Key of at most 100 characters")
    existing = SimulatedMessage.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing, False
    channel, to, text, callback = (payload.get(name) for name in ("channel", "to", "text", "callback_url"))
    if channel not in (Channel.SMS, Channel.WHATSAPP):
        raise SimulatorRefused(400, "invalid_channel", "channel must be sms or whatsapp")
    if not isinstance(to, str) or not _PHONE.fullmatch(to):
        raise SimulatorRefused(400, "invalid_recipient", "to must be a number in E.164 form")
    if not isinstance(text, str) or not 0 < len(text) <= 1600:
        raise SimulatorRefused(400, "invalid_text", "text must have 1 to 1600 characters")
    if not isinstance(callback, str) or not _URL.fullmatch(callback):
        raise SimulatorRefused(400, "invalid_callback_url", "callback_url must be an http(s) URL")
    if to.endswith(REFUSED_NUMBER):
        raise SimulatorRefused(400, "invalid_recipient", "this number cannot receive messages")
    if to.endswith(BUSY_NUMBER) and cache.add(f"sms-simulator:busy:{idempotency_key}", 1, timeout=86400):
        raise SimulatorRefused(503, "temporarily_unavailable", "try again later")
    unreachable = to.endswith(UNREACHABLE_NUMBER)
    try:
        with transaction.atomic():
            message = SimulatedMessage.objects.create(
                message_id="SIM" + secrets.token_hex(10).upper(), idempotency_key=idempotency_key, channel=channel,
                recipient=to, text=text, callback_url=callback,
                status=SimulatedMessage.Status.FAILED if unreachable else SimulatedMessage.Status.DELIVERED,
                error_code="unreachable" if unreachable else "",
                receipt_due_at=timezone.now() + timedelta(seconds=settings.SMS_SIMULATOR_RECEIPT_DELAY_SECONDS))
    except IntegrityError:  # the same key at the same moment: the other request stored it
        return SimulatedMessage.objects.get(idempotency_key=idempotency_key), False
    return message, True


def simulated_receipts_send(*, now: datetime | None = None, batch_size: int = 100) -> dict[str, int]:
    """Sends the delivery receipts that are due, signed, to each message's callback URL. A receipt the portal did
    not take (an error, no answer) is sent again later with backoff, at most RECEIPT_MAX_ATTEMPTS times. Each
    receipt is claimed first (its due time moved on), so two sweeps at once never send the same one together."""
    now = now or timezone.now()
    counts = {"handled": 0, "failed": 0, "skipped": 0}
    due = list(SimulatedMessage.objects.filter(receipt_due_at__lte=now).order_by("receipt_due_at", "pk")
               .values_list("pk", "receipt_due_at")[:batch_size])
    timeout = (settings.SMS_GATEWAY_CONNECT_TIMEOUT_SECONDS, settings.SMS_GATEWAY_READ_TIMEOUT_SECONDS)
    for pk, due_at in due:
        lease = now + timedelta(seconds=120)
        if not SimulatedMessage.objects.filter(pk=pk, receipt_due_at=due_at).update(receipt_due_at=lease):
            counts["skipped"] += 1  # another sweep has it
            continue
        message = SimulatedMessage.objects.get(pk=pk)
        body = receipt_body(message_id=message.message_id, status=message.status, error_code=message.error_code,
                            reported_at=timezone.now().isoformat())
        try:
            answer = requests.post(message.callback_url, data=body, timeout=timeout, allow_redirects=False,
                                   headers=signed_headers(body, settings.SMS_SIMULATOR_CALLBACK_SECRET)).status_code
        except requests.RequestException:
            answer = None
        message.receipt_attempts += 1
        message.receipt_answer = answer
        taken = answer is not None and 200 <= answer < 300
        if taken or message.receipt_attempts >= RECEIPT_MAX_ATTEMPTS:
            message.receipt_due_at = None
        else:
            message.receipt_due_at = timezone.now() + timedelta(
                seconds=max(settings.SMS_SIMULATOR_RECEIPT_DELAY_SECONDS, 1) * 2 ** message.receipt_attempts)
        message.save(update_fields=["receipt_attempts", "receipt_answer", "receipt_due_at"])
        counts["handled" if taken else "failed"] += 1
    return counts
