from django.db import migrations


def schedule(apps, schema_editor):
    """The outbox sweep is a django-celery-beat schedule, so admins can change it."""
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_minute, _ = IntervalSchedule.objects.get_or_create(every=1, period="minutes")
    PeriodicTask.objects.get_or_create(
        name="Retry undelivered notifications",
        defaults={"task": "core.tasks.notification_flush_pending", "interval": every_minute},
    )


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial"), ("django_celery_beat", "0019_alter_periodictasks_options")]
    operations = [migrations.RunPython(schedule, migrations.RunPython.noop)]
