"""The shot list: the photos each product category needs, tagged as they are uploaded, shown as
missing until taken, and asked about before a verdict; the parcel's weight; the category."""

import threading

import pytest
from django.db import connections
from django.urls import reverse

from orders.models import Order, ProductCategory
from qc import selectors, services
from qc.exceptions import MissingShots
from qc.models import Defect, Inspection, QCPhoto, ShotListItem
from tests.factories import OrderFactory, fund
from tests.qc.conftest import add_photos
from tests.qc.images import jpeg, upload

pytestmark = pytest.mark.django_db

CLOTHING = ["Front", "Back", "Label / size tag", "Measurements with a ruler", "Close-up of the fabric"]


def shot(category: str, name: str) -> ShotListItem:
    return ShotListItem.objects.get(category=category, name=name)


@pytest.fixture
def clothing_round(inspector) -> Inspection:
    order = OrderFactory(status=Order.Status.AWAITING_QC, category=ProductCategory.CLOTHING)
    return services.inspection_open(order=order, by=inspector)


def tagged_upload(inspection, inspector, n: int, **kwargs) -> QCPhoto:
    return services.photo_add(
        inspection=inspection,
        uploaded_file=upload(f"p{n}.jpg", jpeg(color=(n * 37 % 256, n * 11 % 256, 20))),
        by=inspector,
        **kwargs,
    )


def test_every_category_starts_with_a_shot_list():
    lists = selectors.shot_lists()
    assert set(lists) == set(ProductCategory.values)
    assert [item.name for item in lists["clothing"]] == CLOTHING
    assert "Sole" in [item.name for item in lists["shoes"]]
    assert "Serial number" in [item.name for item in lists["electronics"]]


def test_uploads_take_the_next_missing_shot_in_the_lists_order(clothing_round, inspector):
    tagged_upload(clothing_round, inspector, 1, shot=shot("clothing", "Back"))
    photos = [tagged_upload(clothing_round, inspector, n, tag_next_shot=True) for n in range(2, 5)]
    assert [photo.shot.name for photo in photos] == ["Front", "Label / size tag", "Measurements with a ruler"]
    assert [s.name for s in selectors.shots_missing(inspection=clothing_round)] == ["Close-up of the fabric"]

    tagged_upload(clothing_round, inspector, 5, tag_next_shot=True)
    extra = tagged_upload(clothing_round, inspector, 6, tag_next_shot=True)
    assert extra.shot is None  # every shot is taken: nothing to guess
    assert not selectors.shots_missing(inspection=clothing_round).exists()
    with pytest.raises(services.QCError, match="is not on the shot list of Clothing"):
        tagged_upload(clothing_round, inspector, 7, shot=shot("shoes", "Sole"))


def test_a_photo_that_could_not_be_processed_covers_no_shot(clothing_round, inspector):
    photo = tagged_upload(clothing_round, inspector, 1, tag_next_shot=True)
    services.photo_renditions_failed(photo_id=photo.pk, reason="OSError: broken")
    assert selectors.shots_missing(inspection=clothing_round).first().name == "Front"


def test_retired_shots_are_no_longer_asked_for(clothing_round):
    ShotListItem.objects.filter(category="clothing").exclude(name="Front").update(active=False)
    assert [s.name for s in selectors.shots_missing(inspection=clothing_round)] == ["Front"]


def test_describing_a_photo_sets_its_caption_and_shot(clothing_round, inspector):
    photo = tagged_upload(clothing_round, inspector, 1)
    photo = services.photo_describe(photo=photo, by=inspector, caption="Left sleeve", shot=shot("clothing", "Back"))
    assert (photo.caption, photo.shot.name) == ("Left sleeve", "Back")
    assert photo.label(2) == "Photo 2 · Left sleeve"
    photo = services.photo_describe(photo=photo, by=inspector, caption="", shot=None)
    assert (photo.caption, photo.shot) == ("", None)
    assert photo.label(2) == "Photo 2"


