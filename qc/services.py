"""QC operations: open a round, add photos, make renditions, complete a round.

Each is one function; the admin, views, tasks and the demo call these and nothing else saves a
QC row with consequences (order status, stored files, notifications).
"""

import hashlib
import logging
import re
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from functools import partial
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.db import IntegrityError, transaction
from django.db.models import F, Max, Q
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from common.files import delete_stored_files
from common.images import PILLOW_ERRORS
from common.locale import format_when, recipient_locale
from common.publishing import publish, publish_soon
from common.renditions import make_renditions
from common.uploads import validate_image
from ledger.models import Account, LedgerTransaction, money, order_statement
from ledger.selectors import posted_transaction
from ledger.services import ledger_post, platform_account, wallet_for
from notifications.models import Details, Event, Image, Item
from notifications.services import notify
from orders.models import Order, ProductCategory
from orders.services import (
    OrderActionError,
    OrderChangedMeanwhile,
    QuoteChanged,
    deadline_display,
    order_fail_qc,
    order_locked,
    order_pass_qc,
    order_pause_decision,
    order_receive,
    order_record_event,
    order_resume_decision,
)

from . import selectors
from .exceptions import MissingShots, QCError, UnreadablePhoto
from .models import PERM_COMPLETE, Defect, Inspection, Measurement, PhotoRequest, QCPhoto, ShotListItem
from .selectors import photo_request_unit_fee

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)

Result = Inspection.Result


# --- Rounds ---------------------------------------------------------------------------------


def inspection_open(*, order: Order, by: "User | None") -> Inspection:
    """The open QC round of an arrived order, created as round N+1 if there is none.

    Receiving an order through `order_receive_and_open_round` (the admin's Receive button and
    bulk action) opens it at once; orders received otherwise get it when an inspector opens
    them from the QC queue. Calling it again returns the same round. Locks the order row, so
    two inspectors opening the same order get one round.
    """
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        current = locked.inspections.filter(result=Result.PENDING).first()
        if current is not None:
            return current
        if locked.status != Order.Status.AWAITING_QC:
            raise QCError(
                _("Order %(number)s is “%(status)s”: only orders that arrived for QC can be inspected.")
                % {"number": locked.number, "status": locked.get_status_display()}
            )
        last = locked.inspections.aggregate(last=Max("round_number"))["last"] or 0
        return Inspection.objects.create(order=locked, round_number=last + 1, inspector=by)


def order_receive_and_open_round(
    *, order: Order, by: "User", expected_status: str | None = None
) -> tuple[Order, Inspection]:
    """Receive an order at the warehouse and open its next QC round, in one transaction
    (round 1 on arrival, round 2 when an exchange's replacement arrives...)."""
    with transaction.atomic():
        order = order_receive(order=order, by=by, expected_status=expected_status)
        # Support may receive parcels, but the round is an inspector's to take.
        inspection = inspection_open(order=order, by=by if by.has_perm(PERM_COMPLETE) else None)
    return order, inspection


def _summary(inspection: Inspection, photo_count: int, defects: list[Defect]) -> str:
    """What a failed round says in the shopper's alert: how much evidence there is. The defects
    themselves travel as the notice's details (see `_evidence`)."""
    lines = [
        ngettext("%(count)d photo was taken.", "%(count)d photos were taken.", photo_count) % {"count": photo_count},
        ngettext("%(count)d defect was found.", "%(count)d defects were found.", len(defects))
        % {"count": len(defects)},
    ]
    if inspection.public_note:
        lines.append(inspection.public_note)
    return "\n".join(lines)


# How many photos the shopper's QC email embeds: those showing a defect, else the first ones.
EMAIL_DEFECT_PHOTOS, EMAIL_PASSED_PHOTOS = 4, 3


