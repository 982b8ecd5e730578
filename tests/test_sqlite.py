"""`make run` uses SQLite: its migrations, demo data, pages and background work must work there."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def sqlite_run(tmp_path_factory) -> str:
    """tests/sqlite_smoke.py on a fresh SQLite file, once for this module: its output."""
    folder = tmp_path_factory.mktemp("sqlite")
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "cssbuy_qc.settings",
        "DJANGO_READ_DOT_ENV": "false",
        "DJANGO_DEBUG": "true",  # as `make run`
        "DATABASE_URL": f"sqlite:///{folder / 'db.sqlite3'}",
        "CELERY_BROKER_URL": "memory://",
        "MEDIA_ROOT": str(folder / "media"),
    }
    result = subprocess.run(
        [sys.executable, "tests/sqlite_smoke.py"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    return result.stdout + result.stderr[-3000:]


@pytest.mark.parametrize(
    "check",
    [
        "demo and ",
        "write-ahead log, immediate transactions, busy timeout",
        "a rendition task retried after 'database is locked'",
    ],
)
def test_sqlite(sqlite_run, check):
    assert f"ok: {check}" in sqlite_run, sqlite_run
