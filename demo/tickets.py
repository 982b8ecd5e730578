"""Demo support tickets and canned replies, written through the ticket services."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from accounts.models import User
from orders.models import Order
from tickets import services
from tickets.models import CannedReply, Category, Message, Priority, Ticket

S = Order.Status

CANNED_REPLIES = [
    (
        "QC issue: return or exchange",
        "Hello {shopper_name},\n\nThank you for checking the QC photos of order {order_number}. The seller is at "
        "fault, so a return is free for you: choose “Return for refund” or “Exchange” on the order page before the "
        "deadline and we handle the seller.\n\nBest regards,\nCSSBuy support",
    ),
    (
        "Parcel on its way to the warehouse",
        "Hello {shopper_name},\n\nThe seller has shipped order {order_number} to our warehouse. Domestic parcels "
        "usually arrive within 2 to 4 days; we photograph it as soon as it is in.\n\nBest regards,\nCSSBuy support",
    ),
    (
        "Refund credited",
        "Hello {shopper_name},\n\nThe refund for order {order_number} is on your balance and can be used at once "
        "for another item or size.\n\nBest regards,\nCSSBuy support",
    ),
]


def _backdate(ticket: Ticket, opened, *, gap: timedelta = timedelta(hours=3)) -> None:
    """Replay the ticket's history from `opened`: one message every `gap`, clocks to match."""
    messages = list(Message.objects.filter(ticket=ticket).order_by("id"))
    times = [opened + gap * i for i in range(len(messages))]
    for message, at in zip(messages, times, strict=True):
        Message.objects.filter(pk=message.pk).update(created_at=at)
    public = [(m, at) for m, at in zip(messages, times, strict=True) if not m.is_internal]
    changes = {
        "opened_at": opened,
        "first_response_due": opened + timedelta(hours=settings.TICKET_FIRST_RESPONSE_HOURS),
        "last_message_at": public[-1][1],
    }
    if ticket.first_responded_at is not None:
        changes["first_responded_at"] = next(at for m, at in public if m.by_staff)
    if ticket.resolved_at is not None:
        changes["resolved_at"] = times[-1] + timedelta(hours=1)
    if ticket.closed_at is not None:
        changes["closed_at"] = changes["resolved_at"] + timedelta(days=settings.TICKET_AUTOCLOSE_DAYS)
    Ticket.objects.filter(pk=ticket.pk).update(**changes)


def _canned_replies() -> None:
    for title, body in CANNED_REPLIES:
        CannedReply.objects.get_or_create(title=title, defaults={"body": body})


def seed_tickets(*, shopper: User, shopper2: User, support: User) -> bool:
    """Tickets in several statuses for the demo shoppers; return whether any were created."""
    _canned_replies()
    if Ticket.objects.filter(shopper__in=[shopper, shopper2]).exists():
        return False
    now = timezone.now()
    orders = {o.status: o for o in Order.objects.filter(shopper=shopper).order_by("-created_at")}

    # 1. A QC-failed order: answered, with an internal note; waiting for the shopper.
    failed = orders.get(S.QC_FAILED)
    qc = services.ticket_open(
        shopper=shopper,
        order=failed,
        category=Category.QC,
        subject="Is the stain on the sleeve washable?",
        body="The QC photos show a dark mark on the left sleeve. Can it be washed out, or should I return it?",
    )
    qc = services.ticket_assign(ticket=qc, by=support, assignee=support)
    qc = services.ticket_set_priority(ticket=qc, by=support, priority=Priority.HIGH)
    qc, _ = services.ticket_reply(
        ticket=qc,
        by=support,
        internal=True,
        body="Third stain complaint about this seller this month. Push for a return, not a partial refund.",
    )
    qc, _ = services.ticket_reply(
        ticket=qc,
        by=support,
        body="The inspector says it is ink, not dust, so it will not wash out. The seller is at fault: a return "
        "is free for you. Choose “Return for refund” on the order page before the deadline and we do the rest.",
    )
    _backdate(qc, now - timedelta(hours=20))

    # 2. A parcel question nobody has answered yet: its first response is overdue.
    shipping = services.ticket_open(
        shopper=shopper,
        order=orders.get(S.SHIPPED_TO_WAREHOUSE),
        category=Category.SHIPPING,
        subject="Tracking has not moved for three days",
        body="The domestic tracking still says “picked up”. Is the parcel lost?",
    )
    _backdate(shipping, now - timedelta(hours=30))

    # 3. A refund question, answered and marked resolved by the shopper two days ago.
    refund = services.ticket_open(
        shopper=shopper,
        order=orders.get(S.REFUNDED),
        category=Category.RETURN_REFUND,
        subject="When will the refund reach my balance?",
        body="The seller got the return back. How long until I see the money?",
    )
    refund, _ = services.ticket_reply(
        ticket=refund, by=support, body="It is credited now: see your balance page, line by line."
    )
    refund, _ = services.ticket_reply(ticket=refund, by=shopper, body="Got it, thank you!")
    refund = services.ticket_resolve(ticket=refund, by=shopper)
    _backdate(refund, now - timedelta(days=2, hours=8))

    # 4. A balance question closed after the quiet period.
    balance = services.ticket_open(
        shopper=shopper,
        category=Category.BALANCE,
        subject="Can I pay with my balance and a card together?",
        body="My balance is a little short for the next order.",
    )
    balance, _ = services.ticket_reply(
        ticket=balance,
        by=support,
        body="Not yet: top up the difference first, then pay the whole order from your balance.",
    )
    balance = services.ticket_resolve(ticket=balance, by=support)
    balance = services.ticket_close(ticket=balance, by=support)
    _backdate(balance, now - timedelta(days=12))

    # 5. The second shopper wrote back after an answer: waiting for support again.
    exchange = services.ticket_open(
        shopper=shopper2,
        order=Order.objects.filter(shopper=shopper2, status=S.QC_FAILED).first(),
        category=Category.EXCHANGE,
        subject="Exchange for one size up?",
        body="The measurements in the QC photos are smaller than listed. Can I get the next size?",
    )
    exchange, _ = services.ticket_reply(
        ticket=exchange,
        by=support,
        body="Yes: choose “Exchange” on the order page and name the size; the seller has it in stock.",
    )
    exchange, _ = services.ticket_reply(ticket=exchange, by=shopper2, body="Does the bigger size cost more?")
    _backdate(exchange, now - timedelta(hours=9))
    return True
