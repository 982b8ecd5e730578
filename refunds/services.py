"""All money movement, and the order steps that move money or run a return.

Every movement is `ledger_post`: a transaction whose entries sum to zero, with an idempotency
key derived from its cause, posted under row locks (the order first, then accounts in primary
key order) so double clicks, retried tasks and racing staff members move money once.
"""

from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from orders import services as orders
from orders.models import Order
from orders.services import OrderActionError

from .models import Account, Entry, LedgerTransaction, ReturnRequest
from .quotes import ZERO, Quote, exchange_quote, money, refund_quote, refused_exchange_quote

Status = Order.Status
Kind = LedgerTransaction.Kind


class InsufficientBalance(OrderActionError):
    def __init__(self, *, balance: Decimal, needed: Decimal):
        self.balance, self.needed, self.missing = balance, needed, needed - balance
        super().__init__(
            _("Your balance is ¥%(balance)s but this needs ¥%(needed)s: top up ¥%(missing)s first.")
            % {"balance": balance, "needed": needed, "missing": self.missing}
        )


class AlreadyRecorded(OrderActionError):
    """The same idempotency key was used for a different movement (a resubmitted, edited form)."""

    def __init__(self):
        super().__init__(_("This form was already submitted for another amount. Reload it to record a new one."))


class QuoteChanged(OrderActionError):
    def __init__(self):
        super().__init__(_("The amounts changed since you looked. Check the new quote and confirm again."))


# --- Accounts -------------------------------------------------------------------------------


def wallet_for(*, user) -> Account:
    account, _ = Account.objects.get_or_create(user=user, defaults={"kind": Account.Kind.WALLET})
    return account


def platform_account(kind: str) -> Account:
    account, _ = Account.objects.get_or_create(kind=kind, user=None)
    return account


def order_refundable(*, order: Order) -> Decimal:
    """What the shopper paid for this order and has not had back yet."""
    total = Entry.objects.filter(transaction__order=order, account__kind=Account.Kind.WALLET).aggregate(
        total=Sum("amount")
    )["total"]
    return max(-(total or ZERO), ZERO)


# --- The ledger -----------------------------------------------------------------------------


def ledger_post(
    *,
    key: str,
    kind: str,
    legs: Sequence[tuple[Account, Decimal]],
    description: str,
    order: Order | None = None,
    by=None,
    reason: str = "",
    reverses: LedgerTransaction | None = None,
) -> LedgerTransaction:
    """Post one balanced transaction, once per `key`; return it (or the one already posted,
    with `created` False). The same key for different legs raises AlreadyRecorded.

    Raises InsufficientBalance, changing nothing, if a shopper wallet would go below zero.
    """
    legs = [(account, money(amount)) for account, amount in legs if money(amount) != ZERO]
    if not legs or sum(amount for _, amount in legs) != ZERO:
        raise ValueError(f"Unbalanced or empty transaction {key}: {legs}")
    with transaction.atomic():
        ids = sorted({account.pk for account, _ in legs})
        locked = {a.pk: a for a in Account.objects.select_for_update().filter(pk__in=ids).order_by("pk")}
        # Re-checked under the locks: a racing post of the same key has committed by now.
        existing = LedgerTransaction.objects.filter(idempotency_key=key).first()
        if existing is not None:
            return _same_movement(existing, legs)
        change: dict[int, Decimal] = defaultdict(lambda: ZERO)
        for account, amount in legs:
            change[account.pk] += amount
        for pk, delta in change.items():
            account = locked[pk]
            if account.kind == Account.Kind.WALLET and account.balance + delta < ZERO:
                raise InsufficientBalance(balance=account.balance, needed=-delta)
        try:
            with transaction.atomic():
                txn = LedgerTransaction.objects.create(
                    kind=kind,
                    idempotency_key=key,
                    order=order,
                    description=description,
                    reason=reason,
                    created_by=by,
                    reverses=reverses,
                )
        except IntegrityError:
            return _same_movement(LedgerTransaction.objects.get(idempotency_key=key), legs)
        entries = []
        for account, amount in legs:
            current = locked[account.pk]
            current.balance += amount
            entries.append(Entry(transaction=txn, account=current, amount=amount, balance_after=current.balance))
        Entry.objects.bulk_create(entries)
        for pk in change:
            Account.objects.filter(pk=pk).update(balance=locked[pk].balance)
    txn.created = True
    return txn


