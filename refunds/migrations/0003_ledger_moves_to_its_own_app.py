# The ledger's models now live in the ledger app (ledger 0001 takes them over, tables and data
# unchanged): they leave this app's migration state only.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("refunds", "0002_platform_accounts_permissions_append_only"),
        ("ledger", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="Entry"),
                migrations.DeleteModel(name="LedgerTransaction"),
                migrations.DeleteModel(name="Account"),
            ]
        )
    ]
