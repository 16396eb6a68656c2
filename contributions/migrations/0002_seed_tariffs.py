from django.db import migrations


def seed(apps, schema_editor):
    from reference.seed import tariffs_seed

    tariffs_seed(apps.get_model("contributions", "IncomeBase"), apps.get_model("contributions", "TariffRate"),
                 apps.get_model("contributions", "Discount"))


class Migration(migrations.Migration):
    dependencies = [("contributions", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
