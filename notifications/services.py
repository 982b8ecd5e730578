import logging
import mimetypes
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.mime.image import MIMEImage
from email.utils import make_msgid
from functools import cache, partial
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.mail import EmailMultiAlternatives
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from common import sql
from common.locale import recipient_locale
from common.publishing import publish, publish_soon

from .models import Details, Event, Image, Notification, NotificationPreference

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

logger = logging.getLogger(__name__)

_recording_history: ContextVar[bool] = ContextVar("recording_history", default=False)


@contextmanager
def notifications_record_history() -> Iterator[None]:
    """Notifications written inside this block report what happened before (the demo's made-up
    past): they land in the inbox already handled, and no email is queued or swept for them."""
    token = _recording_history.set(True)
    try:
        yield
    finally:
        _recording_history.reset(token)


def notify(
    *,
    user: "AbstractBaseUser",
    event: Event,
    title: str,
    body: str = "",
    link: str = "",
    details: Details | None = None,
) -> Notification:
    """Write a notification inside the caller's transaction; email it once that commits.

    `details` is what the email shows beyond the title and body (facts, a list, pictures).
    If the transaction rolls back, neither the row nor the email exists.
    """
    # One line, and short enough for the column and for an email subject (a newline in a
    # product title would otherwise make the email unsendable).
    title = Truncator(" ".join(title.split())).chars(Notification._meta.get_field("title").max_length)
    notification = Notification(user=user, event=event, title=title, body=body, link=link, details=details or {})
    if _recording_history.get():
        turned_off = NotificationPreference.objects.filter(user=user, event=event, email=False)
        notification.email_wanted = not turned_off.exists()
        notification.emailed_at = timezone.now() if notification.email_wanted else None
        notification.save()
        return notification
    # One statement written once (common.sql): every payment and status change writes one; it
    # reads whether the user turned this event's email off as it writes the row.
    statement, fields = _notify_sql(connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(statement, [*sql.values_to_write(notification, fields), user.pk, event])
        pk, wanted = cursor.fetchone()
    notification.email_wanted = bool(wanted)  # SQLite answers 0 or 1
    sql.saved(notification, pk)
    if notification.email_wanted:
        transaction.on_commit(partial(notification_enqueue_email, notification_id=notification.pk))
    return notification


@cache
def _notify_sql(vendor: str) -> tuple[str, list]:
    """INSERT of a notification whose `email_wanted` is whether the user has not turned the
    event's email off, returning its id and that."""
    fields = sql.written_fields(Notification, besides=["email_wanted"])
    columns = ", ".join(sql.column(Notification, field.name) for field in fields)
    preference = NotificationPreference
    turned_off = (
        f"SELECT 1 FROM {sql.table(preference)} WHERE {sql.column(preference, 'user')} = %s "  # noqa: S608
        f"AND {sql.column(preference, 'event')} = %s AND NOT {sql.column(preference, 'email')}"
    )
    wanted = sql.column(Notification, "email_wanted")
    statement = (
        f"INSERT INTO {sql.table(Notification)} ({columns}, {wanted}) "  # noqa: S608
        f"VALUES ({sql.placeholders(len(fields))}, NOT EXISTS ({turned_off})) "
        f"RETURNING {sql.column(Notification, 'id')}, {wanted}"
    )
    return statement, fields


def notification_enqueue_email(*, notification_id: int) -> None:
    """Hand the email to the broker in the background: never raises, never waits on the broker.
    If the broker cannot take it, the row stays unqueued and the sweep publishes it."""
    from .tasks import EMAIL_DELIVERY_LIFETIME, send_notification_email

    publish_soon(
        send_notification_email,
        kwargs={"notification_id": notification_id},
        expires=EMAIL_DELIVERY_LIFETIME,
        then=partial(_mark_email_queued, notification_id),
    )


def _mark_email_queued(notification_id: int) -> None:
    Notification.objects.filter(pk=notification_id).update(email_queued_at=timezone.now())


# Pictures embedded in one email: enough for the defects of a QC round, small enough to arrive.
MAX_INLINE_IMAGES = 6
MAX_INLINE_IMAGE_BYTES = 512 * 1024
INLINE_IMAGE_TYPES = ("image/jpeg", "image/png", "image/gif")  # what every mail client shows


@dataclass(frozen=True)
class InlineImage:
    """A picture sent inside the message and shown by the HTML part as `cid:<content_id>`."""

    content_id: str
    filename: str
    content: bytes
    mimetype: str


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str
    images: tuple[InlineImage, ...]


def _action_label(event: str) -> str:
    """The email's button: what the reader goes to the site to do."""
    labels = {
        Event.QC_FAILED: _("Choose what to do"),
        Event.DECISION_REMINDER: _("Choose what to do"),
        Event.QC_PASSED: _("See the QC photos"),
        Event.REFUND_CREDITED: _("See the refund"),
        Event.RETURN_REQUESTED: _("Follow your return"),
        Event.EXCHANGE_REQUESTED: _("Follow your exchange"),
        Event.TICKET_REPLY: _("Read and reply"),
        Event.TICKET_OPENED: _("See your ticket"),
    }
    return labels.get(event, _("Open on the site"))


def _read_images(images: list[Image]) -> list[tuple[Image, InlineImage]]:
    """The pictures still in storage, read now. A missing or unfit one is left out of the email;
    any other storage error propagates, so the task retries."""
    domain = urlsplit(settings.SITE_URL).hostname or "localhost"
    found = []
    for number, image in enumerate(images[:MAX_INLINE_IMAGES], start=1):
        name = image["name"]
        mimetype = mimetypes.guess_type(name)[0]
        if mimetype not in INLINE_IMAGE_TYPES:
            logger.warning("Email picture %s left out: %s is not shown by every mail client", name, mimetype)
            continue
        try:
            with default_storage.open(name, "rb") as stored:
                content = stored.read(MAX_INLINE_IMAGE_BYTES + 1)
        except FileNotFoundError:
            logger.warning("Email picture %s left out: it is no longer in storage", name)
            continue
        if len(content) > MAX_INLINE_IMAGE_BYTES:
            logger.warning("Email picture %s left out: larger than %s bytes", name, MAX_INLINE_IMAGE_BYTES)
            continue
        content_id = make_msgid(idstring=f"picture{number}", domain=domain)[1:-1]
        extension = mimetypes.guess_extension(mimetype) or ""
        found.append((image, InlineImage(content_id, f"picture-{number}{extension}", content, mimetype)))
    return found


def _facts(details: Details) -> list[dict]:
    facts = []
    for fact in details.get("facts", []):
        at = fact.get("at")
        facts.append(
            {"label": fact["label"], "text": fact.get("text", ""), "at": datetime.fromisoformat(at) if at else None}
        )
    return facts


def notification_render_email(*, notification: Notification) -> RenderedEmail:
    """The email of a notification, for any event: subject, plain text, HTML and the pictures the
    HTML embeds (read from storage). Rendered in the current language and time zone."""
    details: Details = notification.details or {}
    site = settings.SITE_URL.rstrip("/")
    pictures = _read_images(details.get("images", []))
    paragraphs = [part.strip() for part in notification.body.split("\n\n") if part.strip()]
    context = {
        "site_name": _("CSSBuy QC"),
        "site_url": site + "/",
        "notification": notification,
        "user": notification.user,
        "event_label": notification.get_event_display(),
        "preheader": Truncator(" ".join(" ".join(paragraphs[:1]).split())).chars(140),
        "paragraphs": paragraphs,
        "facts": _facts(details),
        "items_title": details.get("items_title", ""),
        "items": details.get("items", []),
        "images": [
            {"cid": inline.content_id, "alt": image["alt"], "caption": image.get("caption", "")}
            for image, inline in pictures
        ],
        "url": site + (notification.link or "/notifications/"),
        "action": _action_label(notification.event),
        "preferences_url": site + "/notifications/preferences/",
    }
    return RenderedEmail(
        subject=notification.title,
        text=render_to_string("notifications/email/notification.txt", context),
        html=render_to_string("notifications/email/notification.html", context),
        images=tuple(inline for _image, inline in pictures),
    )


def _email_message(email: RenderedEmail, to: str) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(subject=email.subject, body=email.text, to=[to])
    message.attach_alternative(email.html, "text/html")
    if email.images:
        # multipart/related: the pictures belong to the HTML part, not beside it as downloads.
        message.mixed_subtype = "related"
        for image in email.images:
            part = MIMEImage(image.content, _subtype=image.mimetype.split("/")[1])
            part.add_header("Content-ID", f"<{image.content_id}>")
            part.add_header("Content-Disposition", "inline", filename=image.filename)
            message.attach(part)
    return message


def notification_send_email(*, notification_id: int) -> bool:
    """Email one notification, at most once, even if two workers run this together.

    The row lock (the notification's only, not the user's) makes a second runner wait and then
    see `emailed_at` set. Returns whether
    this call sent the email. A sending error rolls back and propagates, so the task retries.
    """
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(of=("self",))
            .select_related("user")
            .filter(pk=notification_id)
            .first()
        )
        if notification is None or notification.emailed_at or not notification.email_wanted:
            return False
        with recipient_locale(notification.user):
            email = notification_render_email(notification=notification)
        _email_message(email, notification.user.email).send()
        notification.emailed_at = timezone.now()
        notification.save(update_fields=["emailed_at"])
    return True


