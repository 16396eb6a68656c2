"""400, 403, 404 and 500 pages with DEBUG off: the portal's layout, Indonesian by default and English when chosen;
the 500 page renders without the database or a request."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.utils import translation

TEXTS = {
    404: {"id": "Halaman tidak ditemukan", "en": "Page not found"},
    403: {"id": "Anda tidak dapat membuka halaman ini", "en": "You cannot open this page"},
    400: {"id": "Permintaan ini tidak dapat diproses", "en": "This request could not be handled"},
    500: {"id": "Terjadi kesalahan di sistem kami", "en": "Something went wrong on our side"},
}
URLS = {404: "/tidak-ada/", 403: "/uji/403/", 400: "/uji/400/", 500: "/uji/500/"}

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.core.error_urls")]


@pytest.mark.parametrize("language", ["id", "en"])
@pytest.mark.parametrize("status", [400, 403, 404, 500])
def test_error_pages_in_both_languages(status, language):
    assert settings.DEBUG is False
    client = Client(raise_request_exception=False)
    if language == "en":
        client.cookies["bpu_lang"] = "en"
    response = client.get(URLS[status])
    html = response.content.decode()
    assert response.status_code == status
    assert f'<html lang="{language}">' in html
    assert f"<h1 id=\"error-title\">{TEXTS[status][language]}</h1>" in html
    other = "en" if language == "id" else "id"
    assert TEXTS[status][other] not in html
    assert 'class="skip" href="#main"' in html and 'class="brand"' in html  # the portal's layout
    assert "css/portal.css" in html and 'href="/"' in html


def test_the_500_page_needs_no_database_and_no_context_processors(rf, django_assert_num_queries):
    from django.views.defaults import server_error

    with django_assert_num_queries(0), translation.override("en"):
        response = server_error(rf.get("/"))  # no user, no session: as after a failure in the middle of things
    assert response.status_code == 500 and TEXTS[500]["en"] in response.content.decode()


@override_settings(DEBUG=False)
def test_a_signed_in_persons_404_keeps_the_menu(client):
    from core.models import User

    client.force_login(User.objects.create(username="p6281200000404", phone="+6281200000404"))
    html = client.get("/tidak-ada/").content.decode()
    assert TEXTS[404]["id"] in html and 'action="/keluar/"' in html
