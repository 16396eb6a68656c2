"""Auto-debit mandates: consent recorded, one live mandate per member, revocation and suspension."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from contributions.locks import mandate_lock, members_lock
from contributions.models import DebitMandate, MandateStatus
from contributions.providers import get_debit_provider
from contributions.services.autodebit.common import (
    PAYABLE,
    MandateRefused,
    _contact,
    _skip_waiting,
)
from contributions.transitions import MANDATE, debit_mandate_status_transition
from core.models import User
from core.money import format_idr
from core.services import audit_event_record, notification_enqueue
from members.models import Member


def debit_mandate_create(*, payer: User, member: Member, method: str, issuer: str, account: str,
                         max_amount_idr: int, consent_ip: str | None, consent_version: str | None = None,
                         provider_name: str = "simulator") -> DebitMandate:
    """Records the payer's consent and registers the mandate with the provider. One live mandate per member."""
    if member.status not in PAYABLE:
        raise MandateRefused("member_not_payable", _("This membership is not active; it must be reactivated first."))
    if max_amount_idr <= 0:
        raise ValueError("max_amount_idr must be positive")
    provider = get_debit_provider(provider_name)
    with transaction.atomic():
        members_lock(member_ids=[member.pk])  # one creation per member at a time
        if DebitMandate.objects.filter(member=member).exclude(status=MandateStatus.REVOKED).exists():
            raise MandateRefused("mandate_exists", _("This membership already has an auto-debit. Revoke it first."))
        issued = provider.mandate_create(method=method, issuer=issuer, account=account,
                                         max_amount_idr=max_amount_idr)
        mandate = DebitMandate.objects.create(
            payer=payer, member=member, method=method, issuer=issuer, account_masked=issued.account_masked,
            provider=provider.name, provider_reference=issued.reference, max_amount_idr=max_amount_idr,
            consent_version=consent_version or settings.AUTODEBIT_CONSENT_VERSION, consented_at=timezone.now(),
            consent_ip=consent_ip or None)
        audit_event_record(actor=payer, action="debit_mandate.created", obj=mandate, ip_address=consent_ip or None,
                           changes={"member": member.kpj, "method": method, "issuer": issuer,
                                    "account": issued.account_masked, "max_amount_idr": max_amount_idr,
                                    "consent_version": mandate.consent_version})
        contact = _contact(payer)
        if contact:
            with override(payer.language):
                body = _("Auto-debit is set up: %(issuer)s %(account)s will pay the contributions of KPJ %(kpj)s, "
                         "at most %(max)s a month. You can revoke it at any time on your page.") % {
                    "issuer": issuer, "account": issued.account_masked, "kpj": member.kpj,
                    "max": format_idr(max_amount_idr)}
            notification_enqueue(channel=contact[0], recipient=contact[1], body=body, purpose="autodebit")
    return mandate


def debit_mandate_transition(*, mandate_id: int, to: str, actor: User | None, reason: str = "") -> DebitMandate:
    """The one way a single mandate changes status: provider told on revocation, waiting tries cancelled, audit."""
    with transaction.atomic():
        mandate = mandate_lock(mandate_id=mandate_id)  # its waiting attempts first, as the run takes them
        before = mandate.status
        if before == to:
            return mandate
        if not MANDATE.allows(before, to):
            raise MandateRefused("transition", f"mandate {mandate_id}: {before} -> {to}")
        now = timezone.now()
        if to == MandateStatus.REVOKED:
            get_debit_provider(mandate.provider).mandate_revoke(reference=mandate.provider_reference)
            mandate.revoked_at = now
        else:
            mandate.suspended_at = now
        debit_mandate_status_transition(mandate_id=mandate_id, to=to, actor=actor, reason=reason,
                                        revoked_at=mandate.revoked_at, suspended_at=mandate.suspended_at)
        mandate.status = to
        _skip_waiting(mandate_ids=[mandate_id], outcome=f"mandate_{to}", now=now)
    return mandate


def debit_mandate_revoke(*, mandate: DebitMandate, actor: User | None, reason: str = "") -> DebitMandate:
    return debit_mandate_transition(mandate_id=mandate.pk, to=MandateStatus.REVOKED, actor=actor, reason=reason)
