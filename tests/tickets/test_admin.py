"""Support works tickets in the admin: the queue, its filters, and the desk page of a ticket."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from notifications.models import Notification
from tests.factories import OrderFactory, SupportFactory
from tests.queries import cold, get_in_queries
from tests.tickets.conftest import CannedReplyFactory, MessageFactory, TicketFactory, png_upload
from tickets import services
from tickets.models import Attachment, Category, Message, Ticket

S = Ticket.Status
QUEUE = "admin:tickets_ticket_changelist"


def _desk(ticket) -> str:
    return reverse("admin:tickets_ticket_change", args=[ticket.pk])


def _action(ticket, name: str) -> str:
    return reverse("admin:tickets_ticket_desk_action", args=[ticket.pk, name])


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def _numbers(response) -> set[str]:
    return {t.number for t in response.context["cl"].result_list}


@pytest.mark.django_db
def test_the_queue_shows_what_support_needs_to_triage(support_client, support):
    order = OrderFactory(qc_failed=True)
    ticket = TicketFactory(order=order, category=Category.QC, assignee=support, subject="Stain on sleeve")

    response = support_client.get(reverse(QUEUE))

    assert response.status_code == 200
    html = response.text
    for text in [ticket.number, "Stain on sleeve", "Open", "Normal", "QC photos and defects", order.number]:
        assert text in html
    assert reverse("admin:orders_order_change", args=[order.pk]) in html


@pytest.mark.django_db
def test_queue_filters_mine_unassigned_and_overdue_with_time_travel(support_client, support):
    colleague = SupportFactory()
    with time_machine.travel(timezone.now() - timedelta(hours=30), tick=False):
        old_mine = services.ticket_open(shopper=OrderFactory().shopper, subject="Old", body="?", category="other")
        services.ticket_assign(ticket=old_mine, by=support, assignee=support)
        old_answered = services.ticket_open(shopper=OrderFactory().shopper, subject="Done", body="?", category="other")
        services.ticket_reply(ticket=old_answered, by=colleague, body="Answered in time.")
    fresh_theirs = TicketFactory(assignee=colleague)
    fresh_nobody = TicketFactory()

    def numbers(**query):
        return _numbers(support_client.get(reverse(QUEUE), query))

    assert numbers(assigned="mine") == {old_mine.number}
    assert numbers(assigned="unassigned") == {old_answered.number, fresh_nobody.number}
    assert numbers(first_response="overdue") == {old_mine.number}
    assert numbers(first_response="overdue", assigned="unassigned") == set()
    assert numbers(first_response="answered") == {old_answered.number}
    assert fresh_theirs.number in numbers(first_response="due")

    # An hour later than the due time of the fresh tickets, they are overdue too.
    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        assert numbers(first_response="overdue") == {old_mine.number, fresh_theirs.number, fresh_nobody.number}


@pytest.mark.django_db
def test_the_queue_runs_the_same_queries_for_1_and_60_tickets(
    support_client, support, django_assert_num_queries, django_assert_max_num_queries
):
    url = reverse(QUEUE)
    MessageFactory(ticket=TicketFactory(order=OrderFactory(), assignee=support))
    cold()
    with django_assert_max_num_queries(40) as one:
        assert support_client.get(url).status_code == 200
    for _ in range(59):
        ticket = TicketFactory(order=OrderFactory(), assignee=SupportFactory())
        MessageFactory.create_batch(2, ticket=ticket)

    cold()
    with django_assert_num_queries(len(one)):
        response = support_client.get(url)
    assert response.context["cl"].result_count == 60
    print(f"admin queue: {len(one)} queries")


@pytest.mark.django_db
def test_the_desk_runs_the_same_queries_for_1_and_100_messages(
    support_client, support, django_assert_num_queries, django_assert_max_num_queries
):
    ticket = TicketFactory(order=OrderFactory(qc_failed=True))
    CannedReplyFactory.create_batch(3)
    MessageFactory(ticket=ticket)
    cold()
    with django_assert_max_num_queries(40) as one:
        assert support_client.get(_desk(ticket)).status_code == 200
    for i in range(99):
        message = MessageFactory(ticket=ticket, author=support, by_staff=True, is_internal=bool(i % 2))
        if i % 10 == 0:
            from tickets.attachments import check_upload

            services._store_files(message, [check_upload(png_upload())], [])

    cold()
    with django_assert_num_queries(len(one)):
        response = support_client.get(_desk(ticket))
    assert len(response.context["ticket"].thread) == 100
    print(f"admin desk: {len(one)} queries")


@pytest.mark.django_db
def test_the_desk_shows_the_whole_thread_and_fills_canned_replies_in(support_client, shopper):
    shopper.first_name = "Mei"
    shopper.save()
    order = OrderFactory(shopper=shopper, qc_failed=True)
    ticket = TicketFactory(shopper=shopper, order=order)
    MessageFactory(ticket=ticket, body="The coat has a stain.")
    MessageFactory(ticket=ticket, author=SupportFactory(), by_staff=True, is_internal=True, body="Seller is slow.")
    CannedReplyFactory(title="QC stain", body="Hello {shopper_name}, we are asking the seller about {order_number}.")

    response = support_client.get(_desk(ticket))

    assert response.status_code == 200
    assert "The coat has a stain." in response.text
    assert "Internal note" in response.text and "Seller is slow." in response.text
    assert f'data-body="Hello Mei, we are asking the seller about {order.number}."' in response.text
    assert "js/tickets-admin.js" in response.text
    assert "<script>" not in response.text
    assert order.get_status_display() in response.text


@pytest.mark.django_db
def test_support_replies_publicly_with_a_photo_and_the_shopper_is_emailed(
    support_client, support, shopper, django_capture_on_commit_callbacks, eager_celery
):
    ticket = TicketFactory(shopper=shopper)
    with django_capture_on_commit_callbacks(execute=True):
        response = support_client.post(
            _desk(ticket),
            {"visibility": "public", "body": "Here is the new photo.", "attachments": [png_upload()]},
            follow=True,
        )

    assert f"Reply sent to {shopper.email}." in " ".join(_messages(response))
    ticket.refresh_from_db()
    assert ticket.status == S.AWAITING_SHOPPER
    assert ticket.first_responded_at is not None
    message = Message.objects.get(ticket=ticket)
    assert (message.author, message.by_staff, message.is_internal) == (support, True, False)
    assert Attachment.objects.get().message == message
    assert [m.to for m in mail.outbox] == [[shopper.email]]
    assert "Here is the new photo." in mail.outbox[0].body


@pytest.mark.django_db
def test_an_internal_note_from_the_desk_is_not_sent_to_anyone(
    support_client, shopper, django_capture_on_commit_callbacks
):
    ticket = TicketFactory(shopper=shopper)

    with django_capture_on_commit_callbacks(execute=True):
        response = support_client.post(
            _desk(ticket), {"visibility": "internal", "body": "Call the seller tomorrow."}, follow=True
        )

    assert "Internal note added. The shopper does not see it." in _messages(response)
    assert Message.objects.get().is_internal
    assert Ticket.objects.get().status == S.OPEN
    assert not Notification.objects.exists()
    assert mail.outbox == []


@pytest.mark.django_db
def test_an_empty_reply_keeps_the_form_with_an_error(support_client):
    ticket = TicketFactory()

    response = support_client.post(_desk(ticket), {"visibility": "public", "body": ""})

    assert response.status_code == 400
    assert "Write a message or attach a file." in response.text
    assert not Message.objects.exists()


@pytest.mark.django_db
def test_assign_to_me_priority_and_status_buttons_go_through_the_services(support_client, support):
    ticket = TicketFactory(status=S.AWAITING_SUPPORT)

    support_client.post(_action(ticket, "assign_me"))
    support_client.post(_action(ticket, "priority"), {"priority": "30"})
    response = support_client.post(_action(ticket, "resolve"), {"expected_status": S.AWAITING_SUPPORT}, follow=True)

    ticket.refresh_from_db()
    assert (ticket.assignee, ticket.priority, ticket.status) == (support, 30, S.RESOLVED)
    assert f"Ticket {ticket.number} is now “Resolved”." in _messages(response)
    names = [a["name"] for a in response.context["status_actions"]]
    assert sorted(names) == ["close", "reopen"]


@pytest.mark.django_db
def test_a_refused_or_stale_button_is_an_admin_error_not_a_500(support_client):
    ticket = TicketFactory(status=S.OPEN)

    refused = support_client.post(_action(ticket, "reopen"), follow=True)
    stale = support_client.post(_action(ticket, "close"), {"expected_status": S.AWAITING_SHOPPER}, follow=True)
    bad_priority = support_client.post(_action(ticket, "priority"), {"priority": "999"}, follow=True)

    assert "“Reopen” is not possible while the ticket is “Open”." in _messages(refused)
    assert any("changed by someone else meanwhile" in m for m in _messages(stale))
    assert "Choose a priority from the list." in _messages(bad_priority)
    assert support_client.post(_action(ticket, "explode")).status_code == 404
    assert support_client.get(_action(ticket, "close")).status_code == 405
    assert Ticket.objects.get().status == S.OPEN


@pytest.mark.django_db
def test_inspectors_have_no_ticket_access_and_shoppers_never_reach_the_admin(client, inspector, shopper):
    ticket = TicketFactory(shopper=shopper)

    client.force_login(inspector)
    assert client.get(reverse(QUEUE)).status_code == 403
    assert client.get(_desk(ticket)).status_code == 404
    assert client.post(_desk(ticket), {"visibility": "public", "body": "hi"}).status_code == 404

    client.force_login(shopper)
    response = client.post(_desk(ticket), {"visibility": "public", "body": "hi"})
    assert response.status_code == 302
    assert "/admin/login/" in response.url
    assert not Message.objects.exists()


@pytest.mark.django_db
def test_the_desk_refuses_posts_without_csrf(support):
    client = Client(enforce_csrf_checks=True)
    client.force_login(support)
    ticket = TicketFactory()

    assert client.post(_desk(ticket), {"visibility": "public", "body": "hi"}).status_code == 403
    assert client.post(_action(ticket, "assign_me")).status_code == 403
    assert not Message.objects.exists()
    assert Ticket.objects.get().assignee is None


@pytest.mark.django_db
def test_the_support_group_holds_the_ticket_permissions_and_inspectors_none(support, inspector):
    assert support.has_perm("tickets.view_ticket")
    assert support.has_perm("tickets.answer_ticket")
    assert support.has_perm("tickets.change_cannedreply")
    assert not support.has_perm("tickets.delete_ticket")
    assert not any(p.startswith("tickets.") for p in inspector.get_all_permissions())


@pytest.mark.django_db
def test_beside_the_thread_support_sees_the_latest_qc_verdict_with_defects_and_thumbnails(
    support_client, inspector, shopper, settings, tmp_path, django_assert_num_queries, django_assert_max_num_queries
):
    from orders.models import Order
    from tests.qc.conftest import failed_round

    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
    small = OrderFactory(shopper=shopper, status=Order.Status.AWAITING_QC)
    failed_round(small, inspector, photos=1, defects=1, measurements=1)
    big = OrderFactory(shopper=shopper, status=Order.Status.AWAITING_QC)
    inspection = failed_round(big, inspector, photos=6, defects=6, measurements=4)
    one = TicketFactory(shopper=shopper, order=small)
    many = TicketFactory(shopper=shopper, order=big)

    cold()
    with django_assert_max_num_queries(40) as captured:
        assert support_client.get(_desk(one)).status_code == 200
    cold()
    with django_assert_num_queries(len(captured)):
        response = support_client.get(_desk(many))

    assert response.context["qc_round"].inspection == inspection
    assert "QC failed: your decision" in response.text
    assert "Failed" in response.text
    for i in range(6):
        assert f"Open seam #{i}" in response.text
    photo = inspection.photos.first()
    assert f'src="{photo.thumb_url}"' in response.text
    thumb = support_client.get(photo.thumb_url)
    assert thumb.status_code == 200
    assert thumb["Content-Type"] == "image/jpeg"


@pytest.mark.django_db
def test_a_ticket_without_order_or_without_qc_says_so(support_client):
    assert "Not linked to an order." in support_client.get(_desk(TicketFactory())).text
    ticket = TicketFactory(order=OrderFactory(status="paid"))
    assert "No completed QC round yet." in support_client.get(_desk(ticket)).text


@pytest.mark.django_db
def test_the_support_desk_pages_run_a_pinned_number_of_queries(support_client, support, django_assert_num_queries):
    ticket = TicketFactory(order=OrderFactory(qc_failed=True), assignee=support)
    CannedReplyFactory.create_batch(2)
    MessageFactory(ticket=ticket)
    MessageFactory(ticket=ticket, author=support, by_staff=True, is_internal=True)
    get_in_queries(support_client, reverse(QUEUE), 7, django_assert_num_queries)
    get_in_queries(support_client, _desk(ticket), 9, django_assert_num_queries)
