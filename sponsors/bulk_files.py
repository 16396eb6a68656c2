"""Uploaded bulk spreadsheets hold full NIKs in clear. They live in private storage (STORAGES["bulk_imports"]:
outside media, 0600, no URL), are deleted once their workers are registered, and the hourly sweep deletes any left
BULK_IMPORT_FILE_RETENTION_HOURS after upload, files no import names, and uploads from before private storage
(MEDIA_ROOT/imports). The rows keep what the sponsor needs to see (verdicts, masked NIKs)."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from sponsors.models import BulkImport, bulk_imports_storage

logger = logging.getLogger(__name__)
FOLDER = "imports"  # the FileField's upload_to, in the private storage as it was in media


def bulk_import_file_delete(*, import_id: int) -> bool:
    """Forgets the import's file, then deletes it once that is committed (a failed deletion leaves an orphan for
    the sweep, never a row pointing at nothing). True when there was a file."""
    with transaction.atomic():
        item = BulkImport.objects.select_for_update().filter(pk=import_id).only("pk", "file").first()
        if item is None or not item.file.name:
            return False
        name = item.file.name
        BulkImport.objects.filter(pk=import_id).update(file="", file_deleted_at=timezone.now())
        transaction.on_commit(lambda: _delete(bulk_imports_storage(), name))
    return True


def _delete(storage, name: str) -> None:
    try:
        storage.delete(name)
    except OSError:
        logger.warning("bulk import file %s could not be deleted; the sweep tries again", name)


def bulk_import_files_sweep(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Registered imports' files and files past their retention; then orphans and old media uploads by age. An
    upload in media that an unfinished import still needs (a check under way) moves to private storage instead."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(hours=settings.BULK_IMPORT_FILE_RETENTION_HOURS)
    handled = skipped = 0
    private = bulk_imports_storage()
    for name in _files(default_storage):  # uploads from before private storage, first: their rows name them
        row = BulkImport.objects.filter(file=name).only("pk", "created_at", "status").first()
        if row is not None and row.created_at >= cutoff and row.status != BulkImport.Status.COMMITTED:
            _move(name, private, row.pk)
            skipped += 1
        elif row is not None or default_storage.get_modified_time(name) < cutoff:
            _delete(default_storage, name)
            if row is not None:
                BulkImport.objects.filter(pk=row.pk).update(file="", file_deleted_at=now)
            handled += 1
    due = (BulkImport.objects.exclude(file="")
           .filter(Q(status=BulkImport.Status.COMMITTED) | Q(created_at__lt=cutoff)).order_by("pk"))
    for import_id in due.values_list("pk", flat=True).iterator(chunk_size=1000):
        handled += bulk_import_file_delete(import_id=import_id)
    named = set(BulkImport.objects.exclude(file="").values_list("file", flat=True))
    for name in _files(private):  # a deletion that failed; by the file's age on disk
        if name not in named and private.get_modified_time(name) < cutoff:
            _delete(private, name)
            handled += 1
    return {"handled": handled, "skipped": skipped}


def _files(storage) -> list[str]:
    try:
        if not storage.exists(FOLDER):
            return []
        return [f"{FOLDER}/{name}" for name in storage.listdir(FOLDER)[1]]
    except NotImplementedError:  # a storage without listing (an object store has its own lifecycle rules)
        return []


def _move(name: str, private, import_id: int) -> None:
    with default_storage.open(name, "rb") as handle:
        new_name = private.save(name, handle)
    BulkImport.objects.filter(pk=import_id).update(file=new_name)
    _delete(default_storage, name)
