"""The status fields of claims (claim, document): each one's allowed moves, written once, and the only statements
that change them (core.transitions). The claimant's messages are the services' (claims.services.common)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from claims.models import (
    Claim,
    ClaimDocument,
    ClaimStatus,
    DocumentStatus,
    ScholarshipChild,
    ScholarshipChildStatus,
    ScholarshipPayment,
    ScholarshipPaymentStatus,
)
from core.models import User
from core.services import audit_event_record, audit_events_record_many, audit_type
from core.transitions import Gate, TransitionNotAllowed, transition_row, transition_where

CLAIM_TRANSITIONS: dict[str, frozenset[str]] = {
    ClaimStatus.SUBMITTED: frozenset({ClaimStatus.VERIFYING, ClaimStatus.MORE_DOCUMENTS, ClaimStatus.REJECTED}),
    ClaimStatus.VERIFYING: frozenset({ClaimStatus.MORE_DOCUMENTS, ClaimStatus.VERIFIED, ClaimStatus.REJECTED}),
    ClaimStatus.MORE_DOCUMENTS: frozenset({ClaimStatus.VERIFYING, ClaimStatus.REJECTED}),
    ClaimStatus.VERIFIED: frozenset({ClaimStatus.APPROVED, ClaimStatus.REJECTED, ClaimStatus.VERIFYING}),
    ClaimStatus.APPROVED: frozenset({ClaimStatus.PAID}),
    ClaimStatus.PAID: frozenset(),
    ClaimStatus.REJECTED: frozenset(),
}
# A document is checked and may be checked again (another note, another reviewer, or the other verdict).
DOCUMENT_TRANSITIONS: dict[str, frozenset[str]] = {
    DocumentStatus.PENDING: frozenset({DocumentStatus.VALID, DocumentStatus.INVALID}),
    DocumentStatus.VALID: frozenset({DocumentStatus.VALID, DocumentStatus.INVALID}),
    DocumentStatus.INVALID: frozenset({DocumentStatus.VALID, DocumentStatus.INVALID}),
}

# A school year's scholarship: sent with a certificate, released when it is valid or refused (the heir may send
# another), then paid. The first year is created paid, with the claim's payout.
SCHOLARSHIP_PAYMENT_TRANSITIONS: dict[str, frozenset[str]] = {
    ScholarshipPaymentStatus.SUBMITTED: frozenset({ScholarshipPaymentStatus.RELEASED,
                                                   ScholarshipPaymentStatus.REFUSED}),
    ScholarshipPaymentStatus.RELEASED: frozenset({ScholarshipPaymentStatus.PAID}),
    ScholarshipPaymentStatus.PAID: frozenset(),
    ScholarshipPaymentStatus.REFUSED: frozenset(),
}
# A child's scholarship ends once (age, marriage, work, every level or the total paid), never to start again.
SCHOLARSHIP_CHILD_TRANSITIONS: dict[str, frozenset[str]] = {
    ScholarshipChildStatus.ACTIVE: frozenset({ScholarshipChildStatus.ENDED}),
    ScholarshipChildStatus.ENDED: frozenset(),
}


class _ClaimGate(Gate):
    def change(self, before: str, to: str) -> dict:
        return {"from": before, "to": to}  # the claim history's shape since the first claim


CLAIM = _ClaimGate(Claim, CLAIM_TRANSITIONS, action="claim.status")
DOCUMENT = Gate(ClaimDocument, DOCUMENT_TRANSITIONS, action="claim.document_reviewed")
SCHOLARSHIP_PAYMENT = Gate(ScholarshipPayment, SCHOLARSHIP_PAYMENT_TRANSITIONS, action="scholarship.year_{to}")
SCHOLARSHIP_CHILD = Gate(ScholarshipChild, SCHOLARSHIP_CHILD_TRANSITIONS, action="scholarship.child_{to}")

# For docs/states.md (scripts/states_doc.py): every gate of this app.
TRANSITION_TABLES = {gate.label: gate.table for gate in (CLAIM, DOCUMENT, SCHOLARSHIP_PAYMENT, SCHOLARSHIP_CHILD)}


def scholarship_payment_transition(*, payment: ScholarshipPayment, to: str, actor: User, reason: str = "",
                                   changes: Mapping | None = None, **fields: Any) -> None:
    """Moves one school year's payment (locked, checked, updated WHERE status = before, audited) with `fields`."""
    now = timezone.now()
    before = transition_row(SCHOLARSHIP_PAYMENT, pk=payment.pk, to=to, actor=actor, reason=reason,
                            changes={"child": payment.child_id, "school_year": payment.school_year, **(changes or {})},
                            status_changed_at=now, **fields)
    if before is None:
        raise ValidationError(_("This school year was handled already."))
    payment.status, payment.status_changed_at = to, now
    for name, value in fields.items():
        setattr(payment, name, value)


