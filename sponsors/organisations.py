"""Organisation sponsors (company CSR, foundations): accounts that sign in by email address and password.

allauth runs the sign-up, confirmation link, sign-in and password reset (sponsors/organisation_auth.py); the
writes that belong to the portal happen here, those to the account and its address through core.services.
"""

from __future__ import annotations

import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from core.models import Role, User
from core.services import EmailTaken, audit_event_record, email_user_create, user_password_set
from members.models import Sponsor
from members.services import organisation_sponsor_create

EMAIL_TAKEN = _("An account with this email address already exists.")


def organisation_sponsor_register(
    *,
    email: str,
    password: str,
    organisation_name: str,
    contact_name: str,
    language: str = "id",
    email_verified: bool = False,
    ip_address: str | None = None,
) -> Sponsor:
    """Creates an organisation's sponsor account: role sponsor, never staff, signing in by email and password.

    The address starts unconfirmed, and such an account cannot sign in until the link sent to it is opened
    (`email_verified` is for accounts whose address is known to be right, such as the demo's). The password must
    have passed the password validators already (the sign-up form does that)."""
    email = email.strip().lower()
    with transaction.atomic():
        try:
            user = email_user_create(username=f"org-{secrets.token_hex(6)}", email=email, password=password,
                                     role=Role.SPONSOR, first_name=contact_name.strip()[:150], language=language,
                                     email_verified=email_verified,
                                     changes={"via": "organisation_signup", "role": Role.SPONSOR},
                                     ip_address=ip_address)
        except EmailTaken:
            raise ValidationError({"email": [EMAIL_TAKEN]}) from None
        return organisation_sponsor_create(user=user, name=organisation_name, ip_address=ip_address)


def organisation_activate(*, user: User, ip_address: str | None = None) -> Sponsor | None:
    """Records that an organisation confirmed its email address (allauth has just marked it verified, in the same
    transaction): from now on the account can sign in. Nothing for other accounts."""
    sponsor = Sponsor.objects.filter(user=user, kind=Sponsor.Kind.ORGANISATION).first()
    if sponsor is not None:
        audit_event_record(actor=user, action="sponsor.email_confirmed", obj=sponsor, ip_address=ip_address)
    return sponsor


def organisation_password_set(*, user: User, password: str, ip_address: str | None = None) -> None:
    """A new password for an organisation's account (reset by email link, or changed while signed in)."""
    user_password_set(user=user, password=password, ip_address=ip_address)
