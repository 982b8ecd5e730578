"""QC rounds and their outcome, through the services."""

from datetime import timedelta
from io import BytesIO

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError
from django.utils import timezone
from PIL import Image

from notifications.models import Event, Notification
from orders.models import Order
from qc import services
from qc.models import Defect, Inspection, QCPhoto
from tests.factories import OrderFactory
from tests.qc.conftest import add_photos
from tests.qc.images import upload

pytestmark = pytest.mark.django_db


def test_a_new_round_opens_for_each_arrival(shopper, inspector):
    order = OrderFactory(shopper=shopper, status=Order.Status.AWAITING_QC)
    first = services.inspection_open(order=order, by=inspector)
    assert services.inspection_open(order=order, by=inspector) == first
    add_photos(first, 1, by=inspector)
    services.inspection_complete(inspection=first, by=inspector, result=Inspection.Result.PASSED)
    # The replacement of an exchange arrives: a second round.
    Order.objects.filter(pk=order.pk).update(status=Order.Status.AWAITING_QC)
    second = services.inspection_open(order=order, by=inspector)
    assert (first.round_number, second.round_number) == (1, 2)


def test_only_arrived_orders_can_be_inspected(inspector):
    order = OrderFactory(status=Order.Status.PAID)
    with pytest.raises(services.QCError, match="only orders that arrived for QC"):
        services.inspection_open(order=order, by=inspector)
    assert not Inspection.objects.exists()


def test_failing_notifies_with_photo_count_main_defects_and_deadline(
    open_round, inspector, settings, django_capture_on_commit_callbacks
):
    settings.QC_DECISION_HOURS = 120
    add_photos(open_round, 3, by=inspector)
    for i, (kind, severity) in enumerate([("stain", "minor"), ("sizing", "major"), ("damage", "major")]):
        Defect.objects.create(inspection=open_round, kind=kind, severity=severity, description=f"d{i}", position=i)
    Defect.objects.create(inspection=open_round, kind="other", severity="minor", description="d3", position=3)
    before = timezone.now()
    services.inspection_complete(inspection=open_round, by=inspector, result=Inspection.Result.FAILED)
    order = Order.objects.get(pk=open_round.order_id)
    assert order.status == Order.Status.QC_FAILED
    assert before + timedelta(hours=119) < order.decision_deadline < timezone.now() + timedelta(hours=121)
    alert = Notification.objects.get(user=order.shopper, event=Event.QC_FAILED)
    assert "3 photos were taken." in alert.body and "4 defects were found." in alert.body
    assert "before" in alert.body  # the decision deadline sentence
    # The email lists every defect, major ones first, and the deadline.
    assert [(item["title"], item["tag"], item["text"]) for item in alert.details["items"]] == [
        ("Sizing", "Major", "d1"),
        ("Damage", "Major", "d2"),
        ("Stain", "Minor", "d0"),
        ("Other", "Minor", "d3"),
    ]
    deadline = next(fact for fact in alert.details["facts"] if fact["label"] == "Decide by")
    assert deadline["at"] == order.decision_deadline.isoformat()


def test_completing_twice_is_refused(open_round, inspector):
    add_photos(open_round, 1, by=inspector)
    services.inspection_complete(inspection=open_round, by=inspector, result=Inspection.Result.PASSED)
    with pytest.raises(services.QCError, match="already complete"):
        services.inspection_complete(inspection=open_round, by=inspector, result=Inspection.Result.FAILED)


def test_order_changed_meanwhile_leaves_the_round_open(open_round, inspector):
    add_photos(open_round, 1, by=inspector)
    Order.objects.filter(pk=open_round.order_id).update(status=Order.Status.CANCELLED)
    with pytest.raises(services.QCError):
        services.inspection_complete(inspection=open_round, by=inspector, result=Inspection.Result.PASSED)
    open_round.refresh_from_db()
    assert open_round.is_open


def test_someone_without_the_qc_permission_cannot_complete(open_round, inspector, support):
    add_photos(open_round, 1, by=inspector)
    with pytest.raises(services.QCError, match="not allowed"):
        services.inspection_complete(inspection=open_round, by=support, result=Inspection.Result.PASSED)
    open_round.refresh_from_db()
    assert open_round.is_open


def test_photos_of_a_completed_round_cannot_change(open_round, inspector):
    [photo] = add_photos(open_round, 1, by=inspector)
    services.inspection_complete(inspection=open_round, by=inspector, result=Inspection.Result.PASSED)
    from tests.qc.images import jpeg, upload

    with pytest.raises(services.QCError):
        services.photo_add(inspection=open_round, uploaded_file=upload("late.jpg", jpeg()), by=inspector)
    with pytest.raises(services.QCError):
        services.photo_delete(photo=photo)


