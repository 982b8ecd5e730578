"""What PostgreSQL itself refuses in the ledger, whatever code writes to it (django-pgtrigger).

These run in real transactions (`transaction=True`): the balance checks wait for the commit.
"""

from decimal import Decimal

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from ledger.models import Entry, LedgerTransaction
from ledger.selectors import ledger_violations
from ledger.services import wallet_for, wallet_topup

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

INSERT_ENTRY = (
    "INSERT INTO refunds_entry (transaction_id, account_id, amount, balance_after, created_at) "
    "VALUES (%s, %s, %s, %s, now())"
)


def _execute(sql: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_an_entry_that_unbalances_its_transaction_is_refused_when_it_commits(shopper):
    assert connection.vendor == "postgresql"
    txn, _ = wallet_topup(user=shopper, amount=Decimal("40.00"), by=None, reason="transfer", token="t1")
    wallet = wallet_for(user=shopper)
    accepted_until_commit = False

    with pytest.raises(IntegrityError, match="does not sum to zero"), transaction.atomic():
        _execute(INSERT_ENTRY, [txn.pk, wallet.pk, Decimal("5.00"), Decimal("45.00")])
        accepted_until_commit = True

    assert accepted_until_commit
    assert Entry.objects.filter(transaction=txn).count() == 2
    assert ledger_violations() == []


def test_a_transaction_without_entries_is_refused_when_it_commits():
    with pytest.raises(IntegrityError, match="has no entries"), transaction.atomic():
        LedgerTransaction.objects.create(kind="adjustment", idempotency_key="empty", description="Nothing moves")

    assert not LedgerTransaction.objects.filter(idempotency_key="empty").exists()


def test_ledger_rows_are_never_changed_or_deleted(shopper):
    txn, _ = wallet_topup(user=shopper, amount=Decimal("40.00"), by=None, reason="transfer", token="t2")

    for sql in [
        "UPDATE refunds_entry SET amount = 1 WHERE transaction_id = %s",
        "DELETE FROM refunds_entry WHERE transaction_id = %s",
        "UPDATE refunds_ledgertransaction SET description = 'edited' WHERE id = %s",
        "DELETE FROM refunds_ledgertransaction WHERE id = %s",
    ]:
        with pytest.raises(DatabaseError, match="Cannot update or delete rows"), transaction.atomic():
            _execute(sql, [txn.pk])

    assert LedgerTransaction.objects.get(pk=txn.pk).description == txn.description
    assert Entry.objects.filter(transaction=txn).count() == 2
    assert ledger_violations() == []