def _evidence(photos: list[QCPhoto], defects: list[Defect]) -> Details:
    """The defects (major first) and small pictures of the photos showing them, for the email.

    Pictures are the thumbnails already made; a photo still waiting for its renditions is left
    out of the email (the order page shows it once ready)."""
    number = {photo.pk: n for n, photo in enumerate(photos, start=1)}
    ordered = sorted(defects, key=lambda d: (not d.is_major, d.position, d.pk))
    items: list[Item] = []
    for defect in ordered:
        text = defect.description
        if defect.photo_id in number:
            text = _("%(description)s (photo %(number)d)") % {
                "description": defect.description,
                "number": number[defect.photo_id],
            }
        item: Item = {"title": defect.get_kind_display(), "tag": defect.get_severity_display(), "text": text}
        if defect.is_major:
            item["emphasis"] = True
        items.append(item)
    by_pk = {photo.pk: photo for photo in photos}
    showing_defects = [by_pk[pk] for pk in dict.fromkeys(d.photo_id for d in ordered if d.photo_id in by_pk)]
    limit = EMAIL_DEFECT_PHOTOS if defects else EMAIL_PASSED_PHOTOS
    pictured = [photo for photo in (showing_defects or photos) if photo.is_ready and photo.thumb][:limit]
    images: list[Image] = [
        {
            "name": photo.thumb.name,
            "alt": _("QC photo %(number)d: %(caption)s") % {"number": number[photo.pk], "caption": photo.caption}
            if photo.caption
            else _("QC photo %(number)d") % {"number": number[photo.pk]},
            "caption": _("Photo %(number)d") % {"number": number[photo.pk]},
        }
        for photo in pictured
    ]
    details: Details = {"images": images}
    if items:
        details.update(items_title=_("Defects found"), items=items)
    return details


def inspection_complete(
    *, inspection: Inspection, by: "User", result: str, allow_missing_shots: bool = True
) -> Inspection:
    """Pass or fail an open round: the order moves (passed -> stored; failed -> qc_failed with
    the decision deadline) and the shopper is notified, all in one transaction. Returns the
    completed round with its moved order.

    Fail needs at least one photo and one defect; pass needs at least one photo. Unless
    `allow_missing_shots` (the inspector confirmed it), every required shot of the order's
    category must be covered too; MissingShots says which are not.
    """
    if result not in (Result.PASSED, Result.FAILED):
        raise QCError(_("Choose pass or fail."))
    try:
        with transaction.atomic():
            locked = (
                Inspection.objects.select_for_update(of=("self",))
                .select_related("order__shopper")
                .get(pk=inspection.pk)
            )
            if not locked.is_open:
                raise QCError(
                    _("Round %(round)s of order %(number)s is already complete (%(result)s).")
                    % {
                        "round": locked.round_number,
                        "number": locked.order.number,
                        "result": locked.get_result_display(),
                    }
                )
            photos = list(locked.photos.order_by("position", "id"))
            defects = list(locked.defects.all())
            photo_count = len(photos)
            if photo_count == 0:
                raise QCError(_("Add at least one photo before passing or failing QC."))
            if result == Result.FAILED and not defects:
                raise QCError(_("Record at least one defect before failing QC."))
            if not allow_missing_shots:
                missing = list(selectors.shots_missing(inspection=locked))
                if missing:
                    raise MissingShots(missing)
            order = locked.order
            expected = Order.Status.AWAITING_QC
            # Numbered as the shopper's page numbers them: without photos it cannot show.
            shown = [photo for photo in photos if not photo.renditions_have_failed]
            # The shopper's notice, in their language, whoever inspected.
            with recipient_locale(order.shopper):
                details = _evidence(shown, defects if result == Result.FAILED else [])
                summary = _summary(locked, photo_count, defects)
            if result == Result.PASSED:
                order = order_pass_qc(
                    order=order, by=by, note=locked.public_note, details=details, expected_status=expected
                )
            else:
                order = order_fail_qc(
                    order=order,
                    by=by,
                    note=locked.public_note,
                    summary=summary,
                    details=details,
                    expected_status=expected,
                )
            locked.result = result
            locked.inspector = by
            locked.completed_at = timezone.now()
            locked.evidence_version += 1
            locked.save(update_fields=["result", "inspector", "completed_at", "evidence_version"])
            locked.order = order
    except OrderActionError as error:
        raise QCError(str(error)) from None
    return locked


def inspection_evidence_changed(*, inspection_id: int) -> None:
    """What the shopper's page shows of the round may have changed (a photo ready, hidden or
    shown, a defect or measurement edited, the round completed): its cached fragment is stale.
    One UPDATE; every service that changes a round's evidence calls it."""
    Inspection.objects.filter(pk=inspection_id).update(evidence_version=F("evidence_version") + 1)


def _locked_open_round(inspection: Inspection) -> Inspection:
    """The round, locked for the rest of the transaction, or QCError if it is complete."""
    locked = Inspection.objects.select_for_update().select_related("order").get(pk=inspection.pk)
    if not locked.is_open:
        raise QCError(_("This QC round is complete; it cannot change."))
    return locked


