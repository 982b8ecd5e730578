"""Races on PostgreSQL with real threads: money moves exactly once."""

from decimal import Decimal

import pytest
from django.db import connection

from ledger.models import LedgerTransaction
from ledger.selectors import ledger_violations, wallet_balance
from ledger.services import InsufficientBalance, wallet_topup
from orders.models import Order
from orders.services import OrderActionError, order_pay
from refunds import services
from tests.factories import OrderFactory, ReturnRequestFactory, UserFactory, fund, paid_order
from tests.races import race

S = Order.Status
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_20_concurrent_confirmations_of_one_refund_credit_once():
    assert connection.vendor == "postgresql"
    support = UserFactory(is_staff=True, is_superuser=True)
    order = paid_order(status=S.SELLER_REFUNDING)
    ReturnRequestFactory(order=order)
    copies = [Order.objects.get(pk=order.pk) for _ in range(20)]

    results = race(20, lambda i: services.refund_confirm(order=copies[i], by=support))

    credited = [txn for _order, txn in (r for r in results if isinstance(r, tuple))]
    refused = [r for r in results if isinstance(r, OrderActionError)]
    assert len(credited) == 1 and isinstance(credited[0], LedgerTransaction)
    assert len(refused) == 19, [r for r in results if not isinstance(r, tuple | OrderActionError)]
    assert LedgerTransaction.objects.filter(kind="refund").count() == 1
    assert wallet_balance(user=order.shopper) == order.total
    assert ledger_violations() == []


def test_a_balance_of_100_and_20_concurrent_payments_of_30_make_exactly_3_payments():
    shopper = UserFactory()
    fund(shopper, "100.00")
    orders = [
        OrderFactory(shopper=shopper, unit_price=Decimal("25.00"), domestic_shipping=Decimal("5.00"))
        for _ in range(20)
    ]

    results = race(20, lambda i: order_pay(order=orders[i], by=shopper))

    paid = [r for r in results if isinstance(r, Order)]
    short = [r for r in results if isinstance(r, InsufficientBalance)]
    assert (len(paid), len(short)) == (3, 17), results
    assert wallet_balance(user=shopper) == Decimal("10.00")
    assert Order.objects.filter(status=S.PAID).count() == 3
    assert ledger_violations() == []


def test_concurrent_top_ups_with_one_token_post_once():
    shopper = UserFactory()

    race(10, lambda i: wallet_topup(user=shopper, amount=Decimal("10"), by=None, reason="r", token="same"))

    assert wallet_balance(user=shopper) == Decimal("10.00")
    assert ledger_violations() == []
