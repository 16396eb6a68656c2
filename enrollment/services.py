"""Every write about members: registration and status changes."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from contributions.tariffs import income_bases
from core.choices import FundingSource
from core.models import Channel, User
from core.nik import nik_blind_index, nik_check, nik_encrypt, nik_mask
from core.services import (
    PhoneSignInRefused,
    audit_event_record,
    audit_events_record_many,
    audit_type,
    notification_enqueue,
    phone_user_get_or_create,
    rate_limit_hit,
)
from core.sql import chunks, placeholders
from ecosystems.services.assignment import ecosystem_for
from members.models import (
    Agent,
    Member,
    MemberInvitation,
    MemberStatus,
    Occupation,
    Partner,
    PartnerKey,
    RegistrationChannel,
    Sponsor,
    Sponsorship,
)
from reference.models import Program, Region, RegionLevel


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


def _validate(data: RegistrationData, *, check_registered: bool = True,
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


def member_register(
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

    Raises ValidationError with field errors; nothing is saved then.
    """
    errors, village, occupation = _validate(data)
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
                    village=village,
                    address_line=data.address_line.strip(),
                    occupation=occupation,
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
                from contributions.services.billing import bill_for_month

                bill_for_month(member=member, month=member.billing_start)
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


# Allowed status changes, written once. Payments and lapses (contributions) call the transition.
MEMBER_TRANSITIONS: dict[str, set[str]] = {
    MemberStatus.REGISTERED: {MemberStatus.ACTIVE, MemberStatus.LAPSED, MemberStatus.CLOSED},
    MemberStatus.ACTIVE: {MemberStatus.LAPSED, MemberStatus.CLOSED},
    MemberStatus.LAPSED: {MemberStatus.ACTIVE, MemberStatus.CLOSED},
    MemberStatus.CLOSED: set(),
}
TRANSITION_TABLES = {"members.Member.status": MEMBER_TRANSITIONS}  # for docs/states.md


class TransitionNotAllowed(Exception):
    pass


def member_status_transition(*, member_id: int, to: str, actor: User | None, reason: str) -> Member:
    with transaction.atomic():
        member = Member.objects.select_for_update().get(pk=member_id)
        return member_status_transition_locked(member=member, to=to, actor=actor, reason=reason)


def member_status_transition_locked(*, member: Member, to: str, actor: User | None, reason: str) -> Member:
    """For a caller that already holds the member's row lock inside its transaction (payment confirmation)."""
    member_statuses_transition_locked(members=[(member.pk, member.status)], to=to, actor=actor, reason=reason)
    member.status = to
    return member


def member_statuses_transition_locked(*, members: list[tuple[int, str]], to: str, actor: User | None,
                                      reason: str, audit_into: list | None = None) -> None:
    """member_status_transition_locked for many rows at once: (member pk, current status) pairs whose rows the
    caller holds locked; one UPDATE and one audit INSERT, or, with audit_into, the audit events appended there for
    a caller that writes them with its own in the same transaction (audit_events_record_many)."""
    changing = [(pk, before) for pk, before in members if before != to]
    for pk, before in changing:
        if to not in MEMBER_TRANSITIONS[before]:
            raise TransitionNotAllowed(f"member {pk}: {before} -> {to}")
    if not changing:
        return
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:  # by hand: the payment webhook's hot path (see core.sql)
        for some in chunks(changing):
            cursor.execute(f"UPDATE {Member._meta.db_table} SET status = %s, updated_at = %s "  # noqa: S608
                           f"WHERE id IN ({placeholders(len(some))})", [to, now, *(pk for pk, _b in some)])
    events = [("member.status_changed", audit_type(Member), pk, {"status": [before, to]}, reason)
              for pk, before in changing]
    if audit_into is not None:
        audit_into += events
    else:
        audit_events_record_many(actor_id=actor.pk if actor is not None else None, events=events)


def partner_create(*, name: str, ecosystem: str = "ecommerce_umkm", actor: User | None) -> Partner:
    from core.models import Role

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

    from members.models import PartnerScope

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


def _on_behalf_checks(*, data: RegistrationData, actor: User) -> Member | None:
    """Everything about the answers is checked first, the same way whether or not the NIK is a member's; then the
    existing member, if any (decisions.md, R: the person registering learns nothing from the answer)."""
    errors, _village, _occupation = _validate(data, check_registered=False)
    try:
        worker_phone_check(phone=data.phone, actor=actor)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    digits = nik_check(data.nik).nik or ""
    return Member.objects.filter(nik_index=nik_blind_index(digits)).first()