def _order_set_category(*, locked: Inspection, category: str) -> None:
    """The order's product category, and the round's photos tagged with shots of another
    category lose their tag (they count for nothing now). Caller holds the round's lock."""
    if category not in ProductCategory.values:
        raise QCError(_("Choose a product category from the list."))
    if locked.order.category == category:
        return
    Order.objects.filter(pk=locked.order_id).update(category=category)
    locked.order.category = category
    QCPhoto.objects.filter(inspection=locked, shot__isnull=False).exclude(shot__category=category).update(shot=None)


def inspection_update(
    *,
    inspection: Inspection,
    by: "User",
    public_note: str,
    internal_note: str,
    weight_grams: int | None,
    category: str,
) -> Inspection:
    """Save what the inspector wrote on an open round: notes, the parcel's weight and the
    order's product category (which decides the shot list). Returns the fresh round; a round
    completed meanwhile raises QCError and nothing changes."""
    with transaction.atomic():
        locked = _locked_open_round(inspection)
        locked.public_note, locked.internal_note, locked.weight_grams = public_note, internal_note, weight_grams
        locked.save(update_fields=["public_note", "internal_note", "weight_grams"])
        _order_set_category(locked=locked, category=category)
    return locked


def inspection_set_category(*, inspection: Inspection, by: "User", category: str) -> Inspection:
    """Set the order's product category from its open round (the inspector knows best what
    arrived); photos tagged with shots of the old category lose their tag. Returns the round."""
    with transaction.atomic():
        locked = _locked_open_round(inspection)
        _order_set_category(locked=locked, category=category)
    return locked


# --- Photos ---------------------------------------------------------------------------------


# How many times the sweep hands a photo's job to the broker before giving up on it (each of
# them a job that never reported back: its worker was killed or ran out of time).
RENDITION_SWEEPS = 3


def photo_enqueue_renditions(*, photo_id: int) -> None:
    """Hand the rendition job to the broker in the background: never raises, never waits on
    the broker. If the broker cannot take it, the periodic sweep does."""
    from .tasks import RENDITIONS_LIFETIME, make_photo_renditions

    publish_soon(
        make_photo_renditions,
        kwargs={"photo_id": photo_id},
        expires=RENDITIONS_LIFETIME,
        then=partial(_mark_renditions_queued, photo_id),
    )


def _mark_renditions_queued(photo_id: int) -> None:
    QCPhoto.objects.filter(pk=photo_id).update(
        renditions_queued_at=timezone.now(), renditions_attempts=F("renditions_attempts") + 1
    )


def _photo_evidence_changed(photo_id: int) -> None:
    inspection_id = QCPhoto.objects.filter(pk=photo_id).values_list("inspection_id", flat=True).first()
    if inspection_id is not None:
        inspection_evidence_changed(inspection_id=inspection_id)


def photo_sweep_renditions(*, limit: int = 200) -> int:
    """Publish the rendition jobs of photos still without renditions, except jobs in flight
    (handed to the broker less than their lifetime ago); a photo whose job was handed over
    RENDITION_SWEEPS times without an answer is marked failed instead.

    For a worker (beat runs it): publishes inline and stops at the first broker failure.
    Returns how many jobs it published."""
    from .tasks import RENDITIONS_LIFETIME, make_photo_renditions

    photos = list(
        QCPhoto.objects.renditions_pending()
        .filter(
            Q(renditions_queued_at__isnull=True) | Q(renditions_queued_at__lt=timezone.now() - RENDITIONS_LIFETIME)
        )
        .order_by("id")
        .values_list("pk", "renditions_attempts")[:limit]
    )
    published = 0
    for photo_id, attempts in photos:
        if attempts >= RENDITION_SWEEPS:
            photo_renditions_failed(
                photo_id=photo_id,
                reason=f"Gave up after {attempts} attempts: the worker never finished (killed, or out of time).",
            )
            continue
        try:
            publish(make_photo_renditions, kwargs={"photo_id": photo_id}, expires=RENDITIONS_LIFETIME)
        except Exception:  # noqa: BLE001 - any broker failure; the next sweep tries again
            logger.warning("Broker unreachable: the sweep published %s rendition jobs", published)
            break
        _mark_renditions_queued(photo_id)
        published += 1
    return published


