"""The emails people read: one HTML layout (with a plain-text twin) for every event, the QC
failure's photos embedded in the message, and the shopper's receipts of what they asked for."""

import email
import re
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from email.message import Message as MimeMessage
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from common.locale import format_when
from cssbuy_qc.celery import app as celery_app
from notifications import services
from notifications.models import Event, Notification
from notifications.tasks import send_notification_email
from orders.models import Order
from qc.models import Inspection
from refunds import services as refunds
from tests.factories import OrderFactory, fund, paid_order
from tests.qc.conftest import failed_round
from tickets.models import Category

S = Order.Status
pytestmark = pytest.mark.django_db


@pytest.fixture
def eager_celery():
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _locmem_mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def _parts(message) -> tuple[str, str, list[MimeMessage]]:
    """The plain text, the HTML and the embedded pictures of a sent email, read from the bytes
    a mail client receives."""
    parsed = email.message_from_bytes(message.message().as_bytes())
    text = html = ""
    images = []
    for part in parsed.walk():
        if part.get_content_type() == "text/plain":
            text = part.get_payload(decode=True).decode()
        elif part.get_content_type() == "text/html":
            html = part.get_payload(decode=True).decode()
        elif part.get_content_maintype() == "image":
            images.append(part)
    return text, html, images


@pytest.mark.parametrize("event", Event.values)
def test_every_event_has_an_html_email_with_a_text_twin(event, shopper, settings):
    settings.SITE_URL = "https://qc.example.com"
    notification = services.notify(
        user=shopper,
        event=event,
        title="Something happened to “Linen shirt”",
        body="First paragraph <b>not markup</b>.\n\nSecond paragraph.",
        link="/orders/AB12/",
        details={"facts": [{"label": "Order number", "text": "AB12"}]},
    )

    assert services.notification_send_email(notification_id=notification.pk)

    [sent] = mail.outbox
    text, html, images = _parts(sent)
    assert sent.subject == "Something happened to “Linen shirt”" and sent.to == [shopper.email]
    assert images == []
    assert html.startswith("<!DOCTYPE html>")
    assert "CSSBuy QC" in html and "CSSBuy QC" in text
    assert "<h1" in html and "Something happened to “Linen shirt”" in html
    assert "First paragraph &lt;b&gt;not markup&lt;/b&gt;." in html and "Second paragraph." in html
    assert "First paragraph <b>not markup</b>." in text and "Second paragraph." in text
    assert "Order number" in html and "AB12</td>" in html and "Order number: AB12" in text
    # The button and the address under it go to the page; the footer to the preferences.
    assert html.count('href="https://qc.example.com/orders/AB12/"') == 2
    assert "https://qc.example.com/orders/AB12/" in text
    assert 'href="https://qc.example.com/notifications/preferences/"' in html
    assert "https://qc.example.com/notifications/preferences/" in text
    label = Event(event).label
    assert f"You get this email for “{label}” notices" in text
    # Email clients drop stylesheets and scripts: everything is inline, nothing is fetched.
    assert "<script" not in html and "<style" not in html and "<link" not in html and "class=" not in html
    assert not re.search(r"https?://(?!qc\.example\.com/)", html)


def test_the_qc_failed_email_embeds_the_defect_photos_and_lists_the_defects_and_the_deadline(
    shopper, inspector, eager_celery, django_capture_on_commit_callbacks
):
    order = OrderFactory(shopper=shopper, status=S.AWAITING_QC, product_title="Linen shirt")
    with django_capture_on_commit_callbacks(execute=True):
        inspection = failed_round(order, inspector, photos=3, defects=2, measurements=0)

    [sent] = mail.outbox
    text, html, images = _parts(sent)
    notification = Notification.objects.get(event=Event.QC_FAILED)
    assert sent.subject == notification.title == "QC failed: “Linen shirt” needs your decision"
    # The two photos with a defect, as thumbnails inside the message, each shown by its cid.
    photos = list(inspection.photos.order_by("position"))
    assert len(images) == 2
    assert email.message_from_bytes(sent.message().as_bytes()).get_content_type() == "multipart/related"
    for image, photo in zip(images, photos[:2], strict=True):
        content_id = image["Content-ID"].strip("<>")
        assert f'src="cid:{content_id}"' in html
        assert image.get_content_disposition() == "inline"
        with photo.thumb.open("rb") as thumb:
            assert image.get_payload(decode=True) == thumb.read()
    assert 'alt="QC photo 1: Photo 0"' in html and "Photo 2</div>" in html
    # The defects and the deadline, in both parts.
    assert "Defects found" in html and "Open seam #0 (photo 1)" in html and "Open seam #1 (photo 2)" in html
    assert "- Damage (Major): Open seam #0 (photo 1)" in text
    shown = format_when(Order.objects.get(pk=order.pk).decision_deadline)  # China time, named: "… CST"
    assert shown.endswith(" CST")
    assert "Decide by" in html and shown in html
    assert f"Decide by: {shown}" in text
    assert "Choose what to do" in html and f"Choose what to do: http://testserver/orders/{order.number}/" in text


