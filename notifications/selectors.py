from typing import TYPE_CHECKING

from .models import Event, Notification, NotificationPreference

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser


def notification_unread_count(*, user: "AbstractBaseUser") -> int:
    return Notification.objects.filter(user=user).unread().count()


def notification_email_events(*, user: "AbstractBaseUser") -> set[str]:
    """The events the user gets email for (all but those switched off)."""
    off = set(NotificationPreference.objects.filter(user=user, email=False).values_list("event", flat=True))
    return set(Event.values) - off