def photo_renditions_failed(*, photo_id: int, reason: str) -> bool:
    """Record that a photo's renditions cannot be made (the job is not tried again until an
    inspector retries it); logged as an error. Returns whether the photo was still waiting."""
    failed = QCPhoto.objects.filter(pk=photo_id, renditions_at__isnull=True).update(
        renditions_failed_at=timezone.now(), renditions_error=reason[:500]
    )
    if failed:
        logger.error("Renditions of QC photo %s failed: %s", photo_id, reason)
        _photo_evidence_changed(photo_id)
    return bool(failed)


def photo_renditions_retry(*, photo: QCPhoto, by) -> QCPhoto:
    """An inspector tries a failed photo again: a fresh job with a fresh count of attempts."""
    with transaction.atomic():
        QCPhoto.objects.filter(pk=photo.pk, renditions_at__isnull=True).update(
            renditions_failed_at=None, renditions_error="", renditions_queued_at=None, renditions_attempts=0
        )
        transaction.on_commit(partial(photo_enqueue_renditions, photo_id=photo.pk))
        inspection_evidence_changed(inspection_id=photo.inspection_id)
    logger.info("Renditions of QC photo %s retried by %s", photo.pk, by)
    return QCPhoto.objects.get(pk=photo.pk)


def photo_add(
    *,
    inspection: Inspection,
    uploaded_file: File,
    by: "User",
    caption: str = "",
    shot: ShotListItem | None = None,
    tag_next_shot: bool = False,
    renditions_in_background: bool = True,
) -> QCPhoto:
    """Validate and store one photo of an open round; renditions follow after commit (unless
    the caller makes them itself: the demo does, so that it is ready to look at).

    The photo covers `shot`, or with `tag_next_shot` the first shot of the order's shot list that
    no photo of the round covers yet (inspectors take them in the list's order; the tag is
    changed on the page when it guessed wrong).

    A refused file raises ValidationError (or QCError) and leaves no row and no file.
    """
    if not inspection.is_open:
        validate_image(uploaded_file)  # a bad file is refused as such, whatever else is wrong
        raise QCError(_("This QC round is complete; its photos cannot change."))

    def round_still_open() -> ShotListItem | None:
        # The round is locked: it cannot be completed while its photo is being added, and two
        # uploads at once do not tag the same next shot.
        locked = Inspection.objects.select_for_update().select_related("order").get(pk=inspection.pk)
        if not locked.is_open:
            raise QCError(_("This QC round is complete; its photos cannot change."))
        if shot is not None:
            _check_shot(shot, locked=locked)
            return shot
        return selectors.shots_missing(inspection=locked).first() if tag_next_shot else None

    return _photo_store(
        inspection=inspection,
        uploaded_file=uploaded_file,
        by=by,
        caption=caption,
        renditions_in_background=renditions_in_background,
        check=round_still_open,
    )


def _photo_store(
    *,
    inspection: Inspection,
    uploaded_file: File,
    by: "User",
    caption: str,
    renditions_in_background: bool,
    check: Callable[[], ShotListItem | None],
    photo_request: "PhotoRequest | None" = None,
) -> QCPhoto:
    """Validate and store one photo of `inspection`; `check` runs first in the transaction,
    takes the lock that lets the photo in, raises QCError if it may not be added, and returns
    the shot of the shot list the photo covers (or None)."""
    image = validate_image(uploaded_file)  # before anything is stored
    digest = hashlib.sha256(image.content).hexdigest()
    if QCPhoto.objects.filter(inspection=inspection, sha256=digest).exists():
        raise ValidationError(_("This photo is already in this QC round."), code="duplicate")
    photo = QCPhoto(
        inspection=inspection,
        content_type=image.content_type,
        width=image.width,
        height=image.height,
        bytes=len(image.content),
        sha256=digest,
        caption=caption,
        uploaded_by=by,
        photo_request=photo_request,
    )
    stored: list[str] = []
    try:
        with transaction.atomic():
            photo.shot = check()
            last = inspection.photos.aggregate(last=Max("position"))["last"]
            photo.position = 0 if last is None else last + 1
            photo.original.save(f"original.{image.extension}", ContentFile(image.content), save=False)
            stored.append(photo.original.name)
            photo.save()
            if renditions_in_background:
                transaction.on_commit(partial(photo_enqueue_renditions, photo_id=photo.pk))
    except IntegrityError:
        delete_stored_files(stored)
        raise ValidationError(_("This photo is already in this QC round."), code="duplicate") from None
    except BaseException:
        delete_stored_files(stored)
        raise
    return photo


