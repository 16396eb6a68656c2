"""The interactive API docs load from local files under the portal's content security policy."""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_api_docs_render_under_csp(page, shoot):
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto("/api/docs/")
    expect(page.locator(".swagger-ui .opblock").nth(6)).to_be_attached()  # at least 7 operations drawn
    assert not [e for e in errors if "Content Security Policy" in e]
    shoot(page, "api/01-docs")
