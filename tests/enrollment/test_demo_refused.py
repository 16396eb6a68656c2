"""The demo commands create or print published passwords, TOTP secrets and a partner key: production settings
refuse them, with a clear error, a non-zero exit and nothing written."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import override_settings

from core.models import User
from members.models import Partner

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("command", ["demo_seed", "demo_accounts"])
def test_demo_commands_refuse_when_demo_data_is_not_allowed(command):
    with override_settings(DEMO_DATA_ALLOWED=False), pytest.raises(CommandError, match="published passwords"):
        call_command(command)
    assert not User.objects.exists() and not Authenticator.objects.exists() and not Partner.objects.exists()


@pytest.mark.parametrize("debug", [None, "true"])
@pytest.mark.parametrize("command", ["demo_seed", "demo_accounts"])
def test_production_settings_refuse_demo_commands(tmp_path, command, debug):
    """The real command line under config.settings.production; even DJANGO_DEBUG=true does not open it."""
    database = tmp_path / "portal.sqlite3"
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "DATABASE_URL"))}
    env.update({
        "DJANGO_SETTINGS_MODULE": "config.settings.production", "DATABASE_URL": f"sqlite:///{database}",
        "VAR_DIR": str(tmp_path / "var"), "DJANGO_SECRET_KEY": "production-like-secret-key-for-this-test-only",
        "NIK_ENCRYPTION_KEYS": settings.NIK_ENCRYPTION_KEYS[0], "NIK_HMAC_KEY": "production-like-hmac-key",
        # What production settings demand of the messages (core.notifications.config).
        "NOTIFICATION_BACKEND": "core.notifications.gateway.GatewayBackend", "SMS_SIMULATOR_ENABLED": "false",
        "SMS_GATEWAY_URL": "https://sms.example.org/api", "SMS_GATEWAY_API_KEY": "production-like-key",
        "SMS_GATEWAY_CALLBACK_SECRET": "production-like-secret", "EMAIL_URL": "smtp+tls://u:p@mail.example.org:587",
    })
    if debug:
        env["DJANGO_DEBUG"] = debug
    result = subprocess.run([sys.executable, "manage.py", command], cwd=Path(settings.BASE_DIR), env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Refused: demo accounts have published passwords" in result.stderr
    assert "demo-bpu-2026!" not in result.stdout + result.stderr  # nothing printed either
    assert not database.exists()  # refused before the database was even opened
