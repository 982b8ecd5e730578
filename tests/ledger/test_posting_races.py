"""Postings racing on PostgreSQL with real threads: money moves once, balances add up.

Platform accounts are never locked (their balance is the sum of their entries), so payments of
different shoppers run side by side; a key posted twice at once is settled by the key's unique
index (INSERT ... ON CONFLICT DO NOTHING) or the wallet's row lock, whichever comes first.
"""

import threading
from decimal import Decimal

import pytest
from django.db import connection, transaction

from ledger.models import Account, Entry, LedgerTransaction
from ledger.selectors import ledger_violations, platform_balance, wallet_balance
from ledger.services import AlreadyRecorded, InsufficientBalance, ledger_post, platform_account, wallet_for
from orders.models import Order
from orders.services import order_pay
from tests.factories import OrderFactory, UserFactory, fund
from tests.races import in_thread, race, wait_until_blocked

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
D = Decimal


def _payment(user, amount: str, key: str = "same"):
    """A payment-like posting: the shopper's wallet to "order payments"."""
    return ledger_post(
        key=key,
        kind=LedgerTransaction.Kind.PAYMENT,
        legs=[(wallet_for(user=user), -D(amount)), (platform_account(Account.Kind.ORDER_PAYMENTS), D(amount))],
        description="Payment",
    )


def _held_open(post, posted: threading.Event, release: threading.Event, *, then_fail: bool = False):
    """Post in a transaction that stays open (its locks held) until `release`; roll it back
    instead of committing with `then_fail`."""

    def work():
        with transaction.atomic():
            result = post()
            posted.set()
            release.wait()
            if then_fail:
                raise RuntimeError("the first request failed after posting")
        return result

    return work


def test_20_shoppers_paying_at_once_leave_a_platform_balance_that_is_the_sum_of_their_payments():
    assert connection.vendor == "postgresql"
    shoppers = [UserFactory() for _ in range(20)]
    orders = []
    for shopper in shoppers:
        fund(shopper, "300.00")
        orders.append(
            [OrderFactory(shopper=shopper, unit_price=D("25.00"), domestic_shipping=D("5.00")) for _ in range(3)]
        )

    results = race(20, lambda i: [order_pay(order=order, by=shoppers[i]) for order in orders[i]])

    assert all(isinstance(paid, list) for paid in results), results
    assert Order.objects.filter(status=Order.Status.PAID).count() == 60
    assert platform_balance(kind=Account.Kind.ORDER_PAYMENTS) == D("1800.00")
    assert {wallet_balance(user=shopper) for shopper in shoppers} == {D("210.00")}
    # Each shopper's statement runs down 300 -> 270 -> 240 -> 210, in the order of payment.
    for shopper in shoppers:
        running = Entry.objects.filter(account__user=shopper, amount__lt=0).order_by("id")
        assert list(running.values_list("balance_after", flat=True)) == [D("270.00"), D("240.00"), D("210.00")]
    assert ledger_violations() == []


def test_the_same_key_posted_by_10_threads_at_once_moves_money_once_and_all_get_that_movement():
    shopper = UserFactory()
    fund(shopper, "100.00")

    results = race(10, lambda i: _payment(shopper, "30.00"))

    assert [created for _txn, created in results].count(True) == 1, results
    assert {txn.pk for txn, _created in results} == {LedgerTransaction.objects.get(idempotency_key="same").pk}
    assert wallet_balance(user=shopper) == D("70.00")
    assert ledger_violations() == []


