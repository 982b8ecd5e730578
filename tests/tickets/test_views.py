"""The shopper's ticket pages: list, new ticket, thread, reply, mark resolved."""

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from notifications.models import Notification
from tests.factories import OrderFactory
from tests.queries import cold, get_in_queries
from tests.tickets.conftest import MessageFactory, TicketFactory, pdf_upload, png_upload
from tickets import services
from tickets.models import Attachment, Category, Message, Ticket

S = Ticket.Status
INTERNAL = "Seller is a repeat offender, push for a full refund"


def _new(client, **data):
    payload = {"category": Category.OTHER, "subject": "A question", "body": "Hello support."} | data
    return client.post(reverse("tickets:new"), payload)


@pytest.mark.django_db
def test_the_order_page_offers_a_ticket_pre_linked_to_the_order(shopper_client, shopper):
    order = OrderFactory(shopper=shopper, qc_failed=True)

    page = shopper_client.get(order.get_absolute_url())
    link = f'href="/tickets/new/?order={order.number}"'
    assert link in page.text

    form = shopper_client.get(f"/tickets/new/?order={order.number}").context["form"]
    assert form.initial["order"] == order
    assert form.initial["category"] == Category.QC
    assert order.product_title in form.initial["subject"]


@pytest.mark.django_db
def test_a_foreign_order_number_is_ignored_on_the_form_and_refused_on_submit(shopper_client, other_shopper):
    order = OrderFactory(shopper=other_shopper, product_title="Somebody else's coat")

    page = shopper_client.get(f"/tickets/new/?order={order.number}")
    assert "order" not in page.context["form"].initial
    assert "Somebody else" not in page.text

    response = _new(shopper_client, order=order.number)
    assert response.status_code == 400
    assert "Select a valid choice" in response.text
    assert not Ticket.objects.exists()


@pytest.mark.django_db
def test_a_shopper_opens_a_ticket_with_a_photo_and_a_pdf(shopper_client, shopper, stored_files):
    order = OrderFactory(shopper=shopper, qc_failed=True)

    response = _new(
        shopper_client,
        order=order.number,
        category=Category.QC,
        subject="Stain on the sleeve",
        body="Can the seller send another one?",
        attachments=[png_upload("sleeve.png"), pdf_upload("receipt.pdf")],
    )

    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response.url == f"/tickets/{ticket.number}/"
    assert (ticket.shopper, ticket.order, ticket.category) == (shopper, order, Category.QC)
    page = shopper_client.get(response.url)
    assert f"Ticket {ticket.number} is open." in page.text
    assert "Can the seller send another one?" in page.text
    photo, pdf = Attachment.objects.order_by("id")
    assert (photo.kind, photo.original_name, photo.width, photo.height) == ("image", "sleeve.png", 40, 30)
    assert (pdf.kind, pdf.original_name) == ("pdf", "receipt.pdf")
    # Stored under random names that say nothing about the ticket, the shopper or the file.
    assert len(stored_files()) == 2
    for name in stored_files():
        assert name.startswith("tickets/attachments/")
        assert ticket.number not in name and "sleeve" not in name and "receipt" not in name
    assert f'src="/tickets/{ticket.number}/attachments/{photo.key}/"' in page.text


@pytest.mark.django_db
def test_attachments_are_served_privately_and_pdfs_as_downloads(shopper_client, shopper, support):
    ticket = services.ticket_open(
        shopper=shopper, subject="Receipt", body="See attached.", category=Category.BALANCE, files=[]
    )
    services.ticket_reply(ticket=ticket, by=shopper, body="", files=_checked(png_upload(), pdf_upload()))
    photo, pdf = Attachment.objects.order_by("id")

    image = shopper_client.get(reverse("tickets:attachment", args=[ticket.number, photo.key]))
    assert image.status_code == 200
    assert image["Content-Type"] == "image/png"
    assert image["X-Content-Type-Options"] == "nosniff"
    assert "private" in image["Cache-Control"]
    assert image["Content-Disposition"].startswith("inline")
    assert "sandbox" in image["Content-Security-Policy"]

    document = shopper_client.get(reverse("tickets:attachment", args=[ticket.number, pdf.key]))
    assert document["Content-Type"] == "application/pdf"
    assert document["Content-Disposition"] == 'attachment; filename="receipt.pdf"'
    assert b"".join(document.streaming_content).startswith(b"%PDF-1.4")

    # Support staff may download it too.
    staff = Client()
    staff.force_login(support)
    assert staff.get(reverse("tickets:attachment", args=[ticket.number, pdf.key])).status_code == 200


