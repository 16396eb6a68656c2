"""Delivery backends for the outbox: `send(message)` returns the provider's message id or raises.

A DeliveryError (or any other exception) is tried again later with the outbox's backoff; a PermanentDeliveryError
(the gateway refused the request itself: a wrong number, a bad request) is not. The real backend is
`core.notifications.gateway.GatewayBackend`; the console backend is for DEBUG only (production settings refuse it).
"""

from __future__ import annotations

import logging
import uuid

from django.conf import settings
from django.utils.module_loading import import_string

from core.notifications import mask_recipient

logger = logging.getLogger("notifications")


class DeliveryError(Exception):
    """The message did not go out this time (gateway down, timeout, 5xx): try again later."""


class PermanentDeliveryError(DeliveryError):
    """The gateway refused the message itself (4xx): sending it again cannot help."""


class BaseBackend:
    def send(self, message) -> str:
        """Delivers the message; returns the provider's reference, raises on failure."""
        raise NotImplementedError


class ConsoleBackend(BaseBackend):
    """Development only: prints the message. With DEBUG off (tests) it prints no body, only that a message went."""

    def send(self, message) -> str:
        reference = f"console-{uuid.uuid4().hex[:12]}"
        if settings.DEBUG:
            recipient, text = message.recipient, message.body
        else:  # codes and links never reach a log outside DEBUG
            recipient, text = mask_recipient(message.recipient), f"({message.purpose or 'message'}: body hidden)"
        print(  # noqa: T201 - this backend's purpose is to print
            f"\n[{message.channel.upper()} -> {recipient}] {text}\n",
            flush=True,
        )
        return reference


def get_backend() -> BaseBackend:
    return import_string(settings.NOTIFICATION_BACKEND)()
