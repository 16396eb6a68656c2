"""Registration flows: one member registered and billed (self, API, partners, and the channels: sponsors.services,
agents.services), and the checks every registration on someone's behalf makes first. The member row is
members.services.member_create; the first bill is raised here, in the same transaction, so the member layer never
reaches up into contributions."""

from __future__ import annotations

import datetime as dt
from typing import cast

from django.core.exceptions import ValidationError
from django.db import transaction

from contributions.services.billing import bill_for_month
from core.choices import FundingSource
from core.models import User
from core.nik import nik_blind_index, nik_check
from members.models import Agent, Member, Partner, RegistrationChannel
from members.services import (
    RegistrationData,
    member_create,
    registration_validate,
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
