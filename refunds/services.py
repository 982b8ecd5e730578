"""Returns and exchanges: the shopper's decision after QC and the steps staff run with the seller.

Each step runs in the order's unit of work (orders.services.order_locked) and moves money, if
any, through the ledger in the same transaction.
"""

from decimal import Decimal
from typing import TYPE_CHECKING

from django.utils import timezone
from django.utils.translation import gettext as _

from common.locale import recipient_locale
from ledger.models import ZERO, Account, LedgerTransaction, money, order_statement
from ledger.selectors import order_refundable
from ledger.services import ledger_post, ledger_reverse, platform_account, wallet_for
from notifications.models import Details, Fact
from orders import services as orders
from orders.models import Order
from orders.services import OrderActionError, QuoteChanged

from .models import DiscountRequest, ReturnRequest
from .quotes import ExchangeSettlement, Quote, discount_limit, exchange_settlement
from .selectors import (
    ReturnCredit,
    exchange_payment,
    open_discount_request,
    order_quote_exchange,
    order_quote_refund,
    restock_credit,
    return_credit,
    return_open_request,
)

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
    with orders.order_locked(order, expected_status=expected_status, by=by) as locked:
        orders.order_check_transition(order=locked, name="request_refund", by=by)
        quote = order_quote_refund(order=locked)
        _check_quote(quote, expected_total)
        if quote.total <= ZERO:
            raise OrderActionError(
                _("Nothing would come back: the return fee is more than the refund. Keep the item.")
            )
        with recipient_locale(locked.shopper):
            body = _("You will get back ¥%(amount)s when the seller refunds.") % {"amount": quote.total}
            details = _receipt(
                quote, [], {"label": _("You will get back when the seller refunds"), "text": _yuan(quote.total)}
            )
        orders.order_apply_transition(locked=locked, name="request_refund", by=by, extra_body=body, details=details)
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
    with orders.order_locked(order, expected_status=expected_status, by=by) as locked:
        orders.order_check_transition(order=locked, name="request_exchange", by=by)
        quote = order_quote_exchange(order=locked, new_unit_price=new_unit_price)
        _check_quote(quote, expected_total)
        with recipient_locale(locked.shopper):
            if quote.to_pay:
                settled = _("¥%(amount)s was paid from your balance.") % {"amount": quote.to_pay}
                last: Fact = {"label": _("Paid from your balance"), "text": _yuan(quote.to_pay)}
            elif quote.to_credit:
                settled = _("You will get back ¥%(amount)s when the replacement ships.") % {"amount": quote.to_credit}
                last = {"label": _("You will get back when the replacement ships"), "text": _yuan(quote.to_credit)}
            else:
                settled = _("There is nothing to pay.")
                last = {"label": _("To pay"), "text": _yuan(ZERO)}
            note = _("Exchange for: %(option)s") % {"option": new_option.strip()}
            details = _receipt(quote, [{"label": _("New option"), "text": new_option.strip()}], last)
        orders.order_apply_transition(
            locked=locked, name="request_exchange", by=by, note=note, extra_body=settled, details=details
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
    kind = Kind.EXCHANGE_PAYMENT if paying else Kind.EXCHANGE_CREDIT
    txn, _created = ledger_post(
        key=f"exchange-{stage}:{locked.pk}:{request.round}",
        kind=kind,
        legs=[
            (wallet_for(user=locked.shopper), -total),
            (platform_account(counter), goods),
            (platform_account(Account.Kind.FEES), fee),
        ],
        description=order_statement(kind, locked.number),
        order_id=locked.pk,
        by=by,
    )
    return txn


# --- Returns, run by staff ------------------------------------------------------------------


def _open_request(order: Order, name: str, by: "User") -> ReturnRequest:
    """The return being run, once transition `name` is known to be allowed."""
    orders.order_check_transition(order=order, name=name, by=by)
    request = return_open_request(order=order)
    if request is None:
        raise OrderActionError(_("This order has no open return request."))
    return request


def _check_credit(credit: Decimal, expected_credit: Decimal | None) -> None:
    """Refuse, changing nothing, when the amount staff confirmed is no longer what would move."""
    if expected_credit is not None and money(expected_credit) != credit:
        raise QuoteChanged()


def return_ship(
    *, order: Order, by: "User", tracking: str, expected_status: str | None = None
) -> tuple[Order, ReturnRequest]:
    tracking = orders.clean_tracking(tracking)
    with orders.order_locked(order, expected_status=expected_status, by=by) as locked:
        request = _open_request(locked, "ship_return", by)
        orders.order_apply_transition(locked=locked, name="ship_return", by=by, args=(tracking,))
        request.return_tracking, request.shipped_at = tracking, timezone.now()
        request.save(update_fields=["return_tracking", "shipped_at"])
    return locked, request


def return_seller_received(
    *, order: Order, by: "User", expected_status: str | None = None
) -> tuple[Order, ReturnRequest]:
    with orders.order_locked(order, expected_status=expected_status, by=by) as locked:
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
    with orders.order_locked(order, expected_status=expected_status, by=by) as locked:
        request = _open_request(locked, "seller_refused", by)
        orders.order_apply_transition(locked=locked, name="seller_refused", by=by, note=note.strip())
        request.seller_response, request.seller_responded_at = note.strip(), timezone.now()
        request.save(update_fields=["seller_response", "seller_responded_at"])
    return locked, request


def _credit_refund(
    *, locked: Order, credit: ReturnCredit, by: "User", source: str, kind: str, key: str
) -> LedgerTransaction | None:
    """Credit the confirmed quote, never more than what is left of the payment."""
    quote, net = credit.quote, credit.net
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
        description=order_statement(kind, locked.number),
        order_id=locked.pk,
        by=by,
    )
    return txn


