from axes.utils import reset as axes_reset
from django.conf import settings

from .models import User


def user_logins_unlock(*, user: User) -> int:
    """Forget the failed logins of this user from every address, so a lock on it is lifted.

    For a completed password reset: whoever holds the mailbox chose the new password, and a
    lock that outlived it would keep them out. Returns how many records were removed."""
    return axes_reset(username=user.email.lower())


def user_language_set(*, user: User, language: str) -> bool:
    """Remember the language this person chose, for their pages on any browser, their emails and
    their notifications. Returns whether it changed (an unknown language changes nothing)."""
    if language not in dict(settings.LANGUAGES) or user.language == language:
        return False
    user.language = language
    user.save(update_fields=["language"])
    return True


def user_time_zone_detected(*, user: User, time_zone: str) -> bool:
    """Save the zone the person's browser reported, unless they already have one (a zone they
    chose in their settings is not overwritten by a browser abroad). The caller validated it.
    Returns whether it was saved."""
    updated = User.objects.filter(pk=user.pk, time_zone="").update(time_zone=time_zone)
    if updated:
        user.time_zone = time_zone
    return bool(updated)
