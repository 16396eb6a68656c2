"""Small helpers shared by the tests in tests/core, tests/enrollment and tests/api."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import translation

from core.models import OutboxMessage


def field_block(html: str, name: str) -> str:
    """The rendered `<div class="field ...">` block (label, hint, error, input) of one form field."""
    for chunk in html.split('<div class="field')[1:]:
        if f'id="id_{name}"' in chunk or f'id="id_{name}_0"' in chunk:
            return chunk
    raise AssertionError(f"no field block for {name!r}")


def field_errors(html: str, name: str) -> str:
    """The text of the error box that belongs to one field ('' if none)."""
    match = re.search(rf'<div class="error" id="id_{name}_error"[^>]*>(.*?)</div>', field_block(html, name), re.S)
    return match.group(1) if match else ""


def last_code(phone: str) -> str:
    """The one-time code from the newest sign-in SMS to a phone (as the worker would read it)."""
    message = OutboxMessage.objects.filter(recipient=phone, purpose="otp").order_by("-pk").first()
    assert message is not None, f"no code sent to {phone}"
    match = re.search(r"\b(\d{6})\b", message.body)
    assert match, message.body
    return match.group(1)


def luhn_valid(number: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch) * (2 if i % 2 == 1 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def nik_for(birth_date: dt.date, gender: str, prefix: str = "317401", serial: str = "0001") -> str:
    day = birth_date.day + (40 if gender == "P" else 0)
    return f"{prefix}{day:02d}{birth_date:%m}{birth_date.year % 100:02d}{serial}"


def age_on(birth_date: dt.date, day: dt.date) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


class FixedLocaldate:
    """Replacement for django.utils.timezone.localdate that pins 'today' (only calls without a value)."""

    def __init__(self, today: dt.date):
        from django.utils import timezone

        self.today = today
        self._real = timezone.localdate

    def __call__(self, value=None, timezone=None):
        return self.today if value is None else self._real(value, timezone)


@pytest.fixture
def english(request):
    """Tests read English messages: code outside requests uses English and so does the test client."""
    if "client" in request.fixturenames:
        request.getfixturevalue("client").cookies["bpu_lang"] = "en"
    with translation.override("en"):
        yield


def totp_code(secret: str) -> str:
    """The current TOTP code, taken early enough in its 30-second step to still be valid when the server checks it
    (a code read at :29.9 reaches the server in the next step and is refused: a flaky staff sign-in)."""
    import time

    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    left = 30 - time.time() % 30
    if left < 4:
        time.sleep(left + 0.2)
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))
