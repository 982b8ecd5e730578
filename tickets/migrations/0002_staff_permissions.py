from django.db import migrations

from accounts.roles import SUPPORT, grant


def grant_permissions(apps, schema_editor):
    # Support answers tickets and keeps the canned replies; Inspectors get nothing here.
    grant(
        apps,
        SUPPORT,
        "tickets",
        [
            "view_ticket",
            "answer_ticket",
            "view_message",
            "view_attachment",
            "view_cannedreply",
            "add_cannedreply",
            "change_cannedreply",
            "delete_cannedreply",
        ],
    )


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0001_initial"),
        ("accounts", "0002_staff_groups"),
    ]

    operations = [migrations.RunPython(grant_permissions, migrations.RunPython.noop)]