def notification_sweep_unsent(*, older_than: timedelta | None = None) -> int:
    """Publish the emails still unsent a while after their notification was written, except
    those with a delivery in flight (handed to the broker less than its lifetime ago).

    For a worker (beat runs it): publishes inline and stops at the first broker failure.
    Returns how many it published."""
    from .tasks import EMAIL_DELIVERY_LIFETIME, send_notification_email

    if older_than is None:
        older_than = timedelta(minutes=settings.NOTIFICATION_RESEND_AFTER_MINUTES)
    now = timezone.now()
    cutoff = now - older_than
    ids = list(
        Notification.objects.email_pending()
        .not_in_flight(since=now - EMAIL_DELIVERY_LIFETIME)
        .filter(created_at__lte=cutoff, created_at__gte=cutoff - timedelta(days=3))
        .values_list("pk", flat=True)[:500]
    )
    published = 0
    for notification_id in ids:
        try:
            publish(
                send_notification_email, kwargs={"notification_id": notification_id}, expires=EMAIL_DELIVERY_LIFETIME
            )
        except Exception:  # noqa: BLE001 - any broker failure; the next sweep tries again
            logger.warning("Broker unreachable: the sweep published %s of %s unsent emails", published, len(ids))
            break
        _mark_email_queued(notification_id)
        published += 1
    return published


def notification_mark_read(*, user: "AbstractBaseUser", notification_id: int | None = None) -> int:
    """Mark one of the user's notifications read, or all of them when no id is given."""
    notifications = Notification.objects.filter(user=user).unread()
    if notification_id is not None:
        notifications = notifications.filter(pk=notification_id)
    return notifications.update(read_at=timezone.now())


def notification_preferences_set(*, user: "AbstractBaseUser", email_events: Iterable[str]) -> None:
    """Email for exactly the events in `email_events`; the site inbox always gets everything."""
    wanted = set(email_events)
    with transaction.atomic():
        for event in Event.values:
            NotificationPreference.objects.update_or_create(
                user=user, event=event, defaults={"email": event in wanted}
            )
