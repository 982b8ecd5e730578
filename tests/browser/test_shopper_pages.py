"""The shopper's pages in Chromium on a 375 px phone: axe-core finds nothing wrong on any of
them, nothing is wider than the screen, every control is a 44 px target; the new order's total
follows what the shopper types; the bar keeps the decision at hand while scrolling the photos."""

import re
from decimal import Decimal

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from orders import services as orders
from orders.models import Order
from refunds import services as refunds
from tests.browser.conftest import log_in
from tests.factories import PASSWORD, InspectorFactory, OrderFactory, SupportFactory, UserFactory, fund, paid_order
from tests.qc.conftest import failed_round
from tickets.models import Category
from tickets.services import ticket_open

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
S = Order.Status
HIDDEN = re.compile(r"\baction-bar--hidden\b")

# Every control on a page, with the box a finger hits: a checkbox's or radio's is its label.
# Links in running text are exempt (WCAG 2.5.8 "inline"); text fields need the height only.
SMALL_TARGETS = """() => {
  const small = [];
  const inSentence = (el) => {
    if (el.tagName !== "A" || getComputedStyle(el).display !== "inline") return false;
    const block = el.parentElement.closest("p, li, dd, td, div");
    return block !== null && block.textContent.trim().length > el.textContent.trim().length + 2;
  };
  for (const el of document.querySelectorAll("a[href], button, summary, select, textarea, input:not([type=hidden])")) {
    const choice = el.type === "checkbox" || el.type === "radio";
    const target = choice ? (el.closest("label") || el) : el;
    const box = target.getBoundingClientRect();
    if (box.width < 2 || box.height < 2 || box.right < 0 || getComputedStyle(target).visibility === "hidden") continue;
    if (inSentence(el)) continue;
    const field = ["INPUT", "SELECT", "TEXTAREA", "LABEL"].includes(target.tagName);
    if (box.height < 43.5 || (!field && box.width < 43.5)) {
      small.push(`${target.tagName.toLowerCase()} "${(target.textContent || target.name || "").trim().slice(0, 40)}" `
        + `${Math.round(box.width)}x${Math.round(box.height)}`);
    }
  }
  return small;
}"""


@pytest.fixture
def staff():
    return SupportFactory(), InspectorFactory()


def _orders_in_every_kind_of_state(shopper, staff) -> dict[str, Order]:
    """Orders the pages must show well, brought to their state by the real services."""
    support, inspector = staff
    fund(shopper, "2000.00")
    qc_failed = paid_order(shopper=shopper, status=S.AWAITING_QC, product_title="Wool coat with a stain")
    failed_round(qc_failed, inspector, photos=6, defects=2, measurements=2)
    returned = paid_order(shopper=shopper, status=S.AWAITING_QC, product_title="Returned shirt")
    failed_round(returned, inspector)
    returned = refunds.order_request_refund(order=Order.objects.get(pk=returned.pk), by=shopper)[0]
    returned = refunds.return_ship(order=returned, by=support, tracking="SF12345678")[0]
    refunded = refunds.return_seller_received(order=returned, by=support)[0]
    refunded = refunds.refund_confirm(order=refunded, by=support)[0]
    exchanging = paid_order(shopper=shopper, qc_failed=True, product_title="Jeans, one size up")
    exchanging = refunds.order_request_exchange(
        order=exchanging, by=shopper, new_option="W33", new_unit_price=Decimal("139.00")
    )[0]
    # The longest status label there is, on a card 375 px wide.
    countered = paid_order(shopper=shopper, qc_failed=True, product_title="Coat with a small stain")
    countered = refunds.order_request_discount(order=countered, by=shopper, amount=Decimal("30.00"))[0]
    countered = refunds.discount_counter(order=countered, by=support, amount=Decimal("18.50"))[0]
    paid_then_cancelled = orders.order_pay(order=OrderFactory(shopper=shopper), by=shopper)
    cancelled = orders.order_cancel(order=paid_then_cancelled, by=shopper)
    return {
        "QC failed, with photos": qc_failed,
        "unpaid": OrderFactory(shopper=shopper, product_title="Unpaid boots"),
        "paid": orders.order_pay(order=OrderFactory(shopper=shopper), by=shopper),
        "refunded": refunded,
        "exchange": exchanging,
        "counter-offer": countered,
        "cancelled": cancelled,
    }


def _check(page, axe: Axe, name: str) -> list[str]:
    """What is wrong with the page as it is now: axe-core's violations, sideways scrolling,
    controls smaller than 44 px."""
    problems = [
        f"{name}: axe {v['id']} ({v['impact']}) at {[n['target'] for n in v['nodes']][:3]}: {v['help']}"
        for v in axe.run(page).response["violations"]
    ]
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > 375:
        problems.append(f"{name}: {width} px wide")
    problems += [f"{name}: small target {target}" for target in page.evaluate(SMALL_TARGETS)]
    return problems


