"""QC reads, each with the queries it needs already planned (a constant number per page)."""

from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from orders.models import Order

from .models import Defect, Inspection, QCPhoto


def _with_evidence(queryset: QuerySet[Inspection]) -> QuerySet[Inspection]:
    return queryset.prefetch_related(
        Prefetch("photos", QCPhoto.objects.shown().order_by("position", "id")),
        Prefetch("defects", Defect.objects.order_by("position", "id")),
        "measurements",
    )


def _attach_boxes(rounds: list[Inspection]) -> list[Inspection]:
    """Give every photo its boxed defects and number the photos, without more queries."""
    for inspection in rounds:
        photos = list(inspection.photos.all())
        by_photo = {photo.pk: photo for photo in photos}
        for index, photo in enumerate(photos, start=1):
            photo.number = index
            photo.boxes = []
        for defect in inspection.defects.all():
            photo = by_photo.get(defect.photo_id)
            defect.photo_number = photo.number if photo else None
            if photo is not None and defect.has_box:
                photo.boxes.append(defect)
    return rounds


def inspections_for_shopper(*, order: Order) -> list[Inspection]:
    """The completed QC rounds of an order, newest first, with photos, defects, measurements.

    Four queries whatever the number of rounds, photos, defects or measurements. Rounds still
    in progress are not shown: the shopper sees a verdict with its evidence, not a draft.
    """
    queryset = Inspection.objects.filter(order=order).exclude(result=Inspection.Result.PENDING)
    return _attach_boxes(list(_with_evidence(queryset.order_by("-round_number"))))


def inspection_for_viewer(*, user, pk: int) -> Inspection:
    """A completed round for its order's shopper; any round for staff who may view QC."""
    queryset = _with_evidence(Inspection.objects.select_related("order"))
    if user.has_perm("qc.view_inspection"):
        inspection = get_object_or_404(queryset, pk=pk)
    else:
        inspection = get_object_or_404(
            queryset.exclude(result=Inspection.Result.PENDING), pk=pk, order__shopper_id=user.pk
        )
    _attach_boxes([inspection])
    return inspection


def photo_for_viewer(*, user, pk: int) -> QCPhoto:
    """A photo of a completed round for its order's shopper; any photo for QC staff; else 404."""
    queryset = QCPhoto.objects.select_related("inspection__order")
    photo = get_object_or_404(queryset, pk=pk)
    if user.has_perm("qc.view_qcphoto"):
        return photo
    if photo.inspection.order.shopper_id == user.pk and not photo.inspection.is_open:
        return photo
    raise Http404


def qc_queue() -> QuerySet[Order]:
    """Orders waiting for QC, the longest-waiting first."""
    return Order.objects.filter(status=Order.Status.AWAITING_QC).order_by("status_changed_at", "id")
