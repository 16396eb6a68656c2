"""Sign-in codes and reset links never reach a staff page, the admin or a log outside DEBUG; production settings
refuse the console backend and the gateway simulator (at startup, and in `check --deploy`)."""

from __future__ import annotations

import logging
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.contrib import admin
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

from core.checks import notification_settings_check
from core.models import OutboxMessage, OutboxStatus, PhoneCode, Role, SimulatedMessage, User
from core.services import notification_deliver, phone_code_request
from sponsors.organisations import organisation_sponsor_register
from tests.core.helpers import last_code, staff_login
from tests.factories.reference import StaffRegionFactory

ROOT = Path(__file__).resolve().parents[2]
PHONE = "+6281234567890"
GATEWAY = "core.notifications.gateway.GatewayBackend"
CONSOLE = "core.notifications.backends.ConsoleBackend"
REAL_GATEWAY = {"NOTIFICATION_BACKEND": GATEWAY, "SMS_GATEWAY_URL": "https://sms-gateway.example.id/api",
                "SMS_GATEWAY_API_KEY": "a-real-key", "SMS_GATEWAY_CALLBACK_SECRET": "a-real-secret"}


# --- production settings ----------------------------------------------------------------------------------------


def _manage(tmp_path, *args, **extra) -> subprocess.CompletedProcess:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path), "LANG": "C.UTF-8",
           "DJANGO_SETTINGS_MODULE": "config.settings.production", "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
           "NIK_ENCRYPTION_KEYS": Fernet.generate_key().decode(), "NIK_HMAC_KEY": secrets.token_urlsafe(32),
           "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "DJANGO_ALLOWED_HOSTS": "bpu.example.id",
           "VAR_DIR": str(tmp_path / "var")}
    env.update(extra)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)


@pytest.mark.parametrize("extra, message", [
    ({}, "The SMS gateway needs SMS_GATEWAY_URL, SMS_GATEWAY_API_KEY, SMS_GATEWAY_CALLBACK_SECRET"),
    ({"NOTIFICATION_BACKEND": CONSOLE}, "NOTIFICATION_BACKEND is the console backend"),
    ({**REAL_GATEWAY, "SMS_SIMULATOR_ENABLED": "true"}, "SMS_SIMULATOR_ENABLED is on"),
    ({**REAL_GATEWAY, "DJANGO_DEBUG": "true"}, "SMS_SIMULATOR_ENABLED is on"),  # DEBUG would switch it on
    ({**REAL_GATEWAY, "SMS_GATEWAY_URL": "http://sms-gateway.example.id/api"}, "must be an https:// address"),
    ({**REAL_GATEWAY, "SMS_GATEWAY_URL": "https://bpu.example.id/simulator/sms/api"}, "portal's simulator"),
    ({**REAL_GATEWAY, "EMAIL_URL": "consolemail://"}, "keeps or prints emails"),
])
def test_production_settings_refuse_to_start_without_a_real_gateway(tmp_path, extra, message):
    result = _manage(tmp_path, "check", **extra)
    assert result.returncode != 0
    assert "ImproperlyConfigured: Production settings:" in result.stderr and message in result.stderr


def test_production_settings_start_with_a_real_gateway(tmp_path):
    result = _manage(tmp_path, "check", **REAL_GATEWAY)
    assert result.returncode == 0, result.stderr


def test_check_deploy_reports_the_console_backend_and_the_simulator(settings):
    settings.NOTIFICATION_BACKEND, settings.SMS_SIMULATOR_ENABLED = CONSOLE, True
    with pytest.raises(SystemCheckError, match="core.E001") as raised:
        call_command("check", deploy=True)
    assert "console backend" in str(raised.value) and "SMS_SIMULATOR_ENABLED is on" in str(raised.value)
    settings.SMS_SIMULATOR_ENABLED = False
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    for name, value in REAL_GATEWAY.items():
        setattr(settings, name, value)
    assert notification_settings_check(None) == []


# --- logs and the console -------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("backend", [CONSOLE, GATEWAY])
def test_no_code_or_link_reaches_a_log_or_the_console_outside_debug(client, caplog, capsys, settings, backend,
                                                                   django_capture_on_commit_callbacks):
    """Console backend: prints that a message went, never its body. Gateway backend (here out of reach): the
    failure is logged and kept on the row without the message."""
    settings.NOTIFICATION_BACKEND = backend
    settings.SMS_GATEWAY_URL = "http://127.0.0.1:9"  # nothing listens: a connection error, logged
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_PORT = 9
    assert not settings.DEBUG
    caplog.set_level(logging.DEBUG)
    organisation_sponsor_register(email="csr@example.id", password="Peduli-Pekerja-2026", organisation_name="PT A",
                                  contact_name="Dewi", email_verified=True)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/masuk/", {"phone": "0812 3456 7890"})
        client.post("/penyantun/organisasi/lupa-kata-sandi/", {"email": "csr@example.id"})

    code = last_code(PHONE)
    reset = OutboxMessage.objects.get(purpose="password_reset_key")
    key = re.search(r"/kata-sandi-baru/[0-9A-Za-z]+-(\S+?)/", reset.body).group(1)
    assert OutboxMessage.objects.filter(attempts__gte=1).count() == 2  # both were tried
    printed = capsys.readouterr()
    for text in (caplog.text, printed.out, printed.err, *OutboxMessage.objects.values_list("last_error", flat=True)):
        assert code not in text and key not in text
    if backend == CONSOLE:
        assert "(otp: body hidden)" in printed.out and "+62812•••••890" in printed.out
    else:
        assert "notification" in caplog.text and "DeliveryError" in caplog.text


