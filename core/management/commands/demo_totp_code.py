import time

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from allauth.mfa.utils import decrypt
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Print the current TOTP code of a staff account (development only)."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        if not settings.DEBUG:
            raise CommandError("Only available with DEBUG on.")
        auth = Authenticator.objects.filter(user__username=username, type=Authenticator.Type.TOTP).first()
        if auth is None:
            raise CommandError(f"{username} has no TOTP authenticator.")
        secret = decrypt(auth.data["secret"])
        self.stdout.write(format_hotp_value(hotp_value(secret, int(time.time()) // 30)))
