"""Comparing listing images with QC photos: the page, who may see it, and its queries."""

import pytest
from django.urls import reverse

from common.renditions import prepare_image
from orders import services as orders
from orders.models import ListingImage, Order
from tests.factories import OrderFactory, SupportFactory
from tests.qc.conftest import add_photos, failed_round
from tests.qc.images import png, upload
from tests.queries import get_in_queries

pytestmark = pytest.mark.django_db


def attach(order: Order, count: int, *, source=ListingImage.Source.SHOPPER, by=None) -> list[ListingImage]:
    images = [
        prepare_image(upload(f"l{i}.png", png(size=(300, 600), color=(i, 90, 200)), "image/png")) for i in range(count)
    ]
    return orders.listing_images_add(order=order, images=images, source=source, by=by or order.shopper)


@pytest.fixture
def compared(shopper, inspector):
    inspection = failed_round(OrderFactory(shopper=shopper, status=Order.Status.AWAITING_QC), inspector, photos=3)
    attach(inspection.order, 2)
    return inspection


def compare_url(order: Order, **query) -> str:
    url = reverse("qc:compare", args=[order.number])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def test_the_page_shows_the_first_listing_image_beside_the_first_qc_photo(shopper_client, compared):
    order = compared.order
    listing = ListingImage.objects.filter(order=order).order_by("position")
    photos = list(compared.photos.order_by("position"))

    html = shopper_client.get(compare_url(order)).text

    assert f'data-cmp-img="listing" src="{listing[0].display_url}"' in html
    assert f'data-cmp-img="qc" src="{photos[0].display_url}"' in html
    assert 'x="0.1000" y="0.2000" width="0.3000" height="0.2500"' in html  # the defect box on the photo
    assert html.count('name="listing"') == 2 and html.count('name="photo"') == 3
    assert "js/compare.js" in html
    assert " style=" not in html and "<script>" not in html  # CSP


def test_the_query_string_chooses_the_pair_and_nonsense_is_ignored(shopper_client, compared):
    order = compared.order
    second = ListingImage.objects.filter(order=order).order_by("position")[1]
    third = compared.photos.order_by("position")[2]

    html = shopper_client.get(compare_url(order, listing=second.pk, photo=third.pk, mode="slider")).text
    assert f'data-cmp-img="listing" src="{second.display_url}"' in html
    assert f'data-cmp-img="qc" src="{third.display_url}"' in html
    assert 'data-mode="slider"' in html

    response = shopper_client.get(compare_url(order, listing="x", photo=999999, mode="upside-down"))
    assert response.status_code == 200 and 'data-mode="side"' in response.text


def test_without_listing_images_the_page_says_how_to_add_them(shopper_client, shopper, inspector):
    inspection = failed_round(OrderFactory(shopper=shopper, status=Order.Status.AWAITING_QC), inspector)
    html = shopper_client.get(compare_url(inspection.order)).text
    assert "There is no listing image for this order yet." in html
    assert "data-cmp-stage" not in html


def test_a_round_in_progress_is_not_offered_to_the_shopper_but_is_to_staff(client, shopper, inspector, open_round):
    [photo] = add_photos(open_round, 1, by=inspector)
    attach(open_round.order, 1)

    client.force_login(shopper)
    assert photo.display_url not in client.get(compare_url(open_round.order)).text
    client.force_login(inspector)
    assert photo.display_url in client.get(compare_url(open_round.order)).text


def test_another_shopper_gets_404(client, other_shopper, compared):
    client.force_login(other_shopper)
    assert client.get(compare_url(compared.order)).status_code == 404


def test_support_compares_any_order(client, compared):
    client.force_login(SupportFactory())
    assert client.get(compare_url(compared.order)).status_code == 200


@pytest.mark.parametrize(("listing", "photos"), [(1, 1), (6, 40)])
def test_the_compare_page_runs_a_pinned_number_of_queries(
    shopper, shopper_client, inspector, listing, photos, django_assert_num_queries
):
    inspection = failed_round(
        OrderFactory(shopper=shopper, status=Order.Status.AWAITING_QC), inspector, photos=photos, defects=photos
    )
    attach(inspection.order, listing)
    # Session and user, the viewer's permissions (user and groups), the order, its listing images,
    # its rounds with their photos and boxes; the header's unread count and balance.
    get_in_queries(shopper_client, compare_url(inspection.order), 11, django_assert_num_queries)


def test_the_order_page_lists_the_listing_images_and_links_to_the_comparison(shopper_client, compared):
    html = shopper_client.get(compared.order.get_absolute_url()).text

    assert "Listing images" in html
    assert f'href="{compare_url(compared.order)}"' in html
    for image in ListingImage.objects.filter(order=compared.order):
        assert image.thumb_url in html


def test_the_listing_section_costs_two_queries(shopper, compared, django_assert_num_queries):
    from qc.selectors import order_listing_section

    with django_assert_num_queries(2):
        section = order_listing_section(order=compared.order, user=shopper)
    assert len(section.context["listing"]) == 2 and section.context["compare_url"]
