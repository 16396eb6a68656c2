"""Small helpers shared by the tests in tests/core, tests/enrollment and tests/api."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import transaction
from django.utils import translation

from core.models import OutboxMessage


def own_atomic() -> transaction.Atomic:
    """A transaction a test opens and rolls back itself (a hypothesis example), marked as django.test.TestCase marks
    its own: services that own their transaction (durable=True, docs/decisions.md) may run inside it."""
    atomic = transaction.atomic()
    atomic._from_testcase = True
    return atomic


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


def pin_clock(day: dt.date | dt.datetime, *, tick: bool = True):
    """Moves the whole clock (dates AND timestamps, in this process) to a day, 10:00 in Jakarta unless a time is
    given: a pinned date with real timestamps makes rows look months apart. Use as a context manager or
    start()/stop()."""
    import time_machine
    from django.utils import timezone

    moment = day if isinstance(day, dt.datetime) else dt.datetime.combine(day, dt.time(10, 0))
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.get_default_timezone())
    return time_machine.travel(moment, tick=tick)


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


def staff_login(client, user) -> None:
    """Sign staff in as if by password and TOTP code: core.middleware lets staff in only with a TOTP authenticator
    and an MFA step recorded in the session. TOTP is activated when the user has none."""
    from allauth.account.internal.flows.login import record_authentication
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django.test import RequestFactory

    authenticator = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if authenticator is None:
        authenticator = TOTP.activate(user, generate_totp_secret()).instance
    client.force_login(user)
    request = RequestFactory().get("/")
    request.session, request.user = client.session, user
    record_authentication(request, user, "mfa", id=authenticator.pk, type=authenticator.type)
    request.session.save()
