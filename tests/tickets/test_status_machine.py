"""The ticket status machine, driven through the services as views, admin and tasks drive it."""

import uuid
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from notifications.models import Event, Notification
from tests.factories import OrderFactory
from tests.tickets.conftest import TicketFactory
from tickets import selectors, services
from tickets.models import Category, Message, Ticket

S = Ticket.Status


def _open(shopper, **kwargs) -> Ticket:
    return services.ticket_open(
        shopper=shopper,
        subject=kwargs.pop("subject", "Where is my parcel?"),
        body=kwargs.pop("body", "It has been a week."),
        category=kwargs.pop("category", Category.SHIPPING),
        **kwargs,
    )


@pytest.mark.django_db
def test_opening_a_ticket_starts_the_first_response_clock(shopper, settings):
    settings.TICKET_FIRST_RESPONSE_HOURS = 24
    order = OrderFactory(shopper=shopper, qc_failed=True)

    ticket = _open(shopper, order=order, category=Category.QC)

    assert ticket.status == S.OPEN
    assert ticket.order == order
    assert ticket.number.startswith("T") and str(ticket.pk) not in ticket.number
    assert ticket.first_response_due == ticket.opened_at + timedelta(hours=24)
    assert ticket.first_responded_at is None
    assert list(ticket.messages.values_list("body", "author", "is_internal")) == [
        ("It has been a week.", shopper.pk, False)
    ]


@pytest.mark.django_db
def test_a_shopper_cannot_link_someone_elses_order(shopper, other_shopper):
    order = OrderFactory(shopper=other_shopper)

    with pytest.raises(services.TicketActionError, match="not one of yours"):
        _open(shopper, order=order)
    assert not Ticket.objects.exists()


@pytest.mark.django_db
def test_the_full_conversation_walks_through_every_status(
    shopper, support, eager_celery, django_capture_on_commit_callbacks
):
    ticket = _open(shopper)

    ticket, _ = services.ticket_reply(ticket=ticket, by=shopper, body="Any news?")
    assert ticket.status == S.AWAITING_SUPPORT

    with django_capture_on_commit_callbacks(execute=True):
        ticket, _ = services.ticket_reply(ticket=ticket, by=support, body="It left the warehouse today.")
    assert ticket.status == S.AWAITING_SHOPPER
    assert ticket.first_responded_at is not None

    ticket = services.ticket_resolve(ticket=ticket, by=shopper, expected_status=S.AWAITING_SHOPPER)
    assert ticket.status == S.RESOLVED
    assert ticket.resolved_at is not None

    # A shopper reply reopens a resolved ticket.
    ticket, _ = services.ticket_reply(ticket=ticket, by=shopper, body="Actually, the tracking does not work.")
    assert ticket.status == S.AWAITING_SUPPORT
    assert ticket.resolved_at is None

    ticket = services.ticket_close(ticket=ticket, by=support, expected_status=S.AWAITING_SUPPORT)
    assert ticket.status == S.CLOSED
    assert ticket.closed_at is not None

    ticket = services.ticket_reopen(ticket=ticket, by=support, expected_status=S.CLOSED)
    assert ticket.status == S.AWAITING_SUPPORT
    assert ticket.closed_at is None

    # The shopper got a receipt of the new ticket, and was told about the public reply, by site
    # and by email, with its text.
    assert Notification.objects.get(user=shopper, event=Event.TICKET_OPENED).link == f"/tickets/{ticket.number}/"
    notification = Notification.objects.get(user=shopper, event=Event.TICKET_REPLY)
    assert notification.title == f"Support replied to your ticket {ticket.number}"
    assert notification.body == "It left the warehouse today."
    assert notification.link == f"/tickets/{ticket.number}/"
    assert [m.subject for m in mail.outbox] == [notification.title]
    assert "It left the warehouse today." in mail.outbox[0].body