def _credited(txn: LedgerTransaction | None, shopper: "User") -> tuple[str, Details]:
    """What the shopper's notice says of a credit to their balance, in words and as facts, in
    the shopper's language."""
    credited = txn.entries.filter(account__kind=Account.Kind.WALLET).first() if txn is not None else None
    if credited is None:
        return "", {}
    with recipient_locale(shopper):
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
    expected_credit: Decimal | None,
) -> tuple[Order, LedgerTransaction | None]:
    """Close the open return with a credit to the shopper (confirm_refund or compensate), once:
    the key is `<kind>:<order>:<round>`, and the order row is locked first."""
    with orders.order_locked(order, expected_status=expected_status, by=by) as locked:
        request = _open_request(locked, name, by)
        credit = return_credit(order=locked, request=request)
        _check_credit(credit.net, expected_credit)
        request.quote = credit.quote.as_json()
        txn = _credit_refund(
            locked=locked, credit=credit, by=by, source=source, kind=kind, key=f"{kind}:{locked.pk}:{request.round}"
        )
        body, details = _credited(txn, locked.shopper)
        orders.order_apply_transition(locked=locked, name=name, by=by, note=note, extra_body=body, details=details)
        request.resolved_at, request.outcome = timezone.now(), outcome
        request.save(update_fields=["quote", "resolved_at", "outcome"])
    return locked, txn


def refund_confirm(
    *, order: Order, by: "User", expected_status: str | None = None, expected_credit: Decimal | None = None
) -> tuple[Order, LedgerTransaction | None]:
    """The seller refunded: credit the shopper's balance with the quoted amount, once.
    `expected_credit` is the amount staff confirmed (return_credit): if it changed, nothing moves."""
    return _resolve_with_credit(
        order=order,
        by=by,
        name="confirm_refund",
        source=Account.Kind.SELLER_REFUNDS,
        kind=Kind.REFUND,
        outcome="refunded",
        note="",
        expected_status=expected_status,
        expected_credit=expected_credit,
    )


def _parse_price(value) -> Decimal:
    try:
        price = money(value)
    except (ArithmeticError, TypeError, ValueError):
        price = ZERO
    if not price.is_finite() or price <= ZERO:
        raise OrderActionError(_("Enter the new option's unit price, for example 139.00."))
    return price


