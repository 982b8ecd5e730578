"""Order lifecycle operations. Each one runs in `order_locked` (one transaction, the order's row
read fresh and locked, the expected status checked), where `order_apply_transition` changes the
status, saves and writes the timeline event and the shopper's notice; it returns the fresh row.
Nothing else calls a transition method and saves."""

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal
from functools import partial
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django_fsm import ConcurrentTransition, can_proceed, has_transition_perm

from common import fsm, sql
from common.errors import ActionRefused
from common.files import delete_stored_files
from common.locale import format_when, recipient_locale
from common.renditions import PreparedImage
from ledger.models import ZERO, Account, LedgerTransaction, money, order_statement
from ledger.selectors import order_refundable
from ledger.services import ledger_post, payment_accounts, platform_account, wallet_for
from notifications.models import Details, Event, Fact
from notifications.services import notify

from .models import LISTING_RENDITIONS, PERM_PURCHASE, ListingImage, Order, OrderEvent, is_shopper

if TYPE_CHECKING:
    from accounts.models import User

Status = Order.Status
TRACKING_RE = re.compile(r"^[A-Za-z0-9-]{4,64}$")
# The transitions a shopper is notified of even when they made it themselves.
RECEIPTS = frozenset({"pay", "request_refund", "request_exchange", "accept_counter_offer"})


class OrderActionError(ActionRefused):
    """An order action was refused; the message is fit to show the person who tried it."""


class OrderChangedMeanwhile(OrderActionError):
    """The page that asked was made for an order as it no longer is. `by_you`: the last change
    was the asker's own (another tab, a second click), so nobody else is blamed for it."""

    def __init__(self, message: str | None = None, *, by_you: bool = False):
        if message is None:
            message = (
                _("This order changed since you opened this page. Reload the page to see its status.")
                if by_you
                else _("This order was changed by someone else meanwhile. Reload the page and check its status.")
            )
        super().__init__(message)


class TotalNotAsShown(OrderActionError):
    def __init__(self, *, total: Decimal, shown: Decimal):
        super().__init__(
            _("This order costs ¥%(total)s, not the ¥%(shown)s shown. Check the amounts and place it again.")
            % {"total": total, "shown": shown}
        )


class QuoteChanged(OrderActionError):
    def __init__(self):
        super().__init__(_("The amounts changed since you looked. Check the new quote and confirm again."))


def transition_label(name: str) -> str:
    """The button label of an order transition, e.g. "Ship return"."""
    return fsm.transition_label(Order, name)


def order_check_transition(*, order: Order, name: str, by: "User | None") -> None:
    """Raise OrderActionError (with its message) unless `by` may run transition `name` now."""
    method = getattr(order, name)
    label = transition_label(name)
    if not can_proceed(method, check_conditions=False):
        raise OrderActionError(
            _("“%(action)s” is not possible while the order is “%(status)s”.")
            % {"action": label, "status": order.get_status_display()}
        )
    if not can_proceed(method):
        deadline = order.decision_deadline
        if deadline is not None:
            raise OrderActionError(
                _("The decision window closed on %(deadline)s.") % {"deadline": format_when(deadline)}
            )
        raise OrderActionError(_("“%(action)s” is not possible for this order.") % {"action": label})
    if by is not None and not has_transition_perm(method, by):
        raise OrderActionError(_("You are not allowed to do “%(action)s” on this order.") % {"action": label})


