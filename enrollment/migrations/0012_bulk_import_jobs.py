import django.utils.timezone
from django.db import migrations, models


def schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_5_minutes, _ = IntervalSchedule.objects.get_or_create(every=5, period="minutes")
    PeriodicTask.objects.get_or_create(
        name="Resume stopped bulk imports",
        defaults={"task": "enrollment.tasks.bulk_imports_sweep", "interval": every_5_minutes})


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name="Resume stopped bulk imports").delete()


class Migration(migrations.Migration):

    dependencies = [
        ("enrollment", "0011_member_invitation"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.AddField(
            model_name="bulkimport",
            name="tries",
            field=models.PositiveSmallIntegerField(default=0, help_text="Times the sweep queued its job again"),
        ),
        migrations.AddField(
            model_name="bulkimport",
            name="updated_at",
            field=models.DateTimeField(default=django.utils.timezone.now),
        ),
        migrations.AlterField(
            model_name="bulkimport",
            name="status",
            field=models.CharField(choices=[("validating", "Checking the file"),
                                            ("validated", "Checked: waiting for confirmation"),
                                            ("failed", "Stopped: see the reason below"),
                                            ("committing", "Registering the workers"), ("committed", "Registered")],
                                   default="validating", max_length=10),
        ),
        migrations.AddIndex(
            model_name="bulkimport",
            index=models.Index(fields=["status", "updated_at"], name="bulk_import_status_updated"),
        ),
        migrations.RunPython(schedule, unschedule),
    ]