def _check_shot(shot: ShotListItem, *, locked: Inspection) -> None:
    if not shot.active or shot.category != locked.order.category:
        raise QCError(
            _("“%(shot)s” is not on the shot list of %(category)s.")
            % {"shot": shot.label, "category": locked.order.get_category_display()}
        )


def photo_describe(*, photo: QCPhoto, by: "User", caption: str, shot: ShotListItem | None) -> QCPhoto:
    """Set a photo's caption and the shot it covers (the shot of the order's category, active;
    or the one it already has). A completed round raises QCError. Returns the fresh photo."""
    with transaction.atomic():
        locked = _locked_open_round(photo.inspection)
        # A shot the photo covers already stays possible (retired or of a former category).
        if shot is not None and shot.pk != photo.shot_id:
            _check_shot(shot, locked=locked)
        QCPhoto.objects.filter(pk=photo.pk).update(caption=caption, shot=shot)
    return QCPhoto.objects.select_related("shot").get(pk=photo.pk)


def photos_reorder(*, inspection: Inspection, by: "User", photo_ids: list[int]) -> list[QCPhoto]:
    """Put the round's photos in this order (the ids of all of them, each once). A list that is
    not exactly the round's photos (one added or deleted meanwhile, a foreign id) raises QCError
    and nothing moves. Returns the photos in their new order."""
    with transaction.atomic():
        locked = _locked_open_round(inspection)
        photos = {photo.pk: photo for photo in QCPhoto.objects.select_for_update().filter(inspection=locked)}
        if len(photo_ids) != len(set(photo_ids)) or set(photo_ids) != set(photos):
            raise QCError(_("The photos of this round changed meanwhile; reload the page and move them again."))
        moved = []
        for position, photo_id in enumerate(photo_ids):
            photo = photos[photo_id]
            if photo.position != position:
                photo.position = position
                moved.append(photo)
        QCPhoto.objects.bulk_update(moved, ["position"])
    return [photos[photo_id] for photo_id in photo_ids]


def photo_make_renditions(*, photo_id: int) -> bool:
    """Make full / display / thumb for a photo; returns whether this call made them.

    Idempotent: a photo that has its renditions (or no longer exists) is left alone, and two
    workers racing on one photo store one set (the row lock decides; the loser's files go).
    """
    photo = QCPhoto.objects.filter(pk=photo_id).first()
    if photo is None or photo.is_ready:
        return False
    with photo.original.open("rb") as original:
        data = original.read()  # a storage error propagates: the task retries
    # The orientation is applied now: width and height describe the upright image.
    try:
        renditions = make_renditions(data)
    except PILLOW_ERRORS as error:
        # Without the repr of the in-memory file Pillow puts in some messages.
        reason = re.sub(r"\s*<[^<>]* object at 0x[0-9a-f]+>", "", str(error))
        raise UnreadablePhoto(f"{type(error).__name__}: {reason}") from error
    stored: list[str] = []
    try:
        with transaction.atomic():
            locked = QCPhoto.objects.select_for_update().filter(pk=photo_id).first()
            if locked is None or locked.is_ready:
                return False
            for name, rendition in renditions.items():
                field = getattr(locked, name)
                field.save(f"{name}.jpg", ContentFile(rendition.content), save=False)
                stored.append(field.name)
            full, display, thumb = renditions["full"], renditions["display"], renditions["thumb"]
            locked.width, locked.height = full.width, full.height
            locked.display_width, locked.display_height = display.width, display.height
            locked.thumb_width, locked.thumb_height = thumb.width, thumb.height
            locked.renditions_at = timezone.now()
            locked.renditions_failed_at, locked.renditions_error = None, ""
            locked.save()
    except BaseException:
        delete_stored_files(stored)
        raise
    # After the photo's own transaction: the round row is not locked while the photo is (a
    # photo deleted from an open round takes the round first, then the photo).
    inspection_evidence_changed(inspection_id=photo.inspection_id)
    return True


