"""Whose language and time zone a piece of text is written in.

A request is rendered for the person making it (`accounts.middleware.UserLocaleMiddleware`);
a notification or an email is written for its recipient, whoever caused it, inside
`with recipient_locale(user):`.
"""

import zoneinfo
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, tzinfo
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import pgettext


def user_language(user: Any) -> str | None:
    """The language this person chose, or None when they have not chosen one (or it is no
    longer offered)."""
    language = getattr(user, "language", "")
    return language if language in dict(settings.LANGUAGES) else None


@lru_cache(maxsize=256)
def _zone(name: str) -> tzinfo | None:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


def user_time_zone(user: Any) -> tzinfo:
    """The zone this person reads times in: the one they chose or their browser reported, else
    the site's (China time, where the warehouse and the staff are)."""
    return _zone(getattr(user, "time_zone", "") or "") or timezone.get_default_timezone()


@contextmanager
def recipient_locale(user: Any) -> Iterator[None]:
    """Write text for `user`: their language (the site's default when they chose none) and their
    time zone, both restored afterwards. Reads only fields of the user row: no query."""
    with translation.override(user_language(user) or settings.LANGUAGE_CODE), timezone.override(user_time_zone(user)):
        yield


def zone_label(value: datetime) -> str:
    """The zone of an aware local time, as people write it: "CET", "EST", or "UTC+04" where
    the zone has no letters of its own."""
    name = value.tzname() or ""
    if name and name[0].isalpha():
        return name
    offset = value.utcoffset()
    if offset is None:
        return ""
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}" + (f":{rest:02d}" if rest else "")


def format_when(value: datetime) -> str:
    """A moment as the reader reads it: in the active time zone and language, with the zone
    named ("7 Dec 2026, 12:46 CET"; in Chinese "2026年12月7日 12:46 CET")."""
    local = timezone.localtime(value)
    # Translators: a PHP-style date format (https://docs.djangoproject.com/en/stable/ref/templates/builtins/#date).
    pattern = pgettext("date and time format", "j M Y, H:i")
    return f"{date_format(local, pattern)} {zone_label(local)}"


def format_day(value: datetime) -> str:
    """The day of a moment in the reader's zone and language ("7 Dec 2026")."""
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    # Translators: a PHP-style date format, a day without the time.
    return date_format(local, pgettext("date format", "j M Y"))
