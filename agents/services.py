"""Perisai agents' flows: registering a trader in the field (the same checks as self-registration)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core.services import audit_event_record
from enrollment.services import member_register, on_behalf_checks
from members.models import Agent, Member, RegistrationChannel
from members.services import (
    RegistrationData,
    member_invite,
    worker_account_for_phone,
)


def agent_register_trader(*, agent: Agent, data: RegistrationData, ip_address: str | None = None
                          ) -> Member | None:
    """A Perisai agent registers a trader in the field: the same checks as self-registration. A NIK that is already
    a member's registers nothing and returns None; the member gets a text (once per agent and member a day) and the
    agent's page answers as for a new trader, so an agent cannot test NIKs."""
    if agent.status != Agent.Status.ACTIVE:
        raise ValidationError({"__all__": [_("Your agent account is inactive. Please contact your branch.")]})
    with transaction.atomic():
        existing = on_behalf_checks(data=data, actor=agent.user)
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
