import datetime as dt
import re
from unittest import mock

import pytest
from django.contrib.auth.hashers import is_password_usable
from django.test import override_settings
from django.utils import timezone

from core.models import AuditEvent, OutboxMessage, PhoneCode, User
from core.services import (
    CodeInvalid,
    CodeRequestRefused,
    PhoneSignInRefused,
    phone_code_request,
    phone_code_verify,
    phone_user_get_or_create,
)
from tests.core.helpers import last_code

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

PHONE = "+6281234567890"
OTHER = "+6285712345678"


def test_request_creates_hashed_code_and_otp_message():
    record = phone_code_request(phone=PHONE, ip_address="10.0.0.1")
    message = OutboxMessage.objects.get()
    assert message.purpose == "otp"
    assert message.recipient == PHONE
    assert message.channel == "sms"
    code = last_code(PHONE)
    assert re.fullmatch(r"[0-9]{6}", code)
    assert "5 minutes" in message.body
    record.refresh_from_db()
    assert str(record.phone) == PHONE
    assert code not in record.code_hash
    assert re.fullmatch(r"[0-9a-f]{64}", record.code_hash)
    assert record.attempts == 0 and record.used_at is None
    ttl = (record.expires_at - record.created_at).total_seconds()
    assert 299 <= ttl <= 301


def test_resend_too_soon_is_refused():
    phone_code_request(phone=PHONE, ip_address="10.0.0.1")
    with pytest.raises(CodeRequestRefused) as refused:
        phone_code_request(phone=PHONE, ip_address="10.0.0.1")
    assert 0 < refused.value.retry_after <= 60
    assert f"{refused.value.retry_after} seconds" in refused.value.message
    assert PhoneCode.objects.count() == 1
    assert OutboxMessage.objects.count() == 1


def test_resend_after_the_wait_is_allowed():
    phone_code_request(phone=PHONE, ip_address="10.0.0.1")
    PhoneCode.objects.update(created_at=timezone.now() - dt.timedelta(seconds=61))
    phone_code_request(phone=PHONE, ip_address="10.0.0.1")
    assert PhoneCode.objects.count() == 2


@override_settings(OTP_RESEND_AFTER_SECONDS=0, OTP_REQUESTS_PER_PHONE_PER_HOUR=3)
def test_hourly_limit_per_phone():
    for i in range(3):
        phone_code_request(phone=PHONE, ip_address=f"10.0.0.{i}")
    with pytest.raises(CodeRequestRefused) as refused:
        phone_code_request(phone=PHONE, ip_address="10.0.0.9")
    assert refused.value.retry_after == 3600
    assert "Too many codes" in refused.value.message
    assert PhoneCode.objects.filter(phone=PHONE).count() == 3
    phone_code_request(phone=OTHER, ip_address="10.0.0.9")  # another phone is not affected


@override_settings(OTP_RESEND_AFTER_SECONDS=0, OTP_REQUESTS_PER_IP_PER_HOUR=2)
def test_hourly_limit_per_ip():
    phone_code_request(phone="+6281100000001", ip_address="10.1.1.1")
    phone_code_request(phone="+6281100000002", ip_address="10.1.1.1")
    with pytest.raises(CodeRequestRefused) as refused:
        phone_code_request(phone="+6281100000003", ip_address="10.1.1.1")
    assert refused.value.retry_after == 3600
    assert not PhoneCode.objects.filter(phone="+6281100000003").exists()
    phone_code_request(phone="+6281100000003", ip_address="10.1.1.2")  # another address is not affected


def test_right_code_works_once():
    phone_code_request(phone=PHONE, ip_address=None)
    code = last_code(PHONE)
    phone_code_verify(phone=PHONE, code=code)
    record = PhoneCode.objects.get()
    assert record.used_at is not None
    with pytest.raises(CodeInvalid):
        phone_code_verify(phone=PHONE, code=code)


def test_code_with_spaces_is_accepted():
    phone_code_request(phone=PHONE, ip_address=None)
    code = last_code(PHONE)
    phone_code_verify(phone=PHONE, code=f" {code[:3]} {code[3:]} ")


