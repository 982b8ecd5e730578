from django.db import migrations

from accounts.roles import SUPPORT, grant


def grant_permissions(apps, schema_editor):
    # Support handles seller disputes: they take the whole evidence, internal notes included.
    grant(apps, SUPPORT, "evidence", ["download_staff_pack", "view_evidencepack"])


class Migration(migrations.Migration):
    dependencies = [
        ("evidence", "0001_initial"),
        ("accounts", "0002_staff_groups"),
    ]

    operations = [migrations.RunPython(grant_permissions, migrations.RunPython.noop)]
