"""Slow clients against the web server: how long a normal request waits while they trickle.

    .venv/bin/python benchmarks/slow_clients.py

Six clients each send the start of a request and then one header byte every 0.2 s for
TRICKLE_SECONDS, then finish it. Meanwhile one normal request (`GET /`, a redirect) is timed.
Anchor: gunicorn's default worker class (sync) with three workers, as deployed before
gunicorn.conf.py; then gunicorn.conf.py as shipped. Needs no database or broker.
"""

import os
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.webserver import SlowClient, get, gunicorn

SLOW_CLIENTS = 6
TRICKLE_SECONDS = 10.0
ENV = {
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "benchmark-only-" + "x" * 40,
    "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
    "DJANGO_SECURE_SSL_REDIRECT": "false",
    "DATABASE_URL": "sqlite:///:memory:",
    "CELERY_BROKER_URL": "memory://",
}


def normal_request_time(*options: str, log: Path) -> float:
    with gunicorn(*options, log=log, env=ENV) as port:
        get(port, "/")  # the workers have loaded the site
        slow = [SlowClient(port) for _ in range(SLOW_CLIENTS)]
        stop = threading.Event()

        def trickle():
            ends = time.monotonic() + TRICKLE_SECONDS
            while time.monotonic() < ends and not stop.wait(0.2):
                for client in slow:
                    client.trickle()
            for client in slow:
                client.finish()

        trickler = threading.Thread(target=trickle)
        trickler.start()
        time.sleep(0.5)  # the slow clients are being read
        started = time.monotonic()
        get(port, "/")
        elapsed = time.monotonic() - started
        stop.set()
        trickler.join()
        for client in slow:
            client.close()
        return elapsed


def main() -> None:
    os.environ.update(ENV)
    with tempfile.TemporaryDirectory() as folder:
        before = normal_request_time(
            "--worker-class", "sync", "--workers", "3", "--threads", "1", log=Path(folder) / "sync.log"
        )
        after = normal_request_time(log=Path(folder) / "shipped.log")
    print(f"{SLOW_CLIENTS} slow clients trickling for {TRICKLE_SECONDS:.0f} s; one normal request:")
    print(f"  sync, 3 workers (before):      {before * 1000:8.0f} ms")
    print(f"  gunicorn.conf.py (gthread):    {after * 1000:8.0f} ms")


if __name__ == "__main__":
    main()