def photo_delete(*, photo: QCPhoto) -> list[Defect]:
    """Remove a photo of an open round; its files go once the deletion is committed.

    Defects keep their kind, severity and description but lose a highlight box drawn on this
    photo (a box without its photo means nothing, and the check constraint forbids it); they are
    returned, so the inspector can be told which boxes to draw again. The round is locked, so it
    cannot be completed meanwhile; a completed round raises QCError and nothing changes.
    """
    names = photo.stored_names()
    with transaction.atomic():
        if not Inspection.objects.select_for_update().get(pk=photo.inspection_id).is_open:
            raise QCError(_("This QC round is complete; its photos cannot change."))
        boxed = Defect.objects.select_for_update().filter(photo=photo, box_x__isnull=False)
        cleared = list(boxed.values_list("pk", flat=True))
        Defect.objects.filter(pk__in=cleared).update(photo=None, box_x=None, box_y=None, box_w=None, box_h=None)
        photo.delete()
        transaction.on_commit(partial(delete_stored_files, names))
    return list(Defect.objects.filter(pk__in=cleared).order_by("position", "id"))


# --- Photo requests: the shopper asks for more photos or measurements of a completed round ----


def _latest_completed_round(order: Order) -> Inspection | None:
    return order.inspections.exclude(result=Result.PENDING).order_by("-round_number").first()


def _clean_request(note: str, photos: int) -> str:
    note = " ".join((note or "").split())
    if not note:
        raise QCError(_("Say what you want to see, like “the stitching on the left sleeve” or “chest width”."))
    if not 1 <= photos <= settings.EXTRA_PHOTO_MAX:
        raise QCError(_("Ask for 1 to %(max)s photos or measurements at a time.") % {"max": settings.EXTRA_PHOTO_MAX})
    return note


def photo_request_create(
    *,
    order: Order,
    by: "User",
    note: str,
    photos: int,
    token: str,
    inspection_id: int | None = None,
    expected_unit_fee: Decimal | None = None,
    expected_status: str | None = None,
) -> tuple[Order, PhotoRequest, bool]:
    """Ask for `photos` more photos or measurements of the order's latest completed round, while
    the shopper may still decide on it (QC failed, or stored within the return window).

    Charges the fee from the balance at once (InsufficientBalance: nothing is created), pauses
    the decision clock, writes the timeline line and the receipt. `token` comes from the form:
    the same form sent twice returns the first request (the bool says whether this call made it).
    `inspection_id` and `expected_unit_fee` are the round and the price the page showed; if
    either changed meanwhile nothing happens (OrderChangedMeanwhile, QuoteChanged).
    """
    note = _clean_request(note, photos)
    with order_locked(order, expected_status=expected_status, by=by) as locked:
        existing = locked.photo_requests.filter(token=token).first()
        if existing is not None:
            return locked, existing, False
        if locked.status not in (Order.Status.QC_FAILED, Order.Status.STORED) or not locked.decision_window_open():
            raise QCError(_("More photos can be asked for while you decide what to do with the item."))
        inspection = _latest_completed_round(locked)
        if inspection is None:
            raise QCError(_("This order has no QC photos yet."))
        if inspection_id is not None and inspection.pk != inspection_id:
            raise OrderChangedMeanwhile(_("There is a newer QC round of this order. Look at it first."))
        if locked.photo_requests.open().exists():
            raise QCError(_("Your earlier request is still open. We answer it first."))
        unit_fee = photo_request_unit_fee(locked.photo_requests.only("status"))
        if expected_unit_fee is not None and money(expected_unit_fee) != unit_fee:
            raise QuoteChanged()
        request = PhotoRequest.objects.create(
            order=locked,
            inspection=inspection,
            note=note,
            photos_asked=photos,
            fee=unit_fee * photos,
            token=token,
            requested_by=by,
        )
        if request.fee:
            ledger_post(
                key=f"photo-fee:{request.pk}",
                kind=LedgerTransaction.Kind.PHOTO_FEE,
                legs=[
                    (wallet_for(user=locked.shopper), -request.fee),
                    (platform_account(Account.Kind.FEES), request.fee),
                ],
                description=order_statement(LedgerTransaction.Kind.PHOTO_FEE, locked.number),
                order_id=locked.pk,
                by=by,
            )
        order_pause_decision(locked=locked)
        values = {"count": photos, "note": note, "fee": request.fee}
        charged = (
            _("¥%(fee)s was charged from your balance; it is refunded if we do not answer in time.") % values
            if request.fee
            else _("Your first request is free.")
        )
        order_record_event(
            locked=locked,
            name="photo_request",
            by=by,
            note=ngettext(
                "You asked for %(count)d more photo: “%(note)s”.",
                "You asked for %(count)d more photos or measurements: “%(note)s”.",
                photos,
            )
            % values
            + " "
            + charged,
        )
        with recipient_locale(locked.shopper):
            notify(
                user=locked.shopper,
                event=Event.PHOTO_REQUEST,
                title=_("We will take the photos you asked for: “%(product)s”") % {"product": locked.product_title},
                body="\n\n".join(
                    [
                        _(
                            "Our inspectors answer by %(due)s, and your decision deadline is paused until then: "
                            "the time you wait is added to it."
                        )
                        % {"due": format_when(request.due_at)},
                        _("¥%(fee)s was charged from your balance; it is refunded if we do not answer in time.")
                        % values
                        if request.fee
                        else _("Your first request is free."),
                    ]
                ),
                link=locked.get_absolute_url(),
            )
    return locked, request, True


