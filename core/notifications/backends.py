"""Delivery backends for the outbox. A real SMS/WhatsApp gateway plugs in here with the same `send` shape."""

from __future__ import annotations

import logging
import uuid

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger("notifications")


class BaseBackend:
    def send(self, message) -> str:
        """Delivers the message; returns the provider's reference, raises on failure."""
        raise NotImplementedError


class ConsoleBackend(BaseBackend):
    """Development default: prints the message; the outbox row stays readable on the staff page."""

    def send(self, message) -> str:
        reference = f"console-{uuid.uuid4().hex[:12]}"
        print(  # noqa: T201 - this backend's purpose is to print
            f"\n[{message.channel.upper()} -> {message.recipient}] {message.body}\n",
            flush=True,
        )
        return reference


def get_backend() -> BaseBackend:
    return import_string(settings.NOTIFICATION_BACKEND)()
