"""No staff member or superuser reaches /admin/ or /staf/ without TOTP set up and given in this session;
`createsuperuser` makes a portal admin; /admin/login/ is the staff sign-in."""

from urllib.parse import quote

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core.management import call_command

from core.models import Role, User
from tests.core.helpers import staff_login, totp_code

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

PASSWORD = "a-long-staff-passphrase"
ACTIVATE_TOTP = "/akun/2fa/totp/activate/"
VERIFY = "/akun/2fa/reauthenticate/"
PAGES = ("/admin/", "/staf/")


def _password_sign_in(client, username):
    response = client.post("/akun/login/", {"login": username, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:2000]
    return response


def _activate_totp(client) -> str:
    """The set-up page as a person uses it: read the secret shown, type the code."""
    response = client.get(ACTIVATE_TOTP)
    if response.status_code == 302:  # allauth asks for the password again first
        assert response["Location"].startswith("/akun/reauthenticate/")
        client.post(response["Location"], {"password": PASSWORD})
        response = client.get(ACTIVATE_TOTP)
    assert response.status_code == 200
    secret = response.context["form"].secret
    response = client.post(ACTIVATE_TOTP, {"code": totp_code(secret)})
    assert response.status_code == 302, response.content.decode()[:2000]
    return secret


def _superuser(monkeypatch, username="root"):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", PASSWORD)
    call_command("createsuperuser", interactive=False, username=username, email=f"{username}@example.org",
                 verbosity=0)
    return User.objects.get(username=username)


def test_createsuperuser_makes_an_admin_who_must_set_up_totp(client, monkeypatch):
    user = _superuser(monkeypatch)
    assert (user.role, user.is_superuser, user.is_staff) == (Role.ADMIN, True, True)
    assert not Authenticator.objects.filter(user=user).exists()

    _password_sign_in(client, "root")
    for url in PAGES:
        response = client.get(url)
        assert (response.status_code, response["Location"]) == (302, ACTIVATE_TOTP), url
    assert client.get("/admin/core/user/")["Location"] == ACTIVATE_TOTP

    _activate_totp(client)  # giving a valid code at set-up counts as this session's second factor
    for url in PAGES:
        assert client.get(url).status_code == 200, url


def test_a_session_from_before_totp_must_give_a_code(client, monkeypatch):
    """Signed in with the password only, TOTP set up elsewhere since: this session has not passed MFA."""
    user = _superuser(monkeypatch)
    _password_sign_in(client, "root")
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    for url in PAGES:
        response = client.get(url)
        assert (response.status_code, response["Location"]) == (302, f"{VERIFY}?next={quote(url, safe='')}"), url
    response = client.post(f"{VERIFY}?next=/staf/", {"code": "000000" if totp_code(secret) != "000000" else "1"})
    assert response.status_code == 200 and client.get("/staf/").status_code == 302  # a wrong code does not count
    response = client.post(f"{VERIFY}?next=/staf/", {"code": totp_code(secret)})
    assert (response.status_code, response["Location"]) == (302, "/staf/")
    for url in PAGES:
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("flags", [
    {"is_superuser": True, "is_staff": True, "role": Role.WORKER},  # a superuser made before roles, or by hand
    {"is_staff": True, "role": Role.SPONSOR},
    {"role": Role.BRANCH_STAFF},
])
def test_every_kind_of_staff_needs_totp(client, flags):
    user = User.objects.create(username="someone", **flags)
    client.force_login(user)
    for url in (*PAGES, "/"):
        response = client.get(url)
        assert (response.status_code, response["Location"]) == (302, ACTIVATE_TOTP), url
    TOTP.activate(user, generate_totp_secret())
    assert client.get("/staf/")["Location"].startswith(VERIFY)  # set up, but no code given in this session


def test_workers_are_not_asked_for_totp(client, worker_user):
    client.force_login(worker_user)
    assert client.get("/").status_code == 200
    assert client.get("/staf/").status_code == 403


def test_staff_signed_in_with_password_and_code_reach_their_pages(client):
    user = User.objects.create(username="admin2", role=Role.ADMIN, is_staff=True, is_superuser=True)
    user.set_password(PASSWORD)
    user.save()
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    response = _password_sign_in(client, "admin2")
    assert response["Location"].startswith("/akun/2fa/authenticate/")
    assert client.get("/staf/")["Location"].startswith("/akun/login/")  # not signed in before the code
    response = client.post(response["Location"], {"code": totp_code(secret)})
    assert response.status_code == 302
    for url in PAGES:
        assert client.get(url).status_code == 200, url


def test_admin_login_goes_to_the_staff_sign_in_keeping_next(client):
    response = client.get("/admin/login/", {"next": "/admin/core/user/"})
    assert (response.status_code, response["Location"]) == (302, "/akun/login/?next=%2Fadmin%2Fcore%2Fuser%2F")
    assert client.get("/admin/login/")["Location"] == "/akun/login/?next=%2Fadmin%2F"
    # Another site is never a destination.
    assert client.get("/admin/login/", {"next": "https://evil.example/"})["Location"] == "/akun/login/?next=%2Fadmin%2F"
    # The admin's own redirect for an anonymous visitor ends at the staff sign-in, with the page kept.
    response = client.get("/admin/core/user/", follow=True)
    assert response.redirect_chain[-1][0] == "/akun/login/?next=%2Fadmin%2Fcore%2Fuser%2F"
    assert 'name="password"' in response.content.decode()
    assert client.post("/admin/login/", {"username": "x", "password": "y"}).status_code == 302  # no form here


def test_admin_login_signed_in(client, worker_user):
    client.force_login(worker_user)
    assert client.get("/admin/login/").status_code == 403
    admin = User.objects.create(username="admin3", role=Role.ADMIN, is_staff=True, is_superuser=True)
    staff_login(client, admin)
    response = client.get("/admin/login/", {"next": "/admin/core/user/"})
    assert (response.status_code, response["Location"]) == (302, "/admin/core/user/")
