"""The upload and the check of a whole file: every row's verdict stored, then the verdicts over the whole file
(duplicates, existing members, taken phone numbers) given in SQL."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F, Subquery, Window
from django.db.models.functions import RowNumber
from django.utils.translation import gettext as _

from core.publish import task_publish_on_commit
from core.services import audit_event_record
from members.models import Member, Sponsor
from sponsors.bulk.checks import _check_row, _Lookups
from sponsors.bulk.reading import FileUnreadable, _rows_expected, _rows_in_upload, read_rows
from sponsors.models import BulkImport, BulkImportRow, BulkRowStatus
from sponsors.transitions import (
    bulk_import_rows_status_transition_where,
    bulk_import_status_transition,
    bulk_import_touch,
)

BATCH = 5000


def bulk_import_validate(*, import_id: int) -> BulkImport:
    """Checks every row and stores the verdicts. Streams the file in batches (COPY on PostgreSQL) with progress
    saved after each; duplicates, existing members and taken phone numbers are then found in SQL over the whole
    file, so memory stays flat whatever its size. Safe to run again: it starts over."""
    bulk = BulkImport.objects.select_related("sponsor").get(pk=import_id)
    if bulk.status != BulkImport.Status.VALIDATING:
        return bulk
    BulkImportRow.objects.filter(bulk_import=bulk).delete()
    lookups = _Lookups()
    done = 0
    try:
        expected = _rows_expected(bulk.file.path, bulk.filename)
        bulk_import_touch(import_id=bulk.pk, total_rows=expected, done_rows=0)
        batch: list[tuple] = []
        for number, raw in read_rows(bulk.file.path, bulk.filename):
            if done + len(batch) >= settings.BULK_IMPORT_MAX_ROWS:  # the sheet's size said less than it holds
                raise FileUnreadable(_too_many_rows())
            data, reasons = _check_row(raw, lookups)
            batch.append((number, BulkRowStatus.REJECTED if reasons else BulkRowStatus.ACCEPTED, reasons, data))
            if len(batch) >= BATCH:
                done = _write_batch(bulk, batch, done, expected)
                batch = []
        done = _write_batch(bulk, batch, done, expected)
    except FileUnreadable as exc:
        BulkImportRow.objects.filter(bulk_import=bulk).delete()
        bulk_import_status_transition(import_id=bulk.pk, to=BulkImport.Status.FAILED, error=str(exc),
                                      reason="unreadable")
        return BulkImport.objects.get(pk=bulk.pk)
    if done == 0:
        bulk_import_status_transition(import_id=bulk.pk, to=BulkImport.Status.FAILED,
                                      error=_("The file has no worker rows."), reason="empty")
        return BulkImport.objects.get(pk=bulk.pk)
    with transaction.atomic():
        # Locked while the whole file is classified: the sweep sees a running job and leaves it alone.
        BulkImport.objects.select_for_update().filter(pk=bulk.pk).first()
        _classify(bulk)
        bulk_import_status_transition(import_id=bulk.pk, to=BulkImport.Status.VALIDATED, total_rows=done,
                                      done_rows=done)
    return BulkImport.objects.get(pk=bulk.pk)


def _too_many_rows() -> str:
    return _("The file has more than %(rows)s rows. Please split it into smaller files.") % {
        "rows": f"{settings.BULK_IMPORT_MAX_ROWS:,}".replace(",", ".")}


_ROW_FIELDS = ("bulk_import_id", "row_number", "status", "reasons", "data", "nik_index", "phone", "months")


def _write_batch(bulk: BulkImport, batch: list[tuple], done: int, expected: int) -> int:
    if not batch:
        return done
    rows = [(bulk.pk, number, status, reasons, data, data.pop("_index"), data["phone"], data["months"])
            for number, status, reasons, data in batch]
    if connection.vendor == "postgresql":
        from psycopg.types.json import Jsonb

        columns = ", ".join(_ROW_FIELDS)
        with connection.cursor() as cursor, cursor.cursor.copy(
                f"COPY {BulkImportRow._meta.db_table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row((*row[:3], Jsonb(row[3]), Jsonb(row[4]), *row[5:]))
    else:
        BulkImportRow.objects.bulk_create([BulkImportRow(**dict(zip(_ROW_FIELDS, row, strict=True))) for row in rows],
                                          batch_size=500)
    done += len(rows)
    bulk_import_touch(import_id=bulk.pk, done_rows=done, total_rows=max(expected, done + 1))
    return done


def _classify(bulk: BulkImport) -> None:
    """Set-based verdicts over the whole file, in the order a person would give them: a later row with a NIK or
    phone number seen in an earlier accepted row is a duplicate; the uploader's own phone number is refused (a
    worker signs in with their own); a NIK that is already a member's is attached to this sponsor instead; a phone
    number that already belongs to a member is refused."""
    rows = BulkImportRow.objects.filter(bulk_import=bulk)
    for column in ("nik_index", "phone"):
        later = (rows.filter(status=BulkRowStatus.ACCEPTED)
                 .annotate(k=Window(RowNumber(), partition_by=[F(column)], order_by=F("row_number").asc()))
                 .filter(k__gt=1).values("pk"))
        bulk_import_rows_status_transition_where(
            rows=rows.filter(pk__in=Subquery(later)), to=BulkRowStatus.DUPLICATE,
            reasons=[_("The same NIK or phone number appears earlier in the file.")])
    own = {str(user.phone) for user in (bulk.sponsor.user, bulk.created_by) if user.phone}
    bulk_import_rows_status_transition_where(
        rows=rows.filter(status=BulkRowStatus.ACCEPTED, phone__in=own), to=BulkRowStatus.REJECTED,
        reasons=[_("This is your own phone number. Please enter the worker's own number: they sign in with it.")])
    bulk_import_rows_status_transition_where(
        rows=rows.filter(status=BulkRowStatus.ACCEPTED, nik_index__in=Member.objects.values("nik_index")),
        to=BulkRowStatus.EXISTING, reasons=[_("Already a member: they will be asked to accept you as their sponsor.")])
    bulk_import_rows_status_transition_where(
        rows=rows.filter(status=BulkRowStatus.ACCEPTED, phone__in=Member.objects.values("phone")),
        to=BulkRowStatus.REJECTED, reasons=[_("This phone number already belongs to a member.")])


def bulk_import_start(*, sponsor: Sponsor, uploaded, actor) -> BulkImport:
    name = uploaded.name or "import.csv"
    if not name.lower().endswith((".csv", ".xlsx")):
        raise ValidationError({"file": [_("Please upload a CSV or XLSX file.")]})
    if uploaded.size > settings.BULK_IMPORT_MAX_BYTES:
        raise ValidationError({"file": [_("The file is larger than %(mb)s MB. Please split it.") % {
            "mb": settings.BULK_IMPORT_MAX_BYTES // (1024 * 1024)}]})
    if _rows_in_upload(uploaded, name) > settings.BULK_IMPORT_MAX_ROWS:
        raise ValidationError({"file": [_too_many_rows()]})
    with transaction.atomic():
        bulk = BulkImport.objects.create(sponsor=sponsor, created_by=actor, file=uploaded, filename=name[:200])
        audit_event_record(actor=actor, action="bulk_import.started", obj=bulk, changes={"file": bulk.filename})
        from sponsors.tasks import bulk_import_validate as task

        # With the broker down the upload still succeeds: the sweep (bulk_imports_sweep) queues the check later.
        task_publish_on_commit(task, bulk.pk)
    return bulk
