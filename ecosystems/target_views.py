"""Admins keep the targets and workforce figures the dashboards measure against: a page listing them by year and
two CSV uploads (checked in full by ecosystems.target_files, saved all or nothing by ecosystems.services.targets)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.views import admin_required
from ecosystems.forms import FiguresUploadForm
from ecosystems.selectors.targets import targets_by_year
from ecosystems.services import targets as service
from ecosystems.target_files import (
    KIND_LABELS,
    KIND_TARGETS,
    KIND_WORKFORCE,
    MAX_BYTES,
    targets_template_csv,
    workforce_template_csv,
)
from reference.models import Ecosystem

# URL word -> upload kind
KINDS = {"target": KIND_TARGETS, "tenaga-kerja": KIND_WORKFORCE}


def _page(request, *, forms=None, result=None, status=200):
    forms = forms or {}
    context = {
        "years": targets_by_year(),
        "targets_form": forms.get(KIND_TARGETS) or FiguresUploadForm(kind=KIND_TARGETS),
        "workforce_form": forms.get(KIND_WORKFORCE) or FiguresUploadForm(kind=KIND_WORKFORCE),
        "ecosystems": Ecosystem.objects.all(),
        "result": result,
        "max_mb": MAX_BYTES // (1024 * 1024),
    }
    return render(request, "ecosystems/targets.html", context, status=status)


@admin_required
def targets(request):
    return _page(request)


@admin_required
@require_POST
def targets_upload(request, kind):
    kind = KINDS.get(kind)
    if kind is None:
        raise PermissionDenied
    form = FiguresUploadForm(request.POST, request.FILES, kind=kind)
    if not form.is_valid():
        return _page(request, forms={kind: form}, status=400)
    upload = service.targets_upload if kind == KIND_TARGETS else service.workforce_upload
    result = upload(uploaded=form.cleaned_data["file"], actor=request.user)
    if not result.ok:
        if result.file_error:
            form.add_error("file", result.file_error)
        return _page(request, forms={kind: form}, result=result, status=400)
    messages.success(request, _("%(what)s from %(file)s saved: %(added)d added, %(updated)d updated, "
                                "%(unchanged)d unchanged.") % {
        "what": KIND_LABELS[kind], "file": result.filename, "added": result.added,
        "updated": result.updated, "unchanged": result.unchanged})
    return redirect("targets:list")


def _csv_response(text: str, filename: str) -> HttpResponse:
    # A BOM so Excel opens the file as UTF-8.
    response = HttpResponse("\ufeff" + text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@admin_required
def targets_template(request):
    return _csv_response(targets_template_csv(), "templat-target.csv")


@admin_required
def workforce_template(request):
    return _csv_response(workforce_template_csv(), "templat-tenaga-kerja.csv")
