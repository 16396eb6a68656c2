from celery import shared_task

from enrollment import bulk


@shared_task
def bulk_import_validate(import_id: int) -> None:
    bulk.bulk_import_validate(import_id=import_id)


@shared_task
def bulk_import_commit(import_id: int, actor_id: int) -> None:
    bulk.bulk_import_commit_job(import_id=import_id, actor_id=actor_id)
