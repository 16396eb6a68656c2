from tests.core.helpers import english  # noqa: F401 - fixture
from tests.enrollment.conftest import member, today, worker_client  # noqa: F401 - fixtures
