"""Every write about members and the parties around them: registering one member, accounts for phones, partners and
their keys, claiming a membership, invitations, sponsors, message preferences. Status changes: members.transitions."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.choices import FundingSource
from core.models import Channel, Role, User
from core.nik import nik_blind_index, nik_check, nik_encrypt, nik_mask
from core.services import (
    PhoneSignInRefused,
    audit_event_record,
    audit_events_record_many,
    audit_type,
    notification_enqueue,
    notifications_enqueue_many,
    phone_user_get_or_create,
    rate_limit_hit,
)
from core.sql import insert_rows
from members.assignment import ecosystem_for
from members.models import (
    Agent,
    Member,
    MemberInvitation,
    MemberStatus,
    Occupation,
    Partner,
    PartnerKey,
    PartnerScope,
    RegistrationChannel,
    Sponsor,
    Sponsorship,
)
from members.transitions import SponsorshipStatus, sponsorship_status, sponsorship_transition
from reference.models import Program, Region, RegionLevel
from reference.tariffs import income_bases


@dataclass
class RegistrationData:
    nik: str
    full_name: str
    birth_place: str
    birth_date: dt.date
    gender: str
    phone: str
    village_code: str
    address_line: str
    occupation_code: str
    income_base_idr: int
    programs: list[str]
    consent: bool
    email: str = ""
    ecosystem: str = ""  # the form's choice, where the form asks (self and SERTAKAN registration)


def age_on(birth_date: dt.date, day: dt.date) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def nik_is_registered(nik: str) -> bool:
    return Member.objects.filter(nik_index=nik_blind_index(nik)).exists()


def identity_errors(
    *, nik: str, birth_date: dt.date | None, gender: str | None, check_registered: bool = True,
    today: dt.date | None = None,
) -> tuple[dict[str, list[str]], list[str]]:
    """Field errors and warnings for the identity answers; shared by the web steps, the API and registration."""
    errors: dict[str, list[str]] = {}
    check = nik_check(nik, birth_date=birth_date, gender=gender)
    if check.errors:
        errors["nik"] = check.errors
    elif check_registered and nik_is_registered(check.nik or ""):
        errors["nik"] = [
            _("This NIK is already registered. If it is yours, sign in with the phone number used to register it.")
        ]
    if birth_date:
        age = age_on(birth_date, today or timezone.localdate())
        if age < settings.BPU_MIN_AGE:
            errors.setdefault("birth_date", []).append(
                _("You must be at least %(age)s years old to register.") % {"age": settings.BPU_MIN_AGE}
            )
        elif age > settings.BPU_MAX_AGE:
            errors.setdefault("birth_date", []).append(
                _("BPU registration is open up to the age of %(age)s.") % {"age": settings.BPU_MAX_AGE}
            )
    return errors, check.warnings


def registration_validate(data: RegistrationData, *, check_registered: bool = True,
              ) -> tuple[dict[str, list[str]], Region | None, Occupation | None]:
    errors, _warnings = identity_errors(nik=data.nik, birth_date=data.birth_date, gender=data.gender,
                                        check_registered=check_registered)
    if not data.full_name.strip():
        errors["full_name"] = [_("Please enter your name as written on your KTP.")]
    village = Region.objects.filter(code=data.village_code, level=RegionLevel.VILLAGE).first()
    if village is None:
        errors["village_code"] = [_("Please choose your village.")]
    occupation = Occupation.objects.filter(code=data.occupation_code, active=True).first()
    if occupation is None:
        errors["occupation"] = [_("Please choose your occupation.")]
    if data.income_base_idr not in income_bases():
        errors["income_base_idr"] = [_("Please choose an income from the list.")]
    unknown = set(data.programs) - set(Program.values)
    if unknown:
        errors["programs"] = [_("Unknown program: %(names)s.") % {"names": ", ".join(sorted(unknown))}]
    if not data.consent:
        errors["consent"] = [_("We need your consent to process your data before we can register you.")]
    return errors, village, occupation


def _kpj_candidate() -> str:
    """Ten random digits (no leading zero) and a Luhn check digit: typos are caught, numbers are not guessable."""
    body = str(secrets.randbelow(9 * 10**9) + 10**9)
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return body + str((10 - total % 10) % 10)


def member_create(
    *,
    data: RegistrationData,
    user: User | None,
    actor: User | None,
    channel: str = RegistrationChannel.SELF,
    funding_source: str = FundingSource.SELF,
    ip_address: str | None = None,
    partner: Partner | None = None,
    agent: Agent | None = None,
) -> Member:
    """Registers a BPU member: validates everything again, issues a KPJ, writes an audit event, queues a welcome SMS.
    The first bill is the caller's (enrollment.services.member_register raises it in the same transaction).

    Raises ValidationError with field errors; nothing is saved then.
    """
    errors, village, occupation = registration_validate(data)
    if errors:
        raise ValidationError(errors)
    nik = nik_check(data.nik).nik or ""
    for _attempt in range(5):
        try:
            with transaction.atomic():
                member = Member.objects.create(
                    user=user,
                    kpj=_kpj_candidate(),
                    nik_ciphertext=nik_encrypt(nik),
                    nik_index=nik_blind_index(nik),
                    full_name=" ".join(data.full_name.split()).upper(),
                    birth_place=data.birth_place.strip(),
                    birth_date=data.birth_date,
                    gender=data.gender,
                    phone=data.phone,
                    email=data.email,
                    village=cast(Region, village),  # found: registration_validate returned no errors
                    address_line=data.address_line.strip(),
                    occupation=cast(Occupation, occupation),
                    income_base_idr=data.income_base_idr,
                    has_jht=Program.JHT in data.programs,
                    funding_source=funding_source,
                    status=MemberStatus.REGISTERED,
                    channel=channel,
                    ecosystem_id=ecosystem_for(channel=channel, choice=data.ecosystem, partner=partner, agent=agent,
                                               occupation=occupation),
                    partner=partner,
                    agent=agent,
                    billing_start=timezone.localdate().replace(day=1),
                    consent_version=settings.CONSENT_VERSION,
                    consented_at=timezone.now(),
                    language=user.language if user and user.language in dict(settings.LANGUAGES) else "id",
                )
                audit_event_record(
                    actor=actor,
                    action="member.registered",
                    obj=member,
                    changes={
                        "nik": nik_mask(nik),
                        "kpj": member.kpj,
                        "status": [None, member.status],
                        "channel": channel,
                        "programs": member.programs,
                        "income_base_idr": member.income_base_idr,
                    },
                    ip_address=ip_address,
                )
                notification_enqueue(
                    channel=Channel.SMS,
                    recipient=str(member.phone),
                    purpose="registration",
                    body=_(
                        "Welcome to BPJS Ketenagakerjaan. Your participant number (KPJ) is %(kpj)s. "
                        "Your protection starts once the first contribution is paid."
                    ) % {"kpj": member.kpj},
                )
                return member
        except IntegrityError:
            # Either the KPJ collided (try another) or the NIK was registered a moment ago by someone else.
            if nik_is_registered(nik):
                raise ValidationError({"nik": [_("This NIK is already registered. If it is yours, sign in with "
                                                 "the phone number used to register it.")]}) from None
    raise RuntimeError("could not issue a unique participant number")


@dataclass(frozen=True)
class MemberRow:
    """One registration for members_create_many, already checked by its caller (a bulk file's row went through the
    same checks as the forms), with the NIK already encrypted, indexed and masked."""

    nik_ciphertext: str
    nik_index: str
    nik_masked: str
    full_name: str
    birth_place: str
    birth_date: dt.date
    gender: str
    phone: str  # E.164
    village_code: str
    address_line: str
    occupation_code: str
    income_base_idr: int
    has_jht: bool
    email: str = ""
    user_id: int | None = None
    language: str = "id"


def member_row_from_registration(data: RegistrationData, *, user: User | None = None) -> MemberRow:
    """The row members_create_many takes for what member_create takes (data and user)."""
    nik = nik_check(data.nik).nik or ""
    return MemberRow(
        nik_ciphertext=nik_encrypt(nik), nik_index=nik_blind_index(nik), nik_masked=nik_mask(nik),
        full_name=data.full_name, birth_place=data.birth_place, birth_date=data.birth_date, gender=data.gender,
        phone=data.phone, village_code=data.village_code, address_line=data.address_line,
        occupation_code=data.occupation_code, income_base_idr=data.income_base_idr,
        has_jht=Program.JHT in data.programs, email=data.email, user_id=user.pk if user else None,
        language=user.language if user and user.language in dict(settings.LANGUAGES) else "id")


def members_create_many(
    *,
    rows: Sequence[MemberRow],
    actor_id: int | None,
    channel: str,
    funding_source: str,
    sponsor: Sponsor | None = None,
    audit_changes: dict | None = None,
) -> list[tuple[int, str]]:
    """member_create for a set (bulk imports): the members, their audit events and welcome texts, each one bulk
    statement; returns (member id, KPJ) in the rows' order. The rows were checked by the caller (nothing is validated
    again here) and the first bills are the caller's, as for member_create. audit_changes are added to every
    member's event (the bulk import it came from). Agreement with member_create: tests/members/test_services.py."""
    if not rows:
        return []
    occupations = dict(Occupation.objects.values_list("code", "pk"))
    ecosystems = {o.code: ecosystem_for(channel=channel, sponsor=sponsor, occupation=o)
                  for o in Occupation.objects.all()}
    billing_start = timezone.localdate().replace(day=1)
    now = timezone.now()
    kpjs = _kpjs_fresh(len(rows))
    fields = ("user", "kpj", "nik_ciphertext", "nik_index", "full_name", "birth_place", "birth_date", "gender",
              "phone", "email", "village", "address_line", "occupation", "income_base_idr", "has_jht",
              "funding_source", "status", "channel", "ecosystem", "billing_start", "consent_version", "consented_at",
              "language")
    values = [(r.user_id, kpj, r.nik_ciphertext, r.nik_index, " ".join(r.full_name.split()).upper(),
               r.birth_place.strip(), r.birth_date, r.gender, r.phone, r.email, r.village_code,
               r.address_line.strip(), occupations[r.occupation_code], r.income_base_idr, r.has_jht, funding_source,
               MemberStatus.REGISTERED, channel, ecosystems[r.occupation_code], billing_start,
               settings.CONSENT_VERSION, now, r.language)
              for r, kpj in zip(rows, kpjs, strict=True)]
    member_ids = insert_rows(Member, fields, values, returning_pk=True, prepared=("phone",))
    audit_events_record_many(actor_id=actor_id, events=[
        ("member.registered", audit_type(Member), pk, {
            "nik": r.nik_masked, "kpj": kpj, "status": [None, MemberStatus.REGISTERED], "channel": channel,
            "programs": ["JKK", "JKM"] + (["JHT"] if r.has_jht else []), "income_base_idr": r.income_base_idr,
            **(audit_changes or {})}, "")
        for pk, kpj, r in zip(member_ids, kpjs, rows, strict=True)])
    notifications_enqueue_many(messages=[(Channel.SMS, r.phone, _(
        "Welcome to BPJS Ketenagakerjaan. Your participant number (KPJ) is %(kpj)s. "
        "Your protection starts once the first contribution is paid.") % {"kpj": kpj}, "registration")
        for kpj, r in zip(kpjs, rows, strict=True)])
    return list(zip(member_ids, kpjs, strict=True))


