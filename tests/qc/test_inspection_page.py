"""The inspection page's server side: what it shows an inspector, and the small JSON endpoints its
script calls (photo states, caption and shot, order, delete, retry, category). Every bad request
is a 4xx with a message and changes nothing: unknown or foreign ids, completed rounds, NUL
characters, wrong types, staff without the permission."""

import re

import pytest
from django.urls import reverse

from common.renditions import prepare_image
from orders.models import ListingImage, Order, ProductCategory
from orders.services import listing_images_add
from qc import selectors, services
from qc.models import Defect, Inspection, QCPhoto, ShotListItem
from tests.factories import OrderFactory, SupportFactory
from tests.qc.conftest import add_photos, failed_round
from tests.qc.images import jpeg, upload
from tests.qc.test_admin import change_url, form_data
from tests.queries import get_in_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def inspector_client(client, inspector):
    client.force_login(inspector)
    return client


@pytest.fixture
def clothing_round(inspector) -> Inspection:
    order = OrderFactory(
        status=Order.Status.AWAITING_QC,
        category=ProductCategory.CLOTHING,
        option_text="L / navy",
        remark="Please check the zip, the last one was broken.",
        product_url="https://item.taobao.com/item.htm?id=777",
    )
    return services.inspection_open(order=order, by=inspector)


def url(name: str, inspection, photo=None) -> str:
    args = [inspection.pk] if photo is None else [inspection.pk, photo.pk if hasattr(photo, "pk") else photo]
    return reverse(f"admin:qc_inspection_{name}", args=args)


def shot(name: str) -> ShotListItem:
    return ShotListItem.objects.get(category="clothing", name=name)


# --- The page ---------------------------------------------------------------------------------


def test_the_page_shows_what_the_inspector_needs_and_names_photos_by_number(
    inspector_client, clothing_round, inspector
):
    order = clothing_round.order
    earlier = failed_round(OrderFactory(status=Order.Status.AWAITING_QC), inspector)  # another order's: not shown
    Inspection.objects.filter(pk=clothing_round.pk).update(round_number=2)
    Inspection.objects.filter(pk=earlier.pk).update(order=order)
    first, second = add_photos(clothing_round, 2, by=inspector)
    QCPhoto.objects.filter(pk=first.pk).update(caption="", shot=shot("Front"))
    QCPhoto.objects.filter(pk=second.pk).update(caption="Zip, close up")

    html = inspector_client.get(change_url(clothing_round)).content.decode()

    assert "L / navy" in html and "Please check the zip, the last one was broken." in html
    assert 'href="https://item.taobao.com/item.htm?id=777"' in html
    assert "Earlier QC rounds" in html and "Open seam #0" in html  # round 1's defect
    assert f'<option value="{first.pk}">Photo 1 · Front</option>' in html
    assert f'<option value="{second.pk}">Photo 2 · Zip, close up</option>' in html
    assert first.key[:8] not in html and second.key[:8] not in html
    # The shot list: Front is taken by photo 1; the rest is missing.
    assert "photo 1" in html and "4 required shots missing." in html
    assert 'name="weight_grams"' in html and 'name="category"' in html


def test_a_completed_round_reads_with_photo_numbers_and_boxes(inspector_client, inspector):
    inspection = failed_round(OrderFactory(status=Order.Status.AWAITING_QC), inspector, photos=2, defects=2)
    QCPhoto.objects.filter(inspection=inspection).update(caption="")
    html = inspector_client.get(change_url(inspection)).content.decode()
    shown = re.findall(r'<td class="field-photo_shown">\s*<p>(.*?)</p>', html)
    assert shown == ["Photo 1", "Photo 2"]
    assert html.count('class="qc-box-preview__box"') == 2
    assert not any(photo.key[:8] in html for photo in inspection.photos.all())
    assert 'name="_qc_fail"' not in html and 'name="public_note"' not in html


