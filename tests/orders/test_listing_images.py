"""Listing images: the shopper's screenshots when ordering (and later), the purchaser's seller
photos in the order admin; checked like QC photos, stored without metadata, shown to the order's
shopper and staff only."""

import threading
from decimal import Decimal
from io import BytesIO

import pytest
from django.db import connection
from django.urls import reverse
from PIL import Image

from common.renditions import prepare_image
from ledger.selectors import wallet_balance
from orders import services
from orders.models import ListingImage, Order, OrderEvent
from orders.selectors import listing_images_for_order, listing_thumbs_for_orders
from tests.factories import OrderFactory, SupportFactory, UserFactory, fund
from tests.qc.conftest import stored_files
from tests.qc.images import jpeg, photo_with_exif, png, upload

S = Order.Status

ORDER_FIELDS = {
    "product_url": "https://item.taobao.com/item.htm?id=777",
    "product_title": "Linen shirt",
    "option_text": "M",
    "unit_price": "129.00",
    "quantity": "1",
    "domestic_shipping": "8.00",
    "remark": "",
    "expected_total": "137.00",  # the total the page showed
}


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def screenshot(name: str = "listing.png", size=(390, 844), colour=(240, 240, 240)):
    return upload(name, png(size=size, color=colour), "image/png")


def _place(client, *files):
    return client.post(reverse("orders:new"), {**ORDER_FIELDS, "listing_images": list(files)})


def _no_metadata(data: bytes) -> None:
    with Image.open(BytesIO(data)) as image:
        exif = image.getexif()
        assert 0x8825 not in exif and 0x010F not in exif  # no GPS, no camera
        assert "comment" not in image.info and "xmp" not in image.info


# --- Placing an order with screenshots ---------------------------------------------------------


@pytest.mark.django_db
def test_screenshots_attached_when_ordering_are_stored_as_renditions_without_metadata(shopper_client, shopper, media):
    fund(shopper, "200.00")

    response = _place(shopper_client, screenshot(), upload("phone.jpg", photo_with_exif(size=(800, 400))))

    order = Order.objects.get(shopper=shopper)
    assert response.status_code == 302 and response.url == order.get_absolute_url()
    images = listing_images_for_order(order=order)
    assert [image.source for image in images] == [ListingImage.Source.SHOPPER] * 2
    phone = next(image for image in images if image.original_name == "phone.jpg")
    assert (phone.width, phone.height) == (400, 800)  # turned upright as the EXIF says
    for image in images:
        for rendition in ("full", "display", "thumb"):
            with getattr(image, rendition).open("rb") as stored:
                _no_metadata(stored.read())
        assert max(image.thumb_width, image.thumb_height) <= 400
    assert OrderEvent.objects.filter(order=order, note="2 screenshots of the listing attached.").exists()
    assert wallet_balance(user=shopper) == Decimal("63.00")


@pytest.mark.django_db
def test_a_refused_screenshot_is_a_form_error_and_nothing_is_created_or_charged(shopper_client, shopper, media):
    fund(shopper, "200.00")

    response = _place(shopper_client, screenshot(), upload("notes.png", b"just some text", "image/png"))

    assert response.status_code == 400
    assert "“notes.png”: This file is not a JPEG, PNG or WebP image." in response.text
    assert not Order.objects.exists()
    assert stored_files(media) == []
    assert wallet_balance(user=shopper) == Decimal("200.00")


@pytest.mark.django_db
def test_more_screenshots_than_allowed_are_refused(shopper_client, shopper, media, settings):
    fund(shopper, "200.00")
    settings.LISTING_IMAGES_MAX = 2

    response = _place(shopper_client, *(screenshot(f"s{i}.png", colour=(i, 0, 0)) for i in range(3)))

    assert response.status_code == 400
    assert "Attach at most 2 images." in response.text
    assert not Order.objects.exists()


@pytest.mark.django_db
def test_the_same_screenshot_twice_is_refused(shopper_client, shopper, media):
    fund(shopper, "200.00")

    response = _place(shopper_client, screenshot("a.png"), screenshot("b.png"))

    assert response.status_code == 400
    assert "“b.png” was chosen twice." in response.text


@pytest.mark.django_db
def test_with_too_little_balance_no_screenshot_is_left_in_storage(shopper_client, shopper, media):
    fund(shopper, "10.00")

    response = _place(shopper_client, screenshot())

    assert response.status_code == 402
    assert not Order.objects.exists()
    assert stored_files(media) == []


