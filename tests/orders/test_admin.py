"""Staff move orders through the admin's buttons, which call the services."""

from decimal import Decimal as D

import pytest
from django.test import Client
from django.urls import reverse

from orders.models import Order, OrderEvent
from tests.factories import OrderEventFactory, OrderFactory, SupportFactory
from tests.queries import cold, get_in_queries

S = Order.Status


def _transition(client, order, name, **data):
    url = reverse("admin:orders_order_transition", args=[order.pk, name])
    return client.post(url, {"expected_status": order.status, **data}, follow=True)


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


@pytest.mark.django_db
def test_support_ships_an_order_with_its_tracking_number(support_client):
    order = OrderFactory(status=S.PURCHASED)

    response = _transition(support_client, order, "ship_to_warehouse", tracking="YT9876543210")

    order.refresh_from_db()
    assert order.status == S.SHIPPED_TO_WAREHOUSE
    assert order.domestic_tracking == "YT9876543210"
    assert f"Order {order.number} is now “On its way to the warehouse”." in _messages(response)


@pytest.mark.django_db
def test_the_change_page_offers_only_the_buttons_this_user_may_press(client, support, inspector):
    order = OrderFactory(status=S.SHIPPED_TO_WAREHOUSE)
    url = reverse("admin:orders_order_change", args=[order.pk])

    client.force_login(inspector)
    assert [a["name"] for a in client.get(url).context["order_actions"]] == ["receive"]

    paid = OrderFactory(status=S.PAID)
    client.force_login(support)
    names = [
        a["name"] for a in client.get(reverse("admin:orders_order_change", args=[paid.pk])).context["order_actions"]
    ]
    assert sorted(names) == ["cancel", "mark_out_of_stock", "purchase"]


@pytest.mark.django_db
def test_a_refused_transition_is_an_admin_error_message_not_a_500(support_client):
    order = OrderFactory(status=S.STORED)

    response = _transition(support_client, order, "purchase")

    assert response.status_code == 200
    assert "“Mark purchased” is not possible while the order is “In warehouse”." in _messages(response)
    assert Order.objects.get(pk=order.pk).status == S.STORED


@pytest.mark.django_db
def test_two_staff_pressing_at_once_one_wins_the_other_is_told(support_client, client):
    order = OrderFactory(status=S.PAID)
    url = reverse("admin:orders_order_transition", args=[order.pk, "purchase"])
    colleague = Client()
    colleague.force_login(SupportFactory())

    colleague.post(url, {"expected_status": S.PAID})
    response = support_client.post(url, {"expected_status": S.PAID}, follow=True)

    assert any("changed by someone else" in m for m in _messages(response))
    assert OrderEvent.objects.filter(order=order).count() == 1


@pytest.mark.django_db
def test_pressing_twice_blames_nobody_else(support_client):
    order = OrderFactory(status=S.PAID)
    url = reverse("admin:orders_order_transition", args=[order.pk, "purchase"])

    support_client.post(url, {"expected_status": S.PAID})
    response = support_client.post(url, {"expected_status": S.PAID}, follow=True)

    assert "This order changed since you opened this page. Reload the page to see its status." in _messages(response)
    assert OrderEvent.objects.filter(order=order).count() == 1


@pytest.mark.django_db
def test_an_inspector_cannot_press_a_support_button(client, inspector):
    order = OrderFactory(status=S.PAID)
    client.force_login(inspector)

    response = _transition(client, order, "purchase")

    assert any("not allowed" in m for m in _messages(response))
    assert Order.objects.get(pk=order.pk).status == S.PAID


@pytest.mark.django_db
def test_unknown_transition_names_and_get_requests_change_nothing(support_client):
    order = OrderFactory(status=S.PAID)

    assert _transition(support_client, order, "pay").status_code == 404  # a shopper's action, no button
    assert _transition(support_client, order, "explode").status_code == 404
    url = reverse("admin:orders_order_transition", args=[order.pk, "purchase"])
    assert support_client.get(url).status_code == 405
    assert Order.objects.get(pk=order.pk).status == S.PAID


@pytest.mark.django_db
def test_shoppers_never_reach_the_admin(shopper_client):
    order = OrderFactory(status=S.PAID)

    response = shopper_client.post(reverse("admin:orders_order_transition", args=[order.pk, "purchase"]))

    assert response.status_code == 302
    assert "/admin/login/" in response.url
    assert Order.objects.get(pk=order.pk).status == S.PAID


