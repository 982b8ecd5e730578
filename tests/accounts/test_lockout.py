"""Login throttling that cannot be turned against the account it protects.

Behind the documented proxy (AXES_PROXY_COUNT=1: nginx puts the client's address in
X-Forwarded-For), failures lock a user name *from one client address*; a lock is not extended
by attempts made while it holds; a completed password reset lifts it.
"""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import PASSWORD, UserFactory

PROXY = "10.0.0.2"  # every request reaches Django from the proxy
VICTIM_ADDRESS = "198.51.100.7"
ATTACKER_ADDRESS = "203.0.113.9"


@pytest.fixture(autouse=True)
def _behind_one_proxy(settings):
    settings.AXES_IPWARE_PROXY_COUNT = 1


@pytest.fixture
def victim(db):
    return UserFactory(email="victim@example.com")


def login(client: Client, forwarded_for: str, password: str, username: str = "victim@example.com"):
    return client.post(
        reverse("login"),
        {"username": username, "password": password},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=forwarded_for,
    )


def lock_out(client: Client, forwarded_for: str, username: str = "victim@example.com") -> None:
    statuses = [login(client, forwarded_for, "wrong", username).status_code for _ in range(5)]
    assert statuses[-1] == 429, statuses


def test_an_attacker_elsewhere_cannot_lock_the_real_user_out(victim):
    attacker = Client()
    lock_out(attacker, ATTACKER_ADDRESS)
    assert login(attacker, ATTACKER_ADDRESS, PASSWORD).status_code == 429  # the attacker stays locked

    response = login(Client(), VICTIM_ADDRESS, PASSWORD)

    assert response.status_code == 302


def test_a_forged_forwarded_for_does_not_borrow_the_victims_address(victim):
    """The client can send its own X-Forwarded-For; the proxy adds the real address last."""
    attacker = Client()
    lock_out(attacker, f"{VICTIM_ADDRESS}, {ATTACKER_ADDRESS}")

    assert login(Client(), VICTIM_ADDRESS, PASSWORD).status_code == 302


@pytest.mark.parametrize("forwarded_for", ["", "not-an-address", "1.2.3.4:5678", "\x00"])
def test_a_missing_or_malformed_forwarded_for_is_counted_not_a_500(victim, forwarded_for):
    response = login(Client(), forwarded_for, "wrong")

    assert response.status_code == 200
    assert "Please enter a correct" in response.text


def test_changing_the_case_of_the_email_does_not_get_more_attempts(victim):
    client = Client()
    for username in ["victim@example.com", "Victim@example.com", "VICTIM@example.com", "victim@EXAMPLE.com"]:
        assert login(client, ATTACKER_ADDRESS, "wrong", username).status_code == 200

    assert login(client, ATTACKER_ADDRESS, "wrong", " Victim@Example.com ").status_code == 429


def test_attempts_while_locked_do_not_extend_the_lock(victim):
    client = Client()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        lock_out(client, VICTIM_ADDRESS)
    with time_machine.travel(start + timedelta(minutes=10), tick=False):
        assert login(client, VICTIM_ADDRESS, "wrong").status_code == 429
        assert login(client, VICTIM_ADDRESS, PASSWORD).status_code == 429
    with time_machine.travel(start + timedelta(minutes=15, seconds=1), tick=False):
        response = login(client, VICTIM_ADDRESS, PASSWORD)

    assert response.status_code == 302


def test_a_completed_password_reset_lifts_the_lock(victim):
    client = Client()
    lock_out(client, VICTIM_ADDRESS)

    client.post(reverse("password_reset"), {"email": "victim@example.com"})
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    form_url = client.get(link).url
    client.post(form_url, {"new_password1": "brand-new-phrase-5", "new_password2": "brand-new-phrase-5"})

    response = login(client, VICTIM_ADDRESS, "brand-new-phrase-5")
    assert response.status_code == 302
    assert "_auth_user_id" in client.session


def test_asking_for_a_reset_without_completing_it_keeps_the_lock(victim):
    client = Client()
    lock_out(client, VICTIM_ADDRESS)

    client.post(reverse("password_reset"), {"email": "victim@example.com"})

    assert login(client, VICTIM_ADDRESS, PASSWORD).status_code == 429
