"""The two new decision tools in Chromium at 375 px, each end to end with the staff's side in
the admin: asking for more photos (answered by an inspector) and keeping the item at a
discount (a counter-offer recorded by support, accepted by the shopper). Both pages pass axe."""

from decimal import Decimal

import pytest
from axe_playwright_python.sync_playwright import Axe

from ledger.selectors import ledger_violations, wallet_balance
from orders.models import Order
from qc import services as qc
from qc.models import PhotoRequest
from tests.browser.conftest import log_in
from tests.factories import PASSWORD, InspectorFactory, SupportFactory, UserFactory, paid_order
from tests.qc.conftest import failed_round
from tests.qc.images import jpeg

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def no_axe_violations(page) -> None:
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


def fits_a_phone(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 375


def touch_targets_are_big_enough(area) -> None:
    """Every button, link and field of `area` is at least 44 x 44 CSS pixels."""
    small = area.locator("button, a, summary, input:not([type=hidden]), textarea").evaluate_all(
        "nodes => nodes.filter(n => n.offsetParent !== null)"
        ".map(n => [n.outerHTML.slice(0, 60), n.getBoundingClientRect()])"
        ".filter(([_, r]) => r.height < 44 || r.width < 44)"
    )
    assert small == [], small


@pytest.fixture
def failed(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EXTRA_PHOTO_FEE = Decimal("2.00")
    shopper = UserFactory(email="buyer@example.com")
    order = paid_order(
        shopper=shopper,
        status=Order.Status.AWAITING_QC,
        product_title="Linen shirt, relaxed fit",
        unit_price=Decimal("129.00"),
        domestic_shipping=Decimal("8.00"),
    )
    failed_round(order, InspectorFactory(email="qc@example.com"))
    return order


def test_a_shopper_asks_for_more_photos_and_an_inspector_answers(page, staff_page, failed):
    # The shopper asks, on a phone.
    log_in(page, "buyer@example.com", PASSWORD)
    page.goto(failed.get_absolute_url())
    panel = page.locator("#photo-requests")
    panel.locator("summary").focus()  # the form folds open from the keyboard
    page.keyboard.press("Enter")
    touch_targets_are_big_enough(panel)
    panel.get_by_label("What do you want to see?").fill("The stitching on the left sleeve, and the chest width")
    panel.get_by_label("How many photos or measurements?").fill("2")
    assert "Free: your first request for this order." in panel.inner_text()
    panel.get_by_role("button", name="Send the request").click()
    page.wait_for_selector("text=Request sent. Our inspectors answer by")
    assert "Waiting for our inspectors" in panel.inner_text()
    assert page.get_by_text("Your decision deadline is paused with").first.is_visible()
    fits_a_phone(page)
    no_axe_violations(page)

    # The inspector finds it in the queue with the note, and answers it.
    log_in(staff_page, "qc@example.com", PASSWORD)
    staff_page.goto("/admin/qc/photorequest/")
    assert "The stitching on the left sleeve" in staff_page.locator("#result_list").inner_text()
    staff_page.get_by_role("link", name="Answer", exact=True).click()
    staff_page.get_by_label("Photos (JPEG, PNG or WebP").set_input_files(
        {"name": "sleeve.jpg", "mimeType": "image/jpeg", "buffer": jpeg(size=(90, 60), color=(30, 160, 90))}
    )
    staff_page.get_by_label("Caption (optional)").fill("Left sleeve seam")
    staff_page.get_by_role("button", name="Upload").click()
    staff_page.wait_for_selector("text=Added sleeve.jpg.")
    request = PhotoRequest.objects.get()
    qc.photo_make_renditions(photo_id=request.photos.get().pk)  # what the image worker does
    staff_page.get_by_label("What", exact=True).fill("Chest width")
    staff_page.get_by_label("Listed").fill("56")
    staff_page.get_by_label("Measured").fill("52.5")
    staff_page.get_by_role("button", name="Add measurement").click()
    staff_page.wait_for_selector("text=Measurement added.")
    staff_page.get_by_label("Note for the shopper (optional)").fill("The seam is open for about 4 cm.")
    staff_page.get_by_role("button", name="Mark answered").click()
    staff_page.wait_for_selector("text=the shopper has been notified")

    # The shopper sees the answer in the round, and the clock running again.
    page.reload()
    assert "Answered" in panel.inner_text()
    assert "The seam is open for about 4 cm." in panel.inner_text()
    panel.get_by_role("link", name="1 new photo, 1 measurement").click()
    round_1 = page.locator(f"#qc-round-{request.inspection_id}")
    assert round_1.locator(".qc-gallery__item").count() == 2
    assert round_1.get_by_role("img", name="Left sleeve seam").is_visible()
    assert "Chest width" in round_1.locator(".qc-measurements").inner_text()
    assert page.locator(".decision .countdown[data-deadline]").is_visible()
    assert page.locator(".nav-notifications .badge").is_visible()
    fits_a_phone(page)
    no_axe_violations(page)


def test_a_shopper_keeps_a_failed_item_for_a_counter_offer(page, staff_page, failed):
    SupportFactory(email="desk@example.com")
    page.on("dialog", lambda dialog: dialog.accept())

    # The fourth choice: keep it at a discount.
    log_in(page, "buyer@example.com", PASSWORD)
    page.goto(failed.get_absolute_url())
    option = page.locator(".choice--discount")
    option.get_by_text("Keep it at a discount").click()
    assert "At most ¥129.00." in option.inner_text()
    touch_targets_are_big_enough(option)
    no_axe_violations(page)
    option.get_by_label("Amount to ask back (CNY)").fill("30")
    option.get_by_label("Note for the seller (optional)").fill("The stain is small; I would keep it.")
    option.get_by_role("button", name="Ask for a discount").click()
    page.wait_for_selector("text=We asked the seller for ¥30.00 back.")
    assert page.get_by_text("Discount asked: waiting for the seller").first.is_visible()

    # Support records the seller's counter-offer.
    log_in(staff_page, "desk@example.com", PASSWORD)
    staff_page.goto(f"/admin/orders/order/{failed.pk}/change/")
    staff_page.get_by_label("Amount (CNY)").fill("18.50")
    staff_page.get_by_role("button", name="Seller counter-offers").click()
    staff_page.wait_for_selector("text=is now “Seller's counter-offer: your answer”")

    # The shopper accepts it, and the credit is on the statement.
    page.reload()
    assert page.get_by_text("Seller's counter-offer: your answer").first.is_visible()
    touch_targets_are_big_enough(page.locator(".discount"))
    fits_a_phone(page)
    no_axe_violations(page)
    page.get_by_role("button", name="Accept ¥18.50 and keep it").click()
    page.wait_for_selector("text=You keep the item. ¥18.50 was credited to your balance.")
    assert page.get_by_role("heading", name="Kept at a discount").is_visible()
    assert page.get_by_text("In warehouse").first.is_visible()
    page.goto("/balance/")
    row = page.locator(".statement__row").first
    assert "Discount on order" in row.inner_text()
    assert "+¥18.50" in row.inner_text()

    assert wallet_balance(user=failed.shopper) == Decimal("18.50")
    assert ledger_violations() == []
