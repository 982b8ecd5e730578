"""Response headers for shared devices and browsers' features; HSTS preload by choice only;
a 500 page that says only what is true, and errors reported to Sentry when it is configured."""

import gzip
import logging
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.http import HttpResponse
from django.test import Client
from django.urls import include, path, reverse

from orders.models import Order
from tests.factories import OrderFactory
from tests.qc.conftest import failed_round
from tests.webserver import free_port

ROOT = Path(__file__).resolve().parent.parent


def _boom(request):
    raise RuntimeError("boom")


def _cached(request):
    response = HttpResponse("public")
    response["Cache-Control"] = "public, max-age=60"
    return response


urlpatterns = [path("boom/", _boom), path("cached/", _cached), path("", include("cssbuy_qc.urls"))]


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["orders:list", "ledger:balance", "ledger:statement_csv", "notifications:inbox"])
def test_pages_and_downloads_of_a_logged_in_user_are_never_stored(shopper_client, page):
    """After logout on a shared device, Back must not show the balance from the browser's cache."""
    response = shopper_client.get(reverse(page))

    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"


@pytest.mark.django_db
def test_the_admin_keeps_its_own_never_cache_headers(support_client):
    response = support_client.get(reverse("admin:orders_order_changelist"))

    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_a_response_that_chose_its_caching_keeps_it(shopper_client):
    assert shopper_client.get("/cached/")["Cache-Control"] == "public, max-age=60"


@pytest.mark.django_db
def test_anonymous_pages_are_not_marked_private(client):
    assert "Cache-Control" not in client.get(reverse("signup"))


@pytest.mark.django_db
def test_a_qc_photo_is_revalidated_on_every_use_and_a_304_checks_the_viewer(
    shopper_client, shopper, other_shopper, inspector
):
    """A cached photo is shown only after the server has checked who asks again: a guessable
    photo address cached for one user on a shared browser is not shown to the next one."""
    order = OrderFactory(shopper=shopper, status=Order.Status.AWAITING_QC)
    photo = failed_round(order, inspector, photos=1, defects=1).photos.get()

    first = shopper_client.get(photo.display_url)
    assert first["Cache-Control"] == "private, no-cache"
    again = shopper_client.get(photo.display_url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304

    stranger = Client()
    stranger.force_login(other_shopper)
    assert stranger.get(photo.display_url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 404


@pytest.mark.django_db
def test_every_page_sets_a_permissions_policy(client, shopper_client):
    for response in (client.get(reverse("login")), shopper_client.get(reverse("orders:list"))):
        policy = dict(part.strip().split("=", 1) for part in response["Permissions-Policy"].split(","))
        assert policy["camera"] == "()"
        assert policy["microphone"] == "()"
        assert policy["geolocation"] == "()"
        assert policy["payment"] == "()"


def _production_setting(name: str, **env: str) -> str:
    code = f"import django; django.setup(); from django.conf import settings; print(settings.{name})"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={
            "PATH": os.environ["PATH"],
            "DJANGO_SETTINGS_MODULE": "cssbuy_qc.settings",
            "DJANGO_READ_DOT_ENV": "false",
            "DJANGO_SECRET_KEY": "k" * 50,
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_hsts_preload_only_when_the_operator_opts_in():
    assert _production_setting("SECURE_HSTS_PRELOAD") == "False"
    assert _production_setting("SECURE_HSTS_PRELOAD", DJANGO_SECURE_HSTS_PRELOAD="true") == "True"


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_a_server_error_is_logged_and_the_page_says_only_that(caplog):
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = Client(raise_request_exception=False).get("/boom/")

    assert response.status_code == 500
    assert "has been logged" in response.text
    assert "told" not in response.text
    [record] = [r for r in caplog.records if r.name == "django.request"]
    assert record.levelno == logging.ERROR
    assert record.exc_info[0] is RuntimeError


class _Collector(BaseHTTPRequestHandler):
    received: list[bytes] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        type(self).received.append(body)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_with_sentry_dsn_set_a_server_error_is_reported_without_personal_data():
    """A stand-in for Sentry on this machine; a login while the database is down is a 500."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Collector)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    code = (
        "import django, sentry_sdk; django.setup()\n"
        "from django.test import Client\n"
        "status = Client(raise_request_exception=False).post('/accounts/login/',"
        " {'username': 'secret-user@example.com', 'password': 'x'}).status_code\n"
        "sentry_sdk.flush(10); print(status)\n"
    )
    try:
        result = subprocess.run(
            [sys.executable, "-c", code],
            cwd=ROOT,
            env={
                "PATH": os.environ["PATH"],
                "DJANGO_SETTINGS_MODULE": "cssbuy_qc.settings",
                "DJANGO_READ_DOT_ENV": "false",
                "DJANGO_SECRET_KEY": "k" * 50,
                "DJANGO_ALLOWED_HOSTS": "testserver",
                "DJANGO_SECURE_SSL_REDIRECT": "false",
                "DATABASE_URL": f"postgres://nobody@127.0.0.1:{free_port()}/down",
                "SENTRY_DSN": f"http://public@127.0.0.1:{server.server_address[1]}/1",
            },
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        server.shutdown()

    assert result.stdout.strip() == "500", result.stderr
    reports = b"".join(_Collector.received).decode(errors="replace")
    assert "OperationalError" in reports
    assert "secret-user@example.com" not in reports
