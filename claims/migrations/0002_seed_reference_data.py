from django.db import migrations


def seed(apps, schema_editor):
    from claims.seed import INITIAL_KINDS, claims_reference_seed
    from reference.seed import branches_seed

    claims_reference_seed(apps.get_model("claims", "BenefitRule"), apps.get_model("claims", "ScholarshipLevel"),
                          kinds=INITIAL_KINDS)
    branches_seed(apps.get_model("claims", "Branch"), apps.get_model("claims", "BranchArea"))


class Migration(migrations.Migration):
    dependencies = [("claims", "0001_reference_data")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