@pytest.mark.parametrize(
    "refused",
    [lambda: shot("shoes", "Sole"), lambda: ShotListItem.objects.filter(name="Front", category="clothing").first()],
    ids=["another category's shot", "a retired shot"],
)
def test_a_shot_off_the_orders_list_is_refused(clothing_round, inspector, refused):
    ShotListItem.objects.filter(category="clothing", name="Front").update(active=False)
    photo = tagged_upload(clothing_round, inspector, 1)
    with pytest.raises(services.QCError, match="is not on the shot list of Clothing"):
        services.photo_describe(photo=photo, by=inspector, caption="x", shot=refused())
    photo.refresh_from_db()
    assert (photo.caption, photo.shot) == ("", None)


def test_reordering_needs_exactly_the_rounds_photos(clothing_round, inspector):
    a, b, c = add_photos(clothing_round, 3, by=inspector)
    moved = services.photos_reorder(inspection=clothing_round, by=inspector, photo_ids=[c.pk, a.pk, b.pk])
    assert [photo.pk for photo in moved] == [c.pk, a.pk, b.pk]
    assert list(clothing_round.photos.values_list("pk", flat=True)) == [c.pk, a.pk, b.pk]
    other = add_photos(
        services.inspection_open(order=OrderFactory(status="awaiting_qc"), by=inspector), 1, by=inspector
    )
    for ids in ([a.pk, b.pk], [a.pk, b.pk, c.pk, c.pk], [a.pk, b.pk, other[0].pk], []):
        with pytest.raises(services.QCError, match="changed meanwhile"):
            services.photos_reorder(inspection=clothing_round, by=inspector, photo_ids=ids)
    assert list(clothing_round.photos.values_list("pk", flat=True)) == [c.pk, a.pk, b.pk]


def test_a_completed_round_cannot_change(clothing_round, inspector):
    [photo] = add_photos(clothing_round, 1, by=inspector)
    services.inspection_complete(inspection=clothing_round, by=inspector, result=Inspection.Result.PASSED)
    photo.inspection.refresh_from_db()
    attempts = [
        lambda: services.photo_describe(photo=photo, by=inspector, caption="late", shot=None),
        lambda: services.photos_reorder(inspection=clothing_round, by=inspector, photo_ids=[photo.pk]),
        lambda: services.inspection_set_category(inspection=clothing_round, by=inspector, category="shoes"),
        lambda: services.inspection_update(
            inspection=clothing_round,
            by=inspector,
            public_note="late",
            internal_note="",
            weight_grams=5,
            category="shoes",
        ),
    ]
    for attempt in attempts:
        with pytest.raises(services.QCError, match="complete"):
            attempt()
    clothing_round.refresh_from_db()
    assert (clothing_round.public_note, clothing_round.weight_grams, clothing_round.order.category) == (
        "",
        None,
        "clothing",
    )


def test_the_round_records_the_weight_and_notes_and_sets_the_orders_category(clothing_round, inspector):
    front = tagged_upload(clothing_round, inspector, 1, tag_next_shot=True)
    inspection = services.inspection_update(
        inspection=clothing_round, by=inspector, public_note="Fine", internal_note="Box dented", weight_grams=640,
        category=ProductCategory.SHOES,
    )  # fmt: skip
    assert (inspection.public_note, inspection.internal_note, inspection.weight_grams) == ("Fine", "Box dented", 640)
    assert Order.objects.get(pk=clothing_round.order_id).category == "shoes"
    # The photo's clothing shot means nothing for shoes: its tag goes, the shoe list is missing.
    front.refresh_from_db()
    assert front.shot is None
    assert selectors.shots_missing(inspection=inspection).first().name == "Both shoes from the side"
    with pytest.raises(services.QCError, match="Choose a product category"):
        services.inspection_set_category(inspection=inspection, by=inspector, category="cars")


