from celery import shared_task
from django.utils.translation import gettext_lazy as _

from core.jobs import recorded
from sponsors import bulk, bulk_files


@shared_task
def bulk_import_validate(import_id: int) -> None:
    bulk.bulk_import_validate_job(import_id=import_id)


@shared_task
def bulk_import_commit(import_id: int, actor_id: int) -> None:
    bulk.bulk_import_commit_job(import_id=import_id, actor_id=actor_id)


@shared_task
@recorded("bulk_imports.sweep", _("Resume stopped bulk imports"))
def bulk_imports_sweep() -> dict[str, int]:
    return bulk.bulk_imports_sweep()


@shared_task
@recorded("bulk_imports.files", _("Delete uploaded spreadsheets"))
def bulk_import_files_sweep() -> dict[str, int]:
    return bulk_files.bulk_import_files_sweep()
