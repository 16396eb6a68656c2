# Uploaded spreadsheets move to private storage (STORAGES["bulk_imports"]); files already in media are moved or
# deleted by the hourly sweep scheduled here (enrollment.bulk_files), not by this migration.

from django.db import migrations, models

import enrollment.models
import sponsors.models

SWEEP = "Delete uploaded spreadsheets"


def schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    hourly, _ = CrontabSchedule.objects.get_or_create(minute="10", hour="*", day_of_month="*", month_of_year="*",
                                                      day_of_week="*", timezone="Asia/Jakarta")
    PeriodicTask.objects.get_or_create(name=SWEEP, defaults={"task": "enrollment.tasks.bulk_import_files_sweep",
                                                             "crontab": hourly})


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=SWEEP).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("enrollment", "0012_bulk_import_jobs"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.AddField(
            model_name="bulkimport",
            name="file_deleted_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="bulkimport",
            name="file",
            field=models.FileField(blank=True, storage=sponsors.models.bulk_imports_storage, upload_to="imports/"),
        ),
        migrations.RunPython(schedule, unschedule),
    ]
