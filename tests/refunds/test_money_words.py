"""Every amount the shopper reads on an order's page says what has happened to it: to pay,
paid (when), will come back (on what), credited (when), or nothing. Each order is brought to
its state by the real services, in every status of the lifecycle and each money outcome of a
return or an exchange; the page must say the true sentences and none of the false ones."""

import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from common.locale import format_day
from ledger.selectors import ledger_violations
from orders import services as orders
from orders.models import Order
from refunds import services as refunds
from tests.factories import OrderFactory, fund

S = Order.Status
pytestmark = pytest.mark.django_db

Step = Callable[..., Order]


def _pay(order, who):
    return orders.order_pay(order=order, by=who.shopper)


def _cancel(order, who):
    return orders.order_cancel(order=order, by=who.shopper)


def _out_of_stock(order, who):
    return orders.order_mark_out_of_stock(order=order, by=who.support)


def _purchase(order, who):
    return orders.order_purchase(order=order, by=who.support)


def _ship(order, who):
    return orders.order_ship_to_warehouse(order=order, by=who.support, tracking="YT12345678")


def _receive(order, who):
    return orders.order_receive(order=order, by=who.inspector)


def _fail_qc(order, who):
    return orders.order_fail_qc(order=order, by=who.inspector)


def _pass_qc(order, who):
    return orders.order_pass_qc(order=order, by=who.inspector)


def _return(order, who):
    return refunds.order_request_refund(order=order, by=who.shopper)[0]


def _exchange(price: str | None) -> Step:
    def step(order, who):
        new_price = Decimal(price) if price else None
        return refunds.order_request_exchange(order=order, by=who.shopper, new_option="L", new_unit_price=new_price)[0]

    return step


def _ship_back(order, who):
    return refunds.return_ship(order=order, by=who.support, tracking="SF12345678")[0]


def _seller_received(order, who):
    return refunds.return_seller_received(order=order, by=who.support)[0]


def _confirm_refund(order, who):
    return refunds.refund_confirm(order=order, by=who.support)[0]


def _seller_refused(order, who):
    return refunds.return_seller_refused(order=order, by=who.support, note="The seller says it was fine.")[0]


def _compensate(order, who):
    return refunds.refusal_compensate(order=order, by=who.support)[0]


def _restock(order, who):
    return refunds.refusal_restock(order=order, by=who.support)[0]


def _replacement_shipped(order, who):
    return refunds.exchange_replacement_shipped(order=order, by=who.support, tracking="ZT12345678")[0]


def _ask_discount(order, who):
    return refunds.order_request_discount(order=order, by=who.shopper, amount=Decimal("30.00"))[0]


def _counter_discount(order, who):
    return refunds.discount_counter(order=order, by=who.support, amount=Decimal("20.00"))[0]


BOUGHT = [_pay, _purchase, _ship]
FAILED = [*BOUGHT, _receive, _fail_qc]
PASSED = [*BOUGHT, _receive, _pass_qc]
RETURNING = [*FAILED, _return, _ship_back]
PAID = "Paid ¥137.00 from your balance on {today}."

# Sentences that must not appear before the money moved (or when it never will).
CREDITED = "Credited on"
WILL_GET_BACK = "You will get back"
NOT_CHARGED = "Not charged yet"


@dataclass(frozen=True)
class Case:
    status: str
    steps: list[Step]
    says: list[str]
    never: list[str] = field(default_factory=list)


