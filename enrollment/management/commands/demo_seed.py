from django.core.management.base import BaseCommand

from ecosystems.demo import ecosystems_demo_seed
from enrollment.demo import demo_seed


class Command(BaseCommand):
    help = "Create the demo staff accounts and a registered demo worker (idempotent)."

    def handle(self, *args, **options):
        demo_seed()
        ecosystems_demo_seed()  # dashboard demo members, bills and lapses, then the rollups
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