def _checked(*uploads):
    from tickets.attachments import check_upload

    return [check_upload(u) for u in uploads]


@pytest.mark.django_db
def test_another_shopper_gets_404_on_every_ticket_url(client, shopper, other_shopper):
    ticket = services.ticket_open(
        shopper=shopper, subject="Mine", body="Private.", category=Category.OTHER, files=_checked(png_upload())
    )
    attachment = Attachment.objects.get()
    client.force_login(other_shopper)

    for method, url in [
        ("get", reverse("tickets:detail", args=[ticket.number])),
        ("post", reverse("tickets:reply", args=[ticket.number])),
        ("post", reverse("tickets:resolve", args=[ticket.number])),
        ("get", reverse("tickets:attachment", args=[ticket.number, attachment.key])),
        ("get", reverse("tickets:attachment", args=["TNOPE0000", attachment.key])),
    ]:
        response = getattr(client, method)(url, {"body": "Hijack!"} if method == "post" else None)
        assert response.status_code == 404, url

    assert Message.objects.count() == 1
    assert Ticket.objects.get().status == S.OPEN
    assert "Mine" not in client.get(reverse("tickets:list")).text


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_log_in(client):
    ticket = TicketFactory()
    for url in (reverse("tickets:list"), reverse("tickets:new"), ticket.get_absolute_url()):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith("/accounts/login/")


@pytest.mark.django_db
def test_internal_notes_never_reach_the_shopper_in_any_page_or_email(
    shopper_client, shopper, support, django_capture_on_commit_callbacks, eager_celery
):
    ticket = services.ticket_open(shopper=shopper, subject="Stain", body="Look.", category=Category.QC)
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_reply(
            ticket=ticket, by=support, body=INTERNAL, internal=True, files=_checked(png_upload("note.png"))
        )
        services.ticket_reply(ticket=ticket, by=support, body="We asked the seller for a refund.")
        services.ticket_resolve(ticket=ticket, by=support)
    note_attachment = Attachment.objects.get()

    pages = [
        shopper_client.get(reverse("tickets:list")),
        shopper_client.get(ticket.get_absolute_url()),
        shopper_client.get(reverse("notifications:inbox")),
    ]
    for page in pages:
        assert page.status_code == 200
        assert INTERNAL not in page.text
        assert note_attachment.key not in page.text
    assert "We asked the seller for a refund." in pages[1].text
    # The note's attachment is not downloadable by the shopper even with its address.
    url = reverse("tickets:attachment", args=[ticket.number, note_attachment.key])
    assert shopper_client.get(url).status_code == 404

    assert len(mail.outbox) == 2  # the public reply and the "resolved" notice
    for email in mail.outbox:
        assert INTERNAL not in email.body
        assert all(INTERNAL not in body for body, _type in email.alternatives)
    assert not Notification.objects.filter(body__contains=INTERNAL).exists()


@pytest.mark.django_db
def test_the_shopper_replies_and_the_ticket_waits_for_support(shopper_client, shopper):
    ticket = TicketFactory(shopper=shopper, status=S.AWAITING_SHOPPER)

    response = shopper_client.post(
        reverse("tickets:reply", args=[ticket.number]), {"body": "Here is the photo."}, follow=True
    )

    assert "Your reply was sent." in response.text
    assert "Here is the photo." in response.text
    ticket.refresh_from_db()
    assert ticket.status == S.AWAITING_SUPPORT


@pytest.mark.django_db
def test_an_empty_reply_is_a_form_error(shopper_client, shopper):
    ticket = TicketFactory(shopper=shopper)

    response = shopper_client.post(reverse("tickets:reply", args=[ticket.number]), {"body": "  "})

    assert response.status_code == 400
    assert "Write a message or attach a file." in response.text
    assert not Message.objects.exists()


@pytest.mark.django_db
def test_a_closed_ticket_offers_a_new_ticket_instead_of_a_reply(shopper_client, shopper):
    now = timezone.now()
    ticket = TicketFactory(shopper=shopper, status=S.CLOSED, resolved_at=now, closed_at=now)

    page = shopper_client.get(ticket.get_absolute_url())
    assert "This ticket is closed." in page.text
    assert reverse("tickets:reply", args=[ticket.number]) not in page.text

    response = shopper_client.post(reverse("tickets:reply", args=[ticket.number]), {"body": "Hello?"})
    assert response.status_code == 409
    assert f"Ticket {ticket.number} is closed. Open a new ticket if you still need help." in response.text
    assert not Message.objects.exists()


