"""An order with every kind of evidence: a failed round (a turned phone photo and a plain one
with a box, a measurement), listing images from both sides, a staff-only timeline line, and a
ticket with a public message, a support reply and an internal note (each with an attachment)."""

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass

import pytest
from PIL import Image

from common.renditions import prepare_image
from cssbuy_qc.celery import app as celery_app
from orders import services as orders
from orders.models import ListingImage, Order, OrderEvent
from qc import services as qc
from qc.models import Defect, Inspection, Measurement, QCPhoto
from tests.factories import OrderFactory, SupportFactory
from tests.qc.images import jpeg, phone_photo, png, upload
from tickets import services as tickets
from tickets.attachments import check_upload
from tickets.models import Category

BOX = (0.25, 0.25, 0.5, 0.5)
INTERNAL_NOTE = "Seller offered ¥20 off; do not promise it yet."
STAFF_ONLY_EVENT = "Seller slow to answer, chased by phone."
GREEN = (40, 120, 60)


@pytest.fixture
def eager_tasks():
    """Tasks handed to the broker run at once, in this process (a real worker: tests/integration)."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def taken_photo(size=(800, 600)) -> bytes:
    """A plain green photo whose EXIF says when it was taken."""
    exif = Image.Exif()
    exif[0x8769] = {0x9003: "2026:11:30 14:02:11", 0x9011: "+08:00"}
    out = io.BytesIO()
    Image.new("RGB", size, GREEN).save(out, "JPEG", quality=95, exif=exif)
    return out.getvalue()


@dataclass
class Evidence:
    order: Order
    inspection: Inspection
    plain: QCPhoto  # green, 800x600, boxed
    turned: QCPhoto  # stored turned, EXIF orientation 6, boxed
    support: object


def photo(inspection, name, data, by) -> QCPhoto:
    added = qc.photo_add(
        inspection=inspection, uploaded_file=upload(name, data), by=by, renditions_in_background=False
    )
    qc.photo_make_renditions(photo_id=added.pk)
    return QCPhoto.objects.get(pk=added.pk)


@pytest.fixture
def evidence(shopper, inspector, media) -> Evidence:
    support = SupportFactory(email="agent@example.com")
    order = OrderFactory(shopper=shopper, status=Order.Status.AWAITING_QC)
    inspection = qc.inspection_open(order=order, by=inspector)
    plain = photo(inspection, "front.jpg", taken_photo(), inspector)
    turned = photo(inspection, "label.jpg", phone_photo(orientation=6), inspector)
    for position, (shot, severity) in enumerate([(plain, "major"), (turned, "minor")]):
        x, y, w, h = BOX
        Defect.objects.create(
            inspection=inspection,
            kind=Defect.Kind.STAIN,
            severity=severity,
            description=f"Stain #{position}",
            photo=shot,
            box_x=x,
            box_y=y,
            box_w=w,
            box_h=h,
            position=position,
        )
    Measurement.objects.create(inspection=inspection, name="Chest", listed_value="55.00", measured_value="51.50")
    Inspection.objects.filter(pk=inspection.pk).update(internal_note="Inspector's own remark")
    inspection = qc.inspection_complete(inspection=inspection, by=inspector, result=Inspection.Result.FAILED)
    orders.listing_images_add(
        order=order,
        images=[prepare_image(upload("mine.png", png(size=(300, 500)), "image/png"))],
        source=ListingImage.Source.SHOPPER,
        by=shopper,
    )
    orders.listing_images_add(
        order=order,
        images=[prepare_image(upload("seller.jpg", jpeg(size=(500, 500), color=(10, 20, 200))))],
        source=ListingImage.Source.PURCHASER,
        by=support,
    )
    OrderEvent.objects.create(order=order, actor=support, note=STAFF_ONLY_EVENT, shopper_visible=False)
    ticket = tickets.ticket_open(
        shopper=shopper,
        subject="The stain",
        body="Can the seller give a discount?",
        category=Category.QC,
        order=order,
        files=[check_upload(upload("closeup.png", png(size=(60, 40)), "image/png"))],
    )
    ticket, _ = tickets.ticket_reply(ticket=ticket, by=support, body="We are asking the seller.")
    tickets.ticket_reply(
        ticket=ticket,
        by=support,
        body=INTERNAL_NOTE,
        internal=True,
        files=[check_upload(upload("seller-chat.png", png(size=(50, 50), color=(1, 2, 3)), "image/png"))],
    )
    return Evidence(order=order, inspection=inspection, plain=plain, turned=turned, support=support)


def opened(data: bytes) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(data))


def check_manifest(archive: zipfile.ZipFile) -> dict:
    """Every file of the pack is in its manifest with the right hash and size, and nothing else;
    SHA256SUMS agrees, the manifest included. Returns the manifest."""
    manifest = json.loads(archive.read("manifest.json"))
    listed = {entry["path"]: entry for entry in manifest["files"]}
    assert set(listed) == set(archive.namelist()) - {"manifest.json", "SHA256SUMS"}
    assert len(listed) == len(manifest["files"])  # no path twice
    for path, entry in listed.items():
        data = archive.read(path)
        assert entry["sha256"] == hashlib.sha256(data).hexdigest(), path
        assert entry["bytes"] == len(data), path
        assert entry["created_at"], path
    sums = dict(
        reversed(line.split("  ", 1)) for line in archive.read("SHA256SUMS").decode().splitlines() if line.strip()
    )
    assert set(sums) == set(listed) | {"manifest.json"}
    for path, digest in sums.items():
        assert hashlib.sha256(archive.read(path)).hexdigest() == digest, path
    return manifest
