"""QC reads, each with the queries it needs already planned (a constant number per page).

The pages show rounds as `RoundView`s: the round with its photos numbered as shown, each with the
defects boxed on it, and each defect with the photo it points at. Nothing is hung on the rows.
"""

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from common.pages import PageSection
from orders.models import Order

from .models import PERM_VIEW_INSPECTION, PERM_VIEW_PHOTO, Defect, Inspection, Measurement, QCPhoto, ShotListItem

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
        Prefetch("photos", QCPhoto.objects.shown().select_related("shot").order_by("position", "id")),
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


def qc_queue() -> QuerySet[Order]:
    """Orders waiting for QC, the longest-waiting first."""
    return Order.objects.filter(status=Order.Status.AWAITING_QC).order_by("status_changed_at", "id")


# --- The inspection page ----------------------------------------------------------------------


def shots_missing(*, inspection: Inspection) -> QuerySet[ShotListItem]:
    """The required shots of the round's product category that none of its photos covers
    (a photo whose renditions failed covers nothing: the shopper would never see it)."""
    covered = QCPhoto.objects.filter(inspection=inspection, renditions_failed_at__isnull=True, shot__isnull=False)
    return (
        ShotListItem.objects.filter(category=inspection.order.category, active=True)
        .exclude(pk__in=covered.values("shot_id"))
        .order_by("position", "id")
    )


def round_photos(*, inspection_id: int) -> QuerySet[QCPhoto]:
    """Every photo of a round as the inspection page shows it (failed ones too), in order, with
    the shot each covers: one query."""
    return QCPhoto.objects.filter(inspection_id=inspection_id).select_related("shot").order_by("position", "id")


def shot_lists() -> dict[str, list[ShotListItem]]:
    """Every category's required shots in order (one query): the page switches category live."""
    lists: dict[str, list[ShotListItem]] = {}
    for item in ShotListItem.objects.filter(active=True).order_by("category", "position", "id"):
        lists.setdefault(item.category, []).append(item)
    return lists


def listing_images(*, order: Order) -> list:
    """The listing's images (the shopper's screenshots, the seller's photos) to compare with what
    arrived. Orders have none yet (issue 15 adds them as `order.listing_images`); until then the
    page's spot for them stays empty."""
    images = getattr(order, "listing_images", None)
    return list(images.all()) if images is not None else []


@dataclass(frozen=True)
class Workbench:
    """What the inspection page shows besides the round's own form: the order's context, the
    shot lists, and the order's earlier rounds with their evidence."""

    photos: tuple[QCPhoto, ...]
    shot_lists: dict[str, list[ShotListItem]]
    earlier_rounds: tuple[RoundView, ...]
    listing_images: list


def inspection_workbench(*, inspection: Inspection) -> Workbench:
    """Three queries (photos, shot lists, earlier rounds), and three more when the order has
    earlier rounds (their photos, defects, measurements), whatever their numbers."""
    earlier = Inspection.objects.filter(order_id=inspection.order_id, round_number__lt=inspection.round_number)
    earlier = earlier.exclude(result=Inspection.Result.PENDING).order_by("-round_number")
    return Workbench(
        photos=tuple(round_photos(inspection_id=inspection.pk)),
        shot_lists=shot_lists(),
        earlier_rounds=tuple(_round_view(r) for r in _with_evidence(earlier)),
        listing_images=listing_images(order=inspection.order),
    )