# What the shopper is told about each status change (event, title, body), translated only for
# the one that happens. On an exchange's way back, a return's updates are exchange updates.
_NOTICES: dict[str, tuple[Event, Promise, Promise | str]] = {
    "pay": (
        Event.ORDER_PAID,
        gettext_lazy("Order %(number)s is paid"),
        gettext_lazy("We will buy “%(product)s” from the seller soon."),
    ),
    "purchase": (
        Event.ORDER_PROGRESS,
        gettext_lazy("We bought “%(product)s”"),
        gettext_lazy("The seller will ship it to our warehouse."),
    ),
    "ship_to_warehouse": (
        Event.ORDER_PROGRESS,
        gettext_lazy("“%(product)s” is on its way to our warehouse"),
        gettext_lazy("Domestic tracking number: %(tracking)s."),
    ),
    "receive": (
        Event.ORDER_PROGRESS,
        gettext_lazy("“%(product)s” arrived at the warehouse"),
        gettext_lazy("Our inspectors will check and photograph it next."),
    ),
    "pass_qc": (
        Event.QC_PASSED,
        gettext_lazy("QC passed: “%(product)s”"),
        gettext_lazy("Your item passed inspection and is stored."),
    ),
    "fail_qc": (
        Event.QC_FAILED,
        gettext_lazy("QC failed: “%(product)s” needs your decision"),
        gettext_lazy("Decide before %(deadline)s: keep it, return it for a refund or exchange it."),
    ),
    "request_refund": (
        Event.RETURN_REQUESTED,
        gettext_lazy("Return requested for “%(product)s”"),
        gettext_lazy("We will send it back to the seller and tell you at each step."),
    ),
    "request_exchange": (
        Event.EXCHANGE_REQUESTED,
        gettext_lazy("Exchange requested for “%(product)s”"),
        gettext_lazy("We will send it back to the seller, ask for the option you chose and inspect the replacement."),
    ),
    "expire_decision": (
        Event.DECISION_CLOSED,
        gettext_lazy("Decision window closed for order %(number)s"),
        gettext_lazy("You did not choose in time, so the item was kept and is stored in the warehouse."),
    ),
    "ship_return": (
        Event.RETURN_UPDATE,
        gettext_lazy("“%(product)s” is on its way back to the seller"),
        gettext_lazy("Return tracking number: %(tracking)s."),
    ),
    "seller_received": (
        Event.RETURN_UPDATE,
        gettext_lazy("The seller received your return of “%(product)s”"),
        gettext_lazy("The seller is now refunding; we will credit your balance as soon as they do."),
    ),
    "seller_refused": (
        Event.RETURN_UPDATE,
        gettext_lazy("The seller refused the return of “%(product)s”"),
        gettext_lazy("Our support team is on it and will tell you how this is resolved."),
    ),
    "confirm_refund": (
        Event.REFUND_CREDITED,
        gettext_lazy("Refund for order %(number)s credited"),
        gettext_lazy("The refund is on your balance and can be used at once."),
    ),
    "replacement_shipped": (
        Event.EXCHANGE_UPDATE,
        gettext_lazy("Your replacement for “%(product)s” is on its way"),
        gettext_lazy("It will be inspected again when it arrives. Tracking number: %(tracking)s."),
    ),
    "compensate": (
        Event.REFUND_CREDITED,
        gettext_lazy("We refunded order %(number)s ourselves"),
        gettext_lazy("The seller refused, so we credited the refund to your balance."),
    ),
    "restock": (
        Event.RETURN_UPDATE,
        gettext_lazy("“%(product)s” is back in the warehouse"),
        gettext_lazy(
            "The return could not be completed; the item is stored for you. Contact support with any question."
        ),
    ),
    "counter_discount": (
        Event.DISCOUNT_UPDATE,
        gettext_lazy("The seller made a counter-offer for “%(product)s”"),
        gettext_lazy("Accept it to keep the item, or go back to keeping, returning or exchanging it."),
    ),
    "accept_discount": (
        Event.REFUND_CREDITED,
        gettext_lazy("The seller accepted your discount on “%(product)s”"),
        gettext_lazy("You keep the item; it is stored in the warehouse."),
    ),
    "accept_counter_offer": (
        Event.REFUND_CREDITED,
        gettext_lazy("Discount on order %(number)s credited"),
        gettext_lazy("You keep the item; it is stored in the warehouse."),
    ),
    "refuse_discount": (
        Event.DISCOUNT_UPDATE,
        gettext_lazy("The seller refused a discount on “%(product)s”"),
        gettext_lazy(
            "The time spent asking was added to your decision window: you have until %(deadline)s to keep, "
            "return or exchange the item."
        ),
    ),
    "cancel": (Event.ORDER_CANCELLED, gettext_lazy("Order %(number)s was cancelled"), ""),
    "mark_out_of_stock": (
        Event.ORDER_CANCELLED,
        gettext_lazy("“%(product)s” is out of stock"),
        gettext_lazy("The seller could not supply it, so order %(number)s was cancelled."),
    ),
}
_EXCHANGE_AWARE = {"ship_return", "seller_refused"}


