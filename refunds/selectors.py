from decimal import Decimal

from ledger.selectors import order_refundable
from orders.models import Order

from .models import ReturnRequest
from .quotes import Quote, exchange_quote, refund_quote


def order_quote_refund(*, order: Order) -> Quote:
    """What returning the order would credit now, line by line."""
    return refund_quote(order=order, refundable=order_refundable(order_id=order.pk))


def order_quote_exchange(*, order: Order, new_unit_price: Decimal | None) -> Quote:
    """What exchanging the order for an option at `new_unit_price` would cost or credit."""
    return exchange_quote(order=order, new_unit_price=new_unit_price)


def return_request_for_order(*, order: Order) -> ReturnRequest | None:
    return order.return_requests.order_by("-round").first()