def _open_request_locked(photo_request: PhotoRequest) -> PhotoRequest:
    """The request's row, locked, if it is still open; else QCError."""
    locked = PhotoRequest.objects.select_for_update().filter(pk=photo_request.pk).first()
    if locked is None or not locked.is_open:
        raise QCError(_("This photo request is no longer open: it was answered or refunded."))
    return locked


def photo_request_add_photo(
    *,
    photo_request: PhotoRequest,
    uploaded_file: File,
    by: "User",
    caption: str = "",
    renditions_in_background: bool = True,
) -> QCPhoto:
    """Add a photo to the completed round of an open request, in answer to it. The shopper sees
    it once the answer is sent; until then it may be removed again. Renditions as `photo_add`."""

    def request_still_open() -> None:  # an answer covers no shot of the list
        _open_request_locked(photo_request)

    return _photo_store(
        inspection=photo_request.inspection,
        uploaded_file=uploaded_file,
        by=by,
        caption=caption,
        renditions_in_background=renditions_in_background,
        check=request_still_open,
        photo_request=photo_request,
    )


def photo_request_remove_photo(*, photo: QCPhoto) -> None:
    """Take back a photo added to an open request (a wrong shot); its files go after commit."""
    if photo.photo_request_id is None:
        raise QCError(_("Only photos added in answer to an open request can be removed here."))
    names = photo.stored_names()
    with transaction.atomic():
        _open_request_locked(photo.photo_request)
        photo.delete()
        transaction.on_commit(partial(delete_stored_files, names))


def photo_request_add_measurement(
    *,
    photo_request: PhotoRequest,
    by: "User",
    name: str,
    listed_value: Decimal,
    measured_value: Decimal,
    unit: str = "cm",
) -> Measurement:
    """Add a measurement to the completed round of an open request, in answer to it."""
    name, unit = " ".join((name or "").split()), (unit or "").strip() or "cm"
    if not name:
        raise QCError(_("Say what was measured, like “chest width”."))
    with transaction.atomic():
        locked = _open_request_locked(photo_request)
        last = Measurement.objects.filter(inspection_id=locked.inspection_id).aggregate(last=Max("position"))["last"]
        return Measurement.objects.create(
            inspection_id=locked.inspection_id,
            photo_request=locked,
            name=name,
            listed_value=listed_value,
            measured_value=measured_value,
            unit=unit,
            position=0 if last is None else last + 1,
        )


def photo_request_remove_measurement(*, measurement: Measurement) -> None:
    """Take back a measurement added to an open request."""
    if measurement.photo_request_id is None:
        raise QCError(_("Only measurements added in answer to an open request can be removed here."))
    with transaction.atomic():
        _open_request_locked(measurement.photo_request)
        measurement.delete()


def _deadline_sentence(order: Order, moved: timedelta) -> str:
    """The new deadline, for the shopper who still has a decision to make."""
    if (
        not moved
        or order.decision_deadline is None
        or order.status not in (Order.Status.QC_FAILED, Order.Status.STORED)
    ):
        return ""
    now = timezone.now()
    return _("Your decision deadline is now %(deadline)s (%(moved)s later).") % {
        "moved": timesince(now - moved, now),
        "deadline": deadline_display(order),
    }