# --- Adding later, and the purchaser's photos ----------------------------------------------------


@pytest.mark.django_db
def test_the_shopper_adds_screenshots_from_the_order_page(shopper_client, shopper, media):
    order = OrderFactory(shopper=shopper, status=S.PURCHASED)

    response = shopper_client.post(
        reverse("orders:listing_images_add", args=[order.number]), {"images": [screenshot()]}
    )

    assert response.status_code == 302
    page = shopper_client.get(order.get_absolute_url()).text
    [image] = listing_images_for_order(order=order)
    assert image.thumb_url in page
    assert "Listing images" in page


@pytest.mark.django_db
def test_adding_beyond_the_limit_from_the_order_page_changes_nothing(shopper_client, shopper, media, settings):
    settings.LISTING_IMAGES_MAX = 1
    order = OrderFactory(shopper=shopper, status=S.PURCHASED)
    url = reverse("orders:listing_images_add", args=[order.number])
    shopper_client.post(url, {"images": [screenshot("one.png")]})
    before = stored_files(media)

    response = shopper_client.post(url, {"images": [screenshot("two.png", colour=(1, 2, 3))]})

    assert response.status_code == 409
    assert "at most 1 listing image from each side; 0 more can be added" in response.text
    assert ListingImage.objects.filter(order=order).count() == 1
    assert stored_files(media) == before


@pytest.mark.django_db
def test_the_purchaser_attaches_the_sellers_photos_in_the_order_admin(support_client, support, media):
    order = OrderFactory(status=S.PAID)
    change = reverse("admin:orders_order_change", args=[order.pk])
    assert "When buying, attach the seller's listing photos" in support_client.get(change).text

    response = support_client.post(
        reverse("admin:orders_order_listing_images", args=[order.pk]),
        {"images": [upload("seller-1.jpg", jpeg(size=(800, 800))), upload("seller-2.webp", jpeg(size=(600, 900)))]},
        follow=True,
    )

    assert "seller-2.webp" in response.text  # a JPEG named .webp: refused by the upload checks
    assert ListingImage.objects.filter(order=order).count() == 0

    response = support_client.post(
        reverse("admin:orders_order_listing_images", args=[order.pk]),
        {"images": [upload("seller-1.jpg", jpeg(size=(800, 800)))]},
        follow=True,
    )
    assert "1 photo of the seller&#x27;s listing attached." in response.text
    [image] = ListingImage.objects.filter(order=order)
    assert (image.source, image.uploaded_by) == (ListingImage.Source.PURCHASER, support)
    assert image.thumb_url in response.text


@pytest.mark.django_db
def test_only_a_purchaser_attaches_or_removes_sellers_photos(client, inspector, media):
    order = OrderFactory(status=S.PAID)
    client.force_login(inspector)  # may view orders and listing images, not buy

    page = client.get(reverse("admin:orders_order_change", args=[order.pk])).text
    assert "Listing images" in page and 'name="images"' not in page
    response = client.post(
        reverse("admin:orders_order_listing_images", args=[order.pk]),
        {"images": [upload("seller.jpg", jpeg())]},
        follow=True,
    )
    assert "You are not allowed to attach listing images to this order." in response.text
    assert not ListingImage.objects.exists()


@pytest.mark.django_db
def test_removing_a_listing_image_deletes_its_files_after_commit(
    support_client, media, django_capture_on_commit_callbacks
):
    order = OrderFactory(status=S.PAID)
    [image] = services.listing_images_add(
        order=order, images=[prepare_image(screenshot())], source=ListingImage.Source.PURCHASER, by=SupportFactory()
    )
    assert len(stored_files(media)) == 3

    with django_capture_on_commit_callbacks(execute=True):
        support_client.post(reverse("admin:orders_order_listing_image_delete", args=[order.pk, image.pk]))

    assert not ListingImage.objects.exists()
    assert stored_files(media) == []
    assert OrderEvent.objects.filter(order=order, shopper_visible=False, note__contains="removed").exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_uploads_racing_for_the_last_place_cannot_both_take_it(settings, media):
    settings.LISTING_IMAGES_MAX = 1
    order = OrderFactory(status=S.PURCHASED)
    prepared = [prepare_image(screenshot(f"{i}.png", colour=(i, i, i))) for i in range(20)]
    start = threading.Barrier(20)
    outcomes: list[str] = []

    def attach(image) -> None:
        try:
            start.wait()
            services.listing_images_add(
                order=order, images=[image], source=ListingImage.Source.SHOPPER, by=order.shopper
            )
            outcomes.append("added")
        except services.OrderActionError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=attach, args=(image,)) for image in prepared]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["added"] + ["refused"] * 19
    assert ListingImage.objects.filter(order=order).count() == 1
    assert len(stored_files(media)) == 3  # the refused ones stored nothing


