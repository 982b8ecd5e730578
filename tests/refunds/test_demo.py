"""The demo's money tells a true story: every order's payment and refund is in the ledger."""

import pytest

from demo.builders import seed_demo
from ledger.models import LedgerTransaction
from ledger.selectors import ledger_violations, wallet_balance
from orders.models import Order

S = Order.Status


@pytest.mark.django_db
def test_demo_money_is_all_in_a_clean_ledger():
    seed_demo()

    assert ledger_violations() == []
    for order in Order.objects.exclude(status=S.PENDING_PAYMENT):
        assert LedgerTransaction.objects.filter(order=order, kind="payment").exists(), order.status
    kinds = set(LedgerTransaction.objects.values_list("kind", flat=True))
    assert {"topup", "payment", "cancel_refund", "refund", "exchange_payment"} <= kinds
    shopper = Order.objects.filter(shopper__email="shopper@example.com").first().shopper
    assert wallet_balance(user=shopper) > 0

    seed_demo()  # twice: nothing more
    assert LedgerTransaction.objects.filter(kind="topup").count() == 2
