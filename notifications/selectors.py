from .models import Event, Notification, NotificationPreference


def notification_unread_count(*, user) -> int:
    return Notification.objects.filter(user=user).unread().count()


def notification_email_events(*, user) -> set[str]:
    """The events the user gets email for (all but those switched off)."""
    off = set(NotificationPreference.objects.filter(user=user, email=False).values_list("event", flat=True))
    return set(Event.values) - off
