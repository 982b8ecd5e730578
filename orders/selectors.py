from datetime import timedelta

from django.conf import settings
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.utils import timezone

from .models import Order, OrderEvent


def order_groups_for_shopper(*, user) -> dict[str, list[Order]]:
    """The shopper's orders in one query, grouped as the order list shows them."""
    groups: dict[str, list[Order]] = {"action": [], "progress": [], "done": []}
    for order in Order.objects.for_shopper(user):
        key = "action" if order.needs_action else "done" if order.is_done else "progress"
        groups[key].append(order)
    return groups


def order_for_shopper(*, user, number: str) -> Order:
    """The shopper's own order with its shopper-visible timeline; anyone else's is a 404."""
    timeline = OrderEvent.objects.filter(shopper_visible=True).order_by("created_at", "id")
    queryset = Order.objects.for_shopper(user).prefetch_related(Prefetch("events", timeline, to_attr="timeline"))
    return get_object_or_404(queryset, number=number)


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
