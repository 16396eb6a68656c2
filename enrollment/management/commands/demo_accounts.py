from django.core.management.base import BaseCommand

from enrollment.demo import demo_accounts_text


class Command(BaseCommand):
    help = "Print the demo accounts."

    def handle(self, *args, **options):
        self.stdout.write(demo_accounts_text())
