"""The production web server as shipped (gunicorn with gunicorn.conf.py) against real failures:
a database restart between two requests, and slow clients holding connections open."""

import threading
import time

import pytest
from django.db import connection

from tests.factories import UserFactory
from tests.services import database_url
from tests.webserver import SlowClient, get, gunicorn


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_after_a_database_restart_the_next_request_succeeds(client, tmp_path):
    """Every server-side connection is killed (as by a PostgreSQL restart) between two requests
    to the same web thread: the second request reconnects instead of answering 500."""
    user = UserFactory()
    client.force_login(user)
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    env = {"DATABASE_URL": database_url(connection.settings_dict)}

    with gunicorn("--workers", "1", "--threads", "1", log=tmp_path / "web.log", env=env) as port:
        first, _ = get(port, "/balance/statement.csv", cookie=cookie)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            [(killed,)] = cursor.fetchall()
        second, raw = get(port, "/balance/statement.csv", cookie=cookie)

    assert first == 200
    assert killed >= 1, "the web process kept no connection open: nothing was tested"
    assert second == 200, raw[:300]


def test_slow_clients_do_not_block_a_normal_request(tmp_path):
    """Twice as many slow clients as the three sync workers they used to block: a normal request
    is answered while every one of them is still connected and unanswered."""
    with gunicorn(log=tmp_path / "web.log") as port:
        get(port, "/")  # the site is loaded
        slow = [SlowClient(port) for _ in range(6)]
        stop = threading.Event()

        def keep_trickling():
            while not stop.wait(0.2):
                for client in slow:
                    client.trickle()

        trickler = threading.Thread(target=keep_trickling, daemon=True)
        trickler.start()
        try:
            started = time.monotonic()
            status, _ = get(port, "/", timeout=60)
            elapsed = time.monotonic() - started
            still_waiting = [not client.answered() for client in slow]
        finally:
            stop.set()
            trickler.join()
            for client in slow:
                client.close()

    print(f"\nA normal request with 6 slow clients connected: answered in {elapsed * 1000:.0f} ms")
    assert status == 302
    assert all(still_waiting), "a slow client was answered or dropped: the check proved nothing"
