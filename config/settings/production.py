"""Production: everything from the environment; DJANGO_SECRET_KEY, NIK keys and DATABASE_URL are required."""

from .base import *  # noqa: F403
from .base import env

DATABASES = {"default": env.db("DATABASE_URL")}  # no silent SQLite fallback in production
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEMO_DATA_ALLOWED = False  # demo accounts have published passwords

# HTTPS only (the TLS proxy sets X-Forwarded-Proto, see base.py): browsers are told to use nothing else for a year.
# HSTS_PRELOAD asks for the browsers' built-in list, which is hard to leave: an operator's decision, off by default.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = env.list("SECURE_REDIRECT_EXEMPT", default=[])  # e.g. a load balancer's plain-HTTP probe
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
if not SECURE_HSTS_PRELOAD:
    SILENCED_SYSTEM_CHECKS = ["security.W021"]  # preloading is chosen above, not forgotten

# Sign-in codes and reset links go out through a real gateway only: no console backend, no simulator.
from django.core.exceptions import ImproperlyConfigured  # noqa: E402

from core.notifications.config import notification_config_errors  # noqa: E402

_notification_errors = notification_config_errors(
    backend=NOTIFICATION_BACKEND, simulator_enabled=SMS_SIMULATOR_ENABLED, gateway_url=SMS_GATEWAY_URL,  # noqa: F405
    api_key=SMS_GATEWAY_API_KEY, callback_secret=SMS_GATEWAY_CALLBACK_SECRET, email_backend=EMAIL_BACKEND)  # noqa: F405
if _notification_errors:
    raise ImproperlyConfigured("Production settings: " + " ".join(_notification_errors))
