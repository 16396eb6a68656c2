"""Checks the outbox runs before sending: an app registers one per message purpose (prefix), so that core does not
need to know the app's tables (contributions registers the reminder check). Also what staff may see of a message."""

from __future__ import annotations

from collections.abc import Callable

_stale_checks: dict[str, Callable] = {}

# Messages whose body lets someone sign in as the recipient: the phone sign-in code and allauth's emails with a
# confirmation or password-reset key (allauth's template names). Their bodies are never shown to staff.
SECRET_PURPOSES = frozenset({
    "otp", "email_confirmation", "email_confirmation_signup", "password_reset_key", "login_code",
})


def register_stale_check(purpose_prefix: str, check: Callable) -> None:
    """check(message) -> True when the message no longer needs sending."""
    _stale_checks[purpose_prefix] = check


def is_stale(message) -> bool:
    for prefix, check in _stale_checks.items():
        if message.purpose.startswith(prefix):
            return check(message)
    return False


def is_secret(purpose: str) -> bool:
    return purpose in SECRET_PURPOSES


def mask_recipient(recipient: str) -> str:
    """+6281234567890 -> +62812•••••890; budi@example.com -> b•••@example.com."""
    if "@" in recipient:
        name, _at, domain = recipient.partition("@")
        return f"{name[:1]}•••@{domain}"
    if len(recipient) <= 7:
        return "•" * len(recipient)
    return recipient[:6] + "•" * (len(recipient) - 9) + recipient[-3:]
