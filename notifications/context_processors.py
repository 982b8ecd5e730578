from django.utils.functional import SimpleLazyObject

from .selectors import notification_unread_count


def unread_notifications(request) -> dict:
    """The header badge; counted only when a template shows it (the admin doesn't)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": SimpleLazyObject(lambda: notification_unread_count(user=user))}
