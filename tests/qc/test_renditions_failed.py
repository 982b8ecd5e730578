"""A photo whose renditions cannot be made: a failed state with its reason after the retries,
shown to the inspector with a Retry button, logged as an error, left alone by the sweep; the
shopper sees nothing broken."""

import logging
import re
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from orders.models import Order
from qc import services
from qc.models import QCPhoto
from qc.tasks import RENDITIONS_LIFETIME, make_photo_renditions, sweep_missing_renditions
from tests.factories import OrderFactory
from tests.qc.conftest import add_photos, failed_round

pytestmark = pytest.mark.django_db


@pytest.fixture
def inspector_client(client, inspector):
    client.force_login(inspector)
    return client


def spoil(photo: QCPhoto, media_root, data: bytes = b"\xff\xd8 not a JPEG any more") -> None:
    (media_root / photo.original.name).write_bytes(data)


def run_task(photo: QCPhoto) -> None:
    """The worker's run of the task, with its retries (eager: at once, in this process)."""
    make_photo_renditions.apply(kwargs={"photo_id": photo.pk})


def test_an_undecodable_photo_fails_at_once_with_its_reason_logged_as_an_error(
    open_round, inspector, media_root, caplog
):
    [photo] = add_photos(open_round, 1, by=inspector, ready=False)
    spoil(photo, media_root)

    with caplog.at_level(logging.ERROR, logger="qc.services"):
        run_task(photo)

    photo.refresh_from_db()
    assert photo.renditions_failed_at is not None
    assert photo.renditions_error == "UnidentifiedImageError: cannot identify image file"
    assert not photo.is_ready
    [record] = [r for r in caplog.records if r.name == "qc.services" and r.levelno == logging.ERROR]
    assert f"photo {photo.pk}" in record.getMessage()
    assert QCPhoto.objects.renditions_failed().get() == photo
    assert not QCPhoto.objects.renditions_pending().exists()


def test_a_missing_original_is_retried_then_fails(open_round, inspector, media_root):
    [photo] = add_photos(open_round, 1, by=inspector, ready=False)
    (media_root / photo.original.name).unlink()

    run_task(photo)

    photo.refresh_from_db()
    assert photo.renditions_failed_at is not None
    assert "No such file" in photo.renditions_error


def test_the_sweep_skips_failed_photos_and_deliveries_in_flight_and_gives_up_in_the_end(
    open_round, inspector, media_root
):
    failed, waiting = add_photos(open_round, 2, by=inspector, ready=False)
    spoil(failed, media_root)
    run_task(failed)
    start = timezone.now()

    with time_machine.travel(start, tick=False):
        assert sweep_missing_renditions() == 1  # `waiting` only (the memory broker has no worker)
        assert sweep_missing_renditions() == 0  # now in flight
    for attempt in range(1, services.RENDITION_SWEEPS + 1):
        with time_machine.travel(start + attempt * (RENDITIONS_LIFETIME + timedelta(seconds=1)), tick=False):
            sweep_missing_renditions()

    waiting.refresh_from_db()
    assert waiting.renditions_failed_at is not None
    assert "never finished" in waiting.renditions_error
    assert QCPhoto.objects.renditions_failed().count() == 2


def test_the_inspector_sees_the_reason_and_retries(
    inspector_client, open_round, inspector, media_root, eager_tasks, django_capture_on_commit_callbacks
):
    [photo] = add_photos(open_round, 1, by=inspector, ready=False)
    good = (media_root / photo.original.name).read_bytes()
    spoil(photo, media_root)
    run_task(photo)

    page = inspector_client.get(reverse("admin:qc_inspection_change", args=[open_round.pk])).content.decode()
    assert "Could not be processed" in page
    assert "cannot identify image file" in page
    retry_url = reverse("admin:qc_inspection_retry_renditions", args=[open_round.pk, photo.pk])
    assert re.search(rf'<button[^>]*formaction="{re.escape(retry_url)}"', page)

    spoil(photo, media_root, good)  # whatever was wrong is fixed
    with django_capture_on_commit_callbacks(execute=True):
        response = inspector_client.post(retry_url, follow=True)

    assert "being processed again" in response.content.decode()
    photo.refresh_from_db()
    assert photo.is_ready
    assert photo.renditions_failed_at is None and photo.renditions_error == ""


def test_only_staff_who_may_change_photos_can_retry(client, support, open_round, inspector, media_root):
    [photo] = add_photos(open_round, 1, by=inspector, ready=False)
    spoil(photo, media_root)
    run_task(photo)
    client.force_login(support)

    page = client.get(reverse("admin:qc_inspection_change", args=[open_round.pk])).content.decode()
    response = client.post(reverse("admin:qc_inspection_retry_renditions", args=[open_round.pk, photo.pk]))

    assert "Could not be processed" in page and "formaction" not in page
    assert response.status_code == 403
    photo.refresh_from_db()
    assert photo.renditions_failed_at is not None


def test_the_shopper_sees_the_photos_that_worked_and_nothing_broken(shopper_client, shopper, inspector, media_root):
    order = OrderFactory(shopper=shopper, status=Order.Status.AWAITING_QC)
    inspection = failed_round(order, inspector, photos=2, defects=2)
    broken, fine = inspection.photos.all()
    QCPhoto.objects.filter(pk=broken.pk).update(
        renditions_at=None, renditions_failed_at=timezone.now(), renditions_error="OSError: boom"
    )

    html = shopper_client.get(order.get_absolute_url()).content.decode()

    assert f'id="qc-photo-{fine.pk}"' in html and fine.thumb.name in html
    assert f'id="qc-photo-{broken.pk}"' not in html and broken.thumb.name not in html
    assert "Processing photo" not in html
    assert "boom" not in html
    assert "1 photo" in html
