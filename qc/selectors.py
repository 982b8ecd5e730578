"""QC reads, each with the queries it needs already planned (a constant number per page).

The pages show rounds as `RoundView`s: the round with its photos numbered as shown, each with the
defects boxed on it, and each defect with the photo it points at. Nothing is hung on the rows.
"""

import json
import secrets
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery, prefetch_related_objects
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from common.pages import PageSection, Picture
from common.serving import signed_file_url, signed_url_expiry, signed_url_step_left
from common.uploads import ACCEPT
from ledger.models import ZERO, money
from orders.models import PERM_VIEW_LISTING, ListingImage, Order
from orders.selectors import listing_images_for_order

from .models import (
    PERM_VIEW_INSPECTION,
    PERM_VIEW_PHOTO,
    Defect,
    Inspection,
    Measurement,
    PhotoRequest,
    QCPhoto,
    ShotListItem,
)

if TYPE_CHECKING:
    from accounts.models import User


@dataclass(frozen=True)
class PhotoView:
    photo: QCPhoto
    number: int  # 1, 2, ... in the order the round shows its photos
    boxes: tuple[Defect, ...]  # the defects with a highlight box drawn on this photo
    # The thumbnail's signed address (common.serving), for a viewer the page has checked: the
    # browser fetches it without a permission check per image. Empty until renditions exist.
    thumb_src: str = ""


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


_EVIDENCE = (
    Prefetch("photos", QCPhoto.objects.shown().select_related("shot").order_by("position", "id")),
    Prefetch("defects", Defect.objects.order_by("position", "id")),
    # Measurements added in answer to a photo request show once the answer is sent.
    Prefetch("measurements", Measurement.objects.exclude(photo_request__status=PhotoRequest.Status.OPEN)),
)


def _with_evidence(queryset: QuerySet[Inspection]) -> QuerySet[Inspection]:
    return queryset.prefetch_related(*_EVIDENCE)


def _thumb_src(photo: QCPhoto, expires: int) -> str:
    if not photo.thumb:
        return ""
    return signed_file_url(photo.thumb, pk=photo.pk, expires=expires, view_name="qc:file")


