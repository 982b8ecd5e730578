"""The inspectors' admin: queue, inspection page, uploads, boxes, verdicts, and who may do what."""

import pytest
from django.urls import reverse
from django.utils import timezone

from notifications.models import Event, Notification
from orders.models import Order
from qc import services
from qc.models import Defect, Inspection, QCPhoto
from tests.factories import InspectorFactory, OrderFactory
from tests.qc.conftest import add_photos, stored_files
from tests.qc.images import jpeg, png, upload
from tests.queries import get_in_queries, queries_of

pytestmark = pytest.mark.django_db


def change_url(inspection) -> str:
    return reverse("admin:qc_inspection_change", args=[inspection.pk])


def form_data(response) -> dict:
    """What a browser would post back from an admin change page, as rendered."""
    data = {}

    def add(form):
        for name, _field in form.fields.items():
            value = form[name].value()
            if value is None or value is False:
                continue
            data[form.add_prefix(name)] = value

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for name, _field in formset.management_form.fields.items():
            data[formset.management_form.add_prefix(name)] = formset.management_form[name].value()
        for form in formset.forms:
            add(form)
    return data


def add_defect_row(data: dict, **fields) -> dict:
    index = int(data["defects-TOTAL_FORMS"])
    data["defects-TOTAL_FORMS"] = str(index + 1)
    for name, value in fields.items():
        data[f"defects-{index}-{name}"] = value
    return data


@pytest.fixture
def inspector_client(client, inspector):
    client.force_login(inspector)
    return client


def test_queue_lists_arrived_orders_oldest_first_with_count_on_index(inspector_client):
    newer = OrderFactory(status=Order.Status.AWAITING_QC)
    older = OrderFactory(status=Order.Status.AWAITING_QC)
    Order.objects.filter(pk=older.pk).update(status_changed_at=newer.status_changed_at.replace(year=2020))
    OrderFactory(status=Order.Status.PAID)
    response = inspector_client.get(reverse("admin:qc_qcqueueitem_changelist"))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index(older.number) < html.index(newer.number)
    dashboard = inspector_client.get(reverse("admin:index")).content.decode()  # tests/test_dashboard.py
    assert 'data-figure="qc_under_24h" data-count="1"' in dashboard
    assert 'data-figure="qc_over_2_days" data-count="1"' in dashboard


