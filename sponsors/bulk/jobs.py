"""The check and the registration as jobs: the sponsor's confirmation queues the registration, a crash marks the
import failed with words the uploader can read, the retry button checks the file again, and the sweep resumes jobs
that stopped."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.models import User
from core.publish import task_publish_on_commit
from sponsors.bulk.registration import bulk_import_commit
from sponsors.bulk.validation import bulk_import_validate
from sponsors.models import BulkImport
from sponsors.transitions import bulk_import_status_transition, bulk_import_touch

logger = logging.getLogger(__name__)


def bulk_import_validate_job(*, import_id: int) -> BulkImport:
    """The check as a job: a crash (a bug, the database gone) marks the import failed with a message the uploader
    can read, and the retry button checks the file again; details go to the worker's log."""
    try:
        return bulk_import_validate(import_id=import_id)
    except Exception:
        logger.exception("bulk import %s: the check stopped", import_id)
        bulk_import_status_transition(import_id=import_id, to=BulkImport.Status.FAILED, error=_(
            "Checking the file stopped because of an error on our side. Nothing was registered. Please try "
            "again; if it stops again, contact us and give the number of this import (%(id)s).") % {
            "id": import_id}, reason="check crashed")
        return BulkImport.objects.get(pk=import_id)


def bulk_import_commit_start(*, import_id: int, actor) -> BulkImport:
    """The sponsor confirms: the registration runs as a job (a city's file takes a while), shown with progress."""
    with transaction.atomic():
        bulk = BulkImport.objects.select_for_update().get(pk=import_id)
        if bulk.sponsor.user_id != actor.pk:  # the invoice is the sponsor's: nobody confirms for it (not staff)
            raise PermissionDenied
        if bulk.status != BulkImport.Status.VALIDATED:
            return bulk
        bulk_import_status_transition(import_id=bulk.pk, to=BulkImport.Status.COMMITTING, actor=actor, tries=0)
        bulk.refresh_from_db()
        from sponsors.tasks import bulk_import_commit as task

        task_publish_on_commit(task, bulk.pk, actor.pk)
    return bulk


def bulk_import_commit_job(*, import_id: int, actor_id: int) -> BulkImport:
    """The job: registers everyone or nobody. A refusal (a row that changed since the check) is kept on the import
    for the sponsor to read, and the import can be confirmed again."""
    try:
        return bulk_import_commit(import_id=import_id, actor=User.objects.get(pk=actor_id))
    except ValidationError as exc:
        bulk_import_status_transition(import_id=import_id, to=BulkImport.Status.VALIDATED,
                                      error=" ".join(exc.messages), reason="a row changed since the check")
        return BulkImport.objects.get(pk=import_id)
    except Exception:  # nothing was registered (one transaction): say so, and let the uploader try again
        logger.exception("bulk import %s: the registration stopped", import_id)
        bulk_import_status_transition(import_id=import_id, to=BulkImport.Status.FAILED, error=_(
            "Registering the workers stopped because of an error on our side. Nobody was registered and no "
            "invoice was made. Please try again: the file is checked again first. If it stops again, contact us "
            "and give the number of this import (%(id)s).") % {"id": import_id}, reason="registration crashed")
        return BulkImport.objects.get(pk=import_id)


class RetryRefused(Exception):
    pass


def bulk_import_retry(*, import_id: int, actor) -> BulkImport:
    """The uploader's \"Try again\" on a failed import: the file is checked again from the start (a fixed bug, a
    database that is back), then confirmed as usual. Refused when the file is no longer kept."""
    bulk = BulkImport.objects.get(pk=import_id)
    if bulk.status != BulkImport.Status.FAILED:
        return bulk
    try:
        kept = bool(bulk.file) and bulk.file.storage.exists(bulk.file.name)
    except Exception:  # noqa: BLE001 - a storage that cannot answer: the same as a file not kept
        kept = False
    if not kept:
        raise RetryRefused(_("The file is no longer kept. Please upload it again."))
    with transaction.atomic():
        if bulk_import_status_transition(import_id=bulk.pk, to=BulkImport.Status.VALIDATING, actor=actor,
                                         reason="retry", tries=0, done_rows=0):
            from sponsors.tasks import bulk_import_validate as task

            task_publish_on_commit(task, bulk.pk)
    return BulkImport.objects.get(pk=bulk.pk)


def bulk_imports_sweep(*, now: dt.datetime | None = None, limit: int = 100) -> dict[str, int]:
    """Beat's sweep for jobs that stopped without finishing: a check or registration that shows no sign of life for
    BULK_IMPORT_STALE_SECONDS (a worker killed, the broker down when it was queued) is queued again, at most
    BULK_IMPORT_MAX_TRIES times, then marked failed for the uploader to retry. A job still running holds its
    import's row lock (PostgreSQL) and is skipped."""
    from sponsors.tasks import bulk_import_commit, bulk_import_validate

    now = now or timezone.now()
    cutoff = now - dt.timedelta(seconds=settings.BULK_IMPORT_STALE_SECONDS)
    running = (BulkImport.Status.VALIDATING, BulkImport.Status.COMMITTING)
    counts = {"handled": 0, "failed": 0, "skipped": 0}
    ids = list(BulkImport.objects.filter(status__in=running, updated_at__lt=cutoff).order_by("pk")
               .values_list("pk", flat=True)[:limit])
    for import_id in ids:
        with transaction.atomic():
            bulk = (BulkImport.objects.select_for_update(skip_locked=True)
                    .filter(pk=import_id, status__in=running, updated_at__lt=cutoff).first())
            if bulk is None:  # running right now, or moved on meanwhile
                counts["skipped"] += 1
                continue
            if bulk.tries >= settings.BULK_IMPORT_MAX_TRIES:
                bulk_import_status_transition(import_id=bulk.pk, to=BulkImport.Status.FAILED, error=_(
                    "The job stopped %(tries)s times without finishing. Nothing was registered. Please try "
                    "again later.") % {"tries": bulk.tries + 1}, reason="stopped too often")
                counts["failed"] += 1
                continue
            bulk_import_touch(import_id=bulk.pk, tries=bulk.tries + 1)
            if bulk.status == BulkImport.Status.VALIDATING:
                task_publish_on_commit(bulk_import_validate, bulk.pk)
            else:  # the confirmation was the uploader's; the job runs in their name
                task_publish_on_commit(bulk_import_commit, bulk.pk, bulk.created_by_id)
            counts["handled"] += 1
    return counts
