from django import template

from ledger.selectors import wallet_balance
from orders.models import Order

from .. import selectors
from ..quotes import Quote

register = template.Library()
S = Order.Status


@register.inclusion_tag("refunds/order_actions.html", takes_context=True)
def order_actions(context, order: Order) -> dict:
    """The money side of the order page: pay, cancel, the decision panel, the return's progress."""
    request = context["request"]
    data = {"order": order, "csrf_token": context.get("csrf_token"), "request": request}
    deciding = order.status in (S.QC_FAILED, S.STORED) and order.decision_window_open()
    if deciding:
        data["refund_quote"] = selectors.order_quote_refund(order=order)
    if order.status in (S.PENDING_PAYMENT,):
        data["balance"] = wallet_balance(user=order.shopper)
    return_request = selectors.return_request_for_order(order=order)
    if return_request is not None and not deciding:
        data["return_request"] = return_request
        data["return_quote"] = Quote.from_json(return_request.quote)
    return data


@register.filter
def absolute(value):
    """−¥12.00 is written with the sign outside the figure."""
    return abs(value)
