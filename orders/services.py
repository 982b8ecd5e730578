"""Order lifecycle operations. Each one: transition + save + timeline event (+ notification),
in one transaction. Nothing else calls a transition method and saves."""

import re
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition, can_proceed, has_transition_perm

from notifications.models import Event
from notifications.services import notify

from .models import Order, OrderEvent

Status = Order.Status
TRACKING_RE = re.compile(r"^[A-Za-z0-9-]{4,64}$")


class OrderActionError(Exception):
    """An order action was refused; the message is fit to show the person who tried it."""


class OrderChangedMeanwhile(OrderActionError):
    pass


def transition_label(name: str) -> str:
    """The button label of a transition, e.g. "Ship return"."""
    method = getattr(Order, name)
    for t in method._django_fsm.transitions.values():
        if t.custom.get("label"):
            return str(t.custom["label"])
    return name.replace("_", " ").capitalize()


def _changed_meanwhile() -> OrderChangedMeanwhile:
    return OrderChangedMeanwhile(
        _("This order was changed by someone else meanwhile. Reload the page and check its status.")
    )


def _check_allowed(order: Order, name: str, by, expected_status: str | None) -> None:
    if expected_status is not None and order.status != expected_status:
        raise _changed_meanwhile()
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
                _("The decision window closed on %(deadline)s.")
                % {"deadline": date_format(timezone.localtime(deadline), "DATETIME_FORMAT")}
            )
        raise OrderActionError(_("“%(action)s” is not possible for this order.") % {"action": label})
    if by is not None and not has_transition_perm(method, by):
        raise OrderActionError(_("You are not allowed to do “%(action)s” on this order.") % {"action": label})


def _notice(order: Order, name: str, from_status: str) -> tuple[Event, str, str] | None:
    """What the shopper is told about a status change, if anything."""
    exchange = Status.EXCHANGE_RETURNING in (order.status, from_status)
    notices: dict[str, tuple[Event, str, str]] = {
        "pay": (Event.ORDER_PAID, _("Order %(number)s is paid"), _("We will buy “%(product)s” from the seller soon.")),
        "purchase": (
            Event.ORDER_PROGRESS,
            _("We bought “%(product)s”"),
            _("The seller will ship it to our warehouse."),
        ),
        "ship_to_warehouse": (
            Event.ORDER_PROGRESS,
            _("“%(product)s” is on its way to our warehouse"),
            _("Domestic tracking number: %(tracking)s."),
        ),
        "receive": (
            Event.ORDER_PROGRESS,
            _("“%(product)s” arrived at the warehouse"),
            _("Our inspectors will check and photograph it next."),
        ),
        "pass_qc": (Event.QC_PASSED, _("QC passed: “%(product)s”"), _("Your item passed inspection and is stored.")),
        "fail_qc": (
            Event.QC_FAILED,
            _("QC failed: “%(product)s” needs your decision"),
            _("Keep it, return it for a refund or exchange it before %(deadline)s."),
        ),
        "expire_decision": (
            Event.DECISION_CLOSED,
            _("Decision window closed for order %(number)s"),
            _("You did not choose in time, so the item was kept and is stored in the warehouse."),
        ),
        "ship_return": (
            Event.EXCHANGE_UPDATE if exchange else Event.RETURN_UPDATE,
            _("“%(product)s” is on its way back to the seller"),
            _("Return tracking number: %(tracking)s."),
        ),
        "seller_received": (
            Event.RETURN_UPDATE,
            _("The seller received your return of “%(product)s”"),
            _("The seller is now refunding; we will credit your balance as soon as they do."),
        ),
        "seller_refused": (
            Event.EXCHANGE_UPDATE if exchange else Event.RETURN_UPDATE,
            _("The seller refused the return of “%(product)s”"),
            _("Our support team is on it and will tell you how this is resolved."),
        ),
        "confirm_refund": (
            Event.REFUND_CREDITED,
            _("Refund for order %(number)s credited"),
            _("The refund is on your balance and can be used at once."),
        ),
        "replacement_shipped": (
            Event.EXCHANGE_UPDATE,
            _("Your replacement for “%(product)s” is on its way"),
            _("It will be inspected again when it arrives. Tracking number: %(tracking)s."),
        ),
        "compensate": (
            Event.REFUND_CREDITED,
            _("We refunded order %(number)s ourselves"),
            _("The seller refused, so we credited the refund to your balance."),
        ),
        "restock": (
            Event.RETURN_UPDATE,
            _("“%(product)s” is back in the warehouse"),
            _("The return could not be completed; the item is stored for you. Contact support with any question."),
        ),
        "cancel": (Event.ORDER_CANCELLED, _("Order %(number)s was cancelled"), ""),
        "mark_out_of_stock": (
            Event.ORDER_CANCELLED,
            _("“%(product)s” is out of stock"),
            _("The seller could not supply it, so order %(number)s was cancelled."),
        ),
    }
    if name not in notices:
        return None
    event, title, body = notices[name]
    values = {
        "number": order.number,
        "product": order.product_title,
        "tracking": order.return_tracking if name == "ship_return" else order.domestic_tracking,
        "deadline": date_format(timezone.localtime(order.decision_deadline), "DATETIME_FORMAT")
        if order.decision_deadline
        else "",
    }
    return event, title % values, body % values


