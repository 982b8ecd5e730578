# The database's own guards of the ledger, declared on the models with django-pgtrigger:
# append-only rows (replacing the hand-written triggers of refunds 0002) and, at commit, every
# transaction has entries that sum to zero. PostgreSQL only; other databases skip them.

from importlib import import_module

import pgtrigger.compiler
import pgtrigger.migrations
from django.db import migrations

# The hand-written triggers are created (and, going backwards, created again) by refunds 0002.
REFUNDS_0002 = "refunds.migrations.0002_platform_accounts_permissions_append_only"


def drop_hand_written(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(import_module(REFUNDS_0002).DROP_SQL, params=None)


def restore_hand_written(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(import_module(REFUNDS_0002).APPEND_ONLY_SQL, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0002_content_types_follow_the_models"),
    ]

    operations = [
        migrations.RunPython(drop_hand_written, restore_hand_written),
        pgtrigger.migrations.AddTrigger(
            model_name="entry",
            trigger=pgtrigger.compiler.Trigger(
                name="append_only",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func="RAISE EXCEPTION 'pgtrigger: Cannot update or delete rows from % table', TG_TABLE_NAME;",
                    hash="b72b4330c58a1196cdbcb826d1feb8bcf954fada",
                    operation="UPDATE OR DELETE",
                    pgid="pgtrigger_append_only_af900",
                    table="refunds_entry",
                    when="BEFORE",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="entry",
            trigger=pgtrigger.compiler.Trigger(
                name="transaction_balanced",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    constraint="CONSTRAINT",
                    func="\n                    IF (SELECT SUM(amount) FROM refunds_entry\n                        WHERE transaction_id = NEW.transaction_id) <> 0 THEN\n                        RAISE EXCEPTION 'ledger transaction % does not sum to zero', NEW.transaction_id\n                            USING ERRCODE = 'check_violation';\n                    END IF;\n                    RETURN NULL;\n                    ",
                    hash="7f86442899feaed6b261cd0bb4113269d5ce43bf",
                    operation="INSERT",
                    pgid="pgtrigger_transaction_balanced_e6869",
                    table="refunds_entry",
                    timing="DEFERRABLE INITIALLY DEFERRED",
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="ledgertransaction",
            trigger=pgtrigger.compiler.Trigger(
                name="append_only",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func="RAISE EXCEPTION 'pgtrigger: Cannot update or delete rows from % table', TG_TABLE_NAME;",
                    hash="0075c4cd51fac5bb9ee8aaf54b3eee59bd1a72fc",
                    operation="UPDATE OR DELETE",
                    pgid="pgtrigger_append_only_e7439",
                    table="refunds_ledgertransaction",
                    when="BEFORE",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="ledgertransaction",
            trigger=pgtrigger.compiler.Trigger(
                name="has_entries",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    constraint="CONSTRAINT",
                    func="\n                    IF NOT EXISTS (SELECT 1 FROM refunds_entry WHERE transaction_id = NEW.id) THEN\n                        RAISE EXCEPTION 'ledger transaction % has no entries', NEW.idempotency_key\n                            USING ERRCODE = 'check_violation';\n                    END IF;\n                    RETURN NULL;\n                ",
                    hash="1c0a6737b6226ceb756c3c28ad286d404e21751b",
                    operation="INSERT",
                    pgid="pgtrigger_has_entries_14a08",
                    table="refunds_ledgertransaction",
                    timing="DEFERRABLE INITIALLY DEFERRED",
                    when="AFTER",
                ),
            ),
        ),
    ]
