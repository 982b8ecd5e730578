"""Evidence packs: asked for, built in the background, replaced by newer ones.

Small orders' packs are streamed by the view as they are made (evidence.pack) and need no
service; these are for the packs of orders with many photos.
"""

import hashlib
import logging
import tempfile
from datetime import timedelta
from functools import partial
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.files import File
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from common.files import delete_stored_files
from common.locale import recipient_locale
from common.publishing import publish_soon
from notifications.models import Event
from notifications.services import notify
from orders.models import Order

from .models import EvidencePack
from .pack import Plan, plan_pack, write_pack

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)

READ_CHUNK = 1024 * 1024


def evidence_pack_enqueue(*, pack_id: int) -> None:
    """Hand the build to the broker in the background: never raises, never waits on it."""
    from .tasks import BUILD_LIFETIME, build_evidence_pack

    publish_soon(build_evidence_pack, kwargs={"pack_id": pack_id}, expires=BUILD_LIFETIME)


def _lost(pack: EvidencePack) -> bool:
    """A pending pack whose build should have ended by now (its job was lost with a worker or
    never reached the broker): asking again starts it again."""
    from .tasks import BUILD_LIFETIME

    return pack.status == EvidencePack.Status.PENDING and pack.requested_at < timezone.now() - min(
        BUILD_LIFETIME, timedelta(minutes=15)
    )


def evidence_pack_for(*, order: Order, by: "User", audience: str, language: str = "") -> Plan | EvidencePack:
    """What `by` gets when asking for the order's evidence pack for `audience` (the caller has
    checked they may): a small order's plan, to stream at once (at most
    EVIDENCE_DIRECT_MAX_PHOTOS photos), else the pack `evidence_pack_request` gives."""
    plan = plan_pack(order=order, audience=audience)
    if plan.photo_count <= settings.EVIDENCE_DIRECT_MAX_PHOTOS:
        return plan
    return evidence_pack_request(order=order, by=by, audience=audience, language=language, plan=plan)


def evidence_pack_request(
    *,
    order: Order,
    by: "User",
    audience: str,
    language: str = "",
    plan: Plan | None = None,
    build_in_background: bool = True,
) -> EvidencePack:
    """The requester's pack of the order as its evidence stands now (`plan`, if the caller has
    it): the ready one if nothing changed since it was made, else one being built, its build
    queued once after commit (unless the caller builds it itself: the demo does). Asking twice,
    or from two tabs at once, gets one pack and one build."""
    plan = plan or plan_pack(order=order, audience=audience)
    lookup = {"order": order, "audience": audience, "requested_by": by, "fingerprint": plan.fingerprint}
    with transaction.atomic():
        try:
            with transaction.atomic():
                pack, created = EvidencePack.objects.get_or_create(
                    **lookup, defaults={"photo_count": plan.photo_count, "language": language}
                )
        except IntegrityError:  # the same request from another tab, committed meanwhile
            pack, created = EvidencePack.objects.get(**lookup), False
        pack = EvidencePack.objects.select_for_update().get(pk=pack.pk)
        if created or pack.status == EvidencePack.Status.FAILED or _lost(pack):
            pack.status, pack.error, pack.requested_at = EvidencePack.Status.PENDING, "", timezone.now()
            pack.save(update_fields=["status", "error", "requested_at"])
            if build_in_background:
                transaction.on_commit(partial(evidence_pack_enqueue, pack_id=pack.pk))
    return pack


def _sha256(opened) -> str:
    digest = hashlib.sha256()
    opened.seek(0)
    while chunk := opened.read(READ_CHUNK):
        digest.update(chunk)
    opened.seek(0)
    return digest.hexdigest()


def evidence_pack_build(*, pack_id: int) -> bool:
    """Build a pending pack into private storage and notify its requester; returns whether this
    call built it. Idempotent: a ready (or deleted) pack is left alone, and of two builds of one
    pack the row lock lets one store its file (the other's is never stored)."""
    pack = EvidencePack.objects.select_related("order", "requested_by").filter(pk=pack_id).first()
    if pack is None or pack.status == EvidencePack.Status.READY:
        return False
    with translation.override(pack.language or settings.LANGUAGE_CODE), tempfile.TemporaryFile() as zipped:
        plan = plan_pack(order=pack.order, audience=pack.audience)
        write_pack(plan, zipped)
        size = zipped.tell()
        digest = _sha256(zipped)
        stored: list[str] = []
        try:
            with transaction.atomic():
                locked = EvidencePack.objects.select_for_update().filter(pk=pack_id).first()
                if locked is None or locked.status == EvidencePack.Status.READY:
                    return False
                locked.file.save(f"evidence-{pack.order.number}.zip", File(zipped), save=False)
                stored.append(locked.file.name)
                locked.status, locked.error = EvidencePack.Status.READY, ""
                locked.bytes, locked.sha256, locked.photo_count = size, digest, plan.photo_count
                locked.built_at = timezone.now()
                locked.save()
                _replace_older(locked)
                with recipient_locale(pack.requested_by):
                    notify(
                        user=pack.requested_by,
                        event=Event.EVIDENCE_READY,
                        title=_("The evidence pack of order %(number)s is ready") % {"number": pack.order.number},
                        body=_(
                            "All the photos (plain and with the defects marked), the listing images, the "
                            "measurements, the timeline and the ticket messages in one ZIP, with a SHA-256 manifest."
                        ),
                        link=locked.get_absolute_url(),
                    )
        except BaseException:
            delete_stored_files(stored)
            raise
    return True


def _replace_older(pack: EvidencePack) -> None:
    """The requester's older packs of the order go (their files after commit): the new one holds
    everything they did and what came since."""
    older = list(
        EvidencePack.objects.filter(order=pack.order_id, audience=pack.audience, requested_by=pack.requested_by_id)
        .exclude(pk=pack.pk)
        .exclude(status=EvidencePack.Status.PENDING)
    )
    names = [old.file.name for old in older if old.file]
    EvidencePack.objects.filter(pk__in=[old.pk for old in older]).delete()
    transaction.on_commit(partial(delete_stored_files, names))


def evidence_pack_failed(*, pack_id: int, reason: str) -> bool:
    """Record that a pack could not be built; its requester sees it and may ask again."""
    failed = EvidencePack.objects.filter(pk=pack_id, status=EvidencePack.Status.PENDING).update(
        status=EvidencePack.Status.FAILED, error=reason[:500]
    )
    if failed:
        logger.error("Evidence pack %s could not be built: %s", pack_id, reason)
    return bool(failed)
