"""Organisation sponsors (company CSR, foundations): accounts that sign in by email address and password.

allauth runs the sign-up, confirmation link, sign-in and password reset (sponsors/organisation_auth.py); the
writes that belong to the portal happen here.
"""

from __future__ import annotations

import secrets

from allauth.account.models import EmailAddress
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from core.models import Role, User
from core.services import audit_event_record
from members.models import Sponsor

EMAIL_TAKEN = _("An account with this email address already exists.")


def _email_in_use(email: str) -> bool:
    return (EmailAddress.objects.filter(email__iexact=email).exists()
            or User.objects.filter(email__iexact=email).exists())


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
        if _email_in_use(email):
            raise ValidationError({"email": [EMAIL_TAKEN]})
        user = User(username=f"org-{secrets.token_hex(6)}", email=email, first_name=contact_name.strip()[:150],
                    role=Role.SPONSOR, is_staff=False, is_superuser=False, language=language)
        user.set_password(password)
        user.save()
        EmailAddress.objects.create(user=user, email=email, primary=True, verified=email_verified)
        sponsor = Sponsor.objects.create(user=user, kind=Sponsor.Kind.ORGANISATION,
                                         name=organisation_name.strip()[:120])
        audit_event_record(actor=user, action="user.created", obj=user,
                           changes={"via": "organisation_signup", "role": Role.SPONSOR}, ip_address=ip_address)
        audit_event_record(actor=user, action="sponsor.created", obj=sponsor,
                           changes={"name": sponsor.name, "kind": sponsor.kind}, ip_address=ip_address)
    return sponsor


def organisation_activate(*, user: User, ip_address: str | None = None) -> Sponsor | None:
    """Records that an organisation confirmed its email address (allauth has just marked it verified, in the same
    transaction): from now on the account can sign in. Nothing for other accounts."""
    sponsor = Sponsor.objects.filter(user=user, kind=Sponsor.Kind.ORGANISATION).first()
    if sponsor is not None:
        audit_event_record(actor=user, action="sponsor.email_confirmed", obj=sponsor, ip_address=ip_address)
    return sponsor


def organisation_password_set(*, user: User, password: str, ip_address: str | None = None) -> None:
    """A new password for an organisation's account (reset by email link, or changed while signed in)."""
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        audit_event_record(actor=user, action="user.password_changed", obj=user, ip_address=ip_address)
