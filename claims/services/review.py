"""Branch review: start checking, tick documents, ask for more, verify (eligibility and the benefit calculated and
stored), approve (a supervisor who did not verify) or reject with a reason."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from claims import benefits, benefits_jkk
from claims.documents import allowed_kinds, required_kinds
from claims.eligibility import claim_eligibility
from claims.locks import claim_lock
from claims.models import (
    SCHOLARSHIP_TYPES,
    Claim,
    ClaimDocument,
    ClaimStatus,
    ClaimType,
    DocumentKind,
    DocumentStatus,
    PayoutEntry,
    PayoutEntryKind,
)
from claims.selectors import ReferenceDataMissing, same_accident_assessments, scholarship_share_taken
from claims.services.common import (
    DECIDERS,
    claim_transition,
    documents_complete_refresh,
    documents_missing,
    latest_documents,
    staff_check,
)
from claims.texts import Text, stored
from claims.transitions import claim_document_status_transition
from contributions.models import Bill, BillStatus
from core.models import User

# Calculated from what staff read in the documents (claim_verify's `assessment`): the parts of the body the doctor
# names, the periods of incapacity, the invoices and receipts.
ASSESSED_TYPES = frozenset({ClaimType.JKK_MEDICAL, ClaimType.JKK_TEMPORARY_INCAPACITY, ClaimType.JKK_DISABILITY})
# Claims that end the membership: months paid after the event come back with them (DOMAIN.md).
REFUND_TYPES = frozenset({ClaimType.JKK_DEATH, ClaimType.JKM_DEATH, ClaimType.JHT_DEATH, ClaimType.JHT_AGE,
                          ClaimType.JHT_DISABILITY, ClaimType.JHT_LEAVING, ClaimType.JHT_STOPPED})
DEATH_BENEFIT_TYPES = (ClaimType.JKK_DEATH, ClaimType.JKM_DEATH)


def claim_review_start(*, claim: Claim, staff: User, ip_address: str | None = None) -> Claim:
    """Staff take the claim up: from submitted; from more documents without waiting any longer (the request is
    closed); from verified to check again (its verification no longer stands)."""
    with transaction.atomic():
        claim = claim_lock(claim)
        staff_check(claim=claim, staff=staff)
        if claim.status == ClaimStatus.VERIFIED:
            claim.verified_by, claim.verified_at = None, None
            claim.save(update_fields=["verified_by", "verified_at", "updated_at"])
        if claim.status == ClaimStatus.MORE_DOCUMENTS:  # staff stop waiting for what they asked for
            claim.details = {k: v for k, v in claim.details.items() if k != "requested"}
            claim.save(update_fields=["details", "updated_at"])
            documents_complete_refresh(claim=claim)
        return claim_transition(claim=claim, to=ClaimStatus.VERIFYING, actor=staff, ip_address=ip_address)


def claim_document_review(*, document: ClaimDocument, staff: User, valid: bool, note: str = "",
                          ip_address: str | None = None) -> ClaimDocument:
    """Ticks one document valid or not valid (a note tells the claimant why). A not-valid required document stops
    the service-level clock until a replacement comes."""
    with transaction.atomic():
        claim = claim_lock(document.claim)
        staff_check(claim=claim, staff=staff)
        if claim.status not in (ClaimStatus.SUBMITTED, ClaimStatus.VERIFYING, ClaimStatus.MORE_DOCUMENTS):
            raise ValidationError(_("Documents are checked while the claim is being verified."))
        note = note.strip()
        if not valid and not note:
            raise ValidationError({"note": [_("Say what is wrong with the document, for the claimant.")]})
        document = claim_document_status_transition(
            document_id=document.pk, claim=claim, to=DocumentStatus.VALID if valid else DocumentStatus.INVALID,
            actor=staff, note=note, ip_address=ip_address)
        documents_complete_refresh(claim=claim)
        return document


def claim_documents_request(*, claim: Claim, staff: User, kinds: Sequence[str], note: str,
                            ip_address: str | None = None) -> Claim:
    """Asks the claimant for documents (→ more documents needed): they are told what is missing. The clock stops;
    it starts again once everything asked for has come."""
    note = note.strip()
    with transaction.atomic():
        claim = claim_lock(claim)
        staff_check(claim=claim, staff=staff)
        kinds = list(dict.fromkeys(kinds))
        if not kinds or any(kind not in allowed_kinds(claim) for kind in kinds):
            raise ValidationError({"kinds": [_("Choose the documents the claimant must add.")]})
        if not note:
            raise ValidationError({"note": [_("Tell the claimant what is needed.")]})
        claim.details = {**claim.details, "requested": {"kinds": kinds, "at": timezone.now().isoformat(),
                                                        "note": note[:300]}}
        claim.documents_complete_at = None
        claim.save(update_fields=["details", "documents_complete_at", "updated_at"])
        missing = documents_missing(claim)

        def needed() -> str:
            labels = ", ".join(str(DocumentKind(kind).label) for kind in missing)
            return _("Needed: %(labels)s. %(note)s") % {"labels": labels, "note": note}

        return claim_transition(claim=claim, to=ClaimStatus.MORE_DOCUMENTS, actor=staff, reason=note,
                                changes={"kinds": kinds, "missing": missing}, ip_address=ip_address, message=needed)


def _already_paid_death(claim: Claim) -> bool:
    return (Claim.objects.filter(member=claim.member, claim_type__in=DEATH_BENEFIT_TYPES,
                                 status__in=(ClaimStatus.APPROVED, ClaimStatus.PAID)).exclude(pk=claim.pk).exists())


def _other_heirs(claim: Claim) -> list[str]:
    """Heirs the claimant named, and those of other live claims for the same member."""
    others = list(claim.details.get("other_heirs", []))
    others += (Claim.objects.filter(member=claim.member).exclude(pk=claim.pk).exclude(status=ClaimStatus.REJECTED)
               .exclude(claimant=claim.claimant).exclude(heir_relationship="")
               .values_list("heir_relationship", flat=True))
    return others


def claim_eligibility_for(claim: Claim):
    """The automatic checks for a filed claim (staff see them; claim_verify requires them all to pass)."""
    return claim_eligibility(member=claim.member, claim_type=claim.claim_type, event_date=claim.event_date,
                             heir=claim.heir_relationship or None, other_heirs=_other_heirs(claim),
                             already_paid_death=_already_paid_death(claim))


def _line(line: benefits.BenefitLine) -> dict:
    """A line as the breakdown keeps it: its words as a code and parameters (claims.texts), read in any language."""
    return {"text": line.text.stored(), "amount_idr": line.amount_idr, "rule": stored(line.rule), "year": line.year,
            "child": line.child}


def _benefit(claim: Claim, assessment: dict | None) -> dict:
    """The calculated benefit as stored lines and notes. The JKK benefits assessed from the documents take what
    staff read in them (`assessment`: parts of the body, periods, invoices; claims.benefits_jkk), never an amount."""
    kind, member, day = claim.claim_type, claim.member, claim.event_date
    if kind in ASSESSED_TYPES:
        if not assessment:
            raise ValidationError({"assessment": [_("Enter what the doctor's statement or the receipts say.")]})
        if kind == ClaimType.JKK_DISABILITY:
            result = benefits_jkk.jkk_disability(member=member, event_date=day, assessment=assessment)
        elif kind == ClaimType.JKK_TEMPORARY_INCAPACITY:
            result = benefits_jkk.jkk_incapacity(member=member, event_date=day, assessment=assessment,
                                                 earlier=same_accident_assessments(claim=claim),
                                                 today=timezone.localdate())
        else:
            result = benefits_jkk.jkk_costs(member=member, event_date=day, assessment=assessment,
                                            earlier=same_accident_assessments(claim=claim))
    elif assessment:
        raise ValidationError({"assessment": [_("This benefit is calculated from the records alone.")]})
    elif kind == ClaimType.JKM_DEATH:
        result = benefits.jkm_death(member=member, event_date=day)
    elif kind == ClaimType.JKK_DEATH:
        result = benefits.jkk_death(member=member, event_date=day)
    elif kind in SCHOLARSHIP_TYPES:
        return _scholarship(claim)
    elif kind in benefits.JHT_PARTIAL_SHARES:  # part of the JHT balance; housing above the threshold needs the NPWP
        npwp = latest_documents(claim).get(DocumentKind.NPWP)
        result = benefits.jht_partial(member=member, event_date=day, share=benefits.JHT_PARTIAL_SHARES[kind],
                                      npwp_valid=npwp is not None and npwp.status == DocumentStatus.VALID)
    else:
        result = benefits.jht_balance(member=member, event_date=day)
    return {"lines": [_line(line) for line in result.lines], "notes": [n.stored() for n in result.notes]}


def _scholarship(claim: Claim) -> dict:
    """This school year's amount per child at school, paid with the claim; the later years as a plan (each paid on
    its school certificate, claims.services.scholarships). Children and rupiah other claims of the member hold
    count against the rule's limits."""
    children = [benefits.Child(c["name"], c["level"], c.get("year_in_level", 1),
                               dt.date.fromisoformat(c["birth_date"]) if c.get("birth_date") else None)
                for c in claim.details.get("children", [])]
    taken, paid = scholarship_share_taken(member=claim.member, exclude_claim=claim)
    rules = benefits.scholarship_rules(event_date=claim.event_date)
    result = benefits.scholarship_claim(children=children, rules=rules, today=timezone.localdate(),
                                        children_taken=taken, paid_idr=paid)
    return {"lines": [_line(line) for line in result.now.lines], "notes": [n.stored() for n in result.now.notes],
            "later": [_line(line) for line in result.later], "accepted": list(result.accepted),
            "school_year": result.school_year}


