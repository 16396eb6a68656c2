import datetime as dt

import pytest
from django.core.cache import cache

from members.services import RegistrationData
from tests.factories.core import UserFactory

# Jakarta Selatan, Tebet (31.74.01) and one district of Kabupaten Bandung (32.04.05) are enough
# for most tests; tests/ecosystems loads the whole country once.
TEST_REGION_ROOTS = ("31.74.01", "32.04.05")
VALID_NIK_WOMAN = "3174015708900001"  # 17-08-1990, day + 40
VALID_NIK_MAN = "3204051203850002"  # 12-03-1985


@pytest.fixture(autouse=True)
def _clock(request):
    """`@pytest.mark.clock(dt.date(2026, 12, 15))` moves the clock (dates and timestamps) before any other fixture
    runs, so sessions, rows and 'today' agree whatever day the suite runs on."""
    marker = request.node.get_closest_marker("clock")
    if marker is None:
        yield
        return
    from tests.core.helpers import pin_clock

    with pin_clock(marker.args[0]):
        yield


@pytest.fixture(autouse=True)
def _language_reset():
    """Requests through the test client run in the test's thread and leave their language active: the next test
    starts in the default (Indonesian) again."""
    yield
    from django.utils import translation

    translation.deactivate()


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def reference_data(db):
    """Occupations and tariffs come from data migrations; transactional tests flush them, so seed again."""
    from members.models import Occupation
    from members.seed import occupations_seed
    from reference.models import Discount, Ecosystem, IncomeBase, TariffRate
    from reference.seed import ecosystems_seed, tariffs_seed

    tariffs_seed(IncomeBase, TariffRate, Discount)
    occupations_seed(Occupation)
    ecosystems_seed(Ecosystem)


@pytest.fixture
def regions(db):
    from reference.services import regions_load

    for root in TEST_REGION_ROOTS:
        regions_load(root=root)


@pytest.fixture
def village_code(regions):
    from reference.models import Region

    villages = Region.objects.filter(code__startswith="31.74.01.", level=4).order_by("code")
    return villages.values_list("code", flat=True)[0]


@pytest.fixture
def registration_data(village_code, reference_data):
    def make(**overrides):
        values = dict(
            nik=VALID_NIK_WOMAN, full_name="Siti Rahayu", birth_place="Jakarta", birth_date=dt.date(1990, 8, 17),
            gender="P", phone="+6281234567890", village_code=village_code, address_line="Jl. Melati 5 RT 2/RW 3",
            occupation_code="ojek-online", income_base_idr=1_000_000, programs=["JKK", "JKM", "JHT"], consent=True,
        )
        values.update(overrides)
        return RegistrationData(**values)

    return make


@pytest.fixture
def worker_user(db):
    return UserFactory(username="p6281234567890", phone="+6281234567890")
