"""Registering members: the answers checked (identity, age, NIK not taken), one member (member_create) and many at once
(members_create_many, its set-based twin), each with a KPJ, an audit event and a welcome text."""

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
from core.models import Channel, User
from core.nik import nik_blind_index, nik_check, nik_encrypt, nik_mask
from core.services import (
    audit_event_record,
    audit_events_record_many,
    audit_type,
    notification_enqueue,
    notifications_enqueue_many,
)
from core.sql import insert_rows
from members.assignment import ecosystem_for
from members.models import (
    Agent,
    Member,
    MemberStatus,
    Occupation,
    Partner,
    RegistrationChannel,
    Sponsor,
)
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
    today: dt.date | None = None, about_worker: bool = False,
) -> tuple[dict[str, list[str]], list[str]]:
    """Field errors and warnings for the identity answers; shared by the web steps, the API and registration.
    `about_worker`: someone registers the worker (a sponsor, an agent, a bulk file), so the messages say "the
    worker", never "you"."""
    errors: dict[str, list[str]] = {}
    check = nik_check(nik, birth_date=birth_date, gender=gender)
    if check.errors:
        errors["nik"] = check.errors
    elif check_registered and nik_is_registered(check.nik or ""):
        errors["nik"] = [
            _("This NIK is already registered.") if about_worker else
            _("This NIK is already registered. If it is yours, sign in with the phone number used to register it.")
        ]
    if birth_date:
        age = age_on(birth_date, today or timezone.localdate())
        if age < settings.BPU_MIN_AGE:
            errors.setdefault("birth_date", []).append(
                (_("The worker must be at least %(age)s years old to be registered.") if about_worker
                 else _("You must be at least %(age)s years old to register.")) % {"age": settings.BPU_MIN_AGE}
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
