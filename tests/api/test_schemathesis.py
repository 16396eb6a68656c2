"""Property-based API tests: schemathesis generates requests from the OpenAPI schema and checks the responses
(no server errors, documented status codes, bodies matching the schema)."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from config.wsgi import application  # noqa: F401 - makes sure the WSGI app is importable
from core.models import User
from core.services import api_token_issue

schema = schemathesis.openapi.from_wsgi("/api/schema/", application)


@pytest.fixture(autouse=True)
def _keep_test_connection():
    """Requests go through the WSGI app, not Django's test client: stop Django closing the test's connection at
    the end of each request (the test client does the same)."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def token(db, reference_data, regions):
    user = User.objects.create(username="p6281200001111", phone="+6281200001111")
    return api_token_issue(user=user)


@schema.parametrize()
@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case, token):
    # NIK and phone rules (dates inside the NIK, real mobile prefixes) cannot be said in JSON Schema, so a
    # schema-valid value may still be refused with a 400 in the documented error shape.
    case.call_and_validate(headers={"Authorization": f"Token {token}"}, excluded_checks=[positive_data_acceptance])
