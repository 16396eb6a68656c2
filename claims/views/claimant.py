"""Claim pages for the claimant: the list, filing (worker and heir), the status page with documents. Thin: selectors
read (permission-scoped), services write and decide."""

from __future__ import annotations

from typing import cast

from cryptography.fernet import InvalidToken
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from claims import held, selectors, services
from claims.forms import (
    HEIR_TYPES,
    WORKER_TYPES,
    DocumentAddForm,
    HeirClaimForm,
    HeirFindForm,
    WorkerClaimForm,
    heir_order_help,
    upload_hint,
)
from claims.models import ClaimStatus, ClaimType, SchoolLevel, claim_program
from claims.uploads import document_response
from claims.views.common import (
    apply_errors,
    breakdown_of,
    checklist_rows,
    document_entries,
    flatten_errors,
    history_rows,
)
from claims.views.scholarships import schedules_for_page
from core.nik import nik_decrypt, nik_encrypt
from core.views import client_ip

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


@login_required
def claim_list(request):
    member = getattr(request.user, "member", None)
    worker_types = []
    if member is not None:
        worker_types = [t for t in WORKER_TYPES if claim_program(t) != "JHT" or member.has_jht]
    claims = list(selectors.claims_for_claimant(viewer=request.user))
    for claim in claims:
        # Not columns: what the list shows of each claim.
        status_text, next_step = (str(text) for text in STATUS_TEXT[ClaimStatus(claim.status)])
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
    entries = document_entries(claim_type, traffic_accident=traffic)
    scope = f"worker:{claim_type}"
    form = WorkerClaimForm(request.POST or None, _files(request, scope, entries), claim_type=claim_type,
                           document_kinds=entries)
    if request.method == "POST" and form.is_valid():
        try:
            claim = services.claim_file(claimant=request.user, member=member, claim_type=claim_type,
                                        event=form.event(), bank=form.bank(), details=form.details(),
                                        documents=form.documents(), ip_address=client_ip(request))
        except ValidationError as error:
            apply_errors(form, error)
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
    entries = document_entries(claim_type, relationship=relationship, traffic_accident=traffic)
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
            apply_errors(form, error)
        else:
            request.session.pop(SESSION_HEIR, None)
            held.release(request, scope)
            messages.success(request, _("Your claim %(number)s is filed. Keep this number.") % {"number": claim.number})
            return redirect("claims:detail", number=claim.number)
    return render(request, "claims/heir_claim.html", {
        "form": form, "claim_type": claim_type, "masked_name": member.masked_name, "upload_hint": upload_hint(),
        "files_held": _hold(request, scope, form, entries)})


@login_required
def claim_detail(request, number):
    claim = selectors.claim_for_claimant(viewer=request.user, number=number)
    rows = checklist_rows(claim)
    can_add = claim.status in (ClaimStatus.SUBMITTED, ClaimStatus.VERIFYING, ClaimStatus.MORE_DOCUMENTS)
    status_text, next_step = (str(text) for text in STATUS_TEXT[ClaimStatus(claim.status)])
    payout = getattr(claim, "payout", None) if claim.status == ClaimStatus.PAID else None
    schedules = schedules_for_page(request, claim) if claim.status == ClaimStatus.PAID else []
    if schedules:
        status_text = _("The scholarship's first school year was transferred to your account.")
        open_year = next((s.open_year for s in schedules if s.open_year), None)
        if open_year:
            next_step = _("Send the school certificate for %(year)s below.") % {"year": f"{open_year}/{open_year + 1}"}
    return render(request, "claims/claim_detail.html", {
        "claim": claim, "rows": rows, "can_add": can_add, "status_text": status_text, "next_step": next_step,
        "history": history_rows(claim), "payout": payout,
        "breakdown": breakdown_of(claim), "upload_hint": upload_hint(),
        "schedules": schedules,
        "levels": [("", "—"), *SchoolLevel.choices],
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
        message = " ".join(flatten_errors(error)) if isinstance(error, ValidationError) else str(error)
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
