"""Each person reads the site, its notifications and its emails in their own language and time
zone, with the zone named; the language switch and the account settings change them; sign-up
asks for the name emails greet by."""

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from accounts.models import User
from common.locale import format_when, recipient_locale
from notifications import services as notifications
from notifications.models import Event, Notification
from orders.models import Order
from orders.services import order_fail_qc, order_remind_decision
from tests.factories import InspectorFactory, OrderFactory, SupportFactory, UserFactory
from tickets import services as tickets
from tickets.models import Category

pytestmark = pytest.mark.django_db

DEADLINE = datetime(2026, 12, 7, 11, 46, tzinfo=UTC)


def _lang(html: str) -> str:
    return re.search(r'<html lang="([^"]+)"', html).group(1)


# --- Language --------------------------------------------------------------------------------


def test_the_first_visit_is_in_the_language_the_browser_asks_for(client):
    chinese = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9,en;q=0.5")
    english = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")

    assert _lang(chinese.text) == "zh-hans"
    assert _lang(english.text) == "en"


@pytest.mark.parametrize(("name", "signed_in"), [("login", False), ("orders:list", True), ("admin:index", True)])
def test_every_page_has_the_language_switch_naming_each_language_in_itself(client, name, signed_in):
    if signed_in:
        client.force_login(SupportFactory())

    page = client.get(reverse(name)).text

    switch = re.search(r'<form class="language-switch" method="post" action="/i18n/setlang/".*?</form>', page, re.S)
    assert switch, name
    assert 'lang="en"' in switch.group(0) and ">English</button>" in switch.group(0)
    assert 'lang="zh-hans"' in switch.group(0) and ">中文</button>" in switch.group(0)
    assert 'aria-current="true"' in switch.group(0)


def test_the_admin_login_has_the_language_switch_too(client):
    page = client.get(reverse("admin:login")).text

    assert '<form class="language-switch" method="post" action="/i18n/setlang/"' in page
    assert 'id="login-form"' in page  # Django's own form is still there


def test_switching_saves_the_language_on_the_user_and_it_follows_them_to_a_new_browser(client, shopper):
    client.force_login(shopper)

    response = client.post(reverse("set_language"), {"language": "zh-hans", "next": "/orders/"})

    assert response.status_code == 302 and response.url == "/orders/"
    shopper.refresh_from_db()
    assert shopper.language == "zh-hans"
    client.cookies.clear()  # another browser: no language cookie, an English Accept-Language
    client.force_login(shopper)
    assert _lang(client.get("/orders/", HTTP_ACCEPT_LANGUAGE="en").text) == "zh-hans"


def test_an_unknown_language_changes_nothing(shopper_client, shopper):
    response = shopper_client.post(reverse("set_language"), {"language": "xx", "next": "/orders/"})

    assert response.status_code == 302
    shopper.refresh_from_db()
    assert shopper.language == ""