def _round_view(inspection: Inspection, *, expires: int | None = None) -> RoundView:
    """The round as its pages show it, from what `_with_evidence` prefetched (no more queries);
    thumbnails signed to expire at `expires` (common.serving.signed_url_expiry() if None)."""
    expires = signed_url_expiry() if expires is None else expires
    defects = list(inspection.defects.all())
    boxed: dict[int, list[Defect]] = {}
    for defect in defects:
        if defect.has_box:
            boxed.setdefault(defect.photo_id, []).append(defect)
    photos = tuple(
        PhotoView(
            photo=photo, number=number, boxes=tuple(boxed.get(photo.pk, ())), thumb_src=_thumb_src(photo, expires)
        )
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


def _fragment_key(inspection: Inspection, expires: int) -> str:
    """What a round's rendered fragment depends on: the round and its evidence's version (with
    its completion time: a database restored from a backup starts versions over), the language
    and time zone it is shown in, and its thumbnails' expiry."""
    completed = int(inspection.completed_at.timestamp()) if inspection.completed_at else 0
    zone = timezone.get_current_timezone_name()
    return f"qc:round:{inspection.pk}:{inspection.evidence_version}:{completed}:{get_language()}:{zone}:{expires}"


@dataclass(frozen=True)
class RenderedRounds:
    """An order's completed rounds as the shopper's page shows them, newest first."""

    rounds: tuple[Inspection, ...]
    html: tuple[str, ...]  # each round's fragment, safe to insert
    has_ready_photos: bool  # a photo the shopper sees, with its renditions made


# Where an Order instance keeps them (by language and time zone) for the page's other sections.
_RENDERED = "_qc_rendered_rounds"


def completed_rounds_html(*, order: Order) -> RenderedRounds:
    """The order's completed QC rounds, newest first, each rendered as the shopper's page shows
    it. A round's fragment is kept in the cache until its thumbnails' addresses are about to
    change (one SIGNED_FILE_URL_STEP at most), under a key that every change to its evidence
    moves on (Inspection.evidence_version). One query and one cache read when every fragment is
    cached; three more queries for the rounds that are not, whatever their numbers of photos,
    defects and measurements. Kept on `order` for the page's other sections (the photo request
    panel's latest round, the listing section's "are there photos to compare")."""
    shown_as = (get_language(), timezone.get_current_timezone_name())
    kept = order.__dict__.setdefault(_RENDERED, {})
    if shown_as in kept:
        return kept[shown_as]
    now = time.time()
    expires = signed_url_expiry(now)
    rounds = tuple(
        Inspection.objects.filter(order=order).exclude(result=Inspection.Result.PENDING).order_by("-round_number")
    )
    keys = {inspection.pk: _fragment_key(inspection, expires) for inspection in rounds}
    cached = cache.get_many(keys.values()) if rounds else {}
    missing = [inspection for inspection in rounds if keys[inspection.pk] not in cached]
    if missing:
        prefetch_related_objects(missing, *_EVIDENCE)
        rendered = {}
        for inspection in missing:
            view = _round_view(inspection, expires=expires)
            html = render_to_string("qc/components/round.html", {"qc_round": view, "heading_level": 3})
            rendered[keys[inspection.pk]] = (html, any(shown.photo.is_ready for shown in view.photos))
        # Gone before the step ends, when pages start carrying the next addresses.
        cache.set_many(rendered, timeout=signed_url_step_left(now))
        cached.update(rendered)
    fragments = [cached[keys[inspection.pk]] for inspection in rounds]
    result = RenderedRounds(
        rounds=rounds,
        html=tuple(mark_safe(html) for html, _ready in fragments),  # noqa: S308 - our own rendering
        has_ready_photos=any(ready for _html, ready in fragments),
    )
    kept[shown_as] = result
    return result


def _rounds_read(order: Order) -> RenderedRounds | None:
    """The rounds `completed_rounds_html` read for this order object, in this language and time
    zone, if it did."""
    return order.__dict__.get(_RENDERED, {}).get((get_language(), timezone.get_current_timezone_name()))


def order_qc_section(*, order: Order, user: "User") -> PageSection:
    """The order page's QC section: every completed round with its evidence, from the cache
    when it has it (one query then; `completed_rounds_html`)."""
    return PageSection("qc/components/rounds.html", {"rounds": completed_rounds_html(order=order).html})


def order_card_photos(*, orders: Sequence[Order]) -> dict[int, Picture]:
    """The thumbnail of each order's first photo in its latest completed QC round, for the order
    list's cards (order pk -> picture; orders without a ready photo are left out). One query,
    whatever the number of orders or photos."""
    first = (
        QCPhoto.objects.shown()
        .filter(inspection__order_id=OuterRef("pk"), renditions_at__isnull=False)
        .exclude(inspection__result=Inspection.Result.PENDING)
        .order_by("-inspection__round_number", "position", "id")
        .values("pk")[:1]
    )
    firsts = Order.objects.filter(pk__in=[order.pk for order in orders]).annotate(photo=Subquery(first))
    rows = QCPhoto.objects.filter(pk__in=firsts.values("photo")).values_list(
        "pk", "inspection__order_id", "thumb_width", "thumb_height"
    )
    return {
        order_id: Picture(reverse("qc:photo", kwargs={"pk": pk, "rendition": "thumb"}), width, height)
        for pk, order_id, width, height in rows
    }


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
    queryset = QCPhoto.objects.select_related("inspection__order", "photo_request")
    photo = get_object_or_404(queryset, pk=pk)
    if user.has_perm(PERM_VIEW_PHOTO):
        return photo
    drafted = photo.photo_request_id is not None and photo.photo_request.is_open  # an answer not sent yet
    if photo.inspection.order.shopper_id == user.pk and not photo.inspection.is_open and not drafted:
        return photo
    raise Http404


def qc_queue_q() -> Q:
    return Q(status=Order.Status.AWAITING_QC)


def qc_queue() -> QuerySet[Order]:
    """Orders waiting for QC, the longest-waiting first."""
    return Order.objects.filter(qc_queue_q()).order_by("status_changed_at", "id")


# --- Photo requests -------------------------------------------------------------------------

# Before the item reaches QC there is nothing to ask photos of.
_BEFORE_QC = frozenset(
    {
        Order.Status.PENDING_PAYMENT,
        Order.Status.PAID,
        Order.Status.PURCHASED,
        Order.Status.SHIPPED_TO_WAREHOUSE,
        Order.Status.CANCELLED,
    }
)


def photo_request_unit_fee(earlier: Iterable[PhotoRequest]) -> Decimal:
    """What each photo of an order's next request costs, given its `earlier` requests: nothing
    for the first one (a request we failed to answer in time does not use it up),
    EXTRA_PHOTO_FEE after that."""
    used = any(request.status != PhotoRequest.Status.EXPIRED for request in earlier)
    return money(settings.EXTRA_PHOTO_FEE) if used else ZERO


def photo_requests_for_order(*, order: Order) -> list[PhotoRequest]:
    """The order's photo requests, oldest first, each with its round and how many photos and
    measurements answered it (one query)."""
    return list(
        order.photo_requests.select_related("inspection")
        .annotate(
            photo_count=Count("photos", distinct=True),
            measurement_count=Count("measurements", distinct=True),
        )
        .order_by("requested_at", "id")
    )


def order_photo_request_section(*, order: Order, user: "User") -> PageSection | None:
    """The order page's "more photos" panel: the shopper's requests and their answers, and the
    form to ask, while a decision is open on a completed round (one query, two with the form)."""
    if order.status in _BEFORE_QC:
        return None
    requests = photo_requests_for_order(order=order)
    asking_open = order.status in (Order.Status.QC_FAILED, Order.Status.STORED) and order.decision_window_open()
    latest = None
    if asking_open and not any(request.is_open for request in requests):
        read = _rounds_read(order)  # by the QC section, on the order page: their first is the latest
        if read is not None:
            latest = next(iter(read.rounds), None)
        else:
            latest = order.inspections.exclude(result=Inspection.Result.PENDING).order_by("-round_number").first()
    if latest is None and not requests:
        return None
    context = {
        "photo_requests": requests,
        "photo_round": latest,
        "unit_fee": photo_request_unit_fee(requests),
        "max_photos": settings.EXTRA_PHOTO_MAX,
        "answer_hours": settings.EXTRA_PHOTO_HOURS,
        # One per page shown: the same form sent twice makes one request.
        "form_token": secrets.token_urlsafe(16) if latest else "",
    }
    return PageSection("qc/components/photo_requests.html", context)


def photo_requests_past_due() -> list[int]:
    """Open photo requests older than EXTRA_PHOTO_HOURS, oldest first."""
    cutoff = timezone.now() - timedelta(hours=settings.EXTRA_PHOTO_HOURS)
    return list(
        PhotoRequest.objects.open()
        .filter(requested_at__lte=cutoff)
        .order_by("requested_at")
        .values_list("pk", flat=True)
    )


def photo_requests_to_answer() -> QuerySet[PhotoRequest]:
    """The inspectors' queue of photo requests: open ones, the oldest first, with what the list
    shows already joined."""
    return (
        PhotoRequest.objects.open()
        .select_related("order", "inspection", "requested_by")
        .order_by("requested_at", "id")
    )


# --- Comparing with the listing -------------------------------------------------------------


@dataclass(frozen=True)
class ComparePhoto:
    """A QC photo as the compare page offers it: which round, which number, its boxes as data
    for the page's script ([x, y, w, h, severity, title] each, fractions of the photo)."""

    photo: QCPhoto
    round_number: int
    number: int
    boxes: tuple[tuple, ...]

    @property
    def boxes_json(self) -> str:
        return json.dumps(self.boxes)


@dataclass(frozen=True)
class Comparison:
    order: Order
    listing: tuple[ListingImage, ...]
    photos: tuple[ComparePhoto, ...]  # newest round first, each round's photos in page order
    listing_choice: ListingImage | None
    photo_choice: ComparePhoto | None


def _compare_photos(*, order: Order, completed_only: bool) -> tuple[ComparePhoto, ...]:
    """The photos with renditions of the order's rounds, with their boxes; three queries."""
    rounds = Inspection.objects.filter(order=order).order_by("-round_number")
    if completed_only:
        rounds = rounds.exclude(result=Inspection.Result.PENDING)
    rounds = rounds.prefetch_related(
        Prefetch("photos", QCPhoto.objects.filter(renditions_at__isnull=False).order_by("position", "id")),
        Prefetch("defects", Defect.objects.filter(box_x__isnull=False).order_by("position", "id")),
    )
    photos = []
    for inspection in rounds:
        boxes: dict[int, list] = {}
        for d in inspection.defects.all():
            title = f"{d.get_kind_display()}: {d.description}"
            boxes.setdefault(d.photo_id, []).append((d.box_x, d.box_y, d.box_w, d.box_h, d.severity, title))
        photos += [
            ComparePhoto(
                photo=photo,
                round_number=inspection.round_number,
                number=number,
                boxes=tuple(boxes.get(photo.pk, ())),
            )
            for number, photo in enumerate(inspection.photos.all(), start=1)
        ]
    return tuple(photos)


def _staff_compares(user: "User") -> bool:
    return user.has_perm(PERM_VIEW_PHOTO) and user.has_perm(PERM_VIEW_LISTING)


def comparison_for_viewer(*, user: "User", number: str, listing_pk: int | None, photo_pk: int | None) -> Comparison:
    """An order's listing images and QC photos, and the pair chosen (or the first of each), for
    its shopper (completed rounds only) or staff who may see both; anyone else gets 404.
    Five queries whatever the numbers of images, rounds, photos and boxes."""
    staff = _staff_compares(user)
    orders = Order.objects.all() if staff else Order.objects.for_shopper(user)
    order = get_object_or_404(orders, number=number)
    listing = tuple(listing_images_for_order(order=order))
    photos = _compare_photos(order=order, completed_only=not staff)
    listing_choice = next((image for image in listing if image.pk == listing_pk), listing[0] if listing else None)
    photo_choice = next((shown for shown in photos if shown.photo.pk == photo_pk), photos[0] if photos else None)
    return Comparison(
        order=order, listing=listing, photos=photos, listing_choice=listing_choice, photo_choice=photo_choice
    )


def order_listing_section(*, order: Order, user: "User") -> PageSection:
    """The order page's listing images: thumbnails, a way to add screenshots, and the way to
    compare them with the QC photos once there are both (two queries)."""
    listing = listing_images_for_order(order=order)
    read = _rounds_read(order)  # by the QC section, on the order page
    if read is not None:
        has_photos = read.has_ready_photos
    else:
        has_photos = QCPhoto.objects.filter(
            inspection__order=order, renditions_at__isnull=False, inspection__completed_at__isnull=False
        ).exists()
    shoppers = sum(1 for image in listing if image.source == ListingImage.Source.SHOPPER)
    return PageSection(
        "qc/listing_section.html",
        {
            "listing": listing,
            "compare_url": reverse("qc:compare", kwargs={"number": order.number}) if listing and has_photos else "",
            "has_photos": has_photos,
            "room": max(settings.LISTING_IMAGES_MAX - shoppers, 0) if order.status != Order.Status.CANCELLED else 0,
            "accept": ACCEPT,
        },
    )


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


@dataclass(frozen=True)
class Workbench:
    """What the inspection page shows besides the round's own form: the order's context, the
    shot lists, and the order's earlier rounds with their evidence."""

    photos: tuple[QCPhoto, ...]
    shot_lists: dict[str, list[ShotListItem]]
    earlier_rounds: tuple[RoundView, ...]
    listing_images: list[ListingImage]


def inspection_workbench(*, inspection: Inspection) -> Workbench:
    """Four queries (photos, shot lists, earlier rounds, listing images), and three more when the
    order has earlier rounds (their photos, defects, measurements), whatever their numbers."""
    earlier = Inspection.objects.filter(order_id=inspection.order_id, round_number__lt=inspection.round_number)
    earlier = earlier.exclude(result=Inspection.Result.PENDING).order_by("-round_number")
    return Workbench(
        photos=tuple(round_photos(inspection_id=inspection.pk)),
        shot_lists=shot_lists(),
        earlier_rounds=tuple(_round_view(r) for r in _with_evidence(earlier)),
        listing_images=listing_images_for_order(order=inspection.order),
    )
