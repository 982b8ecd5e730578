"""Two requests at the same moment, on real PostgreSQL connections in real threads."""

import threading
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from tests.factories import SupportFactory, UserFactory
from tests.tickets.conftest import TicketFactory
from tickets import services
from tickets.models import Message, Ticket

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _together(*calls) -> list:
    """Run the calls at once, each in its own thread and database connection."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait()
            results[i] = call()
        except Exception as error:  # noqa: BLE001 - reported to the test below
            results[i] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


def test_a_double_submitted_reply_is_stored_once():
    shopper, support = UserFactory(), SupportFactory()
    ticket = TicketFactory(shopper=shopper)
    key = uuid.uuid4()

    def reply():
        _, message = services.ticket_reply(
            ticket=Ticket.objects.get(pk=ticket.pk), by=support, body="On it.", client_key=key
        )
        return message.pk

    first, second = _together(reply, reply)

    assert first == second
    assert Message.objects.filter(ticket=ticket).count() == 1


def test_two_agents_answering_at_once_both_get_through():
    ticket = TicketFactory(status=Ticket.Status.AWAITING_SUPPORT)
    agents = [SupportFactory(), SupportFactory()]

    results = _together(
        *[
            lambda agent=agent: services.ticket_reply(
                ticket=Ticket.objects.get(pk=ticket.pk), by=agent, body=f"Answer from {agent.email}"
            )
            for agent in agents
        ]
    )

    assert all(isinstance(message, Message) for _, message in results), results
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.AWAITING_SHOPPER
    assert Message.objects.filter(ticket=ticket).count() == 2


def test_two_auto_close_runs_at_once_close_each_ticket_once(settings):
    settings.TICKET_AUTOCLOSE_DAYS = 7
    long_ago = timezone.now() - timedelta(days=8)
    for _ in range(5):
        TicketFactory(status=Ticket.Status.RESOLVED, resolved_at=long_ago)

    first, second = _together(services.ticket_autoclose_resolved, services.ticket_autoclose_resolved)

    assert first + second == 5
    assert Ticket.objects.filter(status=Ticket.Status.CLOSED).count() == 5


def test_many_replies_at_once_all_get_through_and_the_status_stays_protected():
    shopper = UserFactory()
    ticket = TicketFactory(shopper=shopper)
    authors = [shopper, SupportFactory(), shopper, SupportFactory(), shopper, SupportFactory()]

    results = _together(
        *[
            lambda author=author, i=i: services.ticket_reply(
                ticket=Ticket.objects.get(pk=ticket.pk), by=author, body=f"Message {i}", client_key=uuid.uuid4()
            )
            for i, author in enumerate(authors)
        ]
    )

    assert all(isinstance(message, Message) for _, message in results), results
    assert Message.objects.filter(ticket=ticket).count() == len(authors)
    assert Ticket._meta.get_field("status").protected
