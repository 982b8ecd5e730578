from django.db import migrations

from accounts.roles import SUPPORT, grant


def grant_permissions(apps, schema_editor):
    grant(apps, SUPPORT, "notifications", ["view_notification"])


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0001_initial"),
        ("accounts", "0002_staff_groups"),
    ]

    operations = [migrations.RunPython(grant_permissions, migrations.RunPython.noop)]
