"""Receivers of allauth's signals."""

from allauth.account.internal.flows.login import record_authentication
from allauth.mfa.models import Authenticator
from allauth.mfa.signals import authenticator_added
from django.dispatch import receiver


@receiver(authenticator_added)
def record_totp_activation(sender, request, user, authenticator, **kwargs):
    # Activating TOTP means giving a valid code, so this session has passed MFA (core.middleware asks for that);
    # allauth itself records MFA only when signing in or re-authenticating.
    if request is not None and authenticator.type == Authenticator.Type.TOTP and request.user == user:
        record_authentication(request, user, "mfa", id=authenticator.pk, type=authenticator.type)
