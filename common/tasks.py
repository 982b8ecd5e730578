"""Options every Celery task of ours shares, and what follows from them."""

from datetime import timedelta

from django.db import InterfaceError, OperationalError

# Every task is retried, with backoff, on errors that pass: storage, SMTP and network hiccups
# (SMTPException is an OSError), and a database that is busy ("database is locked" on SQLite)
# or went away for a moment (a dropped connection).
TRANSIENT_ERRORS = (OSError, OperationalError, InterfaceError)
RETRIES, BACKOFF, BACKOFF_MAX = 8, 5, 600
RETRY_TRANSIENT = {
    "autoretry_for": TRANSIENT_ERRORS,
    "retry_backoff": BACKOFF,
    "retry_backoff_max": BACKOFF_MAX,
    "retry_jitter": True,
    "max_retries": RETRIES,
}
# For tasks safe to run twice: acknowledged once done, so a worker killed mid-task leaves the
# message to another worker (after the broker's visibility timeout).
RUN_AGAIN_IF_LOST = {"acks_late": True, "reject_on_worker_lost": True}


def task_lifetime(*, time_limit: int) -> timedelta:
    """The longest a RETRY_TRANSIENT task can stay in flight: every attempt runs to its hard
    time limit and every retry waits its longest backoff (jitter only shortens)."""
    waits = sum(min(BACKOFF_MAX, BACKOFF * 2**attempt) for attempt in range(RETRIES))
    return timedelta(seconds=waits + (RETRIES + 1) * time_limit)