def test_every_shopper_page_passes_axe_on_a_phone_with_44_px_targets(
    page, staff, settings, tmp_path, refused_requests
):
    settings.MEDIA_ROOT = tmp_path / "media"
    refused_requests += ["/accounts/signup/", "/orders/new/"]  # the forms sent empty: 400s
    shopper = UserFactory(email="mei@example.com")
    by_state = _orders_in_every_kind_of_state(shopper, staff)
    ticket = ticket_open(
        shopper=shopper,
        order=by_state["QC failed, with photos"],
        category=Category.QC,
        subject="A stain on the sleeve",
        body="Can the seller send another one?",
    )
    newcomer = UserFactory(email="new@example.com")
    axe, problems = Axe(), []

    for name, path in {"log in": "/accounts/login/", "sign up": "/accounts/signup/"}.items():
        page.goto(path)
        problems += _check(page, axe, name)
    page.goto("/accounts/signup/")
    page.evaluate("document.querySelector('main form').submit()")  # empty, past the browser's own checks
    page.wait_for_selector("[aria-invalid=true]")
    problems += _check(page, axe, "sign up with errors")

    log_in(page, shopper.email, PASSWORD)
    qc_failed = by_state["QC failed, with photos"]
    pages = {
        "orders": "/orders/",
        "orders needing action": "/orders/?tab=action",
        "orders searched, nothing found": "/orders/?q=nothing-like-this",
        **{f"order, {state}": order.get_absolute_url() for state, order in by_state.items()},
        "new order": "/orders/new/",
        "exchange": f"/orders/{qc_failed.number}/exchange/",
        "balance": "/balance/",
        "tickets": "/tickets/",
        "new ticket": "/tickets/new/",
        "ticket": ticket.get_absolute_url(),
        "notifications": "/notifications/",
        "email preferences": "/notifications/preferences/",
        "password change": "/accounts/password_change/",
    }
    for name, path in pages.items():
        page.goto(path)
        problems += _check(page, axe, name)

    page.goto(f"/orders/{qc_failed.number}/exchange/")
    page.get_by_label("New size or colour").fill("L")
    page.get_by_role("button", name="See what it costs").click()
    page.wait_for_selector(".quote")
    problems += _check(page, axe, "exchange quote")
    page.goto("/orders/new/")
    page.evaluate("document.querySelector('form[data-order-form]').submit()")
    page.wait_for_selector("[aria-invalid=true]")
    problems += _check(page, axe, "new order with errors")
    page.locator("summary", has_text="Account").click()
    problems += _check(page, axe, "account menu open")

    page.context.clear_cookies()
    log_in(page, newcomer.email, PASSWORD)
    for name, path in {"orders": "/orders/", "balance": "/balance/", "tickets": "/tickets/"}.items():
        page.goto(path)
        assert page.locator(".empty-state").is_visible(), name
        problems += _check(page, axe, f"{name}, nothing yet")
    page.goto("/notifications/")
    problems += _check(page, axe, "notifications, nothing yet")

    assert problems == [], "\n".join(problems)


def test_the_new_order_shows_its_total_as_the_shopper_types_and_is_placed_for_it(page):
    shopper = UserFactory(email="mei@example.com")
    fund(shopper, "300.00")
    log_in(page, shopper.email, PASSWORD)
    page.goto("/orders/new/")
    total = page.locator("#order-total")
    assert total.inner_text() == "—"

    page.get_by_label("Marketplace URL").fill("https://item.taobao.com/item.htm?id=6200000001")
    page.get_by_label("Product").fill("Retro sneakers")
    page.get_by_label("Unit price (CNY)").fill("129.5")
    page.get_by_label("Quantity").fill("2")
    page.get_by_label("Domestic shipping (CNY)").fill("8")
    assert total.inner_text() == "¥267.00"
    assert page.get_by_text("Your balance after paying: ¥33.00").is_visible()
    page.get_by_label("Quantity").fill("3")
    assert total.inner_text() == "¥396.50"
    assert page.get_by_text("Your balance is ¥300.00: top up ¥96.50 first.").is_visible()
    page.get_by_label("Unit price (CNY)").fill("12,5")  # not an amount: no total rather than a wrong one
    assert total.inner_text() == "—"
    page.get_by_label("Unit price (CNY)").fill("90.00")
    page.get_by_role("button", name="Place and pay").click()

    page.wait_for_selector("text=is placed and paid")
    order = Order.objects.get(shopper=shopper)
    assert (order.quantity, order.total, order.status) == (3, Decimal("278.00"), S.PAID)


def test_the_bar_keeps_the_decision_at_hand_while_scrolling_the_photos(page, staff, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    shopper = UserFactory(email="mei@example.com")
    order = paid_order(shopper=shopper, status=S.AWAITING_QC, product_title="Wool coat with a stain")
    failed_round(order, staff[1], photos=12, defects=1)
    page.on("dialog", lambda dialog: dialog.accept())
    log_in(page, shopper.email, PASSWORD)
    page.clock.install()
    page.goto(order.get_absolute_url())
    bar = page.locator("[data-action-bar]")
    decision = page.locator(".decision")
    countdown = decision.locator(".countdown strong")
    assert re.fullmatch(r"4\s+days,\s+23\s+hours", countdown.inner_text())  # the server's, exact at load
    page.clock.run_for("00:31")
    expect(countdown).to_have_text(re.compile(r"^4 days 23 hours$"))  # counted down live by site.js

    # The page opens on the decision: its three choices with their amounts, on the first screen.
    for button in ("Keep it", "Return for ¥137.00", "Exchange it"):
        assert decision.get_by_role(role="link" if "Exchange" in button else "button", name=button).is_visible()
        assert decision.get_by_text(button, exact=True).bounding_box()["y"] < 812, button
    assert page.locator(".qc").bounding_box()["y"] > decision.bounding_box()["y"]  # the photos under it
    expect(bar).to_have_class(HIDDEN)  # while the decision itself is on screen

    page.locator(".qc-gallery__item").last.scroll_into_view_if_needed()
    expect(bar).not_to_have_class(HIDDEN)
    expect(bar).to_be_in_viewport(ratio=1)  # stuck to the bottom of the screen, once slid in
    assert page.locator(".qc-gallery__item").last.is_visible()
    bar.get_by_role("button", name="Return for ¥137.00").click()

    page.wait_for_selector("text=Return requested. We will send the item back")
    assert Order.objects.get(pk=order.pk).status == S.RETURN_REQUESTED