def test_upload_enqueues_renditions_after_commit(
    open_round, inspector, eager_tasks, django_capture_on_commit_callbacks
):
    from tests.qc.images import jpeg, upload

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        photo = services.photo_add(inspection=open_round, uploaded_file=upload("a.jpg", jpeg()), by=inspector)
        photo.refresh_from_db()
        assert not photo.is_ready  # nothing happens before the commit
    assert len(callbacks) == 1
    photo.refresh_from_db()
    assert photo.is_ready


def test_sweep_finds_photos_left_without_renditions(open_round, inspector, eager_tasks):
    from qc.tasks import sweep_missing_renditions

    [photo] = add_photos(open_round, 1, by=inspector, ready=False)
    assert sweep_missing_renditions() == 1
    photo.refresh_from_db()
    assert photo.is_ready
    assert sweep_missing_renditions() == 0


def _boxed(inspection, photo, description: str, **fields) -> Defect:
    return Defect.objects.create(
        inspection=inspection, kind="damage", description=description, photo=photo,
        box_x=0.1, box_y=0.2, box_w=0.3, box_h=0.25, **fields,
    )  # fmt: skip


def test_deleting_a_photo_keeps_its_defects_without_their_boxes(
    open_round, inspector, media_root, django_capture_on_commit_callbacks
):
    first, second = add_photos(open_round, 2, by=inspector)
    first.refresh_from_db()
    names = first.stored_names()
    boxed = _boxed(open_round, first, "Seam open, 4 cm", position=0)
    unboxed = Defect.objects.create(inspection=open_round, kind="stain", description="Mark", photo=first, position=1)
    elsewhere = _boxed(open_round, second, "Loose thread", position=2)

    with django_capture_on_commit_callbacks(execute=True):
        cleared = services.photo_delete(photo=first)

    assert [d.pk for d in cleared] == [boxed.pk]
    assert cleared[0].box_x is None and cleared[0].photo_id is None
    boxed.refresh_from_db()
    assert (boxed.photo_id, boxed.box_x, boxed.box_y, boxed.box_w, boxed.box_h) == (None, None, None, None, None)
    assert (boxed.kind, boxed.description) == ("damage", "Seam open, 4 cm")
    unboxed.refresh_from_db()
    assert unboxed.photo_id is None and unboxed.description == "Mark"
    elsewhere.refresh_from_db()
    assert elsewhere.photo_id == second.pk and elsewhere.box_x == 0.1
    assert list(open_round.photos.all()) == [second]
    assert not any((media_root / name).exists() for name in names)


def test_a_photo_of_a_completed_round_cannot_be_deleted_even_directly(open_round, inspector, media_root):
    photo, unboxed = add_photos(open_round, 2, by=inspector)
    _boxed(open_round, photo, "Seam open")
    services.inspection_complete(inspection=open_round, by=inspector, result=Inspection.Result.FAILED)
    photo = QCPhoto.objects.get(pk=photo.pk)
    with pytest.raises(services.QCError, match="round is complete"):
        services.photo_delete(photo=photo)
    assert connection.vendor == "postgresql"
    with pytest.raises(IntegrityError, match="belongs to a completed QC round"), transaction.atomic():
        unboxed.delete()  # bypassing the service: the database refuses
    with pytest.raises(TypeError, match="photo_delete"):
        QCPhoto.objects.filter(pk=photo.pk).delete()
    with pytest.raises(ProtectedError):
        open_round.delete()  # no cascade from the round either
    assert QCPhoto.objects.filter(inspection=open_round).count() == 2
    assert Defect.objects.get().box_x == 0.1
    assert all((media_root / name).exists() for name in photo.stored_names())


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["PNG", "WEBP", "JPEG"])
def test_a_photo_with_a_damaged_exif_block_still_gets_its_renditions(open_round, inspector, fmt):
    # Pillow accepts the photo, but ImageOps.exif_transpose raises on this EXIF block.
    out = BytesIO()
    Image.new("RGB", (30, 10), (10, 200, 10)).save(out, fmt, exif=b"Exif\x00\x00NOT A TIFF HEADER, PhoneMaker")
    name = {"PNG": "p.png", "WEBP": "p.webp", "JPEG": "p.jpg"}[fmt]
    photo = services.photo_add(inspection=open_round, uploaded_file=upload(name, out.getvalue()), by=inspector)

    assert services.photo_make_renditions(photo_id=photo.pk) is True

    photo.refresh_from_db()
    assert (photo.width, photo.height) == (30, 10)