def _run(
    *,
    order: Order,
    name: str,
    by,
    args: tuple = (),
    note: str = "",
    shopper_visible: bool = True,
    expected_status: str | None = None,
    extra_body: str = "",
) -> OrderEvent:
    _check_allowed(order, name, by, expected_status)
    from_status = order.status
    try:
        with transaction.atomic():
            getattr(order, name)(*args)
            order.status_changed_at = timezone.now()
            order.save()
            event = OrderEvent.objects.create(
                order=order,
                from_status=from_status,
                to_status=order.status,
                transition=name,
                actor=by,
                note=note,
                shopper_visible=shopper_visible,
            )
            notice = _notice(order, name, from_status)
            acted_by_shopper = by is not None and by.pk == order.shopper_id
            if notice and not acted_by_shopper:
                kind, title, body = notice
                notify(
                    user=order.shopper,
                    event=kind,
                    title=title,
                    body="\n\n".join(part for part in (body, extra_body) if part),
                    link=order.get_absolute_url(),
                )
    except ConcurrentTransition:
        order.refresh_from_db()
        raise _changed_meanwhile() from None
    except Exception:
        order.refresh_from_db()
        raise
    return event


def _clean_tracking(tracking: str) -> str:
    tracking = (tracking or "").strip()
    if not TRACKING_RE.match(tracking):
        raise OrderActionError(_("Enter a tracking number: 4 to 64 letters, digits or dashes."))
    return tracking


def _decision_deadline():
    return timezone.now() + timedelta(hours=settings.QC_DECISION_HOURS)


# --- Shopper actions ------------------------------------------------------------------------


def order_place(*, shopper, **fields) -> Order:
    """Create an order awaiting payment, with its first timeline line."""
    with transaction.atomic():
        order = Order.objects.create(shopper=shopper, **fields)
        OrderEvent.objects.create(order=order, to_status=order.status, actor=shopper, note=_("Order placed."))
    return order


def order_pay(*, order: Order, by, expected_status: str | None = None) -> OrderEvent:
    return _run(order=order, name="pay", by=by, expected_status=expected_status)


def order_cancel(*, order: Order, by, note: str = "", expected_status: str | None = None) -> OrderEvent:
    return _run(order=order, name="cancel", by=by, note=note, expected_status=expected_status)


def order_keep(*, order: Order, by, expected_status: str | None = None) -> OrderEvent:
    return _run(
        order=order, name="keep", by=by, note=_("Kept despite the QC issues."), expected_status=expected_status
    )


def order_request_refund(*, order: Order, by, expected_status: str | None = None) -> OrderEvent:
    return _run(order=order, name="request_refund", by=by, expected_status=expected_status)


def order_request_exchange(*, order: Order, by, note: str = "", expected_status: str | None = None) -> OrderEvent:
    return _run(order=order, name="request_exchange", by=by, note=note, expected_status=expected_status)


# --- Staff actions --------------------------------------------------------------------------


def order_mark_out_of_stock(*, order: Order, by, note: str = "", expected_status: str | None = None) -> OrderEvent:
    return _run(order=order, name="mark_out_of_stock", by=by, note=note, expected_status=expected_status)


