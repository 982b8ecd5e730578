"""The first-response clock and the auto-close of quiet resolved tickets, with time travel."""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from tickets import services
from tickets.models import Category, Ticket
from tickets.tasks import autoclose_resolved_tickets

S = Ticket.Status


def _open(shopper) -> Ticket:
    return services.ticket_open(shopper=shopper, subject="Parcel", body="Where is it?", category=Category.SHIPPING)


@pytest.mark.django_db
def test_the_first_response_clock_runs_from_opening_and_stops_at_the_first_public_reply(shopper, support, settings):
    settings.TICKET_FIRST_RESPONSE_HOURS = 8
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        ticket = _open(shopper)
    assert ticket.first_response_due == start + timedelta(hours=8)

    with time_machine.travel(start + timedelta(hours=7, minutes=59), tick=False):
        assert not ticket.is_overdue
        assert not Ticket.objects.overdue().exists()
    with time_machine.travel(start + timedelta(hours=8, minutes=1), tick=False):
        assert ticket.is_overdue
        assert list(Ticket.objects.overdue()) == [ticket]
        # An internal note is not an answer: the clock keeps running.
        ticket, _ = services.ticket_reply(ticket=ticket, by=support, body="Asking the warehouse.", internal=True)
        assert ticket.is_overdue
        ticket, _ = services.ticket_reply(ticket=ticket, by=support, body="It ships today.")
    assert ticket.first_responded_at == start + timedelta(hours=8, minutes=1)
    with time_machine.travel(start + timedelta(days=3), tick=False):
        assert not ticket.is_overdue
        assert not Ticket.objects.overdue().exists()


@pytest.mark.django_db
def test_a_ticket_the_shopper_resolved_before_any_answer_is_not_overdue(shopper):
    ticket = services.ticket_resolve(ticket=_open(shopper), by=shopper)

    with time_machine.travel(timezone.now() + timedelta(days=2)):
        assert not ticket.is_overdue
        assert not Ticket.objects.overdue().exists()


@pytest.mark.django_db
def test_resolved_tickets_close_after_the_quiet_period_and_a_second_run_changes_nothing(shopper, support, settings):
    settings.TICKET_AUTOCLOSE_DAYS = 7
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        quiet = _open(shopper)
        services.ticket_resolve(ticket=quiet, by=support)
        answered_again = _open(shopper)
        services.ticket_resolve(ticket=answered_again, by=shopper)
        still_open = _open(shopper)

    with time_machine.travel(start + timedelta(days=6, hours=23), tick=False):
        assert autoclose_resolved_tickets() == 0
        # The shopper writes again on day 6: the ticket is reopened, so it will not close.
        services.ticket_reply(ticket=answered_again, by=shopper, body="It broke again.")

    with time_machine.travel(start + timedelta(days=7, minutes=1), tick=False):
        assert autoclose_resolved_tickets() == 1
        assert autoclose_resolved_tickets() == 0

    statuses = dict(Ticket.objects.values_list("pk", "status"))
    assert statuses == {quiet.pk: S.CLOSED, answered_again.pk: S.AWAITING_SUPPORT, still_open.pk: S.OPEN}
    quiet.refresh_from_db()
    assert quiet.closed_at == start + timedelta(days=7, minutes=1)


def test_the_auto_close_runs_on_the_beat_schedule():
    entries = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "tickets.tasks.autoclose_resolved_tickets" in entries
    assert autoclose_resolved_tickets.name == "tickets.tasks.autoclose_resolved_tickets"
    assert settings.TICKET_AUTOCLOSE_DAYS == 7
    assert settings.TICKET_FIRST_RESPONSE_HOURS == 24