def scholarship_child_transition(*, child: ScholarshipChild, to: str, actor: User | None, reason: str,
                                 end_reason: str) -> bool:
    """Ends a child's scholarship once (audited with the reason); False when it had ended already."""
    now = timezone.now()
    if transition_row(SCHOLARSHIP_CHILD, pk=child.pk, to=to, actor=actor, reason=reason,
                      changes={"end_reason": end_reason}, status_changed_at=now, end_reason=end_reason) is None:
        return False
    child.status, child.status_changed_at, child.end_reason = to, now, end_reason
    return True


def claim_status_transition(*, claim: Claim, to: str, actor: User | None, reason: str = "",
                            changes: Mapping | None = None, ip_address: str | None = None) -> str:
    """Moves a claim the caller holds locked (claim_lock) to `to`: checked against CLAIM_TRANSITIONS, updated WHERE
    status = before, audited (who, from, to, why). Returns the status it had; `claim` is updated in place."""
    before = claim.status
    if not CLAIM.allows(before, to):
        raise ValidationError(_("A claim that is “%(from)s” cannot become “%(to)s”.")
                              % {"from": ClaimStatus(before).label, "to": ClaimStatus(to).label})
    now = timezone.now()
    if not Claim.objects.filter(pk=claim.pk, status=before).update(status=to, status_changed_at=now, updated_at=now):
        raise TransitionNotAllowed(f"claim {claim.pk} is no longer {before}")  # the caller did not hold the lock
    claim.status, claim.status_changed_at, claim.updated_at = to, now, now
    audit_event_record(actor=actor, action=CLAIM.action, obj=claim, changes={**CLAIM.change(before, to),
                                                                             **(changes or {})},
                       reason=reason[:255], ip_address=ip_address)
    return before


def claims_status_transition_where(*, rows: QuerySet | Sequence[int], to: str, actor: User | None,
                                   reason: str = "", audit_into: list | None = None) -> list[tuple[int, str]]:
    """claim_status_transition for a set (no message to claimants: a caller that moves many tells them itself)."""
    now = timezone.now()
    return transition_where(CLAIM, rows=rows, to=to, actor_id=actor.pk if actor is not None else None,
                            reason=reason, audit_into=audit_into, status_changed_at=now, updated_at=now)


def _document_change(document_id: int, kind: str, to: str) -> dict:
    return {"kind": kind, "document": document_id, "status": to}


def claim_document_status_transition(*, document_id: int, claim: Claim, to: str, actor: User, note: str = "",
                                     ip_address: str | None = None) -> ClaimDocument:
    """Ticks one document of a claim the caller holds locked: locked, checked, updated WHERE status = before, and
    audited on the claim (its history lists what was checked)."""
    with transaction.atomic():
        document = ClaimDocument.objects.select_for_update().get(pk=document_id, claim=claim)
        DOCUMENT.check(document.status, to, document.pk)
        now = timezone.now()
        ClaimDocument.objects.filter(pk=document.pk, status=document.status).update(
            status=to, review_note=note[:300], reviewed_by=actor, reviewed_at=now)
        document.status, document.review_note, document.reviewed_by, document.reviewed_at = to, note[:300], actor, now
        audit_event_record(actor=actor, action=DOCUMENT.action, obj=claim, reason=note[:255],
                           changes=_document_change(document.pk, document.kind, to), ip_address=ip_address)
    return document


def claim_documents_status_transition_where(*, rows: QuerySet | Sequence[int], to: str, actor: User,
                                            note: str = "") -> list[tuple[int, str]]:
    """claim_document_status_transition for a set of documents: one UPDATE, one audit INSERT."""
    changed = transition_where(DOCUMENT, rows=rows, to=to, actor_id=actor.pk, audit=False,
                               review_note=note[:300], reviewed_by_id=actor.pk, reviewed_at=timezone.now())
    if changed:
        found: dict[Any, tuple[int, str]] = {pk: (claim_id, kind) for pk, claim_id, kind in ClaimDocument.objects
                                             .filter(pk__in=[pk for pk, _b in changed])
                                             .values_list("pk", "claim_id", "kind")}
        audit_events_record_many(actor_id=actor.pk, events=[
            (DOCUMENT.action, audit_type(Claim), found[pk][0], _document_change(pk, found[pk][1], to), note[:255])
            for pk, _before in changed])
    return changed
