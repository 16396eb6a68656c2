"""What every claims service shares: who may act on a claim, the one status transition, the claimant's messages,
claim numbers, and whether the documents are complete (the service-level clock)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from claims.documents import required_kinds
from claims.models import Claim, ClaimDocument, ClaimNumberCounter, ClaimStatus, DocumentStatus
from claims.transitions import claim_status_transition
from core.models import Channel, Role, User
from core.money import format_idr
from core.services import notification_enqueue

STAFF = (Role.BRANCH_STAFF, Role.SUPERVISOR, Role.ADMIN)
DECIDERS = (Role.SUPERVISOR, Role.ADMIN)
# The statuses the claimant is told about (verified is internal: to them the claim is still being checked).
NOTIFIED = frozenset({ClaimStatus.SUBMITTED, ClaimStatus.VERIFYING, ClaimStatus.MORE_DOCUMENTS,
                      ClaimStatus.APPROVED, ClaimStatus.PAID, ClaimStatus.REJECTED})


def claim_number_next(*, today: dt.date | None = None) -> str:
    """KLM-2026-0000123: the year's counter, incremented by one UPDATE that holds the row until commit, so two
    filings at once never share a number (gaps are possible when a filing rolls back)."""
    year = (today or timezone.localdate()).year
    if not ClaimNumberCounter.objects.filter(year=year).update(last=F("last") + 1):
        try:
            with transaction.atomic():
                ClaimNumberCounter.objects.create(year=year, last=1)
        except IntegrityError:  # another filing created the year's row first
            ClaimNumberCounter.objects.filter(year=year).update(last=F("last") + 1)
    last = ClaimNumberCounter.objects.values_list("last", flat=True).get(year=year)
    return f"KLM-{year}-{last:07d}"


def staff_check(*, claim: Claim, staff: User, roles: Sequence[str] = STAFF) -> None:
    """Staff act only on their branch's claims (admins on all) and only in the roles the action allows."""
    if not staff.is_active or staff.role not in roles:
        raise PermissionDenied(_("Your role may not do this."))
    if staff.role == Role.ADMIN:
        return
    branch_id = getattr(getattr(staff, "staff_branch", None), "branch_id", None)
    if branch_id is None or branch_id != claim.branch_id:
        raise PermissionDenied(_("This claim belongs to another branch."))


def claim_transition(*, claim: Claim, to: str, actor: User | None, reason: str = "", changes: dict | None = None,
                     message: Callable[[], str] | None = None, ip_address: str | None = None) -> Claim:
    """The one way `status` changes: the gate (claims.transitions: checked against CLAIM_TRANSITIONS, audited: who,
    from, to, why) and, for a status the claimant sees, a message to them. The caller holds the row lock
    (claim_lock) and saves other fields it changed itself; `message` makes extra text for the claimant (what is
    missing, the reason), called in the claimant's language."""
    claim_status_transition(claim=claim, to=to, actor=actor, reason=reason, changes=changes, ip_address=ip_address)
    if to in NOTIFIED:
        claimant_notify(claim=claim, status=to, extra=message)
    return claim


def _status_text(claim: Claim, status: str) -> str:
    number = claim.number
    if status == ClaimStatus.SUBMITTED:
        return _("BPJS Ketenagakerjaan: your claim %(number)s was received. We will tell you each step.") % {
            "number": number}
    if status == ClaimStatus.VERIFYING:
        return _("BPJS Ketenagakerjaan: your claim %(number)s is being checked.") % {"number": number}
    if status == ClaimStatus.MORE_DOCUMENTS:
        return _("BPJS Ketenagakerjaan: your claim %(number)s needs more documents.") % {"number": number}
    if status == ClaimStatus.APPROVED:
        return _("BPJS Ketenagakerjaan: your claim %(number)s was approved: %(amount)s will be transferred.") % {
            "number": number, "amount": format_idr((claim.benefit_idr or 0) + (claim.refund_idr or 0))}
    if status == ClaimStatus.PAID:
        return _("BPJS Ketenagakerjaan: the benefit of claim %(number)s was transferred to %(bank)s %(account)s.") % {
            "number": number, "bank": claim.bank_name, "account": claim.account_number_masked}
    return _("BPJS Ketenagakerjaan: your claim %(number)s was rejected.") % {"number": number}


def claimant_notify(*, claim: Claim, status: str, extra: Callable[[], str] | None = None) -> None:
    """An SMS to the phone the claimant signed in with, in their language; written to the outbox in this
    transaction and delivered after commit."""

    def body() -> str:
        text = _status_text(claim, status)
        return f"{text} {extra()}" if extra is not None else text

    claimant_message(claim=claim, body=body, purpose=f"claim.{status}")


def claimant_message(*, claim: Claim, body: Callable[[], str], purpose: str) -> None:
    """`body()` made in the claimant's language and sent by SMS to their phone (an heir's own, never the deceased's)
    through the outbox, in the caller's transaction."""
    claimant = claim.claimant
    own = claim.member.user_id == claimant.pk  # an heir is never texted on the deceased's phone
    phone = str(claimant.phone) if claimant.phone else claim.heir_phone or (claim.member.phone if own else "")
    if not phone:
        return
    with translation.override(claimant.language or "id"):
        text = body()
    notification_enqueue(channel=Channel.SMS, recipient=phone, body=text[:1000], purpose=purpose)


def latest_documents(claim: Claim) -> dict[str, ClaimDocument]:
    """The latest document of each kind (one query): a replacement is a new row and the latest one counts."""
    latest: dict[str, ClaimDocument] = {}
    # A later school year's certificate belongs to that year's scholarship payment, not to the claim's checklist.
    for document in (ClaimDocument.objects.filter(claim=claim, scholarship_payment__isnull=True)
                     .order_by("uploaded_at", "id")):
        latest[document.kind] = document
    return latest


def requested_kinds(claim: Claim) -> tuple[list[str], dt.datetime | None]:
    """What staff asked for in the open request for more documents, and when (details["requested"])."""
    request = claim.details.get("requested") or {}
    at = dt.datetime.fromisoformat(request["at"]) if request.get("at") else None
    return list(request.get("kinds", [])), at


def documents_missing(claim: Claim, latest: dict[str, ClaimDocument] | None = None) -> list[str]:
    """Kinds still needed: a required item with no document or only an invalid one, and an item staff asked for
    with nothing uploaded since they asked."""
    latest = latest_documents(claim) if latest is None else latest
    missing = [kind for kind in required_kinds(claim)
               if kind not in latest or latest[kind].status == DocumentStatus.INVALID]
    kinds, at = requested_kinds(claim)
    for kind in kinds:
        document = latest.get(kind)
        fresh = document is not None and (at is None or document.uploaded_at >= at)
        if kind not in missing and (document is None or not fresh or document.status == DocumentStatus.INVALID):
            missing.append(kind)
    return missing


def documents_complete_refresh(*, claim: Claim, latest: dict[str, ClaimDocument] | None = None) -> bool:
    """Sets `documents_complete_at` when nothing is missing (the SLA clock starts) and clears it when something is
    missing again (the clock stops; the next completion starts it afresh). Returns whether complete."""
    complete = not documents_missing(claim, latest)
    if complete and claim.documents_complete_at is None:
        claim.documents_complete_at = timezone.now()
    elif not complete and claim.documents_complete_at is not None:
        claim.documents_complete_at = None
    else:
        return complete
    claim.save(update_fields=["documents_complete_at", "updated_at"])
    return complete