def test_someone_signed_out_switches_for_this_browser_only(client):
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/accounts/login/"})

    assert _lang(client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en").text) == "zh-hans"
    assert User.objects.filter(language="zh-hans").count() == 0


def test_the_javascript_catalogue_is_served_and_loaded_by_a_plain_script_tag(shopper_client):
    catalogue = shopper_client.get(reverse("javascript-catalog"))
    page = shopper_client.get("/orders/").text

    assert catalogue.status_code == 200 and "django.gettext" in catalogue.text
    assert '<script src="/jsi18n/" defer></script>' in page


# --- Sign-up and the greeting ----------------------------------------------------------------


def test_sign_up_asks_for_a_name_and_refuses_a_blank_one(client):
    data = {"email": "li@example.com", "password1": "a-long-pass-phrase-9", "password2": "a-long-pass-phrase-9"}

    blank = client.post(reverse("signup"), {**data, "display_name": "   "})
    too_long = client.post(reverse("signup"), {**data, "display_name": "x" * 61})

    assert blank.status_code == too_long.status_code == 200
    assert 'name="display_name"' in blank.text and 'autocomplete="name"' in blank.text
    assert User.objects.count() == 0


def test_sign_up_remembers_the_language_it_was_made_in(client):
    client.post(
        reverse("signup"),
        {
            "display_name": "李伟",
            "email": "li@example.com",
            "password1": "a-long-pass-phrase-9",
            "password2": "a-long-pass-phrase-9",
        },
        HTTP_ACCEPT_LANGUAGE="zh-CN",
    )

    assert User.objects.get().language == "zh-hans"


@pytest.mark.parametrize(
    ("fields", "greeting"), [({"display_name": "Li Wei"}, "Hello Li Wei,"), ({}, "Hello li.wei,")]
)
def test_emails_greet_by_the_display_name_else_the_address(fields, greeting):
    user = UserFactory(email="li.wei@example.com", **fields)
    notification = notifications.notify(user=user, event=Event.TICKET_REPLY, title="A reply")

    with recipient_locale(user):
        email = notifications.notification_render_email(notification=notification)

    assert email.text.startswith(greeting)
    assert f">{greeting}</p>" in email.html


# --- Notifications and emails in the recipient's language --------------------------------------


def test_a_notice_caused_by_english_staff_is_written_in_the_chinese_shoppers_language(support):
    shopper = UserFactory(language="zh-hans", display_name="李伟")
    ticket = tickets.ticket_open(shopper=shopper, subject="Where is it?", body="Hello", category=Category.SHIPPING)
    support.language = "en"
    support.save(update_fields=["language"])
    title = "Support replied to your ticket %(number)s"
    with translation.override("zh-hans"):
        chinese = gettext(title) % {"number": ticket.number}
        action = gettext("Read and reply")
    assert chinese != title % {"number": ticket.number}, "the zh-hans catalogue translates this notice"

    with translation.override("en"):  # the staff member's request
        tickets.ticket_reply(ticket=ticket, by=support, body="It ships tomorrow.")
        notification = Notification.objects.get(user=shopper, event=Event.TICKET_REPLY)
        assert notifications.notification_send_email(notification_id=notification.pk)
        assert translation.get_language() == "en"  # the actor's language is back afterwards

    assert notification.title == chinese
    [sent] = mail.outbox
    html = sent.alternatives[0][0]
    assert sent.subject == chinese
    assert action in html and action in sent.body
    assert _lang(html) == "zh-hans"


# --- Time zones --------------------------------------------------------------------------------


@pytest.mark.parametrize("zone", ["Europe/Berlin", "America/New_York", "Asia/Shanghai"])
def test_a_deadline_shows_the_same_instant_in_each_readers_zone_with_the_zone_named(client, zone):
    shopper = UserFactory(time_zone=zone)
    order = OrderFactory(shopper=shopper, status=Order.Status.QC_FAILED, decision_deadline=DEADLINE)
    client.force_login(shopper)

    page = client.get(order.get_absolute_url()).text

    local = DEADLINE.astimezone(ZoneInfo(zone))
    named = {"Europe/Berlin": "12:46 CET", "America/New_York": "06:46 EST", "Asia/Shanghai": "19:46 CST"}[zone]
    assert f"{local:%-d} Dec 2026, {named}" in page
    # The countdown counts to the one instant, written in UTC, whatever the reader's zone.
    assert 'data-deadline="2026-12-07T11:46:00+00:00"' in page


def test_a_reminder_email_uses_the_recipients_zone(django_capture_on_commit_callbacks):
    shopper = UserFactory(time_zone="America/New_York")
    order = OrderFactory(shopper=shopper, qc_failed=True)

    with timezone.override(ZoneInfo("Asia/Shanghai")):  # the job runs in China time
        assert order_remind_decision(order_id=order.pk)
        notification = Notification.objects.get(user=shopper, event=Event.DECISION_REMINDER)
        assert notifications.notification_send_email(notification_id=notification.pk)

    with timezone.override(ZoneInfo("America/New_York")):
        in_new_york = format_when(order.decision_deadline)
    assert re.search(r" E[SD]T$", in_new_york)
    [sent] = mail.outbox
    assert in_new_york in notification.title and in_new_york in sent.body and in_new_york in sent.subject
    assert f"Decide by: {in_new_york}" in sent.body


def test_staff_who_chose_no_zone_read_china_time_in_the_admin(client):
    staff = SupportFactory()
    shopper = UserFactory(time_zone="Europe/Berlin")
    ticket = tickets.ticket_open(shopper=shopper, subject="Late", body="Where is it?", category=Category.SHIPPING)
    client.force_login(staff)

    page = client.get(reverse("admin:tickets_ticket_change", args=[ticket.pk])).text

    with timezone.override(ZoneInfo("Asia/Shanghai")):
        assert format_when(ticket.opened_at) in page
    assert format_when(ticket.opened_at).endswith(" CST")


def test_the_browser_reports_its_zone_once_and_a_chosen_zone_is_kept(shopper_client, shopper):
    url = reverse("time_zone_detected")

    assert shopper_client.post(url, {"time_zone": "Europe/Berlin"}).status_code == 204
    assert shopper_client.post(url, {"time_zone": "Asia/Tokyo"}).status_code == 204

    shopper.refresh_from_db()
    assert shopper.time_zone == "Europe/Berlin"


@pytest.mark.parametrize("bad", ["Mars/Olympus", "", "../../etc/passwd", "x" * 300])
def test_a_zone_the_site_does_not_know_is_refused_and_changes_nothing(shopper_client, shopper, bad):
    response = shopper_client.post(reverse("time_zone_detected"), {"time_zone": bad})

    assert response.status_code == 400
    shopper.refresh_from_db()
    assert shopper.time_zone == ""


def test_the_zone_script_is_on_the_page_only_while_the_zone_is_unknown(shopper_client, shopper):
    assert "js/timezone.js" in shopper_client.get("/orders/").text

    shopper.time_zone = "Europe/Berlin"
    shopper.save(update_fields=["time_zone"])

    assert "js/timezone.js" not in shopper_client.get("/orders/").text


def test_account_settings_change_name_language_and_zone(shopper_client, shopper):
    response = shopper_client.post(
        reverse("account_settings"),
        {"display_name": " Li  Wei ", "language": "zh-hans", "time_zone": "Asia/Shanghai"},
        follow=True,
    )

    shopper.refresh_from_db()
    assert (shopper.display_name, shopper.language, shopper.time_zone) == ("Li Wei", "zh-hans", "Asia/Shanghai")
    assert _lang(response.text) == "zh-hans"


def test_account_settings_refuse_an_unknown_zone_and_change_nothing(shopper_client, shopper):
    response = shopper_client.post(
        reverse("account_settings"), {"display_name": "Li Wei", "language": "en", "time_zone": "Mars/Olympus"}
    )

    assert response.status_code == 200
    assert 'aria-invalid="true"' in response.text
    shopper.refresh_from_db()
    assert (shopper.display_name, shopper.language, shopper.time_zone) == ("", "", "")


def test_the_languages_offered_are_the_settings_languages():
    assert [code for code, _name in User._meta.get_field("language").choices] == [
        code for code, _name in settings.LANGUAGES
    ]


def test_a_password_reset_email_is_in_the_account_holders_language(client):
    UserFactory(email="li@example.com", language="zh-hans")
    with translation.override("zh-hans"):
        chinese = gettext("If it was not you, ignore this email; your password stays as it is.")
    assert chinese != "If it was not you, ignore this email; your password stays as it is."

    client.post(reverse("password_reset"), {"email": "li@example.com"}, HTTP_ACCEPT_LANGUAGE="en")

    [sent] = mail.outbox
    assert chinese in sent.body


def test_a_chinese_inspectors_qc_failure_reaches_an_english_shopper_in_english(inspector):
    inspector.language = "zh-hans"
    inspector.save(update_fields=["language"])
    shopper = UserFactory(language="en")
    order = OrderFactory(shopper=shopper, status=Order.Status.AWAITING_QC, product_title="Linen shirt")
    english = "QC failed: “%(product)s” needs your decision"
    with translation.override("zh-hans"):
        assert gettext(english) != english, "the zh-hans catalogue translates this notice"

    with translation.override("zh-hans"):  # the inspector's request
        order_fail_qc(order=order, by=inspector, note="Stitching open at the left seam.")

    notification = Notification.objects.get(user=shopper, event=Event.QC_FAILED)
    assert notification.title == english % {"product": "Linen shirt"}
    assert notification.details["facts"][0]["label"] == "Order number"


def test_the_admin_welcomes_staff_by_their_name(client):
    staff = InspectorFactory(email="wang.fang@example.com", display_name="王芳")
    client.force_login(staff)
    page = client.get(reverse("admin:index")).content.decode()
    assert "<strong>王芳</strong>" in page
    assert "<strong>wang.fang@example.com</strong>" not in page
