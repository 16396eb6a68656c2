"""The school years of a scholarship: the heir sends each year's school certificate (or says the scholarship ends),
branch staff check it, record the transfer, or end a child's scholarship. Thin: selectors read (scoped), services
write and decide. A refused form comes back on the claim's page with its message and what was chosen."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from claims import selectors, services
from claims.models import ScholarshipChild, ScholarshipPayment
from claims.scholarship_forms import HeirEndForm, StaffEndForm, YearPayForm, YearReviewForm, YearSubmitForm
from claims.scholarships import scholarship_schedules
from core.http import posted_id_or_404
from core.views import client_ip, staff_required

SESSION_ERROR = "scholarship_error"


def _errors(error: ValidationError | PermissionDenied | dict) -> tuple[str, dict[str, str]]:
    """(message above the form, {field: message}) from a form's or a service's errors."""
    if isinstance(error, PermissionDenied):
        return str(error), {}
    if isinstance(error, ValidationError):
        if not hasattr(error, "error_dict"):
            return " ".join(str(m) for m in error.messages), {}
        error = error.message_dict
    fields = {name.split("-", 1)[-1]: " ".join(str(m) for m in messages_) for name, messages_ in error.items()
              if name != "__all__"}
    return " ".join(str(m) for m in error.get("__all__", [])), fields


def _back(request, url: str, anchor: str, error=None, kept: dict | None = None):
    if error is not None:
        message, fields = _errors(error)
        request.session[SESSION_ERROR] = {"anchor": anchor, "message": message, "fields": fields,
                                          "kept": kept or {}}
    return redirect(f"{url}#{anchor}")


def schedules_for_page(request, claim) -> list:
    """The claim's children and school years for its page, each with the error of its refused form (shown once,
    next to that form) and what was chosen in it."""
    schedules = scholarship_schedules(claim=claim, today=timezone.localdate())
    error = request.session.pop(SESSION_ERROR, None) or {}
    message, fields, kept = str(error.get("message", "")), error.get("fields", {}), error.get("kept", {})
    for schedule in schedules:
        child = schedule.child.pk
        if error.get("anchor") == f"child-{child}":
            schedule.send_error, schedule.send_fields, schedule.kept_level = message, fields, kept.get("level", "")
        if error.get("anchor") == f"end-{child}":
            schedule.end_error, schedule.end_fields, schedule.end_kept = message, fields, kept
        for payment in schedule.payments:  # not columns: the staff page's forms per school year
            own = error.get("anchor") == f"year-{payment.pk}"
            text = " ".join(filter(None, [message, *fields.values()])) if own else ""
            setattr(payment, "form_error", text)  # noqa: B010
            setattr(payment, "kept", kept if own else {})  # noqa: B010
    return schedules


@login_required
@require_POST
def scholarship_heir(request, number):
    """The heir's two forms for one child: a school year's certificate, or the end of the scholarship."""
    claim = selectors.claim_for_claimant(viewer=request.user, number=number)
    child = ScholarshipChild.objects.filter(claim=claim, pk=posted_id_or_404(request.POST.get("child"))).first()
    if child is None:
        raise Http404
    url, ip = reverse("claims:detail", args=[claim.number]), client_ip(request)
    action = request.POST.get("action")
    try:
        if action == "submit":
            form = YearSubmitForm(request.POST, request.FILES, prefix=f"c{child.pk}")
            kept = {"level": request.POST.get(f"c{child.pk}-level", "")}
            if not form.is_valid():
                return _back(request, url, f"child-{child.pk}", form.errors, kept)
            services.scholarship_year_submit(child=child, user=request.user, level=form.cleaned_data["level"],
                                             upload=form.cleaned_data["file"], declared=True, ip_address=ip)
            messages.success(request, _("Thank you: the school certificate is sent. The branch will check it."))
        elif action == "end":
            end = HeirEndForm(request.POST, prefix=f"e{child.pk}")
            if not end.is_valid():
                return _back(request, url, f"end-{child.pk}", end.errors)
            services.scholarship_child_end(child=child, actor=request.user, reason=end.cleaned_data["reason"],
                                           ip_address=ip)
            messages.success(request, _("The scholarship for %(name)s has ended. Thank you for telling us.")
                             % {"name": child.name})
        else:
            raise Http404
    except (ValidationError, PermissionDenied) as error:
        return _back(request, url, f"child-{child.pk}" if action == "submit" else f"end-{child.pk}", error,
                     {"level": request.POST.get(f"c{child.pk}-level", "")})
    return redirect(f"{url}#child-{child.pk}")


@staff_required
@require_POST
def scholarship_staff(request, pk):
    """Staff's forms on the claim page: check a school year's certificate, record its transfer, end a child."""
    claim = selectors.claim_for_staff(viewer=request.user, pk=pk)
    url, ip, action = reverse("claims:staff-claim", args=[claim.pk]), client_ip(request), request.POST.get("action")
    try:
        if action in ("review", "pay"):
            payment = (ScholarshipPayment.objects.filter(child__claim=claim,
                                                         pk=posted_id_or_404(request.POST.get("payment")))
                       .select_related("child").first())
            if payment is None:
                raise Http404
            anchor = f"year-{payment.pk}"
            if action == "review":
                review = YearReviewForm(request.POST, prefix=f"y{payment.pk}")
                if not review.is_valid():
                    return _back(request, url, anchor, review.errors, {"note": request.POST.get(f"y{payment.pk}-note")})
                services.scholarship_year_review(payment=payment, staff=request.user,
                                                 valid=review.cleaned_data["verdict"] == "valid",
                                                 note=review.cleaned_data["note"], ip_address=ip)
                messages.success(request, _("Saved; the heir is told."))
            else:
                pay = YearPayForm(request.POST, prefix=f"p{payment.pk}")
                kept = {"transfer_reference": request.POST.get(f"p{payment.pk}-transfer_reference", "")}
                if not pay.is_valid():
                    return _back(request, url, anchor, pay.errors, kept)
                try:
                    services.scholarship_year_pay(payment=payment, staff=request.user, ip_address=ip,
                                                  transfer_reference=pay.cleaned_data["transfer_reference"])
                except (ValidationError, PermissionDenied) as error:
                    return _back(request, url, anchor, error, kept)
                messages.success(request, _("The transfer is recorded; the heir is told."))
        elif action == "end":
            child = ScholarshipChild.objects.filter(claim=claim, pk=posted_id_or_404(request.POST.get("child"))).first()
            if child is None:
                raise Http404
            anchor = f"end-{child.pk}"
            end = StaffEndForm(request.POST, prefix=f"e{child.pk}")
            kept = {"note": request.POST.get(f"e{child.pk}-note", ""),
                    "reason": request.POST.get(f"e{child.pk}-reason", "")}
            if not end.is_valid():
                return _back(request, url, anchor, end.errors, kept)
            services.scholarship_child_end(child=child, actor=request.user, reason=end.cleaned_data["reason"],
                                           note=end.cleaned_data["note"], ip_address=ip)
            messages.success(request, _("The scholarship of %(name)s has ended.") % {"name": child.name})
        else:
            raise Http404
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, " ".join(filter(None, [_errors(error)[0], *_errors(error)[1].values()])))
    return redirect(f"{url}#scholarship")

