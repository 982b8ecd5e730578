from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import Q

from common.pages import PageSection
from ledger.models import ZERO, LedgerTransaction
from ledger.selectors import order_refundable, posted_transaction, transaction_wallet_amount
from orders.models import Order

from .models import DiscountRequest, ReturnRequest
from .quotes import Quote, discount_limit, exchange_quote, refund_quote, refused_exchange_quote

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


def return_open_request(*, order: Order) -> ReturnRequest | None:
    """The return or exchange staff are running for the order, if any."""
    return order.return_requests.filter(resolved_at__isnull=True).order_by("-round").first()


@dataclass(frozen=True)
class ReturnCredit:
    quote: Quote  # what the credit is made of, line by line
    net: Decimal  # what the shopper's balance receives


def return_credit(*, order: Order, request: ReturnRequest) -> ReturnCredit:
    """What closing the return with a credit (the seller refunded, or the platform compensates
    a refusal) gives the shopper: the quote they confirmed, never more than what is left of their
    payment. An exchange that ends in a refund returns what they paid for the order instead."""
    refundable = order_refundable(order_id=order.pk)
    quote = Quote.from_json(request.quote)
    if request.kind == ReturnRequest.Kind.EXCHANGE:
        quote = refused_exchange_quote(order=order, refundable=refundable, exchange=quote)
    return ReturnCredit(quote=quote, net=min(quote.total, refundable))


def exchange_payment(*, order: Order, request: ReturnRequest) -> LedgerTransaction | None:
    """The price difference (and fee) the shopper paid when requesting this exchange, if any."""
    return posted_transaction(key=f"exchange-pay:{order.pk}:{request.round}")


def restock_credit(*, order: Order, request: ReturnRequest) -> Decimal:
    """What restocking after a refusal gives back: the exchange difference paid, if any."""
    paid = exchange_payment(order=order, request=request)
    return -transaction_wallet_amount(txn=paid) if paid is not None else ZERO


def returns_overdue_q(*, now: datetime) -> Q:
    """Returns shipped to the seller more than SELLER_RESPONSE_HOURS ago with no answer yet."""
    return Q(
        shipped_at__lte=now - timedelta(hours=settings.SELLER_RESPONSE_HOURS),
        seller_received_at__isnull=True,
        seller_responded_at__isnull=True,
        resolved_at__isnull=True,
    )


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


def return_is_overdue(*, request: ReturnRequest, now: datetime) -> bool:
    """The row-by-row reading of returns_overdue_q, for a list that shows it per return."""
    cutoff = now - timedelta(hours=settings.SELLER_RESPONSE_HOURS)
    return bool(
        request.shipped_at
        and request.shipped_at <= cutoff
        and not (request.seller_received_at or request.seller_responded_at or request.resolved_at)
    )
