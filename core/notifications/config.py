"""What production needs from the notification settings. Plain values in, messages out: production settings call it
at import (ImproperlyConfigured) and a deploy system check calls it too (`manage.py check --deploy`)."""

from __future__ import annotations

CONSOLE = "core.notifications.backends.ConsoleBackend"
GATEWAY = "core.notifications.gateway.GatewayBackend"
# Mail backends that print or keep messages instead of sending them: confirmation and reset links would land in a
# log or a file.
LEAKY_EMAIL_BACKENDS = ("django.core.mail.backends.console.EmailBackend",
                        "django.core.mail.backends.filebased.EmailBackend",
                        "django.core.mail.backends.locmem.EmailBackend")


def notification_config_errors(*, backend: str, simulator_enabled: bool, gateway_url: str, api_key: str,
                               callback_secret: str, email_backend: str = "") -> list[str]:
    errors = []
    if backend == CONSOLE:
        errors.append("NOTIFICATION_BACKEND is the console backend, which prints sign-in codes and reset links: "
                      f"set NOTIFICATION_BACKEND={GATEWAY} and the SMS_GATEWAY_* settings (docs/deploy.md).")
    if simulator_enabled:
        errors.append("SMS_SIMULATOR_ENABLED is on: the simulated phones' inboxes show every sign-in code. "
                      "Set SMS_SIMULATOR_ENABLED=false.")
    if backend == GATEWAY:
        missing = [name for name, value in (("SMS_GATEWAY_URL", gateway_url), ("SMS_GATEWAY_API_KEY", api_key),
                                            ("SMS_GATEWAY_CALLBACK_SECRET", callback_secret)) if not value]
        if missing:
            errors.append(f"The SMS gateway needs {', '.join(missing)} (docs/deploy.md).")
        elif not gateway_url.startswith("https://"):
            errors.append("SMS_GATEWAY_URL must be an https:// address: the API key and every code go over it.")
        elif "/simulator/" in gateway_url:
            errors.append("SMS_GATEWAY_URL points at the portal's simulator, not at a real gateway.")
    if email_backend in LEAKY_EMAIL_BACKENDS:
        errors.append(f"EMAIL_URL gives {email_backend}, which keeps or prints emails with their links: "
                      "set an SMTP address (smtp+tls://user:password@host:587).")
    return errors
