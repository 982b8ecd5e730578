from django.db import migrations

from accounts.roles import SUPPORT, grant


def grant_permissions(apps, schema_editor):
    # Support staff run the negotiations with sellers: they see the discount requests (the
    # answers are recorded with the order's buttons, under orders.manage_returns).
    grant(apps, SUPPORT, "refunds", ["view_discountrequest"])


class Migration(migrations.Migration):
    dependencies = [
        ("refunds", "0004_discount_requests"),
        ("accounts", "0002_staff_groups"),
    ]

    operations = [migrations.RunPython(grant_permissions, migrations.RunPython.noop)]
