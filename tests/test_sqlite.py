"""`make run` uses SQLite: its migrations, demo data and pages must work there too."""

import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_migrations_demo_and_order_pages_on_sqlite(tmp_path):
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DJANGO_READ_DOT_ENV": "false",
        "DJANGO_DEBUG": "true",  # as `make run`
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "CELERY_BROKER_URL": "memory://",
        "MEDIA_ROOT": str(tmp_path / "media"),
    }
    result = subprocess.run(
        [sys.executable, "tests/sqlite_smoke.py"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "sqlite ok" in result.stdout

    # The README's SQLite backup (`.backup`) passes the restore drill with the demo's photos.
    backup = tmp_path / "backup.sqlite3"
    with sqlite3.connect(tmp_path / "db.sqlite3") as source, sqlite3.connect(backup) as target:
        source.backup(target)
    drill = subprocess.run(
        ["bin/restore-drill", str(backup)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert drill.returncode == 0, drill.stdout + drill.stderr
    assert "Restore drill passed." in drill.stdout
    assert re.search(r"OK      files: ([1-9]\d*) of \1 stored files present", drill.stdout), drill.stdout
