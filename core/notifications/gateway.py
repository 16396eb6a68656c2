"""The SMS/WhatsApp gateway's protocol and the backend that speaks it.

Sending: `POST {SMS_GATEWAY_URL}/v1/messages` with `Authorization: Bearer {SMS_GATEWAY_API_KEY}`, an
`Idempotency-Key` (one per outbox message and channel, so a retry after a lost answer never sends twice) and JSON
`{"channel": "sms"|"whatsapp", "to": "+62…", "text": "…", "reference": "<outbox id>", "callback_url": "…"}`.
The gateway answers 2xx `{"id": "<its message id>", "status": "accepted"}`; the id is kept as the outbox row's
`provider_reference`. 5xx, 408, 429, timeouts and connection errors are tried again with the outbox's backoff;
any other 4xx is a permanent failure.

Delivery receipts: the gateway POSTs JSON `{"id", "status": "delivered"|"failed", "reported_at": ISO 8601,
"error_code"}` to the callback URL, signed in `X-Gateway-Timestamp` (Unix seconds) and `X-Gateway-Signature`
(hex HMAC-SHA256 of "<timestamp>.<raw body>" with SMS_GATEWAY_CALLBACK_SECRET). Emails go through Django's
mail backend (EMAIL_URL). The simulator (core.notifications.simulator) serves the same protocol.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
import uuid

import requests
from django.conf import settings
from django.core.mail import EmailMessage
from django.urls import reverse

from core.notifications.backends import BaseBackend, DeliveryError, PermanentDeliveryError

SIGNATURE_HEADER = "X-Gateway-Signature"
TIMESTAMP_HEADER = "X-Gateway-Timestamp"
IDEMPOTENCY_HEADER = "Idempotency-Key"
RECEIPT_STATUSES = ("delivered", "failed")
RETRYABLE_4XX = (408, 429)  # the gateway asks to be asked again later
_ERROR_CODE = re.compile(r"[A-Za-z0-9_.-]{1,40}")


def sign(body: bytes, timestamp: str, secret: str) -> str:
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def verify(body: bytes, timestamp: str | None, signature: str | None) -> bool:
    """A receipt signed with our callback secret within the replay window (either side of now)."""
    secret = settings.SMS_GATEWAY_CALLBACK_SECRET
    if not secret or not timestamp or not signature or not timestamp.isdigit() or len(timestamp) > 12:
        return False
    if abs(time.time() - int(timestamp)) > settings.SMS_GATEWAY_CALLBACK_MAX_AGE_SECONDS:
        return False
    return hmac.compare_digest(sign(body, timestamp, secret), signature)


def signed_headers(body: bytes, secret: str) -> dict[str, str]:
    timestamp = str(int(time.time()))
    return {"Content-Type": "application/json", TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(body, timestamp, secret)}


def receipt_body(*, message_id: str, status: str, reported_at: str, error_code: str = "") -> bytes:
    return json.dumps({"id": message_id, "status": status, "reported_at": reported_at, "error_code": error_code},
                      separators=(",", ":")).encode()


def error_code_of(response: requests.Response) -> str:
    """The gateway's error code, if it gave a plain one: never its free text, which may quote the message."""
    try:
        code = response.json().get("error", {}).get("code", "")
    except (ValueError, AttributeError):
        return ""
    return code if isinstance(code, str) and _ERROR_CODE.fullmatch(code) else ""


def callback_url() -> str:
    return settings.SMS_GATEWAY_CALLBACK_URL or settings.SITE_URL.rstrip("/") + reverse("api-notification-receipt")


class GatewayBackend(BaseBackend):
    """SMS and WhatsApp through the gateway's HTTP API; email through Django's mail backend."""

    def send(self, message) -> str:
        if message.channel == "email":
            EmailMessage(subject=message.subject, body=message.body, to=[message.recipient]).send()
            return f"email-{uuid.uuid4().hex[:16]}"
        body = json.dumps({"channel": message.channel, "to": message.recipient, "text": message.body,
                           "reference": str(message.pk), "callback_url": callback_url()}).encode()
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {settings.SMS_GATEWAY_API_KEY}",
                   IDEMPOTENCY_HEADER: f"outbox-{message.pk}-{message.channel}"}
        url = settings.SMS_GATEWAY_URL.rstrip("/") + "/v1/messages"
        timeout = (settings.SMS_GATEWAY_CONNECT_TIMEOUT_SECONDS, settings.SMS_GATEWAY_READ_TIMEOUT_SECONDS)
        try:
            response = requests.post(url, data=body, headers=headers, timeout=timeout, allow_redirects=False)
        except requests.Timeout:
            raise DeliveryError("gateway: timeout") from None
        except requests.RequestException as exc:  # refused, reset, DNS: the gateway is out of reach for now
            raise DeliveryError(f"gateway: {type(exc).__name__}") from None
        if 200 <= response.status_code < 300:
            try:
                message_id = response.json()["id"]
            except (ValueError, KeyError, TypeError):
                message_id = None
            if not isinstance(message_id, str) or not 0 < len(message_id) <= 100:
                raise DeliveryError(f"gateway: HTTP {response.status_code} without a message id")
            return message_id
        error = f"gateway: HTTP {response.status_code} {error_code_of(response)}".strip()
        if response.status_code >= 500 or response.status_code in RETRYABLE_4XX:
            raise DeliveryError(error)
        raise PermanentDeliveryError(error)