@pytest.mark.django_db
def test_the_console_backend_prints_the_code_with_debug_on(capsys, settings, django_capture_on_commit_callbacks):
    settings.DEBUG = True
    with django_capture_on_commit_callbacks(execute=True):
        phone_code_request(phone=PHONE, ip_address=None)
    assert last_code(PHONE) in capsys.readouterr().out


# --- the admin ------------------------------------------------------------------------------------------------


@pytest.fixture
def site_admin(client):
    user = User.objects.create(username="root", role=Role.ADMIN, is_staff=True, is_superuser=True)
    staff_login(client, user)
    return user


@pytest.mark.django_db
def test_the_admin_never_shows_a_code(client, site_admin):
    phone_code_request(phone=PHONE, ip_address=None)
    message = OutboxMessage.objects.get(purpose="otp")
    code = last_code(PHONE)
    changelist = client.get("/admin/core/outboxmessage/")
    change = client.get(f"/admin/core/outboxmessage/{message.pk}/change/")
    assert changelist.status_code == change.status_code == 200
    for response in (changelist, change):
        assert code not in response.content.decode() and message.body not in response.content.decode()
    # a body filter in the query string would read the code digit by digit through the row count
    for lookup in ("body__startswith", "body__contains", "body__regex", "body"):
        response = client.get("/admin/core/outboxmessage/", {lookup: code[:1]})
        assert response.status_code == 400 and code not in response.content.decode()
    assert client.get("/admin/core/outboxmessage/", {"purpose": "otp"}).status_code == 200
    # sign-in codes (hashed) and the simulated phones are not in the admin at all
    assert PhoneCode not in admin.site._registry and SimulatedMessage not in admin.site._registry
    assert client.get("/admin/core/phonecode/").status_code == 404


@pytest.mark.django_db
@override_settings(NOTIFICATION_BACKEND=CONSOLE)
def test_every_staff_role_but_admins_gets_403_on_the_outbox(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        phone_code_request(phone=PHONE, ip_address=None)
    code = last_code(PHONE)
    assert OutboxMessage.objects.get().status == OutboxStatus.SENT
    regional = StaffRegionFactory(user__username="wilayah").user  # South Sumatra (16)'s regional staff
    for staff in (*(User.objects.create(username=f"s-{role}", role=role) for role in (Role.BRANCH_STAFF,
                                                                                      Role.SUPERVISOR)), regional):
        staff_login(client, staff)
        response = client.get("/staf/kotak-keluar/")
        assert response.status_code == 403 and code not in response.content.decode()
    staff_login(client, User.objects.create(username="boss", role=Role.ADMIN))
    response = client.get("/staf/kotak-keluar/")
    assert response.status_code == 200 and code not in response.content.decode()


@pytest.mark.django_db
def test_a_failed_gateway_call_keeps_no_message_text(settings):
    """The gateway's error text can quote the message: only its status and plain error code are kept."""
    settings.NOTIFICATION_BACKEND = GATEWAY
    settings.SMS_GATEWAY_URL = "http://127.0.0.1:9"
    message = OutboxMessage.objects.create(channel="sms", recipient=PHONE, body="482913 adalah kode", purpose="otp")
    notification_deliver(message_id=message.pk)
    message.refresh_from_db()
    assert message.last_error == "gateway: ConnectionError"


@pytest.mark.django_db
def test_the_admin_never_shows_a_staff_members_totp_secret(client, site_admin):
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP

    staff = User.objects.create(username="petugas", role=Role.BRANCH_STAFF)
    secret = "JBSWY3DPEHPK3PXPSECRETAA"
    authenticator = TOTP.activate(staff, secret).instance
    changelist = client.get("/admin/mfa/authenticator/")
    change = client.get(f"/admin/mfa/authenticator/{authenticator.pk}/change/")
    assert changelist.status_code == change.status_code == 200
    assert secret not in changelist.content.decode() and secret not in change.content.decode()
    assert client.get("/admin/mfa/authenticator/", {"data__contains": secret[:4]}).status_code == 400
    assert Authenticator.objects.filter(pk=authenticator.pk).exists()  # still listed, so it can be removed