CASES = {
    "unpaid": Case(
        S.PENDING_PAYMENT,
        [],
        ["Not charged yet: ¥137.00 will be taken from your balance when you pay.", "Pay ¥137.00"],
        ["Paid ¥", CREDITED, WILL_GET_BACK],
    ),
    "paid": Case(
        S.PAID,
        [_pay],
        [PAID, "Until we buy it, you can cancel and get ¥137.00 back on your balance at once."],
        [NOT_CHARGED, CREDITED],
    ),
    "purchased": Case(S.PURCHASED, [_pay, _purchase], [PAID], [NOT_CHARGED, CREDITED, "cancel and get"]),
    "shipped to the warehouse": Case(S.SHIPPED_TO_WAREHOUSE, BOUGHT, [PAID], [CREDITED, WILL_GET_BACK]),
    "in QC": Case(S.AWAITING_QC, [*BOUGHT, _receive], [PAID], [CREDITED, WILL_GET_BACK]),
    "QC failed": Case(
        S.QC_FAILED,
        FAILED,
        [
            PAID,
            "Nothing is charged or refunded.",
            "You will get back ¥137.00 when the seller refunds.",
            "Return for ¥137.00",
            "At the same price it costs nothing more",
        ],
        [CREDITED, "Refund ¥137.00"],
    ),
    "QC passed, change of mind": Case(
        S.STORED,
        PASSED,
        [PAID, "You will get back ¥114.00 when the seller refunds.", "Return shipping fee"],
        [CREDITED],
    ),
    "return requested": Case(
        S.RETURN_REQUESTED,
        [*FAILED, _return],
        [PAID, "You will get back ¥137.00 when the seller refunds."],
        [CREDITED],
    ),
    "returning": Case(
        S.RETURNING, RETURNING, [PAID, "You will get back ¥137.00 when the seller refunds."], [CREDITED]
    ),
    "seller refunding": Case(
        S.SELLER_REFUNDING,
        [*RETURNING, _seller_received],
        ["You will get back ¥137.00 when the seller refunds."],
        [CREDITED],
    ),
    "refunded": Case(
        S.REFUNDED,
        [*RETURNING, _seller_received, _confirm_refund],
        [
            PAID,
            "Credited on {today}: ¥137.00. The seller refunded and it is on your balance.",
            "Credited on {today}: ¥137.00 refunded by the seller.",
        ],
        [WILL_GET_BACK, "Nothing is credited"],
    ),
    "seller refused a return": Case(
        S.RETURN_REFUSED,
        [*RETURNING, _seller_refused],
        [
            PAID,
            "Nothing is credited yet: the seller refused the return. Our support team will either refund you "
            "¥137.00 ourselves or keep the item for you in the warehouse, and tell you which.",
        ],
        [CREDITED, WILL_GET_BACK],
    ),
    "refused, then compensated": Case(
        S.REFUNDED,
        [*RETURNING, _seller_refused, _compensate],
        [
            "Credited on {today}: ¥137.00. The seller refused, so we refunded you ourselves.",
            "Credited on {today}: ¥137.00 refunded by us.",
        ],
        [WILL_GET_BACK, "Nothing is credited"],
    ),
    "refused, then restocked": Case(
        S.STORED,
        [*RETURNING, _seller_refused, _restock],
        [PAID, "Nothing was credited: the seller refused the return and the item is back in the warehouse."],
        [CREDITED, WILL_GET_BACK],
    ),
    "exchange, dearer option": Case(
        S.EXCHANGE_REQUESTED,
        [*FAILED, _exchange("139.00")],
        [PAID, "Paid ¥10.00 price difference on {today}.", "Paid ¥10.00 for the exchange on {today}."],
        [CREDITED, WILL_GET_BACK],
    ),
    "exchange, cheaper option": Case(
        S.EXCHANGE_REQUESTED,
        [*FAILED, _exchange("119.00")],
        [PAID, "You will get back ¥10.00 price difference when the replacement ships."],
        [CREDITED, "price difference on"],
    ),
    "exchange, same price": Case(
        S.EXCHANGE_REQUESTED,
        [*FAILED, _exchange(None)],
        [PAID, "No price difference: nothing is charged or credited."],
        [CREDITED, WILL_GET_BACK],
    ),
    "exchange on a change of mind": Case(
        S.EXCHANGE_REQUESTED,
        [*PASSED, _exchange("139.00")],
        [PAID, "Paid ¥25.00 on {today}: ¥15.00 return fee and ¥10.00 price difference."],
        [CREDITED, WILL_GET_BACK],
    ),
    "exchange on a change of mind, same price": Case(
        S.EXCHANGE_REQUESTED,
        [*PASSED, _exchange(None)],
        [PAID, "Paid ¥15.00 return fee on {today}."],
        [CREDITED, WILL_GET_BACK],
    ),
    "exchange returning": Case(
        S.EXCHANGE_RETURNING,
        [*FAILED, _exchange("119.00"), _ship_back],
        ["You will get back ¥10.00 price difference when the replacement ships."],
        [CREDITED],
    ),
    "replacement on its way, cheaper": Case(
        S.AWAITING_REPLACEMENT,
        [*FAILED, _exchange("119.00"), _ship_back, _replacement_shipped],
        [
            PAID,
            "Credited on {today}: ¥10.00 price difference.",
            "Credited on {today}: ¥10.00 price difference of the exchange.",
        ],
        [WILL_GET_BACK],
    ),
    "replacement on its way, same price": Case(
        S.AWAITING_REPLACEMENT,
        [*FAILED, _exchange(None), _ship_back, _replacement_shipped],
        [PAID, "No price difference: nothing is charged or credited."],
        [CREDITED, WILL_GET_BACK],
    ),
    "seller refused an exchange": Case(
        S.RETURN_REFUSED,
        [*FAILED, _exchange("139.00"), _ship_back, _seller_refused],
        ["Paid ¥10.00 price difference on {today}.", "The seller refused the exchange: nothing more will be charged."],
        [CREDITED, WILL_GET_BACK],
    ),
    "refused exchange, restocked": Case(
        S.STORED,
        [*FAILED, _exchange("139.00"), _ship_back, _seller_refused, _restock],
        [
            "Paid ¥10.00 price difference on {today}.",
            "Given back on {today}: ¥10.00 you paid for the exchange, as the seller refused it.",
        ],
        [WILL_GET_BACK],
    ),
    "refused exchange, compensated": Case(
        S.REFUNDED,
        [*FAILED, _exchange("139.00"), _ship_back, _seller_refused, _compensate],
        [
            "Paid ¥10.00 for the exchange on {today}.",
            "Credited on {today}: ¥147.00. The seller refused, so we refunded you ourselves.",
        ],
        [WILL_GET_BACK],
    ),
    "discount asked": Case(
        S.DISCOUNT_REQUESTED,
        [*FAILED, _ask_discount],
        [PAID, "Nothing is credited yet: if the seller agrees, ¥30.00 will be credited to your balance."],
        [CREDITED, WILL_GET_BACK],
    ),
    "discount counter-offered": Case(
        S.DISCOUNT_OFFERED,
        [*FAILED, _ask_discount, _counter_discount],
        [PAID, "Credited to your balance when you accept ¥20.00"],
        [CREDITED, WILL_GET_BACK],
    ),
    "cancelled before paying": Case(
        S.CANCELLED,
        [_cancel],
        ["Nothing was charged: the order was cancelled before it was paid."],
        ["Paid ¥", CREDITED, NOT_CHARGED],
    ),
    "cancelled after paying": Case(
        S.CANCELLED,
        [_pay, _cancel],
        [PAID, "Credited on {today}: ¥137.00 back on your balance, as the order was cancelled."],
        [NOT_CHARGED, WILL_GET_BACK],
    ),
    "out of stock": Case(
        S.CANCELLED,
        [_pay, _out_of_stock],
        [PAID, "Credited on {today}: ¥137.00 back on your balance, as the order was cancelled."],
        [NOT_CHARGED, WILL_GET_BACK],
    ),
}


def page_text(response) -> str:
    """The page as the shopper reads it: no tags, entities decoded, spaces collapsed."""
    main = response.text.split('<main id="main"', 1)[1]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", main)).split()).replace(" .", ".").replace(" :", ":")


@dataclass(frozen=True)
class Who:
    shopper: object
    support: object
    inspector: object


def test_every_status_of_the_lifecycle_has_a_case():
    assert {case.status for case in CASES.values()} == set(S.values)


@pytest.mark.parametrize("name", CASES)
def test_every_amount_on_the_order_page_says_what_happened_to_it(name, shopper_client, shopper, support, inspector):
    case = CASES[name]
    fund(shopper, "1000.00")
    order = OrderFactory(shopper=shopper)
    for step in case.steps:
        order = step(order, Who(shopper, support, inspector))
    assert order.status == case.status

    text = page_text(shopper_client.get(reverse("orders:detail", args=[order.number])))

    today = format_day(timezone.now())  # the site's one way of writing a day: "2 Dec 2026"
    for sentence in case.says:
        assert sentence.format(today=today) in text, sentence
    for wrong in case.never:
        assert wrong not in text, wrong
    assert ledger_violations() == []
