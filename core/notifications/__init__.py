"""Checks the outbox runs before sending: an app registers one per message purpose (prefix), so that core does not
need to know the app's tables (contributions registers the reminder check)."""

from __future__ import annotations

from collections.abc import Callable

_stale_checks: dict[str, Callable] = {}


def register_stale_check(purpose_prefix: str, check: Callable) -> None:
    """check(message) -> True when the message no longer needs sending."""
    _stale_checks[purpose_prefix] = check


def is_stale(message) -> bool:
    for prefix, check in _stale_checks.items():
        if message.purpose.startswith(prefix):
            return check(message)
    return False