def _replacement_settlement(*, order: Order, request: ReturnRequest, price) -> ExchangeSettlement:
    """The replacement at the unit `price` staff confirm (the proposal when none is given),
    refused when it exceeds the proposal: the shopper never agreed to pay more."""
    proposed = request.new_unit_price if request.new_unit_price is not None else order.unit_price
    confirmed = _parse_price(price if price not in (None, "") else proposed)
    if confirmed > proposed:
        raise OrderActionError(
            _(
                "The shopper agreed to ¥%(proposed)s, not ¥%(confirmed)s. Record a seller refusal "
                "or ask the shopper to request the exchange again at the new price."
            )
            % {"proposed": proposed, "confirmed": confirmed}
        )
    return exchange_settlement(order=order, request=request, confirmed_price=confirmed)


def exchange_replacement_credit(*, order: Order, price=None) -> Decimal:
    """What marking the replacement shipped at unit `price` would credit the shopper now (the
    amount its confirmation shows); raises OrderActionError for a price the step would refuse."""
    request = return_open_request(order=order)
    if request is None:
        raise OrderActionError(_("This order has no open return request."))
    return _replacement_settlement(order=order, request=request, price=price).credit


def exchange_replacement_shipped(
    *,
    order: Order,
    by: "User",
    tracking: str,
    price=None,
    expected_status: str | None = None,
    expected_credit: Decimal | None = None,
) -> tuple[Order, ReturnRequest]:
    """The seller sent the new option. Staff confirm its real unit `price` (the shopper only
    proposed one, and confirmed a quote for it). It may not exceed the proposal: the shopper
    never agreed to pay more. A lower price credits the shopper the difference, settled against
    what they paid when requesting; the order then describes the new option. `expected_credit`
    is the credit staff confirmed (exchange_replacement_credit): if it changed, nothing moves."""
    tracking = orders.clean_tracking(tracking)
    with orders.order_locked(order, expected_status=expected_status, by=by) as locked:
        request = _open_request(locked, "replacement_shipped", by)
        settlement = _replacement_settlement(order=locked, request=request, price=price)
        _check_credit(settlement.credit, expected_credit)
        txn = _post_exchange_difference(
            locked=locked,
            request=request,
            goods=settlement.goods,
            fee=settlement.fee,
            by=by,
            stage="settle",
        )
        locked.option_text = request.new_option
        locked.unit_price = settlement.price
        body, details = _credited(txn, locked.shopper)
        orders.order_apply_transition(
            locked=locked, name="replacement_shipped", by=by, args=(tracking,), extra_body=body, details=details
        )
        request.new_unit_price, request.quote = settlement.price, settlement.final.as_json()
        request.resolved_at, request.outcome = timezone.now(), "replacement_shipped"
        request.save(update_fields=["new_unit_price", "quote", "resolved_at", "outcome"])
    return locked, request


def refusal_compensate(
    *,
    order: Order,
    by: "User",
    note: str = "",
    expected_status: str | None = None,
    expected_credit: Decimal | None = None,
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
        expected_credit=expected_credit,
    )


def refusal_restock(
    *,
    order: Order,
    by: "User",
    note: str = "",
    expected_status: str | None = None,
    expected_credit: Decimal | None = None,
) -> tuple[Order, ReturnRequest]:
    """The seller refused and the item goes back to the warehouse as it is. An exchange's paid
    difference (and fee) is given back (restock_credit): the shopper keeps the option they had."""
    with orders.order_locked(order, expected_status=expected_status, by=by) as locked:
        request = _open_request(locked, "restock", by)
        _check_credit(restock_credit(order=locked, request=request), expected_credit)
        body, details = "", {}
        paid = exchange_payment(order=locked, request=request)
        if paid is not None:
            reversal, _created = ledger_reverse(txn=paid, by=by, reason=_("The seller refused the exchange."))
            body, details = _credited(reversal, locked.shopper)
        orders.order_apply_transition(
            locked=locked, name="restock", by=by, note=note, extra_body=body, details=details
        )
        request.resolved_at, request.outcome = timezone.now(), "restocked"
        request.save(update_fields=["resolved_at", "outcome"])
    return locked, request


# --- Keep it at a discount (a partial refund) -------------------------------------------------