def sponsor_become(*, user: User, name: str) -> Sponsor:
    """A signed-in citizen starts sponsoring workers (SERTAKAN)."""
    with transaction.atomic():
        sponsor, created = Sponsor.objects.get_or_create(user=user, defaults={"name": name.strip()[:120]})
        if created:
            audit_event_record(actor=user, action="sponsor.created", obj=sponsor, changes={"name": sponsor.name})
        return sponsor


def sponsor_register_worker(
    *, sponsor: Sponsor, data: RegistrationData, relationship: str, ip_address: str | None = None
) -> Member | None:
    """Registers a worker near the sponsor, paid by the sponsor (funding: donor), and returns the member. If the
    NIK is already a member's, nothing is registered or revealed and None is returned: the member is asked to accept
    the sponsor (one text per sponsor and member a day). The sponsor's page answers the same in both cases."""
    with transaction.atomic():
        existing = _on_behalf_checks(data=data, actor=sponsor.user)
        if existing is not None:
            request, _created = Sponsorship.objects.get_or_create(sponsor=sponsor, member=existing, ended_at=None,
                                                                  defaults={"relationship": relationship})
            audit_event_record(actor=sponsor.user, action="sponsorship.requested", obj=existing,
                               changes={"sponsor": sponsor.pk}, ip_address=ip_address)
            if request.confirmed_at is None:
                member_invite(sender=sponsor.user, member=existing, purpose="sponsorship", body=_(
                    "%(name)s would like to pay your BPJS Ketenagakerjaan contributions. Sign in to the BPU portal "
                    "to accept or decline.") % {"name": sponsor.name})
            return None
        user = worker_account_for_phone(phone=data.phone, actor=sponsor.user)
        member = member_register(data=data, user=user, actor=sponsor.user, channel=RegistrationChannel.SPONSOR,
                                 funding_source=FundingSource.DONOR, ip_address=ip_address)
        Sponsorship.objects.create(sponsor=sponsor, member=member, relationship=relationship,
                                   confirmed_at=timezone.now())
        notification_enqueue(
            channel=Channel.SMS, recipient=str(member.phone), purpose="sponsorship",
            body=_("%(name)s registered you for BPJS Ketenagakerjaan protection and pays for it. Sign in to the "
                   "BPU portal with this number to see your card.") % {"name": sponsor.name},
        )
        return member


def sponsorship_answer(*, sponsorship_id: int, member: Member, accept: bool) -> Sponsorship:
    """The member accepts or declines a sponsor; declining (or later ending) is the member taking over paying."""
    with transaction.atomic():
        sponsorship = Sponsorship.objects.select_for_update().get(pk=sponsorship_id, member=member)
        if sponsorship.ended_at is not None:
            return sponsorship
        if accept and sponsorship.confirmed_at is None:
            sponsorship.confirmed_at = timezone.now()
            sponsorship.save(update_fields=["confirmed_at"])
        elif not accept:
            sponsorship.ended_at = timezone.now()
            sponsorship.save(update_fields=["ended_at"])
        audit_event_record(actor=member.user, action="sponsorship.accepted" if accept else "sponsorship.ended",
                           obj=sponsorship, changes={"sponsor": sponsorship.sponsor_id, "member": member.kpj})
        return sponsorship


def agent_register_trader(*, agent: Agent, data: RegistrationData, ip_address: str | None = None
                          ) -> Member | None:
    """A Perisai agent registers a trader in the field: the same checks as self-registration. A NIK that is already
    a member's registers nothing and returns None; the member gets a text (once per agent and member a day) and the
    agent's page answers as for a new trader, so an agent cannot test NIKs."""
    if agent.status != Agent.Status.ACTIVE:
        raise ValidationError({"__all__": [_("Your agent account is inactive. Please contact your branch.")]})
    with transaction.atomic():
        existing = _on_behalf_checks(data=data, actor=agent.user)
        if existing is not None:
            audit_event_record(actor=agent.user, action="member.named_by_agent", obj=existing,
                               changes={"agent": agent.pk}, ip_address=ip_address)
            member_invite(sender=agent.user, member=existing, purpose="registration", body=_(
                "A Perisai agent of %(body)s tried to register you for BPJS Ketenagakerjaan, but you are already a "
                "member. Your participant number (KPJ) is on your card; sign in to the BPU portal to see it.")
                % {"body": agent.body.name})
            return None
        user = worker_account_for_phone(phone=data.phone, actor=agent.user)
        return member_register(data=data, user=user, actor=agent.user, channel=RegistrationChannel.AGENT,
                               ip_address=ip_address, agent=agent)


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
