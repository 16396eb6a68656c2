from django.apps import AppConfig


class ContributionsConfig(AppConfig):
    name = "contributions"

    def ready(self) -> None:
        from contributions.services.reminders import reminder_is_stale
        from core.notifications import register_stale_check

        register_stale_check("reminder.", reminder_is_stale)
