"""Bad input is a clear 4xx (or a refusal with a message), never a server error."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import OrderFactory
from tests.tickets.conftest import TicketFactory, png_upload
from tickets import services
from tickets.attachments import check_upload
from tickets.models import MESSAGE_MAX_LENGTH, Category, Message, Ticket


@pytest.fixture
def strict_shopper_client(shopper):
    """A client that returns the 500 page instead of raising, so the status code is what is checked."""
    client = Client(raise_request_exception=False)
    client.force_login(shopper)
    return client


@pytest.mark.django_db
def test_a_nul_character_in_a_ticket_address_is_a_4xx(strict_shopper_client, shopper):
    # PostgreSQL refuses text with a NUL character outright: that used to be a 500. The request
    # guard answers 400 for the path; the URL patterns would answer 404 behind it.
    ticket = TicketFactory(shopper=shopper)
    for method, url in [
        ("get", "/tickets/T%00/"),
        ("post", "/tickets/T%00/reply/"),
        ("post", "/tickets/T%00/resolve/"),
        ("get", f"/tickets/{ticket.number}/attachments/k%00/"),
    ]:
        assert getattr(strict_shopper_client, method)(url).status_code in (400, 404), url
    assert not Message.objects.exists()


@pytest.mark.django_db
def test_a_nul_character_in_the_order_parameter_is_refused(strict_shopper_client, shopper):
    OrderFactory(shopper=shopper)

    response = strict_shopper_client.get(reverse("tickets:new") + "?order=%00")

    assert response.status_code == 400


@pytest.mark.django_db
def test_bad_form_values_are_a_400(strict_shopper_client, shopper):
    ticket = TicketFactory(shopper=shopper)
    new, reply = reverse("tickets:new"), reverse("tickets:reply", args=[ticket.number])
    for url, data in [
        (new, {}),
        (new, {"order": "\x00", "category": Category.OTHER, "subject": "s", "body": "b"}),
        (new, {"order": "12345", "category": Category.OTHER, "subject": "s", "body": "b"}),
        (new, {"category": "nonsense", "subject": "s", "body": "b"}),
        (new, {"category": Category.OTHER, "subject": "s" * 201, "body": "b"}),
        (new, {"category": Category.OTHER, "subject": "s\x00", "body": "b"}),
        (new, {"category": Category.OTHER, "subject": "s", "body": "b", "client_key": "not-a-uuid"}),
        (reply, {}),
        (reply, {"body": "x\x00"}),
        (reply, {"body": "x" * (MESSAGE_MAX_LENGTH + 1)}),
    ]:
        assert strict_shopper_client.post(url, data).status_code == 400, data
    assert Ticket.objects.count() == 1
    assert not Message.objects.exists()


@pytest.mark.django_db
def test_nul_characters_in_the_admin_queue_filters_are_a_400(support):
    client = Client(raise_request_exception=False)
    client.force_login(support)
    queue = reverse("admin:tickets_ticket_changelist")

    assert client.get(queue).status_code == 200
    for query in ("?status=%00", "?category=%00", "?q=%00", "?assigned=mine&%00=1"):
        assert client.get(queue + query).status_code == 400, query


@pytest.mark.django_db
def test_bad_desk_input_is_a_404_or_an_admin_message(support):
    client = Client(raise_request_exception=False)
    client.force_login(support)
    ticket = TicketFactory(status=Ticket.Status.AWAITING_SUPPORT)
    desk = "/admin/tickets/ticket/{}/desk/{}/"

    for object_id in ("abc", "99999999999999999999999", "%00", "999999"):
        assert client.get(f"/admin/tickets/ticket/{object_id}/change/").status_code in (400, 404), object_id
        assert client.post(desk.format(object_id, "close")).status_code in (400, 404), object_id
    assert client.post(desk.format(ticket.pk, "nonsense")).status_code == 404
    for data in ({}, {"priority": "abc"}, {"priority": "99999999999999999999"}):
        assert client.post(desk.format(ticket.pk, "priority"), data).status_code == 302, data
    assert client.post(desk.format(ticket.pk, "resolve"), {"expected_status": "\x00"}).status_code == 302
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority) == (Ticket.Status.AWAITING_SUPPORT, 20)


@pytest.mark.django_db
def test_the_services_refuse_what_the_forms_would_refuse(shopper, settings):
    settings.TICKET_ATTACHMENTS_PER_MESSAGE = 1
    ticket = TicketFactory(shopper=shopper)
    files = [check_upload(png_upload("a.png")), check_upload(png_upload("b.png"))]
    opening = {"shopper": shopper, "subject": "Stain", "body": "Look.", "category": Category.QC}

    for refused in [
        {"category": "nonsense"},
        {"subject": "s" * 201},
        {"body": "x" * (MESSAGE_MAX_LENGTH + 1)},
        {"files": files},
    ]:
        with pytest.raises(services.TicketActionError):
            services.ticket_open(**(opening | refused))
    for refused in [{"body": "x" * (MESSAGE_MAX_LENGTH + 1)}, {"body": "", "files": files}]:
        with pytest.raises(services.TicketActionError):
            services.ticket_reply(**({"ticket": ticket, "by": shopper} | refused))

    assert Ticket.objects.count() == 1
    assert not Message.objects.exists()
