"""`make run` uses SQLite: its migrations, demo data, pages and background work must work there."""

import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def sqlite_run(tmp_path_factory) -> dict:
    """tests/sqlite_smoke.py on a fresh SQLite file, once for this module: its output, folder and env."""
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
    return {"output": result.stdout + result.stderr[-3000:], "folder": folder, "env": env}


@pytest.mark.parametrize(
    "check",
    [
        "demo and ",
        "the ledger's postings",
        "write-ahead log, immediate transactions, busy timeout",
        "a rendition task retried after 'database is locked'",
    ],
)
def test_sqlite(sqlite_run, check):
    assert f"ok: {check}" in sqlite_run["output"], sqlite_run["output"]


def test_a_sqlite_backup_of_the_demo_passes_the_restore_drill(sqlite_run, tmp_path):
    """The README's SQLite backup (`.backup`) passes the restore drill with the demo's photos."""
    backup = tmp_path / "backup.sqlite3"
    with sqlite3.connect(sqlite_run["folder"] / "db.sqlite3") as source, sqlite3.connect(backup) as target:
        source.backup(target)
    drill = subprocess.run(
        ["bin/restore-drill", str(backup)],
        cwd=ROOT,
        env=sqlite_run["env"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert drill.returncode == 0, drill.stdout + drill.stderr
    assert "Restore drill passed." in drill.stdout
    assert re.search(r"OK      files: ([1-9]\d*) of \1 stored files present", drill.stdout), drill.stdout