def test_the_listing_images_are_on_the_page_to_compare_with_what_arrived(inspector_client, clothing_round):
    order = clothing_round.order
    assert selectors.inspection_workbench(inspection=clothing_round).listing_images == []
    images = listing_images_add(
        order=order,
        images=[prepare_image(upload("seller.jpg", jpeg(size=(60, 40), color=(200, 30, 30))))],
        source=ListingImage.Source.PURCHASER,
        by=SupportFactory(),
    )
    assert selectors.inspection_workbench(inspection=clothing_round).listing_images == images
    html = inspector_client.get(change_url(clothing_round)).content.decode()
    assert images[0].thumb_url in html
    assert reverse("qc:compare", args=[order.number]) in html


def test_the_weight_and_category_are_saved_with_the_form(inspector_client, clothing_round):
    data = form_data(inspector_client.get(change_url(clothing_round))) | {"weight_grams": "640", "category": "shoes"}
    response = inspector_client.post(change_url(clothing_round), data | {"_continue": "1"})
    assert response.status_code == 302
    clothing_round.refresh_from_db()
    assert (clothing_round.weight_grams, clothing_round.order.category) == (640, "shoes")


@pytest.mark.parametrize("weight", ["0", "-5", "100001", "12.5", "abc", "9" * 30])
def test_an_impossible_weight_is_refused_with_a_message(inspector_client, clothing_round, weight):
    data = form_data(inspector_client.get(change_url(clothing_round))) | {"weight_grams": weight}
    response = inspector_client.post(change_url(clothing_round), data)
    assert response.status_code == 200 and "errornote" in response.content.decode()
    clothing_round.refresh_from_db()
    assert clothing_round.weight_grams is None


def test_new_defects_and_measurements_go_after_the_ones_there(inspector_client, clothing_round):
    clothing_round.measurements.create(name="Chest", listed_value="56.00", measured_value="52.50", position=4)
    data = form_data(inspector_client.get(change_url(clothing_round)))
    data |= {"measurements-TOTAL_FORMS": "3", "_continue": "1"}
    for index, name in ((1, "Length"), (2, "Sleeve")):
        data |= {
            f"measurements-{index}-name": name,
            f"measurements-{index}-listed_value": "70",
            f"measurements-{index}-measured_value": "70",
            f"measurements-{index}-unit": "cm",
        }
    assert inspector_client.post(change_url(clothing_round), data).status_code == 302
    assert list(clothing_round.measurements.values_list("name", "position")) == [
        ("Chest", 4),
        ("Length", 5),
        ("Sleeve", 6),
    ]


def test_measurements_show_their_difference_against_the_tolerance(inspector_client, clothing_round):
    clothing_round.measurements.create(name="Chest", listed_value="56.00", measured_value="52.50")
    clothing_round.measurements.create(name="Length", listed_value="72.00", measured_value="72.50")
    html = inspector_client.get(change_url(clothing_round)).content.decode()
    assert "−3.5 cm (−6.3 %)" in html and "+0.5 cm (+0.7 %)" in html
    assert html.count("qc-diff--off") == 1  # chest: more than 3 % off


def test_a_verdict_with_missing_shots_waits_for_the_inspectors_word(inspector_client, clothing_round, inspector):
    [photo] = add_photos(clothing_round, 1, by=inspector)
    QCPhoto.objects.filter(pk=photo.pk).update(shot=shot("Front"))
    data = form_data(inspector_client.get(change_url(clothing_round))) | {"_qc_pass": "1", "public_note": "Looks new"}

    response = inspector_client.post(change_url(clothing_round), data, follow=True)
    assert "required shots are missing (Back, Label / size tag" in response.content.decode()
    clothing_round.refresh_from_db()
    assert clothing_round.is_open and clothing_round.public_note == "Looks new"  # saved, not completed

    response = inspector_client.post(change_url(clothing_round), data | {"_qc_missing_ok": "1"})
    assert response.status_code == 302
    clothing_round.refresh_from_db()
    assert clothing_round.result == Inspection.Result.PASSED


