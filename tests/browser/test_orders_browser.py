import pytest

from orders.models import Order
from tests.browser.conftest import log_in
from tests.factories import PASSWORD, OrderEventFactory, OrderFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_shopper_on_a_phone_opens_the_order_that_needs_a_decision(page, shopper):
    """(The demo's own logins and pages are checked in tests/demo, without a browser.)"""
    OrderFactory(shopper=shopper, status=Order.Status.PURCHASED)
    order = OrderFactory(shopper=shopper, qc_failed=True, product_title="Oversized wool-blend coat, charcoal")
    OrderEventFactory.create_batch(3, order=order)

    log_in(page, shopper.email, PASSWORD)
    assert page.get_by_role("link", name="To do 1").is_visible()
    page.get_by_role("link", name=order.product_title).first.click()

    page.wait_for_url(f"**/orders/{order.number}/")
    assert page.get_by_role("heading", level=1).inner_text() == order.product_title
    assert page.get_by_text("QC failed: your decision").first.is_visible()
    timeline = page.locator(".timeline__item")
    assert timeline.count() == order.events.filter(shopper_visible=True).count()
    # Nothing is wider than the phone's screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375


def test_the_keyboard_reaches_the_main_navigation(page, shopper):
    """On a phone the header is one row: the brand (to the orders), notifications, the account
    menu (orders, tickets, balance and the rest) and "Buy"."""
    log_in(page, shopper.email, PASSWORD)
    steps = [
        page.get_by_role("link", name="Skip to content"),
        page.get_by_role("link", name="CSSBuy QC"),
        page.get_by_role("link", name="Notifications"),
        page.locator("summary", has_text="Account"),
        page.get_by_role("link", name="Buy", exact=True),
    ]
    for expected in steps:
        page.keyboard.press("Tab")
        assert expected.evaluate("element => element === document.activeElement")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")  # opens the account menu
    page.keyboard.press("Tab")
    assert page.get_by_role("link", name="Orders").evaluate("element => element === document.activeElement")
    header = page.locator(".site-header__inner").bounding_box()
    assert header["height"] < 64  # one row
