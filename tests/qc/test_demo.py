import pytest

from demo.builders import seed_demo
from orders.models import Order
from qc.models import Defect, Inspection, QCPhoto

pytestmark = pytest.mark.django_db


def test_demo_has_qc_rounds_with_evidence_and_seeding_twice_adds_nothing(media_root):
    seed_demo()
    failed = Inspection.objects.filter(result=Inspection.Result.FAILED)
    passed = Inspection.objects.filter(result=Inspection.Result.PASSED)
    assert failed.exists() and passed.exists()
    for order in Order.objects.filter(status__in=[Order.Status.QC_FAILED, Order.Status.STORED]):
        assert order.inspections.exclude(result=Inspection.Result.PENDING).count() == 1, order
    assert not QCPhoto.objects.filter(renditions_at__isnull=True).exists()
    assert Defect.objects.filter(inspection__in=failed, box_x__isnull=False).exists()
    assert all(i.measurements.exists() for i in failed)
    counts = (Inspection.objects.count(), QCPhoto.objects.count(), Defect.objects.count())
    files = sorted(p for p in media_root.rglob("*") if p.is_file())

    seed_demo()
    assert (Inspection.objects.count(), QCPhoto.objects.count(), Defect.objects.count()) == counts
    assert sorted(p for p in media_root.rglob("*") if p.is_file()) == files
