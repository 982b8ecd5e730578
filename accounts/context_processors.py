from django.conf import settings
from django.http import HttpRequest


def locale(request: HttpRequest) -> dict:
    """For the language switch, and whether the page should ask the browser for its time zone
    (a signed-in shopper whose zone is not known yet; staff read China time unless they choose)."""
    user = getattr(request, "user", None)
    detect = bool(user is not None and user.is_authenticated and not user.is_staff and not user.time_zone)
    return {
        "language_autonyms": [
            (code, settings.LANGUAGE_AUTONYMS.get(code, str(name))) for code, name in settings.LANGUAGES
        ],
        "detect_time_zone": detect,
    }