def test_a_post_of_a_key_still_being_posted_waits_for_it_then_gets_that_movement():
    """No wallet to lock (platform accounts only): the key's unique index makes the second wait."""
    legs = [(platform_account(Account.Kind.TOPUPS), D("-5.00")), (platform_account(Account.Kind.FEES), D("5.00"))]
    posted, release = threading.Event(), threading.Event()

    def post():
        return ledger_post(key="fee", kind=LedgerTransaction.Kind.ADJUSTMENT, legs=legs, description="Fee")

    first = in_thread(_held_open(post, posted, release))
    posted.wait()
    second = in_thread(post)
    wait_until_blocked()
    release.set()

    (first_txn, first_created), (second_txn, second_created) = first(), second()
    assert (first_created, second_created) == (True, False)
    assert second_txn.pk == first_txn.pk
    assert platform_balance(kind=Account.Kind.FEES) == D("5.00")
    assert ledger_violations() == []


def test_a_racing_post_of_the_same_key_for_another_shopper_is_refused_as_already_recorded():
    first_shopper, second_shopper = UserFactory(), UserFactory()
    fund(first_shopper, "50.00")
    fund(second_shopper, "50.00")
    posted, release = threading.Event(), threading.Event()

    first = in_thread(_held_open(lambda: _payment(first_shopper, "10.00"), posted, release))
    posted.wait()
    second = in_thread(lambda: _payment(second_shopper, "10.00"))
    wait_until_blocked()  # on the key the first has not committed yet
    release.set()

    assert first()[1] is True
    assert isinstance(second(), AlreadyRecorded)
    assert (wallet_balance(user=first_shopper), wallet_balance(user=second_shopper)) == (D("40.00"), D("50.00"))
    assert ledger_violations() == []


def test_a_post_that_waited_for_one_rolled_back_is_posted_itself():
    shopper = UserFactory()
    fund(shopper, "50.00")
    posted, release = threading.Event(), threading.Event()

    first = in_thread(_held_open(lambda: _payment(shopper, "10.00"), posted, release, then_fail=True))
    posted.wait()
    second = in_thread(lambda: _payment(shopper, "10.00"))
    wait_until_blocked()  # on the wallet the first holds
    release.set()

    assert isinstance(first(), RuntimeError)
    txn, created = second()
    assert created is True
    assert LedgerTransaction.objects.get(idempotency_key="same").pk == txn.pk
    assert wallet_balance(user=shopper) == D("40.00")
    assert ledger_violations() == []


def test_a_double_submit_that_spent_the_whole_balance_answers_with_the_movement_not_a_shortfall():
    shopper = UserFactory()
    fund(shopper, "10.00")
    posted, release = threading.Event(), threading.Event()

    first = in_thread(_held_open(lambda: _payment(shopper, "10.00"), posted, release))
    posted.wait()
    second = in_thread(lambda: _payment(shopper, "10.00"))
    wait_until_blocked()
    release.set()

    (first_txn, _), second_result = first(), second()
    assert not isinstance(second_result, InsufficientBalance), second_result
    assert second_result == (first_txn, False)
    assert wallet_balance(user=shopper) == 0
    assert ledger_violations() == []


def test_paying_an_order_runs_11_queries_without_a_savepoint_and_locks_only_the_order_and_the_wallet(
    shopper, django_assert_num_queries
):
    order = OrderFactory(shopper=shopper)
    fund(shopper, "200.00")

    # BEGIN, lock the order, update it, timeline event, the notification (which reads the email
    # preference as it is written), wallet and platform account (one query), lock the wallet,
    # transaction, entries, wallet balance, COMMIT.
    with django_assert_num_queries(11) as captured:
        order_pay(order=order, by=shopper)

    statements = [query["sql"] for query in captured.captured_queries]
    assert not [sql for sql in statements if "SAVEPOINT" in sql]
    locking = [sql for sql in statements if "FOR UPDATE" in sql]
    assert len(locking) == 2 and "orders_order" in locking[0] and "refunds_account" in locking[1]
    (order_update,) = [sql for sql in statements if sql.startswith('UPDATE "orders_order"')]
    assert '"status" = ' in order_update and '"product_title"' not in order_update  # only what changed
    assert platform_balance(kind=Account.Kind.ORDER_PAYMENTS) == order.total
