from django.db import migrations

import core.models


def forget_authtoken_content_types(apps, schema_editor):
    # Permissions of the removed app go with their content type (FK cascade).
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.using(schema_editor.connection.alias).filter(app_label="authtoken").delete()


class Migration(migrations.Migration):
    """API tokens moved from rest_framework.authtoken (clear keys) to django-rest-knox (digests).

    The old table held usable tokens in clear and is no longer read: drop it, with the app's migration records,
    so a dump holds no usable token. Clients sign in again once.
    """

    dependencies = [
        ("core", "0006_outbox_key_fallback"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.AlterModelManagers(name="user", managers=[("objects", core.models.PortalUserManager())]),
        migrations.RunSQL(
            ["DROP TABLE IF EXISTS authtoken_token", "DELETE FROM django_migrations WHERE app = 'authtoken'"],
            reverse_sql=migrations.RunSQL.noop,
        ),
        migrations.RunPython(forget_authtoken_content_types, migrations.RunPython.noop),
    ]
