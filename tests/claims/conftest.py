import pytest

from tests.contributions.helpers import pin_today
from tests.core.helpers import english  # noqa: F401 - fixture


@pytest.fixture(autouse=True)
def claims_reference(reference_data):
    """Claims reference data from the same seed as the migration (transactional tests elsewhere flush it)."""
    from claims.models import BenefitRule, ScholarshipLevel
    from claims.seed import claims_reference_seed
    from reference.models import Branch, BranchArea

    claims_reference_seed(BenefitRule, ScholarshipLevel, Branch, BranchArea)


@pytest.fixture(autouse=True)
def _today_is_fixed(request):
    import datetime as dt

    if request.node.get_closest_marker("clock"):
        yield
        return
    with pin_today(dt.date(2030, 6, 15)):
        yield
