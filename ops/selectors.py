"""The reads behind the site's gauges: one aggregate query each, whatever the row counts."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Min, QuerySet

from notifications.models import Notification
from orders.models import Order
from qc.models import QCPhoto
from tickets.models import Attachment, Ticket


@dataclass(frozen=True)
class Backlog:
    """How many rows wait, and since when the oldest has waited (None when none waits)."""

    count: int
    oldest: datetime | None


def _backlog(queryset: QuerySet, since_field: str) -> Backlog:
    row = queryset.aggregate(count=Count("pk"), oldest=Min(since_field))
    return Backlog(count=row["count"], oldest=row["oldest"])


def qc_backlog() -> Backlog:
    """Orders that arrived and wait for QC, since their arrival."""
    return _backlog(Order.objects.filter(status=Order.Status.AWAITING_QC), "status_changed_at")


def renditions_pending() -> Backlog:
    """Photos whose renditions are not made yet, since their upload."""
    return _backlog(QCPhoto.objects.filter(renditions_at__isnull=True), "created_at")


def notifications_unsent() -> Backlog:
    """Notifications whose email is wanted and not sent, since they were written."""
    return _backlog(Notification.objects.email_pending(), "created_at")


def tickets_first_response_overdue(*, now: datetime) -> int:
    return Ticket.objects.overdue(now).count()


def stored_file_names() -> Iterator[tuple[str, str]]:
    """(what, stored name) of every file a row refers to: QC photos (original and renditions)
    and ticket attachments, read in chunks whatever their number."""
    photos = QCPhoto.objects.select_related("inspection__order").only(
        "pk", "original", "full", "display", "thumb", "inspection__round_number", "inspection__order__number"
    )
    for photo in photos.iterator(chunk_size=2000):
        what = f"QC photo {photo.pk} (order {photo.inspection.order.number}, round {photo.inspection.round_number})"
        for name in photo.stored_names():
            yield what, name
    attachments = Attachment.objects.select_related("message__ticket").only("pk", "file", "message__ticket__number")
    for attachment in attachments.iterator(chunk_size=2000):
        if attachment.file:
            yield (
                f"ticket attachment {attachment.pk} (ticket {attachment.message.ticket.number})",
                attachment.file.name,
            )