def test_inspector_uploads_marks_a_box_and_fails_qc(
    inspector_client, inspector, arrived_order, eager_tasks, django_capture_on_commit_callbacks
):
    # Opening the order from the queue opens round 1; opening it again resumes the same round.
    response = inspector_client.get(reverse("admin:qc_qcqueueitem_inspect", args=[arrived_order.pk]))
    inspection = Inspection.objects.get(order=arrived_order)
    assert response.status_code == 302 and response["Location"] == change_url(inspection)
    inspector_client.get(reverse("admin:qc_qcqueueitem_inspect", args=[arrived_order.pk]))
    assert Inspection.objects.filter(order=arrived_order).count() == 1

    # Several photos at once; renditions are made by the task after commit.
    with django_capture_on_commit_callbacks(execute=True):
        response = inspector_client.post(
            reverse("admin:qc_inspection_upload", args=[inspection.pk]),
            {"photo": [upload("front.jpg", jpeg(size=(800, 600))), upload("label.png", png(), "image/png")]},
            headers={"accept": "application/json"},
        )
    assert response.status_code == 200
    assert [r["ok"] for r in response.json()["results"]] == [True, True]
    photos = list(inspection.photos.all())
    assert [p.position for p in photos] == [0, 1]
    assert all(p.is_ready for p in photos)

    # Failing with no defect is refused with a clear message, and nothing changes.
    page = inspector_client.get(change_url(inspection))
    assert b'name="_qc_fail"' in page.content and b"qc-admin.js" in page.content
    data = form_data(page) | {"_qc_fail": "1"}
    response = inspector_client.post(change_url(inspection), data, follow=True)
    assert "Record at least one defect before failing QC." in response.content.decode()
    arrived_order.refresh_from_db()
    assert arrived_order.status == Order.Status.AWAITING_QC

    # A defect with a box drawn on the first photo, a caption, a public note; then Fail.
    data = form_data(inspector_client.get(change_url(inspection)))
    data["public_note"] = "The left seam is open."
    data["photos-0-caption"] = "Front"
    add_defect_row(
        data,
        kind="damage",
        severity="major",
        description="Seam open, 4 cm",
        photo=str(photos[0].pk),
        box_x="0.1250",
        box_y="0.2000",
        box_w="0.3000",
        box_h="0.1500",
    )
    data["_qc_fail"] = "1"
    data["_qc_missing_ok"] = "1"  # no shot tagged: the inspector confirmed completing without them
    with django_capture_on_commit_callbacks(execute=True):
        response = inspector_client.post(change_url(inspection), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert response["Location"] == reverse("admin:qc_qcqueueitem_changelist")

    inspection.refresh_from_db()
    arrived_order.refresh_from_db()
    defect = Defect.objects.get(inspection=inspection)
    assert (defect.box_x, defect.box_y, defect.box_w, defect.box_h) == (0.125, 0.2, 0.3, 0.15)
    assert defect.photo == photos[0]
    assert inspection.result == Inspection.Result.FAILED and inspection.inspector == inspector
    assert arrived_order.status == Order.Status.QC_FAILED and arrived_order.decision_deadline
    alert = Notification.objects.get(user=arrived_order.shopper, event=Event.QC_FAILED)
    assert "2 photos were taken." in alert.body and "1 defect was found." in alert.body
    assert alert.details["items"] == [
        {"title": "Damage", "tag": "Major", "emphasis": True, "text": "Seam open, 4 cm (photo 1)"}
    ]

    # The completed round is read-only now: no buttons, no uploader, no more changes.
    page = inspector_client.get(change_url(inspection))
    assert page.status_code == 200 and b'name="_qc_fail"' not in page.content
    assert b'id="qc-upload-input"' not in page.content


def test_box_outside_the_photo_is_refused(inspector_client, open_round, inspector):
    [photo] = add_photos(open_round, 1, by=inspector)
    data = form_data(inspector_client.get(change_url(open_round)))
    add_defect_row(
        data, kind="stain", severity="minor", description="Mark", photo=str(photo.pk),
        box_x="0.9", box_y="0.1", box_w="0.5", box_h="0.1",
    )  # fmt: skip
    response = inspector_client.post(change_url(open_round), data)
    assert response.status_code == 200
    assert "A box needs a photo and must lie inside it." in response.content.decode()
    assert not Defect.objects.exists()


def test_pass_needs_a_photo(inspector_client, open_round):
    data = form_data(inspector_client.get(change_url(open_round))) | {"_qc_pass": "1"}
    response = inspector_client.post(change_url(open_round), data, follow=True)
    assert "Add at least one photo before passing or failing QC." in response.content.decode()
    open_round.refresh_from_db()
    assert open_round.is_open


def test_pass_moves_the_order_to_stored(inspector_client, open_round, inspector):
    add_photos(open_round, 1, by=inspector)
    data = form_data(inspector_client.get(change_url(open_round))) | {"_qc_pass": "1", "_qc_missing_ok": "1"}
    inspector_client.post(change_url(open_round), data)
    open_round.order.refresh_from_db()
    assert open_round.order.status == Order.Status.STORED
    assert Notification.objects.filter(user=open_round.order.shopper, event=Event.QC_PASSED).exists()


def test_support_can_view_but_not_change(client, support, open_round, inspector):
    add_photos(open_round, 1, by=inspector)
    client.force_login(support)
    assert client.get(reverse("admin:qc_qcqueueitem_changelist")).status_code == 200
    page = client.get(change_url(open_round))
    assert page.status_code == 200
    assert b'name="_qc_fail"' not in page.content and b'id="qc-upload-input"' not in page.content
    upload_url = reverse("admin:qc_inspection_upload", args=[open_round.pk])
    response = client.post(upload_url, {"photo": upload("x.jpg", jpeg())}, headers={"accept": "application/json"})
    assert response.status_code == 403
    response = client.post(change_url(open_round), {"_qc_fail": "1"})
    assert response.status_code == 403
    assert client.get(reverse("admin:qc_qcqueueitem_inspect", args=[open_round.order.pk])).status_code == 403
    open_round.refresh_from_db()
    assert open_round.is_open and open_round.photos.count() == 1


def test_inspector_can_do_nothing_else(inspector_client):
    assert inspector_client.get(reverse("admin:accounts_user_changelist")).status_code == 403
    assert inspector_client.get(reverse("admin:orders_order_add")).status_code == 403


def test_shoppers_never_reach_the_admin(shopper_client, open_round):
    response = shopper_client.get(change_url(open_round))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    response = shopper_client.post(reverse("admin:qc_inspection_upload", args=[open_round.pk]))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_deleting_a_photo_in_the_admin_removes_its_files(
    inspector_client, open_round, inspector, media_root, django_capture_on_commit_callbacks
):
    [photo] = add_photos(open_round, 1, by=inspector)
    photo.refresh_from_db()
    names = photo.stored_names()
    assert len(names) == 4 and all((media_root / n).exists() for n in names)
    data = form_data(inspector_client.get(change_url(open_round)))
    data["photos-0-DELETE"] = "on"
    with django_capture_on_commit_callbacks(execute=True):
        response = inspector_client.post(change_url(open_round), data)
    assert response.status_code == 302
    assert not QCPhoto.objects.exists()
    assert not any((media_root / n).exists() for n in names)


def test_change_page_queries_do_not_grow_with_photos_and_defects(inspector_client, inspector):
    small = services.inspection_open(order=OrderFactory(status=Order.Status.AWAITING_QC), by=inspector)
    big = services.inspection_open(order=OrderFactory(status=Order.Status.AWAITING_QC), by=inspector)
    for inspection, count in ((small, 1), (big, 20)):
        photos = add_photos(inspection, count, by=inspector)
        for i in range(count):
            Defect.objects.create(
                inspection=inspection, kind="damage", description="x", photo=photos[i],
                box_x=0.1, box_y=0.1, box_w=0.2, box_h=0.2,
            )  # fmt: skip
    assert queries_of(inspector_client, change_url(small)) == queries_of(inspector_client, change_url(big))


def _rows(client, url) -> int:
    return client.get(url).context["cl"].result_count


def test_changelist_queries_do_not_grow_with_rows(inspector_client, inspector):
    """The queue and the inspection list cost the same at one row as at many."""
    queue = reverse("admin:qc_qcqueueitem_changelist")
    listing = reverse("admin:qc_inspection_changelist")
    first = services.inspection_open(order=OrderFactory(status=Order.Status.AWAITING_QC), by=inspector)
    add_photos(first, 1, by=inspector)
    assert (_rows(inspector_client, queue), _rows(inspector_client, listing)) == (1, 1)
    queue_at_one, listing_at_one = queries_of(inspector_client, queue), queries_of(inspector_client, listing)

    # Many rows of every kind: orders with and without an open round, rounds completed by
    # different inspectors (each row shows its order, inspector and photo count).
    for i in range(12):
        order = OrderFactory(status=Order.Status.AWAITING_QC)
        if i % 3 == 0:
            continue  # waiting, no round yet
        inspection = services.inspection_open(order=order, by=inspector)
        add_photos(inspection, 1 + i % 2, by=inspector)
        if i % 3 == 2:
            by = inspector if i % 2 else InspectorFactory()
            services.inspection_complete(inspection=inspection, by=by, result=Inspection.Result.PASSED)
    assert (_rows(inspector_client, queue), _rows(inspector_client, listing)) == (9, 9)
    assert queries_of(inspector_client, queue) == queue_at_one
    assert queries_of(inspector_client, listing) == listing_at_one


# --- Deleting a photo that a defect's box is drawn on ----------------------------------------


def _boxed_defect(inspection, photo, description="Seam open, 4 cm") -> Defect:
    return Defect.objects.create(
        inspection=inspection, kind="damage", description=description, photo=photo,
        box_x=0.1, box_y=0.2, box_w=0.3, box_h=0.25,
    )  # fmt: skip


def test_deleting_a_boxed_photo_in_the_admin_keeps_the_defect_and_says_so(
    inspector_client, open_round, inspector, media_root, django_capture_on_commit_callbacks
):
    first, second = add_photos(open_round, 2, by=inspector)
    first.refresh_from_db()
    names = first.stored_names()
    defect = _boxed_defect(open_round, first)
    data = form_data(inspector_client.get(change_url(open_round)))
    data["photos-0-DELETE"] = "on"
    with django_capture_on_commit_callbacks(execute=True):
        response = inspector_client.post(change_url(open_round), data, follow=True)
    assert response.status_code == 200
    html = response.content.decode()
    assert "The highlight box of 1 defect was on a deleted photo and has been cleared" in html
    assert "Damage (Major) “Seam open, 4 cm”" in html
    assert list(open_round.photos.all()) == [second]
    defect.refresh_from_db()
    assert (defect.photo_id, defect.box_x, defect.box_w) == (None, None, None)
    assert defect.description == "Seam open, 4 cm"
    assert not any((media_root / n).exists() for n in names)


def test_deleting_a_photo_while_editing_a_defect_boxed_on_it(inspector_client, open_round, inspector):
    first, _second = add_photos(open_round, 2, by=inspector)
    defect = _boxed_defect(open_round, first)
    data = form_data(inspector_client.get(change_url(open_round)))
    data["photos-0-DELETE"] = "on"
    data["defects-0-description"] = "Seam open, 5 cm"
    add_defect_row(
        data, kind="stain", severity="minor", description="Drawn on the photo being deleted", photo=str(first.pk),
        box_x="0.5", box_y="0.5", box_w="0.2", box_h="0.2",
    )  # fmt: skip
    response = inspector_client.post(change_url(open_round), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert not QCPhoto.objects.filter(pk=first.pk).exists()
    assert list(Defect.objects.values_list("description", "photo", "box_x")) == [
        ("Seam open, 5 cm", None, None),
        ("Drawn on the photo being deleted", None, None),
    ]
    assert defect.pk == Defect.objects.first().pk


def test_photos_of_a_completed_round_cannot_be_deleted_in_the_admin(inspector_client, open_round, inspector):
    [photo] = add_photos(open_round, 1, by=inspector)
    data = form_data(inspector_client.get(change_url(open_round)))
    data["photos-0-DELETE"] = "on"
    services.inspection_complete(inspection=open_round, by=inspector, result=Inspection.Result.PASSED)
    assert inspector_client.post(change_url(open_round), data).status_code == 403
    assert QCPhoto.objects.filter(pk=photo.pk).exists()


def test_a_refusal_while_saving_rolls_back_with_a_message(inspector_client, open_round, inspector, monkeypatch):
    # The round completed by someone else between the check and the deletion, say.
    [photo] = add_photos(open_round, 1, by=inspector)
    data = form_data(inspector_client.get(change_url(open_round)))
    data["photos-0-DELETE"] = "on"
    data["public_note"] = "Changed"

    def refused(*, photo):
        raise services.QCError("This QC round is complete; its photos cannot change.")

    monkeypatch.setattr(services, "photo_delete", refused)
    response = inspector_client.post(change_url(open_round), data, follow=True)
    assert response.redirect_chain == [(change_url(open_round), 302)]
    assert "This QC round is complete; its photos cannot change." in response.content.decode()
    open_round.refresh_from_db()
    assert open_round.public_note == "" and QCPhoto.objects.filter(pk=photo.pk).exists()


def test_photo_details_are_translatable_text(inspector_client, open_round, inspector):
    add_photos(open_round, 1, by=inspector)
    html = inspector_client.get(change_url(open_round)).content.decode()
    assert "40×30 px, " in html and "KiB" not in html


# --- The upload endpoint: every bad request is a 4xx with a message ------------------------


def _upload_url(pk) -> str:
    return reverse("admin:qc_inspection_upload", args=[pk])


def _post_json(client, url, data=None):
    return client.post(url, data or {}, headers={"accept": "application/json"})


@pytest.mark.parametrize("pk", ["abc", "0", "-1", "999999", str(2**70), "1%2F2"])
def test_upload_to_an_unknown_round_is_404(inspector_client, open_round, pk):
    response = _post_json(inspector_client, _upload_url(pk), {"photo": upload("a.jpg", jpeg())})
    assert response.status_code == 404
    assert response.json()["results"] == [
        {"name": "a.jpg", "ok": False, "errors": ["This QC round does not exist (any more)."]}
    ]
    assert inspector_client.post(_upload_url(pk), {"photo": upload("a.jpg", jpeg())}).status_code == 404
    assert not QCPhoto.objects.exists()


def test_opening_an_unknown_order_from_the_queue_is_404(inspector_client):
    for pk in (999999, 2**70):
        assert inspector_client.get(reverse("admin:qc_qcqueueitem_inspect", args=[pk])).status_code == 404
    assert not Inspection.objects.exists()


def test_upload_needs_a_post(inspector_client, open_round):
    assert inspector_client.get(_upload_url(open_round.pk)).status_code == 405


def test_upload_without_a_file(inspector_client, open_round):
    response = _post_json(inspector_client, _upload_url(open_round.pk), {"caption": "x"})
    assert response.status_code == 400
    assert response.json()["results"][0]["errors"] == ["Choose at least one photo to upload."]
    response = inspector_client.post(_upload_url(open_round.pk), {"other": upload("a.jpg", jpeg())}, follow=True)
    assert response.redirect_chain == [(change_url(open_round), 302)]
    assert "Choose at least one photo to upload." in response.content.decode()


def test_upload_to_a_completed_round_is_refused_clearly(inspector_client, open_round, inspector):
    add_photos(open_round, 1, by=inspector)
    services.inspection_complete(inspection=open_round, by=inspector, result=Inspection.Result.PASSED)
    response = _post_json(inspector_client, _upload_url(open_round.pk), {"photo": upload("late.jpg", jpeg())})
    assert response.status_code == 409
    assert response.json()["results"] == [
        {"name": "late.jpg", "ok": False, "errors": ["This QC round is complete; its photos cannot change."]}
    ]
    response = inspector_client.post(_upload_url(open_round.pk), {"photo": upload("late.jpg", jpeg())}, follow=True)
    assert response.redirect_chain == [(change_url(open_round), 302)]
    assert "This QC round is complete; its photos cannot change." in response.content.decode()
    assert open_round.photos.count() == 1


def test_upload_of_too_many_files_at_once_is_refused(inspector_client, open_round, media_root):
    from qc.admin import MAX_FILES_PER_UPLOAD

    files = [upload(f"p{i}.jpg", jpeg(color=(i, 0, 0))) for i in range(MAX_FILES_PER_UPLOAD + 1)]
    response = _post_json(inspector_client, _upload_url(open_round.pk), {"photo": files})
    assert response.status_code == 400
    assert response.json()["errors"] == [f"Upload at most {MAX_FILES_PER_UPLOAD} photos at a time; 21 were sent."]
    assert not QCPhoto.objects.exists() and stored_files(media_root) == []


def test_upload_caption_with_a_nul_character_is_refused(inspector_client, open_round):
    response = _post_json(
        inspector_client, _upload_url(open_round.pk), {"photo": upload("a.jpg", jpeg()), "caption": "Front\x00"}
    )
    assert response.status_code == 400
    assert response.json()["errors"] == ["Null characters are not allowed."]
    assert not QCPhoto.objects.exists()


def test_plain_form_upload_reports_each_file(inspector_client, open_round):
    response = inspector_client.post(
        _upload_url(open_round.pk),
        {"photo": [upload("good.jpg", jpeg()), upload("bad.jpg", b"not an image")]},
        follow=True,
    )
    html = response.content.decode()
    assert "Uploaded good.jpg." in html
    assert "Bad.jpg: This file is not a JPEG, PNG or WebP image." in html  # the admin capitalises messages


@pytest.mark.django_db
def test_receiving_an_order_in_the_admin_opens_its_qc_round(client, inspector):
    order = OrderFactory(status=Order.Status.SHIPPED_TO_WAREHOUSE)
    client.force_login(inspector)

    client.post(
        reverse("admin:orders_order_transition", args=[order.pk, "receive"]),
        {"expected_status": Order.Status.SHIPPED_TO_WAREHOUSE},
    )

    order.refresh_from_db()
    assert order.status == Order.Status.AWAITING_QC
    assert list(order.inspections.values_list("round_number", "result")) == [(1, Inspection.Result.PENDING)]


@pytest.mark.django_db
def test_receiving_a_replacement_in_bulk_opens_the_next_round(
    client, inspector, eager_tasks, django_capture_on_commit_callbacks
):
    order = OrderFactory(status=Order.Status.AWAITING_REPLACEMENT)
    Inspection.objects.create(
        order=order, round_number=1, result=Inspection.Result.FAILED, completed_at=timezone.now()
    )
    client.force_login(inspector)

    with django_capture_on_commit_callbacks(execute=True):  # the bulk job runs at once
        client.post(
            reverse("admin:orders_order_changelist"), {"action": "receive_selected", "_selected_action": [order.pk]}
        )

    assert list(order.inspections.order_by("round_number").values_list("round_number", "result")) == [
        (1, Inspection.Result.FAILED),
        (2, Inspection.Result.PENDING),
    ]


@pytest.mark.django_db
def test_support_receiving_a_parcel_opens_the_round_without_becoming_its_inspector(support_client):
    order = OrderFactory(status=Order.Status.SHIPPED_TO_WAREHOUSE)

    support_client.post(
        reverse("admin:orders_order_transition", args=[order.pk, "receive"]),
        {"expected_status": Order.Status.SHIPPED_TO_WAREHOUSE},
    )

    inspection = Inspection.objects.get(order=order)
    assert (inspection.round_number, inspection.inspector) == (1, None)


def test_the_inspector_pages_run_a_pinned_number_of_queries(inspector_client, inspector, django_assert_num_queries):
    OrderFactory(status=Order.Status.AWAITING_QC)
    inspection = services.inspection_open(order=OrderFactory(status=Order.Status.AWAITING_QC), by=inspector)
    photos = add_photos(inspection, 2, by=inspector)
    Defect.objects.create(
        inspection=inspection,
        kind="damage",
        description="x",
        photo=photos[0],
        box_x=0.1,
        box_y=0.1,
        box_w=0.2,
        box_h=0.2,
    )
    pages = {
        reverse("admin:qc_qcqueueitem_changelist"): 7,
        change_url(inspection): 16,
    }
    for url, queries in pages.items():
        get_in_queries(inspector_client, url, queries, django_assert_num_queries)
