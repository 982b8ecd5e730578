"""`make run` as a newcomer uses it: the development settings from .env.example."""

import re
import runpy
from pathlib import Path

import pytest
from django.core import mail

from notifications.models import Event
from notifications.services import notification_send_email, notify

ROOT = Path(__file__).resolve().parent.parent


def _development_settings(monkeypatch, **env: str) -> dict:
    """cssbuy_qc/settings.py as `make run` reads it: .env.example's values, then `env`."""
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            monkeypatch.setenv(key.strip(), value.strip())
    monkeypatch.delenv("SITE_URL", raising=False)
    monkeypatch.delenv("PORT", raising=False)
    for key, value in {"DJANGO_READ_DOT_ENV": "false", **env}.items():
        monkeypatch.setenv(key, value)
    return runpy.run_path(str(ROOT / "cssbuy_qc" / "settings.py"))


def _links(message) -> list[str]:
    bodies = [message.body, *(content for content, _ in getattr(message, "alternatives", []))]
    return [link for body in bodies for link in re.findall(r"https?://[^\s\"'<>]+", body)]


def test_the_site_url_follows_the_port_unless_it_is_set(monkeypatch):
    assert _development_settings(monkeypatch)["SITE_URL"] == "http://127.0.0.1:8000"
    assert _development_settings(monkeypatch, PORT="8080")["SITE_URL"] == "http://127.0.0.1:8080"
    explicit = _development_settings(monkeypatch, PORT="8080", SITE_URL="https://qc.example.com")
    assert explicit["SITE_URL"] == "https://qc.example.com"


@pytest.mark.django_db
def test_on_port_8080_every_link_in_every_email_points_at_port_8080(monkeypatch, settings, client, shopper):
    settings.SITE_URL = _development_settings(monkeypatch, PORT="8080")["SITE_URL"]
    notification = notify(user=shopper, event=Event.QC_FAILED, title="QC failed", link="/orders/X1/")
    assert notification_send_email(notification_id=notification.pk)
    response = client.post(
        "/accounts/password_reset/", {"email": shopper.email}, HTTP_HOST="127.0.0.1:8080", secure=False
    )
    assert response.status_code == 302

    assert len(mail.outbox) == 2
    for message in mail.outbox:
        links = _links(message)
        assert links, message.subject
        assert all(link.startswith("http://127.0.0.1:8080/") for link in links), links
