"""Claim pages: the claimant's list, filing (worker and heir), the status page with documents; the branch queue
and the review page for staff. Thin: selectors read (permission-scoped), services write and decide."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import cast

from cryptography.fernet import InvalidToken
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import ChoiceField, Form
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from claims import held, selectors, services
from claims.documents import ChecklistEntry, checklist_for
from claims.forms import (
    CAMERA_KINDS,
    HEIR_TYPES,
    WORKER_TYPES,
    DocumentAddForm,
    DocumentReviewForm,
    DocumentsRequestForm,
    HeirClaimForm,
    HeirFindForm,
    PayoutForm,
    QueueFilterForm,
    RejectForm,
    VerifyForm,
    WorkerClaimForm,
    heir_order_help,
    upload_hint,
)
from claims.models import ClaimStatus, ClaimType, DocumentKind, DocumentStatus, claim_program
from claims.rules import claim_sla
from claims.services.review import ENTERED_TYPES
from claims.templatetags.claims_extras import claim_status
from claims.uploads import document_response
from core.http import posted_id_or_404
from core.models import Role
from core.nik import nik_decrypt, nik_encrypt
from core.views import client_ip, staff_required

SESSION_HEIR = "claim_heir"
HEIR_LOOKUPS_PER_HOUR = 10

# What each status means for the claimant, and what they do next.
STATUS_TEXT = {
    ClaimStatus.SUBMITTED: (gettext_lazy("We received your claim. The branch will check it and its documents."),
                            gettext_lazy("Nothing to do now. Add any missing document below.")),
    ClaimStatus.VERIFYING: (gettext_lazy("Branch staff are checking your claim and documents."),
                            gettext_lazy("Nothing to do now. We send you a message when something changes.")),
    ClaimStatus.MORE_DOCUMENTS: (gettext_lazy("The branch needs another document before it can go on."),
                                 gettext_lazy("Add the documents marked below.")),
    ClaimStatus.VERIFIED: (gettext_lazy("Your claim is checked and the amount calculated. A supervisor decides "
                                        "now."),
                           gettext_lazy("Nothing to do now.")),
    ClaimStatus.APPROVED: (gettext_lazy("Your claim is approved. The money is being transferred to your account."),
                           gettext_lazy("Nothing to do now. We send you a message when it is paid.")),
    ClaimStatus.PAID: (gettext_lazy("The benefit was transferred to your account."),
                       gettext_lazy("Check your bank account. Keep this page as proof.")),
    ClaimStatus.REJECTED: (gettext_lazy("Your claim was rejected. The reason is below."),
                           gettext_lazy("If you think this is wrong, visit the branch with your documents.")),
}


def _flatten_errors(error: ValidationError) -> list[str]:
    return [str(m) for m in error.messages]


def _apply_errors(form, error: ValidationError) -> None:
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


def _document_entries(claim_type: str, *, relationship: str | None = None, traffic_accident: bool | None = None):
    """The checklist for the filing form. Before the heir has chosen a relationship the marriage book is offered
    too (marked for a spouse); before the worker has answered, the police report (marked for a traffic accident)."""
    guess = relationship or ("spouse" if claim_type in HEIR_TYPES else "")
    entries = checklist_for(claim_type=claim_type, heir_relationship=guess,
                            traffic_accident=True if traffic_accident is None else traffic_accident)
    if not relationship and claim_type in HEIR_TYPES:
        entries = [ChecklistEntry(e.kind, False, _("Only if you are the husband or wife."))
                   if e.kind == DocumentKind.MARRIAGE_BOOK else e for e in entries]
    return entries


# --- claimant ------------------------------------------------------------------------------------------------------


@login_required
def claim_list(request):
    member = getattr(request.user, "member", None)
    worker_types = []
    if member is not None:
        worker_types = [t for t in WORKER_TYPES if claim_program(t) != "JHT" or member.has_jht]
    claims = list(selectors.claims_for_claimant(viewer=request.user))
    for claim in claims:
        # Not columns: what the list shows of each claim.
        status_text, next_step = STATUS_TEXT[ClaimStatus(claim.status)]
        setattr(claim, "status_text", status_text)  # noqa: B010
        setattr(claim, "next_step", next_step)  # noqa: B010
    return render(request, "claims/claim_list.html", {
        "claims": claims, "worker_types": [(t.value, t.label) for t in worker_types], "member": member})


@login_required
def claim_file_worker(request):
    member = getattr(request.user, "member", None)
    if member is None:
        messages.info(request, _("Only a registered worker files a claim for their own membership. To claim for a "
                                 "family member who died, use the heir's form."))
        return redirect("claims:list")
    allowed = [t for t in WORKER_TYPES if claim_program(t) != "JHT" or member.has_jht]
    claim_type = request.GET.get("jenis") or request.POST.get("claim_type")
    if claim_type not in allowed:
        return render(request, "claims/file_choose.html", {"types": [(t.value, t.label) for t in allowed]})
    claim_type = ClaimType(claim_type)
    traffic = {"yes": True, "no": False}.get(request.POST.get("traffic_accident"))
    entries = _document_entries(claim_type, traffic_accident=traffic)
    scope = f"worker:{claim_type}"
    form = WorkerClaimForm(request.POST or None, _files(request, scope, entries), claim_type=claim_type,
                           document_kinds=entries)
    if request.method == "POST" and form.is_valid():
        try:
            claim = services.claim_file(claimant=request.user, member=member, claim_type=claim_type,
                                        event=form.event(), bank=form.bank(), details=form.details(),
                                        documents=form.documents(), ip_address=client_ip(request))
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            held.release(request, scope)
            messages.success(request, _("Your claim %(number)s is filed. Keep this number.") % {"number": claim.number})
            return redirect("claims:detail", number=claim.number)
    return render(request, "claims/file_worker.html", {
        "form": form, "claim_type": claim_type, "member": member, "upload_hint": upload_hint(),
        "files_held": _hold(request, scope, form, entries)})


def _files(request, scope: str, entries):
    """The POST's files, with documents held from an earlier try of the same form standing in for empty inputs."""
    if request.method != "POST":
        return None
    return held.files_with_held(request, scope, [f"doc_{entry.kind}" for entry in entries])


