import datetime as dt
import time

from django.core.management.base import BaseCommand, CommandError

from contributions.services.billing import bill_generate_for_period


class Command(BaseCommand):
    help = "Create the month's bills for every billable member (set-based; safe to run again)."

    def add_arguments(self, parser):
        parser.add_argument("--month", required=True, help="YYYY-MM")
        parser.add_argument("--batch-size", type=int, default=None)

    def handle(self, *args, month, batch_size, **options):
        try:
            first = dt.datetime.strptime(month, "%Y-%m").date()
        except ValueError:
            raise CommandError("--month must look like 2026-12") from None
        start = time.perf_counter()
        result = bill_generate_for_period(month=first, batch_size=batch_size)
        self.stdout.write(self.style.SUCCESS(
            f"{result.created} bills created for {month} in {result.batches} batches "
            f"({time.perf_counter() - start:.1f} s)."
        ))