def _refund(claim: Claim) -> dict:
    """Months paid after the event, per bill, except months another claim already refunds or will refund."""
    if claim.claim_type not in REFUND_TYPES:
        return {"lines": [], "notes": []}
    taken = set(PayoutEntry.objects.filter(kind=PayoutEntryKind.REFUND, payout__claim__member=claim.member)
                .values_list("bill_id", flat=True))
    for other in (Claim.objects.filter(member=claim.member, status__in=(ClaimStatus.VERIFIED, ClaimStatus.APPROVED))
                  .exclude(pk=claim.pk).values_list("breakdown", flat=True)):
        taken.update(line["bill"] for line in (other or {}).get("refund", {}).get("lines", []))
    calculated = benefits.refund_after_event(member=claim.member, event_date=claim.event_date)
    bills = {b.month: b.pk for b in Bill.objects.filter(member=claim.member, status=BillStatus.PAID,
                                                        month__gt=claim.event_date.replace(day=1))}
    lines, notes = [], []
    for line, month in zip(calculated.lines, sorted(bills), strict=True):
        if bills[month] in taken:
            notes.append(Text("refunded_elsewhere", {"month": f"{month:%Y-%m}"}).stored())
            continue
        lines.append({**_line(line), "bill": bills[month], "month": f"{month:%Y-%m}"})
    return {"lines": lines, "notes": notes}


