"""The staff dashboard in Chromium at 1366 px, for an inspector and for support: the widgets of
the role, every figure's link landing on a list of as many rows, the keyboard, and axe."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.browser.conftest import WAIT_MS, log_in
from tests.factories import PASSWORD, InspectorFactory, SupportFactory
from tests.test_dashboard import busy_day  # noqa: F401 - the day the dashboard shows

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def desk(browser, live_server):
    """A 1366×768 page on the live server, failing on JavaScript or CSP errors."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1366, "height": 768})
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "console",
        lambda msg: errors.append(msg.text) if msg.type == "error" and "favicon" not in msg.location["url"] else None,
    )
    yield page
    context.close()
    assert errors == [], f"JavaScript or CSP errors on the dashboard: {errors}"


def listed(page) -> int:
    """The number of rows the admin list says it holds ("3 orders", "1 order awaiting QC")."""
    return int(re.match(r"\s*(\d+)", page.locator(".paginator").inner_text())[1])


def check_every_figure(page) -> int:
    figures = page.locator("a.dash-figure")
    links = [(a.get_attribute("data-figure"), int(a.get_attribute("data-count")), a.get_attribute("href"))
             for a in figures.all()]  # fmt: skip
    for key, count, href in links:
        page.goto(href)
        assert listed(page) == count, (key, href)
    page.goto("/admin/")
    return len(links)


def no_axe_violations(page) -> None:
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


@pytest.mark.usefixtures("busy_day")
def test_an_inspector_sees_the_warehouse_and_every_figure_leads_to_its_list(desk):
    InspectorFactory(email="lead-inspector@example.com")
    log_in(desk, "lead-inspector@example.com", PASSWORD)
    desk.goto("/admin/")

    assert desk.get_by_role("region", name="Warehouse and QC").is_visible()
    assert desk.get_by_role("region", name="Returns and refunds").count() == 0
    assert desk.get_by_role("region", name="Support tickets").count() == 0
    assert desk.get_by_role("img", name=re.compile("QC rounds per day")).is_visible()
    assert desk.get_by_role("heading", name="QC rounds done today").is_visible()
    assert desk.locator("tr", has_text="inspector@example.com").inner_text().split() == [
        "inspector@example.com", "2", "1", "3",
    ]  # fmt: skip
    over_2_days = desk.locator('a[data-figure="qc_over_2_days"]')
    assert over_2_days.inner_text().split() == ["1", "Over", "2", "days"]
    assert desk.evaluate("document.documentElement.scrollWidth") <= 1366

    # The keyboard: from the top of the page, Tab reaches the first figure, Enter opens its list.
    desk.keyboard.press("Tab")
    while desk.evaluate("document.activeElement.dataset.figure") is None:
        desk.keyboard.press("Tab")
    first = desk.evaluate("document.activeElement.dataset.count")
    desk.keyboard.press("Enter")
    desk.wait_for_url(re.compile(r"/admin/orders/order/\?status__exact=shipped_to_warehouse"))
    assert listed(desk) == int(first)

    desk.goto("/admin/")
    desk.get_by_text("The numbers as a table").first.click()
    assert desk.get_by_role("table", name="QC rounds per day").is_visible()
    no_axe_violations(desk)
    assert desk.get_by_role("link", name="4 orders awaiting QC").is_visible()
    assert check_every_figure(desk) == 6


@pytest.mark.usefixtures("busy_day")
def test_support_sees_returns_and_tickets_and_every_figure_leads_to_its_list(desk):
    SupportFactory(email="lead-agent@example.com")
    log_in(desk, "lead-agent@example.com", PASSWORD)
    desk.goto("/admin/")

    assert desk.get_by_role("region", name="Returns and refunds").is_visible()
    assert desk.get_by_role("region", name="Support tickets").is_visible()
    assert desk.get_by_role("region", name="Warehouse and QC").count() == 0
    # The chart's name for a screen reader is its title and its one-sentence summary.
    money = desk.get_by_role("img", name=re.compile(r"per week ¥256\.50 credited back to shoppers in the last 12"))
    assert money.is_visible()
    no_axe_violations(desk)
    assert check_every_figure(desk) == 8
