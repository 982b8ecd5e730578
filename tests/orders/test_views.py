"""The shopper's order pages."""

import pytest
from django.urls import reverse

from orders.models import Order
from tests.factories import OrderEventFactory, OrderFactory
from tests.queries import get_in_queries

S = Order.Status


@pytest.mark.django_db
def test_order_list_groups_orders_by_what_they_need(shopper_client, shopper):
    OrderFactory(shopper=shopper, qc_failed=True, product_title="Coat with a hole")
    OrderFactory(shopper=shopper, status=S.PURCHASED, product_title="Shirt on its way")
    OrderFactory(shopper=shopper, status=S.REFUNDED, product_title="Refunded jeans")
    OrderFactory(product_title="Somebody else's bag")

    response = shopper_client.get(reverse("orders:list"))

    groups = response.context["groups"]
    assert [o.product_title for o in groups["action"]] == ["Coat with a hole"]
    assert [o.product_title for o in groups["progress"]] == ["Shirt on its way"]
    assert [o.product_title for o in groups["done"]] == ["Refunded jeans"]
    assert b"Somebody else" not in response.content
    assert "QC failed: your decision" in response.text


@pytest.mark.django_db
def test_order_detail_shows_status_amounts_and_only_the_shopper_visible_timeline(shopper_client, shopper):
    order = OrderFactory(shopper=shopper, status=S.PAID, quantity=2)
    OrderEventFactory(order=order, note="Paid from your balance.")
    OrderEventFactory(order=order, note="Internal: seller is slow", shopper_visible=False)

    response = shopper_client.get(order.get_absolute_url())

    assert response.status_code == 200
    assert "Paid, buying soon" in response.text
    assert "¥266.00" in response.text  # 2 x 129.00 + 8.00
    assert "Paid from your balance." in response.text
    assert "Internal: seller is slow" not in response.text


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_log_in(client):
    order = OrderFactory()

    for url in (reverse("orders:list"), order.get_absolute_url()):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith("/accounts/login/")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "name"),
    [
        ("get", "orders:detail"),
        ("post", "orders:pay"),
        ("post", "orders:cancel"),
        ("post", "orders:keep"),
        ("post", "refunds:return"),
        ("get", "refunds:exchange"),
        ("post", "refunds:exchange"),
    ],
)
def test_another_shoppers_order_is_a_404_on_every_url(shopper_client, other_shopper, method, name):
    order = OrderFactory(shopper=other_shopper)

    response = getattr(shopper_client, method)(reverse(name, args=[order.number]))

    assert response.status_code == 404
    order.refresh_from_db()
    assert order.status == S.PENDING_PAYMENT


def _queries(django_assert_max_num_queries, client, url) -> int:
    with django_assert_max_num_queries(50) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.django_db
def test_order_list_query_count_is_the_same_for_1_and_50_orders(
    shopper_client, shopper, django_assert_num_queries, django_assert_max_num_queries
):
    url = reverse("orders:list")
    OrderFactory(shopper=shopper)
    one = _queries(django_assert_max_num_queries, shopper_client, url)
    OrderFactory.create_batch(49, shopper=shopper, status=S.AWAITING_QC)

    with django_assert_num_queries(one):
        response = shopper_client.get(url)
    assert sum(len(g) for g in response.context["groups"].values()) == 50


@pytest.mark.django_db
def test_order_detail_query_count_is_the_same_for_1_and_30_events(
    shopper_client, shopper, django_assert_num_queries, django_assert_max_num_queries
):
    order = OrderFactory(shopper=shopper, status=S.PAID)
    OrderEventFactory(order=order)
    one = _queries(django_assert_max_num_queries, shopper_client, order.get_absolute_url())
    OrderEventFactory.create_batch(29, order=order)

    with django_assert_num_queries(one):
        response = shopper_client.get(order.get_absolute_url())
    assert len(response.context["order"].timeline) == 30


# --- Pinned query counts --------------------------------------------------------------------


@pytest.mark.django_db
def test_the_order_list_runs_a_pinned_number_of_queries(shopper_client, shopper, django_assert_num_queries):
    OrderFactory(shopper=shopper, qc_failed=True)
    OrderFactory(shopper=shopper, status=S.PURCHASED)
    OrderFactory(shopper=shopper, status=S.REFUNDED)
    get_in_queries(shopper_client, reverse("orders:list"), 5, django_assert_num_queries)
