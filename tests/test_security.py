"""Secure by default: deploy checks, security headers, CSP without inline script."""

import os
import runpy
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from tests.factories import OrderFactory

ROOT = Path(__file__).resolve().parent.parent


def test_production_settings_pass_check_deploy():
    env = {
        "PATH": os.environ["PATH"],
        "DJANGO_READ_DOT_ENV": "false",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "k3y-" + "Zq8#pL2!vN6@" * 5,
        "DJANGO_ALLOWED_HOSTS": "qc.example.com",
        "DATABASE_URL": "postgres://app@db.example.com:5432/cssbuy_qc",
        "CELERY_BROKER_URL": "redis://redis.example.com:6379/0",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    env = {
        "PATH": os.environ["PATH"],
        "DJANGO_READ_DOT_ENV": "false",
        "DJANGO_DEBUG": "false",
        "DJANGO_ALLOWED_HOSTS": "qc.example.com",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def _assert_security_headers(response):
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert "max-age=31536000" in response["Strict-Transport-Security"]
    directives = response["Content-Security-Policy"].split(";")
    policy = dict(part.strip().split(" ", 1) for part in directives if part.strip())
    assert policy["script-src"] == "'self'"
    assert policy["default-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    return policy


@pytest.mark.django_db
def test_shopper_page_headers_and_a_csp_without_any_inline_code(shopper_client, shopper):
    order = OrderFactory(shopper=shopper)

    response = shopper_client.get(order.get_absolute_url(), secure=True)

    policy = _assert_security_headers(response)
    assert policy["style-src"] == "'self'"
    assert "<script>" not in response.text
    assert " style=" not in response.text
    assert " onclick=" not in response.text


@pytest.mark.django_db
def test_admin_page_headers_allow_inline_styles_only(support_client):
    response = support_client.get(reverse("admin:orders_order_changelist"), secure=True)

    policy = _assert_security_headers(response)
    assert "'unsafe-inline'" in policy["style-src"]


@pytest.mark.django_db
def test_session_and_csrf_cookies_are_secure_and_httponly_under_https(client, shopper, settings):
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    from tests.factories import PASSWORD

    client.get(reverse("login"), secure=True)
    response = client.post(reverse("login"), {"username": shopper.email, "password": PASSWORD}, secure=True)

    session = response.cookies["sessionid"]
    assert session["secure"] and session["httponly"]
    csrf = client.cookies["csrftoken"]
    assert csrf["secure"] and csrf["httponly"]


@pytest.mark.django_db
def test_a_post_without_csrf_token_is_refused(shopper):
    from django.test import Client

    order = OrderFactory(shopper=shopper)
    client = Client(enforce_csrf_checks=True)
    client.force_login(shopper)

    response = client.post(reverse("orders:cancel", args=[order.number]))

    assert response.status_code == 403
    order.refresh_from_db()
    assert order.status == "pending_payment"


@pytest.mark.django_db
def test_an_oversized_request_body_is_refused_before_it_is_read(shopper_client, settings):
    settings.MAX_REQUEST_BYTES = 1024

    response = shopper_client.post(reverse("notifications:mark_all_read"), {"pad": "x" * 5000})

    assert response.status_code == 413
    assert "too large" in response.text


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/orders/CB%00X/",
        "/admin/orders/order/?q=%00",
        "/admin/orders/order/?status__exact=%00",
        "/balance/?page=%00",
        # Every value of a repeated key: admin filters use them all (this one used to be a 500).
        "/admin/orders/order/?status__exact=%00&status__exact=paid",
        "/admin/orders/order/?status__exact=paid&status__exact=%00",
    ],
)
def test_a_nul_character_in_an_address_is_a_400_not_a_500(support_client, url):
    assert support_client.get(url).status_code == 400


@pytest.mark.parametrize("over_http", [False, True])
def test_production_settings_drop_https_only_when_told_to(monkeypatch, over_http):
    """README, "Production settings on a laptop": three switches, off by default in production."""
    for key in ["DJANGO_SECURE_SSL_REDIRECT", "DJANGO_SECURE_HSTS_SECONDS", "DJANGO_SECURE_COOKIES"]:
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("DJANGO_DEBUG", "false")
    if over_http:
        monkeypatch.setenv("DJANGO_SECURE_SSL_REDIRECT", "false")
        monkeypatch.setenv("DJANGO_SECURE_HSTS_SECONDS", "0")
        monkeypatch.setenv("DJANGO_SECURE_COOKIES", "false")

    values = runpy.run_path(str(ROOT / "cssbuy_qc" / "settings.py"))

    assert values["DEBUG"] is False
    https = not over_http
    assert values["SECURE_SSL_REDIRECT"] is https
    assert (values["SECURE_HSTS_SECONDS"] > 0) is https
    assert values["SESSION_COOKIE_SECURE"] is https
    assert values["CSRF_COOKIE_SECURE"] is https
