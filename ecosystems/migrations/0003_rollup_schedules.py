from django.db import migrations

# name, task, crontab (minute, hour): admins edit them under /admin/ → Periodic tasks.
SCHEDULES = [
    # The recent days, months and today's snapshot: the dashboards are at most ~10 minutes behind.
    ("Dashboard figures: refresh", "ecosystems.tasks.rollups_refresh", ("*/10", "*")),
    # Everything again from the source tables, after midnight's lapses and before the working day.
    ("Dashboard figures: nightly rebuild", "ecosystems.tasks.rollups_rebuild", ("30", "1")),
]


def schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, (minute, hour) in SCHEDULES:
        cron, _ = CrontabSchedule.objects.get_or_create(minute=minute, hour=hour, day_of_month="*",
                                                        month_of_year="*", day_of_week="*", timezone="Asia/Jakarta")
        PeriodicTask.objects.get_or_create(name=name, defaults={"task": task, "crontab": cron})


def unschedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[name for name, _t, _c in SCHEDULES]).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("ecosystems", "0002_dashboards"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