def _kpjs_fresh(count: int) -> list[str]:
    """`count` participant numbers no member has (checked in bulk; a clash with a registration committing at this
    very moment fails the caller's transaction, which can simply be run again)."""
    chosen: set[str] = set()
    while len(chosen) < count:
        candidates = {_kpj_candidate() for _ in range(count - len(chosen))} - chosen
        chosen |= candidates - set(Member.objects.filter(kpj__in=candidates).values_list("kpj", flat=True))
    return sorted(chosen)


def sponsorship_create(*, sponsor: Sponsor, member: Member, relationship: str,
                       confirmed_at: dt.datetime | None = None) -> Sponsorship:
    """One sponsorship (a sponsor registering a worker: confirmed at once). For a set: sponsorships_create_many."""
    return Sponsorship.objects.create(sponsor=sponsor, member=member, relationship=relationship,
                                      confirmed_at=confirmed_at)


def sponsorship_request(*, sponsor: Sponsor, member: Member, relationship: str, body: str) -> Sponsorship:
    """A sponsor asks an existing member to accept it: the open sponsorship (a new one waits for the member's answer)
    and, while it is unanswered, member_invite's text. For a set: sponsorships_request_many."""
    request, _created = Sponsorship.objects.get_or_create(sponsor=sponsor, member=member, ended_at=None,
                                                          defaults={"relationship": relationship})
    if request.confirmed_at is None:
        member_invite(sender=sponsor.user, member=member, purpose="sponsorship", body=body)
    return request