def _notice(order: Order, name: str, from_status: str) -> tuple[Event, str, str, Details] | None:
    """What the shopper is told about a status change, if anything: event, title, body and the
    facts the email highlights."""
    if name not in _NOTICES:
        return None
    event, title, body = _NOTICES[name]
    title, body = str(title), str(body)
    if name in _EXCHANGE_AWARE and Status.EXCHANGE_RETURNING in (order.status, from_status):
        event = Event.EXCHANGE_UPDATE
    tracking = order.return_tracking if name == "ship_return" else order.domestic_tracking
    values = {"number": order.number, "product": order.product_title, "tracking": tracking, "deadline": ""}
    if "%(deadline)s" in title + body:
        values["deadline"] = deadline_display(order)
    facts: list[Fact] = [{"label": _("Order number"), "text": order.number}]
    if name == "fail_qc":
        facts.append(_deadline_fact(order))
    if "%(tracking)s" in body:
        facts.append({"label": _("Tracking number"), "text": tracking})
    return event, title % values, body % values, {"facts": facts}


def _deadline_fact(order: Order) -> Fact:
    return {"label": _("Decide by"), "at": order.decision_deadline.isoformat()}


def _merged(notice: Details, extra: Details | None) -> Details:
    """The notice's details with the caller's added: lists are joined, other keys replaced."""
    merged: Details = {**notice}
    for key, value in (extra or {}).items():
        merged[key] = [*merged.get(key, []), *value] if isinstance(value, list) else value
    return merged


# Transitions a shopper runs that still earn them a notification: the record of money moved.
def _locked_row(pk: int) -> Order | None:
    # Every order change starts here: a statement written once (common.sql), not compiled each time.
    return sql.locked_with(Order, pk, related="shopper")


def _last_changed_by(order_pk: int, user: "User | None") -> bool:
    """Whether `user` made the order's latest timeline event (its latest change)."""
    if user is None:
        return False
    latest = OrderEvent.objects.filter(order_id=order_pk).order_by("-created_at", "-id")
    return latest.values_list("actor_id", flat=True).first() == user.pk


@contextmanager
def order_locked(order: Order, *, expected_status: str | None = None, by: "User | None" = None) -> Iterator[Order]:
    """The unit of work of every order change: one transaction, in which the order's row is read
    fresh and locked until the block ends. Money-moving services lock the order first, then
    ledger accounts, always in that order.

    A caller's copy whose status no longer matches the row, or a form made for another status
    (`expected_status`), is refused as changed meanwhile; the message blames nobody else when
    the latest change was by `by`, the person acting. Services return the locked row; none calls
    `refresh_from_db()` (see common.fsm for why).
    """
    try:
        with transaction.atomic():
            locked = _locked_row(order.pk)
            if locked is None or locked.status != order.status or expected_status not in (None, locked.status):
                raise OrderChangedMeanwhile(by_you=_last_changed_by(order.pk, by))
            yield locked
    except ConcurrentTransition:
        raise OrderChangedMeanwhile(by_you=_last_changed_by(order.pk, by)) from None


def order_apply_transition(
    *,
    locked: Order,
    name: str,
    by: "User | None",
    args: tuple = (),
    note: str = "",
    shopper_visible: bool = True,
    extra_body: str = "",
    details: Details | None = None,
) -> OrderEvent:
    """Run transition `name` on a row from `order_locked`: check it, change the status, save,
    write the timeline event and tell the shopper (unless they acted themselves). `extra_body`
    and `details` (facts, items, pictures) add to the notice what the caller knows.

    The one place every order service here and in the apps built on orders changes a status
    (refunds adds its ledger writes in the same unit of work). `by=None` is the system. Raises
    OrderActionError with a message for the person who tried; the unit of work then rolls back.
    """
    order_check_transition(order=locked, name=name, by=by)
    from_status = locked.status
    getattr(locked, name)(*args)
    locked.status_changed_at = timezone.now()
    changed = locked.changed_fields()
    if changed is None:
        locked.save()
    else:
        # One statement written once (common.sql), with ConcurrentTransitionMixin's check: the
        # row must still have the status this transition started from.
        if not sql.update(locked, changed, where={"status": from_status}):
            raise ConcurrentTransition("The order's status changed since it was read.")
        locked._update_initial_state()
    event = sql.insert(
        OrderEvent(
            order=locked,
            from_status=from_status,
            to_status=locked.status,
            transition=name,
            actor=by,
            note=note,
            shopper_visible=shopper_visible,
        )
    )
    # Shoppers are not told what they just did themselves, except for receipts they keep: the
    # payment, the return or exchange they asked for (with what it will cost or give back), and
    # the credit of a counter-offer they accepted.
    acted_by_shopper = by is not None and by.pk == locked.shopper_id and name not in RECEIPTS
    if not acted_by_shopper:
        # Written in the shopper's language and zone, whoever acted (callers build `extra_body`
        # and `details` the same way).
        with recipient_locale(locked.shopper):
            notice = _notice(locked, name, from_status)
            if notice:
                kind, title, body, notice_details = notice
                notify(
                    user=locked.shopper,
                    event=kind,
                    title=title,
                    body="\n\n".join(part for part in (body, extra_body) if part),
                    link=locked.get_absolute_url(),
                    details=_merged(notice_details, details),
                )
    return event


