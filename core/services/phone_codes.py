"""Phone sign-in codes (docs/decisions.md, A): asking for one, checking it, and the shared rate limit they count
against."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.models import Channel, PhoneCode
from core.services.outbox import notification_enqueue


class CodeRequestRefused(Exception):
    def __init__(self, message: str, retry_after: int | None = None):
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


def _code_hash(phone: str, code: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), f"{phone}:{code}".encode(), hashlib.sha256).hexdigest()


def _rate_limit_hit(key: str, limit: int, window_seconds: int) -> bool:
    """Fixed-window counter in the shared cache; True when the limit is exceeded."""
    cache.add(key, 0, timeout=window_seconds)
    try:
        count = cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=window_seconds)
        count = 1
    return count > limit


def rate_limit_hit(*, key: str, limit: int, window_seconds: int) -> bool:
    """The shared fixed-window counter, for other apps' throttles (identity checks, membership claims)."""
    return _rate_limit_hit(key, limit, window_seconds)


def phone_code_request(*, phone: str, ip_address: str | None, channel: str = Channel.SMS) -> PhoneCode:
    """Creates a one-time code for the phone and queues it through the outbox. Rate-limited per phone and IP."""
    last = PhoneCode.objects.filter(phone=phone).order_by("-created_at").first()
    if last and (timezone.now() - last.created_at).total_seconds() < settings.OTP_RESEND_AFTER_SECONDS:
        wait = settings.OTP_RESEND_AFTER_SECONDS - int((timezone.now() - last.created_at).total_seconds())
        raise CodeRequestRefused(
            _("A code was just sent. You can ask for a new one in %(seconds)s seconds.") % {"seconds": wait},
            retry_after=wait,
        )
    if _rate_limit_hit(f"otp:phone:{phone}", settings.OTP_REQUESTS_PER_PHONE_PER_HOUR, 3600) or (
        ip_address and _rate_limit_hit(f"otp:ip:{ip_address}", settings.OTP_REQUESTS_PER_IP_PER_HOUR, 3600)
    ):
        raise CodeRequestRefused(_("Too many codes were requested. Please try again in an hour."), retry_after=3600)

    code = "".join(secrets.choice("0123456789") for _ in range(settings.OTP_LENGTH))
    with transaction.atomic():
        record = PhoneCode.objects.create(
            phone=phone,
            code_hash=_code_hash(phone, code),
            expires_at=timezone.now() + timedelta(seconds=settings.OTP_TTL_SECONDS),
        )
        minutes = settings.OTP_TTL_SECONDS // 60
        body = _(
            "%(code)s is your BPJS Ketenagakerjaan BPU code. It is valid for %(minutes)s minutes. "
            "Never share it with anyone, including staff."
        ) % {"code": code, "minutes": minutes}
        notification_enqueue(channel=channel, recipient=phone, body=body, purpose="otp")
    return record


class CodeInvalid(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def phone_code_verify(*, phone: str, code: str) -> None:
    """Accepts the newest unused, unexpired code for the phone; counts wrong tries and burns the code after too many."""
    code = "".join(ch for ch in str(code) if ch.isdigit())
    refusal = None
    with transaction.atomic():
        record = (
            PhoneCode.objects.select_for_update()
            .filter(phone=phone, used_at__isnull=True)
            .order_by("-created_at", "-pk")
            .first()
        )
        if record is None or record.expires_at <= timezone.now():
            refusal = _("This code has expired. Please ask for a new one.")
        elif record.attempts >= settings.OTP_MAX_ATTEMPTS:
            refusal = _("Too many wrong tries. Please ask for a new code.")
        elif not hmac.compare_digest(record.code_hash, _code_hash(phone, code)):
            # The wrong try must be counted even though we refuse: save it, and raise only after commit.
            record.attempts += 1
            record.save(update_fields=["attempts"])
            left = settings.OTP_MAX_ATTEMPTS - record.attempts
            refusal = (
                _("Too many wrong tries. Please ask for a new code.") if left <= 0
                else _("The code is not right. You have %(left)s tries left.") % {"left": left}
            )
        else:
            record.used_at = timezone.now()
            record.save(update_fields=["used_at"])
    if refusal:
        raise CodeInvalid(refusal)