def _hold(request, scope: str, form, entries) -> bool:
    """After a failed try, keep the documents that passed their checks and say so next to each; True if any is
    held (the page then says they need not be chosen again)."""
    fields = [f"doc_{entry.kind}" for entry in entries]
    if request.method == "POST":
        held.hold(request, scope, form, fields)
    kept = {field: entry for field, entry in held.held(request, scope).items() if field in fields}
    for field, entry in kept.items():
        note = _("Received: %(name)s. Choose a file only to replace it.") % {"name": entry["name"]}
        # The bound field copied the help text when the form was validated: change it there.
        form[field].help_text = " ".join(filter(None, [str(form.fields[field].help_text or ""), note]))
    return bool(kept)


def _heir_lookup_allowed(user) -> bool:
    # KPJ + birth date is guessable; a few tries an hour per account is plenty for a family member.
    key = f"claims:heir-lookup:{user.pk}"
    count = cast(int, cache.get_or_set(key, 0, 3600))
    if count >= HEIR_LOOKUPS_PER_HOUR:
        return False
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, 1, 3600)
    return True


def _heir_input(session) -> dict | None:
    """Step 1's answers for going back to it: the number decrypted (a session from before encryption: dropped)."""
    stored = dict((session.get(SESSION_HEIR) or {}).get("input") or {})
    if not stored:
        return None
    try:
        stored["kpj_or_nik"] = nik_decrypt(stored.get("kpj_or_nik") or "")
    except InvalidToken:
        stored.pop("kpj_or_nik", None)
    return stored


@login_required
def heir_start(request):
    """Step 1: who died (KPJ or NIK + birth date) and what is claimed. The answer never says whether a member
    exists: a wrong combination gets the same kind message."""
    if request.user.is_portal_staff:
        raise PermissionDenied
    form = HeirFindForm(request.POST or None, initial=_heir_input(request.session))
    if request.method == "POST" and form.is_valid():
        if not _heir_lookup_allowed(request.user):
            form.add_error(None, _("Too many tries. Please wait an hour, or visit a branch with the participant "
                                   "card."))
        else:
            member = selectors.member_for_heir(kpj_or_nik=form.cleaned_data["kpj_or_nik"],
                                               birth_date=form.cleaned_data["birth_date"])
            if member is None:
                form.add_error(None, _("We could not match this number and date of birth. Please check both on "
                                       "the participant card or the KTP and try again."))
            else:
                # The session table outlives an abandoned lookup: the typed NIK/KPJ is kept only encrypted.
                request.session[SESSION_HEIR] = {
                    "member": member.pk, "claim_type": form.cleaned_data["claim_type"],
                    "input": {"kpj_or_nik": nik_encrypt(form.cleaned_data["kpj_or_nik"]),
                              "birth_date": form.cleaned_data["birth_date"].isoformat(),
                              "claim_type": form.cleaned_data["claim_type"]}}
                return redirect("claims:heir-claim")
    return render(request, "claims/heir_start.html", {"form": form, "heir_order": heir_order_help()})


