from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from functools import cached_property
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import Case, Count, DecimalField, OuterRef, Prefetch, Q, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.module_loading import import_string

from common.pages import PageSection, Picture
from ledger.models import ZERO, Account, Entry
from ledger.selectors import order_refundable, wallet_balance

from .models import PERM_VIEW_LISTING, ListingImage, Order, OrderEvent

if TYPE_CHECKING:
    from datetime import datetime

    from accounts.models import User

# "Decisions expiring soon" on the staff dashboard and in the order list's filter.
DECISION_EXPIRING_HOURS = 24

ORDERS_PER_PAGE = 20
# The order list's tabs, in the order they are shown; "all" puts what needs the shopper first.
TABS = ("action", "progress", "done", "all")
SEARCH_MAX_LENGTH = 100


@dataclass(frozen=True)
class OrderCard:
    """One order as the order list shows it: its picture, and what its money did so far."""

    order: Order
    picture: Picture | None
    charged: Decimal  # taken from the balance for this order (payments, price differences)
    credited: Decimal  # put back on the balance for it (refunds, cancellations, credits)


@dataclass(frozen=True)
class OrderList:
    tab: str
    search: str
    counts: dict[str, int]  # tab -> orders in it (matching the search)
    page: Page
    cards: list[OrderCard]

    @property
    def has_orders(self) -> bool:
        """Whether the shopper has any order at all (else the page explains how to start)."""
        return bool(self.search) or self.counts["all"] > 0


class _CountedPaginator(Paginator):
    """A paginator told its count (already known from the tab counts) instead of asking again."""

    def __init__(self, object_list, per_page: int, *, count: int):
        super().__init__(object_list, per_page)
        self._known_count = count

    @cached_property
    def count(self) -> int:
        return self._known_count


def _wallet_total(order_ref: OuterRef, *, credits: bool) -> Coalesce:
    """The sum of an order's wallet lines of one sign, as an expression on the order's row."""
    lines = Entry.objects.filter(transaction__order_id=order_ref, account__kind=Account.Kind.WALLET)
    lines = (
        (lines.filter(amount__gt=0) if credits else lines.filter(amount__lt=0))
        .values("transaction__order_id")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    money = DecimalField(max_digits=14, decimal_places=2)
    return Coalesce(Subquery(lines, output_field=money), Value(ZERO), output_field=money)


def _tab_filter(tab: str) -> Q:
    if tab == "action":
        return Q(status__in=Order.NEEDS_ACTION)
    if tab == "done":
        return Q(status__in=Order.DONE)
    if tab == "progress":
        return ~Q(status__in=Order.NEEDS_ACTION | Order.DONE)
    return Q()


def _listing_picture(image: "ListingImage | None") -> Picture | None:
    return Picture(image.thumb_url, image.thumb_width, image.thumb_height) if image is not None else None


def order_list_for_shopper(*, user: "User", tab: str = "all", search: str = "", page: str | None = None) -> OrderList:
    """One page of the shopper's orders in a tab, matching a search on the order number or the
    product, as cards. Five queries whatever the number of orders: the tab counts, the page,
    its QC photos, the listing images of the orders without one, and the wallet sums
    (subqueries of the page's query)."""
    tab = tab if tab in TABS else "all"
    search = " ".join(search.split())[:SEARCH_MAX_LENGTH]
    mine = Order.objects.for_shopper(user)
    if search:
        mine = mine.filter(Q(number__icontains=search) | Q(product_title__icontains=search))
    counts = mine.aggregate(
        all=Count("pk"),
        action=Count("pk", filter=_tab_filter("action")),
        done=Count("pk", filter=_tab_filter("done")),
    )
    counts["progress"] = counts["all"] - counts["action"] - counts["done"]
    listed = mine.filter(_tab_filter(tab)).annotate(
        charged=_wallet_total(OuterRef("pk"), credits=False), credited=_wallet_total(OuterRef("pk"), credits=True)
    )
    if tab == "all":
        urgent = Case(When(status__in=Order.NEEDS_ACTION, then=Value(0)), default=Value(1))
        listed = listed.annotate(urgent=urgent).order_by("urgent", "-created_at", "-id")
    else:
        listed = listed.order_by("-created_at", "-id")
    page_obj = _CountedPaginator(listed, ORDERS_PER_PAGE, count=counts[tab]).get_page(page)
    orders = list(page_obj.object_list)
    photos = import_string(settings.ORDER_CARD_PHOTOS)(orders=orders) if orders else {}
    # An order without a QC photo yet shows its listing: the seller's photo or the shopper's screenshot
    # (read for the whole page, so the list runs the same queries whatever its orders have).
    listing = listing_thumbs_for_orders(orders=orders)
    cards = [
        OrderCard(
            order=order,
            picture=photos.get(order.pk) or _listing_picture(listing.get(order.pk)),
            charged=-order.charged,
            credited=order.credited,
        )
        for order in orders
    ]
    return OrderList(tab=tab, search=search, counts=counts, page=page_obj, cards=cards)


def order_for_shopper(*, user: "User", number: str) -> Order:
    """The shopper's own order with its shopper-visible timeline; anyone else's is a 404."""
    timeline = OrderEvent.objects.filter(shopper_visible=True).order_by("created_at", "id")
    queryset = Order.objects.for_shopper(user).prefetch_related(Prefetch("events", timeline, to_attr="timeline"))
    return get_object_or_404(queryset, number=number)


def order_payment_section(*, order: Order, user: "User") -> PageSection | None:
    """Pay (or cancel) while unpaid: what the shopper must do, first on the page and in the
    bottom bar. Once paid, until it is bought: cancelling, beside the order's facts."""
    if order.status == Order.Status.PENDING_PAYMENT:
        balance = wallet_balance(user=user)
        context = {"balance": balance, "missing": max(order.total - balance, ZERO)}
        return PageSection(
            "orders/order_payment.html",
            context,
            slot=PageSection.LEAD,
            bar_template_name="orders/order_payment_bar.html",
        )
    if order.status == Order.Status.PAID:
        return PageSection(
            "orders/order_payment.html", {"refundable": order_refundable(order_id=order.pk)}, slot=PageSection.ASIDE
        )
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