def order_record_event(
    *, locked: Order, name: str, by: "User | None", note: str, shopper_visible: bool = True
) -> OrderEvent:
    """A timeline line that is not a status change (a photo request, its answer...), written in
    the unit of work of a row from `order_locked`. `name` says what happened, like a transition's."""
    return OrderEvent.objects.create(
        order=locked, transition=name, actor=by, note=note, shopper_visible=shopper_visible
    )


def order_pause_decision(*, locked: Order) -> Order:
    """Stop the decision clock of a row from `order_locked` until `order_resume_decision`
    (pauses nest). The expiry and reminder jobs leave a paused order alone."""
    locked.pause_decision()
    locked.save(update_fields=["decision_paused_at", "decision_pauses"])
    return locked


def order_resume_decision(*, locked: Order) -> timedelta:
    """End one pause of a row from `order_locked`; return how far the deadline moved (the time
    the clock stood still, once no other pause holds it)."""
    moved = locked.resume_decision()
    locked.save(update_fields=["decision_paused_at", "decision_pauses", "decision_deadline"])
    return moved


def deadline_display(order: Order) -> str:
    """The order's decision deadline as the shopper reads it (in the current time zone)."""
    if order.decision_deadline is None:
        return ""
    return format_when(order.decision_deadline)


def _transition(*, order: Order, name: str, expected_status: str | None, **apply) -> Order:
    """One transition in its own unit of work; `apply` goes to order_apply_transition."""
    with order_locked(order, expected_status=expected_status, by=apply.get("by")) as locked:
        order_apply_transition(locked=locked, name=name, **apply)
    return locked


def clean_tracking(tracking: str) -> str:
    tracking = (tracking or "").strip()
    if not TRACKING_RE.match(tracking):
        raise OrderActionError(_("Enter a tracking number: 4 to 64 letters, digits or dashes."))
    return tracking


def decision_deadline_from_now():
    return timezone.now() + timedelta(hours=settings.QC_DECISION_HOURS)


def order_place(*, shopper: "User", **fields) -> Order:
    """Create an order awaiting payment, with its first timeline line."""
    with transaction.atomic():
        order = Order.objects.create(shopper=shopper, **fields)
        OrderEvent.objects.create(order=order, to_status=order.status, actor=shopper, note=_("Order placed."))
    return order


# --- Paying and cancelling: the money moves through the ledger in the order's unit of work --


def order_pay(
    *, order: Order, by: "User", expected_status: str | None = None, expected_total: Decimal | None = None
) -> Order:
    """Pay an order from the shopper's balance (the whole total, at once). `expected_total` is
    the amount the Pay button showed: if the order's amounts changed since, nothing is charged."""
    with order_locked(order, expected_status=expected_status, by=by) as locked:
        total = money(locked.total)
        if expected_total is not None and money(expected_total) != total:
            raise QuoteChanged()
        with recipient_locale(locked.shopper):
            paid = _("¥%(total)s was paid from your balance.") % {"total": total}
            details: Details = {"facts": [{"label": _("Paid from your balance"), "text": f"¥{total}"}]}
        order_apply_transition(locked=locked, name="pay", by=by, extra_body=paid, details=details)
        wallet, platform = payment_accounts(user=locked.shopper, kind=Account.Kind.ORDER_PAYMENTS)
        ledger_post(
            key=f"pay:{locked.pk}",
            kind=LedgerTransaction.Kind.PAYMENT,
            legs=[(wallet, -total), (platform, total)],
            description=order_statement(LedgerTransaction.Kind.PAYMENT, locked.number),
            order_id=locked.pk,
            by=by,
        )
    return locked


