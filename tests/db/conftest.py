import pytest
from django.conf import settings


def pytest_collection_modifyitems(config, items):
    skip = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL=postgres://...")
    for item in items:
        if item.get_closest_marker("postgres") and not getattr(settings, "TEST_ON_POSTGRES", False):
            item.add_marker(skip)