def sponsorships_create_many(*, sponsor: Sponsor, member_ids: Sequence[int], relationship: str = "other",
                             confirmed_at: dt.datetime | None = None) -> None:
    """Sponsorships of many members by one sponsor, in one statement (a bulk import's new members, confirmed: the
    sponsor registered them, as sponsor_register_worker does for one)."""
    insert_rows(Sponsorship, ("sponsor", "member", "relationship", "confirmed_at"),
                [(sponsor.pk, pk, relationship, confirmed_at) for pk in member_ids])


def sponsorships_request_many(*, sponsor: Sponsor, members: Sequence[Member], body: str,
                              relationship: str = "other") -> None:
    """sponsorship_request for a set (a bulk file naming members), in a few statements: a sponsorship waiting for
    each member's answer, and member_invite's text at most once per sponsor, member and day. The members are ones
    without an open sponsorship from this sponsor (the caller's query leaves the others out)."""
    if not members:
        return
    Sponsorship.objects.bulk_create([Sponsorship(sponsor=sponsor, member=m, relationship=relationship)
                                     for m in members])
    today, sender = timezone.localdate(), sponsor.user_id
    invited = set(MemberInvitation.objects.filter(sender_id=sender, day=today, member__in=members)
                  .values_list("member_id", flat=True))
    members = [m for m in members if m.pk not in invited]
    MemberInvitation.objects.bulk_create([MemberInvitation(sender_id=sender, member=m, day=today) for m in members],
                                         ignore_conflicts=True)
    notifications_enqueue_many(messages=[(Channel.SMS, str(m.phone), body, "sponsorship") for m in members])


