"""Real threads on real PostgreSQL connections, for the tests of what must hold under races."""

import threading
import time
from collections.abc import Callable

from django.db import connection


def race(n: int, work: Callable[[int], object]) -> list:
    """Run `work(i)` in n threads released together; return each result or exception."""
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def run(i):
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as error:  # noqa: BLE001 - collected for the assertions
            results[i] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def in_thread(work: Callable[[], object]) -> Callable[[], object]:
    """Start `work` in a thread with its own connection; the returned function waits for it and
    gives its result or exception."""
    outcome: list = []

    def run():
        try:
            outcome.append(work())
        except Exception as error:  # noqa: BLE001 - handed to the test
            outcome.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()

    def result() -> object:
        thread.join()
        return outcome[0]

    return result


def wait_until_blocked(waiting: int = 1, *, timeout: float = 30.0) -> None:
    """Wait until `waiting` other connections to this database wait for a lock (a row lock, or
    an uncommitted key that their insert collides with)."""
    deadline = time.monotonic() + timeout
    while True:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0] >= waiting:
                return
        if time.monotonic() > deadline:
            raise AssertionError(f"no {waiting} connection(s) waiting for a lock after {timeout} s")
        time.sleep(0.01)
