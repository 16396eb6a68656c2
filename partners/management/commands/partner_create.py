from django.core.management.base import BaseCommand, CommandError

from members.models import Partner, PartnerScope
from members.services import partner_create, partner_key_issue


class Command(BaseCommand):
    help = "Create a partner (or reuse one by name) and issue it an API key, printed once."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True)
        parser.add_argument("--ecosystem", default="ecommerce_umkm")
        parser.add_argument("--scopes", default=",".join(PartnerScope.values),
                            help=f"comma-separated, from: {', '.join(PartnerScope.values)}")

    def handle(self, *args, name, ecosystem, scopes, **options):
        partner = Partner.objects.filter(name=name).first() or partner_create(name=name, ecosystem=ecosystem,
                                                                               actor=None)
        try:
            key, plaintext = partner_key_issue(partner=partner, scopes=scopes.split(","), actor=None)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"Partner {partner.name}: key {key.prefix}… with scopes {', '.join(key.scopes)}")
        self.stdout.write(self.style.WARNING(f"API key (shown once): {plaintext}"))
