"""Forms read like the site, not like stock Django: labels without colons, the email asked as an
email (the phone shows its email keyboard), invalid fields marked for eyes and screen readers."""

import re

import pytest
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

FORM_PAGES = [
    "login",
    "signup",
    "password_reset",
    "password_change",
    "orders:new",
    "tickets:new",
    "notifications:preferences",
    "account_settings",
]


def _labels(html: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", label).strip() for label in re.findall(r"<label[^>]*>(.*?)</label>", html, re.S)]


@pytest.mark.parametrize("name", FORM_PAGES)
def test_no_label_ends_with_a_colon(client, name):
    client.force_login(UserFactory())

    page = client.get(reverse(name)).text

    labels = _labels(page)
    assert labels, name
    assert [label for label in labels if label.endswith(":")] == []


def test_the_login_asks_for_an_email_address_with_the_email_keyboard(client):
    page = client.get(reverse("login")).text

    assert re.search(r'<input type="email" name="username"[^>]*autocomplete="email"', page)


def test_the_login_still_logs_in_and_refuses_a_wrong_password_with_a_message(client):
    user = UserFactory(email="mei@example.com")

    wrong = client.post(reverse("login"), {"username": "mei@example.com", "password": "nope"})
    right = client.post(reverse("login"), {"username": "mei@example.com", "password": "correct-horse-battery-2026"})

    assert "Please enter a correct email address and password." in wrong.text
    assert right.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_an_invalid_field_is_marked_and_its_error_read_with_it(client):
    page = client.post(reverse("signup"), {"email": "not-an-email", "password1": "x", "password2": "y"}).text

    email = re.search(r"<input[^>]*name=\"email\"[^>]*>", page).group(0)
    assert 'type="email"' in email
    assert 'aria-invalid="true"' in email
    assert 'aria-describedby="id_email_error"' in email
    assert 'id="id_email_error"' in page
    assert 'class="field field--error"' in page


def test_optional_fields_say_so(client):
    client.force_login(UserFactory())

    page = client.get(reverse("orders:new")).text

    assert "Option (optional)" in _labels(page)
    assert "Product (optional)" not in _labels(page)
