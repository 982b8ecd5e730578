from django.db import migrations

from accounts.roles import SUPPORT, grant

PLATFORM_KINDS = ["topups", "order_payments", "seller_refunds", "compensation", "fees", "adjustments"]

# PostgreSQL refuses any UPDATE or DELETE of ledger rows, whatever the code does.
APPEND_ONLY_SQL = """
CREATE OR REPLACE FUNCTION refunds_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'ledger rows are append-only (% on %)', TG_OP, TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER refunds_entry_append_only BEFORE UPDATE OR DELETE ON refunds_entry
    FOR EACH ROW EXECUTE FUNCTION refunds_append_only();
CREATE TRIGGER refunds_transaction_append_only BEFORE UPDATE OR DELETE ON refunds_ledgertransaction
    FOR EACH ROW EXECUTE FUNCTION refunds_append_only();
"""
DROP_SQL = """
DROP TRIGGER IF EXISTS refunds_entry_append_only ON refunds_entry;
DROP TRIGGER IF EXISTS refunds_transaction_append_only ON refunds_ledgertransaction;
DROP FUNCTION IF EXISTS refunds_append_only();
"""


def forwards(apps, schema_editor):
    Account = apps.get_model("refunds", "Account")
    for kind in PLATFORM_KINDS:
        Account.objects.get_or_create(kind=kind, user=None)
    grant(
        apps,
        SUPPORT,
        "refunds",
        ["view_account", "view_ledgertransaction", "view_entry", "view_returnrequest", "record_topup"],
    )
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(APPEND_ONLY_SQL, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_SQL, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("refunds", "0001_initial"),
        ("accounts", "0002_staff_groups"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
