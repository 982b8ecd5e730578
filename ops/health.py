"""Readiness: can this node serve? Database, broker, storage and migrations, each checked
within a short bound, answered in status words only (nothing about hosts, versions or errors).

The checks run in one background thread per process, so a hung dependency (a database host
that stopped answering, a stalled bucket) costs the probe at most READYZ_TIMEOUT_SECONDS and
never ties up a web worker; while a hung check is still running, the next probes answer
"timeout" at once instead of queueing more threads behind it.
"""

import contextlib
import logging
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from . import broker

logger = logging.getLogger(__name__)

OK, FAIL, TIMEOUT = "ok", "fail", "timeout"
CHECKS = ("database", "migrations", "broker", "storage")

_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="readyz")
_busy = threading.Lock()
# Once every migration is applied it stays so for the life of the process: checked until then.
_migrated = False


def readiness() -> dict[str, str]:
    """Each check's status word; every one is OK when the node is ready."""
    if not _busy.acquire(blocking=False):
        return dict.fromkeys(CHECKS, TIMEOUT)
    results: dict[str, str] = {}
    future = _executor.submit(_run_checks, results)
    # On timeout the thread finishes (and releases the lock) on its own; what it did not reach
    # is reported as timed out.
    with contextlib.suppress(FutureTimeout):
        future.result(timeout=settings.READYZ_TIMEOUT_SECONDS)
    return {name: results.get(name, TIMEOUT) for name in CHECKS}


def _run_checks(results: dict[str, str]) -> None:
    try:
        for name, check in (
            ("database", _database),
            ("migrations", _migrations),
            ("broker", _broker),
            ("storage", _storage),
        ):
            try:
                results[name] = OK if check() else FAIL
            except Exception:  # any failure means "not ready"; the log says why
                logger.warning("Readiness check %s failed", name, exc_info=True)
                results[name] = FAIL
    finally:
        # A connection of its own, opened for these checks and closed after them: the next
        # probe proves again that a new connection can be made (after a database restart too).
        connection.close()
        _busy.release()


def _database() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        return cursor.fetchone() == (1,)


def _migrations() -> bool:
    global _migrated
    if not _migrated:
        executor = MigrationExecutor(connection)
        _migrated = not executor.migration_plan(executor.loader.graph.leaf_nodes())
    return _migrated


def _broker() -> bool:
    return broker.broker_reachable(timeout=settings.READYZ_TIMEOUT_SECONDS)


def _storage() -> bool:
    payload = uuid.uuid4().bytes
    name = default_storage.save(f"ops/readyz/{uuid.uuid4().hex}", ContentFile(payload))
    try:
        with default_storage.open(name, "rb") as stored:
            return stored.read() == payload
    finally:
        default_storage.delete(name)