@login_required
def heir_claim(request):
    """Step 2: the heir's own identity, relationship, date of death, bank account and documents."""
    state = request.session.get(SESSION_HEIR) or {}
    member_id = state.get("member")
    member = selectors.member_for_heir_session(member_id=member_id) if member_id else None
    if member is None or state.get("claim_type") not in HEIR_TYPES:
        return redirect("claims:heir")
    claim_type = ClaimType(state["claim_type"])
    relationship = request.POST.get("heir_relationship") or None
    traffic = {"yes": True, "no": False}.get(request.POST.get("traffic_accident"))
    entries = _document_entries(claim_type, relationship=relationship, traffic_accident=traffic)
    scope = f"heir:{member.pk}:{claim_type}"
    form = HeirClaimForm(request.POST or None, _files(request, scope, entries), claim_type=claim_type,
                         document_kinds=entries)
    if request.method == "POST" and form.is_valid():
        try:
            claim = services.claim_file(claimant=request.user, member=member, claim_type=claim_type,
                                        event=form.event(), bank=form.bank(), heir=form.heir(),
                                        details=form.details(), documents=form.documents(),
                                        ip_address=client_ip(request))
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            request.session.pop(SESSION_HEIR, None)
            held.release(request, scope)
            messages.success(request, _("Your claim %(number)s is filed. Keep this number.") % {"number": claim.number})
            return redirect("claims:detail", number=claim.number)
    return render(request, "claims/heir_claim.html", {
        "form": form, "claim_type": claim_type, "masked_name": member.masked_name, "upload_hint": upload_hint(),
        "files_held": _hold(request, scope, form, entries)})


def _checklist_rows(claim) -> list[SimpleNamespace]:
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


def _history(claim) -> list[SimpleNamespace]:
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


@login_required
def claim_detail(request, number):
    claim = selectors.claim_for_claimant(viewer=request.user, number=number)
    rows = _checklist_rows(claim)
    can_add = claim.status in (ClaimStatus.SUBMITTED, ClaimStatus.VERIFYING, ClaimStatus.MORE_DOCUMENTS)
    status_text, next_step = STATUS_TEXT[ClaimStatus(claim.status)]
    payout = getattr(claim, "payout", None) if claim.status == ClaimStatus.PAID else None
    return render(request, "claims/claim_detail.html", {
        "claim": claim, "rows": rows, "can_add": can_add, "status_text": status_text, "next_step": next_step,
        "history": _history(claim), "payout": payout,
        "breakdown": _breakdown(claim), "upload_hint": upload_hint(),
        "add_error": request.session.pop("claim_add_error", None),
        "requested_note": (claim.details.get("requested") or {}).get("note", "")})


@login_required
@require_POST
def claim_document_add(request, number):
    claim = selectors.claim_for_claimant(viewer=request.user, number=number)
    form = DocumentAddForm(request.POST, request.FILES)
    if not form.is_valid():
        kind = request.POST.get("kind", "")
        request.session["claim_add_error"] = {"kind": kind, "message": " ".join(
            str(e) for errors in form.errors.values() for e in errors)}
        return redirect(reverse("claims:detail", args=[claim.number]) + f"#add-{kind}")
    try:
        services.claim_document_add(claim=claim, user=request.user, kind=form.cleaned_data["kind"],
                                    upload=form.cleaned_data["file"], ip_address=client_ip(request))
    except (ValidationError, PermissionDenied) as error:
        message = " ".join(_flatten_errors(error)) if isinstance(error, ValidationError) else str(error)
        request.session["claim_add_error"] = {"kind": form.cleaned_data["kind"], "message": message}
        return redirect(reverse("claims:detail", args=[claim.number]) + f"#add-{form.cleaned_data['kind']}")
    messages.success(request, _("Thank you: the document is added. The branch will check it."))
    return redirect("claims:detail", number=claim.number)


