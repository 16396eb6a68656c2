from django.db import migrations


def schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    cron, _ = CrontabSchedule.objects.get_or_create(minute="30", hour="2", day_of_month="*", month_of_year="*",
                                                    day_of_week="*", timezone="Asia/Jakarta")
    PeriodicTask.objects.get_or_create(name="Mark idle agents inactive",
                                       defaults={"task": "contributions.tasks.agents_mark_inactive", "crontab": cron})


class Migration(migrations.Migration):
    dependencies = [("contributions", "0009_agentsettlement_agent_cashcollection_agent_and_more"), ("django_celery_beat", "0019_alter_periodictasks_options")]
    operations = [migrations.RunPython(schedule, migrations.RunPython.noop)]