def test_a_photo_gone_from_storage_is_left_out_and_the_email_still_goes(
    shopper, inspector, django_capture_on_commit_callbacks
):
    order = OrderFactory(shopper=shopper, status=S.AWAITING_QC)
    with django_capture_on_commit_callbacks():
        inspection = failed_round(order, inspector, photos=2, defects=2, measurements=0)
    first = inspection.photos.order_by("position").first()
    first.thumb.storage.delete(first.thumb.name)
    notification = Notification.objects.get(event=Event.QC_FAILED)

    assert services.notification_send_email(notification_id=notification.pk)

    _text, html, images = _parts(mail.outbox[0])
    assert len(images) == 1 and html.count('src="cid:') == 1
    assert 'alt="QC photo 2: Photo 1"' in html


def test_a_passed_round_shows_its_first_photos(shopper, inspector, django_capture_on_commit_callbacks):
    from qc import services as qc
    from tests.qc.conftest import add_photos

    order = OrderFactory(shopper=shopper, status=S.AWAITING_QC)
    inspection = qc.inspection_open(order=order, by=inspector)
    add_photos(inspection, 5, by=inspector)
    qc.inspection_complete(inspection=inspection, by=inspector, result=Inspection.Result.PASSED)
    notification = Notification.objects.get(event=Event.QC_PASSED)

    assert services.notification_send_email(notification_id=notification.pk)

    _text, html, images = _parts(mail.outbox[0])
    assert len(images) == 3
    assert "See the QC photos" in html and "Defects found" not in html


def test_the_email_with_pictures_is_still_sent_at_most_once(shopper, inspector, django_capture_on_commit_callbacks):
    order = OrderFactory(shopper=shopper, status=S.AWAITING_QC)
    with django_capture_on_commit_callbacks():
        failed_round(order, inspector, photos=2, defects=2, measurements=0)
    notification = Notification.objects.get(event=Event.QC_FAILED)

    assert send_notification_email.apply(kwargs={"notification_id": notification.pk}).get() is True
    assert send_notification_email.apply(kwargs={"notification_id": notification.pk}).get() is False

    assert len(mail.outbox) == 1


def test_the_refund_email_shows_what_was_credited_and_the_new_balance(
    shopper, support, inspector, django_capture_on_commit_callbacks
):
    order = paid_order(shopper=shopper, qc_failed=True)
    fund(shopper, "15.00")
    order, _request = refunds.order_request_refund(order=order, by=shopper)
    order, _request = refunds.return_ship(order=order, by=support, tracking="SF1029384756")
    order, _request = refunds.return_seller_received(order=order, by=support)
    with django_capture_on_commit_callbacks():
        refunds.refund_confirm(order=order, by=support)
    notification = Notification.objects.get(event=Event.REFUND_CREDITED)

    assert services.notification_send_email(notification_id=notification.pk)

    text, html, _images = _parts(mail.outbox[0])
    assert "Credited to your balance: ¥137.00" in text and "Your balance now: ¥152.00" in text
    assert "¥137.00</td>" in html and "¥152.00</td>" in html
    assert "See the refund" in html


def test_a_return_request_is_confirmed_once_with_what_will_come_back(
    shopper_client, shopper, eager_celery, django_capture_on_commit_callbacks
):
    order = paid_order(shopper=shopper, qc_failed=True)
    url = reverse("refunds:return", args=[order.number])
    data = {"expected_status": S.QC_FAILED, "expected_total": "137.00"}

    with django_capture_on_commit_callbacks(execute=True):
        shopper_client.post(url, data)
    with django_capture_on_commit_callbacks(execute=True):
        assert shopper_client.post(url, data).status_code == 409  # the double submit

    [receipt] = Notification.objects.filter(user=shopper)
    assert receipt.event == Event.RETURN_REQUESTED
    assert "You will get back ¥137.00 when the seller refunds." in receipt.body
    [sent] = mail.outbox
    text, html, _images = _parts(sent)
    assert sent.subject == f"Return requested for “{order.product_title}”"
    assert "You will get back when the seller refunds: ¥137.00" in text
    assert "Domestic shipping (the seller&#x27;s fault: refunded)" in html


