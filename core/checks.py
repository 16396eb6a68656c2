"""Deploy checks (`manage.py check --deploy`): the notification settings production needs."""

from django.conf import settings
from django.core import checks

from core.notifications.config import notification_config_errors


@checks.register(checks.Tags.security, deploy=True)
def notification_settings_check(app_configs, **kwargs):
    errors = notification_config_errors(
        backend=settings.NOTIFICATION_BACKEND, simulator_enabled=settings.SMS_SIMULATOR_ENABLED,
        gateway_url=settings.SMS_GATEWAY_URL, api_key=settings.SMS_GATEWAY_API_KEY,
        callback_secret=settings.SMS_GATEWAY_CALLBACK_SECRET, email_backend=settings.EMAIL_BACKEND)
    return [checks.Error(error, id="core.E001") for error in errors]
