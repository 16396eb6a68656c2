from django.apps import AppConfig

from core.notifications import register_stale_check


class ContributionsConfig(AppConfig):
    name = "contributions"

    def ready(self) -> None:
        from contributions.services.reminders import reminder_is_stale

        register_stale_check("reminder.", reminder_is_stale)