@pytest.mark.django_db
def test_changelist_search_and_filters(support_client, shopper):
    mine = OrderFactory(shopper=shopper, product_title="Retro sneakers", status=S.QC_FAILED)
    OrderFactory(product_title="Wool coat", status=S.PAID)
    url = reverse("admin:orders_order_changelist")

    for query in (mine.number, "sneakers", "shopper@example"):
        result = list(support_client.get(url, {"q": query}).context["cl"].result_list)
        assert result == [mine]
    assert list(support_client.get(url, {"status__exact": S.QC_FAILED}).context["cl"].result_list) == [mine]


@pytest.mark.django_db
def test_admin_pages_query_count_does_not_grow_with_orders_or_events(
    support_client, django_assert_num_queries, django_assert_max_num_queries
):
    order = OrderFactory(status=S.PAID)
    OrderEventFactory(order=order)
    changelist = reverse("admin:orders_order_changelist")
    change = reverse("admin:orders_order_change", args=[order.pk])
    cold()
    with django_assert_max_num_queries(60) as list_one:
        support_client.get(changelist)
    cold()
    with django_assert_max_num_queries(60) as change_one:
        support_client.get(change)

    OrderFactory.create_batch(40, status=S.PAID)
    OrderEventFactory.create_batch(30, order=order)

    cold()
    with django_assert_num_queries(len(list_one)):
        support_client.get(changelist)
    cold()
    with django_assert_num_queries(len(change_one)):
        support_client.get(change)


@pytest.mark.django_db
def test_staff_cannot_reassign_an_order_or_change_what_was_paid(support_client, shopper, other_shopper):
    order = OrderFactory(shopper=shopper, status=S.PAID)
    url = reverse("admin:orders_order_change", args=[order.pk])
    form = support_client.get(url).context["adminform"].form
    assert not {"shopper", "unit_price", "quantity", "domestic_shipping"} & set(form.fields)

    support_client.post(
        url,
        {
            "shopper": other_shopper.pk,
            "product_title": "Renamed",
            "marketplace": "taobao",
            "product_url": order.product_url,
            "category": "other",
            "unit_price": "1.00",
            "quantity": "1",
            "domestic_shipping": "0",
            "events-TOTAL_FORMS": "0",
            "events-INITIAL_FORMS": "0",
            "return_requests-TOTAL_FORMS": "0",
            "return_requests-INITIAL_FORMS": "0",
            "discount_requests-TOTAL_FORMS": "0",
            "discount_requests-INITIAL_FORMS": "0",
            "ledger_transactions-TOTAL_FORMS": "0",
            "ledger_transactions-INITIAL_FORMS": "0",
        },
    )

    order.refresh_from_db()
    assert (order.shopper, order.unit_price, order.product_title) == (shopper, D("129.00"), "Renamed")
    assert support_client.get(reverse("admin:orders_order_add")).status_code == 403


@pytest.mark.django_db
def test_a_stale_change_form_does_not_overwrite_what_a_service_changed_meanwhile(support_client, support):
    from orders.services import order_purchase

    order = OrderFactory(status=S.PAID)
    url = reverse("admin:orders_order_change", args=[order.pk])
    form = support_client.get(url).context["adminform"].form
    data = {name: form[name].value() or "" for name in form.fields}
    order_purchase(order=order, by=support)  # another staff member, meanwhile

    data.update({"seller_name": "Renamed seller"})
    for prefix in ("events", "return_requests", "discount_requests", "ledger_transactions"):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    response = support_client.post(url, data)

    assert response.status_code == 302
    order.refresh_from_db()
    assert (order.status, order.seller_name) == (S.PURCHASED, "Renamed seller")


@pytest.mark.django_db
@pytest.mark.parametrize(("status", "change_queries"), [(S.PENDING_PAYMENT, 14), (S.PAID, 14), (S.RETURNING, 15)])
def test_the_order_admin_pages_run_a_pinned_number_of_queries(
    support_client, shopper, status, change_queries, django_assert_num_queries
):
    """The change page with its timeline, QC rounds (none here: see test_admin_qc_rounds),
    listing images and staff evidence pack, and for a paid order its ledger and return inlines."""
    from tests.factories import ReturnRequestFactory, paid_order

    order = (
        OrderFactory(shopper=shopper) if status == S.PENDING_PAYMENT else paid_order(shopper=shopper, status=status)
    )
    OrderEventFactory(order=order)
    if status == S.RETURNING:
        ReturnRequestFactory(order=order)
    get_in_queries(support_client, reverse("admin:orders_order_changelist"), 9, django_assert_num_queries)
    url = reverse("admin:orders_order_change", args=[order.pk])
    get_in_queries(support_client, url, change_queries, django_assert_num_queries)