def _checked_discount(locked: Order, amount: Decimal | None, *, asked: Decimal | None = None) -> Decimal:
    """`amount` if the order can give that much back (and, for a counter-offer, less than
    `asked`); else OrderActionError saying what the most is."""
    if amount is None or not amount.is_finite() or money(amount) <= ZERO:
        raise OrderActionError(_("Enter the amount in yuan, like 20 or 20.50."))
    amount = money(amount)
    refundable = order_refundable(order_id=locked.pk)
    limit = discount_limit(order=locked, refundable=refundable)
    if amount > limit:
        if limit < money(locked.items_total):
            raise OrderActionError(
                _("At most ¥%(limit)s can come back: that is what is left of the payment for this order.")
                % {"limit": limit}
            )
        raise OrderActionError(_("At most ¥%(limit)s: the item price you paid.") % {"limit": limit})
    if asked is not None and amount >= asked:
        raise OrderActionError(
            _(
                "A counter-offer is less than the ¥%(asked)s the shopper asked. If the seller agrees to "
                "¥%(asked)s, record that the seller accepts."
            )
            % {"asked": asked}
        )
    return amount


def _open_discount(locked: Order, name: str, by: "User") -> DiscountRequest:
    """The discount being negotiated, once transition `name` is known to be allowed."""
    orders.order_check_transition(order=locked, name=name, by=by)
    request = open_discount_request(order=locked)
    if request is None:
        raise OrderActionError(_("This order has no open discount request."))
    return request


def _credit_discount(*, locked: Order, request: DiscountRequest, amount: Decimal, by: "User") -> LedgerTransaction:
    """Credit an agreed discount, once (key `discount:<order>:<n>`), never more than what is left
    of the payment (checked again under the order's lock)."""
    _checked_discount(locked, amount)
    txn, _created = ledger_post(
        key=f"discount:{locked.pk}:{request.number}",
        kind=Kind.DISCOUNT,
        legs=[(wallet_for(user=locked.shopper), amount), (platform_account(Account.Kind.SELLER_REFUNDS), -amount)],
        description=order_statement(Kind.DISCOUNT, locked.number),
        order_id=locked.pk,
        by=by,
    )
    return txn


def order_request_discount(
    *, order: Order, by: "User", amount: Decimal | None, reason: str = "", expected_status: str | None = None
) -> tuple[Order, DiscountRequest]:
    """Ask the seller for `amount` back to keep a QC-failed item (at most the item price paid and
    what is left of the payment). The decision clock stands still until the seller answers."""
    with orders.order_locked(order, expected_status=expected_status, by=by) as locked:
        orders.order_check_transition(order=locked, name="request_discount", by=by)
        amount = _checked_discount(locked, amount)
        orders.order_apply_transition(
            locked=locked,
            name="request_discount",
            by=by,
            note=_("Asked the seller for ¥%(amount)s back to keep the item.") % {"amount": amount},
        )
        request = DiscountRequest.objects.create(
            order=locked,
            number=locked.discount_requests.count() + 1,
            asked_amount=amount,
            reason=" ".join((reason or "").split()),
            requested_by=by,
        )
    return locked, request


def discount_counter(
    *, order: Order, by: "User", amount: Decimal | None, expected_status: str | None = None
) -> tuple[Order, DiscountRequest]:
    """Support records the seller's counter-offer (less than asked); the shopper answers it."""
    with orders.order_locked(order, expected_status=expected_status, by=by) as locked:
        request = _open_discount(locked, "counter_discount", by)
        amount = _checked_discount(locked, amount, asked=request.asked_amount)
        with recipient_locale(locked.shopper):
            offer = _("The seller offers ¥%(amount)s back instead of the ¥%(asked)s you asked.") % {
                "amount": amount,
                "asked": request.asked_amount,
            }
        orders.order_apply_transition(locked=locked, name="counter_discount", by=by, note=offer, extra_body=offer)
        request.status, request.counter_amount = DiscountRequest.Status.COUNTERED, amount
        request.seller_answered_at = timezone.now()
        request.save(update_fields=["status", "counter_amount", "seller_answered_at"])
    return locked, request


