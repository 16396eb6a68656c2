from django.db import migrations, models

# name, task, crontab (minute, hour, day_of_month): admins edit them under /admin/ → Periodic tasks.
SCHEDULES = [
    # After the monthly bills (1st) and before the due date (15th); add days of the month to run more often.
    ("Auto-debit run", "contributions.tasks.autodebit_run", ("0", "6", "5")),
    # Retries whose day has come, and answers lost to a timeout, asked again with the same key.
    ("Auto-debit retries", "contributions.tasks.autodebit_retry_due", ("20", "*", "*")),
]


def schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, (minute, hour, day) in SCHEDULES:
        cron, _ = CrontabSchedule.objects.get_or_create(minute=minute, hour=hour, day_of_month=day,
                                                        month_of_year="*", day_of_week="*", timezone="Asia/Jakarta")
        PeriodicTask.objects.get_or_create(name=name, defaults={"task": task, "crontab": cron})


def unschedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[name for name, _t, _c in SCHEDULES]).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("contributions", "0011_autodebit_reminders"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.AlterField(
            model_name="simulatorcharge",
            name="mandate_reference",
            field=models.CharField(db_index=True, max_length=64),
        ),
        migrations.RunPython(schedule, unschedule),
    ]
