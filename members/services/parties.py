"""The parties around members: sponsors and sponsorships (one and many), partners and their API keys."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.choices import FundingSource
from core.models import Channel, Role, User
from core.services import (
    audit_event_record,
    key_user_create,
    notifications_enqueue_many,
    user_contact_update,
)
from core.sql import insert_rows
from members.models import (
    Member,
    MemberInvitation,
    Partner,
    PartnerKey,
    PartnerScope,
    Sponsor,
    Sponsorship,
)
from members.selectors import partner_key_digest
from members.services.accounts import member_invite
from members.transitions import SponsorshipStatus, sponsorship_status, sponsorship_transition


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
        user = key_user_create(role=Role.PARTNER, name=name)
        partner = Partner.objects.create(name=name, ecosystem_id=ecosystem, user=user)
        audit_event_record(actor=actor, action="partner.created", obj=partner, changes={"name": name})
        return partner


def partner_key_issue(
    *, partner, scopes: list[str], actor: User | None, plaintext: str | None = None
) -> tuple[PartnerKey, str]:
    """Returns the key object and the key itself, which is shown once and never stored.
    `plaintext` is only for the demo data's well-known key."""
    unknown = set(scopes) - set(PartnerScope.values)
    if unknown:
        raise ValueError(f"unknown scopes: {sorted(unknown)}")
    prefix = plaintext.split("_")[1] if plaintext else secrets.token_hex(4)
    plaintext = plaintext or f"bpu_{prefix}_{secrets.token_urlsafe(32)}"
    key = PartnerKey.objects.create(partner=partner, prefix=prefix, scopes=sorted(scopes),
                                    key_hash=partner_key_digest(plaintext=plaintext))
    audit_event_record(actor=actor, action="partner_key.issued", obj=key, changes={"scopes": key.scopes})
    return key, plaintext


def partner_key_revoke(*, key_id: int, actor: User | None) -> None:
    with transaction.atomic():
        key = PartnerKey.objects.select_for_update().get(pk=key_id)
        if key.revoked_at is None:
            key.revoked_at = timezone.now()
            key.save(update_fields=["revoked_at"])
            audit_event_record(actor=actor, action="partner_key.revoked", obj=key)


def partner_key_used(*, key_id: int) -> None:
    """When a key was last used (each authenticated request; no audit event: the request log has it)."""
    PartnerKey.objects.filter(pk=key_id).update(last_used_at=timezone.now())


def sponsor_become(*, user: User, name: str) -> Sponsor:
    """A signed-in citizen starts sponsoring workers (SERTAKAN)."""
    with transaction.atomic():
        sponsor, created = Sponsor.objects.get_or_create(user=user, defaults={"name": name.strip()[:120]})
        if created:
            audit_event_record(actor=user, action="sponsor.created", obj=sponsor, changes={"name": sponsor.name})
        return sponsor


def organisation_sponsor_create(*, user: User, name: str, ip_address: str | None = None) -> Sponsor:
    """The sponsor of an organisation that has just signed up (in the caller's transaction, with its account)."""
    sponsor = Sponsor.objects.create(user=user, kind=Sponsor.Kind.ORGANISATION, name=name.strip()[:120])
    audit_event_record(actor=user, action="sponsor.created", obj=sponsor,
                       changes={"name": sponsor.name, "kind": sponsor.kind}, ip_address=ip_address)
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


def member_funding_follow(*, member: Member, actor: User | None) -> tuple[str, str]:
    """The member's funding source follows who pays now: the sponsor of the latest confirmed, open sponsorship (its
    funding: a donor, or the state or regional budget), else the member. PP 50/2025 art. 3 leaves JKK/JKM paid from
    APBN/APBD out of its discount, so billing reads this. Returns (before, after); audited when it changes."""
    payer = (Sponsorship.objects.filter(member=member, confirmed_at__isnull=False, ended_at__isnull=True)
             .select_related("sponsor").order_by("-confirmed_at", "-pk").first())
    after = payer.sponsor.funding_source if payer else FundingSource.SELF
    before = member.funding_source
    if after != before:
        Member.objects.filter(pk=member.pk).update(funding_source=after)
        member.funding_source = after
        audit_event_record(actor=actor, action="member.funding_changed", obj=member,
                           changes={"funding_source": [before, after],
                                    "sponsor": payer.sponsor_id if payer else None})
    return before, after


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
        user_contact_update(user=user, language=language,
                            email=None if sponsor.kind == Sponsor.Kind.ORGANISATION else email)
        after = {"notify_channel": notify_channel, "language": language, "reminders_opt_out": reminders_opt_out}
        audit_event_record(actor=actor, action="sponsor.message_preferences", obj=sponsor,
                           changes={k: [before[k], after[k]] for k in after if before[k] != after[k]})
    return sponsor
