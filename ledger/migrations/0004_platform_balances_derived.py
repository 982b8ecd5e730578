# Platform accounts stop caching a balance: theirs is the sum of their entries, so payments no
# longer lock and update one shared row each (issue 14). Shopper wallets keep theirs, and their
# entries keep the statement's running balance; platform entries written from now on have none.
# The account index of refunds_entry goes: the (account, -id) index serves the same lookups.

from decimal import Decimal

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import Sum


def forget_platform_balances(apps, schema_editor):
    Account = apps.get_model("ledger", "Account")
    Account.objects.exclude(kind="wallet").update(balance=None)


def cache_platform_balances(apps, schema_editor):
    Account = apps.get_model("ledger", "Account")
    Entry = apps.get_model("ledger", "Entry")
    for account in Account.objects.exclude(kind="wallet"):
        total = Entry.objects.filter(account=account).aggregate(total=Sum("amount"))["total"]
        Account.objects.filter(pk=account.pk).update(balance=total or Decimal("0.00"))


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0003_database_guards"),
    ]

    operations = [
        migrations.AlterField(
            model_name="account",
            name="balance",
            field=models.DecimalField(
                blank=True, decimal_places=2, default=Decimal("0.00"), max_digits=14, null=True, verbose_name="balance"
            ),
        ),
        migrations.RunPython(forget_platform_balances, cache_platform_balances),
        migrations.AddConstraint(
            model_name="account",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("balance__isnull", False), ("kind", "wallet")),
                    models.Q(models.Q(("kind", "wallet"), _negated=True), ("balance__isnull", True)),
                    _connector="OR",
                ),
                name="only_wallets_cache_a_balance",
            ),
        ),
        migrations.AlterField(
            model_name="entry",
            name="account",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="entries",
                to="ledger.account",
            ),
        ),
        migrations.AlterField(
            model_name="entry",
            name="balance_after",
            field=models.DecimalField(
                blank=True, decimal_places=2, max_digits=14, null=True, verbose_name="balance after"
            ),
        ),
    ]
