"""SERTAKAN: a sponsor registers a worker near them and pays for them (or, for an existing member, asks to)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from contributions.services.billing import bills_reprice_for_payer
from core.models import Channel
from core.services import audit_event_record, notification_enqueue
from enrollment.services import member_register, on_behalf_checks
from members.models import Member, RegistrationChannel, Sponsor, Sponsorship
from members.services import (
    RegistrationData,
    member_funding_follow,
    sponsorship_answer,
    sponsorship_create,
    sponsorship_request,
    worker_account_for_phone,
)


def sponsor_register_worker(
    *, sponsor: Sponsor, data: RegistrationData, relationship: str, ip_address: str | None = None
) -> Member | None:
    """Registers a worker near the sponsor, paid by the sponsor (funding: the sponsor's, so a local government's
    worker is budget-paid and gets no PP 50/2025 discount), and returns the member. If the
    NIK is already a member's, nothing is registered or revealed and None is returned: the member is asked to accept
    the sponsor (one text per sponsor and member a day). The sponsor's page answers the same in both cases."""
    with transaction.atomic():
        existing = on_behalf_checks(data=data, actor=sponsor.user)
        if existing is not None:
            sponsorship_request(sponsor=sponsor, member=existing, relationship=relationship, body=_(
                "%(name)s would like to pay your BPJS Ketenagakerjaan contributions. Sign in to the BPU portal "
                "to accept or decline.") % {"name": sponsor.name})
            audit_event_record(actor=sponsor.user, action="sponsorship.requested", obj=existing,
                               changes={"sponsor": sponsor.pk}, ip_address=ip_address)
            return None
        user = worker_account_for_phone(phone=data.phone, actor=sponsor.user)
        member = member_register(data=data, user=user, actor=sponsor.user, channel=RegistrationChannel.SPONSOR,
                                 funding_source=sponsor.funding_source, ip_address=ip_address)
        sponsorship_create(sponsor=sponsor, member=member, relationship=relationship, confirmed_at=timezone.now())
        notification_enqueue(
            channel=Channel.SMS, recipient=str(member.phone), purpose="sponsorship",
            body=_("%(name)s registered you for BPJS Ketenagakerjaan protection and pays for it. Sign in to the "
                   "BPU portal with this number to see your card.") % {"name": sponsor.name},
        )
        return member


def sponsorship_respond(*, sponsorship_id: int, member: Member, accept: bool) -> Sponsorship:
    """The member accepts or declines a sponsor (or stops one): who pays changes, so the member's funding follows
    the payer and the open bills are priced for that payer (a budget-paid month has no PP 50/2025 discount)."""
    with transaction.atomic():
        sponsorship = sponsorship_answer(sponsorship_id=sponsorship_id, member=member, accept=accept)
        before, after = member_funding_follow(member=member, actor=member.user)
        if before != after:
            bills_reprice_for_payer(member_id=member.pk, actor=member.user,
                                    reason=f"payer changed: {before} -> {after}")
        return sponsorship

