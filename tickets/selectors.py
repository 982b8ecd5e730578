"""Reads of tickets, with what each page shows already joined or prefetched."""

from typing import TYPE_CHECKING

from django.db.models import Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404

from common.pages import PageSection
from orders.models import Order

from .models import PERM_VIEW_TICKET, Attachment, CannedReply, Category, Message, Ticket

if TYPE_CHECKING:
    from accounts.models import User


def tickets_for_shopper(*, user: "User") -> QuerySet[Ticket]:
    """The shopper's tickets, latest activity first, with their order."""
    return Ticket.objects.for_shopper(user).select_related("order").order_by("-last_message_at", "-id")


def ticket_for_shopper(*, user: "User", number: str) -> Ticket:
    """The shopper's own ticket with its public thread in `ticket.thread`; anyone else's is a 404.

    Internal notes are filtered out here, in the query, so no shopper page can show one.
    """
    public = (
        Message.objects.filter(is_internal=False)
        .select_related("author")
        .prefetch_related(Prefetch("attachments", Attachment.objects.order_by("id")))
        .order_by("created_at", "id")
    )
    queryset = (
        Ticket.objects.for_shopper(user)
        .select_related("order")
        .prefetch_related(Prefetch("messages", public, to_attr="thread"))
    )
    return get_object_or_404(queryset, number=number)


def attachment_for_user(*, user: "User", number: str, key: str) -> Attachment:
    """An attachment the user may download: the ticket's shopper (never an internal note's) or
    support staff. Anything else is a 404, whether it exists or not."""
    queryset = Attachment.objects.select_related("message__ticket").filter(message__ticket__number=number, key=key)
    if not (user.is_staff and user.has_perm(PERM_VIEW_TICKET)):
        queryset = queryset.filter(message__ticket__shopper=user, message__is_internal=False)
    return get_object_or_404(queryset)


def suggested_category(*, order: Order | None) -> str:
    """The category a ticket about this order most likely belongs to."""
    if order is None:
        return Category.OTHER
    s = Order.Status
    by_status = {
        s.PENDING_PAYMENT: Category.BALANCE,
        s.PAID: Category.SHIPPING,
        s.PURCHASED: Category.SHIPPING,
        s.SHIPPED_TO_WAREHOUSE: Category.SHIPPING,
        s.AWAITING_QC: Category.QC,
        s.QC_FAILED: Category.QC,
        s.STORED: Category.QC,
        s.RETURN_REQUESTED: Category.RETURN_REFUND,
        s.RETURNING: Category.RETURN_REFUND,
        s.SELLER_REFUNDING: Category.RETURN_REFUND,
        s.REFUNDED: Category.RETURN_REFUND,
        s.RETURN_REFUSED: Category.RETURN_REFUND,
        s.EXCHANGE_REQUESTED: Category.EXCHANGE,
        s.EXCHANGE_RETURNING: Category.EXCHANGE,
        s.AWAITING_REPLACEMENT: Category.EXCHANGE,
        s.CANCELLED: Category.BALANCE,
    }
    return by_status.get(order.status, Category.OTHER)


def shopper_order_for_ticket(*, user: "User", number: str | None) -> Order | None:
    """The shopper's order with this number, or None (also for somebody else's)."""
    if not number:
        return None
    return Order.objects.for_shopper(user).filter(number=number).first()


def shopper_orders_for_tickets(*, user: "User") -> QuerySet[Order]:
    return Order.objects.for_shopper(user).only("pk", "number", "product_title", "status", "shopper_id")


def ticket_for_support(*, pk: int) -> Ticket | None:
    """A ticket with its whole thread (internal notes included) for the support admin."""
    thread = (
        Message.objects.select_related("author")
        .prefetch_related(Prefetch("attachments", Attachment.objects.order_by("id")))
        .order_by("created_at", "id")
    )
    return (
        Ticket.objects.select_related("shopper", "order", "assignee")
        .prefetch_related(Prefetch("messages", thread, to_attr="thread"))
        .filter(pk=pk)
        .first()
    )


def canned_replies_for(*, ticket: Ticket) -> list[dict[str, str]]:
    """The active canned replies with their placeholders filled in for this ticket."""
    return [
        {"pk": str(reply.pk), "title": reply.title, "body": reply.render(ticket)}
        for reply in CannedReply.objects.filter(is_active=True).order_by("title")
    ]


def order_ticket_section(*, order: Order, user: "User") -> PageSection:
    """The order page's way to support: a ticket about this order, beside the order's facts."""
    return PageSection("tickets/includes/order_entry.html", {}, slot=PageSection.ASIDE)


def tickets_unassigned_q() -> Q:
    """Active tickets nobody is assigned to."""
    return Q(status__in=Ticket.ACTIVE, assignee__isnull=True)


def tickets_waiting_for_support_q() -> Q:
    """Tickets whose next move is support's: new ones and those the shopper answered."""
    return Q(status__in=[Ticket.Status.OPEN, Ticket.Status.AWAITING_SUPPORT])
