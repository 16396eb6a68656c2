from django.core.management.base import BaseCommand, CommandError

from demo.accounts import DemoDataRefused, demo_accounts_text


class Command(BaseCommand):
    help = "Print the demo accounts."

    def handle(self, *args, **options):
        try:
            self.stdout.write(demo_accounts_text())
        except DemoDataRefused as refused:
            raise CommandError(str(refused)) from None
