import pytest

from tests.contributions.helpers import pin_today
from tests.core.helpers import english  # noqa: F401 - fixture
from tests.seeding import claims_reference_data


@pytest.fixture(autouse=True)
def claims_reference(reference_data):
    """Claims reference data from the same seed as the migration (transactional tests elsewhere flush it)."""

    claims_reference_data()


@pytest.fixture(autouse=True)
def _today_is_fixed(request):
    import datetime as dt

    if request.node.get_closest_marker("clock"):
        yield
        return
    with pin_today(dt.date(2030, 6, 15)):
        yield
