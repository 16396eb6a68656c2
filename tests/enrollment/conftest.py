import datetime as dt
from unittest import mock

import pytest

from tests.core.helpers import FixedLocaldate, english  # noqa: F401 - fixture


@pytest.fixture
def member(registration_data, worker_user):
    from enrollment.services import member_register

    return member_register(data=registration_data(), user=worker_user, actor=worker_user)


@pytest.fixture
def worker_client(client, worker_user):
    client.force_login(worker_user)
    return client


@pytest.fixture
def today():
    """Pins timezone.localdate() (contribution month, ages) to a given day: `today(dt.date(2025, 12, 15))`."""
    patches = []

    def pin(day: dt.date):
        patcher = mock.patch("django.utils.timezone.localdate", FixedLocaldate(day))
        patcher.start()
        patches.append(patcher)
        return day

    yield pin
    for patcher in patches:
        patcher.stop()