def test_a_verdict_without_every_shot_needs_the_inspectors_word(clothing_round, inspector):
    [photo] = add_photos(clothing_round, 1, by=inspector)
    QCPhoto.objects.filter(pk=photo.pk).update(shot=shot("clothing", "Front"))
    with pytest.raises(MissingShots) as held:
        services.inspection_complete(
            inspection=clothing_round, by=inspector, result=Inspection.Result.PASSED, allow_missing_shots=False
        )
    assert [s.name for s in held.value.shots] == CLOTHING[1:]
    assert "Back, Label / size tag" in str(held.value)
    clothing_round.refresh_from_db()
    assert clothing_round.is_open
    done = services.inspection_complete(inspection=clothing_round, by=inspector, result=Inspection.Result.PASSED)
    assert done.result == Inspection.Result.PASSED


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_uploads_at_once_take_two_different_shots(inspector):
    order = OrderFactory(status=Order.Status.AWAITING_QC, category=ProductCategory.CLOTHING)
    inspection = services.inspection_open(order=order, by=inspector)
    barrier = threading.Barrier(2)
    errors = []

    def add(n: int) -> None:
        try:
            barrier.wait(timeout=10)
            tagged_upload(inspection, inspector, n, tag_next_shot=True, renditions_in_background=False)
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=add, args=(n,)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(inspection.photos.values_list("shot__name", flat=True)) == ["Back", "Front"]


# --- Where staff see and set them --------------------------------------------------------------


NEW_ORDER = {
    "product_url": "https://weidian.com/item.html?itemID=42",
    "product_title": "Retro sneakers",
    "option_text": "EU 44",
    "unit_price": "259.00",
    "quantity": "1",
    "domestic_shipping": "10.00",
    "expected_total": "269.00",  # the total the page showed
}


@pytest.mark.parametrize(
    ("sent", "kept"), [({"category": "shoes"}, "shoes"), ({}, "other"), ({"category": ""}, "other")]
)
def test_shoppers_say_what_kind_of_item_they_order_and_not_knowing_is_fine(shopper_client, shopper, sent, kept):
    page = shopper_client.get(reverse("orders:new")).content.decode()
    assert 'name="category"' in page and "What kind of item is it?" in page
    fund(shopper, "300.00")
    shopper_client.post(reverse("orders:new"), NEW_ORDER | sent)
    assert Order.objects.get(shopper=shopper).category == kept


def test_an_unknown_category_is_refused_with_a_message(shopper_client, shopper):
    fund(shopper, "300.00")
    response = shopper_client.post(reverse("orders:new"), NEW_ORDER | {"category": "cars\x00"})
    assert response.status_code == 400 and "Select a valid choice" in response.content.decode()
    assert not Order.objects.exists()


def test_the_shopper_sees_the_parcel_weight(shopper_client, shopper, inspector):
    order = OrderFactory(shopper=shopper, status=Order.Status.AWAITING_QC)
    inspection = services.inspection_open(order=order, by=inspector)
    add_photos(inspection, 1, by=inspector)
    Inspection.objects.filter(pk=inspection.pk).update(weight_grams=1250)
    services.inspection_complete(inspection=inspection, by=inspector, result=Inspection.Result.PASSED)
    assert "Parcel weight: 1250 g" in shopper_client.get(order.get_absolute_url()).content.decode()


def test_support_sets_the_category_on_the_order(support_client):
    order = OrderFactory(status=Order.Status.PAID)
    url = reverse("admin:orders_order_change", args=[order.pk])
    page = support_client.get(url)
    data = {
        name: field.value()
        for name, field in ((n, page.context["adminform"].form[n]) for n in page.context["adminform"].form.fields)
    }
    assert data["category"] == "other"
    for prefix in ("events", "return_requests", "discount_requests", "ledger_transactions"):
        data |= {f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"}
    response = support_client.post(url, {k: v for k, v in data.items() if v is not None} | {"category": "bags"})
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.category == "bags"


def test_inspectors_keep_the_shot_list_in_the_admin(client, inspector, support):
    client.force_login(inspector)
    listing = client.get(reverse("admin:qc_shotlistitem_changelist") + "?category__exact=shoes")
    assert listing.status_code == 200 and "Sole" in listing.content.decode()
    response = client.post(
        reverse("admin:qc_shotlistitem_add"), {"category": "shoes", "name": "Laces", "position": "9", "active": "on"}
    )
    assert response.status_code == 302
    assert ShotListItem.objects.filter(category="shoes", name="Laces", active=True).exists()
    client.force_login(support)
    assert client.get(reverse("admin:qc_shotlistitem_add")).status_code == 403


def test_a_shot_a_photo_covers_cannot_be_deleted(clothing_round, inspector):
    photo = tagged_upload(clothing_round, inspector, 1, tag_next_shot=True)
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        photo.shot.delete()
    assert Defect.objects.count() == 0
