"""Platform accounts keep no cached balance: theirs is the sum of their entries, shown as such and
checked; wallets keep theirs, and their statements' running balances add up."""

from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from ledger.models import Account, LedgerTransaction
from ledger.selectors import ledger_violations, platform_balance, wallet_balance
from ledger.services import InsufficientBalance, ledger_post, platform_account, wallet_adjust, wallet_for
from orders.services import order_pay
from tests.factories import OrderFactory, fund

D = Decimal


def test_platform_balances_are_the_sums_of_their_entries(shopper, other_shopper):
    fund(shopper, "500.00")
    fund(other_shopper, "200.00")
    for who in (shopper, other_shopper):
        order_pay(order=OrderFactory(shopper=who), by=who)  # 137.00 each

    assert platform_balance(kind=Account.Kind.ORDER_PAYMENTS) == D("274.00")
    assert platform_balance(kind=Account.Kind.TOPUPS) == D("-700.00")
    assert platform_balance(kind=Account.Kind.FEES) == 0
    assert Account.objects.filter(user=None, balance__isnull=False).count() == 0
    assert ledger_violations() == []


def test_the_database_refuses_a_cached_balance_on_a_platform_account(db):
    account = platform_account(Account.Kind.ORDER_PAYMENTS)

    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.filter(pk=account.pk).update(balance=D("1.00"))


def test_the_account_admin_shows_wallets_and_platform_accounts_with_their_balances(support_client, shopper):
    fund(shopper, "500.00")
    order_pay(order=OrderFactory(shopper=shopper), by=shopper)

    page = support_client.get(reverse("admin:ledger_account_changelist")).content.decode()
    detail = support_client.get(
        reverse("admin:ledger_account_change", args=[platform_account(Account.Kind.ORDER_PAYMENTS).pk])
    ).content.decode()

    assert "363.00" in page  # the wallet
    assert "137.00" in page and "137.00" in detail  # order payments, summed from its entries
    assert "-500.00" in page  # top-ups received


def test_a_posting_inside_the_callers_transaction_costs_4_queries_and_no_savepoint(shopper, django_assert_num_queries):
    fund(shopper, "100.00")
    wallet, payments = wallet_for(user=shopper), platform_account(Account.Kind.ORDER_PAYMENTS)

    # Lock the wallet, insert the transaction (ON CONFLICT DO NOTHING), its entries, the balance.
    with django_assert_num_queries(4) as captured:
        txn, created = ledger_post(
            key="pay:1", kind="payment", legs=[(wallet, D("-30.00")), (payments, D("30.00"))], description="Pay"
        )

    assert created and not [q for q in captured.captured_queries if "SAVEPOINT" in q["sql"]]
    assert sorted(txn.entries.values_list("amount", "balance_after")) == [
        (D("-30.00"), D("70.00")),
        (D("30.00"), None),
    ]
    assert wallet_balance(user=shopper) == D("70.00")


def test_a_repeated_correction_that_would_now_overdraw_answers_with_the_correction_it_made(shopper, support):
    fund(shopper, "20.00")

    first, first_created = wallet_adjust(user=shopper, amount=D("-20"), by=support, reason="typo", token="t")
    again, again_created = wallet_adjust(user=shopper, amount=D("-20"), by=support, reason="typo", token="t")

    assert (first_created, again_created) == (True, False)
    assert again == first
    assert wallet_balance(user=shopper) == 0


def test_a_refused_posting_leaves_the_callers_transaction_usable(shopper):
    fund(shopper, "5.00")
    legs = [(wallet_for(user=shopper), D("-10.00")), (platform_account(Account.Kind.ORDER_PAYMENTS), D("10.00"))]

    with transaction.atomic():
        with pytest.raises(InsufficientBalance, match=r"top up ¥5\.00"):
            ledger_post(key="too-much", kind="payment", legs=legs, description="Pay")
        fund(shopper, "5.00")  # the same transaction goes on

    assert wallet_balance(user=shopper) == D("10.00")
    assert not LedgerTransaction.objects.filter(idempotency_key="too-much").exists()


def test_ledger_check_finds_a_statement_whose_running_balance_does_not_add_up(shopper, capsys):
    fund(shopper, "50.00")
    wallet, adjustments = wallet_for(user=shopper), platform_account(Account.Kind.ADJUSTMENTS)
    txn = LedgerTransaction.objects.create(kind="adjustment", idempotency_key="raw", description="Written by hand")
    with connection.cursor() as cursor:  # balanced, the wallet's total right, its running balance not
        cursor.execute(
            "INSERT INTO refunds_entry (transaction_id, account_id, amount, balance_after, created_at) "
            "VALUES (%s, %s, 5, 99, now()), (%s, %s, -5, NULL, now())",
            [txn.pk, wallet.pk, txn.pk, adjustments.pk],
        )
    Account.objects.filter(pk=wallet.pk).update(balance=D("55.00"))

    with pytest.raises(CommandError):
        call_command("ledger_check")

    assert ledger_violations() == [
        f"wallet {wallet.pk} entry {txn.entries.get(account=wallet).pk} states a balance of 99.00 "
        "but its entries sum to 55.00"
    ]
    assert "states a balance of 99.00" in capsys.readouterr().err
