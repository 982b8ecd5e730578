"""QC operations: open a round, add photos, make renditions, complete a round.

Each is one function; the admin, views, tasks and the demo call these and nothing else saves a
QC row with consequences (order status, stored files, notifications).
"""

import hashlib
import logging
import re
from functools import partial
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.db import IntegrityError, transaction
from django.db.models import F, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from common.files import delete_stored_files
from common.images import PILLOW_ERRORS
from common.publishing import publish, publish_soon
from common.uploads import validate_image
from notifications.models import Details, Image, Item
from orders.models import Order
from orders.services import OrderActionError, order_fail_qc, order_pass_qc, order_receive

from .exceptions import QCError, UnreadablePhoto
from .images import make_renditions
from .models import PERM_COMPLETE, Defect, Inspection, QCPhoto

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


def inspection_complete(*, inspection: Inspection, by: "User", result: str) -> Inspection:
    """Pass or fail an open round: the order moves (passed -> stored; failed -> qc_failed with
    the decision deadline) and the shopper is notified, all in one transaction. Returns the
    completed round with its moved order.

    Fail needs at least one photo and one defect; pass needs at least one photo.
    """
    if result not in (Result.PASSED, Result.FAILED):
        raise QCError(_("Choose pass or fail."))
    try:
        with transaction.atomic():
            locked = Inspection.objects.select_for_update().select_related("order").get(pk=inspection.pk)
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
            order = locked.order
            expected = Order.Status.AWAITING_QC
            # Numbered as the shopper's page numbers them: without photos it cannot show.
            shown = [photo for photo in photos if not photo.renditions_have_failed]
            details = _evidence(shown, defects if result == Result.FAILED else [])
            if result == Result.PASSED:
                order = order_pass_qc(
                    order=order, by=by, note=locked.public_note, details=details, expected_status=expected
                )
            else:
                order = order_fail_qc(
                    order=order,
                    by=by,
                    note=locked.public_note,
                    summary=_summary(locked, photo_count, defects),
                    details=details,
                    expected_status=expected,
                )
            locked.result = result
            locked.inspector = by
            locked.completed_at = timezone.now()
            locked.save(update_fields=["result", "inspector", "completed_at"])
            locked.order = order
    except OrderActionError as error:
        raise QCError(str(error)) from None
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
    return bool(failed)


def photo_renditions_retry(*, photo: QCPhoto, by) -> QCPhoto:
    """An inspector tries a failed photo again: a fresh job with a fresh count of attempts."""
    with transaction.atomic():
        QCPhoto.objects.filter(pk=photo.pk, renditions_at__isnull=True).update(
            renditions_failed_at=None, renditions_error="", renditions_queued_at=None, renditions_attempts=0
        )
        transaction.on_commit(partial(photo_enqueue_renditions, photo_id=photo.pk))
    logger.info("Renditions of QC photo %s retried by %s", photo.pk, by)
    return QCPhoto.objects.get(pk=photo.pk)


def photo_add(
    *,
    inspection: Inspection,
    uploaded_file: File,
    by: "User",
    caption: str = "",
    renditions_in_background: bool = True,
) -> QCPhoto:
    """Validate and store one photo of an open round; renditions follow after commit (unless
    the caller makes them itself: the demo does, so that it is ready to look at).

    A refused file raises ValidationError (or QCError) and leaves no row and no file.
    """
    image = validate_image(uploaded_file)  # before anything is stored
    if not inspection.is_open:
        raise QCError(_("This QC round is complete; its photos cannot change."))
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
    )
    stored: list[str] = []
    try:
        with transaction.atomic():
            # The round is locked: it cannot be completed while its photo is being added.
            if not Inspection.objects.select_for_update().get(pk=inspection.pk).is_open:
                raise QCError(_("This QC round is complete; its photos cannot change."))
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
