"""Members' accounts: a worker account for a phone, claiming a membership someone else registered, NIK look-up limits,
invitations, message preferences."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.models import Channel, User
from core.nik import nik_blind_index, nik_check
from core.services import (
    PhoneSignInRefused,
    audit_event_record,
    notification_enqueue,
    phone_user_get_or_create,
    rate_limit_hit,
)
from members.models import (
    Member,
    MemberInvitation,
)


def worker_phone_check(*, phone: str, actor: User | None) -> User | None:
    """The refusals for a worker's phone number given by someone else (sponsor, agent, bulk file, partner), checked
    before anything about the NIK so that the answer never depends on whether the NIK is a member's. Returns the
    account that already has this number, if any."""
    if actor is not None and actor.phone and str(actor.phone) == phone:
        raise ValidationError({"phone": [_("This is your own phone number. Please enter the worker's own number: "
                                           "they sign in with it.")]})
    user = User.objects.filter(phone=phone).first()
    if user is not None and (user.is_portal_staff or user.is_staff or not user.is_active):
        raise ValidationError({"phone": [_("This number cannot be used for a member.")]})
    if (user is not None and hasattr(user, "member")) or Member.objects.filter(phone=phone).exists():
        raise ValidationError({"phone": [_("This phone number already belongs to a member.")]})
    return user


def worker_account_for_phone(*, phone: str, actor: User | None = None) -> User | None:
    """The account a worker registered by someone else signs in with. A number no account has gets a new account
    without a password: only whoever holds the phone can sign in to it. A number that already has an account (a
    sponsor's, an agent's, an heir's) gets no account at all: the membership waits until the phone's owner claims
    it with the NIK and birth date (member_claim), so nobody finds a stranger's membership in their account."""
    if worker_phone_check(phone=phone, actor=actor) is not None:
        return None
    try:
        user, created = phone_user_get_or_create(phone=phone)
    except PhoneSignInRefused:
        raise ValidationError({"phone": [_("This number cannot be used for a member.")]}) from None
    return user if created else None  # an account made a moment ago by its owner is theirs, not ours to fill


class ClaimRefused(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ClaimThrottled(ClaimRefused):
    pass


def member_claim(*, user: User, nik: str, birth_date: dt.date, ip_address: str | None = None) -> Member:
    """A worker registered by someone else (sponsor, agent, bulk file, partner) takes the membership into their own
    account. The proof: signed in by a code sent to the member's phone number, plus the NIK and date of birth. Every
    refusal has the same message, so a try tells nothing about a NIK; tries are limited per account and per IP."""
    not_found = ClaimRefused(_("We found no membership waiting for this phone number with this NIK and date of "
                               "birth. Please check both, or ask your branch office."))
    if rate_limit_hit(key=f"claim:user:{user.pk}", limit=settings.MEMBER_CLAIM_TRIES_PER_HOUR,
                      window_seconds=3600) or (
        ip_address and rate_limit_hit(key=f"claim:ip:{ip_address}", limit=settings.MEMBER_CLAIM_TRIES_PER_IP_PER_HOUR,
                                      window_seconds=3600)):
        raise ClaimThrottled(_("Too many tries. Please try again in an hour."))
    digits = nik_check(nik).nik
    member = None
    if digits and user.phone and not (user.is_portal_staff or user.is_staff):
        with transaction.atomic():
            User.objects.select_for_update().filter(pk=user.pk).first()  # one claim at a time per account
            candidate = Member.objects.select_for_update().filter(nik_index=nik_blind_index(digits)).first()
            if (candidate is not None and candidate.user_id is None and str(candidate.phone) == str(user.phone)
                    and candidate.birth_date == birth_date and not Member.objects.filter(user=user).exists()):
                candidate.user = user
                candidate.save(update_fields=["user", "updated_at"])
                audit_event_record(actor=user, action="member.claimed", obj=candidate,
                                   changes={"kpj": candidate.kpj, "user": user.pk}, ip_address=ip_address)
                member = candidate
    if member is None:
        audit_event_record(actor=user, action="member.claim_refused", obj=user, ip_address=ip_address)
        raise not_found
    return member


def identity_check_allow(*, session_key: str, phone: str, ip_address: str | None) -> bool:
    """Counts one NIK look-up from self-registration against the limits per session, phone and IP (settings
    IDENTITY_CHECKS_PER_*_PER_HOUR); False once any of them is over, so the NIK is not looked up."""
    limits = [(f"idcheck:session:{session_key}", settings.IDENTITY_CHECKS_PER_SESSION_PER_HOUR),
              (f"idcheck:phone:{phone}", settings.IDENTITY_CHECKS_PER_PHONE_PER_HOUR)]
    if ip_address:
        limits.append((f"idcheck:ip:{ip_address}", settings.IDENTITY_CHECKS_PER_IP_PER_HOUR))
    over = [rate_limit_hit(key=key, limit=limit, window_seconds=3600) for key, limit in limits]  # count every one
    return not any(over)


def member_invite(*, sender: User, member: Member, body: str, purpose: str) -> bool:
    """Texts an existing member on behalf of a sponsor or agent who named their NIK, at most once per sender, member
    and day (a row per day, unique in the database). True when the text was queued."""
    with transaction.atomic():
        _row, created = MemberInvitation.objects.get_or_create(sender=sender, member=member,
                                                               day=timezone.localdate())
        if created:
            notification_enqueue(channel=Channel.SMS, recipient=str(member.phone), purpose=purpose, body=body)
        return created


def member_message_preferences_update(
    *, member: Member, actor: User, notify_channel: str, email: str, language: str, reminders_opt_out: bool
) -> Member:
    """The member's channel, language and reminder choice; reminders written from now on follow it."""
    if notify_channel not in Channel.values or language not in dict(settings.LANGUAGES):
        raise ValueError("unknown channel or language")
    with transaction.atomic():
        member = Member.objects.select_for_update().get(pk=member.pk)
        before = {"notify_channel": member.notify_channel, "language": member.language,
                  "reminders_opt_out": member.reminders_opt_out, "email": bool(member.email)}
        member.notify_channel, member.language, member.reminders_opt_out = notify_channel, language, reminders_opt_out
        member.email = email
        member.save(update_fields=["notify_channel", "language", "reminders_opt_out", "email", "updated_at"])
        after = {"notify_channel": notify_channel, "language": language, "reminders_opt_out": reminders_opt_out,
                 "email": bool(member.email)}
        audit_event_record(actor=actor, action="member.message_preferences", obj=member,
                           changes={k: [before[k], after[k]] for k in after if before[k] != after[k]})
    return member
