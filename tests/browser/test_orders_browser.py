import pytest

from demo.builders import DEMO_PASSWORD, seed_demo
from orders.models import Order
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_demo_shopper_logs_in_and_opens_an_order(page):
    seed_demo()
    order = Order.objects.get(shopper__email="shopper@example.com", status=Order.Status.QC_FAILED)

    log_in(page, "shopper@example.com", DEMO_PASSWORD)
    assert page.get_by_role("heading", name="Needs your action").is_visible()
    page.get_by_role("link", name=order.product_title).first.click()

    page.wait_for_url(f"**/orders/{order.number}/")
    assert page.get_by_role("heading", level=1).inner_text() == order.product_title
    assert page.get_by_text("QC failed: your decision").first.is_visible()
    timeline = page.locator(".timeline__item")
    assert timeline.count() == order.events.filter(shopper_visible=True).count()
    # Nothing is wider than the phone's screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375


def test_the_keyboard_reaches_the_main_navigation(page, shopper):
    from tests.factories import PASSWORD

    log_in(page, shopper.email, PASSWORD)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Skip to content"
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Orders"
