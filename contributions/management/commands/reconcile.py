from django.core.management.base import BaseCommand, CommandError

from contributions.selectors import reconciliation, refused_provider_money


class Command(BaseCommand):
    help = "Check that money in = allocated + credit held + refunds, for every payment and the whole book."

    def handle(self, *args, **options):
        r = reconciliation()
        self.stdout.write(
            f"payments {r.payments}: received {r.received_idr} = allocated {r.allocated_idr} "
            f"+ credit held {r.credit_held_idr} + refunded {r.refunded_idr}"
        )
        refused = refused_provider_money(limit=0)
        if refused.count or refused.unsigned:
            self.stdout.write(self.style.WARNING(
                f"refused by the portal, never credited: {refused.count} signed notifications claiming "
                f"{refused.amount_idr} (see /staf/rekonsiliasi/); {refused.unsigned} with a bad signature"))
        if not r.balanced:
            raise CommandError(
                f"NOT BALANCED: payments {r.mismatched_payments[:20]}, overpaid bills {r.overpaid_bills[:20]}"
            )
        self.stdout.write(self.style.SUCCESS("Balanced to the rupiah."))