def partner_create(*, name: str, ecosystem: str = "ecommerce_umkm", actor: User | None) -> Partner:
    with transaction.atomic():
        user = User(username=f"partner-{secrets.token_hex(4)}", role=Role.PARTNER, first_name=name[:150])
        user.set_unusable_password()
        user.save()
        partner = Partner.objects.create(name=name, ecosystem_id=ecosystem, user=user)
        audit_event_record(actor=actor, action="partner.created", obj=partner, changes={"name": name})
        return partner


def partner_key_issue(
    *, partner, scopes: list[str], actor: User | None, plaintext: str | None = None
) -> tuple[PartnerKey, str]:
    """Returns the key object and the key itself, which is shown once and never stored.
    `plaintext` is only for the demo data's well-known key."""
    import hashlib

    unknown = set(scopes) - set(PartnerScope.values)
    if unknown:
        raise ValueError(f"unknown scopes: {sorted(unknown)}")
    prefix = plaintext.split("_")[1] if plaintext else secrets.token_hex(4)
    plaintext = plaintext or f"bpu_{prefix}_{secrets.token_urlsafe(32)}"
    key = PartnerKey.objects.create(partner=partner, prefix=prefix, scopes=sorted(scopes),
                                    key_hash=hashlib.sha256(plaintext.encode()).hexdigest())
    audit_event_record(actor=actor, action="partner_key.issued", obj=key, changes={"scopes": key.scopes})
    return key, plaintext


def partner_key_revoke(*, key_id: int, actor: User | None) -> None:
    with transaction.atomic():
        key = PartnerKey.objects.select_for_update().get(pk=key_id)
        if key.revoked_at is None:
            key.revoked_at = timezone.now()
            key.save(update_fields=["revoked_at"])
            audit_event_record(actor=actor, action="partner_key.revoked", obj=key)


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


def sponsor_become(*, user: User, name: str) -> Sponsor:
    """A signed-in citizen starts sponsoring workers (SERTAKAN)."""
    with transaction.atomic():
        sponsor, created = Sponsor.objects.get_or_create(user=user, defaults={"name": name.strip()[:120]})
        if created:
            audit_event_record(actor=user, action="sponsor.created", obj=sponsor, changes={"name": sponsor.name})
        return sponsor


def sponsorship_answer(*, sponsorship_id: int, member: Member, accept: bool) -> Sponsorship:
    """The member accepts or declines a sponsor; declining (or later ending) is the member taking over paying."""
    with transaction.atomic():
        sponsorship = Sponsorship.objects.select_for_update().get(pk=sponsorship_id, member=member)
        if sponsorship_status(sponsorship) == SponsorshipStatus.ENDED:
            return sponsorship
        sponsorship_transition(sponsorship=sponsorship, actor=member.user,
                               to=SponsorshipStatus.CONFIRMED if accept else SponsorshipStatus.ENDED)
        return sponsorship


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


def sponsor_message_preferences_update(
    *, sponsor: Sponsor, actor: User, notify_channel: str, email: str, language: str, reminders_opt_out: bool
) -> Sponsor:
    """A sponsor's channel, language and reminder choice. An organisation signs in with its email address, so that
    address is changed only through its account, never here."""
    if notify_channel not in Channel.values or language not in dict(settings.LANGUAGES):
        raise ValueError("unknown channel or language")
    with transaction.atomic():
        sponsor = Sponsor.objects.select_for_update().select_related("user").get(pk=sponsor.pk)
        user = sponsor.user
        before = {"notify_channel": sponsor.notify_channel, "language": user.language,
                  "reminders_opt_out": sponsor.reminders_opt_out}
        sponsor.notify_channel, sponsor.reminders_opt_out = notify_channel, reminders_opt_out
        sponsor.save(update_fields=["notify_channel", "reminders_opt_out"])
        user.language = language
        if sponsor.kind != Sponsor.Kind.ORGANISATION:
            user.email = email
        user.save(update_fields=["language", "email"])
        after = {"notify_channel": notify_channel, "language": language, "reminders_opt_out": reminders_opt_out}
        audit_event_record(actor=actor, action="sponsor.message_preferences", obj=sponsor,
                           changes={k: [before[k], after[k]] for k in after if before[k] != after[k]})
    return sponsor
