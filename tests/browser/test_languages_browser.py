"""Languages in Chromium: a browser set to Chinese gets Chinese on its first visit; a shopper
switches between English and 中文 with the header's switch, and the choice is theirs on the
next login in any browser. The switch passes axe and fits a 375 px phone."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import expect

from accounts.models import User
from tests.browser.conftest import WAIT_MS
from tests.browser.test_shopper_pages import _check
from tests.factories import PASSWORD, InspectorFactory, UserFactory, fund, paid_order
from tests.qc.conftest import failed_round

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

HEADINGS = {  # page -> headings of ours it shows, in English
    "order": ["Timeline", "Keep it, return it or exchange it?"],
    "balance": ["Balance", "Statement"],
}


def _in_chinese(text: str) -> str:
    with translation.override("zh-hans"):
        chinese = gettext(text)
    assert chinese != text, f"the zh-hans catalogue translates {text!r}"
    return chinese


def _phone(browser, live_server, locale: str):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 375, "height": 812}, locale=locale)
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    return context, page, errors


def _log_in(page, email: str) -> None:
    """Whatever language the login page is in: by the fields' names, not their labels."""
    page.goto("/accounts/login/")
    page.locator("input[name=username]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/orders/")


def _log_out(page) -> None:
    page.locator("details.account-menu summary").click()
    page.locator("details.account-menu form[action='/accounts/logout/'] button").click()
    page.wait_for_load_state()


def test_chinese_first_visit_then_a_shopper_switches_and_keeps_the_choice(browser, live_server, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    shopper = UserFactory(email="alex@example.com", display_name="Alex", language="en")
    fund(shopper, "500.00")
    order = paid_order(shopper=shopper, status="awaiting_qc", product_title="Wool coat")
    failed_round(order, InspectorFactory(), photos=2, defects=1, measurements=0)
    context, page, errors = _phone(browser, live_server, "zh-CN")
    axe, problems = Axe(), []

    # A browser set to Chinese: the first visit is in Chinese, and says so.
    page.goto("/accounts/login/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.locator(".language-switch [aria-current=true]")).to_have_text("中文")
    problems += _check(page, axe, "login in Chinese")

    # This shopper chose English before: their choice wins over the browser's.
    _log_in(page, shopper.email)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    problems += _check(page, axe, "orders in English")

    # The switch: a real button, reached with the keyboard.
    to_chinese = page.locator(".language-switch button[value=zh-hans]")
    expect(to_chinese).to_have_text("中文")
    to_chinese.focus()
    page.keyboard.press("Enter")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    assert page.url.endswith("/orders/")  # back on the page it was used on
    problems += _check(page, axe, "orders in Chinese")
    assert User.objects.get(pk=shopper.pk).language == "zh-hans"

    page.goto(order.get_absolute_url())
    for heading in HEADINGS["order"]:
        expect(page.get_by_role("heading", name=_in_chinese(heading))).to_be_visible()
    problems += _check(page, axe, "order in Chinese")
    page.goto("/balance/")
    for heading in HEADINGS["balance"]:
        expect(page.get_by_role("heading", name=_in_chinese(heading), exact=True)).to_be_visible()
    problems += _check(page, axe, "balance in Chinese")

    # Logged out and in again in a browser set to English: still Chinese, the choice is the user's.
    _log_out(page)
    context.close()
    context, page, errors_en = _phone(browser, live_server, "en-US")
    _log_in(page, shopper.email)
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    context.close()

    assert problems == []
    assert errors + errors_en == [], "JavaScript or CSP errors in the browser"


def test_the_browser_reports_its_zone_and_times_are_then_shown_in_it(browser, live_server):
    shopper = UserFactory(email="sam@example.com")
    context = browser.new_context(base_url=live_server.url, timezone_id="America/New_York")
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()

    _log_in(page, shopper.email)
    expect(page.locator("html")).to_have_attribute("data-time-zone-saved", "America/New_York")
    context.close()

    assert User.objects.get(pk=shopper.pk).time_zone == "America/New_York"