def test_code_is_bound_to_its_phone():
    with mock.patch("core.services.phone_codes.secrets.choice", side_effect=list("123456654321")):
        phone_code_request(phone=PHONE, ip_address=None)
        phone_code_request(phone=OTHER, ip_address=None)
    assert (last_code(PHONE), last_code(OTHER)) == ("123456", "654321")
    with pytest.raises(CodeInvalid, match="not right"):
        phone_code_verify(phone=OTHER, code="123456")
    phone_code_verify(phone=OTHER, code="654321")


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_wrong_code_counts_attempts_and_says_tries_left():
    phone_code_request(phone=PHONE, ip_address=None)
    code = last_code(PHONE)
    with pytest.raises(CodeInvalid) as invalid:
        phone_code_verify(phone=PHONE, code=_wrong(code))
    assert invalid.value.message == "The code is not right. You have 4 tries left."
    with pytest.raises(CodeInvalid) as invalid:
        phone_code_verify(phone=PHONE, code=_wrong(code))
    assert invalid.value.message == "The code is not right. You have 3 tries left."
    assert PhoneCode.objects.get().attempts == 2
    phone_code_verify(phone=PHONE, code=code)  # still usable before the limit


def test_code_is_burned_after_max_attempts():
    phone_code_request(phone=PHONE, ip_address=None)
    code = last_code(PHONE)
    for _ in range(4):
        with pytest.raises(CodeInvalid, match="tries left"):
            phone_code_verify(phone=PHONE, code=_wrong(code))
    with pytest.raises(CodeInvalid) as invalid:
        phone_code_verify(phone=PHONE, code=_wrong(code))
    assert "Too many wrong tries" in invalid.value.message
    with pytest.raises(CodeInvalid) as invalid:
        phone_code_verify(phone=PHONE, code=code)  # the right code no longer helps
    assert "Too many wrong tries" in invalid.value.message
    record = PhoneCode.objects.get()
    assert record.attempts == 5 and record.used_at is None


def test_expired_code_is_refused():
    phone_code_request(phone=PHONE, ip_address=None)
    code = last_code(PHONE)
    later = timezone.now() + dt.timedelta(seconds=301)
    with mock.patch("core.services.phone_codes.timezone.now", return_value=later), \
            pytest.raises(CodeInvalid) as invalid:
        phone_code_verify(phone=PHONE, code=code)
    assert "expired" in invalid.value.message
    assert PhoneCode.objects.get().used_at is None


def test_code_expired_in_database_is_refused():
    phone_code_request(phone=PHONE, ip_address=None)
    PhoneCode.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    with pytest.raises(CodeInvalid, match="expired"):
        phone_code_verify(phone=PHONE, code=last_code(PHONE))


def test_no_code_requested_is_refused():
    with pytest.raises(CodeInvalid, match="expired"):
        phone_code_verify(phone=PHONE, code="123456")


@override_settings(OTP_RESEND_AFTER_SECONDS=0)
def test_only_the_newest_code_counts():
    with mock.patch("core.services.phone_codes.secrets.choice", side_effect=list("111111222222")):
        phone_code_request(phone=PHONE, ip_address=None)
        phone_code_request(phone=PHONE, ip_address=None)
    with pytest.raises(CodeInvalid, match="not right"):
        phone_code_verify(phone=PHONE, code="111111")
    phone_code_verify(phone=PHONE, code="222222")
    assert list(PhoneCode.objects.order_by("pk").values_list("used_at", flat=True))[0] is None


def test_user_get_or_create_new_phone():
    user, created = phone_user_get_or_create(phone=PHONE, language="en")
    assert created
    user.refresh_from_db()
    assert user.username == "p6281234567890"
    assert str(user.phone) == PHONE
    assert user.language == "en"
    assert user.role == "worker"
    assert not is_password_usable(user.password)
    event = AuditEvent.objects.get(action="user.created")
    assert event.object_id == str(user.pk) and event.actor_id == user.pk


def test_user_get_or_create_existing_phone(worker_user):
    user, created = phone_user_get_or_create(phone=PHONE)
    assert not created
    assert user.pk == worker_user.pk
    assert User.objects.count() == 1
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize(
    "fields", [{"role": "admin"}, {"role": "branch_staff"}, {"is_staff": True}, {"is_active": False}]
)
def test_staff_and_inactive_accounts_never_sign_in_by_phone(fields):
    User.objects.create(username="someone", phone=PHONE, **fields)
    with pytest.raises(PhoneSignInRefused):
        phone_user_get_or_create(phone=PHONE)
    assert User.objects.count() == 1