# --- Who sees them -------------------------------------------------------------------------------


@pytest.fixture
def listing_image(media):
    order = OrderFactory(status=S.PURCHASED, shopper=UserFactory(email="owner@example.com"))
    [image] = services.listing_images_add(
        order=order, images=[prepare_image(screenshot())], source=ListingImage.Source.SHOPPER, by=order.shopper
    )
    return image


@pytest.mark.django_db
@pytest.mark.parametrize("rendition", ["thumb", "display", "full"])
def test_the_shopper_and_staff_see_a_listing_image(client, inspector, listing_image, rendition):
    for viewer in (listing_image.order.shopper, inspector):
        client.force_login(viewer)
        response = client.get(listing_image.url(rendition))
        assert response.status_code == 200
        assert response["Content-Type"] == "image/jpeg"
        assert response["Cache-Control"] == "private, no-cache"
        with Image.open(BytesIO(b"".join(response.streaming_content))) as image:
            assert image.format == "JPEG"


@pytest.mark.django_db
def test_another_shopper_gets_404_on_every_listing_url(shopper_client, listing_image):
    order = listing_image.order

    assert shopper_client.get(listing_image.url("thumb")).status_code == 404
    assert shopper_client.get(listing_image.url("original")).status_code == 404
    response = shopper_client.post(
        reverse("orders:listing_images_add", args=[order.number]),
        {"images": [screenshot("mine.png", colour=(9, 9, 9))]},
    )
    assert response.status_code == 404
    assert ListingImage.objects.filter(order=order).count() == 1


@pytest.mark.django_db
def test_anonymous_visitors_get_no_listing_image(client, listing_image):
    response = client.get(listing_image.url("thumb"))
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


# --- For the order list (w12a) and the inspection page -------------------------------------------


@pytest.mark.django_db
def test_the_first_listing_thumbnail_of_a_page_of_orders_takes_one_query(media, django_assert_num_queries):
    purchaser = SupportFactory()
    orders = [OrderFactory(status=S.PURCHASED) for _ in range(5)]
    for i, order in enumerate(orders[:4]):
        services.listing_images_add(
            order=order,
            images=[prepare_image(screenshot(f"s{i}.png", colour=(i, 1, 1)))],
            source=ListingImage.Source.SHOPPER,
            by=order.shopper,
        )
    [seller] = services.listing_images_add(
        order=orders[0],
        images=[prepare_image(screenshot("seller.png", colour=(50, 60, 70)))],
        source=ListingImage.Source.PURCHASER,
        by=purchaser,
    )

    with django_assert_num_queries(1):
        thumbs = listing_thumbs_for_orders(orders=orders)
        urls = {order_id: image.thumb_url for order_id, image in thumbs.items()}

    assert set(thumbs) == {order.pk for order in orders[:4]}
    assert thumbs[orders[0].pk] == seller  # the seller's photo pictures the item best
    assert urls[orders[0].pk] == seller.thumb_url
    assert listing_thumbs_for_orders(orders=[]) == {}


@pytest.mark.django_db
def test_staff_do_not_remove_the_shoppers_screenshots(support_client, media):
    order = OrderFactory(status=S.PAID)
    [image] = services.listing_images_add(
        order=order, images=[prepare_image(screenshot())], source=ListingImage.Source.SHOPPER, by=order.shopper
    )
    assert (
        reverse("admin:orders_order_listing_image_delete", args=[order.pk, image.pk])
        not in support_client.get(reverse("admin:orders_order_change", args=[order.pk])).text
    )

    response = support_client.post(
        reverse("admin:orders_order_listing_image_delete", args=[order.pk, image.pk]), follow=True
    )

    assert "You are not allowed to remove this listing image." in response.text
    assert ListingImage.objects.filter(pk=image.pk).exists()
