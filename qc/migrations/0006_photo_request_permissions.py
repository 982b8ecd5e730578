from django.db import migrations

from accounts.roles import INSPECTORS, SUPPORT, grant


def grant_permissions(apps, schema_editor):
    # Inspectors answer shoppers' photo requests; support staff see them (tickets ask about them).
    grant(apps, INSPECTORS, "qc", ["view_photorequest", "answer_photorequest"])
    grant(apps, SUPPORT, "qc", ["view_photorequest"])


class Migration(migrations.Migration):
    dependencies = [
        ("qc", "0005_photo_requests"),
        ("accounts", "0002_staff_groups"),
    ]

    operations = [migrations.RunPython(grant_permissions, migrations.RunPython.noop)]
