import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta
from functools import partial
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import Truncator

from common.publishing import publish, publish_soon

from .models import Event, Notification, NotificationPreference

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


def notify(*, user: "AbstractBaseUser", event: Event, title: str, body: str = "", link: str = "") -> Notification:
    """Write a notification inside the caller's transaction; email it once that commits.

    If the transaction rolls back, neither the row nor the email exists.
    """
    # One line, and short enough for the column and for an email subject (a newline in a
    # product title would otherwise make the email unsendable).
    title = Truncator(" ".join(title.split())).chars(Notification._meta.get_field("title").max_length)
    email_wanted = not NotificationPreference.objects.filter(user=user, event=event, email=False).exists()
    history = _recording_history.get()
    notification = Notification.objects.create(
        user=user,
        event=event,
        title=title,
        body=body,
        link=link,
        email_wanted=email_wanted,
        emailed_at=timezone.now() if history and email_wanted else None,
    )
    if email_wanted and not history:
        transaction.on_commit(partial(notification_enqueue_email, notification_id=notification.pk))
    return notification


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
        context = {
            "notification": notification,
            "user": notification.user,
            "url": settings.SITE_URL.rstrip("/") + (notification.link or "/notifications/"),
            "preferences_url": settings.SITE_URL.rstrip("/") + "/notifications/preferences/",
        }
        message = EmailMultiAlternatives(
            subject=notification.title,
            body=render_to_string("notifications/email/notification.txt", context),
            to=[notification.user.email],
        )
        message.attach_alternative(render_to_string("notifications/email/notification.html", context), "text/html")
        message.send()
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
