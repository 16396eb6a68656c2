"""allauth for organisation sponsors, next to staff sign-in.

Staff keep signing in by username, password and TOTP, and cannot sign up. Organisation sponsors sign up on their own
page (sponsors/organisation_views.py), confirm their email address by a link, sign in by email and password and
reset a forgotten password by a link. Settings: ACCOUNT_ADAPTER and AUTHENTICATION_BACKENDS point here.
"""

from __future__ import annotations

from urllib.parse import quote

from allauth.account.auth_backends import AuthenticationBackend
from allauth.account.stages import EmailVerificationStage
from allauth.utils import build_absolute_uri
from django.db import transaction
from django.http import HttpResponseRedirect
from django.urls import reverse

from core.adapters import StaffAccountAdapter
from core.models import Role
from core.views import client_ip
from sponsors.organisations import organisation_activate, organisation_password_set


def is_organisation(user) -> bool:
    sponsor = getattr(user, "sponsor", None)
    return sponsor is not None and sponsor.kind == "organisation"


def user_display(user) -> str:
    """How allauth names the account in its messages ("Signed in as …"): the organisation, not its username."""
    sponsor = getattr(user, "sponsor", None)
    return sponsor.name if sponsor is not None and sponsor.kind == "organisation" else user.get_username()


class SponsorEmailVerificationStage(EmailVerificationStage):
    """ACCOUNT_EMAIL_VERIFICATION is mandatory for sponsor accounts only: staff have no email address to confirm
    and sign in as before."""

    def handle(self):
        user = self.login.user
        if user is not None and getattr(user, "role", None) != Role.SPONSOR:
            return None, True
        return super().handle()


class PortalAuthenticationBackend(AuthenticationBackend):
    """allauth's backend, with sign-in by email address kept to sponsor accounts: a staff account is reached by its
    username only, as before."""

    def authenticate(self, request, **credentials):
        user = super().authenticate(request, **credentials)
        email = credentials.get("email")
        if (user is not None and email and getattr(user, "role", None) != Role.SPONSOR
                and user.get_username().lower() != str(email).lower()):
            return None
        return user


class PortalAccountAdapter(StaffAccountAdapter):
    def get_login_stages(self) -> list[str]:
        stage = f"{SponsorEmailVerificationStage.__module__}.{SponsorEmailVerificationStage.__name__}"
        return [stage if path == "allauth.account.stages.EmailVerificationStage" else path
                for path in super().get_login_stages()]

    def get_email_confirmation_url(self, request, emailconfirmation) -> str:
        return build_absolute_uri(request, reverse("sponsors:organisation-confirm", args=[emailconfirmation.key]))

    def get_reset_password_from_key_url(self, key: str) -> str:
        # allauth hands over "<uidb36>-<token>" as one opaque key.
        path = reverse("sponsors:organisation-password-set", kwargs={"uidb36": "UID", "key": "KEY"})
        return build_absolute_uri(self.request, path.replace("UID-KEY", quote(key)))

    def respond_email_verification_sent(self, request, user):
        return HttpResponseRedirect(reverse("sponsors:organisation-email-sent"))

    def get_email_verification_redirect_url(self, email_address) -> str:
        if self.request.user.is_authenticated:
            return super().get_email_verification_redirect_url(email_address)
        return reverse("sponsors:organisation-login")

    def confirm_email(self, request, email_address) -> bool:
        with transaction.atomic():
            confirmed = super().confirm_email(request, email_address)
            if confirmed:
                organisation_activate(user=email_address.user, ip_address=client_ip(request))
        return confirmed

    def set_password(self, user, password: str) -> None:
        if is_organisation(user):
            organisation_password_set(user=user, password=password,
                                      ip_address=client_ip(self.request) if self.request else None)
        else:
            super().set_password(user, password)
