# The ledger's models move here from the refunds app. Their tables keep their names and their
# data: this migration only tells Django's migration state, refunds 0003 removes them there.

from decimal import Decimal

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("orders", "0003_decision_reminder"),
        ("refunds", "0002_platform_accounts_permissions_append_only"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    state_operations = [
        migrations.CreateModel(
            name="Account",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("kind", models.CharField(choices=[("wallet", "Shopper wallet"), ("topups", "Top-ups received"), ("order_payments", "Order payments"), ("seller_refunds", "Seller refunds"), ("compensation", "Platform compensation"), ("fees", "Fees"), ("adjustments", "Adjustments")], max_length=20, verbose_name="kind")),
                ("balance", models.DecimalField(decimal_places=2, default=Decimal("0.00"), max_digits=14, verbose_name="balance")),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="created")),
                ("user", models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="wallet", to=settings.AUTH_USER_MODEL)),
            ],
            options={
                "verbose_name": "account",
                "verbose_name_plural": "accounts",
                "db_table": "refunds_account",
                "ordering": ["kind", "user__email"],
                "constraints": [
                    models.CheckConstraint(condition=models.Q(models.Q(("kind", "wallet"), _negated=True), ("balance__gte", 0), _connector="OR"), name="wallet_balance_not_negative"),
                    models.CheckConstraint(condition=models.Q(models.Q(("kind", "wallet"), ("user__isnull", False)), models.Q(models.Q(("kind", "wallet"), _negated=True), ("user__isnull", True)), _connector="OR"), name="wallet_has_user_platform_has_none"),
                    models.UniqueConstraint(condition=models.Q(("user__isnull", True)), fields=("kind",), name="one_platform_account_per_kind"),
                ],
            },
        ),
        migrations.CreateModel(
            name="LedgerTransaction",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("kind", models.CharField(choices=[("topup", "Top-up"), ("payment", "Order payment"), ("cancel_refund", "Refund of a cancelled order"), ("refund", "Refund"), ("compensation", "Compensation"), ("exchange_payment", "Exchange price difference paid"), ("exchange_credit", "Exchange price difference refunded"), ("adjustment", "Adjustment"), ("reversal", "Reversal")], max_length=20, verbose_name="kind")),
                ("idempotency_key", models.CharField(max_length=120, unique=True, verbose_name="idempotency key")),
                ("description", models.CharField(max_length=300, verbose_name="description")),
                ("reason", models.TextField(blank=True, verbose_name="reason")),
                ("created_at", models.DateTimeField(db_index=True, default=django.utils.timezone.now, verbose_name="time")),
                ("created_by", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL)),
                ("order", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="ledger_transactions", to="orders.order")),
                ("reverses", models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="reversed_by", to="ledger.ledgertransaction")),
            ],
            options={
                "verbose_name": "ledger transaction",
                "verbose_name_plural": "ledger transactions",
                "db_table": "refunds_ledgertransaction",
                "ordering": ["-created_at", "-id"],
                "permissions": [("record_topup", "Can record top-ups and adjustments")],
            },
        ),
        migrations.CreateModel(
            name="Entry",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("amount", models.DecimalField(decimal_places=2, max_digits=14, verbose_name="amount")),
                ("balance_after", models.DecimalField(decimal_places=2, max_digits=14, verbose_name="balance after")),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="time")),
                ("account", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="entries", to="ledger.account")),
                ("transaction", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="entries", to="ledger.ledgertransaction")),
            ],
            options={
                "verbose_name": "entry",
                "verbose_name_plural": "entries",
                "db_table": "refunds_entry",
                "ordering": ["-id"],
                "indexes": [models.Index(fields=["account", "-id"], name="refunds_ent_account_ed6682_idx")],
                "constraints": [models.CheckConstraint(condition=models.Q(("amount", 0), _negated=True), name="entry_amount_not_zero")],
            },
        ),
    ]

    operations = [migrations.SeparateDatabaseAndState(state_operations=state_operations)]
