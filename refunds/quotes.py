"""Refund and exchange quotes: what the shopper sees before confirming, and what then moves.

One computation serves both: the quote shown on the page, the snapshot stored on the return
request, and the ledger legs posted later.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext as _

from ledger.models import ZERO, money
from orders.models import Order

from .models import ReturnRequest


@dataclass(frozen=True)
class QuoteLine:
    label: str
    amount: Decimal  # what this line adds to the shopper's side: + credit, - deduction


@dataclass(frozen=True)
class Quote:
    """A refund (`total` = net credit, never negative) or an exchange (`total` = signed amount
    the shopper pays: positive now from the balance, negative credited when the replacement ships).
    """

    kind: str
    fault: str
    lines: tuple[QuoteLine, ...]
    total: Decimal
    goods: Decimal  # refund: what the seller (or the platform) returns; exchange: the price difference
    fee: Decimal

    @property
    def to_pay(self) -> Decimal:
        return self.total if self.total > 0 else ZERO

    @property
    def to_credit(self) -> Decimal:
        return -self.total if self.total < 0 else ZERO

    def as_json(self) -> dict:
        return {
            "kind": self.kind,
            "fault": self.fault,
            "lines": [{"label": line.label, "amount": str(line.amount)} for line in self.lines],
            "total": str(self.total),
            "goods": str(self.goods),
            "fee": str(self.fee),
        }

    @classmethod
    def from_json(cls, data: dict) -> "Quote":
        return cls(
            kind=data["kind"],
            fault=data["fault"],
            lines=tuple(QuoteLine(line["label"], Decimal(line["amount"])) for line in data["lines"]),
            total=Decimal(data["total"]),
            goods=Decimal(data["goods"]),
            fee=Decimal(data["fee"]),
        )


def fault_for(order: Order) -> str:
    """QC failed: the seller is at fault. A passed item sent back: the shopper changed their mind."""
    return ReturnRequest.Fault.SELLER if order.status == Order.Status.QC_FAILED else ReturnRequest.Fault.SHOPPER


def refund_quote(*, order: Order, refundable: Decimal, fault: str | None = None) -> Quote:
    fault = fault or fault_for(order)
    items = money(order.items_total)
    lines = [
        QuoteLine(
            _("Item: %(qty)s × ¥%(price)s") % {"qty": order.quantity, "price": order.unit_price},
            items,
        )
    ]
    if fault == ReturnRequest.Fault.SELLER:
        shipping, fee = money(order.domestic_shipping), ZERO
        lines.append(QuoteLine(_("Domestic shipping (the seller's fault: refunded)"), shipping))
    else:
        shipping, fee = ZERO, money(settings.RETURN_SHIPPING_FEE)
        lines.append(QuoteLine(_("Domestic shipping (not refunded on a change of mind)"), ZERO))
        lines.append(QuoteLine(_("Return shipping fee"), -fee))
    net = max(items + shipping - fee, ZERO)
    if net > refundable:
        lines.append(QuoteLine(_("Limited to what is left of your payment"), refundable - net))
        net = max(refundable, ZERO)
    return Quote(
        kind=ReturnRequest.Kind.REFUND,
        fault=fault,
        lines=tuple(lines),
        total=net,
        goods=net + fee,
        fee=fee,
    )


def exchange_quote(*, order: Order, new_unit_price: Decimal | None, fault: str | None = None) -> Quote:
    fault = fault or fault_for(order)
    new_price = money(new_unit_price) if new_unit_price is not None else money(order.unit_price)
    difference = money((new_price - order.unit_price) * order.quantity)
    lines = [
        QuoteLine(
            _("Price difference: %(qty)s × (¥%(new)s − ¥%(old)s)")
            % {"qty": order.quantity, "new": new_price, "old": order.unit_price},
            difference,
        )
    ]
    fee = ZERO
    if fault == ReturnRequest.Fault.SHOPPER:
        fee = money(settings.RETURN_SHIPPING_FEE)
        lines.append(QuoteLine(_("Return shipping fee (change of mind)"), fee))
    return Quote(
        kind=ReturnRequest.Kind.EXCHANGE,
        fault=fault,
        lines=tuple(lines),
        total=difference + fee,
        goods=difference,
        fee=fee,
    )


def refused_exchange_quote(*, order: Order, refundable: Decimal, exchange: Quote) -> Quote:
    """An exchange the seller refused, compensated by the platform: the shopper gets back what
    they paid (any price difference included), less, on a change of mind, the domestic shipping
    and the return fee they already paid with the exchange request."""
    lines = [QuoteLine(_("Everything you paid for this order"), refundable)]
    kept = ZERO
    if exchange.fault == ReturnRequest.Fault.SHOPPER:
        shipping = money(order.domestic_shipping)
        lines.append(QuoteLine(_("Domestic shipping (not refunded on a change of mind)"), -shipping))
        lines.append(QuoteLine(_("Return shipping fee (paid with the exchange)"), -exchange.fee))
        kept = shipping + exchange.fee
    net = max(refundable - kept, ZERO)
    return Quote(
        kind=ReturnRequest.Kind.REFUND, fault=exchange.fault, lines=tuple(lines), total=net, goods=net, fee=ZERO
    )


def discount_limit(*, order: Order, refundable: Decimal) -> Decimal:
    """The most a shopper may ask back to keep the item: the item price paid, and never more
    than what is left of the payment after earlier refunds (an earlier discount included)."""
    return max(min(money(order.items_total), refundable), ZERO)


@dataclass(frozen=True)
class ExchangeSettlement:
    """An exchange settled when the replacement ships at its confirmed unit `price`: the final
    quote, and what is still to settle against what the shopper paid when requesting (`goods` and
    `fee`, signed as the exchange quote's: positive is paid from the balance)."""

    price: Decimal
    final: Quote
    goods: Decimal
    fee: Decimal

    @property
    def credit(self) -> Decimal:
        """What the shopper's balance receives (never negative: the price cannot exceed the proposal)."""
        return -(self.goods + self.fee)


def exchange_settlement(*, order: Order, request: ReturnRequest, confirmed_price: Decimal) -> ExchangeSettlement:
    requested = Quote.from_json(request.quote)
    final = exchange_quote(order=order, new_unit_price=confirmed_price, fault=request.fault)
    paid_goods, paid_fee = (requested.goods, requested.fee) if requested.to_pay else (ZERO, ZERO)
    return ExchangeSettlement(
        price=confirmed_price, final=final, goods=final.goods - paid_goods, fee=final.fee - paid_fee
    )
