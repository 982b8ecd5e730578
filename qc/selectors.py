"""QC reads, each with the queries it needs already planned (a constant number per page).

The pages show rounds as `RoundView`s: the round with its photos numbered as shown, each with the
defects boxed on it, and each defect with the photo it points at. Nothing is hung on the rows.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from common.pages import PageSection
from orders.models import Order

from .models import PERM_VIEW_INSPECTION, PERM_VIEW_PHOTO, Defect, Inspection, Measurement, QCPhoto

if TYPE_CHECKING:
    from accounts.models import User


@dataclass(frozen=True)
class PhotoView:
    photo: QCPhoto
    number: int  # 1, 2, ... in the order the round shows its photos
    boxes: tuple[Defect, ...]  # the defects with a highlight box drawn on this photo


@dataclass(frozen=True)
class DefectView:
    defect: Defect
    photo: PhotoView | None  # the photo the defect points at, if any


@dataclass(frozen=True)
class RoundView:
    inspection: Inspection
    photos: tuple[PhotoView, ...]
    defects: tuple[DefectView, ...]
    measurements: tuple[Measurement, ...]


def _with_evidence(queryset: QuerySet[Inspection]) -> QuerySet[Inspection]:
    return queryset.prefetch_related(
        Prefetch("photos", QCPhoto.objects.shown().order_by("position", "id")),
        Prefetch("defects", Defect.objects.order_by("position", "id")),
        "measurements",
    )


def _round_view(inspection: Inspection) -> RoundView:
    """The round as its pages show it, from what `_with_evidence` prefetched (no more queries)."""
    defects = list(inspection.defects.all())
    boxed: dict[int, list[Defect]] = {}
    for defect in defects:
        if defect.has_box:
            boxed.setdefault(defect.photo_id, []).append(defect)
    photos = tuple(
        PhotoView(photo=photo, number=number, boxes=tuple(boxed.get(photo.pk, ())))
        for number, photo in enumerate(inspection.photos.all(), start=1)
    )
    by_pk = {view.photo.pk: view for view in photos}
    return RoundView(
        inspection=inspection,
        photos=photos,
        defects=tuple(DefectView(defect=d, photo=by_pk.get(d.photo_id)) for d in defects),
        measurements=tuple(inspection.measurements.all()),
    )


def inspections_for_shopper(*, order: Order) -> list[RoundView]:
    """The completed QC rounds of an order, newest first, with photos, defects, measurements.

    Four queries whatever the number of rounds, photos, defects or measurements. Rounds still
    in progress are not shown: the shopper sees a verdict with its evidence, not a draft.
    """
    queryset = Inspection.objects.filter(order=order).exclude(result=Inspection.Result.PENDING)
    return [_round_view(inspection) for inspection in _with_evidence(queryset.order_by("-round_number"))]


def order_qc_section(*, order: Order, user: "User") -> PageSection:
    """The order page's QC section: every completed round with its evidence (four queries)."""
    return PageSection("qc/components/rounds.html", {"rounds": inspections_for_shopper(order=order)})


def latest_round_for_support(*, order: Order) -> RoundView | None:
    """The order's latest completed QC round, for staff working on something about the order.

    Four queries (rounds, photos, defects, measurements), whatever their numbers.
    """
    rounds = inspections_for_shopper(order=order)
    return rounds[0] if rounds else None


def inspection_for_viewer(*, user: "User", pk: int) -> RoundView:
    """A completed round for its order's shopper; any round for staff who may view QC."""
    queryset = _with_evidence(Inspection.objects.select_related("order"))
    if user.has_perm(PERM_VIEW_INSPECTION):
        inspection = get_object_or_404(queryset, pk=pk)
    else:
        inspection = get_object_or_404(
            queryset.exclude(result=Inspection.Result.PENDING), pk=pk, order__shopper_id=user.pk
        )
    return _round_view(inspection)


def photo_for_viewer(*, user: "User", pk: int) -> QCPhoto:
    """A photo of a completed round for its order's shopper; any photo for QC staff; else 404."""
    queryset = QCPhoto.objects.select_related("inspection__order")
    photo = get_object_or_404(queryset, pk=pk)
    if user.has_perm(PERM_VIEW_PHOTO):
        return photo
    if photo.inspection.order.shopper_id == user.pk and not photo.inspection.is_open:
        return photo
    raise Http404


def qc_queue_q() -> Q:
    return Q(status=Order.Status.AWAITING_QC)


def qc_queue() -> QuerySet[Order]:
    """Orders waiting for QC, the longest-waiting first."""
    return Order.objects.filter(qc_queue_q()).order_by("status_changed_at", "id")


@dataclass(frozen=True)
class QueueAge:
    """A band of the QC queue by how long orders have waited since they arrived: at least
    `from_hours` (0 if None), less than `to_hours` (no limit if None)."""

    key: str
    from_hours: int | None
    to_hours: int | None

    def q(self, *, now: datetime) -> Q:
        """Orders waiting for QC in this band; the queue's filter and the dashboard both use it."""
        condition = qc_queue_q()
        if self.from_hours is not None:
            condition &= Q(status_changed_at__lte=now - timedelta(hours=self.from_hours))
        if self.to_hours is not None:
            condition &= Q(status_changed_at__gt=now - timedelta(hours=self.to_hours))
        return condition


QUEUE_AGES = {
    "under_24h": QueueAge("under_24h", None, 24),
    "1_2_days": QueueAge("1_2_days", 24, 48),
    "over_2_days": QueueAge("over_2_days", 48, None),
}


def rounds_for_staff(*, order: Order) -> list[RoundView]:
    """Every QC round of an order, the one in progress included, newest first, with its inspector,
    photos, defects and measurements: for support working on the order.

    Four queries (rounds with inspectors, photos, defects, measurements), whatever their numbers.
    """
    queryset = Inspection.objects.filter(order=order).select_related("inspector").order_by("-round_number")
    return [_round_view(inspection) for inspection in _with_evidence(queryset)]