@pytest.mark.django_db
def test_the_first_response_is_the_first_public_reply_only(shopper, support):
    ticket = _open(shopper)

    ticket, _ = services.ticket_reply(ticket=ticket, by=support, body="Checking with the warehouse.", internal=True)
    assert ticket.first_responded_at is None
    assert ticket.status == S.OPEN  # an internal note changes no status

    ticket, _ = services.ticket_reply(ticket=ticket, by=support, body="First answer.")
    first = ticket.first_responded_at
    ticket, _ = services.ticket_reply(ticket=ticket, by=shopper, body="Thanks, and?")
    ticket, _ = services.ticket_reply(ticket=ticket, by=support, body="Second answer.")
    assert ticket.first_responded_at == first


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("status", "call", "message"),
    [
        (S.RESOLVED, "shopper_resolve", "Ticket {number} is already resolved."),
        (S.CLOSED, "shopper_reply", "Ticket {number} is closed. Open a new ticket if you still need help."),
        (S.CLOSED, "support_reply", "Ticket {number} is closed. Open a new ticket if you still need help."),
        (S.CLOSED, "shopper_resolve", "“Mark resolved” is not possible while the ticket is “Closed”."),
        (S.OPEN, "support_reopen", "“Reopen” is not possible while the ticket is “Open”."),
        (S.AWAITING_SHOPPER, "shopper_close", "You are not allowed to do “Close” on this ticket."),
        (S.OPEN, "shopper_note", "Only support staff can write internal notes."),
        (S.OPEN, "inspector_reply", "You are not allowed to reply to this ticket."),
        (S.OPEN, "empty_reply", "Write a message or attach a file."),
    ],
)
def test_refused_actions_say_why_and_change_nothing(shopper, support, inspector, status, call, message):
    now = timezone.now()
    ticket = TicketFactory(
        shopper=shopper,
        status=status,
        resolved_at=now if status in (S.RESOLVED, S.CLOSED) else None,
        closed_at=now if status == S.CLOSED else None,
    )
    calls = {
        "shopper_resolve": lambda: services.ticket_resolve(ticket=ticket, by=shopper),
        "shopper_reply": lambda: services.ticket_reply(ticket=ticket, by=shopper, body="Hello?"),
        "support_reply": lambda: services.ticket_reply(ticket=ticket, by=support, body="Hello."),
        "support_reopen": lambda: services.ticket_reopen(ticket=ticket, by=support),
        "shopper_close": lambda: services.ticket_close(ticket=ticket, by=shopper),
        "shopper_note": lambda: services.ticket_reply(ticket=ticket, by=shopper, body="psst", internal=True),
        "inspector_reply": lambda: services.ticket_reply(ticket=ticket, by=inspector, body="Hi"),
        "empty_reply": lambda: services.ticket_reply(ticket=ticket, by=shopper, body="   "),
    }

    with pytest.raises(services.TicketActionError) as refused:
        calls[call]()

    assert str(refused.value) == message.format(number=ticket.number)
    ticket.refresh_from_db()
    assert ticket.status == status
    assert not Message.objects.exists()
    assert not Notification.objects.exists()


@pytest.mark.django_db
def test_a_stale_form_is_told_the_ticket_changed_meanwhile(shopper, support):
    ticket = TicketFactory(shopper=shopper, status=S.AWAITING_SUPPORT)
    stale = Ticket.objects.get(pk=ticket.pk)
    services.ticket_close(ticket=ticket, by=support, expected_status=S.AWAITING_SUPPORT)

    with pytest.raises(services.TicketChangedMeanwhile, match="changed by someone else meanwhile"):
        services.ticket_resolve(ticket=stale, by=support, expected_status=S.AWAITING_SUPPORT)
    assert Ticket.objects.get(pk=ticket.pk).status == S.CLOSED


@pytest.mark.django_db
def test_the_same_form_submitted_twice_adds_one_message_and_one_ticket(shopper, support):
    key = uuid.uuid4()
    first = _open(shopper, client_key=key)
    second = _open(shopper, client_key=key)
    assert first == second
    assert Ticket.objects.count() == 1

    reply_key = uuid.uuid4()
    _, one = services.ticket_reply(ticket=first, by=support, body="On it.", client_key=reply_key)
    _, two = services.ticket_reply(ticket=first, by=support, body="On it.", client_key=reply_key)
    assert one == two
    assert Message.objects.filter(ticket=first).count() == 2
    events = Notification.objects.filter(user=shopper).values_list("event", flat=True)
    assert sorted(events) == [Event.TICKET_OPENED, Event.TICKET_REPLY]  # one receipt, one reply


@pytest.mark.django_db
def test_support_resolving_a_ticket_tells_the_shopper(shopper, support):
    ticket = TicketFactory(shopper=shopper, status=S.AWAITING_SUPPORT)

    services.ticket_resolve(ticket=ticket, by=support)

    notification = Notification.objects.get(user=shopper)
    assert notification.title == f"Your ticket {ticket.number} is resolved"
    assert "closes" in notification.body


