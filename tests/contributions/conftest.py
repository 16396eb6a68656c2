import datetime as dt

import pytest

from tests.contributions.helpers import payer_make, pin_today
from tests.core.helpers import english  # noqa: F401 - fixture

TODAY = dt.date(2026, 11, 21)


@pytest.fixture(autouse=True)
def _today_is_fixed(request):
    """Results must not depend on the day the suite runs: the clock reads 21 November 2026 unless a test is marked
    `clock` or moves it with the `today` fixture (services that take `today=` get it passed explicitly)."""
    if request.node.get_closest_marker("clock"):
        yield
        return
    with pin_today(TODAY):
        yield


@pytest.fixture
def today():
    """Pins timezone.localdate() to a day: `today(dt.date(2026, 4, 10))`; a later call re-pins."""
    patchers = []

    def pin(day):
        patcher = pin_today(day)
        patcher.start()
        patchers.append(patcher)
        return day

    yield pin
    for patcher in reversed(patchers):
        patcher.stop()


@pytest.fixture
def payer(db):
    return payer_make("payer")
