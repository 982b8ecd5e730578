from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import Q

from common.pages import PageSection
from ledger.models import ZERO, Entry, LedgerTransaction
from ledger.selectors import order_refundable, order_wallet_entries, posted_transaction, transaction_wallet_amount
from orders.models import Order

from .models import DiscountRequest, ReturnRequest
from .quotes import Quote, discount_limit, exchange_quote, refund_quote, refused_exchange_quote

if TYPE_CHECKING:
    from accounts.models import User

Status = Order.Status
Kind = LedgerTransaction.Kind


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


@dataclass(frozen=True)
class MoneyLine:
    """One true sentence about a return's or an exchange's money: what happened to an amount
    (with the day it did) or what will happen to it, and on what. `state` names the sentence;
    the card's template words each one."""

    # What happened (from the ledger):
    CREDITED = "credited"  # the seller's refund, on the balance
    COMPENSATED = "compensated"  # the seller refused; the platform refunded
    EXCHANGE_PAID = "exchange_paid"  # the price difference (and a change-of-mind fee) paid
    EXCHANGE_CREDITED = "exchange_credited"  # a cheaper option's difference, on the balance
    EXCHANGE_SETTLED_PAID = "exchange_settled_paid"  # paid when the replacement shipped
    GIVEN_BACK = "given_back"  # the exchange payment returned after the seller refused it
    # What will happen, or did not:
    REFUND_EXPECTED = "refund_expected"
    REFUND_REFUSED = "refund_refused"  # seller refused; support decides, nothing credited yet
    NOT_CREDITED = "not_credited"  # seller refused and the item was restocked
    NOTHING_PAID = "nothing_paid"  # resolved, but nothing was paid for the order to give back
    EXCHANGE_CREDIT_EXPECTED = "exchange_credit_expected"
    EXCHANGE_NO_DIFFERENCE = "exchange_no_difference"
    EXCHANGE_REFUSED = "exchange_refused"  # seller refused; support decides

    state: str
    amount: Decimal = ZERO
    at: datetime | None = None
    fee: Decimal = ZERO  # EXCHANGE_PAID: the part that is a change-of-mind return fee

    @property
    def difference(self) -> Decimal:
        """EXCHANGE_PAID: the part that is the price difference."""
        return self.amount - self.fee


def _round_entries(entries: list[Entry], order: Order, round_number: int) -> dict[str, Entry]:
    """The wallet lines of one return round, by the kind of movement (keys as services post them:
    `<movement>:<order>:<round>`), plus "given_back" for the reversal of the exchange payment."""
    suffix = f":{order.pk}:{round_number}"
    found: dict[str, Entry] = {}
    for entry in entries:
        key = entry.transaction.idempotency_key
        if key.endswith(suffix):
            found[key.removesuffix(suffix)] = entry
    paid = found.get("exchange-pay")
    if paid is not None:
        reversal = next((e for e in entries if e.transaction.reverses_id == paid.transaction_id), None)
        if reversal is not None:
            found["given_back"] = reversal
    return found


def return_money_lines(*, order: Order, return_request: ReturnRequest, entries: list[Entry]) -> list[MoneyLine]:
    """What the return or exchange did and will do with the shopper's money, as sentences, the
    past first. Written from the ledger lines (`entries`: the order's wallet lines) and the
    order's status only: an amount is "credited" once it is on the balance, never before."""
    quote = Quote.from_json(return_request.quote)
    moved = _round_entries(entries, order, return_request.round)
    refund = moved.get(Kind.REFUND)
    compensation = moved.get(Kind.COMPENSATION)
    lines: list[MoneyLine] = []
    if return_request.kind == ReturnRequest.Kind.EXCHANGE:
        paid = moved.get("exchange-pay")
        settled = moved.get("exchange-settle")
        if paid is not None:
            fee = quote.fee if quote.kind == ReturnRequest.Kind.EXCHANGE else ZERO
            lines.append(MoneyLine(MoneyLine.EXCHANGE_PAID, -paid.amount, paid.created_at, fee=fee))
        if settled is not None:
            state = MoneyLine.EXCHANGE_CREDITED if settled.amount > 0 else MoneyLine.EXCHANGE_SETTLED_PAID
            lines.append(MoneyLine(state, abs(settled.amount), settled.created_at))
        if "given_back" in moved:
            lines.append(MoneyLine(MoneyLine.GIVEN_BACK, moved["given_back"].amount, moved["given_back"].created_at))
    if refund is not None:
        lines.append(MoneyLine(MoneyLine.CREDITED, refund.amount, refund.created_at))
    if compensation is not None:
        lines.append(MoneyLine(MoneyLine.COMPENSATED, compensation.amount, compensation.created_at))
    lines += _what_comes(order=order, return_request=return_request, quote=quote, lines=lines)
    return lines