def _kept_at_discount(
    *, order: Order, by: "User", name: str, expected_amount: Decimal | None, expected_status: str | None
) -> tuple[Order, LedgerTransaction]:
    with orders.order_locked(order, expected_status=expected_status, by=by) as locked:
        request = _open_discount(locked, name, by)
        amount = request.counter_amount if request.status == DiscountRequest.Status.COUNTERED else request.asked_amount
        if expected_amount is not None and money(expected_amount) != amount:
            raise QuoteChanged()
        txn = _credit_discount(locked=locked, request=request, amount=amount, by=by)
        body, details = _credited(txn, locked.shopper)
        with recipient_locale(locked.shopper):
            note = _("Kept at a discount: ¥%(amount)s of the price refunded to the balance.") % {"amount": amount}
        orders.order_apply_transition(locked=locked, name=name, by=by, note=note, extra_body=body, details=details)
        now = timezone.now()
        request.status, request.credited_amount, request.resolved_at = DiscountRequest.Status.ACCEPTED, amount, now
        request.seller_answered_at = request.seller_answered_at or now
        request.save(update_fields=["status", "credited_amount", "resolved_at", "seller_answered_at"])
    return locked, txn


def discount_accept(
    *, order: Order, by: "User", expected_status: str | None = None, expected_credit: Decimal | None = None
) -> tuple[Order, LedgerTransaction]:
    """Support records that the seller accepts the amount asked: it is credited, the item kept.
    `expected_credit` is the amount staff confirmed: if it changed, nothing moves."""
    return _kept_at_discount(
        order=order, by=by, name="accept_discount", expected_amount=expected_credit, expected_status=expected_status
    )


def order_accept_counter_offer(
    *, order: Order, by: "User", expected_amount: Decimal | None = None, expected_status: str | None = None
) -> tuple[Order, LedgerTransaction]:
    """The shopper accepts the seller's counter-offer (`expected_amount`, as the page showed it):
    it is credited and the item kept."""
    return _kept_at_discount(
        order=order,
        by=by,
        name="accept_counter_offer",
        expected_amount=expected_amount,
        expected_status=expected_status,
    )


def discount_refuse(
    *, order: Order, by: "User", note: str, expected_status: str | None = None
) -> tuple[Order, DiscountRequest]:
    """Support records the seller's refusal: the shopper is back to keep, return or exchange,
    with the time spent asking added to the decision deadline."""
    note = " ".join((note or "").split())
    if not note:
        raise OrderActionError(_("Say what the seller answered."))
    with orders.order_locked(order, expected_status=expected_status, by=by) as locked:
        request = _open_discount(locked, "refuse_discount", by)
        with recipient_locale(locked.shopper):
            answer = _("The seller refused the discount: “%(answer)s”") % {"answer": note}
        orders.order_apply_transition(locked=locked, name="refuse_discount", by=by, note=answer)
        now = timezone.now()
        request.status, request.seller_response = DiscountRequest.Status.REFUSED, note
        request.seller_answered_at = request.resolved_at = now
        request.save(update_fields=["status", "seller_response", "seller_answered_at", "resolved_at"])
    return locked, request


def order_withdraw_discount(
    *, order: Order, by: "User", expected_status: str | None = None
) -> tuple[Order, DiscountRequest]:
    """The shopper goes back to the other choices (declining a counter-offer, or no longer
    waiting for the seller); the time spent negotiating is added to the decision deadline."""
    with orders.order_locked(order, expected_status=expected_status, by=by) as locked:
        request = _open_discount(locked, "withdraw_discount", by)
        declined = request.status == DiscountRequest.Status.COUNTERED
        orders.order_apply_transition(
            locked=locked,
            name="withdraw_discount",
            by=by,
            note=_("Counter-offer declined; back to keep, return or exchange.")
            if declined
            else _("Discount request withdrawn; back to keep, return or exchange."),
        )
        request.status = DiscountRequest.Status.DECLINED if declined else DiscountRequest.Status.WITHDRAWN
        request.resolved_at = timezone.now()
        request.save(update_fields=["status", "resolved_at"])
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
    "counter_discount": discount_counter,
    "accept_discount": discount_accept,
    "refuse_discount": discount_refuse,
}