def _same_movement(existing: LedgerTransaction, legs: list[tuple[Account, Decimal]]) -> LedgerTransaction:
    """The transaction already posted under this key, if it moved exactly these amounts."""
    posted = sorted((entry.account_id, entry.amount) for entry in existing.entries.all())
    if posted != sorted((account.pk, amount) for account, amount in legs):
        raise AlreadyRecorded()
    existing.created = False
    return existing


def ledger_reverse(*, txn: LedgerTransaction, by, reason: str) -> LedgerTransaction:
    """Correct a transaction by posting its exact opposite (entries are never edited)."""
    if not reason.strip():
        raise OrderActionError(_("Say why this transaction is reversed."))
    legs = [(entry.account, -entry.amount) for entry in txn.entries.select_related("account")]
    return ledger_post(
        key=f"reverse:{txn.pk}",
        kind=Kind.REVERSAL,
        legs=legs,
        description=_("Correction of: %(what)s") % {"what": txn.description},
        order=txn.order,
        by=by,
        reason=reason.strip(),
        reverses=txn,
    )


def _wallet_change(
    *, user, amount: Decimal, by, reason: str, key: str, kind: str, counter: str, description: str
) -> LedgerTransaction:
    if not reason.strip():
        raise OrderActionError(_("Give a reason for this change of balance."))
    return ledger_post(
        key=key,
        kind=kind,
        legs=[(wallet_for(user=user), amount), (platform_account(counter), -amount)],
        description=description,
        by=by,
        reason=reason.strip(),
    )


def wallet_topup(*, user, amount: Decimal, by, reason: str, token: str) -> LedgerTransaction:
    """Staff record money the shopper sent. `token` comes from the form, so a double submit posts once."""
    amount = money(amount)
    if amount <= ZERO:
        raise OrderActionError(_("A top-up must be more than ¥0.00."))
    return _wallet_change(
        user=user,
        amount=amount,
        by=by,
        reason=reason,
        key=f"topup:{token}",
        kind=Kind.TOPUP,
        counter=Account.Kind.TOPUPS,
        description=_("Top-up"),
    )


def wallet_adjust(*, user, amount: Decimal, by, reason: str, token: str) -> LedgerTransaction:
    """A signed staff correction of a shopper's balance, with a mandatory reason."""
    amount = money(amount)
    if amount == ZERO:
        raise OrderActionError(_("An adjustment cannot be ¥0.00."))
    return _wallet_change(
        user=user,
        amount=amount,
        by=by,
        reason=reason,
        key=f"adjust:{token}",
        kind=Kind.ADJUSTMENT,
        counter=Account.Kind.ADJUSTMENTS,
        description=_("Balance adjustment"),
    )


# --- Paying and cancelling ------------------------------------------------------------------


def order_pay(*, order: Order, by, expected_status: str | None = None, expected_total: Decimal | None = None) -> Order:
    """Pay an order from the shopper's balance (the whole total, at once). `expected_total` is
    the amount the Pay button showed: if the order's amounts changed since, nothing is charged."""
    with orders.order_locked(order, expected_status=expected_status) as locked:
        total = money(locked.total)
        if expected_total is not None and money(expected_total) != total:
            raise QuoteChanged()
        orders.order_apply_transition(
            locked=locked,
            name="pay",
            by=by,
            extra_body=_("¥%(total)s was paid from your balance.") % {"total": total},
        )
        ledger_post(
            key=f"pay:{locked.pk}",
            kind=Kind.PAYMENT,
            legs=[(wallet_for(user=locked.shopper), -total), (platform_account(Account.Kind.ORDER_PAYMENTS), total)],
            description=_("Payment for order %(number)s") % {"number": locked.number},
            order=locked,
            by=by,
        )
    return locked


def order_place_and_pay(*, shopper, **fields) -> Order:
    """Place an order and pay it from the balance in one step; with too little balance nothing
    is created or charged (InsufficientBalance says how much is missing)."""
    with transaction.atomic():
        order = orders.order_place(shopper=shopper, **fields)
        return order_pay(order=order, by=shopper)


def _refund_whole_payment(*, locked: Order, by, reason: str) -> LedgerTransaction | None:
    refundable = order_refundable(order=locked)
    if refundable == ZERO:
        return None
    return ledger_post(
        key=f"cancel-refund:{locked.pk}",
        kind=Kind.CANCEL_REFUND,
        legs=[
            (wallet_for(user=locked.shopper), refundable),
            (platform_account(Account.Kind.ORDER_PAYMENTS), -refundable),
        ],
        description=_("Refund of cancelled order %(number)s") % {"number": locked.number},
        order=locked,
        by=by,
        reason=reason,
    )


