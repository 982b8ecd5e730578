from django.utils.functional import SimpleLazyObject

from .selectors import notification_unread_count


def unread_notifications(request) -> dict:
    """The header badge; counted only when a template shows it (the admin doesn't)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    shown = getattr(request, "shown_unread_count", None)  # read already (orders.page_cache)
    if shown is not None:
        return {"unread_notifications": shown}
    return {"unread_notifications": SimpleLazyObject(lambda: notification_unread_count(user=user))}
