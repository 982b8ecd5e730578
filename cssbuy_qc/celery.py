import os

from celery import Celery
from django.db import InterfaceError, OperationalError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cssbuy_qc.settings")

app = Celery("cssbuy_qc")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Every task is retried, with backoff, on errors that pass: storage and network hiccups, and a
# database that is busy ("database is locked" on SQLite) or went away for a moment (a dropped
# connection). Tasks are idempotent, so running one again is safe.
TRANSIENT_ERRORS = (OSError, OperationalError, InterfaceError)
RETRY_TRANSIENT = {
    "autoretry_for": TRANSIENT_ERRORS,
    "retry_backoff": 5,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 8,
}