@login_required
def claim_document(request, number, document_id):
    document = selectors.document_for_user(viewer=request.user, pk=document_id)
    if document.claim.number != number:
        raise Http404
    return document_response(document)


# --- staff ---------------------------------------------------------------------------------------------------------


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
        "form": form, "filtered": any(filters.values()), "claims": claims,
        "breached": sum(1 for c in claims if c.sla.breached),
        "counts": [(claim_status(s), n) for s, n in counts.items()],
        "branch": getattr(getattr(request.user, "staff_branch", None), "branch", None)})


def _is_supervisor(user) -> bool:
    return user.role in (Role.SUPERVISOR, Role.ADMIN)


STAFF_ACTIONS = ("start", "document", "request", "verify", "approve", "reject", "payout")


def _breakdown(claim) -> SimpleNamespace:
    """The stored calculation: benefit lines, the months refunded, their notes and totals."""
    stored = claim.breakdown or {}
    benefit, refund = stored.get("benefit", {}), stored.get("refund", {})
    return SimpleNamespace(benefit=benefit.get("lines", []), refund=refund.get("lines", []),
                           notes=[*benefit.get("notes", []), *refund.get("notes", [])],
                           benefit_idr=claim.benefit_idr or 0, refund_idr=claim.refund_idr or 0,
                           total_idr=(claim.benefit_idr or 0) + (claim.refund_idr or 0))


@staff_required
def staff_claim(request, pk):
    claim = selectors.claim_for_staff(viewer=request.user, pk=pk)
    forms = {"request": DocumentsRequestForm(), "reject": RejectForm(), "verify": VerifyForm(),
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
    rows = _checklist_rows(claim)
    for row in rows:
        if row.document is not None:
            row.form = review_forms.get(row.document.pk) or DocumentReviewForm(
                prefix=f"d{row.document.pk}", initial={"note": row.document.review_note})
    known = {row.kind for row in rows}
    cast(ChoiceField, forms["request"].fields["kinds"]).choices = [(row.kind, row.label) for row in rows] + (
        [(DocumentKind.OTHER.value, DocumentKind.OTHER.label)] if DocumentKind.OTHER not in known else [])
    breakdown = _breakdown(claim)
    payout = getattr(claim, "payout", None) if claim.status == ClaimStatus.PAID else None
    return render(request, "claims/staff_claim.html", {
        "claim": claim, "rows": rows, "eligibility": services.claim_eligibility_for(claim),
        "sla": claim_sla(claim=claim), "history": _history(claim),
        "heir_nik_masked": selectors.claim_heir_nik_masked(claim=claim) if claim.heir_nik_ciphertext else "",
        "is_supervisor": _is_supervisor(request.user), "forms": forms, "payout": payout,
        "can_review": claim.status in (ClaimStatus.SUBMITTED, ClaimStatus.VERIFYING, ClaimStatus.MORE_DOCUMENTS),
        "needs_amount": claim.claim_type in ENTERED_TYPES,
        "breakdown": breakdown,
        "verified_by_me": claim.verified_by_id == request.user.pk,
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
            entered = {}
            if claim.claim_type in ENTERED_TYPES:
                form = VerifyForm(request.POST)
                if not form.is_valid():
                    return False, form
                entered = {"entered_amount_idr": form.cleaned_data["entered_amount"],
                           "entered_reason": form.cleaned_data["entered_reason"]}
            services.claim_verify(claim=claim, staff=staff, ip_address=ip, **entered)
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
        if form is not None and hasattr(error, "error_dict"):
            _apply_errors(form, error)
            return False, form
        messages.error(request, " ".join(_flatten_errors(error)))
        return True, None
    return True, None


@staff_required
def staff_document(request, pk, document_id):
    claim = selectors.claim_for_staff(viewer=request.user, pk=pk)
    document = selectors.document_for_user(viewer=request.user, pk=document_id)
    if document.claim_id != claim.pk:
        raise Http404
    return document_response(document)
