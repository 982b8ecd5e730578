from django.db.models import Prefetch
from django.shortcuts import get_object_or_404

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
