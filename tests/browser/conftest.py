"""Headless Chromium (Debian's package) driven by Playwright against the live test server."""

import os
import shutil

import pytest
from django.db import connections
from playwright.sync_api import expect

from tests.services import need

# Playwright's sync API keeps an event loop running in this thread; the ORM calls the tests
# make between browser steps are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# How long a step may wait for what it waits for (a page, an element, an image). Only a guard
# against a hang: every wait ends at the event, so a busy machine makes a test slower, not red.
WAIT_MS = 60_000
expect.set_options(timeout=WAIT_MS)

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class _Chromium:
    """One Playwright driver and one Chromium for a run of browser tests on this worker: started
    by the first, stopped when the worker goes on to other tests (pytest_runtest_teardown). Each
    test still gets contexts of its own (cookies, storage), so nothing leaks from one to the next.

    While Playwright runs, asyncio sees a running event loop in this thread, and Django's
    connection handler then keeps its connections in another store (asgiref's Local). The
    connections made before are put into that store too, so the test, pytest-django's setup and
    its teardown use one connection: the one that holds the test database's serialized state,
    which the serialized rollback puts back.
    """

    def __init__(self) -> None:
        self._manager = None
        self._browser = None

    def get(self):
        if self._browser is not None and self._browser.is_connected():
            return self._browser
        self.stop()
        from playwright.sync_api import sync_playwright

        made_before = {alias: connections[alias] for alias in connections}
        self._manager = sync_playwright()
        playwright = self._manager.__enter__()
        for alias, connection in made_before.items():
            connections[alias] = connection
        self._browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        return self._browser

    def stop(self) -> None:
        if self._manager is None:
            return
        manager, self._manager, self._browser = self._manager, None, None
        manager.__exit__(None, None, None)  # Chromium goes with the driver


_chromium = _Chromium()


@pytest.fixture
def browser():
    """Chromium, shared by the browser tests that run one after another on this worker."""
    need(shutil.which(CHROMIUM) is not None, f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    return _chromium.get()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """After the test's own teardown: stop Chromium when the next test does not use it, so that
    no other test runs beside Playwright's event loop."""
    result = yield
    if nextitem is None or "browser" not in nextitem.fixturenames:
        _chromium.stop()
    return result


@pytest.fixture
def refused_requests() -> list[str]:
    """Paths a test expects the server to refuse (a 4xx it sends on purpose, such as a form
    with errors, which Chromium logs as a console error): the pages do not count those."""
    return []


@pytest.fixture
def page(django_db_serialized_rollback, browser, live_server, refused_requests):
    """A phone-sized page (375 px wide) on the live server.

    Live-server tests commit for real and the database is emptied after each; the serialized
    rollback puts back what migrations created (staff groups and their permissions).
    """
    context = browser.new_context(base_url=live_server.url, viewport={"width": 375, "height": 812})
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    def console(msg) -> None:
        if msg.type == "error" and not any(path in msg.location.get("url", "") for path in refused_requests):
            errors.append(msg.text)

    page.on("console", console)
    yield page
    context.close()
    assert errors == [], f"JavaScript or CSP errors in the browser: {errors}"


@pytest.fixture
def staff_page(browser, live_server, refused_requests):
    """A desktop-sized page for staff in the admin, failing on JavaScript errors. The admin has
    no favicon link, so Chromium's own /favicon.ico request 404s: not an error of ours."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    def expected(url: str) -> bool:
        return url.endswith("/favicon.ico") or any(path in url for path in refused_requests)

    page.on(
        "console",
        lambda msg: (
            errors.append(msg.text) if msg.type == "error" and not expected(msg.location.get("url", "")) else None
        ),
    )
    yield page
    context.close()
    assert errors == [], f"JavaScript or CSP errors in the admin: {errors}"


def log_in(page, email: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/orders/")


def image_width(image) -> int:
    """Wait for an <img> to load and decode (an event, not a time); its natural width."""
    return image.evaluate("img => img.decode().then(() => img.naturalWidth)")
