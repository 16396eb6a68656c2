from django.core.management.base import BaseCommand, CommandError

from demo.accounts import DemoDataRefused, demo_data_check, demo_seed
from demo.dashboards import ecosystems_demo_seed


class Command(BaseCommand):
    help = "Create the demo staff accounts and a registered demo worker (idempotent)."

    def handle(self, *args, **options):
        try:
            demo_data_check()  # before anything is written
        except DemoDataRefused as refused:
            raise CommandError(str(refused)) from None
        demo_seed()
        ecosystems_demo_seed()  # dashboard demo members, bills and lapses, then the rollups
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
