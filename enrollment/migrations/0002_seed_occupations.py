from django.db import migrations


def seed(apps, schema_editor):
    from members.seed import occupations_seed

    occupations_seed(apps.get_model("enrollment", "Occupation"))


class Migration(migrations.Migration):
    dependencies = [("enrollment", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