def order_place_and_pay(
    *,
    shopper: "User",
    expected_total: Decimal | None = None,
    listing_images: Sequence[PreparedImage] = (),
    **fields,
) -> Order:
    """Place an order and pay it from the balance in one step, with the shopper's screenshots of
    the listing; with too little balance nothing is created, stored or charged (InsufficientBalance
    says how much is missing). `expected_total` is the total the page showed: if the order would
    cost anything else, nothing happens."""
    with transaction.atomic():
        order = order_place(shopper=shopper, **fields)
        if expected_total is not None and money(expected_total) != money(order.total):
            raise TotalNotAsShown(total=money(order.total), shown=money(expected_total))
        order = order_pay(order=order, by=shopper)
        if listing_images:
            _listing_images_store(locked=order, images=listing_images, source=ListingImage.Source.SHOPPER, by=shopper)
        return order


# --- Listing images -------------------------------------------------------------------------


def _listing_images_store(
    *, locked: Order, images: Sequence[PreparedImage], source: str, by: "User"
) -> list[ListingImage]:
    """Store checked images after those the order has from `source`, with a timeline line; the
    caller holds the order's row lock (so two uploads cannot both take the last places). Nothing
    stays stored when it raises."""
    existing = list(ListingImage.objects.filter(order=locked).values_list("source", "sha256"))
    room = settings.LISTING_IMAGES_MAX - sum(1 for kind, _digest in existing if kind == source)
    if len(images) > room:
        raise OrderActionError(
            ngettext(
                "An order can have at most %(limit)d listing image from each side; %(room)d more can be added.",
                "An order can have at most %(limit)d listing images from each side; %(room)d more can be added.",
                settings.LISTING_IMAGES_MAX,
            )
            % {"limit": settings.LISTING_IMAGES_MAX, "room": max(room, 0)}
        )
    seen = {digest for _kind, digest in existing}
    for image in images:
        if image.sha256 in seen:
            raise OrderActionError(_("“%(name)s” is already attached to this order.") % {"name": image.name})
        seen.add(image.sha256)
    position = sum(1 for kind, _digest in existing if kind == source)
    made: list[ListingImage] = []
    stored: list[str] = []
    try:
        with transaction.atomic():
            for offset, image in enumerate(images):
                full, display, thumb = (image.renditions[name] for name in LISTING_RENDITIONS)
                row = ListingImage(
                    order=locked,
                    source=source,
                    width=full.width,
                    height=full.height,
                    display_width=display.width,
                    display_height=display.height,
                    thumb_width=thumb.width,
                    thumb_height=thumb.height,
                    bytes=len(full.content),
                    sha256=image.sha256,
                    original_name=image.name[:200],
                    position=position + offset,
                    uploaded_by=by,
                )
                for name in LISTING_RENDITIONS:
                    field = getattr(row, name)
                    field.save(f"{name}.jpg", ContentFile(image.renditions[name].content), save=False)
                    stored.append(field.name)
                row.save()
                made.append(row)
            count = len(made)
            note = (
                ngettext(
                    "%(count)d screenshot of the listing attached.",
                    "%(count)d screenshots of the listing attached.",
                    count,
                )
                if source == ListingImage.Source.SHOPPER
                else ngettext(
                    "%(count)d photo from the seller's listing attached by our purchaser.",
                    "%(count)d photos from the seller's listing attached by our purchaser.",
                    count,
                )
            ) % {"count": count}
            OrderEvent.objects.create(order=locked, actor=by, note=note)
    except IntegrityError:
        delete_stored_files(stored)
        raise OrderActionError(_("One of these images is already attached to this order.")) from None
    except BaseException:
        delete_stored_files(stored)
        raise
    return made


