"""The inspectors' admin: queue, inspection page, uploads, boxes, verdicts, and who may do what."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from notifications.models import Event, Notification
from orders.models import Order
from qc import services
from qc.models import Defect, Inspection, QCPhoto
from tests.factories import OrderFactory
from tests.qc.conftest import add_photos
from tests.qc.images import jpeg, png, upload

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
    assert "2 orders awaiting QC" in inspector_client.get(reverse("admin:index")).content.decode()


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
    assert b"Fail QC" in page.content and b"qc-admin.js" in page.content
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
    assert "2 photos were taken." in alert.body and "Damage (Major): Seam open, 4 cm" in alert.body

    # The completed round is read-only now: no buttons, no uploader, no more changes.
    page = inspector_client.get(change_url(inspection))
    assert page.status_code == 200 and b"Fail QC" not in page.content and b"data-qc-upload" not in page.content


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
    data = form_data(inspector_client.get(change_url(open_round))) | {"_qc_pass": "1"}
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
    assert b"Fail QC" not in page.content and b"data-qc-upload" not in page.content
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


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_admin_pages_queries_do_not_grow(inspector_client, inspector):
    small = services.inspection_open(order=OrderFactory(status=Order.Status.AWAITING_QC), by=inspector)
    big = services.inspection_open(order=OrderFactory(status=Order.Status.AWAITING_QC), by=inspector)
    for inspection, count in ((small, 1), (big, 20)):
        photos = add_photos(inspection, count, by=inspector)
        for i in range(count):
            Defect.objects.create(
                inspection=inspection, kind="damage", description="x", photo=photos[i],
                box_x=0.1, box_y=0.1, box_w=0.2, box_h=0.2,
            )  # fmt: skip
    assert _count(inspector_client, change_url(small)) == _count(inspector_client, change_url(big))
    queue = reverse("admin:qc_qcqueueitem_changelist")
    one = _count(inspector_client, queue)
    for _ in range(10):
        OrderFactory(status=Order.Status.AWAITING_QC)
    assert _count(inspector_client, queue) == one
    listing = reverse("admin:qc_inspection_changelist")
    assert _count(inspector_client, listing) == _count(inspector_client, listing)
