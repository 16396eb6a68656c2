"""Claim pages for branch staff: the queue and the review page (verify, ask for documents, approve, pay). Thin:
selectors read (branch-scoped), services write and decide."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import ChoiceField, Form
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from claims import selectors, services
from claims.assessment_forms import assessment_form
from claims.forms import (
    DocumentReviewForm,
    DocumentsRequestForm,
    PayoutForm,
    QueueFilterForm,
    RejectForm,
)
from claims.models import ClaimStatus, DocumentKind, ScholarshipEndReason
from claims.rules import claim_sla
from claims.templatetags.claims_extras import claim_status
from claims.uploads import document_response
from claims.views.common import STAFF_ACTIONS, apply_errors, breakdown_of, checklist_rows, flatten_errors, history_rows
from claims.views.scholarships import schedules_for_page
from core.http import posted_id_or_404
from core.models import Role
from core.views import client_ip, staff_required


@staff_required
def staff_rules(request):
    """Every figure the rules use, with its dates and source: the same for all staff."""
    return render(request, "claims/staff_rules.html", {"figures": selectors.reference_figures(on=timezone.localdate())})


@staff_required
def staff_queue(request):
    form = QueueFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    try:
        selectors.staff_branch_id(viewer=request.user)
    except Http404:
        messages.warning(request, _("Your account is not assigned to a branch yet, so it has no claims queue. An "
                                    "administrator assigns branches under Administration."))
        return redirect("core:staff-home")
    claims = list(selectors.branch_queue(viewer=request.user, claim_type=filters.get("type") or None,
                                         status=filters.get("status") or None,
                                         older_than_days=filters.get("age")))
    counts: dict[str, int] = {}
    for claim in claims:
        counts[claim.status] = counts.get(claim.status, 0) + 1
    return render(request, "claims/staff_queue.html", {
        "years": selectors.scholarship_years_waiting(viewer=request.user),
        "form": form, "filtered": any(filters.values()), "claims": claims,
        "breached": sum(1 for c in claims if c.sla.breached),
        "counts": [(claim_status(s), n) for s, n in counts.items()],
        "branch": getattr(getattr(request.user, "staff_branch", None), "branch", None)})


def _is_supervisor(user) -> bool:
    return user.role in (Role.SUPERVISOR, Role.ADMIN)


@staff_required
def staff_claim(request, pk):
    claim = selectors.claim_for_staff(viewer=request.user, pk=pk)
    forms: dict[str, Any] = {"request": DocumentsRequestForm(), "reject": RejectForm(),
                             "verify": assessment_form(claim),
                             "payout": PayoutForm(initial={"paid_on": timezone.localdate()})}
    review_forms = {}
    if request.method == "POST":
        action = request.POST.get("action")
        if action not in STAFF_ACTIONS:
            raise Http404
        done, bound = _staff_action(request, claim, action)
        if done:
            # After ticking a document, back at that document rather than the top of a long page.
            anchor = f"#doc-{request.POST.get('kind')}" if action == "document" and request.POST.get("kind") else ""
            return redirect(reverse("claims:staff-claim", args=[claim.pk]) + anchor)
        if action == "document":
            review_forms[bound.document_id] = bound
        else:
            forms[action] = bound
        claim = selectors.claim_for_staff(viewer=request.user, pk=pk)
    rows = checklist_rows(claim)
    for row in rows:
        if row.document is not None:
            row.form = review_forms.get(row.document.pk) or DocumentReviewForm(
                prefix=f"d{row.document.pk}", initial={"note": row.document.review_note})
    known = {row.kind for row in rows}
    cast(ChoiceField, forms["request"].fields["kinds"]).choices = [(row.kind, row.label) for row in rows] + (
        [(DocumentKind.OTHER.value, DocumentKind.OTHER.label)] if DocumentKind.OTHER not in known else [])
    breakdown = breakdown_of(claim)
    payout = getattr(claim, "payout", None) if claim.status == ClaimStatus.PAID else None
    return render(request, "claims/staff_claim.html", {
        "claim": claim, "rows": rows, "eligibility": services.claim_eligibility_for(claim),
        "sla": claim_sla(claim=claim), "history": history_rows(claim),
        "heir_nik_masked": selectors.claim_heir_nik_masked(claim=claim) if claim.heir_nik_ciphertext else "",
        "is_supervisor": _is_supervisor(request.user), "forms": forms, "payout": payout,
        "can_review": claim.status in (ClaimStatus.SUBMITTED, ClaimStatus.VERIFYING, ClaimStatus.MORE_DOCUMENTS),
        "breakdown": breakdown,
        "verified_by_me": claim.verified_by_id == request.user.pk,
        "schedules": schedules_for_page(request, claim) if claim.status == ClaimStatus.PAID else [],
        "end_reasons": ScholarshipEndReason.choices,
    })


def _staff_action(request, claim, action):
    """Runs one review action; returns (done, bound form to show again with its errors)."""
    staff, ip = request.user, client_ip(request)
    form: Form | None = None
    try:
        if action == "start":
            services.claim_review_start(claim=claim, staff=staff, ip_address=ip)
            messages.success(request, _("Review started."))
        elif action == "document":
            document = claim.documents.filter(pk=posted_id_or_404(request.POST.get("document"))).first()
            if document is None:
                raise Http404
            form = DocumentReviewForm(request.POST, prefix=f"d{document.pk}")
            form.document_id = document.pk
            if not form.is_valid():
                return False, form
            services.claim_document_review(document=document, staff=staff,
                                           valid=form.cleaned_data["verdict"] == "valid",
                                           note=form.cleaned_data["note"].strip(), ip_address=ip)
            messages.success(request, _("%(document)s: saved.") % {"document": document.get_kind_display()})
        elif action == "request":
            form = DocumentsRequestForm(request.POST)
            cast(ChoiceField, form.fields["kinds"]).choices = DocumentKind.choices
            if not form.is_valid():
                return False, form
            services.claim_documents_request(claim=claim, staff=staff, kinds=form.cleaned_data["kinds"],
                                             note=form.cleaned_data["note"].strip(), ip_address=ip)
            messages.success(request, _("The claimant is told which documents are needed."))
        elif action == "verify":
            form = assessment_form(claim, request.POST)
            if form is not None and not form.is_valid():
                return False, form
            services.claim_verify(claim=claim, staff=staff, ip_address=ip,
                                  assessment=form.assessment() if form is not None else None)
            messages.success(request, _("Verified. A supervisor other than you approves it."))
        elif action == "approve":
            services.claim_approve(claim=claim, supervisor=staff, ip_address=ip)
            messages.success(request, _("Approved. Record the payout once the transfer is made."))
        elif action == "reject":
            form = RejectForm(request.POST)
            if not form.is_valid():
                return False, form
            services.claim_reject(claim=claim, staff=staff, reason=form.cleaned_data["reason"].strip(), ip_address=ip)
            messages.success(request, _("The claim is rejected; the claimant is told the reason."))
        elif action == "payout":
            form = PayoutForm(request.POST)
            if not form.is_valid():
                return False, form
            paid_on = form.cleaned_data["paid_on"]
            paid_at = timezone.now() if paid_on == timezone.localdate() else timezone.make_aware(
                dt.datetime.combine(paid_on, dt.time(12, 0)))
            services.claim_payout_record(claim=claim, staff=staff, paid_at=paid_at, ip_address=ip,
                                         transfer_reference=form.cleaned_data["transfer_reference"].strip())
            messages.success(request, _("The payout is recorded; the claim is paid."))
    except PermissionDenied as denied:
        # The page hides what a role may not do; a forced request gets the service's refusal, kindly.
        messages.error(request, str(denied) or _("You may not do this for this claim."))
        return True, None
    except ValidationError as error:
        # A rule's refusal of what staff read in the documents stays above that form, with what they typed.
        if form is not None and (hasattr(error, "error_dict") or action == "verify"):
            apply_errors(form, error)
            return False, form
        messages.error(request, " ".join(flatten_errors(error)))
        return True, None
    return True, None


@staff_required
def staff_document(request, pk, document_id):
    claim = selectors.claim_for_staff(viewer=request.user, pk=pk)
    document = selectors.document_for_user(viewer=request.user, pk=document_id)
    if document.claim_id != claim.pk:
        raise Http404
    return document_response(document)
