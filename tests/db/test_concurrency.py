"""Races that only a real database with row locks and unique indexes can settle."""

import threading
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import translation

from core.models import AuditEvent, OutboxMessage, PhoneCode
from core.services import CodeInvalid, phone_code_request, phone_code_verify
from enrollment.services import member_register
from members.models import Member
from members.services import registration as members_services
from tests.core.helpers import last_code

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _race(*jobs):
    """Runs the jobs in threads released at the same moment; returns each job's result or exception."""
    barrier = threading.Barrier(len(jobs))
    results = [None] * len(jobs)

    def run(i, job):
        try:
            barrier.wait(timeout=10)
            with translation.override("en"):  # the active language is per thread
                results[i] = job()
        except Exception as exc:  # noqa: BLE001 - the outcome is what we compare
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not any(t.is_alive() for t in threads)
    return results


@pytest.mark.parametrize("round_", range(3))
def test_same_nik_registered_twice_at_once(registration_data, round_):
    first = registration_data(phone="+6281200000001", full_name="Siti Rahayu")
    second = registration_data(phone="+6281200000002", full_name="Siti Rahayu Dua")
    results = _race(
        lambda: member_register(data=first, user=None, actor=None),
        lambda: member_register(data=second, user=None, actor=None),
    )
    members = [r for r in results if isinstance(r, Member)]
    errors = [r for r in results if isinstance(r, ValidationError)]
    assert len(members) == 1, results
    assert len(errors) == 1, results
    assert list(errors[0].message_dict) == ["nik"]
    assert "already registered" in errors[0].message_dict["nik"][0]
    assert members[0].kpj not in str(errors[0])
    assert Member.objects.count() == 1


def test_same_nik_both_past_validation_is_settled_by_the_unique_index(registration_data):
    """Both requests pass the 'is this NIK registered?' check before either inserts: the database decides."""
    checked = threading.Barrier(2)
    original = members_services.registration_validate

    def validate_then_wait(data):
        result = original(data)
        checked.wait(timeout=10)
        return result

    first = registration_data(phone="+6281200000001")
    second = registration_data(phone="+6281200000002")
    with mock.patch.object(members_services, "registration_validate", validate_then_wait):
        results = _race(
            lambda: member_register(data=first, user=None, actor=None),
            lambda: member_register(data=second, user=None, actor=None),
        )
    assert sum(isinstance(r, Member) for r in results) == 1, results
    errors = [r for r in results if isinstance(r, ValidationError)]
    assert len(errors) == 1 and list(errors[0].message_dict) == ["nik"], results
    assert Member.objects.count() == 1
    assert AuditEvent.objects.filter(action="member.registered").count() == 1
    assert OutboxMessage.objects.filter(purpose="registration").count() == 1


@pytest.mark.parametrize("round_", range(3))
def test_same_code_verified_twice_at_once(round_):
    phone = "+6281234567890"
    phone_code_request(phone=phone, ip_address=None)
    code = last_code(phone)
    results = _race(lambda: phone_code_verify(phone=phone, code=code),
                    lambda: phone_code_verify(phone=phone, code=code))
    assert sorted(type(r).__name__ for r in results) == ["CodeInvalid", "NoneType"], results
    assert sum(isinstance(r, CodeInvalid) for r in results) == 1
    assert PhoneCode.objects.filter(used_at__isnull=False).count() == 1