@pytest.mark.django_db
def test_assignment_and_priority_are_for_support_only(shopper, support, inspector):
    ticket = TicketFactory(shopper=shopper)

    ticket = services.ticket_assign(ticket=ticket, by=support, assignee=support)
    ticket = services.ticket_set_priority(ticket=ticket, by=support, priority=40)
    assert ticket.assignee == support
    assert ticket.get_priority_display() == "Urgent"

    with pytest.raises(services.TicketActionError, match="not on the support team"):
        services.ticket_assign(ticket=ticket, by=support, assignee=inspector)
    with pytest.raises(services.TicketActionError, match="not allowed to assign"):
        services.ticket_assign(ticket=ticket, by=shopper, assignee=shopper)
    with pytest.raises(services.TicketActionError, match="Choose a priority"):
        services.ticket_set_priority(ticket=ticket, by=support, priority=99)
    assert Ticket.objects.get(pk=ticket.pk).assignee == support


@pytest.mark.django_db
def test_the_status_field_cannot_be_set_directly(shopper):
    ticket = TicketFactory(shopper=shopper)
    with pytest.raises(AttributeError):
        ticket.status = S.CLOSED


@pytest.mark.django_db
def test_category_is_suggested_from_the_order_status():
    assert selectors.suggested_category(order=OrderFactory.build(qc_failed=True)) == Category.QC
    assert selectors.suggested_category(order=OrderFactory.build(status="returning")) == Category.RETURN_REFUND
    assert selectors.suggested_category(order=OrderFactory.build(status="exchange_requested")) == Category.EXCHANGE
    assert selectors.suggested_category(order=OrderFactory.build(status="purchased")) == Category.SHIPPING
    assert selectors.suggested_category(order=None) == Category.OTHER


@pytest.mark.django_db
def test_a_form_key_replayed_on_another_ticket_is_refused(shopper):
    key = uuid.uuid4()
    first, second = TicketFactory(shopper=shopper), TicketFactory(shopper=shopper)
    services.ticket_reply(ticket=first, by=shopper, body="Hello", client_key=key)

    with pytest.raises(services.TicketActionError, match="already sent"):
        services.ticket_reply(ticket=second, by=shopper, body="Hello", client_key=key)
    assert not second.messages.exists()


@pytest.mark.django_db
def test_the_services_return_the_fresh_ticket_and_never_refresh_from_db(shopper, support, monkeypatch):
    def not_thread_safe(self, *args, **kwargs):
        raise AssertionError("django-fsm's refresh_from_db flips the status field's class-wide `protected` flag")

    ticket = Ticket.objects.select_related("assignee").get(pk=TicketFactory(shopper=shopper).pk)
    stale = Ticket.objects.get(pk=ticket.pk)
    monkeypatch.setattr(Ticket, "refresh_from_db", not_thread_safe)

    ticket, _ = services.ticket_reply(ticket=ticket, by=support, body="On it.")
    assert (ticket.status, ticket.first_responded_at is not None) == (S.AWAITING_SHOPPER, True)
    ticket = services.ticket_assign(ticket=ticket, by=support, assignee=support)
    assert ticket.assignee == support
    ticket = services.ticket_assign(ticket=ticket, by=support, assignee=None)
    assert ticket.assignee is None
    ticket = services.ticket_set_priority(ticket=ticket, by=support, priority=40)
    assert ticket.priority == 40
    ticket = services.ticket_resolve(ticket=ticket, by=shopper)
    assert (ticket.status, ticket.resolved_at is not None) == (S.RESOLVED, True)
    ticket = services.ticket_close(ticket=ticket, by=support)
    assert (ticket.status, ticket.closed_at is not None) == (S.CLOSED, True)

    # A stale copy only names the ticket: the action is checked against the row as it is now.
    with pytest.raises(services.TicketActionError, match="is closed"):
        services.ticket_reply(ticket=stale, by=shopper, body="Hello?")

    ticket = services.ticket_reopen(ticket=ticket, by=support)
    assert (ticket.status, ticket.resolved_at, ticket.closed_at) == (S.AWAITING_SUPPORT, None, None)
    fresh = Ticket.objects.get(pk=ticket.pk)
    assert all(getattr(ticket, f.attname) == getattr(fresh, f.attname) for f in Ticket._meta.concrete_fields)
    assert Ticket._meta.get_field("status").protected
    with pytest.raises(AttributeError):
        ticket.status = S.OPEN
    ticket.subject = "Renamed"
    ticket.save()  # the returned row's FSM state matches the database: no ConcurrentTransition
    assert Ticket.objects.get(pk=ticket.pk).subject == "Renamed"