def listing_images_add(
    *, order: Order, images: Sequence[PreparedImage], source: str, by: "User"
) -> list[ListingImage]:
    """Attach listing images (checked by `common.renditions.prepare_image`) to an order: the
    shopper's screenshots (by its shopper) or the seller's photos (by a purchaser). Refused with
    OrderActionError, nothing stored, beyond LISTING_IMAGES_MAX from one side, for an image the
    order already has, or on a cancelled order. Caller need not lock."""
    allowed = is_shopper(order, by) if source == ListingImage.Source.SHOPPER else by.has_perm(PERM_PURCHASE)
    if not allowed:
        raise OrderActionError(_("You are not allowed to attach listing images to this order."))
    if not images:
        raise OrderActionError(_("Choose at least one image."))
    with transaction.atomic():
        locked = _locked_row(order.pk)
        if locked is None:
            raise OrderChangedMeanwhile()
        if locked.status == Status.CANCELLED:
            raise OrderActionError(_("This order is cancelled; its listing images cannot change."))
        return _listing_images_store(locked=locked, images=images, source=source, by=by)


def listing_image_delete(*, image: ListingImage, by: "User") -> None:
    """Remove a seller's photo a purchaser attached by mistake; its files go once the deletion
    is committed, and the timeline keeps a staff-only line. The shopper's screenshots are theirs:
    staff do not remove them."""
    if not by.has_perm(PERM_PURCHASE) or image.source != ListingImage.Source.PURCHASER:
        raise OrderActionError(_("You are not allowed to remove this listing image."))
    names = image.stored_names()
    with transaction.atomic():
        locked = _locked_row(image.order_id)
        current = ListingImage.objects.filter(pk=image.pk, order=locked).first()
        if current is None:
            return  # removed meanwhile: what was asked is done
        current.delete()
        OrderEvent.objects.create(
            order=locked,
            actor=by,
            note=_("Listing image “%(name)s” removed.") % {"name": current.original_name or current.key[:8]},
            shopper_visible=False,
        )
        transaction.on_commit(partial(delete_stored_files, names))


def order_cancel_credit(*, order: Order) -> Decimal:
    """What cancelling the order (or marking it out of stock) credits the shopper: everything
    paid for it and not yet given back. Staff confirm this amount before pressing the button."""
    return order_refundable(order_id=order.pk)


def _check_credit(credit: Decimal, expected_credit: Decimal | None) -> None:
    """Refuse, changing nothing, when the amount staff confirmed is no longer what would move."""
    if expected_credit is not None and money(expected_credit) != credit:
        raise QuoteChanged()


def _refund_whole_payment(*, locked: Order, by: "User | None", reason: str) -> None:
    refundable = order_cancel_credit(order=locked)
    if refundable == ZERO:
        return
    ledger_post(
        key=f"cancel-refund:{locked.pk}",
        kind=LedgerTransaction.Kind.CANCEL_REFUND,
        legs=[
            (wallet_for(user=locked.shopper), refundable),
            (platform_account(Account.Kind.ORDER_PAYMENTS), -refundable),
        ],
        description=order_statement(LedgerTransaction.Kind.CANCEL_REFUND, locked.number),
        order_id=locked.pk,
        by=by,
        reason=reason,
    )


def order_cancel(
    *,
    order: Order,
    by: "User",
    note: str = "",
    expected_status: str | None = None,
    expected_credit: Decimal | None = None,
) -> Order:
    """Cancel before purchase; a paid order is refunded to the balance at once. `expected_credit`
    is the refund the person confirmed (order_cancel_credit): if it changed since, nothing happens."""
    with order_locked(order, expected_status=expected_status, by=by) as locked:
        _check_credit(order_cancel_credit(order=locked), expected_credit)
        order_apply_transition(locked=locked, name="cancel", by=by, note=note)
        _refund_whole_payment(locked=locked, by=by, reason=note)
    return locked


def order_mark_out_of_stock(
    *,
    order: Order,
    by: "User",
    note: str = "",
    expected_status: str | None = None,
    expected_credit: Decimal | None = None,
) -> Order:
    """The seller cannot supply a paid order: cancel it and refund it in full, as order_cancel."""
    with order_locked(order, expected_status=expected_status, by=by) as locked:
        refundable = order_cancel_credit(order=locked)
        _check_credit(refundable, expected_credit)
        with recipient_locale(locked.shopper):
            back = _("¥%(amount)s is back on your balance.") % {"amount": refundable}
        order_apply_transition(locked=locked, name="mark_out_of_stock", by=by, note=note, extra_body=back)
        _refund_whole_payment(locked=locked, by=by, reason=note)
    return locked


