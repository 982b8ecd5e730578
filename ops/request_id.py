"""The request id: one per web request (from a sane `X-Request-ID` or new), carried into the
Celery tasks the request enqueues and into every log record written meanwhile."""

import re
import uuid
from contextvars import ContextVar

HEADER = "X-Request-ID"
# A proxy's or client's id is kept only if it is short and plain: it lands in logs and headers.
_SANE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")

_current: ContextVar[str | None] = ContextVar("request_id", default=None)


def current() -> str | None:
    return _current.get()


def new() -> str:
    return uuid.uuid4().hex


def sane(value: str | None) -> str | None:
    """The value if it may serve as a request id, else None."""
    if value and _SANE.fullmatch(value):
        return value
    return None


def activate(value: str):
    """Make `value` the current request id; returns the token for `deactivate`."""
    return _current.set(value)


def deactivate(token) -> None:
    _current.reset(token)
