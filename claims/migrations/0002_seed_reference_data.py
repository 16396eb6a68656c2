from django.db import migrations


def seed(apps, schema_editor):
    from claims.seed import claims_reference_seed

    claims_reference_seed(*(apps.get_model("claims", name)
                            for name in ("BenefitRule", "ScholarshipLevel", "Branch", "BranchArea")))


class Migration(migrations.Migration):
    dependencies = [("claims", "0001_reference_data")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
