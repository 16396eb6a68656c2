import pytest

from tests.contributions.helpers import payer_make, pin_today
from tests.core.helpers import english  # noqa: F401 - fixture


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