def order_cancel(*, order: Order, by, note: str = "", expected_status: str | None = None) -> Order:
    """Cancel before purchase; a paid order is refunded to the balance at once."""
    with orders.order_locked(order, expected_status=expected_status) as locked:
        orders.order_apply_transition(locked=locked, name="cancel", by=by, note=note)
        _refund_whole_payment(locked=locked, by=by, reason=note)
    return locked


def order_mark_out_of_stock(*, order: Order, by, note: str = "", expected_status: str | None = None) -> Order:
    with orders.order_locked(order, expected_status=expected_status) as locked:
        refundable = order_refundable(order=locked)
        orders.order_apply_transition(
            locked=locked,
            name="mark_out_of_stock",
            by=by,
            note=note,
            extra_body=_("¥%(amount)s is back on your balance.") % {"amount": refundable},
        )
        _refund_whole_payment(locked=locked, by=by, reason=note)
    return locked


# --- Decisions ------------------------------------------------------------------------------


def order_quote_refund(*, order: Order) -> Quote:
    return refund_quote(order=order, refundable=order_refundable(order=order))


def order_quote_exchange(*, order: Order, new_unit_price: Decimal | None) -> Quote:
    return exchange_quote(order=order, new_unit_price=new_unit_price)


def _check_quote(quote: Quote, expected_total: Decimal | None) -> None:
    if expected_total is not None and money(expected_total) != quote.total:
        raise QuoteChanged()


def _next_round(order: Order) -> int:
    return order.return_requests.count() + 1


