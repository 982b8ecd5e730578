import pytest

from cssbuy_qc.celery import app as celery_app
from orders.models import Order
from qc import services
from qc.models import Defect, Inspection, Measurement
from tests.factories import OrderFactory
from tests.qc.images import jpeg, upload


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Photos of each test go to a fresh folder on local disk."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
    return settings.MEDIA_ROOT


def stored_files(root) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.fixture
def eager_tasks():
    """Tasks sent after commit run at once, in this process (the worker is tested elsewhere)."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture
def arrived_order(shopper):
    return OrderFactory(shopper=shopper, status=Order.Status.AWAITING_QC)


@pytest.fixture
def open_round(arrived_order, inspector) -> Inspection:
    return services.inspection_open(order=arrived_order, by=inspector)


def add_photos(inspection: Inspection, count: int, *, by, ready: bool = True) -> list:
    photos = []
    for i in range(count):
        photo = services.photo_add(
            inspection=inspection,
            uploaded_file=upload(f"p{i}.jpg", jpeg(size=(40 + i, 30), color=(i % 256, 80, 120))),
            by=by,
            caption=f"Photo {i}",
        )
        if ready:
            services.photo_make_renditions(photo_id=photo.pk)
        photos.append(photo)
    return photos


def failed_round(order: Order, inspector, *, photos: int = 1, defects: int = 1, measurements: int = 1) -> Inspection:
    """A completed, failed round with the given amount of evidence."""
    inspection = services.inspection_open(order=order, by=inspector)
    made = add_photos(inspection, photos, by=inspector)
    for i in range(defects):
        Defect.objects.create(
            inspection=inspection,
            kind=Defect.Kind.DAMAGE,
            severity=Defect.Severity.MAJOR,
            description=f"Open seam #{i}",
            photo=made[i % len(made)],
            box_x=0.1,
            box_y=0.2,
            box_w=0.3,
            box_h=0.25,
            position=i,
        )
    for i in range(measurements):
        Measurement.objects.create(
            inspection=inspection, name=f"Chest {i}", listed_value="55.00", measured_value="51.50", unit="cm"
        )
    return services.inspection_complete(inspection=inspection, by=inspector, result=Inspection.Result.FAILED)