def order_purchase(*, order: Order, by, expected_status: str | None = None) -> OrderEvent:
    return _run(order=order, name="purchase", by=by, expected_status=expected_status)


def order_ship_to_warehouse(*, order: Order, by, tracking: str, expected_status: str | None = None) -> OrderEvent:
    tracking = _clean_tracking(tracking)
    return _run(order=order, name="ship_to_warehouse", by=by, args=(tracking,), expected_status=expected_status)


def order_receive(*, order: Order, by, expected_status: str | None = None) -> OrderEvent:
    return _run(order=order, name="receive", by=by, expected_status=expected_status)


def order_pass_qc(*, order: Order, by, note: str = "", expected_status: str | None = None) -> OrderEvent:
    return _run(
        order=order, name="pass_qc", by=by, args=(_decision_deadline(),), note=note, expected_status=expected_status
    )


def order_fail_qc(
    *, order: Order, by, note: str = "", summary: str = "", expected_status: str | None = None
) -> OrderEvent:
    """Fail QC and open the decision window; `summary` (photos, defects) goes into the alert."""
    return _run(
        order=order,
        name="fail_qc",
        by=by,
        args=(_decision_deadline(),),
        note=note,
        extra_body=summary,
        expected_status=expected_status,
    )


def order_ship_return(*, order: Order, by, tracking: str, expected_status: str | None = None) -> OrderEvent:
    tracking = _clean_tracking(tracking)
    return _run(order=order, name="ship_return", by=by, args=(tracking,), expected_status=expected_status)


def order_seller_received(*, order: Order, by, expected_status: str | None = None) -> OrderEvent:
    return _run(order=order, name="seller_received", by=by, expected_status=expected_status)


def order_seller_refused(*, order: Order, by, note: str, expected_status: str | None = None) -> OrderEvent:
    if not (note or "").strip():
        raise OrderActionError(_("Say what the seller answered."))
    return _run(
        order=order,
        name="seller_refused",
        by=by,
        note=note.strip(),
        shopper_visible=True,
        expected_status=expected_status,
    )


def order_confirm_refund(*, order: Order, by, expected_status: str | None = None) -> OrderEvent:
    return _run(order=order, name="confirm_refund", by=by, expected_status=expected_status)


def order_replacement_shipped(*, order: Order, by, tracking: str, expected_status: str | None = None) -> OrderEvent:
    tracking = _clean_tracking(tracking)
    return _run(order=order, name="replacement_shipped", by=by, args=(tracking,), expected_status=expected_status)


def order_compensate(*, order: Order, by, note: str = "", expected_status: str | None = None) -> OrderEvent:
    return _run(order=order, name="compensate", by=by, note=note, expected_status=expected_status)


def order_restock(*, order: Order, by, note: str = "", expected_status: str | None = None) -> OrderEvent:
    return _run(order=order, name="restock", by=by, note=note, expected_status=expected_status)


# --- System actions -------------------------------------------------------------------------


def order_expire_decision(*, order: Order) -> OrderEvent:
    return _run(
        order=order,
        name="expire_decision",
        by=None,
        note=_("The decision window closed without a choice, so the item is kept."),
    )


# The staff buttons in the admin: transition name -> service. What each needs (a tracking
# number, a note) is declared on the transition as custom["needs"].
STAFF_ACTIONS = {
    "cancel": order_cancel,
    "pass_qc": order_pass_qc,
    "fail_qc": order_fail_qc,
    "mark_out_of_stock": order_mark_out_of_stock,
    "purchase": order_purchase,
    "ship_to_warehouse": order_ship_to_warehouse,
    "receive": order_receive,
    "ship_return": order_ship_return,
    "seller_received": order_seller_received,
    "seller_refused": order_seller_refused,
    "confirm_refund": order_confirm_refund,
    "replacement_shipped": order_replacement_shipped,
    "compensate": order_compensate,
    "restock": order_restock,
}


def transition_needs(name: str) -> str:
    """ "tracking", "note" or "" for the staff form of a transition."""
    for t in getattr(Order, name)._django_fsm.transitions.values():
        if t.custom.get("needs"):
            return t.custom["needs"]
    return ""
