"""The test database is emptied after each transactional test and given back the rows migrations
wrote before the next (tests/quick_reset.py does both quickly on PostgreSQL): nothing of a test
is left, nothing migrations wrote is lost, and the ledger's guards are on again after."""

from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from ledger.models import Account
from ledger.services import wallet_topup
from tests.factories import OrderFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _migration_rows() -> dict[str, list]:
    return {
        "groups": sorted(Group.objects.values_list("name", flat=True)),
        "group permissions": sorted(Group.permissions.through.objects.values_list("group__name", "permission_id")),
        "permissions": sorted(Permission.objects.values_list("pk", "codename")),
        "content types": sorted(ContentType.objects.values_list("pk", "app_label", "model")),
        "accounts": sorted(Account.objects.values_list("pk", "kind", "balance")),
    }


def test_a_test_leaves_nothing_and_what_migrations_wrote_comes_back():
    assert connection.vendor == "postgresql"
    written_by_migrations = _migration_rows()
    assert written_by_migrations["groups"] and written_by_migrations["accounts"]
    shopper = UserFactory()
    shopper.groups.add(Group.objects.first())
    OrderFactory(shopper=shopper)
    wallet_topup(user=shopper, amount=Decimal("40.00"), by=None, reason="transfer", token="reset-1")

    # What pytest-django does after a transactional test, then before the next one.
    call_command("flush", verbosity=0, interactive=False, reset_sequences=False, inhibit_post_migrate=True)
    left = {model._meta.label: model._base_manager.count() for model in apps.get_models()}
    assert {label: count for label, count in left.items() if count} == {}
    connection.creation.deserialize_db_from_string(connection._test_serialized_contents)

    assert _migration_rows() == written_by_migrations
    # The guards were off only while emptying: a ledger row still cannot be deleted.
    txn, _ = wallet_topup(user=UserFactory(), amount=Decimal("5.00"), by=None, reason="transfer", token="reset-2")
    with (
        pytest.raises(DatabaseError, match="Cannot update or delete rows"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM refunds_entry WHERE transaction_id = %s", [txn.pk])
