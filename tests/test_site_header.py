"""The header of every page from the cache (common.templatetags.site_header): the same header
with this response's CSRF token, and whatever it shows (balance, unread notices, name, language,
the current page) up to date on the next view."""

import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from notifications.models import Notification
from tests.factories import OrderFactory, UserFactory, fund

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("redis_cache")]
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def header(client, url="/orders/") -> str:
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    return html[html.index('<header class="site-header">') : html.index("</header>")]


def test_a_kept_header_carries_this_responses_token_and_logging_out_works(shopper):
    client = Client(enforce_csrf_checks=True)
    client.force_login(shopper)
    first = header(client)
    again = header(client)
    assert TOKEN.sub("", again) == TOKEN.sub("", first)
    tokens = set(TOKEN.findall(again))
    assert len(tokens) == 1 and not any(token.startswith("csrf-") for token in tokens)
    response = client.post(reverse("logout"), {"csrfmiddlewaretoken": tokens.pop()})
    assert response.status_code == 302
    assert client.get("/orders/").status_code == 302  # to the login page: logged out


@pytest.fixture(params=["orders list", "order page"])
def page(request, shopper):
    """A page whose header reads its figures itself (the orders list), and the order page, whose
    header gets them from the query that stamps the page (orders.page_cache)."""
    if request.param == "orders list":
        return "/orders/"
    return OrderFactory(shopper=shopper).get_absolute_url()


def test_what_the_header_shows_is_up_to_date_on_the_next_view(shopper, shopper_client, page):
    assert "Balance ¥0.00" in header(shopper_client, page)
    fund(shopper, "250.00")
    assert "Balance ¥250.00" in header(shopper_client, page)

    assert 'class="badge"' not in header(shopper_client, page)
    Notification.objects.create(user=shopper, event="order_paid", title="Paid")
    read = Notification.objects.create(user=shopper, event="order_paid", title="Paid again")
    assert re.search(r'class="badge"[^>]*>2<', header(shopper_client, page))
    Notification.objects.filter(pk=read.pk).update(read_at=timezone.now())
    Notification.objects.create(user=UserFactory(), event="order_paid", title="Not theirs")
    assert re.search(r'class="badge"[^>]*>1<', header(shopper_client, page))

    shopper.display_name = "Wang Fang"
    shopper.save(update_fields=["display_name"])
    assert "Wang Fang" in header(shopper_client, page)


def test_the_current_page_and_the_language_are_those_of_this_view(shopper_client):
    orders, tickets = header(shopper_client, "/orders/"), header(shopper_client, "/tickets/")
    assert re.search(r'href="/orders/" aria-current="page"', orders)
    assert re.search(r'href="/tickets/" aria-current="page"', tickets)
    assert 'name="next" value="/tickets/"' in tickets

    shopper_client.cookies["django_language"] = "zh-hans"
    chinese = header(shopper_client, "/orders/")
    assert "Orders" in orders and "Orders" not in chinese and "订单" in chinese