# --- Shopper actions ------------------------------------------------------------------------


def order_keep(*, order: Order, by: "User", expected_status: str | None = None) -> Order:
    return _transition(
        order=order, name="keep", by=by, note=_("Kept despite the QC issues."), expected_status=expected_status
    )


# --- Staff actions --------------------------------------------------------------------------


def order_purchase(*, order: Order, by: "User", expected_status: str | None = None) -> Order:
    return _transition(order=order, name="purchase", by=by, expected_status=expected_status)


def order_ship_to_warehouse(*, order: Order, by: "User", tracking: str, expected_status: str | None = None) -> Order:
    tracking = clean_tracking(tracking)
    return _transition(order=order, name="ship_to_warehouse", by=by, args=(tracking,), expected_status=expected_status)


def order_receive(*, order: Order, by: "User", expected_status: str | None = None) -> Order:
    return _transition(order=order, name="receive", by=by, expected_status=expected_status)


def order_pass_qc(
    *, order: Order, by: "User", note: str = "", details: Details | None = None, expected_status: str | None = None
) -> Order:
    return _transition(
        order=order,
        name="pass_qc",
        by=by,
        args=(decision_deadline_from_now(),),
        note=note,
        details=details,
        expected_status=expected_status,
    )


def order_fail_qc(
    *,
    order: Order,
    by: "User",
    note: str = "",
    summary: str = "",
    details: Details | None = None,
    expected_status: str | None = None,
) -> Order:
    """Fail QC and open the decision window; `summary` (photos, defects) goes into the alert and
    `details` (the defects, their pictures) into its email."""
    return _transition(
        order=order,
        name="fail_qc",
        by=by,
        args=(decision_deadline_from_now(),),
        note=note,
        extra_body=summary,
        details=details,
        expected_status=expected_status,
    )


# --- System actions -------------------------------------------------------------------------


def _expire_decision(locked: Order) -> None:
    order_apply_transition(
        locked=locked,
        name="expire_decision",
        by=None,
        note=_("The decision window closed without a choice, so the item is kept."),
    )


def order_expire_decision(*, order: Order) -> Order:
    with order_locked(order) as locked:
        _expire_decision(locked)
    return locked


def order_remind_decision(*, order_id: int) -> bool:
    """Remind the shopper once that a QC decision is due soon. Returns whether it sent one.

    Locks the order so two runs of the job cannot both remind.
    """
    with transaction.atomic():
        order = _locked_row(order_id)
        if (
            order is None
            or order.status != Status.QC_FAILED
            or order.decision_reminded_at is not None
            or order.decision_paused
            or not order.decision_window_open()
        ):
            return False
        order.decision_reminded_at = timezone.now()
        order.save(update_fields=["decision_reminded_at"])
        with recipient_locale(order.shopper):
            notify(
                user=order.shopper,
                event=Event.DECISION_REMINDER,
                title=_("Reminder: decide on “%(product)s” by %(deadline)s")
                % {"product": order.product_title, "deadline": deadline_display(order)},
                body=_("After that the item is kept and stored. You can keep it, return it or exchange it."),
                link=order.get_absolute_url(),
                details={"facts": [{"label": _("Order number"), "text": order.number}, _deadline_fact(order)]},
            )
    return True


def order_expire_due_decision(*, order_id: int) -> bool:
    """Close the decision window of one order whose deadline passed. Returns whether it did."""
    with transaction.atomic():
        order = _locked_row(order_id)
        if order is None or order.status != Status.QC_FAILED or order.decision_window_open():
            return False
        _expire_decision(order)
    return True


# The staff buttons in the order admin: transition name -> service. What each needs (a tracking
# number, a note, a price) is declared on the transition as custom["needs"]. Apps built on orders
# add their own through their admin mixins (refunds the return steps, qc a receive that opens QC).
STAFF_ACTIONS = {
    "cancel": order_cancel,
    "mark_out_of_stock": order_mark_out_of_stock,
    "purchase": order_purchase,
    "ship_to_warehouse": order_ship_to_warehouse,
    "receive": order_receive,
}


def transition_needs(name: str) -> tuple[str, ...]:
    """What the staff form of a transition asks for: ("tracking",), ("note",), ("tracking", "price")..."""
    return fsm.transition_needs(Order, name)
