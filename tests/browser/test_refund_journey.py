"""The whole refund journey in Chromium: QC failure, quote, return, the admin's steps, the
credit on the statement, and a new order paid with it."""

import re
import time
from decimal import Decimal

import pytest
from axe_playwright_python.sync_playwright import Axe

from ledger.selectors import ledger_violations, wallet_balance
from orders.models import Order
from tests.browser.conftest import log_in
from tests.factories import PASSWORD, InspectorFactory, SupportFactory, UserFactory, paid_order
from tests.qc.conftest import failed_round

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_shopper_returns_a_failed_item_and_buys_another_size_with_the_refund(page, staff_page, settings, tmp_path):
    started = time.monotonic()
    settings.MEDIA_ROOT = tmp_path / "media"
    shopper = UserFactory(email="buyer@example.com")
    order = paid_order(
        shopper=shopper,
        status=Order.Status.AWAITING_QC,
        product_title="Wool coat, charcoal",
        option_text="M",
        unit_price=Decimal("389.00"),
        domestic_shipping=Decimal("12.00"),
    )
    failed_round(order, InspectorFactory())
    support = SupportFactory(email="desk@example.com")
    page.on("dialog", lambda dialog: dialog.accept())

    # The shopper sees the failure and the quote, and asks for a refund.
    log_in(page, shopper.email, PASSWORD)
    page.goto(order.get_absolute_url())
    assert page.get_by_text("QC failed: your decision").first.is_visible()
    decision = page.locator(".decision")
    countdown = decision.locator(".countdown strong").inner_text()
    assert re.fullmatch(r"(4\s+days,?\s+23\s+hours|5\s+days)", countdown), countdown
    assert "You will get back ¥401.00 when the seller refunds." in decision.inner_text()
    assert "Credited" not in decision.inner_text()
    decision.get_by_role("button", name="Return for ¥401.00").click()
    page.wait_for_selector("text=Return requested. We will send the item back")
    assert page.get_by_text("Return requested", exact=True).first.is_visible()

    # Support runs the return in the admin.
    log_in(staff_page, support.email, PASSWORD)
    staff_page.goto(f"/admin/orders/order/{order.pk}/change/")
    staff_page.get_by_label("Tracking number").fill("SF1029384756")
    staff_page.get_by_role("button", name="Ship return").click()
    staff_page.wait_for_selector("text=is now “Returning to seller”")
    staff_page.get_by_role("button", name="Seller received").click()
    staff_page.wait_for_selector("text=is now “Seller refunding”")
    staff_page.get_by_role("button", name="Confirm refund…").click()
    # A page asks first, with the amount, the shopper and the balance after; nothing moved yet.
    staff_page.wait_for_selector("text=¥401.00 will be credited to buyer@example.com")
    assert wallet_balance(user=shopper) == Decimal("0.00")
    axe = Axe().run(staff_page)
    assert axe.violations_count == 0, axe.generate_report()
    staff_page.get_by_role("button", name="Credit ¥401.00 to buyer@example.com").click()
    staff_page.wait_for_selector("text=¥401.00 credited to buyer@example.com; balance now ¥401.00.")
    assert staff_page.get_by_text("is now “Refunded to balance”").is_visible()

    # The shopper sees the refund, the statement line and the new balance...
    page.reload()
    assert page.get_by_text("Refunded to balance").first.is_visible()
    assert page.locator(".progress").get_by_text("Credited on").is_visible()
    page.locator("summary", has_text="Account").click()
    page.get_by_role("link", name="Balance ¥401.00").click()
    row = page.locator(".statement__row").first
    assert "Refund for order" in row.inner_text()
    assert "+¥401.00" in row.inner_text()
    assert row.locator(".statement__amount").is_visible()

    # ...and buys the next size with it at once.
    page.get_by_role("link", name="Buy an item with it").click()
    page.get_by_label("Marketplace URL").fill("https://item.taobao.com/item.htm?id=6200000001")
    page.get_by_label("Product").fill("Wool coat, charcoal")
    page.get_by_label("Option (optional)").fill("L")
    page.get_by_label("Unit price (CNY)").fill("389.00")
    page.get_by_label("Domestic shipping (CNY)").fill("12.00")
    page.get_by_role("button", name="Place and pay").click()
    page.wait_for_selector("text=is placed and paid")
    assert page.get_by_text("Paid, buying soon").first.is_visible()

    assert wallet_balance(user=shopper) == Decimal("0.00")
    assert Order.objects.filter(shopper=shopper, status=Order.Status.PAID, option_text="L").count() == 1
    assert ledger_violations() == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    print(f"\nRefund journey took {time.monotonic() - started:.1f} s")
