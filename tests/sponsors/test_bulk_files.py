"""Uploaded spreadsheets (full NIKs) stay private and do not stay: 0600 in private storage with no URL, deleted
once the workers are registered, and by the hourly sweep after BULK_IMPORT_FILE_RETENTION_HOURS; uploads from before
private storage (media/imports) are moved or deleted too. The upload page says so."""

from __future__ import annotations

import datetime as dt
import importlib
import os
import stat
from pathlib import Path

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage, storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from core.models import JobRun
from sponsors.bulk import bulk_import_commit, bulk_import_start
from sponsors.bulk_files import bulk_import_files_sweep
from sponsors.models import BulkImport
from tests.conftest import VALID_NIK_WOMAN
from tests.factories.members import SponsorFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]
HEADER = "nik,nama,tempat_lahir,tanggal_lahir,jenis_kelamin,no_hp,kode_desa,alamat,pekerjaan,penghasilan,jht,bulan"
START = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def government(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"  # where uploads used to go
    return SponsorFactory(user__username="pemda-files", user__phone="+6281300000077", government=True)


def upload(government, village_code) -> BulkImport:
    row = (f"{VALID_NIK_WOMAN},Siti Rahayu,Jakarta,17-08-1990,P,081234567890,{village_code},Jl. A,"
           "asisten-rumah-tangga,1000000,tidak,1")
    item = bulk_import_start(sponsor=government, uploaded=SimpleUploadedFile("pekerja.csv", f"{HEADER}\n{row}\n"
                                                                                            .encode()),
                             actor=government.user)
    return BulkImport.objects.get(pk=item.pk)


def test_the_file_is_private_0600_with_no_url_and_outside_media(government, village_code, settings):
    item = upload(government, village_code)
    assert item.status == BulkImport.Status.VALIDATED
    path = Path(item.file.path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
    assert path.is_relative_to(storages["bulk_imports"].location)
    assert not path.is_relative_to(Path(settings.MEDIA_ROOT))
    assert Client().get(item.file.url).status_code == 404  # no web address reaches it


def test_registering_the_workers_deletes_the_file(client, government, village_code):
    item = upload(government, village_code)
    path = Path(item.file.path)
    bulk_import_commit(import_id=item.pk, actor=government.user)
    item.refresh_from_db()
    assert item.status == BulkImport.Status.COMMITTED and not path.exists()
    assert item.file.name == "" and item.file_deleted_at is not None
    assert item.rows.count() == 1  # the report stays
    client.force_login(government.user)
    client.cookies["bpu_lang"] = "en"
    html = client.get(f"/penyantun/impor/{item.pk}/").content.decode()
    assert 'id="file-deleted"' in html and "The uploaded file was deleted on" in html


def test_the_sweep_deletes_files_past_their_retention(government, village_code, settings):
    settings.BULK_IMPORT_FILE_RETENTION_HOURS = 48
    with time_machine.travel(START, tick=True):
        item = upload(government, village_code)  # checked, never confirmed
    path = Path(item.file.path)
    with time_machine.travel(START + dt.timedelta(hours=47), tick=True):
        assert bulk_import_files_sweep() == {"handled": 0, "skipped": 0}
    assert path.exists()
    with time_machine.travel(START + dt.timedelta(hours=49), tick=True):
        from sponsors.tasks import bulk_import_files_sweep as task

        task.delay()
    item.refresh_from_db()
    assert not path.exists() and item.file.name == "" and item.status == BulkImport.Status.VALIDATED
    run = JobRun.objects.get(job="bulk_imports.files")
    assert (run.status, run.handled) == (JobRun.Status.SUCCEEDED, 1)


def test_the_sweep_moves_or_deletes_uploads_left_in_media_and_deletes_orphans(government, village_code, settings):
    settings.BULK_IMPORT_FILE_RETENTION_HOURS = 48
    with time_machine.travel(START, tick=True):
        recent = upload(government, village_code)
        old = upload(government, village_code)
        private = storages["bulk_imports"]
        orphan = private.save("imports/lost.csv", ContentFile(b"nik\n"))
        legacy_old = default_storage.save("imports/lama.csv", ContentFile(b"nik\n3174015708900001\n"))
        stray = default_storage.save("imports/entah.csv", ContentFile(b"nik\n3174015708900003\n"))
        for path in (private.path(orphan), default_storage.path(legacy_old), default_storage.path(stray)):
            os.utime(path, (START.timestamp(), START.timestamp()))  # files age by the disk's clock
    private.delete(old.file.name)
    BulkImport.objects.filter(pk=old.pk).update(file=legacy_old)  # as rows from before private storage
    with time_machine.travel(START + dt.timedelta(hours=30), tick=True):
        legacy_recent = default_storage.save("imports/baru.csv", ContentFile(b"nik\n3174015708900002\n"))
        BulkImport.objects.filter(pk=recent.pk).update(file=legacy_recent, created_at=timezone.now())
        private.delete(recent.file.name)
    with time_machine.travel(START + dt.timedelta(hours=49), tick=True):
        result = bulk_import_files_sweep()
    recent.refresh_from_db()
    old.refresh_from_db()
    assert not default_storage.exists(legacy_old) and old.file.name == "" and old.file_deleted_at is not None
    assert not default_storage.exists(legacy_recent)  # moved: its check may still need it
    assert recent.file.storage.location == private.location and private.exists(recent.file.name)
    assert stat.S_IMODE(os.stat(recent.file.path).st_mode) == 0o600
    assert not private.exists(orphan) and not default_storage.exists(stray)
    assert result == {"handled": 3, "skipped": 1}


def test_the_upload_page_says_how_long_the_file_is_kept(client, government, settings):
    settings.BULK_IMPORT_FILE_RETENTION_HOURS = 72
    client.force_login(government.user)
    html = client.get("/penyantun/impor/").content.decode()
    assert 'id="file-retention"' in html and "paling lambat 72 jam setelah Anda mengunggahnya" in html
    client.cookies["bpu_lang"] = "en"
    html = client.get("/penyantun/impor/").content.decode()
    assert "delete it as soon as the workers are registered, or at the latest 72 hours after you upload it" in html


def test_the_sweep_is_scheduled_hourly():
    from django.apps import apps

    # Transactional tests empty the tables migrations filled: run the migration's schedule step again.
    migration = importlib.import_module("enrollment.migrations.0013_bulk_import_private_files")
    migration.schedule(apps, None)
    migration.schedule(apps, None)  # twice: still one
    importlib.import_module("sponsors.migrations.0001_initial").rename_tasks(apps, None)  # the jobs' new module
    task = PeriodicTask.objects.get(task="sponsors.tasks.bulk_import_files_sweep")
    assert task.enabled and task.crontab.minute == "10" and task.crontab.hour == "*"
