"""Every Celery task runs under a request id and ends with one log line.

A task published during a web request (or another task) carries that request id in its
message headers; a task without one (a beat job) runs under its own task id, which the tasks
it enqueues then carry.
"""

import logging
import time

from celery import signals
from django.conf import settings

from . import request_id

logger = logging.getLogger("cssbuy.task")

HEADER = "request_id"
_running: dict[str, tuple[object, float]] = {}


def _stamp_request_id(headers: dict | None = None, **kwargs) -> None:
    current = request_id.current()
    if current and headers is not None:
        headers.setdefault(HEADER, current)


def _task_started(task_id: str, task, **kwargs) -> None:
    # A worker's task takes the id from its message; one run eagerly inside a request keeps the
    # request's; a beat job has neither and uses its own task id.
    rid = request_id.sane(getattr(task.request, HEADER, None)) or request_id.current() or task_id
    _running[task_id] = (request_id.activate(rid), time.monotonic())


def _task_finished(task_id: str, task, state: str | None = None, **kwargs) -> None:
    started = _running.pop(task_id, None)
    if started is None:
        return
    token, since = started
    duration_ms = round((time.monotonic() - since) * 1000, 1)
    logger.info(
        "task %s %s in %sms",
        task.name,
        state,
        duration_ms,
        extra={
            "task": task.name,
            "task_id": task_id,
            "duration_ms": duration_ms,
            "outcome": state,
            "worker": getattr(task.request, "hostname", None),
        },
    )
    request_id.deactivate(token)


def _keep_django_logging(**kwargs) -> None:
    """Celery's `setup_logging` hook: with a receiver, the worker keeps settings.LOGGING."""


def connect() -> None:
    if settings.LOG_FORMAT == "json":
        # The worker's lines are JSON like the web's, not Celery's own text format.
        signals.setup_logging.connect(_keep_django_logging, dispatch_uid="ops.logging")
    signals.before_task_publish.connect(_stamp_request_id, dispatch_uid="ops.request_id.publish")
    signals.task_prerun.connect(_task_started, dispatch_uid="ops.request_id.prerun")
    signals.task_postrun.connect(_task_finished, dispatch_uid="ops.request_id.postrun")
