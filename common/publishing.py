"""Handing tasks to the broker without ever making a request wait for it.

A request's side effects are published after its commit by a background thread of the process
(`publish_soon`): with the broker down or hung, the request is answered at once and the thread
alone waits (each attempt is bounded by the broker socket timeouts). What fails to publish is
not lost: the rows that asked for the work (notifications, photos, bulk jobs) are the outbox,
and the periodic sweeps publish what is still undone with `publish`, from a worker. A row
records when its work was last handed to the broker, and the sweeps skip it until a task's
whole lifetime (`common.tasks.task_lifetime`) has passed: one delivery in flight per row, never a pile.
"""

import atexit
import contextvars
import logging
import os
import queue
import threading
from collections.abc import Callable
from datetime import timedelta
from functools import partial

from celery import Task
from django.db import connections

logger = logging.getLogger(__name__)

# Jobs waiting for the broker in one process; past this, new ones are left to the sweeps.
MAX_WAITING = 10_000
# At exit, how long the waiting jobs may still take to be published.
EXIT_GRACE_SECONDS = 5.0


def publish(task: Task, *, kwargs: dict, expires: timedelta | None = None) -> None:
    """Hand a task to the broker now; raises if the broker cannot take it.

    `expires`: a message still undelivered by then is dropped by the worker (the sweeps will
    have published a fresh one)."""
    task.apply_async(kwargs=kwargs, retry=False, expires=expires.total_seconds() if expires else None)


def publish_soon(
    task: Task,
    *,
    kwargs: dict,
    expires: timedelta | None = None,
    then: Callable[[], object] | None = None,
) -> None:
    """Publish from this process's background thread; never raises, never waits.

    `then` runs in that thread once the broker has the task (to record that on the row). A
    failure is logged as a warning and left to the sweeps. With `task_always_eager` (tests,
    `make run` without a broker) there is no broker to wait for: the task runs here and now.
    """

    def job() -> None:
        try:
            publish(task, kwargs=kwargs, expires=expires)
        except Exception:  # noqa: BLE001 - any broker failure; the row is the outbox
            logger.warning("Broker unreachable: %s%s is left to the sweep", task.name, kwargs)
            return
        if then is not None:
            then()

    if task.app.conf.task_always_eager:
        job()
    else:
        # The job runs in the context of the request that asked for it (its request id travels
        # with the task: ops.tasks_context reads it when the message is published).
        _publisher.submit(partial(contextvars.copy_context().run, job))


def wait_idle(timeout: float | None = None) -> bool:
    """Wait until this process has no job left to publish; whether it got there in time."""
    return _publisher.wait_idle(timeout)


class _Publisher:
    """One daemon thread per process, started on first use (and again in a forked child, where
    the parent's thread does not exist)."""

    def __init__(self):
        self._reset()

    def _reset(self) -> None:
        self._lock = threading.Lock()
        self._jobs: queue.Queue[Callable[[], None]] = queue.Queue(MAX_WAITING)
        self._pending = 0
        self._idle = threading.Condition(self._lock)
        self._thread: threading.Thread | None = None

    def submit(self, job: Callable[[], None]) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="broker-publisher", daemon=True)
                self._thread.start()
            try:
                self._jobs.put_nowait(job)
            except queue.Full:
                logger.warning("%s jobs already wait for the broker; this one is left to the sweep", MAX_WAITING)
                return
            self._pending += 1

    def wait_idle(self, timeout: float | None) -> bool:
        with self._lock:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            try:
                job()
            except Exception:
                logger.exception("Publishing job failed")
            finally:
                if self._jobs.empty():
                    # This thread's own database connection (a `then` may have opened one) is
                    # not kept open while there is nothing to do.
                    connections.close_all()
                with self._lock:
                    self._pending -= 1
                    if self._pending == 0:
                        self._idle.notify_all()


_publisher = _Publisher()
os.register_at_fork(after_in_child=_publisher._reset)
atexit.register(wait_idle, EXIT_GRACE_SECONDS)
