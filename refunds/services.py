"""Returns and exchanges: the shopper's decision after QC and the steps staff run with the seller.

Each step runs in the order's unit of work (orders.services.order_locked) and moves money, if
any, through the ledger in the same transaction.
"""

from decimal import Decimal
from typing import TYPE_CHECKING

from django.utils import timezone
from django.utils.translation import gettext as _

from ledger.models import ZERO, Account, LedgerTransaction, money
from ledger.selectors import order_refundable, posted_transaction
from ledger.services import ledger_post, ledger_reverse, platform_account, wallet_for
from notifications.models import Details, Fact
from orders import services as orders
from orders.models import Order
from orders.services import OrderActionError, QuoteChanged

from .models import ReturnRequest
from .quotes import Quote, exchange_quote, refused_exchange_quote
from .selectors import order_quote_exchange, order_quote_refund

if TYPE_CHECKING:
    from accounts.models import User

Kind = LedgerTransaction.Kind


# --- Decisions ------------------------------------------------------------------------------


def _check_quote(quote: Quote, expected_total: Decimal | None) -> None:
    if expected_total is not None and money(expected_total) != quote.total:
        raise QuoteChanged()


def _next_round(order: Order) -> int:
    return order.return_requests.count() + 1


def _yuan(amount: Decimal) -> str:
    """¥12.00, or −¥12.00 with the sign outside the figure (as the quote table writes it)."""
    return f"−¥{-amount}" if amount < 0 else f"¥{amount}"


def _receipt(quote: Quote, first: list[Fact], last: Fact) -> Details:
    """The shopper's confirmation email of a request: the quote they confirmed, line by line."""
    lines: list[Fact] = [{"label": line.label, "text": _yuan(line.amount)} for line in quote.lines]
    return {"facts": [*first, *lines, last]}


def order_request_refund(
    *,
    order: Order,
    by: "User",
    expected_total: Decimal | None = None,
    reason: str = "",
    expected_status: str | None = None,
) -> tuple[Order, ReturnRequest]:
    """Start a return for a refund. The quote the shopper confirmed is stored and later credited."""
    with orders.order_locked(order, expected_status=expected_status) as locked:
        orders.order_check_transition(order=locked, name="request_refund", by=by)
        quote = order_quote_refund(order=locked)
        _check_quote(quote, expected_total)
        if quote.total <= ZERO:
            raise OrderActionError(
                _("Nothing would come back: the return fee is more than the refund. Keep the item.")
            )
        orders.order_apply_transition(
            locked=locked,
            name="request_refund",
            by=by,
            extra_body=_("You will get back ¥%(amount)s when the seller refunds.") % {"amount": quote.total},
            details=_receipt(
                quote, [], {"label": _("You will get back when the seller refunds"), "text": _yuan(quote.total)}
            ),
        )
        request = ReturnRequest.objects.create(
            order=locked,
            round=_next_round(locked),
            kind=ReturnRequest.Kind.REFUND,
            fault=quote.fault,
            reason=reason.strip(),
            quote=quote.as_json(),
            requested_by=by,
        )
    return locked, request


