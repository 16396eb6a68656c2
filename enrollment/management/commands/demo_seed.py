from django.core.management.base import BaseCommand

from enrollment.demo import demo_seed


class Command(BaseCommand):
    help = "Create the demo staff accounts and a registered demo worker (idempotent)."

    def handle(self, *args, **options):
        demo_seed()
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
