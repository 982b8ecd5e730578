from decimal import Decimal
from typing import TYPE_CHECKING

from common.pages import PageSection
from ledger.selectors import order_refundable
from orders.models import Order

from .models import DiscountRequest, ReturnRequest
from .quotes import Quote, discount_limit, exchange_quote, refund_quote

if TYPE_CHECKING:
    from accounts.models import User


def order_quote_refund(*, order: Order) -> Quote:
    """What returning the order would credit now, line by line."""
    return refund_quote(order=order, refundable=order_refundable(order_id=order.pk))


def order_quote_exchange(*, order: Order, new_unit_price: Decimal | None) -> Quote:
    """What exchanging the order for an option at `new_unit_price` would cost or credit."""
    return exchange_quote(order=order, new_unit_price=new_unit_price)


def return_request_for_order(*, order: Order) -> ReturnRequest | None:
    return order.return_requests.order_by("-round").first()


def order_decision_section(*, order: Order, user: "User") -> PageSection | None:
    """The order page's decision panel (keep, return, exchange, keep at a discount, with the
    quote and the most a discount may be) while the window is open, or else the progress of the
    order's return or exchange, if there is one."""
    if order.status in (Order.Status.QC_FAILED, Order.Status.STORED) and order.decision_window_open():
        refundable = order_refundable(order_id=order.pk)
        context = {
            "refund_quote": refund_quote(order=order, refundable=refundable),
            "discount_limit": discount_limit(order=order, refundable=refundable),
        }
        return PageSection("refunds/order_actions.html", context)
    if order.status in (
        Order.Status.PENDING_PAYMENT,
        Order.Status.PAID,
        Order.Status.DISCOUNT_REQUESTED,
        Order.Status.DISCOUNT_OFFERED,
    ):
        return None
    return_request = return_request_for_order(order=order)
    if return_request is None:
        return None
    context = {"return_request": return_request, "return_quote": Quote.from_json(return_request.quote)}
    return PageSection("refunds/order_actions.html", context)


def open_discount_request(*, order: Order) -> DiscountRequest | None:
    """The discount being negotiated for the order, if any."""
    return order.discount_requests.filter(status__in=DiscountRequest.OPEN).order_by("-number").first()


def order_discount_section(*, order: Order, user: "User") -> PageSection | None:
    """The order page's discount panel: the negotiation while it runs (the shopper's ask, the
    seller's counter-offer to answer), or the discount the shopper kept the item for (one query)."""
    if order.status in (Order.Status.DISCOUNT_REQUESTED, Order.Status.DISCOUNT_OFFERED):
        request = open_discount_request(order=order)
    elif order.status == Order.Status.STORED:
        request = order.discount_requests.filter(status=DiscountRequest.Status.ACCEPTED).order_by("-number").first()
    else:
        return None
    if request is None:
        return None
    return PageSection("refunds/discount.html", {"discount": request})