def claim_verify(*, claim: Claim, staff: User, assessment: dict | None = None,
                 ip_address: str | None = None) -> Claim:
    """Every required document valid and every eligibility check passed: the benefit is calculated (for the JKK
    benefits assessed from the documents, from what staff read in them) and stored with its breakdown and the
    assessment (→ verified)."""
    with transaction.atomic():
        claim = claim_lock(claim)
        staff_check(claim=claim, staff=staff)
        if claim.status != ClaimStatus.VERIFYING:
            raise ValidationError(_("Only a claim being verified can be verified."))
        latest = latest_documents(claim)
        unchecked = [str(DocumentKind(kind).label) for kind in required_kinds(claim)
                     if kind not in latest or latest[kind].status != DocumentStatus.VALID]
        if unchecked:
            raise ValidationError(_("These documents are not valid yet: %(kinds)s.") % {"kinds": ", ".join(unchecked)})
        eligibility = claim_eligibility_for(claim)
        if not eligibility.eligible:
            raise ValidationError([check.message for check in eligibility.failed])
        try:
            benefit = _benefit(claim, assessment)
            refund = _refund(claim)
        except (benefits.BenefitError, ReferenceDataMissing) as exc:
            raise ValidationError(str(exc)) from exc
        benefit_idr = sum(line["amount_idr"] for line in benefit["lines"])
        refund_idr = sum(line["amount_idr"] for line in refund["lines"])
        if benefit_idr + refund_idr <= 0:
            raise ValidationError(_("Nothing is payable on this claim: reject it with the reason instead."))
        now = timezone.now()
        claim.benefit_idr, claim.refund_idr = benefit_idr, refund_idr
        claim.breakdown = {
            "benefit": {**benefit, "total_idr": benefit_idr}, "refund": {**refund, "total_idr": refund_idr},
            "assessment": assessment if claim.claim_type in ASSESSED_TYPES else None,
            "checks": [{"code": c.code, "passed": c.passed, "message": str(c.message)} for c in eligibility.checks],
            "calculated_at": now.isoformat(), "calculated_by": staff.pk,
        }
        claim.verified_by, claim.verified_at = staff, now
        claim.save(update_fields=["benefit_idr", "refund_idr", "breakdown", "verified_by", "verified_at",
                                  "updated_at"])
        return claim_transition(claim=claim, to=ClaimStatus.VERIFIED, actor=staff, ip_address=ip_address,
                                changes={"benefit_idr": benefit_idr, "refund_idr": refund_idr,
                                         "assessed": claim.claim_type in ASSESSED_TYPES})


