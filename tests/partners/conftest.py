from tests.core.helpers import english  # noqa: F401 - fixture