def test_the_page_and_its_poll_run_a_constant_number_of_queries(
    inspector_client, inspector, django_assert_num_queries
):
    rounds = []
    for count in (1, 8):
        inspection = services.inspection_open(order=OrderFactory(status=Order.Status.AWAITING_QC), by=inspector)
        photos = add_photos(inspection, count, by=inspector, ready=False)
        for photo in photos[: count // 2]:
            services.photo_make_renditions(photo_id=photo.pk)
        services.photo_renditions_failed(photo_id=photos[-1].pk, reason="OSError: gone")
        rounds.append(inspection)
    for inspection in rounds:
        body = get_in_queries(inspector_client, url("photos", inspection), 6, django_assert_num_queries)
        assert body.count('"state"') == inspection.photos.count()
        get_in_queries(inspector_client, change_url(inspection), 16, django_assert_num_queries)


# --- The photo states endpoint ----------------------------------------------------------------


def test_the_poll_says_which_photos_are_ready_processing_or_failed(inspector_client, clothing_round, inspector):
    ready, waiting, broken = add_photos(clothing_round, 3, by=inspector, ready=False)
    services.photo_make_renditions(photo_id=ready.pk)
    services.photo_renditions_failed(photo_id=broken.pk, reason="OSError: disk full")

    photos = inspector_client.get(url("photos", clothing_round)).json()["photos"]

    assert [(p["id"], p["state"]) for p in photos] == [
        (ready.pk, "ready"),
        (waiting.pk, "processing"),
        (broken.pk, "failed"),
    ]
    assert photos[0]["thumb"] == f"/qc/photos/{ready.pk}/thumb/" and photos[0]["thumbWidth"] == 40
    assert photos[0]["details"].startswith("40×30 px, ")
    assert photos[1]["thumb"] == "" and photos[2]["error"] == "OSError: disk full"


def test_support_may_watch_the_photos_but_shoppers_never(client, support, shopper, clothing_round):
    client.force_login(support)
    assert client.get(url("photos", clothing_round)).status_code == 200
    client.force_login(shopper)
    response = client.get(url("photos", clothing_round))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


# --- Editing: every refusal is a clear 4xx and changes nothing ----------------------------------


def post(client, address: str, data: dict | None = None):
    return client.post(address, data or {}, headers={"accept": "application/json"})


def test_captions_and_shots_are_saved_as_they_are_edited(inspector_client, clothing_round, inspector):
    [photo] = add_photos(clothing_round, 1, by=inspector)
    response = post(
        inspector_client, url("photo", clothing_round, photo), {"caption": "  Zip  ", "shot": shot("Back").pk}
    )
    assert response.status_code == 200
    assert (response.json()["photo"]["caption"], response.json()["photo"]["shot"]) == ("Zip", shot("Back").pk)
    photo.refresh_from_db()
    assert (photo.caption, photo.shot.name) == ("Zip", "Back")


def test_photos_are_put_in_the_order_they_were_dragged_to(inspector_client, clothing_round, inspector):
    a, b = add_photos(clothing_round, 2, by=inspector)
    response = post(inspector_client, url("photo_order", clothing_round), {"photo": [b.pk, a.pk]})
    assert response.json() == {"ok": True, "order": [b.pk, a.pk]}
    assert list(clothing_round.photos.values_list("pk", flat=True)) == [b.pk, a.pk]


def test_deleting_a_photo_keeps_its_defects_without_their_box(inspector_client, clothing_round, inspector):
    [photo] = add_photos(clothing_round, 1, by=inspector)
    defect = Defect.objects.create(
        inspection=clothing_round,
        kind="stain",
        description="Ink",
        photo=photo,
        box_x=0.1,
        box_y=0.1,
        box_w=0.2,
        box_h=0.2,
    )
    response = post(inspector_client, url("photo_delete", clothing_round, photo))
    assert response.status_code == 200 and response.json()["cleared"] == [defect.pk]
    assert "has been cleared; the defect is kept" in response.json()["message"]
    assert not QCPhoto.objects.filter(pk=photo.pk).exists()
    defect.refresh_from_db()
    assert (defect.photo, defect.box_x, defect.description) == (None, None, "Ink")


def test_the_form_saves_after_the_page_deleted_a_photo(inspector_client, clothing_round, inspector):
    """The page deletes at once (the endpoint) and marks the card's form row deleted: saving the
    form afterwards skips the row of the photo that is gone."""
    first, second = add_photos(clothing_round, 2, by=inspector)
    data = form_data(inspector_client.get(change_url(clothing_round)))
    assert post(inspector_client, url("photo_delete", clothing_round, first)).status_code == 200
    data |= {"photos-0-DELETE": "on", "photos-1-caption": "Kept", "_continue": "1"}
    response = inspector_client.post(change_url(clothing_round), data)
    assert response.status_code == 302
    assert list(clothing_round.photos.values_list("pk", "caption")) == [(second.pk, "Kept")]


def test_the_category_is_set_from_the_round(inspector_client, clothing_round, inspector):
    [photo] = add_photos(clothing_round, 1, by=inspector)
    QCPhoto.objects.filter(pk=photo.pk).update(shot=shot("Front"))
    response = post(inspector_client, url("category", clothing_round), {"category": "bags"})
    assert response.json()["category"] == "bags" and response.json()["photos"][0]["shot"] is None
    assert Order.objects.get(pk=clothing_round.order_id).category == "bags"


def test_retrying_a_failed_photo_answers_json(inspector_client, clothing_round, inspector):
    [photo] = add_photos(clothing_round, 1, by=inspector, ready=False)
    services.photo_renditions_failed(photo_id=photo.pk, reason="OSError: gone")
    response = post(inspector_client, url("retry_renditions", clothing_round, photo))
    assert response.status_code == 200 and response.json()["photo"]["state"] == "processing"


def test_uploading_for_a_missing_shot(inspector_client, clothing_round):
    response = post(
        inspector_client, url("upload", clothing_round), {"photo": upload("sole.jpg", jpeg()), "shot": shot("Back").pk}
    )
    assert response.json()["results"][0]["photo"]["shot"] == shot("Back").pk


ENDPOINTS = ["photo", "photo_order", "photo_delete", "retry_renditions", "category"]


def _address(name: str, inspection, photo) -> str:
    return (
        url(name, inspection, photo)
        if name in ("photo", "photo_delete", "retry_renditions")
        else url(name, inspection)
    )


@pytest.mark.parametrize("name", ENDPOINTS)
def test_every_endpoint_wants_a_post(inspector_client, clothing_round, inspector, name):
    [photo] = add_photos(clothing_round, 1, by=inspector)
    assert inspector_client.get(_address(name, clothing_round, photo)).status_code == 405


@pytest.mark.parametrize("name", ["photos", *ENDPOINTS, "upload"])
@pytest.mark.parametrize("pk", ["abc", "0", "999999", str(2**70)])
def test_an_unknown_round_is_404(inspector_client, clothing_round, name, pk):
    address = _address(name, clothing_round, 1).replace(f"/inspection/{clothing_round.pk}/", f"/inspection/{pk}/")
    response = inspector_client.get(address) if name == "photos" else post(inspector_client, address)
    assert response.status_code == 404
    assert response.json()["errors"]


@pytest.mark.parametrize("name", ["photo", "photo_delete", "retry_renditions"])
@pytest.mark.parametrize("foreign", ["another round's photo", "no such photo", "a huge id"])
def test_a_photo_of_another_round_is_404(inspector_client, clothing_round, inspector, name, foreign):
    other = services.inspection_open(order=OrderFactory(status=Order.Status.AWAITING_QC), by=inspector)
    [theirs] = add_photos(other, 1, by=inspector)
    photo_id = {"another round's photo": theirs.pk, "no such photo": 999999, "a huge id": 2**70}[foreign]
    response = post(inspector_client, url(name, clothing_round, photo_id), {"caption": "mine now"})
    assert response.status_code == 404 and response.json()["errors"]
    theirs.refresh_from_db()
    assert theirs.caption == "Photo 0"


@pytest.mark.parametrize("name", ["photo", "photo_order", "photo_delete", "category"])
def test_a_completed_round_is_409(inspector_client, clothing_round, inspector, name):
    [photo] = add_photos(clothing_round, 1, by=inspector)
    services.inspection_complete(inspection=clothing_round, by=inspector, result=Inspection.Result.PASSED)
    data = {"caption": "late", "photo": [photo.pk], "category": "bags"}
    response = post(inspector_client, _address(name, clothing_round, photo), data)
    assert response.status_code == 409
    assert response.json()["errors"] == ["This QC round is complete; it cannot change."]
    photo.refresh_from_db()
    assert photo.caption == "Photo 0"


@pytest.mark.parametrize("name", ENDPOINTS)
def test_support_staff_may_not_change_anything(client, support, clothing_round, inspector, name):
    [photo] = add_photos(clothing_round, 1, by=inspector, ready=False)
    services.photo_renditions_failed(photo_id=photo.pk, reason="x")
    client.force_login(support)
    response = post(client, _address(name, clothing_round, photo), {"caption": "x", "photo": [photo.pk]})
    assert response.status_code == 403 and response.json()["errors"]
    assert QCPhoto.objects.filter(pk=photo.pk, caption="Photo 0", renditions_failed_at__isnull=False).exists()


BAD_INPUT = {
    "photo": [
        ({"caption": "Front\x00"}, 400, "Null characters are not allowed."),
        ({"caption": "x" * 201}, 400, "at most 200 characters"),
        ({"shot": "abc"}, 400, "Select a valid choice"),
        ({"shot": "999999"}, 400, "Select a valid choice"),
        ({"shot": "1.5"}, 400, "Select a valid choice"),
        ({"shot": "__shoes__"}, 409, "is not on the shot list of Clothing"),
    ],
    "photo_order": [
        ({}, 400, "Send the photos in their new order."),
        ({"photo": ["abc"]}, 400, "as a list of their numbers"),
        ({"photo": ["1\x00"]}, 400, "as a list of their numbers"),
        ({"photo": [str(2**70)]}, 400, "as a list of their numbers"),
        ({"photo": ["1"] * 501}, 400, "more photos than a round has"),
        ({"photo": ["__photo__", "__photo__"]}, 409, "changed meanwhile"),
        ({"photo": ["__other__"]}, 409, "changed meanwhile"),
    ],
    "category": [
        ({}, 400, "This field is required."),
        ({"category": "cars"}, 400, "Select a valid choice"),
        ({"category": "shoes\x00"}, 400, "Select a valid choice"),
    ],
    "upload": [
        ({"shot": "abc"}, 400, "Select a valid choice"),
        ({"caption": "a\x00"}, 400, "Null characters are not allowed."),
    ],
}


@pytest.mark.parametrize(
    ("name", "data", "status", "message"),
    [(name, *case) for name, cases in BAD_INPUT.items() for case in cases],
)
def test_bad_input_is_refused_with_a_message(inspector_client, clothing_round, inspector, name, data, status, message):
    [photo] = add_photos(clothing_round, 1, by=inspector)
    replace = {"__shoes__": ShotListItem.objects.get(category="shoes", name="Sole").pk, "__photo__": photo.pk}
    if "__other__" in data.get("photo", []):
        other = services.inspection_open(order=OrderFactory(status=Order.Status.AWAITING_QC), by=inspector)
        replace["__other__"] = add_photos(other, 1, by=inspector)[0].pk
    data = {
        key: [replace.get(v, v) for v in value] if isinstance(value, list) else replace.get(value, value)
        for key, value in data.items()
    }
    if name == "upload":
        data["photo"] = upload("a.jpg", jpeg())
    response = post(inspector_client, _address(name, clothing_round, photo), data)
    assert response.status_code == status
    assert message in " ".join(response.json()["errors"])
    photo.refresh_from_db()
    assert (photo.caption, photo.shot, photo.position) == ("Photo 0", None, 0)
    assert clothing_round.photos.count() == 1 and Order.objects.get(pk=clothing_round.order_id).category == "clothing"