def claim_approve(*, claim: Claim, supervisor: User, ip_address: str | None = None) -> Claim:
    """A supervisor (or admin) of the claim's branch approves a verified claim, never the person who verified it
    (maker-checker; the database constraint is the backstop). The row lock makes two approvals at once approve
    once: the second finds the claim approved already."""
    with transaction.atomic():
        claim = claim_lock(claim)
        staff_check(claim=claim, staff=supervisor, roles=DECIDERS)
        if claim.status != ClaimStatus.VERIFIED:
            raise ValidationError(_("Only a verified claim can be approved."))
        if claim.verified_by_id == supervisor.pk:
            raise PermissionDenied(_("You verified this claim: another supervisor must approve it."))
        claim.decided_by, claim.decided_at = supervisor, timezone.now()
        claim.save(update_fields=["decided_by", "decided_at", "updated_at"])
        return claim_transition(claim=claim, to=ClaimStatus.APPROVED, actor=supervisor, ip_address=ip_address,
                                changes={"amount_idr": (claim.benefit_idr or 0) + (claim.refund_idr or 0)})


def claim_reject(*, claim: Claim, staff: User, reason: str, ip_address: str | None = None) -> Claim:
    """A supervisor (or admin) rejects with a reason the claimant is told; not the person who verified it."""
    reason = reason.strip()
    with transaction.atomic():
        claim = claim_lock(claim)
        staff_check(claim=claim, staff=staff, roles=DECIDERS)
        if not reason:
            raise ValidationError({"reason": [_("Give the reason for the rejection.")]})
        if claim.verified_by_id == staff.pk:
            raise PermissionDenied(_("You verified this claim: another supervisor must decide on it."))
        if claim.status not in (ClaimStatus.SUBMITTED, ClaimStatus.VERIFYING, ClaimStatus.MORE_DOCUMENTS,
                                ClaimStatus.VERIFIED):
            raise ValidationError(_("This claim can no longer be rejected."))
        claim.decided_by, claim.decided_at, claim.rejection_reason = staff, timezone.now(), reason
        claim.save(update_fields=["decided_by", "decided_at", "rejection_reason", "updated_at"])
        return claim_transition(claim=claim, to=ClaimStatus.REJECTED, actor=staff, reason=reason,
                                ip_address=ip_address, message=lambda: _("Reason: %(reason)s") % {"reason": reason})
