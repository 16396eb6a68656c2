# Tariff tests read the clock the way the contributions tests do (21 November 2026 unless a test moves it).
from tests.contributions.conftest import _today_is_fixed, today  # noqa: F401 - fixtures
from tests.core.helpers import english  # noqa: F401 - fixture
