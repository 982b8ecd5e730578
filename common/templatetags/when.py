"""Times as people read them: `{{ dt|when }}` ("7 Dec 2026, 12:46 CET", in the reader's zone
and language), `{{ dt|day }}` for a date, `{{ dt|instant }}` for a `datetime` attribute."""

from datetime import UTC, date, datetime

from django import template
from django.utils import timezone

from common.locale import format_day, format_when

register = template.Library()


@register.filter
def when(value: datetime | None) -> str:
    if not isinstance(value, datetime):
        return ""
    return format_when(value)


@register.filter
def day(value: date | None) -> str:
    if isinstance(value, datetime):
        return format_day(value)
    if isinstance(value, date):
        return format_day(datetime(value.year, value.month, value.day))
    return ""


@register.filter
def instant(value: datetime | None) -> str:
    """The exact moment in UTC with its offset, for `<time datetime>` and the countdowns, so a
    script counts to the same instant in any zone."""
    if not isinstance(value, datetime):
        return ""
    return value.astimezone(UTC).isoformat(timespec="seconds") if timezone.is_aware(value) else ""