def order_request_exchange(
    *,
    order: Order,
    by: "User",
    new_option: str,
    new_unit_price: Decimal | None = None,
    expected_total: Decimal | None = None,
    reason: str = "",
    expected_status: str | None = None,
) -> tuple[Order, ReturnRequest]:
    """Start an exchange; a positive price difference (and the fee on a change of mind) is paid now."""
    if not new_option.strip():
        raise OrderActionError(_("Say which size or colour you want instead."))
    with orders.order_locked(order, expected_status=expected_status) as locked:
        orders.order_check_transition(order=locked, name="request_exchange", by=by)
        quote = order_quote_exchange(order=locked, new_unit_price=new_unit_price)
        _check_quote(quote, expected_total)
        if quote.to_pay:
            settled = _("¥%(amount)s was paid from your balance.") % {"amount": quote.to_pay}
            last: Fact = {"label": _("Paid from your balance"), "text": _yuan(quote.to_pay)}
        elif quote.to_credit:
            settled = _("You will get back ¥%(amount)s when the replacement ships.") % {"amount": quote.to_credit}
            last = {"label": _("You will get back when the replacement ships"), "text": _yuan(quote.to_credit)}
        else:
            settled = _("There is nothing to pay.")
            last = {"label": _("To pay"), "text": _yuan(ZERO)}
        orders.order_apply_transition(
            locked=locked,
            name="request_exchange",
            by=by,
            note=_("Exchange for: %(option)s") % {"option": new_option.strip()},
            extra_body=settled,
            details=_receipt(quote, [{"label": _("New option"), "text": new_option.strip()}], last),
        )
        request = ReturnRequest.objects.create(
            order=locked,
            round=_next_round(locked),
            kind=ReturnRequest.Kind.EXCHANGE,
            fault=quote.fault,
            reason=reason.strip(),
            quote=quote.as_json(),
            new_option=new_option.strip(),
            new_unit_price=new_unit_price,
            requested_by=by,
        )
        if quote.to_pay:
            _post_exchange_difference(
                locked=locked, request=request, goods=quote.goods, fee=quote.fee, by=by, stage="pay"
            )
    return locked, request


def _post_exchange_difference(
    *, locked: Order, request: ReturnRequest, goods: Decimal, fee: Decimal, by: "User", stage: str
) -> LedgerTransaction | None:
    """Settle `goods + fee` with the shopper: positive is paid from the balance, negative credited.
    `stage` ("pay" at the request, "settle" when the replacement ships) makes the key."""
    total = goods + fee
    if total == ZERO and goods == ZERO:
        return None
    paying = total > 0
    counter = Account.Kind.ORDER_PAYMENTS if paying else Account.Kind.SELLER_REFUNDS
    txn, _created = ledger_post(
        key=f"exchange-{stage}:{locked.pk}:{request.round}",
        kind=Kind.EXCHANGE_PAYMENT if paying else Kind.EXCHANGE_CREDIT,
        legs=[
            (wallet_for(user=locked.shopper), -total),
            (platform_account(counter), goods),
            (platform_account(Account.Kind.FEES), fee),
        ],
        description=(
            _("Exchange of order %(number)s: difference paid")
            if paying
            else _("Exchange of order %(number)s: difference refunded")
        )
        % {"number": locked.number},
        order_id=locked.pk,
        by=by,
    )
    return txn


# --- Returns, run by staff ------------------------------------------------------------------


def _open_request(order: Order, name: str, by: "User") -> ReturnRequest:
    """The return being run, once transition `name` is known to be allowed."""
    orders.order_check_transition(order=order, name=name, by=by)
    request = order.return_requests.filter(resolved_at__isnull=True).order_by("-round").first()
    if request is None:
        raise OrderActionError(_("This order has no open return request."))
    return request


def return_ship(
    *, order: Order, by: "User", tracking: str, expected_status: str | None = None
) -> tuple[Order, ReturnRequest]:
    tracking = orders.clean_tracking(tracking)
    with orders.order_locked(order, expected_status=expected_status) as locked:
        request = _open_request(locked, "ship_return", by)
        orders.order_apply_transition(locked=locked, name="ship_return", by=by, args=(tracking,))
        request.return_tracking, request.shipped_at = tracking, timezone.now()
        request.save(update_fields=["return_tracking", "shipped_at"])
    return locked, request


def return_seller_received(
    *, order: Order, by: "User", expected_status: str | None = None
) -> tuple[Order, ReturnRequest]:
    with orders.order_locked(order, expected_status=expected_status) as locked:
        request = _open_request(locked, "seller_received", by)
        orders.order_apply_transition(locked=locked, name="seller_received", by=by)
        request.seller_received_at = timezone.now()
        request.save(update_fields=["seller_received_at"])
    return locked, request


