"""Spreadsheet registration pages for sponsors (local governments, companies) and the staff overview."""

from django import forms
from django.conf import settings
from django.conf import settings as conf
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core.spreadsheets import csv_writer
from core.views import staff_required
from members.selectors import sponsor_for_user
from sponsors import bulk, selectors
from sponsors.models import BulkImport


class UploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Spreadsheet (CSV or XLSX)"),
                           error_messages={"required": gettext_lazy("Please choose a file.")})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)

        self.fields["file"].help_text = _("At most %(rows)s rows and %(mb)s MB a file; split a larger list.") % {
            "rows": f"{conf.BULK_IMPORT_MAX_ROWS:,}".replace(",", "."),
            "mb": conf.BULK_IMPORT_MAX_BYTES // (1024 * 1024)}


def _sponsor(request):
    sponsor = sponsor_for_user(user=request.user)
    if sponsor is None:
        raise Http404
    return sponsor


def _own_import(request, import_id) -> BulkImport:
    """The import for its sponsor, or for staff whose scope holds it (to read only)."""
    item = selectors.bulk_import_for_viewer(import_id=import_id, viewer=request.user)
    if item is None:
        raise Http404
    return item


def _sponsor_import(request, import_id) -> BulkImport:
    """Only the sponsor who uploaded the file confirms it: the invoice is theirs to pay. Staff read, never act."""
    item = _own_import(request, import_id)
    if item.sponsor.user_id != request.user.pk:
        raise PermissionDenied
    return item


@login_required
def imports(request):
    sponsor = _sponsor(request)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            item = bulk.bulk_import_start(sponsor=sponsor, uploaded=form.cleaned_data["file"], actor=request.user)
        except ValidationError as exc:
            for error in exc.message_dict.get("file", exc.messages):
                form.add_error("file", error)
        else:
            return redirect("bulk:detail", import_id=item.pk)
    return render(request, "sponsors/bulk_imports.html", {
        "form": form, "sponsor": sponsor, "imports": sponsor.imports.all()[:20],
        "retention_hours": settings.BULK_IMPORT_FILE_RETENTION_HOURS})


def _summary(item):
    return dict(item.rows.values_list("status").annotate(n=Count("id")).values_list("status", "n"))


@login_required
def detail(request, import_id):
    item = _own_import(request, import_id)
    return render(request, "sponsors/bulk_detail.html", {
        "item": item, "is_sponsor": item.sponsor.user_id == request.user.pk, "summary": _summary(item),
        "rejected": item.rows.exclude(status="accepted").order_by("row_number")[:50],
    })


@login_required
@require_POST
def commit(request, import_id):
    item = _sponsor_import(request, import_id)
    bulk.bulk_import_commit_start(import_id=item.pk, actor=request.user)
    item.refresh_from_db()
    if item.order_id:  # a small file, done before this answer
        messages.success(request, _("Workers registered. Here is the invoice for all of them."))
        return redirect("contributions:order", order_id=item.order_id)
    return redirect("bulk:detail", import_id=item.pk)


@login_required
@require_POST
def retry(request, import_id):
    """Try again after a failed job: only the sponsor who uploaded the file."""
    item = _own_import(request, import_id)
    if item.sponsor.user_id != request.user.pk:
        raise Http404
    try:
        bulk.bulk_import_retry(import_id=item.pk, actor=request.user)
    except bulk.RetryRefused as exc:
        messages.error(request, str(exc))
        return redirect("bulk:imports")
    return redirect("bulk:detail", import_id=item.pk)


class _Echo:
    def write(self, value):
        return value


@login_required
def report(request, import_id):
    item = _own_import(request, import_id)
    writer = csv_writer(_Echo())
    response = StreamingHttpResponse((writer.writerow(row) for row in bulk.report_rows(item)),
                                     content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="laporan-impor-{item.pk}.csv"'
    return response


def template(request):
    response = HttpResponse("\ufeff" + bulk.template_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="templat-pendaftaran-massal.csv"'
    return response


@staff_required
def staff_imports(request):
    return render(request, "sponsors/bulk_staff.html", {
        "imports": selectors.bulk_imports_for_staff(viewer=request.user)[:200]})
