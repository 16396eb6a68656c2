"""Production settings pass Django's deployment checks: HTTPS redirect, HSTS, secure cookies. Run in a subprocess
because production settings are read once, at import, from the environment."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path, PurePosixPath

import yaml
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]


def production_env(tmp_path, **extra) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path), "LANG": "C.UTF-8",
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "NIK_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "NIK_HMAC_KEY": secrets.token_urlsafe(32),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
        "DJANGO_ALLOWED_HOSTS": "bpu.example.id",
        "VAR_DIR": str(tmp_path / "var"),
        # the real gateway, as docs/deploy.md asks (production refuses the console backend)
        "NOTIFICATION_BACKEND": "core.notifications.gateway.GatewayBackend",
        "SMS_GATEWAY_URL": "https://sms-gateway.example.id/v1", "SMS_GATEWAY_API_KEY": secrets.token_urlsafe(16),
        "SMS_GATEWAY_CALLBACK_SECRET": secrets.token_urlsafe(16),
        "PAYMENT_SIMULATOR_SECRET": secrets.token_urlsafe(32),
    }
    env.update(extra)
    return env


def run(tmp_path, *args, **extra) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=production_env(tmp_path, **extra),
                          capture_output=True, text=True)  # no timeout: its polling sleep fails under libfaketime


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    result = run(tmp_path, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_redirects_to_https_and_sends_hsts(tmp_path):
    script = ("from django.test import Client\n"
              "c = Client(HTTP_HOST='bpu.example.id')\n"
              "plain = c.get('/tidak-ada/')\n"
              "tls = c.get('/i18n/setlang/', HTTP_X_FORWARDED_PROTO='https')\n"  # no template, no database
              "print(plain.status_code, plain['Location'])\n"
              "print(tls.status_code, tls.headers.get('Strict-Transport-Security'))\n")
    result = run(tmp_path, "shell", "-c", script)
    assert result.returncode == 0, result.stderr
    plain, tls = result.stdout.strip().splitlines()[-2:]
    assert plain == "301 https://bpu.example.id/tidak-ada/"
    assert tls.split(" ", 1)[1] == "max-age=31536000; includeSubDomains"


def test_hsts_and_redirect_follow_the_environment(tmp_path):
    result = run(tmp_path, "shell", "-c", "from django.conf import settings as s; "
                 "print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_PRELOAD)",
                 SECURE_SSL_REDIRECT="false", SECURE_HSTS_SECONDS="600", SECURE_HSTS_PRELOAD="true")
    assert result.stdout.strip().splitlines()[-1] == "False 600 True", result.stderr


def container_path(setting: Path) -> PurePosixPath:
    """Where a path setting under VAR_DIR lands in the image: WORKDIR /app, VAR_DIR's default /app/var."""
    from django.conf import settings

    return PurePosixPath("/app/var") / PurePosixPath(setting.relative_to(settings.VAR_DIR).as_posix())


def test_compose_keeps_private_files_in_a_volume_on_web_and_workers():
    from django.conf import settings

    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    for name in ("VAR_DIR", "CLAIM_DOCUMENTS_ROOT", "BULK_IMPORTS_ROOT"):
        assert name not in compose["x-env"]  # the defaults apply
    assert "WORKDIR /app" in (ROOT / "Dockerfile").read_text()
    services = {name: service for name, service in compose["services"].items()
                if name == "web" or "worker" in " ".join(service.get("command") or [])}
    assert "web" in services and any(name != "web" for name in services)
    wanted = [container_path(Path(settings.CLAIM_DOCUMENTS_ROOT)), container_path(Path(settings.BULK_IMPORTS_ROOT))]
    for name, service in services.items():
        mounts = [volume.split(":") for volume in service.get("volumes", [])]
        for path in wanted:
            covering = [source for source, target, *_ in mounts if path.is_relative_to(target)]
            assert covering, f"{name}: nothing mounted over {path}"
            assert all(source in compose["volumes"] for source in covering), f"{name}: {covering} is not a volume"