def return_seller_refused(
    *, order: Order, by: "User", note: str, expected_status: str | None = None
) -> tuple[Order, ReturnRequest]:
    if not (note or "").strip():
        raise OrderActionError(_("Say what the seller answered."))
    with orders.order_locked(order, expected_status=expected_status) as locked:
        request = _open_request(locked, "seller_refused", by)
        orders.order_apply_transition(locked=locked, name="seller_refused", by=by, note=note.strip())
        request.seller_response, request.seller_responded_at = note.strip(), timezone.now()
        request.save(update_fields=["seller_response", "seller_responded_at"])
    return locked, request


def _credit_refund(
    *, locked: Order, request: ReturnRequest, by: "User", source: str, kind: str, key: str
) -> LedgerTransaction | None:
    """Credit the confirmed quote, never more than what is left of the payment."""
    quote = Quote.from_json(request.quote)
    net = min(quote.total, order_refundable(order_id=locked.pk))
    if net == ZERO and quote.fee == ZERO:
        return None  # nothing was paid for this order (e.g. a goodwill return)
    txn, _created = ledger_post(
        key=key,
        kind=kind,
        legs=[
            (wallet_for(user=locked.shopper), net),
            (platform_account(source), -(net + quote.fee)),
            (platform_account(Account.Kind.FEES), quote.fee),
        ],
        description=_("Refund for order %(number)s") % {"number": locked.number},
        order_id=locked.pk,
        by=by,
    )
    return txn


def _credited(txn: LedgerTransaction | None) -> tuple[str, Details]:
    """What the shopper's notice says of a credit to their balance, in words and as facts."""
    credited = txn.entries.filter(account__kind=Account.Kind.WALLET).first() if txn is not None else None
    if credited is None:
        return "", {}
    body = _("¥%(amount)s was credited; your balance is now ¥%(balance)s.") % {
        "amount": credited.amount,
        "balance": credited.balance_after,
    }
    facts: list[Fact] = [
        {"label": _("Credited to your balance"), "text": _yuan(credited.amount)},
        {"label": _("Your balance now"), "text": _yuan(credited.balance_after)},
    ]
    return body, {"facts": facts}


def _resolve_with_credit(
    *,
    order: Order,
    by: "User",
    name: str,
    source: str,
    kind: str,
    outcome: str,
    note: str,
    expected_status: str | None,
) -> tuple[Order, LedgerTransaction | None]:
    """Close the open return with a credit to the shopper (confirm_refund or compensate), once:
    the key is `<kind>:<order>:<round>`, and the order row is locked first."""
    with orders.order_locked(order, expected_status=expected_status) as locked:
        request = _open_request(locked, name, by)
        if request.kind == ReturnRequest.Kind.EXCHANGE:
            # An exchange that ends in a refund returns what the shopper paid for the order.
            request.quote = refused_exchange_quote(
                order=locked, refundable=order_refundable(order_id=locked.pk), exchange=Quote.from_json(request.quote)
            ).as_json()
        txn = _credit_refund(
            locked=locked, request=request, by=by, source=source, kind=kind, key=f"{kind}:{locked.pk}:{request.round}"
        )
        body, details = _credited(txn)
        orders.order_apply_transition(locked=locked, name=name, by=by, note=note, extra_body=body, details=details)
        request.resolved_at, request.outcome = timezone.now(), outcome
        request.save(update_fields=["quote", "resolved_at", "outcome"])
    return locked, txn


def refund_confirm(
    *, order: Order, by: "User", expected_status: str | None = None
) -> tuple[Order, LedgerTransaction | None]:
    """The seller refunded: credit the shopper's balance with the quoted amount, once."""
    return _resolve_with_credit(
        order=order,
        by=by,
        name="confirm_refund",
        source=Account.Kind.SELLER_REFUNDS,
        kind=Kind.REFUND,
        outcome="refunded",
        note="",
        expected_status=expected_status,
    )


def _parse_price(value) -> Decimal:
    try:
        price = money(value)
    except (ArithmeticError, TypeError, ValueError):
        price = ZERO
    if not price.is_finite() or price <= ZERO:
        raise OrderActionError(_("Enter the new option's unit price, for example 139.00."))
    return price