@pytest.mark.django_db
def test_mark_resolved_once_then_a_clear_409(shopper_client, shopper):
    ticket = TicketFactory(shopper=shopper, status=S.AWAITING_SHOPPER)
    url = reverse("tickets:resolve", args=[ticket.number])

    first = shopper_client.post(url, {"expected_status": S.AWAITING_SHOPPER}, follow=True)
    second = shopper_client.post(url, {"expected_status": S.AWAITING_SHOPPER})

    assert f"Ticket {ticket.number} is marked resolved." in first.text
    assert second.status_code == 409
    assert f"Ticket {ticket.number} is already resolved." in second.text
    assert Ticket.objects.get().status == S.RESOLVED


@pytest.mark.django_db
def test_actions_need_post(shopper_client, shopper):
    ticket = TicketFactory(shopper=shopper)
    assert shopper_client.get(reverse("tickets:reply", args=[ticket.number])).status_code == 405
    assert shopper_client.get(reverse("tickets:resolve", args=[ticket.number])).status_code == 405


@pytest.mark.django_db
def test_posts_without_a_csrf_token_are_refused(shopper):
    client = Client(enforce_csrf_checks=True)
    client.force_login(shopper)
    ticket = TicketFactory(shopper=shopper, status=S.AWAITING_SHOPPER)

    for url, data in [
        (reverse("tickets:new"), {"category": "other", "subject": "x", "body": "y"}),
        (reverse("tickets:reply", args=[ticket.number]), {"body": "y"}),
        (reverse("tickets:resolve", args=[ticket.number]), {}),
    ]:
        assert client.post(url, data).status_code == 403, url

    assert Ticket.objects.count() == 1
    assert not Message.objects.exists()
    assert Ticket.objects.get().status == S.AWAITING_SHOPPER


@pytest.mark.django_db
def test_ticket_pages_have_no_inline_script_or_style(shopper_client, shopper):
    ticket = TicketFactory(shopper=shopper)
    MessageFactory(ticket=ticket)
    for url in (reverse("tickets:list"), reverse("tickets:new"), ticket.get_absolute_url()):
        html = shopper_client.get(url).text
        assert "<script>" not in html
        assert " style=" not in html
        assert " onclick=" not in html


def _count(django_assert_max_num_queries, client, url) -> int:
    cold()
    with django_assert_max_num_queries(40) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.django_db
def test_the_ticket_list_runs_the_same_queries_for_1_and_100_tickets(
    shopper_client, shopper, django_assert_num_queries, django_assert_max_num_queries
):
    url = reverse("tickets:list")
    TicketFactory(shopper=shopper, order=OrderFactory(shopper=shopper))
    one = _count(django_assert_max_num_queries, shopper_client, url)
    for _ in range(99):
        ticket = TicketFactory(shopper=shopper, order=OrderFactory(shopper=shopper))
        MessageFactory(ticket=ticket)

    with django_assert_num_queries(one):
        response = shopper_client.get(url)
    assert len(response.context["page_obj"].object_list) == 25
    print(f"ticket list: {one} queries")


@pytest.mark.django_db
def test_the_thread_runs_the_same_queries_for_1_and_100_messages(
    shopper_client, shopper, support, django_assert_num_queries, django_assert_max_num_queries
):
    ticket = TicketFactory(shopper=shopper, order=OrderFactory(shopper=shopper))
    services.ticket_reply(ticket=ticket, by=shopper, body="first", files=_checked(png_upload()))
    one = _count(django_assert_max_num_queries, shopper_client, ticket.get_absolute_url())
    for i in range(99):
        author = support if i % 2 else shopper
        message = MessageFactory(ticket=ticket, author=author, by_staff=author == support)
        if i % 10 == 0:
            services._store_files(message, _checked(png_upload()), [])

    with django_assert_num_queries(one):
        response = shopper_client.get(ticket.get_absolute_url())
    assert len(response.context["ticket"].thread) == 100
    print(f"ticket thread: {one} queries")


@pytest.mark.django_db
def test_the_ticket_pages_run_a_pinned_number_of_queries(shopper_client, shopper, support, django_assert_num_queries):
    order = OrderFactory(shopper=shopper)
    ticket = TicketFactory(shopper=shopper, order=order)
    services.ticket_reply(ticket=ticket, by=shopper, body="first", files=_checked(png_upload()))
    services.ticket_reply(ticket=ticket, by=support, body="answer")
    pages = {
        reverse("tickets:list"): 6,
        ticket.get_absolute_url(): 7,
        reverse("tickets:new"): 5,
        reverse("tickets:new") + f"?order={order.number}": 6,
    }
    for url, queries in pages.items():
        get_in_queries(shopper_client, url, queries, django_assert_num_queries)
