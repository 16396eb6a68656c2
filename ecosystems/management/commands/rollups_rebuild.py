from django.core.management.base import BaseCommand

from ecosystems.models import BillMonth, FlowDay, FlowMonth, Leader, Snapshot
from ecosystems.services.rollups import rollups_rebuild, rollups_refresh


class Command(BaseCommand):
    help = "Rebuild the dashboards' rollup tables from the source tables (or --refresh: only the recent part)."

    def add_arguments(self, parser):
        parser.add_argument("--refresh", action="store_true",
                            help="Only yesterday, today and the bill months touched since the last refresh")

    def handle(self, *args, refresh=False, **options):
        result = rollups_refresh() if refresh else rollups_rebuild()
        what = "Refreshed" if refresh else "Rebuilt"
        counts = ", ".join(f"{model.__name__} {model.objects.count()}"
                           for model in (FlowDay, FlowMonth, BillMonth, Snapshot, Leader))
        self.stdout.write(self.style.SUCCESS(
            f"{what} the rollups in {result.seconds:.2f} s (snapshot {result.snapshot_day:%Y-%m-%d}). Rows: {counts}."))
