"""Random sequences of money operations keep the ledger's invariants and match a simple model."""

from decimal import Decimal
from itertools import count

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from ledger.selectors import ledger_violations, wallet_balance
from ledger.services import InsufficientBalance, wallet_adjust, wallet_topup
from orders import services as orders
from orders.models import Order
from orders.services import OrderActionError, order_cancel, order_pay, order_place_and_pay
from refunds import services
from refunds.selectors import order_quote_exchange, order_quote_refund
from tests.factories import UserFactory

S = Order.Status
cents = st.integers(min_value=1, max_value=40_000).map(lambda c: Decimal(c) / 100)
_ids = count()


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.staff = UserFactory(is_staff=True, is_superuser=True)
        self.shoppers = [UserFactory(), UserFactory()]
        self.expected = {s.pk: Decimal("0.00") for s in self.shoppers}
        self.paid: list[Order] = []  # paid, not yet purchased

    def _shopper(self, i: int):
        return self.shoppers[i % len(self.shoppers)]

    @rule(who=st.integers(0, 1), amount=cents)
    def top_up(self, who, amount):
        shopper = self._shopper(who)
        wallet_topup(user=shopper, amount=amount, by=self.staff, reason="transfer", token=str(next(_ids)))
        self.expected[shopper.pk] += amount

    @rule(who=st.integers(0, 1), amount=cents, negative=st.booleans())
    def adjust(self, who, amount, negative):
        shopper = self._shopper(who)
        amount = -amount if negative else amount
        if self.expected[shopper.pk] + amount < 0:
            with pytest.raises(InsufficientBalance):
                wallet_adjust(user=shopper, amount=amount, by=self.staff, reason="fix", token=str(next(_ids)))
        else:
            wallet_adjust(user=shopper, amount=amount, by=self.staff, reason="fix", token=str(next(_ids)))
            self.expected[shopper.pk] += amount

    @rule(who=st.integers(0, 1), price=cents, qty=st.integers(1, 3), shipping=st.integers(0, 2000))
    def place_and_pay(self, who, price, qty, shipping):
        shopper = self._shopper(who)
        fields = {
            "product_title": "Thing",
            "product_url": "https://item.taobao.com/item.htm?id=1",
            "unit_price": price,
            "quantity": qty,
            "domestic_shipping": Decimal(shipping) / 100,
        }
        total = price * qty + Decimal(shipping) / 100
        if total > self.expected[shopper.pk]:
            with pytest.raises(InsufficientBalance):
                order_place_and_pay(shopper=shopper, **fields)
        else:
            self.paid.append(order_place_and_pay(shopper=shopper, **fields))
            self.expected[shopper.pk] -= total

    @precondition(lambda self: self.paid)
    @rule(pick=st.integers(0, 100))
    def cancel(self, pick):
        order = self.paid.pop(pick % len(self.paid))
        order_cancel(order=order, by=order.shopper)
        self.expected[order.shopper_id] += order.total

    def _to_qc_failed(self, order: Order) -> Order:
        order = orders.order_purchase(order=order, by=self.staff)
        order = orders.order_ship_to_warehouse(order=order, by=self.staff, tracking="YT00000001")
        order = orders.order_receive(order=order, by=self.staff)
        return orders.order_fail_qc(order=order, by=self.staff)

    @precondition(lambda self: self.paid)
    @rule(pick=st.integers(0, 100))
    def refund_after_qc_failure(self, pick):
        order = self._to_qc_failed(self.paid.pop(pick % len(self.paid)))
        quote = order_quote_refund(order=order)
        order, _ = services.order_request_refund(order=order, by=order.shopper, expected_total=quote.total)
        order, _ = services.return_ship(order=order, by=self.staff, tracking="SF00000001")
        order, _ = services.return_seller_received(order=order, by=self.staff)
        order, txn = services.refund_confirm(order=order, by=self.staff)
        assert txn.entries.get(account__kind="wallet").amount == quote.total == order.total
        self.expected[order.shopper_id] += quote.total

    @precondition(lambda self: self.paid)
    @rule(pick=st.integers(0, 100), new_price=cents)
    def exchange_after_qc_failure(self, pick, new_price):
        order = self._to_qc_failed(self.paid.pop(pick % len(self.paid)))
        quote = order_quote_exchange(order=order, new_unit_price=new_price)
        assert quote.total == (new_price - order.unit_price) * order.quantity
        try:
            order, _ = services.order_request_exchange(
                order=order, by=order.shopper, new_option="L", new_unit_price=new_price
            )
        except InsufficientBalance:
            assert quote.total > self.expected[order.shopper_id]
            return
        self.expected[order.shopper_id] -= quote.to_pay
        order, _ = services.return_ship(order=order, by=self.staff, tracking="SF00000001")
        services.exchange_replacement_shipped(order=order, by=self.staff, tracking="ZT00000001")
        self.expected[order.shopper_id] += quote.to_credit

    @precondition(lambda self: self.paid)
    @rule(pick=st.integers(0, 100), new_price=cents)
    def exchange_refused_then_compensated(self, pick, new_price):
        order = self._to_qc_failed(self.paid.pop(pick % len(self.paid)))
        quote = order_quote_exchange(order=order, new_unit_price=new_price)
        try:
            order, _ = services.order_request_exchange(
                order=order, by=order.shopper, new_option="L", new_unit_price=new_price
            )
        except InsufficientBalance:
            return
        self.expected[order.shopper_id] -= quote.to_pay
        order, _ = services.return_ship(order=order, by=self.staff, tracking="SF00000001")
        order, _ = services.return_seller_refused(order=order, by=self.staff, note="No.")
        services.refusal_compensate(order=order, by=self.staff)
        # The seller was at fault: everything paid for the order comes back.
        self.expected[order.shopper_id] += order.total + quote.to_pay

    @precondition(lambda self: self.paid)
    @rule(pick=st.integers(0, 100))
    def refuse_a_second_payment(self, pick):
        order = self.paid[pick % len(self.paid)]
        with pytest.raises(OrderActionError):
            order_pay(order=order, by=order.shopper)

    @invariant()
    def balances_match_the_model_and_the_ledger_is_sound(self):
        for shopper in self.shoppers:
            assert wallet_balance(user=shopper) == self.expected[shopper.pk]
        assert ledger_violations() == []


@pytest.mark.django_db
def test_random_money_operations_keep_the_ledger_sound():
    run_state_machine_as_test(
        LedgerMachine, settings=settings(max_examples=25, stateful_step_count=12, deadline=None, database=None)
    )
