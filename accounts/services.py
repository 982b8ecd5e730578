from axes.utils import reset as axes_reset

from .models import User


def user_logins_unlock(*, user: User) -> int:
    """Forget the failed logins of this user from every address, so a lock on it is lifted.

    For a completed password reset: whoever holds the mailbox chose the new password, and a
    lock that outlived it would keep them out. Returns how many records were removed."""
    return axes_reset(username=user.email.lower())
