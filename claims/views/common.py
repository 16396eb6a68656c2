"""What the claimant's and the staff's claim pages share: form errors, the document checklist, a claim's history."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from claims import selectors
from claims.documents import ChecklistEntry, checklist_for
from claims.forms import (
    CAMERA_KINDS,
    HEIR_TYPES,
)
from claims.models import ClaimStatus, DocumentKind, DocumentStatus
from claims.texts import breakdown_lines, stored_render


def flatten_errors(error: ValidationError) -> list[str]:
    return [str(m) for m in error.messages]


def apply_errors(form, error: ValidationError) -> None:
    """A service's field errors go next to the form's fields; the rest above the form."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            if field == "children" and "child_1_name" in form.fields:
                field = "child_1_name"  # a scholarship's children: next to the first child
            target = field if field in form.fields else None
            for message in ValidationError(errors).messages:
                if field == "documents":  # shown at the top of the documents, where they were chosen
                    form.documents_errors = [*getattr(form, "documents_errors", []), message]
                else:
                    form.add_error(target, message)
    else:
        for message in error.messages:
            form.add_error(None, message)


def document_entries(claim_type: str, *, relationship: str | None = None, traffic_accident: bool | None = None):
    """The checklist for the filing form. Before the heir has chosen a relationship the marriage book is offered
    too (marked for a spouse); before the worker has answered, the police report (marked for a traffic accident)."""
    guess = relationship or ("spouse" if claim_type in HEIR_TYPES else "")
    entries = checklist_for(claim_type=claim_type, heir_relationship=guess,
                            traffic_accident=True if traffic_accident is None else traffic_accident)
    if not relationship and claim_type in HEIR_TYPES:
        entries = [ChecklistEntry(e.kind, False, _("Only if you are the husband or wife."))
                   if e.kind == DocumentKind.MARRIAGE_BOOK else e for e in entries]
    return entries


def checklist_rows(claim) -> list[SimpleNamespace]:
    """The checklist as rows a template can add to (selectors give frozen items): the branch's note on a refused
    document, and whether the claimant should send one."""
    rows = []
    for item in selectors.claim_checklist(claim=claim):
        document = item.document
        refused = document is not None and document.status == DocumentStatus.INVALID
        rows.append(SimpleNamespace(
            kind=item.kind, label=item.label, required=item.required, document=document, status=item.status,
            hint=item.note, requested=item.requested,
            note=document.review_note if document is not None and refused else "",
            camera=item.kind in CAMERA_KINDS,
            needs_upload=document is None or refused or (item.requested and document.uploaded_at < _requested_at(
                claim))))
    return rows


def _requested_at(claim):
    at = (claim.details.get("requested") or {}).get("at")
    return dt.datetime.fromisoformat(at) if at else timezone.now()


def history_rows(claim) -> list[SimpleNamespace]:
    """Audit events in plain words."""
    rows = []
    for event in selectors.claim_history(claim=claim):
        changes, reason = event.changes or {}, event.reason
        kind = changes.get("kind")
        label = DocumentKind(kind).label if kind in DocumentKind.values else ""
        if event.action == "claim.filed":
            text = _("Claim filed")
        elif event.action == "claim.document_added":
            text = _("Document sent: %(document)s") % {"document": label}
        elif event.action == "claim.document_reviewed":
            text = (_("%(document)s checked: valid") if changes.get("status") == DocumentStatus.VALID else
                    _("%(document)s: another is needed")) % {"document": label}
            if reason:
                text += f" ({reason})"
        elif event.action == "claim.status":
            to = changes.get("to")
            status_texts: dict[str | None, str] = {
                ClaimStatus.VERIFYING: _("The branch started checking the claim"),
                ClaimStatus.MORE_DOCUMENTS: _("More documents were asked for"),
                ClaimStatus.VERIFIED: _("Checked and calculated"),
                ClaimStatus.APPROVED: _("Approved"),
                ClaimStatus.PAID: _("Paid out"),
                ClaimStatus.REJECTED: _("Rejected"),
            }
            text = status_texts.get(to, str(ClaimStatus(to).label) if to in ClaimStatus.values else event.action)
            if to == ClaimStatus.VERIFYING and event.actor_id == claim.claimant_id:
                text = _("Everything asked for has come: checking goes on")
            elif reason and to in (ClaimStatus.MORE_DOCUMENTS, ClaimStatus.REJECTED):
                text += f": {reason}"
        else:
            text = event.action
        actor = _("the claimant") if event.actor_id and event.actor_id == claim.claimant_id else event.actor_name
        rows.append(SimpleNamespace(at=event.created_at, text=text, actor_name=actor))
    return rows


STAFF_ACTIONS = ("start", "document", "request", "verify", "approve", "reject", "payout")


def breakdown_of(claim) -> SimpleNamespace:
    """The stored calculation in the reader's language: benefit lines, the months refunded, their notes and totals."""
    kept = claim.breakdown or {}
    benefit, refund = kept.get("benefit", {}), kept.get("refund", {})
    notes = [*benefit.get("notes", []), *refund.get("notes", [])]
    return SimpleNamespace(benefit=breakdown_lines(benefit.get("lines", [])),
                           refund=breakdown_lines(refund.get("lines", [])),
                           later=breakdown_lines(benefit.get("later", [])),
                           notes=[stored_render(note) for note in notes],
                           benefit_idr=claim.benefit_idr or 0, refund_idr=claim.refund_idr or 0,
                           total_idr=(claim.benefit_idr or 0) + (claim.refund_idr or 0))
