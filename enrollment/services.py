"""Registration flows: one member registered and billed (self, API, partners), a sponsor's or an agent's
registration of a worker. The member row is members.services.member_create; the first bill is raised here, in
the same transaction, so the member layer never reaches up into contributions."""

from __future__ import annotations

import datetime as dt
from typing import cast

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from contributions.services.billing import bill_for_month
from core.choices import FundingSource
from core.models import Channel, User
from core.nik import nik_blind_index, nik_check
from core.services import audit_event_record, notification_enqueue
from members.models import Agent, Member, Partner, RegistrationChannel, Sponsor
from members.services import (
    RegistrationData,
    member_create,
    registration_validate,
    sponsorship_create,
    sponsorship_request,
    worker_account_for_phone,
    worker_phone_check,
)


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
    """Registers a member (members.services.member_create) and raises the first bill, in one transaction.

    Raises ValidationError with field errors; nothing is saved then.
    """
    with transaction.atomic():
        member = member_create(data=data, user=user, actor=actor, channel=channel, funding_source=funding_source,
                               ip_address=ip_address, partner=partner, agent=agent)
        bill_for_month(member=member, month=cast(dt.date, member.billing_start))  # set by member_create
        return member


def on_behalf_checks(*, data: RegistrationData, actor: User) -> Member | None:
    """Everything about the answers is checked first, the same way whether or not the NIK is a member's; then the
    existing member, if any (decisions.md, R: the person registering learns nothing from the answer)."""
    errors, _village, _occupation = registration_validate(data, check_registered=False)
    try:
        worker_phone_check(phone=data.phone, actor=actor)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    digits = nik_check(data.nik).nik or ""
    return Member.objects.filter(nik_index=nik_blind_index(digits)).first()


def sponsor_register_worker(
    *, sponsor: Sponsor, data: RegistrationData, relationship: str, ip_address: str | None = None
) -> Member | None:
    """Registers a worker near the sponsor, paid by the sponsor (funding: donor), and returns the member. If the
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
                                 funding_source=FundingSource.DONOR, ip_address=ip_address)
        sponsorship_create(sponsor=sponsor, member=member, relationship=relationship, confirmed_at=timezone.now())
        notification_enqueue(
            channel=Channel.SMS, recipient=str(member.phone), purpose="sponsorship",
            body=_("%(name)s registered you for BPJS Ketenagakerjaan protection and pays for it. Sign in to the "
                   "BPU portal with this number to see your card.") % {"name": sponsor.name},
        )
        return member


