from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import Prefetch, Q
from django.shortcuts import get_object_or_404
from django.utils import timezone

from common.pages import PageSection
from ledger.selectors import wallet_balance

from .models import Order, OrderEvent

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
    """QC-failed orders whose deadline is within QC_REMINDER_HOURS and not yet reminded."""
    now = timezone.now()
    return list(
        Order.objects.filter(
            status=Order.Status.QC_FAILED,
            decision_reminded_at__isnull=True,
            decision_deadline__gt=now,
            decision_deadline__lte=now + timedelta(hours=settings.QC_REMINDER_HOURS),
        ).values_list("pk", flat=True)
    )


def orders_with_expired_decision() -> list[int]:
    return list(
        Order.objects.filter(status=Order.Status.QC_FAILED, decision_deadline__lte=timezone.now()).values_list(
            "pk", flat=True
        )
    )


def decisions_expiring_q(*, now: "datetime") -> Q:
    """QC-failed orders whose decision window closes within DECISION_EXPIRING_HOURS."""
    return Q(
        status=Order.Status.QC_FAILED,
        decision_deadline__gt=now,
        decision_deadline__lte=now + timedelta(hours=DECISION_EXPIRING_HOURS),
    )
