from django.db import migrations

SCHEDULES = [
    # name, task, crontab (minute, hour, day_of_month)
    ("Monthly bills", "contributions.tasks.bills_generate_current_month", ("30", "0", "1")),
    ("Lapse unpaid memberships", "contributions.tasks.members_lapse", ("0", "2", "*")),
    ("Expire unpaid payment orders", "contributions.tasks.payment_orders_expire", ("*/15", "*", "*")),
]


def schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, (minute, hour, day) in SCHEDULES:
        cron, _ = CrontabSchedule.objects.get_or_create(minute=minute, hour=hour, day_of_month=day,
                                                        month_of_year="*", day_of_week="*", timezone="Asia/Jakarta")
        PeriodicTask.objects.get_or_create(name=name, defaults={"task": task, "crontab": cron})


class Migration(migrations.Migration):
    dependencies = [("contributions", "0004_ledger_append_only"), ("django_celery_beat", "0019_alter_periodictasks_options")]
    operations = [migrations.RunPython(schedule, migrations.RunPython.noop)]