def test_an_exchange_request_is_confirmed_once_with_the_difference_paid(
    shopper_client, shopper, eager_celery, django_capture_on_commit_callbacks
):
    order = paid_order(shopper=shopper, qc_failed=True)
    fund(shopper, "20.00")
    url = reverse("refunds:exchange", args=[order.number])
    data = {
        "new_option": "L / sage",
        "new_unit_price": "139.00",
        "expected_status": S.QC_FAILED,
        "expected_total": "10.00",
        "confirm": "1",
    }

    with django_capture_on_commit_callbacks(execute=True):
        shopper_client.post(url, data)
    with django_capture_on_commit_callbacks(execute=True):
        assert shopper_client.post(url, data).status_code == 409

    [receipt] = Notification.objects.filter(user=shopper)
    assert receipt.event == Event.EXCHANGE_REQUESTED
    assert "¥10.00 was paid from your balance." in receipt.body
    [sent] = mail.outbox
    text, _html, _images = _parts(sent)
    assert "New option: L / sage" in text and "Paid from your balance: ¥10.00" in text


def test_an_exchange_to_a_cheaper_option_says_when_the_difference_comes_back(shopper):
    order = paid_order(shopper=shopper, qc_failed=True)

    refunds.order_request_exchange(order=order, by=shopper, new_option="S", new_unit_price=Decimal("119.00"))

    receipt = Notification.objects.get(user=shopper, event=Event.EXCHANGE_REQUESTED)
    assert "You will get back ¥10.00 when the replacement ships." in receipt.body
    assert {"label": "You will get back when the replacement ships", "text": "¥10.00"} in receipt.details["facts"]


def test_a_new_ticket_is_confirmed_once_even_if_the_form_is_sent_twice(
    shopper_client, shopper, eager_celery, django_capture_on_commit_callbacks
):
    data = {"category": Category.OTHER, "subject": "Where is my parcel?", "body": "Hello.", "client_key": uuid.uuid4()}

    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            assert shopper_client.post(reverse("tickets:new"), data).status_code == 302

    [receipt] = Notification.objects.filter(user=shopper)
    assert receipt.event == Event.TICKET_OPENED
    [sent] = mail.outbox
    text, _html, _images = _parts(sent)
    assert sent.subject == receipt.title and receipt.link in text
    assert "Subject: Where is my parcel?" in text and "We aim to answer by: " in text


def test_the_shopper_can_switch_the_receipts_off_like_any_other_email(
    shopper_client, shopper, eager_celery, django_capture_on_commit_callbacks
):
    keep = [event for event in Event.values if event != Event.RETURN_REQUESTED]
    shopper_client.post(reverse("notifications:preferences"), {"email_events": keep})
    order = paid_order(shopper=shopper, qc_failed=True)

    with django_capture_on_commit_callbacks(execute=True):
        refunds.order_request_refund(order=order, by=shopper)

    assert Notification.objects.get(user=shopper).event == Event.RETURN_REQUESTED
    assert mail.outbox == []


def test_a_moment_is_shown_in_the_time_zone_the_email_is_rendered_in(shopper):
    at = datetime(2026, 12, 7, 6, 30, tzinfo=UTC)
    notification = services.notify(
        user=shopper,
        event=Event.QC_FAILED,
        title="t",
        details={"facts": [{"label": "Decide by", "at": at.isoformat()}]},
    )

    with timezone.override(ZoneInfo("Asia/Shanghai")):
        in_shanghai = services.notification_render_email(notification=notification)
    with timezone.override(ZoneInfo("Europe/Paris")):
        in_paris = services.notification_render_email(notification=notification)

    assert "Decide by: 7 Dec 2026, 14:30 CST" in in_shanghai.text
    assert "Decide by: 7 Dec 2026, 07:30 CET" in in_paris.text
    assert "7 Dec 2026, 07:30 CET</td>" in in_paris.html
