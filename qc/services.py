"""QC operations: open a round, add photos, make renditions, complete a round.

Each is one function; the admin, views, tasks and the demo call these and nothing else saves a
QC row with consequences (order status, stored files, notifications).
"""

import hashlib
import logging
from functools import partial

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from orders.models import Order
from orders.services import OrderActionError, order_fail_qc, order_pass_qc, order_receive

from .exceptions import QCError
from .images import make_renditions
from .models import PERM_COMPLETE, Defect, Inspection, QCPhoto
from .uploads import validate_image

logger = logging.getLogger(__name__)

Result = Inspection.Result


# --- Rounds ---------------------------------------------------------------------------------


def inspection_open(*, order: Order, by) -> Inspection:
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


def order_receive_and_open_round(*, order: Order, by, expected_status: str | None = None) -> Inspection:
    """Receive an order at the warehouse and open its next QC round, in one transaction
    (round 1 on arrival, round 2 when an exchange's replacement arrives...)."""
    with transaction.atomic():
        order_receive(order=order, by=by, expected_status=expected_status)
        inspection = inspection_open(order=order, by=by)
        if not by.has_perm(PERM_COMPLETE):
            # Support may receive parcels, but the round is an inspector's to take.
            Inspection.objects.filter(pk=inspection.pk).update(inspector=None)
            inspection.inspector = None
        return inspection


def _summary(inspection: Inspection, photo_count: int, defects: list[Defect]) -> str:
    """What a failed round says in the shopper's alert: photo count and the main defects."""
    lines = [
        ngettext("%(count)d photo was taken.", "%(count)d photos were taken.", photo_count) % {"count": photo_count}
    ]
    main = sorted(defects, key=lambda d: (not d.is_major, d.position, d.pk))[:3]
    if main:
        lines.append(_("Main defects:"))
        lines += [f"- {d.get_kind_display()} ({d.get_severity_display()}): {d.description}" for d in main]
        if len(defects) > len(main):
            more = len(defects) - len(main)
            lines.append(ngettext("and %(count)d more.", "and %(count)d more.", more) % {"count": more})
    if inspection.public_note:
        lines.append(inspection.public_note)
    return "\n".join(lines)


def inspection_complete(*, inspection: Inspection, by, result: str) -> Inspection:
    """Pass or fail an open round: the order moves (passed -> stored; failed -> qc_failed with
    the decision deadline) and the shopper is notified, all in one transaction.

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
            photo_count = locked.photos.count()
            defects = list(locked.defects.all())
            if photo_count == 0:
                raise QCError(_("Add at least one photo before passing or failing QC."))
            if result == Result.FAILED and not defects:
                raise QCError(_("Record at least one defect before failing QC."))
            order = locked.order
            expected = Order.Status.AWAITING_QC
            if result == Result.PASSED:
                order_pass_qc(order=order, by=by, note=locked.public_note, expected_status=expected)
            else:
                summary = _summary(locked, photo_count, defects)
                order_fail_qc(order=order, by=by, note=locked.public_note, summary=summary, expected_status=expected)
            locked.result = result
            locked.inspector = by
            locked.completed_at = timezone.now()
            locked.save(update_fields=["result", "inspector", "completed_at"])
    except OrderActionError as error:
        raise QCError(str(error)) from None
    inspection.refresh_from_db()
    return inspection


# --- Photos ---------------------------------------------------------------------------------


def delete_stored_files(names: list[str]) -> None:
    """Remove stored files nothing refers to any more (written by a transaction that rolled back,
    or of a deleted photo). A storage error is logged, not raised: the names are random."""
    for name in names:
        try:
            default_storage.delete(name)
        except Exception:
            logger.warning("Could not delete stored file %s", name, exc_info=True)


def photo_enqueue_renditions(*, photo_id: int) -> None:
    """Hand the rendition job to the broker. Never raises: the periodic sweep catches up."""
    from .tasks import make_photo_renditions

    try:
        make_photo_renditions.apply_async(kwargs={"photo_id": photo_id}, retry=False)
    except Exception:  # noqa: BLE001 - any broker failure; the sweep finds photos without renditions
        logger.warning("Broker unreachable, renditions of photo %s will be made by the sweep", photo_id)


def photo_add(
    *, inspection: Inspection, uploaded_file, by, caption: str = "", renditions_in_background: bool = True
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
        caption=caption.replace("\x00", "").strip()[:200],  # PostgreSQL text cannot hold NUL
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
        data = original.read()
    # The orientation is applied now: width and height describe the upright image.
    renditions = make_renditions(data)
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
            locked.save()
    except BaseException:
        delete_stored_files(stored)
        raise
    return True


def photos_missing_renditions(*, limit: int = 200) -> list[int]:
    return list(QCPhoto.objects.filter(renditions_at__isnull=True).order_by("id").values_list("pk", flat=True)[:limit])


def photo_delete(*, photo: QCPhoto) -> list[Defect]:
    """Remove a photo of an open round; its files go once the deletion is committed.

    Defects boxed on the photo stay, without their box (`QCPhoto.delete`); they are returned,
    so the inspector can be told which boxes to draw again. A completed round raises QCError.
    """
    names = photo.stored_names()
    with transaction.atomic():
        photo.delete()  # locks the round and refuses if it is complete
        transaction.on_commit(partial(delete_stored_files, names))
    return photo.cleared_defects
