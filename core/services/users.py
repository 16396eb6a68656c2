"""Accounts: the account for a verified phone number, one or many at once; an account that signs in by email address
and password."""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from allauth.account.models import EmailAddress
from django.db import connection, transaction

from core.models import STAFF_ROLES, AuditEvent, User
from core.services.audit import audit_event_record, audit_type
from core.sql import InsertSpec, insert_rows, insert_together


class PhoneSignInRefused(Exception):
    pass


def phone_user_get_or_create(*, phone: str, language: str = "id") -> tuple[User, bool]:
    """The account for a verified phone number; a new one is a worker account without a password.

    Staff accounts never sign in by phone code: that would skip their password and TOTP.
    """
    with transaction.atomic():
        user = User.objects.select_for_update().filter(phone=phone).first()
        if user and (user.is_portal_staff or user.is_staff or not user.is_active):
            raise PhoneSignInRefused(user.pk)
        if user:
            return user, False
        user = User(username=f"p{phone.lstrip('+')}", phone=phone, language=language)
        user.set_unusable_password()
        user.save()
        audit_event_record(actor=user, action="user.created", obj=user, changes={"via": "phone_code"})
        return user, True


def phone_users_get_or_create_many(
    *, phones: Sequence[str], language: str = "id", actor_id: int | None = None, changes: dict | None = None,
) -> dict[str, tuple[int, bool]]:
    """phone_user_get_or_create for many numbers (bulk imports), in three statements: {phone: (user id, created)}.
    Numbers must already be E.164 (they are written as they are). A number of a staff or inactive account is left
    out of the answer (the single version refuses it with PhoneSignInRefused). New accounts have no usable password;
    their audit events are by actor_id, or by the account itself when there is none (as for a sign-in by code)."""
    if not phones:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT phone, id, role, is_staff, is_active FROM {User._meta.db_table} "  # noqa: S608
                       f"WHERE phone IN ({', '.join(['%s'] * len(phones))})", list(phones))
        taken = {phone: (pk, role in STAFF_ROLES or is_staff or not is_active)
                 for phone, pk, role, is_staff, is_active in cursor.fetchall()}
    new_phones = [phone for phone in dict.fromkeys(phones) if phone not in taken]
    new_ids = insert_rows(User, ("username", "phone", "language", "password"),
                          # unusable, as set_unusable_password makes it (its 40 random characters cost more)
                          [(f"p{phone.lstrip('+')}", phone, language, f"!{secrets.token_urlsafe(30)}")
                           for phone in new_phones], returning_pk=True, prepared=("phone",))
    changes = {"via": "phone_code"} if changes is None else changes
    insert_together(InsertSpec(AuditEvent, ("actor", "action", "object_type", "object_id", "changes", "reason"),
                               [(actor_id or pk, "user.created", audit_type(User), str(pk), changes, "")
                                for pk in new_ids]))
    found = {phone: (pk, False) for phone, (pk, refused) in taken.items() if not refused}
    return found | {phone: (pk, True) for phone, pk in zip(new_phones, new_ids, strict=True)}


class EmailTaken(Exception):
    """An account, or an allauth address, already has this email address (whatever its case)."""


def email_user_create(
    *,
    username: str,
    email: str,
    password: str,
    role: str,
    first_name: str = "",
    language: str = "id",
    email_verified: bool = False,
    changes: dict | None = None,
    ip_address: str | None = None,
) -> User:
    """An account that signs in by email address and password, never staff, with its allauth address (primary,
    unconfirmed unless email_verified). The address must be normalised and the password have passed the password
    validators already. Written in the caller's transaction, which keeps the check that the address is free together
    with the writes. The audit event is by the account itself, with `changes`."""
    if role in STAFF_ROLES:
        raise ValueError("staff accounts are made by admins, never by sign-up")
    if EmailAddress.objects.filter(email__iexact=email).exists() or User.objects.filter(email__iexact=email).exists():
        raise EmailTaken(email)
    user = User(username=username, email=email, first_name=first_name, role=role, is_staff=False,
                is_superuser=False, language=language)
    user.set_password(password)
    user.save()
    EmailAddress.objects.create(user=user, email=email, primary=True, verified=email_verified)
    audit_event_record(actor=user, action="user.created", obj=user, changes=changes, ip_address=ip_address)
    return user


def user_password_set(*, user: User, password: str, ip_address: str | None = None) -> None:
    """A new password for an account (the password validators have passed already)."""
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        audit_event_record(actor=user, action="user.password_changed", obj=user, ip_address=ip_address)


def key_user_create(*, role: str, name: str) -> User:
    """An account that never signs in with a password or a code (a partner's: its API keys name it). Written in the
    caller's transaction; the caller audits the party it belongs to."""
    if role in STAFF_ROLES:
        raise ValueError("staff accounts are made by admins")
    user = User(username=f"{role}-{secrets.token_hex(4)}", role=role, first_name=name[:150])
    user.set_unusable_password()
    user.save()
    return user


def user_contact_update(*, user: User, language: str, email: str | None = None) -> None:
    """An account's language and, when given, its contact email address (not an address it signs in with: the caller
    leaves that out). Written in the caller's transaction; the caller audits the change with its own."""
    user.language = language
    if email is not None:
        user.email = email
    user.save(update_fields=["language", "email"])

