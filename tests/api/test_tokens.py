"""API tokens: stored hashed, idle and absolute expiry, revoked by signing out (this device or all)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from knox.models import AuthToken

from core.models import User
from core.services import api_token_issue
from tests.core.helpers import last_code

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

PHONE = "+6281234567890"
START = dt.datetime(2027, 3, 1, 9, 0, tzinfo=ZoneInfo("Asia/Jakarta"))
ME = "/api/v1/members/me/"


def _sign_in(client) -> str:
    assert client.post("/api/v1/auth/code/request/", {"phone": PHONE}, content_type="application/json").status_code \
        == 202
    response = client.post("/api/v1/auth/code/verify/", {"phone": PHONE, "code": last_code(PHONE)},
                           content_type="application/json")
    assert response.status_code == 200
    return response.json()["token"]


def _status(client, token, url=ME, method="get") -> int:
    return getattr(client, method)(url, HTTP_AUTHORIZATION=f"Token {token}").status_code


def _accepted(client, token) -> bool:
    status = _status(client, token)
    assert status in (200, 401, 404), status
    return status != 401  # 404: signed in, not a member yet


def test_the_database_holds_no_usable_token(client):
    token = _sign_in(client)
    assert _accepted(client, token)
    row = AuthToken.objects.get()
    # Only a SHA-512 digest and the first 15 characters (to find the row) are stored.
    assert row.digest != token and len(row.digest) == 128 and token not in row.digest
    assert row.token_key == token[:15]
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM knox_authtoken")
        stored = [str(value) for value in cursor.fetchone()]
    assert not any(token in value for value in stored)
    for value in (row.digest, row.token_key, row.digest[:64]):
        assert _status(client, value) == 401
    assert "authtoken_token" not in connection.introspection.table_names()  # the old clear-text table is gone


def test_an_unused_token_expires_after_the_idle_limit(client):
    idle = dt.timedelta(days=settings.API_TOKEN_IDLE_DAYS)
    with time_machine.travel(START, tick=True):
        token = _sign_in(client)
    with time_machine.travel(START + idle - dt.timedelta(hours=1), tick=True):
        assert _accepted(client, token)  # used: the idle limit starts again from here
    with time_machine.travel(START + 2 * idle - dt.timedelta(hours=2), tick=True):
        assert _accepted(client, token)
    with time_machine.travel(START + 3 * idle, tick=True):  # more than the idle limit since the last use
        assert not _accepted(client, token)
    assert not AuthToken.objects.exists()  # an expired token is deleted when it shows up


def test_a_token_in_use_still_ends_at_the_absolute_limit(client):
    idle = dt.timedelta(days=settings.API_TOKEN_IDLE_DAYS)
    max_age = dt.timedelta(days=settings.API_TOKEN_MAX_AGE_DAYS)
    assert idle < max_age
    with time_machine.travel(START, tick=True):
        token = _sign_in(client)
    used = START
    while used + idle / 2 < START + max_age - dt.timedelta(hours=1):
        used += idle / 2  # used every half idle period, so it never goes idle
        with time_machine.travel(used, tick=True):
            assert _accepted(client, token)
    with time_machine.travel(START + max_age - dt.timedelta(hours=1), tick=True):
        assert _accepted(client, token)
    with time_machine.travel(START + max_age + dt.timedelta(minutes=5), tick=True):
        assert not _accepted(client, token)  # used an hour ago, but issued longer ago than the absolute limit


def test_sign_out_revokes_this_token_and_not_the_other_devices(client):
    phone_app = _sign_in(client)
    tablet = api_token_issue(user=User.objects.get(phone=PHONE))  # the same account signed in on a second device
    assert AuthToken.objects.count() == 2
    assert _status(client, phone_app, "/api/v1/auth/logout/", "post") == 204
    assert not _accepted(client, phone_app)
    assert _accepted(client, tablet)
    assert _status(client, phone_app, "/api/v1/auth/logout/", "post") == 401  # already revoked
    assert AuthToken.objects.count() == 1


def test_sign_out_everywhere_revokes_every_token_of_the_account(client):
    first = _sign_in(client)
    second = api_token_issue(user=User.objects.get(phone=PHONE))
    someone_else = api_token_issue(user=User.objects.create(username="p6281299990000", phone="+6281299990000"))
    assert _status(client, first, "/api/v1/auth/logout-all/", "post") == 204
    assert not _accepted(client, first) and not _accepted(client, second)
    assert _accepted(client, someone_else)


def test_sign_out_needs_a_token(client, worker_user):
    assert client.post("/api/v1/auth/logout/").status_code == 401
    client.force_login(worker_user)  # a browser session signs out at /keluar/, not here
    assert client.post("/api/v1/auth/logout/").status_code == 401
    assert client.post("/api/v1/auth/logout-all/").status_code == 401


def test_a_deactivated_account_cannot_use_its_token(client, worker_user):
    token = api_token_issue(user=worker_user)
    assert _accepted(client, token)
    worker_user.is_active = False
    worker_user.save(update_fields=["is_active"])
    assert not _accepted(client, token)


def test_sign_out_is_documented(client):
    document = client.get("/api/schema/", {"format": "json"}).json()
    for path in ("/api/v1/auth/logout/", "/api/v1/auth/logout-all/"):
        responses = document["paths"][path]["post"]["responses"]
        assert {"204", "401"} <= set(responses)
        assert document["paths"][path]["post"]["security"] == [{"knoxApiToken": []}]  # a token, not a session
    scheme = document["components"]["securitySchemes"]["knoxApiToken"]
    assert (scheme["type"], scheme["in"], scheme["name"]) == ("apiKey", "header", "Authorization")
    assert '"Token"' in scheme["description"]  # the same `Authorization: Token <token>` header as before
