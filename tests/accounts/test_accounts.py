"""Signing up, logging in with an email address, passwords, staff roles, login throttling."""

import re

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.urls import reverse

from accounts.models import User
from tests.factories import PASSWORD, UserFactory


@pytest.mark.django_db
def test_signup_creates_a_shopper_and_logs_them_in(client):
    response = client.post(
        reverse("signup"),
        {
            "display_name": "  Li   Wei ",
            "email": "New.Shopper@Example.com",
            "password1": "a-long-pass-phrase-9",
            "password2": "a-long-pass-phrase-9",
        },
        follow=True,
    )

    user = User.objects.get()
    assert user.email == "new.shopper@example.com"
    assert user.display_name == "Li Wei"
    assert not user.is_staff
    assert response.context["user"] == user
    assert response.request["PATH_INFO"] == reverse("orders:list")


@pytest.mark.django_db
def test_signup_with_a_taken_email_is_a_form_error(client, shopper):
    response = client.post(
        reverse("signup"),
        {
            "display_name": "Shopper",
            "email": "SHOPPER@example.com",
            "password1": "a-long-pass-phrase-9",
            "password2": "a-long-pass-phrase-9",
        },
    )

    assert response.status_code == 200
    assert "An account with this email address already exists." in response.text
    assert User.objects.count() == 1


@pytest.mark.django_db
def test_login_by_email_in_any_case_then_logout(client, shopper):
    response = client.post(reverse("login"), {"username": "Shopper@Example.COM", "password": PASSWORD})
    assert response.status_code == 302
    assert response.url == reverse("orders:list")

    response = client.post(reverse("logout"))
    assert client.get(reverse("orders:list")).status_code == 302


@pytest.mark.django_db
def test_password_change(shopper_client, shopper):
    response = shopper_client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": "another-long-phrase-7", "new_password2": "another-long-phrase-7"},
    )

    assert response.status_code == 302
    shopper.refresh_from_db()
    assert shopper.check_password("another-long-phrase-7")


@pytest.mark.django_db
def test_password_reset_by_email(client, shopper):
    client.post(reverse("password_reset"), {"email": "shopper@example.com"})

    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    form_url = client.get(link).url
    response = client.post(form_url, {"new_password1": "brand-new-phrase-5", "new_password2": "brand-new-phrase-5"})
    assert response.status_code == 302
    shopper.refresh_from_db()
    assert shopper.check_password("brand-new-phrase-5")


@pytest.mark.django_db
def test_password_reset_for_an_unknown_address_says_the_same_and_sends_nothing(client):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.com"}, follow=True)

    assert "If an account uses that address" in response.text
    assert mail.outbox == []


@pytest.mark.django_db
def test_every_database_has_the_staff_groups_with_their_permissions():
    inspectors = set(Group.objects.get(name="Inspectors").permissions.values_list("codename", flat=True))
    support = set(Group.objects.get(name="Support").permissions.values_list("codename", flat=True))

    assert {"view_order", "receive_order", "inspect_order"} <= inspectors
    assert not {"purchase_order", "manage_returns", "change_order"} & inspectors
    assert {"view_order", "purchase_order", "manage_returns", "resolve_refusal"} <= support
    assert "inspect_order" not in support


@pytest.mark.django_db
def test_login_is_throttled_after_five_failures_with_a_clear_message(client, settings):
    UserFactory(email="victim@example.com")
    statuses = [
        client.post(reverse("login"), {"username": "victim@example.com", "password": "wrong"}).status_code
        for _ in range(5)
    ]
    assert statuses == [200, 200, 200, 200, 429]

    response = client.post(reverse("login"), {"username": "victim@example.com", "password": PASSWORD})

    assert response.status_code == 429
    assert "Too many failed log-in attempts" in response.text
    assert "_auth_user_id" not in client.session
