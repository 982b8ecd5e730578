from django.db import migrations

from accounts.roles import INSPECTORS, SUPPORT, grant


def grant_permissions(apps, schema_editor):
    grant(apps, INSPECTORS, "orders", ["view_order", "view_orderevent", "receive_order", "inspect_order"])
    grant(
        apps,
        SUPPORT,
        "orders",
        [
            "view_order",
            "change_order",
            "view_orderevent",
            "purchase_order",
            "receive_order",
            "manage_returns",
            "resolve_refusal",
        ],
    )


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0001_initial"),
        ("accounts", "0002_staff_groups"),
    ]

    operations = [migrations.RunPython(grant_permissions, migrations.RunPython.noop)]