def exchange_replacement_shipped(
    *, order: Order, by: "User", tracking: str, price=None, expected_status: str | None = None
) -> tuple[Order, ReturnRequest]:
    """The seller sent the new option. Staff confirm its real unit `price` (the shopper only
    proposed one, and confirmed a quote for it). It may not exceed the proposal: the shopper
    never agreed to pay more. A lower price credits the shopper the difference, settled against
    what they paid when requesting; the order then describes the new option."""
    tracking = orders.clean_tracking(tracking)
    with orders.order_locked(order, expected_status=expected_status) as locked:
        request = _open_request(locked, "replacement_shipped", by)
        proposed = request.new_unit_price if request.new_unit_price is not None else locked.unit_price
        confirmed = _parse_price(price if price not in (None, "") else proposed)
        if confirmed > proposed:
            raise OrderActionError(
                _(
                    "The shopper agreed to ¥%(proposed)s, not ¥%(confirmed)s. Record a seller refusal "
                    "or ask the shopper to request the exchange again at the new price."
                )
                % {"proposed": proposed, "confirmed": confirmed}
            )
        requested = Quote.from_json(request.quote)
        final = exchange_quote(order=locked, new_unit_price=confirmed, fault=request.fault)
        paid_goods, paid_fee = (requested.goods, requested.fee) if requested.to_pay else (ZERO, ZERO)
        txn = _post_exchange_difference(
            locked=locked,
            request=request,
            goods=final.goods - paid_goods,
            fee=final.fee - paid_fee,
            by=by,
            stage="settle",
        )
        locked.option_text = request.new_option
        locked.unit_price = confirmed
        body, details = _credited(txn)
        orders.order_apply_transition(
            locked=locked, name="replacement_shipped", by=by, args=(tracking,), extra_body=body, details=details
        )
        request.new_unit_price, request.quote = confirmed, final.as_json()
        request.resolved_at, request.outcome = timezone.now(), "replacement_shipped"
        request.save(update_fields=["new_unit_price", "quote", "resolved_at", "outcome"])
    return locked, request


def refusal_compensate(
    *, order: Order, by: "User", note: str = "", expected_status: str | None = None
) -> tuple[Order, LedgerTransaction | None]:
    """The seller refused: the platform refunds the shopper itself, as the return's quote says."""
    return _resolve_with_credit(
        order=order,
        by=by,
        name="compensate",
        source=Account.Kind.COMPENSATION,
        kind=Kind.COMPENSATION,
        outcome="compensated",
        note=note,
        expected_status=expected_status,
    )


def refusal_restock(
    *, order: Order, by: "User", note: str = "", expected_status: str | None = None
) -> tuple[Order, ReturnRequest]:
    """The seller refused and the item goes back to the warehouse as it is. An exchange's paid
    difference (and fee) is given back: the shopper keeps the option they had."""
    with orders.order_locked(order, expected_status=expected_status) as locked:
        request = _open_request(locked, "restock", by)
        body, details = "", {}
        paid = posted_transaction(key=f"exchange-pay:{locked.pk}:{request.round}")
        if paid is not None:
            reversal, _created = ledger_reverse(txn=paid, by=by, reason=_("The seller refused the exchange."))
            body, details = _credited(reversal)
        orders.order_apply_transition(
            locked=locked, name="restock", by=by, note=note, extra_body=body, details=details
        )
        request.resolved_at, request.outcome = timezone.now(), "restocked"
        request.save(update_fields=["resolved_at", "outcome"])
    return locked, request


# The order admin's return buttons (added to orders' own by refunds.admin.RefundsOrderAdminMixin).
STAFF_ACTIONS = {
    "ship_return": return_ship,
    "seller_received": return_seller_received,
    "seller_refused": return_seller_refused,
    "confirm_refund": refund_confirm,
    "replacement_shipped": exchange_replacement_shipped,
    "compensate": refusal_compensate,
    "restock": refusal_restock,
}