def _what_comes(
    *, order: Order, return_request: ReturnRequest, quote: Quote, lines: list[MoneyLine]
) -> list[MoneyLine]:
    """The sentence about what is still to happen (or did not), after what did."""
    outcome, refused = return_request.outcome, order.status == Status.RETURN_REFUSED
    if return_request.kind == ReturnRequest.Kind.REFUND:
        if outcome in ("refunded", "compensated"):
            return [] if lines else [MoneyLine(MoneyLine.NOTHING_PAID)]
        if outcome == "restocked":
            return [MoneyLine(MoneyLine.NOT_CREDITED, quote.total)]
        return [MoneyLine(MoneyLine.REFUND_REFUSED if refused else MoneyLine.REFUND_EXPECTED, quote.total)]
    if refused and not return_request.resolved_at:
        return [MoneyLine(MoneyLine.EXCHANGE_REFUSED)]
    if return_request.resolved_at:
        return [] if lines else [MoneyLine(MoneyLine.EXCHANGE_NO_DIFFERENCE)]
    if quote.to_credit:
        return [MoneyLine(MoneyLine.EXCHANGE_CREDIT_EXPECTED, quote.to_credit)]
    return [] if lines else [MoneyLine(MoneyLine.EXCHANGE_NO_DIFFERENCE)]


def order_decision_section(*, order: Order, user: "User") -> PageSection | None:
    """After a failed QC, while the window is open: the decision (keep, return, exchange, keep at
    a discount, each with its amount), which opens the page and has a bar of its own. A passed
    item inside its window: the change-of-mind options, beside the order's facts. Otherwise the
    progress of the order's latest return or exchange, if any, with what it did and will do with
    the money."""
    if order.status in (Status.QC_FAILED, Status.STORED) and order.decision_window_open():
        refundable = order_refundable(order_id=order.pk)
        context = {
            "refund_quote": refund_quote(order=order, refundable=refundable),
            "discount_limit": discount_limit(order=order, refundable=refundable),
        }
        if order.status == Status.QC_FAILED:
            return PageSection(
                "refunds/order_actions.html",
                context,
                slot=PageSection.LEAD,
                bar_template_name="refunds/order_actions_bar.html",
            )
        return PageSection("refunds/order_actions.html", context, slot=PageSection.ASIDE)
    if order.status in (
        Status.PENDING_PAYMENT,
        Status.PAID,
        Status.DISCOUNT_REQUESTED,
        Status.DISCOUNT_OFFERED,
    ):
        return None
    return_request = return_request_for_order(order=order)
    if return_request is None:
        return None
    entries = order_wallet_entries(order_id=order.pk)
    context = {
        "return_request": return_request,
        "return_quote": Quote.from_json(return_request.quote),
        "money_lines": return_money_lines(order=order, return_request=return_request, entries=entries),
    }
    # The return's progress is the news while it runs and once it paid out; later (restocked,
    # a replacement back in QC) it is history beside the order.
    current = return_request.resolved_at is None or order.status == Status.REFUNDED
    return PageSection("refunds/order_actions.html", context, slot=PageSection.LEAD if current else PageSection.ASIDE)


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
    # A negotiation under way is what the page is about; a discount kept is history beside it.
    slot = PageSection.ASIDE if request.status == DiscountRequest.Status.ACCEPTED else PageSection.LEAD
    return PageSection("refunds/discount.html", {"discount": request}, slot=slot)


def return_is_overdue(*, request: ReturnRequest, now: datetime) -> bool:
    """The row-by-row reading of returns_overdue_q, for a list that shows it per return."""
    cutoff = now - timedelta(hours=settings.SELLER_RESPONSE_HOURS)
    return bool(
        request.shipped_at
        and request.shipped_at <= cutoff
        and not (request.seller_received_at or request.seller_responded_at or request.resolved_at)
    )
