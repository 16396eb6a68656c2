"""Caching: nothing a signed-in person sees, and no API answer, may be stored by a browser or proxy; static files
stay cacheable."""

from __future__ import annotations

import pytest
from django.test import override_settings
from django.utils import timezone

from contributions.services.payments import payment_order_create
from core.models import User
from tests.contributions.helpers import confirm, member_make, payer_make

pytestmark = pytest.mark.django_db


def no_store(response) -> bool:
    return "no-store" in response.get("Cache-Control", "")


@pytest.fixture
def paid():
    member = member_make()
    member.user = User.objects.create(username="cache-worker", phone=member.phone)
    member.save(update_fields=["user"])
    order = payment_order_create(member=member, months_count=1, payer=payer_make(), today=timezone.localdate())
    return member, confirm(order).payment


def test_member_pages_card_and_receipts_are_not_stored(client, paid):
    member, payment = paid
    client.force_login(member.user)
    for url in ("/anggota/", "/anggota/kartu/", "/anggota/kartu.pdf", "/anggota/iuran/",
                f"/anggota/bukti-bayar/{payment.receipt_number}/", f"/anggota/bukti-bayar/{payment.receipt_number}.pdf",
                "/api/v1/members/me/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert no_store(response) and "private" in response["Cache-Control"], url


def test_redirects_and_errors_for_a_signed_in_person_are_not_stored_either(client, paid):
    member, _payment = paid
    client.force_login(member.user)
    assert no_store(client.get("/anggota/bukti-bayar/BPU000000NOPE/"))  # 404
    assert no_store(client.get("/staf/"))  # a worker sent away


def test_public_card_check_and_api_are_not_stored_but_the_home_page_may_be(client, paid):
    member, _payment = paid
    assert no_store(client.get(f"/cek/{member.card_token}/"))
    assert no_store(client.get("/api/v1/tariffs/quote?income=1000000&programs=JKK,JKM&month=2026-01"))
    assert not no_store(client.get("/"))


@override_settings(WHITENOISE_USE_FINDERS=True, WHITENOISE_AUTOREFRESH=True)
def test_static_files_stay_cacheable_for_signed_in_people(client, paid):
    member, _payment = paid
    client.force_login(member.user)
    response = client.get("/static/css/portal.css")
    assert response.status_code == 200
    assert not no_store(response)


def test_a_views_own_caching_gives_way_but_its_own_no_store_stays(rf, paid):
    from django.http import HttpResponse

    from core.middleware import NoStoreMiddleware

    member, _payment = paid
    request = rf.get("/anggota/")
    request.user = member.user
    public = HttpResponse("x", headers={"Cache-Control": "public, max-age=3600"})
    header = NoStoreMiddleware(lambda r: public)(request)["Cache-Control"]
    assert "no-store" in header and "public" not in header and "max-age=0" in header
    own = HttpResponse("x", headers={"Cache-Control": "private, no-store"})
    assert NoStoreMiddleware(lambda r: own)(request)["Cache-Control"] == "private, no-store"
