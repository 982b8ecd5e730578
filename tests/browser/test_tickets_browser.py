"""A support ticket end to end, in Chromium at 375 px: shopper, support in the admin, shopper."""

import re
from io import BytesIO

import pytest
from PIL import Image

from tests.browser.conftest import image_width, log_in
from tests.factories import PASSWORD, OrderFactory, SupportFactory, UserFactory
from tickets.models import CannedReply, Message, Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

INTERNAL_NOTE = "Third stain complaint for this seller: push for a full refund."


def _photo() -> bytes:
    out = BytesIO()
    Image.new("RGB", (320, 240), (180, 40, 40)).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def test_a_ticket_from_a_qc_failed_order_answered_in_the_admin(page, media_root):
    shopper = UserFactory(email="mei@example.com", first_name="Mei")
    support = SupportFactory(email="agent@example.com")
    order = OrderFactory(shopper=shopper, qc_failed=True, product_title="Wool coat, charcoal")
    CannedReply.objects.create(
        title="QC issue: return or exchange",
        body="Hello {shopper_name}, the seller is at fault for order {order_number}: the return is free.",
    )

    # The shopper opens a ticket from the order page, with a photo.
    log_in(page, shopper.email, PASSWORD)
    page.goto(order.get_absolute_url())
    page.get_by_role("link", name="Open a support ticket").click()
    page.wait_for_url(re.compile(r"/tickets/new/\?order="))
    assert page.get_by_label("Order").input_value() == order.number
    assert page.get_by_label("What is it about?").input_value() == "qc"
    page.get_by_label("Describe what you need").fill("There is a stain on the sleeve, see my photo.")
    page.get_by_label("Attach photos or a PDF").set_input_files(
        {"name": "sleeve.jpg", "mimeType": "image/jpeg", "buffer": _photo()}
    )
    page.get_by_role("button", name="Send to support").click()
    page.wait_for_url(re.compile(r"/tickets/T[0-9A-Z]+/$"))
    ticket = Ticket.objects.get()
    assert ticket.order == order
    assert page.get_by_text(f"Ticket {ticket.number} is open.").is_visible()
    photo = page.get_by_role("img", name="sleeve.jpg")
    photo.scroll_into_view_if_needed()
    assert image_width(photo) == 320  # it loads lazily, once scrolled into view
    assert page.evaluate("document.documentElement.scrollWidth") <= 375

    # Support answers in the admin: a canned reply, then an internal note.
    page.context.clear_cookies()
    log_in(page, support.email, PASSWORD)
    page.goto("/admin/tickets/ticket/?first_response=due&assigned=unassigned")
    page.get_by_role("link", name=ticket.number).click()
    page.wait_for_url(re.compile(rf"/admin/tickets/ticket/{ticket.pk}/change/"))
    page.get_by_role("button", name="Assign to me").click()
    page.wait_for_url(f"**/admin/tickets/ticket/{ticket.pk}/change/")
    assert page.get_by_text(f"Ticket {ticket.number} is assigned to you.").is_visible()
    assert page.get_by_role("img", name="sleeve.jpg").is_visible()

    page.get_by_label("Canned reply").select_option(label="QC issue: return or exchange")
    reply = page.get_by_label("Message", exact=True)
    assert reply.input_value() == f"Hello Mei, the seller is at fault for order {order.number}: the return is free."
    page.get_by_role("button", name="Send").click()
    page.wait_for_url(f"**/admin/tickets/ticket/{ticket.pk}/change/")
    assert page.get_by_text("Reply sent to mei@example.com.").is_visible()

    page.get_by_label("Internal note (staff only)").check()
    page.get_by_label("Message", exact=True).fill(INTERNAL_NOTE)
    page.get_by_role("button", name="Send").click()
    page.wait_for_url(f"**/admin/tickets/ticket/{ticket.pk}/change/")
    assert page.get_by_text("Internal note added.").is_visible()
    assert list(Message.objects.filter(ticket=ticket).values_list("by_staff", "is_internal")) == [
        (False, False),
        (True, False),
        (True, True),
    ]

    # The shopper sees the reply and never the note.
    page.context.clear_cookies()
    log_in(page, shopper.email, PASSWORD)
    page.locator("summary", has_text="Account").click()  # on a phone, tickets are in the account menu
    page.get_by_role("link", name="Support tickets").click()
    page.get_by_role("link", name=re.compile("Wool coat")).click()
    page.wait_for_url(f"**/tickets/{ticket.number}/")
    assert page.get_by_text("Waiting for your reply").first.is_visible()
    assert page.get_by_text("the seller is at fault for order").is_visible()
    assert INTERNAL_NOTE not in page.content()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
