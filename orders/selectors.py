from collections.abc import Iterable
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import Case, OuterRef, Prefetch, Q, Subquery, Value, When
from django.shortcuts import get_object_or_404
from django.utils import timezone

from common.pages import PageSection
from ledger.selectors import wallet_balance

from .models import PERM_VIEW_LISTING, ListingImage, Order, OrderEvent

if TYPE_CHECKING:
    from datetime import datetime

    from accounts.models import User

# "Decisions expiring soon" on the staff dashboard and in the order list's filter.
DECISION_EXPIRING_HOURS = 24


def order_groups_for_shopper(*, user: "User") -> dict[str, list[Order]]:
    """The shopper's orders in one query, grouped as the order list shows them."""
    groups: dict[str, list[Order]] = {"action": [], "progress": [], "done": []}
    for order in Order.objects.for_shopper(user):
        key = "action" if order.needs_action else "done" if order.is_done else "progress"
        groups[key].append(order)
    return groups


def order_for_shopper(*, user: "User", number: str) -> Order:
    """The shopper's own order with its shopper-visible timeline; anyone else's is a 404."""
    timeline = OrderEvent.objects.filter(shopper_visible=True).order_by("created_at", "id")
    queryset = Order.objects.for_shopper(user).prefetch_related(Prefetch("events", timeline, to_attr="timeline"))
    return get_object_or_404(queryset, number=number)


def order_payment_section(*, order: Order, user: "User") -> PageSection | None:
    """The order page's payment panel: pay or cancel while unpaid, cancel until it is bought."""
    if order.status == Order.Status.PENDING_PAYMENT:
        return PageSection("orders/order_payment.html", {"balance": wallet_balance(user=user)})
    if order.status == Order.Status.PAID:
        return PageSection("orders/order_payment.html", {})
    return None


def orders_due_for_reminder() -> list[int]:
    """QC-failed orders whose deadline is within QC_REMINDER_HOURS and not yet reminded; a
    paused decision clock (extra photos asked) is not counting down."""
    now = timezone.now()
    return list(
        Order.objects.filter(
            status=Order.Status.QC_FAILED,
            decision_pauses=0,
            decision_reminded_at__isnull=True,
            decision_deadline__gt=now,
            decision_deadline__lte=now + timedelta(hours=settings.QC_REMINDER_HOURS),
        ).values_list("pk", flat=True)
    )


def orders_with_expired_decision() -> list[int]:
    """QC-failed orders whose decision clock ran out (a paused one stands still)."""
    return list(
        Order.objects.filter(
            status=Order.Status.QC_FAILED, decision_pauses=0, decision_deadline__lte=timezone.now()
        ).values_list("pk", flat=True)
    )


# --- Listing images ---------------------------------------------------------------------------


def _listing_order() -> list:
    """The seller's own photos first (the listing as the seller shows it), then the shopper's
    screenshots, each in the order they were attached."""
    side = Case(When(source=ListingImage.Source.PURCHASER, then=Value(0)), default=Value(1))
    return [side, "position", "id"]


def listing_images_for_order(*, order: Order) -> list[ListingImage]:
    """The order's listing images, seller's photos first; one query."""
    return list(ListingImage.objects.filter(order=order).order_by(*_listing_order()))


def listing_thumbs_for_orders(*, orders: Iterable[Order]) -> dict[int, ListingImage]:
    """Order id -> its first listing image (as `listing_images_for_order` lists them), for the
    orders that have one: the picture of an order card that has no QC photo. One query for any
    number of orders; use `.thumb_url`, `.thumb_width` and `.thumb_height`."""
    ids = [order.pk for order in orders]
    if not ids:
        return {}
    first = ListingImage.objects.filter(order_id=OuterRef("order_id")).order_by(*_listing_order()).values("pk")[:1]
    images = ListingImage.objects.filter(order_id__in=ids, pk=Subquery(first)).only(
        "pk", "order_id", "source", "position", "thumb", "thumb_width", "thumb_height"
    )
    return {image.order_id: image for image in images}


def listing_image_for_viewer(*, user: "User", pk: int) -> ListingImage:
    """A listing image for its order's shopper or staff who may see listing images; else 404."""
    queryset = (
        ListingImage.objects.all()
        if user.has_perm(PERM_VIEW_LISTING)
        else ListingImage.objects.filter(order__shopper_id=user.pk)
    )
    return get_object_or_404(queryset, pk=pk)


def decisions_expiring_q(*, now: "datetime") -> Q:
    """QC-failed orders whose decision window closes within DECISION_EXPIRING_HOURS."""
    return Q(
        status=Order.Status.QC_FAILED,
        decision_deadline__gt=now,
        decision_deadline__lte=now + timedelta(hours=DECISION_EXPIRING_HOURS),
    )