def photo_request_answer(*, photo_request: PhotoRequest, by: "User", note: str = "") -> PhotoRequest:
    """Send the answer: the photos and measurements added become visible to the shopper, the
    decision clock runs again with the deadline moved by the time the request was open, and the
    shopper is told (with the new deadline). Needs at least one photo or measurement."""
    # Whatever the order's status now: the answer does not depend on it.
    with order_locked(Order.objects.get(pk=photo_request.order_id)) as order:
        locked = _open_request_locked(photo_request)
        photos = locked.photos.count()
        measurements = locked.measurements.count()
        if not photos and not measurements:
            raise QCError(_("Add at least one photo or measurement before sending the answer."))
        locked.status = PhotoRequest.Status.ANSWERED
        locked.answered_at, locked.answered_by = timezone.now(), by
        locked.answer_note = " ".join((note or "").split())
        locked.save(update_fields=["status", "answered_at", "answered_by", "answer_note"])
        inspection_evidence_changed(inspection_id=locked.inspection_id)
        moved = order_resume_decision(locked=order)
        # The shopper reads the timeline line and the notice: both in their language, not staff's.
        with recipient_locale(order.shopper):
            added = _("%(photos)s and %(measurements)s were added to QC round %(round)s.") % {
                "photos": ngettext("%(n)d new photo", "%(n)d new photos", photos) % {"n": photos},
                "measurements": ngettext("%(n)d measurement", "%(n)d measurements", measurements)
                % {"n": measurements},
                "round": locked.inspection.round_number,
            }
            deadline = _deadline_sentence(order, moved)
            order_record_event(
                locked=order,
                name="photo_request_answered",
                by=by,
                note=" ".join(part for part in (_("Your photo request was answered."), added, deadline) if part),
            )
            notify(
                user=order.shopper,
                event=Event.PHOTO_REQUEST,
                title=_("New photos of “%(product)s”") % {"product": order.product_title},
                body="\n\n".join(part for part in (added, locked.answer_note, deadline) if part),
                link=f"{order.get_absolute_url()}#qc-round-{locked.inspection_id}",
            )
    locked.order = order
    return locked


def photo_request_expire(*, photo_request_id: int) -> bool:
    """Close a request left unanswered for EXTRA_PHOTO_HOURS: refund its fee (once: its own key),
    let the decision clock run again with the deadline moved by the time it was open, and tell
    the shopper. Returns whether it did (a request answered or refunded meanwhile is left)."""
    request = PhotoRequest.objects.select_related("order").filter(pk=photo_request_id).first()
    if request is None:
        return False
    with order_locked(request.order) as order:
        locked = PhotoRequest.objects.select_for_update().get(pk=request.pk)
        if not locked.is_open or timezone.now() < locked.due_at:
            return False
        locked.status, locked.expired_at = PhotoRequest.Status.EXPIRED, timezone.now()
        locked.save(update_fields=["status", "expired_at"])
        # Anything added to it before it expired is shown from now on (only open ones are hidden).
        inspection_evidence_changed(inspection_id=locked.inspection_id)
        refunded = ""
        if locked.fee:
            ledger_post(
                key=f"photo-fee-refund:{locked.pk}",
                kind=LedgerTransaction.Kind.PHOTO_FEE_REFUND,
                legs=[
                    (wallet_for(user=order.shopper), locked.fee),
                    (platform_account(Account.Kind.FEES), -locked.fee),
                ],
                description=order_statement(LedgerTransaction.Kind.PHOTO_FEE_REFUND, order.number),
                order_id=order.pk,
                reverses=posted_transaction(key=f"photo-fee:{locked.pk}"),
            )
            with recipient_locale(order.shopper):
                refunded = _("¥%(fee)s is back on your balance.") % {"fee": locked.fee}
        moved = order_resume_decision(locked=order)
        with recipient_locale(order.shopper):  # a job: no request language to inherit
            sorry = _("We could not take the photos you asked for in time.")
            deadline = _deadline_sentence(order, moved)
            order_record_event(
                locked=order,
                name="photo_request_expired",
                by=None,
                note=" ".join(part for part in (sorry, refunded, deadline) if part),
            )
            notify(
                user=order.shopper,
                event=Event.PHOTO_REQUEST,
                title=_("Your photo request for “%(product)s” was not answered in time")
                % {"product": order.product_title},
                body="\n\n".join(
                    part
                    for part in (
                        " ".join(part for part in (sorry, refunded) if part),
                        deadline,
                        _("It does not use up your free request: you may ask again."),
                    )
                    if part
                ),
                link=order.get_absolute_url(),
            )
    return True
