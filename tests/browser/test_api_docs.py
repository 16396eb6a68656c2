"""The interactive API docs load from local files under the portal's content security policy."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_api_docs_render_under_csp(page, shoot):
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto("/api/docs/")
    page.locator(".swagger-ui .opblock").first.wait_for()
    assert page.locator(".swagger-ui .opblock").count() >= 7
    assert not [e for e in errors if "Content Security Policy" in e]
    shoot(page, "api/01-docs")
