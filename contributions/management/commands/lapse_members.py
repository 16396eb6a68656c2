from django.core.management.base import BaseCommand

from contributions.services.membership import members_lapse


class Command(BaseCommand):
    help = "Lapse memberships with 3 consecutive unpaid months before the current one."

    def handle(self, *args, **options):
        self.stdout.write(self.style.SUCCESS(f"{members_lapse()} memberships lapsed."))
