import datetime as dt

import pytest

from tests.core.helpers import english, pin_clock  # noqa: F401 - fixture


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
    """Moves the clock (contribution month, ages, timestamps) to a given day: `today(dt.date(2025, 12, 15))`."""
    patches = []

    def pin(day: dt.date):
        patcher = pin_clock(day)
        patcher.start()
        patches.append(patcher)
        return day

    yield pin
    for patcher in reversed(patches):
        patcher.stop()