def order_request_refund(
    *, order: Order, by, expected_total: Decimal | None = None, reason: str = "", expected_status: str | None = None
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
        orders.order_apply_transition(locked=locked, name="request_refund", by=by)
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
    by,
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
        orders.order_apply_transition(
            locked=locked,
            name="request_exchange",
            by=by,
            note=_("Exchange for: %(option)s") % {"option": new_option.strip()},
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
    *, locked: Order, request: ReturnRequest, goods: Decimal, fee: Decimal, by, stage: str
) -> LedgerTransaction | None:
    """Settle `goods + fee` with the shopper: positive is paid from the balance, negative credited.
    `stage` ("pay" at the request, "settle" when the replacement ships) makes the key."""
    total = goods + fee
    if total == ZERO and goods == ZERO:
        return None
    paying = total > 0
    counter = Account.Kind.ORDER_PAYMENTS if paying else Account.Kind.SELLER_REFUNDS
    return ledger_post(
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
        order=locked,
        by=by,
    )


# --- Returns, run by staff ------------------------------------------------------------------


def _open_request(order: Order, name: str, by) -> ReturnRequest:
    """The return being run, once transition `name` is known to be allowed."""
    orders.order_check_transition(order=order, name=name, by=by)
    request = order.return_requests.filter(resolved_at__isnull=True).order_by("-round").first()
    if request is None:
        raise OrderActionError(_("This order has no open return request."))
    return request


def return_ship(*, order: Order, by, tracking: str, expected_status: str | None = None) -> tuple[Order, ReturnRequest]:
    tracking = orders.clean_tracking(tracking)
    with orders.order_locked(order, expected_status=expected_status) as locked:
        request = _open_request(locked, "ship_return", by)
        orders.order_apply_transition(locked=locked, name="ship_return", by=by, args=(tracking,))
        request.return_tracking, request.shipped_at = tracking, timezone.now()
        request.save(update_fields=["return_tracking", "shipped_at"])
    return locked, request


def return_seller_received(*, order: Order, by, expected_status: str | None = None) -> tuple[Order, ReturnRequest]:
    with orders.order_locked(order, expected_status=expected_status) as locked:
        request = _open_request(locked, "seller_received", by)
        orders.order_apply_transition(locked=locked, name="seller_received", by=by)
        request.seller_received_at = timezone.now()
        request.save(update_fields=["seller_received_at"])
    return locked, request


def return_seller_refused(
    *, order: Order, by, note: str, expected_status: str | None = None
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
    *, locked: Order, request: ReturnRequest, by, source: str, kind: str, key: str
) -> LedgerTransaction | None:
    """Credit the confirmed quote, never more than what is left of the payment."""
    quote = Quote.from_json(request.quote)
    net = min(quote.total, order_refundable(order=locked))
    if net == ZERO and quote.fee == ZERO:
        return None  # nothing was paid for this order (e.g. a goodwill return)
    return ledger_post(
        key=key,
        kind=kind,
        legs=[
            (wallet_for(user=locked.shopper), net),
            (platform_account(source), -(net + quote.fee)),
            (platform_account(Account.Kind.FEES), quote.fee),
        ],
        description=_("Refund for order %(number)s") % {"number": locked.number},
        order=locked,
        by=by,
    )


def _credited_body(txn: LedgerTransaction | None) -> str:
    credited = txn.entries.filter(account__kind=Account.Kind.WALLET).first() if txn is not None else None
    if credited is None:
        return ""
    return _("¥%(amount)s was credited; your balance is now ¥%(balance)s.") % {
        "amount": credited.amount,
        "balance": credited.balance_after,
    }


def _resolve_with_credit(
    *, order: Order, by, name: str, source: str, kind: str, outcome: str, note: str, expected_status: str | None
) -> tuple[Order, LedgerTransaction | None]:
    """Close the open return with a credit to the shopper (confirm_refund or compensate), once:
    the key is `<kind>:<order>:<round>`, and the order row is locked first."""
    with orders.order_locked(order, expected_status=expected_status) as locked:
        request = _open_request(locked, name, by)
        if request.kind == ReturnRequest.Kind.EXCHANGE:
            # An exchange that ends in a refund returns what the shopper paid for the order.
            request.quote = refused_exchange_quote(
                order=locked, refundable=order_refundable(order=locked), exchange=Quote.from_json(request.quote)
            ).as_json()
        txn = _credit_refund(
            locked=locked, request=request, by=by, source=source, kind=kind, key=f"{kind}:{locked.pk}:{request.round}"
        )
        orders.order_apply_transition(locked=locked, name=name, by=by, note=note, extra_body=_credited_body(txn))
        request.resolved_at, request.outcome = timezone.now(), outcome
        request.save(update_fields=["quote", "resolved_at", "outcome"])
    return locked, txn


def refund_confirm(*, order: Order, by, expected_status: str | None = None) -> tuple[Order, LedgerTransaction | None]:
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
    *, order: Order, by, tracking: str, price=None, expected_status: str | None = None
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
        orders.order_apply_transition(
            locked=locked, name="replacement_shipped", by=by, args=(tracking,), extra_body=_credited_body(txn)
        )
        request.new_unit_price, request.quote = confirmed, final.as_json()
        request.resolved_at, request.outcome = timezone.now(), "replacement_shipped"
        request.save(update_fields=["new_unit_price", "quote", "resolved_at", "outcome"])
    return locked, request


def refusal_compensate(
    *, order: Order, by, note: str = "", expected_status: str | None = None
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
    *, order: Order, by, note: str = "", expected_status: str | None = None
) -> tuple[Order, ReturnRequest]:
    """The seller refused and the item goes back to the warehouse as it is. An exchange's paid
    difference (and fee) is given back: the shopper keeps the option they had."""
    with orders.order_locked(order, expected_status=expected_status) as locked:
        request = _open_request(locked, "restock", by)
        extra = ""
        paid = LedgerTransaction.objects.filter(idempotency_key=f"exchange-pay:{locked.pk}:{request.round}").first()
        if paid is not None:
            reversal = ledger_reverse(txn=paid, by=by, reason=_("The seller refused the exchange."))
            extra = _credited_body(reversal)
        orders.order_apply_transition(locked=locked, name="restock", by=by, note=note, extra_body=extra)
        request.resolved_at, request.outcome = timezone.now(), "restocked"
        request.save(update_fields=["resolved_at", "outcome"])
    return locked, request


# The order admin's money and return buttons (added to orders' own in refunds/admin.py).
STAFF_ACTIONS = {
    "cancel": order_cancel,
    "mark_out_of_stock": order_mark_out_of_stock,
    "ship_return": return_ship,
    "seller_received": return_seller_received,
    "seller_refused": return_seller_refused,
    "confirm_refund": refund_confirm,
    "replacement_shipped": exchange_replacement_shipped,
    "compensate": refusal_compensate,
    "restock": refusal_restock,
}
