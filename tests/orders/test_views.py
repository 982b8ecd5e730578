"""The shopper's order pages."""

from decimal import Decimal as D

import pytest
from django.urls import reverse

from orders import services
from orders.models import Order
from tests.factories import OrderEventFactory, OrderFactory, paid_order
from tests.queries import get_in_queries

S = Order.Status


def _titles(response) -> list[str]:
    return [card.order.product_title for card in response.context["listing"].cards]


@pytest.mark.django_db
def test_order_list_tabs_sort_orders_by_what_they_need(shopper_client, shopper):
    OrderFactory(shopper=shopper, status=S.PURCHASED, product_title="Shirt on its way")
    OrderFactory(shopper=shopper, qc_failed=True, product_title="Coat with a hole")
    OrderFactory(shopper=shopper, status=S.REFUNDED, product_title="Refunded jeans")
    OrderFactory(product_title="Somebody else's bag")
    url = reverse("orders:list")

    everything = shopper_client.get(url)

    # All of them, what needs the shopper first, then the newest.
    assert _titles(everything) == ["Coat with a hole", "Refunded jeans", "Shirt on its way"]
    assert everything.context["listing"].counts == {"all": 3, "action": 1, "progress": 1, "done": 1}
    assert "Somebody else" not in everything.text
    assert "QC failed: your decision" in everything.text
    assert _titles(shopper_client.get(url, {"tab": "action"})) == ["Coat with a hole"]
    assert _titles(shopper_client.get(url, {"tab": "progress"})) == ["Shirt on its way"]
    assert _titles(shopper_client.get(url, {"tab": "done"})) == ["Refunded jeans"]
    assert _titles(shopper_client.get(url, {"tab": "nonsense"})) == _titles(everything)


@pytest.mark.django_db
def test_the_order_list_searches_the_order_number_and_the_product(shopper_client, shopper):
    coat = OrderFactory(shopper=shopper, status=S.PURCHASED, product_title="Wool coat, charcoal")
    OrderFactory(shopper=shopper, status=S.PURCHASED, product_title="Linen shirt")
    OrderFactory(product_title="Wool coat of somebody else")
    url = reverse("orders:list")

    by_product = shopper_client.get(url, {"q": "  wool   COAT "})
    by_number = shopper_client.get(url, {"q": coat.number.lower()})
    nothing = shopper_client.get(url, {"q": "boots", "tab": "progress"})

    assert _titles(by_product) == ["Wool coat, charcoal"]
    assert _titles(by_number) == ["Wool coat, charcoal"]
    assert _titles(nothing) == []
    assert "No orders here match “boots”." in nothing.text
    # Tabs and pages keep the search.
    assert 'href="?tab=done&amp;q=wool+COAT"' in by_product.text


@pytest.mark.django_db
def test_the_order_list_has_20_orders_a_page_and_pages_keep_the_tab(shopper_client, shopper):
    OrderFactory.create_batch(45, shopper=shopper, status=S.PURCHASED)
    url = reverse("orders:list")

    first = shopper_client.get(url, {"tab": "progress"})
    last = shopper_client.get(url, {"tab": "progress", "page": "3"})
    beyond = shopper_client.get(url, {"tab": "progress", "page": "99"})

    assert len(first.context["listing"].cards) == 20
    assert len(last.context["listing"].cards) == 5
    assert len(beyond.context["listing"].cards) == 5
    assert "Page 1 of 3" in first.text
    assert 'href="?tab=progress&amp;page=2" rel="next"' in first.text


@pytest.mark.django_db
def test_order_cards_say_what_the_money_did(shopper_client, shopper):
    from tests.factories import fund

    fund(shopper, "1000.00")
    pending = OrderFactory(shopper=shopper, product_title="Unpaid")
    paid = OrderFactory(shopper=shopper, product_title="Paid")
    refunded = OrderFactory(shopper=shopper, product_title="Cancelled after paying")
    unpaid_cancel = OrderFactory(shopper=shopper, product_title="Cancelled before paying")
    for order in (paid, refunded):
        services.order_pay(order=order, by=shopper)
    services.order_cancel(order=Order.objects.get(pk=refunded.pk), by=shopper)
    services.order_cancel(order=unpaid_cancel, by=shopper)

    response = shopper_client.get(reverse("orders:list"))

    cards = {card.order.pk: card for card in response.context["listing"].cards}
    assert (cards[pending.pk].charged, cards[pending.pk].credited) == (0, 0)
    assert (cards[paid.pk].charged, cards[paid.pk].credited) == (D("137.00"), 0)
    assert (cards[refunded.pk].charged, cards[refunded.pk].credited) == (D("137.00"), D("137.00"))
    assert "To pay ¥137.00" in response.text
    assert "Paid ¥137.00 · ¥137.00 credited back" in response.text
    assert "Nothing charged" in response.text


@pytest.mark.django_db
def test_an_order_card_shows_the_first_photo_of_the_latest_qc_round_or_a_placeholder(
    shopper_client, shopper, inspector, settings, tmp_path
):
    from tests.qc.conftest import failed_round

    settings.MEDIA_ROOT = tmp_path / "media"
    inspected = OrderFactory(shopper=shopper, status=S.AWAITING_QC)
    round_one = failed_round(inspected, inspector, photos=2)
    OrderFactory(shopper=shopper, status=S.PURCHASED)

    response = shopper_client.get(reverse("orders:list"))

    pictures = {card.order.pk: card.picture for card in response.context["listing"].cards}
    first = round_one.photos.order_by("position", "id").first()
    assert pictures[inspected.pk].url == reverse("qc:photo", kwargs={"pk": first.pk, "rendition": "thumb"})
    assert (pictures[inspected.pk].width, pictures[inspected.pk].height) == (first.thumb_width, first.thumb_height)
    assert list(pictures.values()).count(None) == 1
    assert 'class="icon icon--parcel"' in response.text


@pytest.mark.django_db
def test_a_new_shopper_is_shown_how_to_start(shopper_client):
    response = shopper_client.get(reverse("orders:list"))

    assert "No orders yet" in response.text
    assert f'href="{reverse("orders:new")}">Buy your first item' in response.text


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
    shopper_client, shopper, inspector, django_assert_num_queries, django_assert_max_num_queries
):
    from tests.qc.conftest import failed_round

    url = reverse("orders:list")
    failed_round(paid_order(shopper=shopper, status=S.AWAITING_QC), inspector)
    one = _queries(django_assert_max_num_queries, shopper_client, url)
    for _ in range(4):
        failed_round(paid_order(shopper=shopper, status=S.AWAITING_QC), inspector, photos=2)
    OrderFactory.create_batch(45, shopper=shopper, status=S.PURCHASED)

    with django_assert_num_queries(one):
        response = shopper_client.get(url)
    listing = response.context["listing"]
    assert (listing.counts["all"], len(listing.cards)) == (50, 20)
    assert sum(card.picture is not None for card in listing.cards) == 5


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
    """Session, user, the tab counts, the page (with its wallet sums), its QC photos, its listing
    images, the unread notifications and the balance in the header."""
    OrderFactory(shopper=shopper, qc_failed=True)
    OrderFactory(shopper=shopper, status=S.PURCHASED)
    OrderFactory(shopper=shopper, status=S.REFUNDED)
    get_in_queries(shopper_client, reverse("orders:list"), 8, django_assert_num_queries)
    get_in_queries(shopper_client, reverse("orders:list") + "?tab=done&q=shirt", 8, django_assert_num_queries)
